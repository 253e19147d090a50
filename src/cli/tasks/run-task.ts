import * as path from 'node:path';
import { readHead, withReadScratch } from '../read-input';
import { describeUnrecognised } from '../what-is';
import { stripFile } from './strip-file';
import type { Task, TaskResult } from './types';
import { verifyFile } from './verify-file';

/**
 * One task, in a worker thread or in-process; what a skipped file is gets named here. The input
 * is read into a scratch buffer this task holds until it settles (read-input.ts).
 */
export async function runTask(task: Task): Promise<TaskResult> {
  if (task.type === 'done') return task.result;
  if (task.type === 'verify') return nameSkip(await withReadScratch((s) => verifyFile(task, s)), task.file.path);
  return nameSkip(await withReadScratch((s) => stripFile(task, s)), task.file.path);
}

function nameSkip<T extends TaskResult>(result: T, file: string): T {
  if (result.skipped !== true) return result;
  let head: Uint8Array;
  try {
    head = readHead(file);
  } catch {
    head = new Uint8Array(0);
  }
  const { kind, reason } = describeUnrecognised(path.basename(file), head);
  return { ...result, skipped: kind, reason };
}
