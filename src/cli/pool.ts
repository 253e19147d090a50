import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { runTask } from './tasks/run-task';
import type { Task, TaskResult } from './tasks/types';

/** Tasks looked at before choosing threads: a batch that ends within them runs in this thread. */
const LOOKAHEAD = 48;
/** Results waiting for an earlier, slower file before they are handed on, per worker. */
const WINDOW_PER_JOB = 32;

export interface PoolOptions {
  /** Worker threads; undefined chooses (in-process for small batches, else one per core). */
  jobs?: number;
  /** Called once per task, in input order, as soon as it and every earlier task are done. */
  onResult: (result: TaskResult, index: number) => void;
  /** Called as each result arrives, before its turn (strip tracks staged files with it). */
  onArrive?: (result: TaskResult) => void;
  /** Extra work on each result in the main thread, before it waits for its turn. */
  after?: (result: TaskResult) => Promise<void>;
  /** Results that were done but never handed on because the run failed (to clean up). */
  onDiscard?: (result: TaskResult) => void;
}

type Exec = (task: Task) => Promise<TaskResult>;

/**
 * Runs a stream of tasks and hands results on in input order with bounded memory: tasks are
 * pulled only while fewer than a window's worth of results wait for an earlier one, so a batch
 * of millions holds at most that many results (and each worker one file's bytes) at a time.
 * In-order delivery keeps output order stable and lets strip commit each output the moment it
 * is done, with "first input wins" decided the same way on every run.
 *
 * Threads: worker start-up (loading the core in each) costs more than it saves on a small batch,
 * and the main thread is busy with listing, committing and printing, so the default runs small
 * batches in-process and large ones on one worker per core (measured in `npm run bench`).
 */
export async function runPipeline(source: AsyncIterable<Task>, options: PoolOptions): Promise<number> {
  const iterator = source[Symbol.asyncIterator]();
  const ahead: Task[] = [];
  let sourceDone = false;
  if (options.jobs === undefined) {
    while (ahead.length < LOOKAHEAD) {
      const n = await iterator.next();
      if (n.done) {
        sourceDone = true;
        break;
      }
      ahead.push(n.value);
    }
  }
  const workerFile = path.join(__dirname, 'worker.js');
  const haveWorkers = existsSync(workerFile);
  const pull = async (): Promise<Task | undefined> => {
    if (ahead.length > 0) return ahead.shift();
    if (sourceDone) return undefined;
    const n = await iterator.next();
    if (n.done) {
      sourceDone = true;
      return undefined;
    }
    return n.value;
  };

  // Who runs tasks. Explicit --jobs N: N worker threads (1: this thread alone). By default: a
  // small batch in this thread; a large one in this thread AND one worker per other core, so
  // this thread works from the first file while the workers load, and no core waits on a
  // thread that only hands out files (on 2 cores, 2 workers plus an idle main thread were slower
  // than --jobs 1: every thread pays its own warm-up of the parsers). Only cores that are idle
  // count: on a machine already busy, extra threads just take turns and lose to one.
  const workers: WorkerSlot[] = [];
  let lanes: Exec[];
  if (options.jobs !== undefined) {
    if (options.jobs > 1 && haveWorkers) {
      for (let i = 0; i < options.jobs; i++) workers.push(new WorkerSlot(workerFile));
    }
  } else if (!sourceDone && haveWorkers) {
    for (let i = 0; i < spareCores() - 1; i++) workers.push(new WorkerSlot(workerFile));
  }
  const threads = workers.length + (options.jobs !== undefined && workers.length > 0 ? 0 : 1);
  if (workers.length > 0 && options.jobs !== undefined) {
    // Two tasks in flight per worker: the next file is already queued when one finishes.
    lanes = [...workers, ...workers].map((w) => (t: Task) => w.run(t));
  } else if (workers.length > 0) {
    lanes = [runTask, ...[...workers, ...workers].map((w) => (t: Task) => w.run(t))];
  } else {
    // This thread alone: tasks are mostly synchronous CPU work; a second lane only overlaps
    // sharp's decodes (which run on libuv's threads) with the next file's scan.
    lanes = [runTask, runTask];
  }

  const window = WINDOW_PER_JOB * Math.max(1, threads);
  const waiting = new Map<number, TaskResult>();
  let nextIndex = 0;
  let delivered = 0;
  let failed: unknown = null;
  let wake: (() => void) | null = null;
  const progressed = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const flush = () => {
    while (waiting.has(delivered)) {
      const r = waiting.get(delivered)!;
      waiting.delete(delivered);
      options.onResult(r, delivered);
      delivered++;
    }
    progressed();
  };

  const lane = async (exec: Exec) => {
    while (failed === null) {
      while (nextIndex - delivered >= window && failed === null) await new Promise<void>((r) => (wake = chain(wake, r)));
      if (failed !== null) return;
      const task = await pull();
      if (task === undefined) return;
      const index = nextIndex++;
      // Skipped and unreadable entries carry their result already: no thread hop.
      const result = task.type === 'done' ? task.result : await exec(task);
      options.onArrive?.(result);
      if (options.after && failed === null) await options.after(result);
      if (failed !== null) {
        options.onDiscard?.(result);
        return;
      }
      waiting.set(index, result);
      flush();
    }
  };

  try {
    await Promise.all(
      lanes.map((exec) =>
        lane(exec).catch((e: unknown) => {
          if (failed === null) failed = e;
          progressed();
        }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.close()));
  }
  if (failed !== null) {
    for (const r of waiting.values()) options.onDiscard?.(r);
    waiting.clear();
    throw failed;
  }
  return delivered;
}

/** Cores this process may use (affinity, cgroup) minus what the 1-minute load already keeps busy. */
function spareCores(): number {
  const cores = availableParallelism();
  return Math.max(1, Math.min(cores, Math.round(cores - loadavg()[0])));
}

function chain(a: (() => void) | null, b: () => void): () => void {
  return a ? () => (a(), b()) : b;
}

/** One worker thread answering tasks by id (worker.ts). */
class WorkerSlot {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { task: Task; resolve: (r: TaskResult) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private dead: Error | null = null;

  constructor(file: string) {
    this.worker = new Worker(file);
    this.worker.on('message', (m: { id: number; result?: TaskResult; crash?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.crash !== undefined) p.reject(new Error(`internal error on ${p.task.file.path}: ${m.crash}`));
      else p.resolve(m.result!);
    });
    this.worker.on('error', (e) => this.fail(new Error(`worker failed: ${e.message}`)));
    this.worker.on('exit', (code) => this.fail(new Error(`worker exited (${code})`)));
  }

  private fail(e: Error): void {
    this.dead ??= e;
    for (const [, p] of this.pending) p.reject(new Error(`${e.message} while on ${p.task.file.path}`));
    this.pending.clear();
  }

  run(task: Task): Promise<TaskResult> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { task, resolve, reject });
      this.worker.postMessage({ id, task });
    });
  }

  async close(): Promise<void> {
    this.dead ??= new Error('closed');
    await this.worker.terminate();
  }
}
