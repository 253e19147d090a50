import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeDirs, removeOwnTemps, sweepOnce } from './atomic';
import { type BatchOptions, runBatch } from './batch';
import { Committer } from './commit';
import { EXIT_USAGE, type Io } from './io';
import { ioReason } from './io-reason';
import { StripTally, stripExitCode, stripExitReason, stripHumanLines, summaryLineFor } from './summary';
import type { StripFileResult, Task } from './tasks/types';
import { escapeText } from './escape';
import { isBlank, isInside } from './output-paths';

export interface StripOptions extends BatchOptions {
  out: string;
  resume?: boolean;
  /** Replace an earlier output that differs from what strip writes now (commit.ts). */
  replace?: boolean;
  scanData?: boolean;
}

/** `deid strip <paths...> --out <dir>` (DESIGN.md "Command line contract"; issues 12 and 13). */
export async function stripCommand(paths: string[], opts: StripOptions, io: Io): Promise<number> {
  if (isBlank(opts.out)) {
    // path.resolve('') is the current folder: an unset variable must not strip into it.
    io.err('deid strip: --out is empty: name the folder to write the stripped copies into');
    return EXIT_USAGE;
  }
  const outDir = path.resolve(opts.out);
  let outReal: string;
  try {
    // Fail fast (issue 13.3): an --out that cannot be made or written is a usage error before
    // any input is read, not one refusal per file.
    makeDirs(outDir);
    fs.accessSync(outDir, fs.constants.W_OK);
    outReal = fs.realpathSync(outDir);
    sweepOnce(outDir);
  } catch (e) {
    io.err(`deid strip: cannot use --out ${opts.out}: ${ioReason(e)}`);
    return EXIT_USAGE;
  }
  // Nothing under --out is read as input (inputs.ts). Where --out lies inside a folder being
  // stripped, say so: photos already there (--out naming an input subfolder by mistake) are not
  // stripped, and the run would otherwise not mention them.
  for (const arg of paths) {
    let argReal: string;
    try {
      argReal = fs.realpathSync(arg);
    } catch {
      continue; // the listing reports it
    }
    if (outReal !== argReal && isInside(outReal, argReal)) {
      io.err(`deid strip: note: --out ${escapeText(opts.out)} lies inside ${escapeText(arg)}; nothing under it is read as input`);
    }
  }
  const committer = new Committer({ replace: Boolean(opts.replace) });
  // Stopped early (Ctrl-C, Slurm's SIGTERM at the time limit, a closed output: batch.ts) or
  // failed: committed outputs stay (a --resume run picks up from them); every staged file not
  // yet in place is removed, those this thread knows of (the committer's) and those a terminated
  // worker wrote but never reported (found by folder, named by this host and pid: atomic.ts).
  const abandonedDirs = new Set<string>();
  const onAbandon = (task: Task) => {
    if (task.type !== 'strip') return;
    const dir = path.dirname(path.join(task.outDir, task.file.rel));
    if (abandonedDirs.has(dir)) return;
    abandonedDirs.add(dir);
    removeOwnTemps(dir);
  };
  try {
    return await runBatch<StripFileResult, StripTally['summary']>({
      command: 'strip',
      paths,
      opts,
      io,
      expand: { outReal },
      task: (file) => ({ type: 'strip', file, outDir, resume: Boolean(opts.resume), scanData: Boolean(opts.scanData) }),
      // An argument inside --out was readable and refused unread by rule: not "could not be read".
      entryResult: (e) =>
        e.kind === 'skip'
          ? { input: e.path, format: null, lossless: false, skipped: e.skip, reason: e.reason }
          : { input: e.path, format: null, lossless: false, error: e.error, ...(e.insideOut ? { insideOut: true } : { unreadable: true }) },
      tally: new StripTally(),
      humanLines: stripHumanLines,
      summaryLine: summaryLineFor.strip,
      exitCode: stripExitCode,
      exitReason: stripExitReason,
      onArrive: (r) => committer.track(r),
      onResult: (r) => committer.commit(r),
      onDiscard: (r) => committer.discard(r),
      onAbandon,
      abandonNow: () => committer.abandon(),
    });
  } finally {
    committer.abandon();
  }
}
