import * as path from 'node:path';
import { DeidError } from '../core/errors';
import { readFileList } from './files-from';
import { expandInputs, type ExpandOptions, type InputArg, type InputEntry, type InputFile } from './inputs';
import { EXIT_USAGE, type Io } from './io';
import { runPipeline, turnIfDue } from './pool';
import { createProgress } from './progress';
import { inShard, type Shard } from './shard';
import type { Task, TaskResult } from './tasks/types';

/** Options every batch command (verify, strip) takes: where files come from, how results go out. */
export interface BatchOptions {
  filesFrom?: string;
  null?: boolean;
  shard?: Shard;
  jsonl?: boolean;
  json?: boolean;
  allowSkipped?: boolean;
  jobs?: number;
}

export interface BatchSpec<R extends TaskResult, S> {
  command: 'verify' | 'strip';
  paths: string[];
  opts: BatchOptions;
  io: Io;
  expand?: ExpandOptions;
  task(file: InputFile): Task;
  /** The result for an entry that is not run (skipped, or an argument that cannot be read). */
  entryResult(entry: Exclude<InputEntry, { kind: 'file' }>): R;
  tally: { add(r: R): void; readonly summary: S };
  humanLines(r: R): string[];
  summaryLine(s: S): string;
  exitCode(s: S, allowSkipped: boolean): number;
  exitReason(s: S, allowSkipped: boolean): string | null;
  /** Strip commits here, in input order, before the result is printed. */
  onResult?(r: R): void;
  onArrive?(r: R): void;
  onDiscard?(r: R): void;
  /** Extra work on each result in this thread before its turn (verify --pixels). */
  after?(r: R): Promise<void>;
  /** A task a worker was on when the run stopped or failed (pool.ts onAbandon): strip removes what it staged. */
  onAbandon?(task: Task): void;
  /** A second signal exits at once: remove what is staged and not committed, synchronously. */
  abandonNow?(): void;
}

/** What stopped a batch before its end: a signal, or stdout's reader going away. */
type StopReason = 'SIGINT' | 'SIGTERM' | 'output-closed';

/** 128 + the signal's number, as a shell reports a process the signal ended; 2 when the output
 *  was closed (not every result was delivered: bin/deid.js has said so). */
const STOP_CODE: Record<StopReason, number> = { SIGINT: 130, SIGTERM: 143, 'output-closed': EXIT_USAGE };

/** How to stop each batch in progress (one per runBatch call). */
const running = new Set<(why: StopReason) => void>();

/**
 * Stops the batches in progress because stdout's reader has gone (`deid strip ... | head -1`):
 * bin/deid.js calls it on EPIPE. Each stops as on a signal (after the files in hand, temporary
 * files removed) and returns exit 2. False when no batch is running.
 */
export function stopForClosedOutput(): boolean {
  for (const stop of running) stop('output-closed');
  return running.size > 0;
}

/** What `--jsonl` writes last: the counts plus what `deid summarize` needs to merge shards. */
export interface JsonlSummaryLine<S> {
  summary: S;
  command: 'verify' | 'strip';
  shard: string | null;
  allowSkipped: boolean;
  exitCode: number;
  /**
   * What the run listed (ListedFiles): the number of entries the inputs expanded to, before the
   * shard filter, and a sum of a hash of each one's absolute path, so the order of listing does
   * not matter. Shards of one run over the same files carry the same value; a shard run after
   * files were added or removed, or over another folder with the same layout, carries another,
   * and `deid summarize` refuses to merge it. Absent from the lines of earlier versions, which
   * summarize accepts unchecked when no shard has it.
   */
  inputs?: string;
}

async function* argumentsOf(paths: string[], opts: BatchOptions): AsyncGenerator<InputArg> {
  yield* paths;
  if (opts.filesFrom === undefined) return;
  for await (const p of readFileList(opts.filesFrom, Boolean(opts.null))) yield { path: p, fromList: true };
}

/**
 * Runs one batch: lists the inputs lazily, keeps this shard's share, runs the tasks (pool.ts),
 * and reports each result as its turn comes: a line per file (human or --jsonl) or one JSON
 * object at the end (--json, which has to hold every result). Only --json and an interactive
 * progress bar (which needs the total up front) hold the whole list; --jsonl runs in flat memory.
 */
