import { type BatchOptions, runBatch } from './batch';
import type { Detectors } from './detect/detector';
import type { Io } from './io';
import { readPolicy, readTrustedList } from './options';
import { summaryLineFor, VerifyTally, verifyExitCode, verifyExitReason, verifyHumanLines } from './summary';
import type { VerifyFileResult } from './tasks/types';

export interface VerifyOptions extends BatchOptions {
  requireSidecar?: boolean;
  policy?: string;
  /** Residual check (issue 11): run the detectors, report what no obscured region covers. */
  pixels?: boolean;
  trustedReviewers?: string;
  scanData?: boolean;
}

/** `deid verify <paths...>` (DESIGN.md "Command line contract"; issue 12 batch options). */
export async function verifyCommand(paths: string[], opts: VerifyOptions, io: Io): Promise<number> {
  const policy = await readPolicy(opts.policy);
  const trustedReviewers = await readTrustedList(opts.trustedReviewers);
  return runBatch<VerifyFileResult, VerifyTally['summary']>({
    command: 'verify',
    paths,
    opts,
    io,
    task: (file) => ({ type: 'verify', file, requireSidecar: Boolean(opts.requireSidecar), policy, trustedReviewers, scanData: Boolean(opts.scanData) }),
    entryResult: (e) =>
      e.kind === 'skip'
        ? { path: e.path, format: null, clean: false, findings: [], skipped: e.skip, reason: e.reason }
        : { path: e.path, format: null, clean: false, findings: [], error: e.error, unreadable: true },
    tally: new VerifyTally(),
    humanLines: verifyHumanLines,
    summaryLine: summaryLineFor.verify,
    exitCode: verifyExitCode,
    exitReason: verifyExitReason,
    ...(opts.pixels ? { after: pixelChecker() } : {}),
  });
}

/**
 * `--pixels`: in this thread, one file at a time, so the detectors load once for the whole batch
 * (on the first image that needs them) and never run twice at once.
 */
function pixelChecker(): (r: VerifyFileResult) => Promise<void> {
  let detectors: Promise<Detectors> | null = null;
  let queue: Promise<void> = Promise.resolve();
  return (r) => {
    const run = async () => {
      if (r.error || r.skipped || r.format === null) return;
      detectors ??= import('./detect/detector').then((m) => m.Detectors.load());
      const { addPixelFindings } = await import('./detect/residual');
      await addPixelFindings([r], await detectors);
    };
    queue = queue.then(run, run);
    return queue;
  };
}
