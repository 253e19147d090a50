import * as path from 'node:path';
import { commitStagedOutputs, inputIdentities } from './commit';
import { expandInputs } from './inputs';
import { EXIT_USAGE, type Io } from './io';
import { runTasks } from './pool';
import { createProgress } from './progress';
import { formatStripHuman, summarizeStrip } from './summary';
import type { StripFileResult, Task } from './tasks/types';

export interface StripOptions {
  out: string;
  json?: boolean;
  jobs?: number;
}

/** `deid strip <paths...> --out <dir>` (DESIGN.md "Command line contract"). */
export async function stripCommand(paths: string[], opts: StripOptions, io: Io): Promise<number> {
  const { files, problems } = await expandInputs(paths);
  const inputs = inputIdentities(files.map((f) => f.path));
  const outDir = path.resolve(opts.out);
  const tasks: Task[] = files.map((file) => ({ type: 'strip', file, outDir }));
  const progress = createProgress(tasks.length, 'strip');
  const results = (await runTasks(tasks, { jobs: opts.jobs, onResult: (d) => progress.update(d) })) as StripFileResult[];
  progress.stop();
  commitStagedOutputs(results, inputs);
  const reported: StripFileResult[] = [
    ...problems.map((p) => ({ input: p.path, format: null, lossless: false, error: p.error })),
    ...results.filter((r) => !r.skipped),
  ];
  const summary = summarizeStrip(reported);
  if (opts.json) io.out(JSON.stringify({ files: reported, summary }, null, 2));
  else io.out(formatStripHuman(reported, summary));
  if (problems.length > 0) return EXIT_USAGE;
  return summary.errors > 0 ? 1 : 0;
}
