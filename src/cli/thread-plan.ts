import { cpus } from 'node:os';

/**
 * How many worker threads a batch gets by default (no --jobs). Workers cost a start-up each
 * and repay it only on a free core, so the default runs exactly as --jobs 1 unless both hold:
 * - the files and bytes listed ahead are enough work to repay the start-ups several times; and
 * - cores are idle NOW: measured as the other cores' idle time while this thread works on the
 *   first files (PROBE_MS), never from the 1-minute load average, which describes the last minute
 *   and misfired both ways on a shared machine (issue 12).
 * Bytes alone cannot decide it: on the 2-core bench machine with one core taken by another user's
 * job, `verify` over 1,632 camera JPEGs (330 MB, some 1.5 s of work) took 1.64 s with a worker
 * and 1.48 s without.
 *
 * Measured on that machine (bench/scale.js sets, `deid verify --jsonl --jobs 1`, CPU time):
 * - a worker's start-up (loading the core, exifr and the sidecar code, then a cold first file):
 *   ~90 ms CPU, 130-250 ms wall before its first answer, plus ~0.2 s CPU of the main thread and
 *   the compiler threads over a whole batch (1.62 s against 1.40 s for the 330 MB above);
 * - work per file in this thread: ~0.24 ms for a 0.5 KB file (4,000 files: 0.95 s CPU beyond
 *   start-up), and ~3.6 ms per MB on top for camera JPEGs (408 files, 85 MB: 0.39 s).
 * The costs below are rounded down, so the estimate errs towards "small" and this thread.
 */

/** Worker start-up, wall clock, at the top of what was measured under load. */
export const WORKER_START_MS = 250;
/**
 * Estimated work a batch must hold per worker: four start-ups. A worker on a free core repays
 * its start-up once it has done one start-up's worth of files; on a machine whose cores are
 * busy it only gets a fair share of one, so the margin is wide. Below this, the default runs
 * exactly as --jobs 1 does, so it cannot be slower.
 */
export const WORK_PER_WORKER_MS = 4 * WORKER_START_MS;
export const MS_PER_FILE = 0.2;
export const MS_PER_MB = 3;
/** Tasks held while deciding: past this many, the decision is made on what was seen. */
export const MAX_LOOKAHEAD = 8192;

/** Estimated time this thread spends on one file of `bytes` bytes. */
export function taskCostMs(bytes: number): number {
  return MS_PER_FILE + (bytes / (1024 * 1024)) * MS_PER_MB;
}

/**
 * Worker threads for a batch whose tasks ahead are estimated at `workMs`: one per other core
 * (this thread works too), and no more than the work pays for.
 */
export function defaultWorkers(workMs: number, cores: number): number {
  return Math.max(0, Math.min(cores - 1, Math.floor(workMs / WORK_PER_WORKER_MS)));
}

/** How much work ahead settles the question for `cores` (more cannot add a worker). */
export function enoughWorkMs(cores: number): number {
  return Math.max(1, cores - 1) * WORK_PER_WORKER_MS;
}

/** How long this thread works alone before idle cores are counted (a few scheduler ticks). */
export const PROBE_MS = 300;

/**
 * Idle time of every core so far, in ms (os.cpus(): /proc/stat on Linux, host counters
 * elsewhere). These are all of the host's cores: a job confined to some of them (Slurm, taskset)
 * gets no more workers than the cores it may use, and should pass --jobs anyway.
 */
export function idleCoreMs(): number {
  let idle = 0;
  for (const c of cpus()) idle += c.times.idle;
  return idle;
}

/**
 * Workers the measured idle capacity (in cores, while this thread was busy) can run: a core
 * counts when it was idle at least three quarters of the time. Our own compiler and GC threads
 * take a little of an idle core, so a free core measures a bit under 1.
 */
export function spareWorkers(spareCores: number): number {
  return Math.max(0, Math.floor(spareCores + 0.25));
}

export interface Machine {
  cores: number;
  probeMs: number;
  idleMs: () => number;
}

/** What the default chose: workers started, the work estimated ahead, idle cores measured. */
export interface ThreadPlan {
  workers: number;
  estimatedMs: number;
  /** Null when the work ahead was too small to look (no workers either way). */
  spareCores: number | null;
}
