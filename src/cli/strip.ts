import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeDirs, sweepOnce } from './atomic';
import { type BatchOptions, runBatch } from './batch';
import { Committer } from './commit';
import { EXIT_USAGE, type Io } from './io';
import { StripTally, stripExitCode, stripExitReason, stripHumanLines, summaryLineFor } from './summary';
import type { StripFileResult } from './tasks/types';

export interface StripOptions extends BatchOptions {
  out: string;
  resume?: boolean;
}

/** `deid strip <paths...> --out <dir>` (DESIGN.md "Command line contract"; issues 12 and 13). */
export async function stripCommand(paths: string[], opts: StripOptions, io: Io): Promise<number> {
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
    io.err(`deid strip: cannot use --out ${opts.out}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    return EXIT_USAGE;
  }
  const committer = new Committer();
  // A person's Ctrl-C or Slurm's SIGTERM at the time limit: remove staged files not yet in place
  // (committed outputs stay; a --resume run picks up from them).
  const onSignal = (signal: NodeJS.Signals) => {
    committer.abandon();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await runBatch<StripFileResult, StripTally['summary']>({
      command: 'strip',
      paths,
      opts,
      io,
      expand: { outReal },
      task: (file) => ({ type: 'strip', file, outDir, resume: Boolean(opts.resume) }),
      entryResult: (e) =>
        e.kind === 'skip'
          ? { input: e.path, format: null, lossless: false, skipped: e.skip, reason: e.reason }
          : { input: e.path, format: null, lossless: false, error: e.error, unreadable: true },
      tally: new StripTally(),
      humanLines: stripHumanLines,
      summaryLine: summaryLineFor.strip,
      exitCode: stripExitCode,
      exitReason: stripExitReason,
      onArrive: (r) => committer.track(r),
      onResult: (r) => committer.commit(r),
      onDiscard: (r) => committer.discard(r),
    });
  } finally {
    committer.abandon();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
