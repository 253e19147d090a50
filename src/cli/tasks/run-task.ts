import * as fs from 'node:fs';
import * as path from 'node:path';
import { readHead, withReadScratch } from '../read-input';
import { describeUnrecognised } from '../what-is';
import { stripFile } from './strip-file';
import type { Task, TaskResult, VerifyFileResult } from './types';
import { verifyFile } from './verify-file';

/**
 * One task, in a worker thread or in-process; what a skipped file is gets named here. The input
 * is read into a scratch buffer this task holds until it settles (read-input.ts).
 */
export async function runTask(task: Task): Promise<TaskResult> {
  if (task.type === 'done') return task.result;
  if (task.type === 'verify') return lostImage(nameSkip(await withReadScratch((s) => verifyFile(task, s)), task.file.path));
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

/**
 * A sidecar met in a folder is checked with its image; one whose image is not there means an
 * export of the study was lost, renamed or moved, and that is reported, not counted away as
 * "+1 sidecar". The image is the one the sidecar names (image.fileName, beside it); a sidecar
 * that cannot be read names nothing and stays a sidecar (its image's check reports it).
 */
/** Far above any real sidecar (a 30,000-step recipe is about 5 MB); a bigger file is not read for its name. */
const SIDECAR_READ_LIMIT = 64 * 1024 * 1024;

function lostImage(result: VerifyFileResult): VerifyFileResult {
  if (result.skipped !== 'sidecar') return result;
  let fileName: unknown;
  try {
    if (fs.statSync(result.path).size > SIDECAR_READ_LIMIT) return result;
    fileName = (JSON.parse(fs.readFileSync(result.path, 'utf8')) as { image?: { fileName?: unknown } }).image?.fileName;
  } catch {
    return result;
  }
  if (typeof fileName !== 'string' || fileName === '' || fileName !== path.basename(fileName)) return result;
  if (fs.existsSync(path.join(path.dirname(result.path), fileName))) return result;
  return { path: result.path, format: null, clean: false, findings: [], error: `sidecar without its image: ${fileName} is not in this folder (lost, renamed or moved?)` };
}
