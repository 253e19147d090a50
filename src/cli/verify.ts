import { addPixelFindings } from './detect/residual';
import { expandInputs } from './inputs';
import type { Io } from './io';
import { readPolicy } from './options';
import { runTasks } from './pool';
import { readTrustedReviewers } from './review/keys';
import { createProgress } from './progress';
import { formatVerifyHuman, summarizeVerify, verifyExitCode } from './summary';
import type { Task, VerifyFileResult } from './tasks/types';

export interface VerifyOptions {
  json?: boolean;
  requireSidecar?: boolean;
  policy?: string;
  jobs?: number;
  /** Residual check (issue 11): run the detectors, report what no obscured region covers. */
  pixels?: boolean;
  trustedReviewers?: string;
}

/** `deid verify <paths...>` (DESIGN.md "Command line contract"). */
export async function verifyCommand(paths: string[], opts: VerifyOptions, io: Io): Promise<number> {
  const policy = await readPolicy(opts.policy);
  const trustedReviewers = opts.trustedReviewers ? await readTrustedReviewers(opts.trustedReviewers) : undefined;
  const { files, problems } = await expandInputs(paths);
  const tasks: Task[] = files.map((file) => ({ type: 'verify', file, requireSidecar: Boolean(opts.requireSidecar), policy, trustedReviewers }));
  const progress = createProgress(tasks.length, 'verify');
  const results = (await runTasks(tasks, { jobs: opts.jobs, onResult: (d) => progress.update(d) })) as VerifyFileResult[];
  progress.stop();
  const reported: VerifyFileResult[] = [
    ...problems.map((p) => ({ path: p.path, format: null, clean: false, findings: [], error: p.error })),
    ...results.filter((r) => !r.skipped),
  ];
  // In this thread, after the pool: the detectors load once for the whole batch.
  if (opts.pixels) await addPixelFindings(reported);
  const summary = summarizeVerify(reported);
  if (opts.json) io.out(JSON.stringify({ files: reported, summary }, null, 2));
  else io.out(formatVerifyHuman(reported, summary));
  return verifyExitCode(summary, 0);
}
