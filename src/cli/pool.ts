import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { removeThreadScratch } from './tasks/reencode';
import { runTask } from './tasks/run-task';
import type { Task, TaskResult } from './tasks/types';
import { defaultWorkers, enoughWorkMs, idleCoreMs, type Machine, MAX_LOOKAHEAD, PROBE_MS, spareWorkers, taskCostMs, type ThreadPlan } from './thread-plan';

/** Results waiting for an earlier, slower file before they are handed on, per worker. */
const WINDOW_PER_JOB = 32;

/**
 * Longest this thread runs tasks without letting the event loop turn. Tasks in this thread read
 * and write synchronously and the awaits between files resolve as microtasks, so without a turn
 * nothing else runs until real I/O happens (sharp, a worker's answer): not the SIGINT/SIGTERM
 * handlers, not the 'error' of a closed stdout pipe. A whole batch of camera JPEGs ran to the
 * end through Ctrl-C. A turn (setImmediate) every 50 ms bounds how long a signal waits beyond
 * the file in hand and costs nothing measurable; a turn per file cost ~30% more CPU on 4,000
 * small JPEGs (verify, in one process).
 */
const TURN_EVERY_MS = 50;
let lastTurn = Date.now();
/** The turn under way: every lane that comes for one waits on this same one. */
let turning: Promise<void> | null = null;

/**
 * Lets the event loop turn if this thread has not done so for TURN_EVERY_MS, so signal handlers
 * and stream errors run (batch.ts stops the batch on them). Null when no turn is due, so the
 * caller pays no promise. One turn for all lanes: with a setImmediate each, the second lane's
 * ran in the same check phase as the first and worked another 50 ms before the loop could poll,
 * so a signal waited two turns (~100 ms measured).
 */
export function turnIfDue(): Promise<void> | null {
  if (turning) return turning;
  if (Date.now() - lastTurn < TURN_EVERY_MS) return null;
  turning = new Promise<void>((resolve) =>
    setImmediate(() => {
      lastTurn = Date.now();
      turning = null;
      resolve();
    }),
  );
  return turning;
}