export async function runBatch<R extends TaskResult, S>(spec: BatchSpec<R, S>): Promise<number> {
  const { opts, io } = spec;
  if (spec.paths.length === 0 && opts.filesFrom === undefined) {
    io.err(`deid ${spec.command}: name files or folders, or give --files-from <file|->`);
    return EXIT_USAGE;
  }
  if (opts.json && opts.jsonl) {
    io.err(`deid ${spec.command}: --json and --jsonl exclude each other`);
    return EXIT_USAGE;
  }
  if (opts.null && opts.filesFrom === undefined) {
    io.err(`deid ${spec.command}: -0 reads a NUL-separated --files-from list; there is no --files-from`);
    return EXIT_USAGE;
  }
  // Every entry listed, whichever shard takes it: a running sum, so memory stays flat.
  const listed = new ListedFiles();
  const entries = async function* (): AsyncGenerator<Item<R>> {
    for await (const entry of expandInputs(argumentsOf(spec.paths, opts), spec.expand)) {
      const rel = entry.kind === 'file' ? entry.file.rel : entry.rel;
      listed.add(entry.kind === 'file' ? entry.file.path : entry.path);
      if (!inShard(rel, opts.shard)) continue;
      if (entry.kind === 'file') yield { kind: 'task', task: spec.task(entry.file) };
      else yield { kind: 'ready', result: spec.entryResult(entry), file: { path: entry.path, rel, explicit: false } };
    }
  };

  // A person's Ctrl-C or Slurm's SIGTERM at the time limit (docs/scale.md): no file is started
  // after it, the files in hand finish, nothing more is committed, temporary files are removed
  // (strip), a line says so and the exit code is 128 + the signal's number. The pool lets the
  // event loop turn often enough for these handlers to run (pool.ts turnIfDue). A second signal
  // exits at once.
  const stopper = new AbortController();
  let stopped: StopReason | null = null;
  const stop = (why: StopReason) => {
    if (stopped === null) {
      stopped = why;
      stopper.abort();
    } else if (why !== 'output-closed') {
      // Files a worker staged and had not reported yet may stay; a later run removes a dead process's.
      spec.abandonNow?.();
      process.exit(STOP_CODE[why]);
    }
  };
  const onSignal = (signal: NodeJS.Signals) => stop(signal === 'SIGINT' ? 'SIGINT' : 'SIGTERM');
  running.add(stop);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await runStoppable(spec, entries, stopper.signal, () => stopped, () => listed.digest());
  } finally {
    running.delete(stop);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

type Item<R> = { kind: 'task'; task: Task } | { kind: 'ready'; result: R; file: InputFile };

/** runBatch's work, which `stop` ends early; `stopped` says why. */
async function runStoppable<R extends TaskResult, S>(
  spec: BatchSpec<R, S>,
  entries: () => AsyncGenerator<Item<R>>,
  stop: AbortSignal,
  stopped: () => StopReason | null,
  /** The hash of every entry listed (JsonlSummaryLine.inputs), once the listing has ended. */
  inputs: () => string,
): Promise<number> {
  const { opts, io } = spec;
  const interactive = Boolean(process.stderr.isTTY) && !opts.jsonl;
  let source: AsyncIterable<Item<R>> = entries();
  let total: number | undefined;
  if (interactive) {
    const all: Item<R>[] = [];
    for await (const item of source) {
      all.push(item);
      // Listing a large tree is synchronous work too: let a signal in.
      const turn = turnIfDue();
      if (turn) await turn;
      if (stop.aborted) break;
    }
    total = all.length;
    source = (async function* () {
      yield* all;
    })();
  }
  const progress = createProgress(total, spec.command);
  const collected: R[] = [];
  const held: string[] = [];
  let done = 0;
  const onResult = (result: TaskResult) => {
    const r = result as R;
    spec.onResult?.(r);
    spec.tally.add(r);
    progress.update(++done);
    if (opts.jsonl) io.out(JSON.stringify(r));
    // Sidecars are counted in the summary; --json's `files` keeps to images (DESIGN.md shape).
    else if (opts.json) {
      if (r.skipped !== 'sidecar') collected.push(r);
    }
    else {
      const lines = spec.humanLines(r);
      if (lines.length === 0) return;
      // A bar is being drawn on the terminal: print the lines after it, not through it.
      if (interactive) held.push(...lines);
      else io.out(lines.join('\n'));
    }
  };
  try {
    await runPipeline(asTasks(source), {
      jobs: opts.jobs,
      onResult,
      onArrive: (r) => spec.onArrive?.(r as R),
      onDiscard: (r) => spec.onDiscard?.(r as R),
      ...(spec.after ? { after: (r: TaskResult) => spec.after!(r as R) } : {}),
      stop,
      ...(spec.onAbandon ? { onAbandon: (t: Task) => spec.onAbandon!(t) } : {}),
    });
  } catch (e) {
    progress.stop();
    if (e instanceof DeidError && e.code === 'usage') {
      io.err(`deid ${spec.command}: ${e.message}`);
      return EXIT_USAGE;
    }
    throw e;
  }
  progress.stop();
  const why = stopped();
  if (why !== null) {
    // No summary: it would count a part as the whole (and `deid summarize` refuses a --jsonl run
    // without one, as it should an interrupted shard). The lines already printed stand.
    if (why === 'output-closed') return STOP_CODE[why];
    if (held.length > 0) io.out(held.join('\n'));
    const rest = spec.command === 'strip'
      ? 'every output written is complete and kept, and no temporary file is left; --resume finishes the rest'
      : 'the remaining files were not checked';
    io.err(`deid ${spec.command}: interrupted by ${why} after ${done} file${done === 1 ? '' : 's'}: ${rest}`);
    return STOP_CODE[why];
  }
  const summary = spec.tally.summary;
  const allowSkipped = Boolean(opts.allowSkipped);
  const code = spec.exitCode(summary, allowSkipped);
  if (opts.jsonl) {
    const line: JsonlSummaryLine<S> = {
      summary,
      command: spec.command,
      shard: opts.shard ? `${opts.shard.index}/${opts.shard.count}` : null,
      allowSkipped,
      exitCode: code,
      inputs: inputs(),
    };
    io.out(JSON.stringify(line));
  } else if (opts.json) {
    io.out(JSON.stringify({ files: collected, summary }, null, 2));
  } else {
    if (held.length > 0) io.out(held.join('\n'));
    io.out(spec.summaryLine(summary));
  }
  const reason = spec.exitReason(summary, allowSkipped);
  if (reason && code !== 0) io.err(`deid ${spec.command}: exit ${code}: ${reason}`);
  return code;
}

/** Entries that need no work (skipped, unreadable) ride through the pool in order as done tasks. */
async function* asTasks<R extends TaskResult>(items: AsyncIterable<Item<R>>): AsyncGenerator<Task> {
  for await (const item of items) {
    yield item.kind === 'task' ? item.task : { type: 'done', file: item.file, result: item.result };
  }
}

/**
 * The set of files a run listed, whatever their order (a --files-from list sorted another way is
 * the same set): their count and the sums, mod 2^32, of two FNV-1a hashes of each absolute path.
 * Absolute, so a shard run over a folder with the same layout elsewhere differs. Not a defence
 * against someone crafting collisions, only against merging the wrong runs by mistake.
 */
export class ListedFiles {
  private count = 0;
  private a = 0;
  private b = 0;

  add(file: string): void {
    const abs = path.resolve(file);
    let h1 = 0x811c9dc5;
    let h2 = 0x01000193 ^ abs.length;
    for (let i = 0; i < abs.length; i++) {
      const c = abs.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    }
    this.a = (this.a + (h1 >>> 0)) >>> 0;
    this.b = (this.b + (h2 >>> 0)) >>> 0;
    this.count++;
  }

  digest(): string {
    return `${this.count}-${this.a.toString(16).padStart(8, '0')}${this.b.toString(16).padStart(8, '0')}`;
  }
}
