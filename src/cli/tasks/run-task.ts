import * as fs from 'node:fs';
import * as path from 'node:path';
import { detectContainer } from '../../core/metadata/registry';
import { scanMetadata } from '../../core/metadata/scan';
import { sweepOnce } from '../atomic';
import { readHead, readInputFile, withReadScratch } from '../read-input';
import { describeUnrecognised } from '../what-is';
import { stripFile } from './strip-file';
import type { StripFileResult, StripTask, Task, TaskResult } from './types';
import { verifyFile } from './verify-file';

/**
 * One task, in a worker thread or in-process; what a skipped file is gets named here. The input
 * is read into a scratch buffer this task holds until it settles (read-input.ts).
 */
export async function runTask(task: Task): Promise<TaskResult> {
  if (task.type === 'done') return task.result;
  if (task.type === 'verify') return nameSkip(await withReadScratch((s) => verifyFile(task, s)), task.file.path);
  if (task.resume) {
    const kept = await resumable(task);
    if (kept) return kept;
  }
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
 * `--resume` (issue 12): an input is skipped when its output exists, is newer than the input, and
 * verifies clean by the same scan `verify` uses. Outputs are only ever created by an atomic
 * rename of a complete, verified file (atomic.ts), so an output that exists is whole; the scan
 * guards against anything else having written there since.
 */
async function resumable(task: StripTask): Promise<StripFileResult | null> {
  const { file } = task;
  try {
    const detected = detectContainer(readHead(file.path, 4096));
    if (!detected) return null;
    const lossless = detected.container.strip !== undefined;
    let output = path.join(task.outDir, file.rel);
    if (!lossless) output = output.slice(0, output.length - path.extname(output).length) + '.png';
    sweepOnce(path.dirname(output));
    const [inStat, outStat] = [fs.statSync(file.path), fs.lstatSync(output)];
    if (!outStat.isFile() || outStat.mtimeMs <= inStat.mtimeMs) return null;
    const report = await scanMetadata(readInputFile(output));
    if (report.findings.length > 0) return null;
    return { input: file.path, output, format: detected.format, lossless, resumed: true };
  } catch {
    // No output yet, or one that does not scan: strip the input again.
    return null;
  }
}