export interface PoolOptions {
  /** Worker threads; undefined chooses from the work ahead (thread-plan.ts). */
  jobs?: number;
  /** Told the default's choice once it is made (tests and benches look at it). */
  onPlan?: (plan: ThreadPlan) => void;
  /** Stand-ins for the machine, for tests: cores, how long to watch, idle time so far. */
  machine?: Partial<Machine>;
  /** Called once per task, in input order, as soon as it and every earlier task are done. */
  onResult: (result: TaskResult, index: number) => void;
  /** Called as each result arrives, before its turn (strip tracks staged files with it). */
  onArrive?: (result: TaskResult) => void;
  /** Extra work on each result in the main thread, before it waits for its turn. */
  after?: (result: TaskResult) => Promise<void>;
  /** Results that were done but never handed on because the run failed or was stopped (to clean up). */
  onDiscard?: (result: TaskResult) => void;
  /**
   * Stops the run (a signal, a closed output): no task starts after it; tasks in this thread
   * finish and their results are discarded; worker threads are terminated at once.
   */
  stop?: AbortSignal;
  /**
   * A task a worker was on (or had queued) when it was terminated (by `stop`, or because another
   * task failed): whatever it wrote never reached this thread, so the caller removes it by where
   * it writes. Called after the worker is gone, before runPipeline returns or throws.
   */
  onAbandon?: (task: Task) => void;
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
 * so the default runs a batch in-process unless the files and bytes ahead hold several
 * start-ups' worth of work per worker (thread-plan.ts; measured in `npm run bench`).
 */
export async function runPipeline(source: AsyncIterable<Task>, options: PoolOptions): Promise<number> {
  const iterator = source[Symbol.asyncIterator]();
  const { stop } = options;
  /**
   * Lanes waiting on the source: a stop ends their wait (a `--files-from -` whose writer is slow,
   * or a terminal, may not answer for a long time). Not Promise.race with one stop promise: that
   * adds a reaction to it per task, kept until the end of the batch.
   */
  const waitingOnSource = new Set<(r: IteratorResult<Task>) => void>();
  /** `stop.aborted`, kept here: that getter checks its receiver, and it is read several times per file. */
  let halted = stop?.aborted === true;
  const releaseSource = () => {
    halted = true;
    for (const resolve of waitingOnSource) resolve(ENDED);
    waitingOnSource.clear();
  };
  stop?.addEventListener('abort', releaseSource, { once: true });
  /** The next task from the source. Not an async function: that costs microtask hops per file. */
  const next = (): Promise<IteratorResult<Task>> => {
    if (!stop) return iterator.next();
    if (halted) return Promise.resolve(ENDED);
    return new Promise<IteratorResult<Task>>((resolve, reject) => {
      waitingOnSource.add(resolve);
      iterator.next().then(
        (n) => {
          waitingOnSource.delete(resolve);
          resolve(n);
        },
        (e: unknown) => {
          waitingOnSource.delete(resolve);
          reject(e);
        },
      );
    });
  };
  const ahead: Task[] = [];
  /** Estimated cost of each task in `ahead`, and their sum. */
  const aheadCost: number[] = [];
  let sourceDone = false;
  const machine: Machine = { cores: availableParallelism(), probeMs: PROBE_MS, idleMs: idleCoreMs, ...options.machine };
  const cores = machine.cores;
  /** Estimated work of the tasks listed ahead and not yet started. */
  let estimatedMs = 0;
  if (options.jobs === undefined && cores > 1) {
    // Listing ahead costs nothing extra: this thread lists every file anyway, and does so before
    // reading it either way. One stat per file seen, only while deciding.
    const enough = enoughWorkMs(cores);
    while (estimatedMs < enough && ahead.length < MAX_LOOKAHEAD) {
      // Listing is synchronous work too (a stat per file): let a signal in.
      const turn = turnIfDue();
      if (turn) await turn;
      const n = await next();
      if (n.done) {
        sourceDone = true;
        break;
      }
      const cost = n.value.type === 'done' ? 0 : taskCostMs(sizeOf(n.value.file.path));
      ahead.push(n.value);
      aheadCost.push(cost);
      estimatedMs += cost;
    }
  }
  const workerFile = path.join(__dirname, 'worker.js');
  const haveWorkers = existsSync(workerFile);
  const pull = async (): Promise<Task | undefined> => {
    const turn = turnIfDue();
    if (turn) await turn;
    if (halted) return undefined;
    if (ahead.length > 0) {
      estimatedMs -= aheadCost.shift()!;
      return ahead.shift();
    }
    if (sourceDone) return undefined;
    const n = await next();
    if (n.done) {
      sourceDone = true;
      return undefined;
    }
    return n.value;
  };

  // Who runs tasks. Explicit --jobs N: N worker threads (1: this thread alone). By default: this
  // thread alone, exactly as --jobs 1, unless the work ahead pays for workers AND cores are
  // idle to run them (thread-plan.ts); then this thread and the workers, so this thread works
  // from the first file while they load, and no core waits on a thread that only hands out
  // files (on 2 cores, 2 workers plus an idle main thread were slower than --jobs 1: every
  // thread pays its own warm-up of the parsers).
  const workers: WorkerSlot[] = [];
  let lanes: Exec[];
  if (options.jobs !== undefined && options.jobs > 1 && haveWorkers) {
    for (let i = 0; i < options.jobs; i++) workers.push(new WorkerSlot(workerFile));
    // Two tasks in flight per worker: the next file is already queued when one finishes.
    lanes = [...workers, ...workers].map((w) => (t: Task) => w.run(t));
  } else {
    // This thread alone: tasks are mostly synchronous CPU work; a second lane only overlaps
    // sharp's decodes (which run on libuv's threads) with the next file's scan.
    lanes = [runTask, runTask];
  }
  const affordable = options.jobs === undefined && haveWorkers ? defaultWorkers(estimatedMs, cores) : 0;
  let plan: ThreadPlan | null = null;
  const decided = (p: ThreadPlan) => {
    plan = p;
    options.onPlan?.(p);
  };
  if (options.jobs === undefined && affordable === 0) decided({ workers: 0, estimatedMs, spareCores: null });
  // The work pays for workers: whether cores are free to run them is measured while this thread
  // works on the first files (idle time of the other cores, now, not a load average).
  const watchFrom = { at: Date.now(), idle: affordable > 0 ? machine.idleMs() : 0 };

  let window = WINDOW_PER_JOB * Math.max(1, workers.length);
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

  // Stopped: lanes waiting for room in the window wake and end; workers are terminated now, not
  // after their file (one may be deep in a large re-encode), and the tasks they had not answered
  // go back to the caller, whose files they may have begun writing.
  const terminateWorkers = async () => {
    for (const task of (await Promise.all(workers.map((w) => w.terminate()))).flat()) options.onAbandon?.(task);
  };
  let abandoning: Promise<void> = Promise.resolve();
  const onStop = () => {
    progressed();
    abandoning = terminateWorkers();
  };
  stop?.addEventListener('abort', onStop, { once: true });

  const running: Array<Promise<void>> = [];
  const startLane = (exec: Exec) => {
    running.push(
      lane(exec).catch((e: unknown) => {
        // After a stop, a terminated worker's unanswered tasks reject: that is the stop, not a failure.
        if (failed === null && !halted) failed = e;
        progressed();
      }),
    );
  };
  const maybeAddWorkers = () => {
    if (plan !== null || affordable === 0 || halted) return;
    const elapsed = Date.now() - watchFrom.at;
    if (elapsed < machine.probeMs) return;
    const spare = (machine.idleMs() - watchFrom.idle) / Math.max(1, elapsed);
    // What is left must still repay them: more listed than the lookahead held, or enough of it.
    const left = sourceDone ? defaultWorkers(estimatedMs, cores) : affordable;
    const count = Math.min(left, spareWorkers(spare));
    // Decided first: a lane started below runs this check again at once.
    decided({ workers: count, estimatedMs, spareCores: spare });
    window = WINDOW_PER_JOB * (1 + count);
    for (let i = 0; i < count; i++) {
      const w = new WorkerSlot(workerFile);
      workers.push(w);
      startLane((t: Task) => w.run(t));
      startLane((t: Task) => w.run(t));
    }
  };

  const ended = () => failed !== null || halted;
  const lane = async (exec: Exec) => {
    while (!ended()) {
      maybeAddWorkers();
      while (nextIndex - delivered >= window && !ended()) await new Promise<void>((r) => (wake = chain(wake, r)));
      if (ended()) return;
      const task = await pull();
      if (task === undefined) return;
      const index = nextIndex++;
      // Skipped and unreadable entries carry their result already: no thread hop.
      const result = task.type === 'done' ? task.result : await exec(task);
      options.onArrive?.(result);
      if (options.after && !ended()) await options.after(result);
      if (ended()) {
        options.onDiscard?.(result);
        return;
      }
      waiting.set(index, result);
      flush();
    }
  };

  try {
    for (const exec of lanes) startLane(exec);
    // Lanes added later (workers that joined) are pushed before the lane that added them ends.
    for (let i = 0; i < running.length; i++) await running[i];
  } finally {
    stop?.removeEventListener('abort', releaseSource);
    stop?.removeEventListener('abort', onStop);
    await abandoning;
    // Also after a failure: what the other workers were on is abandoned with them.
    await terminateWorkers();
  }
  if (options.jobs === undefined && plan === null) decided({ workers: 0, estimatedMs, spareCores: null });
  if (ended()) {
    for (const r of waiting.values()) options.onDiscard?.(r);
    waiting.clear();
    // A stop is not a failure: the caller knows it stopped the run and says so.
    if (failed !== null) throw failed;
  }
  // Stopped: the source was left part way (perhaps still waiting, see `next`); closing it closes
  // a --files-from file. Not awaited: a source still waiting on its input would hold this up.
  if (halted) void iterator.return?.(undefined).catch(() => undefined);
  return delivered;
}

/** A file's size for the estimate; one that cannot be stat'ed counts as empty (its task says why). */
function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

const ENDED: IteratorReturnResult<undefined> = { done: true, value: undefined };

function chain(a: (() => void) | null, b: () => void): () => void {
  return a ? () => (a(), b()) : b;
}

/** One worker thread answering tasks by id (worker.ts). */
class WorkerSlot {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { task: Task; resolve: (r: TaskResult) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private dead: Error | null = null;
  private closing: Promise<unknown> | null = null;

  /** Kept: a Worker's own threadId reads -1 once the thread has stopped. */
  private readonly threadId: number;

  constructor(file: string) {
    this.worker = new Worker(file);
    this.threadId = this.worker.threadId;
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

  /**
   * Terminates the thread now (again: the same wait), and returns the tasks it had not answered:
   * those it was on or had queued.
   */
  async terminate(): Promise<Task[]> {
    const unanswered = [...this.pending.values()].map((p) => p.task);
    this.dead ??= new Error('closed');
    this.closing ??= this.worker.terminate().then(() => removeThreadScratch(this.threadId));
    await this.closing;
    return unanswered;
  }
}
