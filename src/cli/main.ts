import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { DeidError, isDeidError } from '../core/errors';
import { DEFAULT_POLICY, loadPolicy } from '../core/policy/policy';
import type { Policy } from '../core/policy/types';
import { applyRecipe } from './apply';
import { commitStagedOutputs, inputIdentities } from './commit';
import { expandInputs } from './inputs';
import { runTasks } from './pool';
import { createProgress } from './progress';
import { formatStripHuman, formatVerifyHuman, summarizeStrip, summarizeVerify, verifyExitCode } from './report';
import type { StripFileResult, Task, VerifyFileResult } from './tasks/types';
import { errorText } from './tasks/verify-file';
import { TOOL_VERSION } from './version';

const EXIT_USAGE = 2;

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

const defaultIo: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
};

async function readPolicy(file: string | undefined): Promise<Policy> {
  if (!file) return DEFAULT_POLICY;
  let json: unknown;
  try {
    json = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (e) {
    throw new DeidError('usage', `cannot read the policy ${file}: ${(e as NodeJS.ErrnoException).code ?? 'not JSON'}`);
  }
  return loadPolicy(json);
}

function parseJobs(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new CommanderError(EXIT_USAGE, 'deid.jobs', `--jobs must be a whole number from 1 to 256, not "${value}"`);
  return n;
}

async function verifyCommand(paths: string[], opts: { json?: boolean; requireSidecar?: boolean; policy?: string; jobs?: number }, io: Io): Promise<number> {
  const policy = await readPolicy(opts.policy);
  const { files, problems } = await expandInputs(paths);
  const tasks: Task[] = files.map((file) => ({ type: 'verify', file, requireSidecar: Boolean(opts.requireSidecar), policy }));
  const progress = createProgress(tasks.length, 'verify');
  const results = (await runTasks(tasks, { jobs: opts.jobs, onResult: (d) => progress.update(d) })) as VerifyFileResult[];
  progress.stop();
  const reported: VerifyFileResult[] = [
    ...problems.map((p) => ({ path: p.path, format: null, clean: false, findings: [], error: p.error })),
    ...results.filter((r) => !r.skipped),
  ];
  const summary = summarizeVerify(reported);
  if (opts.json) io.out(JSON.stringify({ files: reported, summary }, null, 2));
  else io.out(formatVerifyHuman(reported, summary));
  return verifyExitCode(summary, 0);
}

async function stripCommand(paths: string[], opts: { out: string; json?: boolean; jobs?: number }, io: Io): Promise<number> {
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

async function applyCommand(recipe: string, image: string, opts: { out: string; format: 'jpeg' | 'png'; policy?: string; json?: boolean }, io: Io): Promise<number> {
  let recipeText: string;
  let imageBytes: Uint8Array;
  try {
    recipeText = await fs.readFile(recipe, 'utf8');
    imageBytes = await fs.readFile(image);
  } catch (e) {
    io.err(`deid apply: cannot read input: ${errorText(e)}`);
    return EXIT_USAGE;
  }
  try {
    const policy = await readPolicy(opts.policy);
    const result = await applyRecipe({ recipeText, imageBytes, outDir: opts.out, format: opts.format, policy });
    if (opts.json) io.out(JSON.stringify({ alternateId: result.alternateId, image: result.imagePath, sidecar: result.sidecarPath }, null, 2));
    else io.out(`wrote ${result.imagePath} and ${result.sidecarPath}`);
    return 0;
  } catch (e) {
    io.err(`deid apply: nothing written: ${errorText(e)}`);
    if (isDeidError(e) && (e.code === 'schema' || e.code === 'usage')) return EXIT_USAGE;
    if (isDeidError(e)) return 1;
    // Unreadable or undecodable image: an input problem, not a finding.
    return EXIT_USAGE;
  }
}

/** Builds the `deid` program; `io` and the exit code are returned so tests run it in-process. */
export async function runCli(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  let exitCode = 0;
  const program = new Command('deid')
    .description('Verify, strip and re-apply de-identification of photographs (deid-photo).')
    .version(TOOL_VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  const jobs = new Option('--jobs <n>', 'worker threads (default: one per core)').argParser(parseJobs);

  program
    .command('verify')
    .description('scan images for metadata; with a sidecar beside an image, check its hash, checklist and obscured regions')
    .argument('<paths...>', 'image files or directories (searched recursively)')
    .option('--json', 'print one JSON object')
    .option('--require-sidecar', 'report images that have no <id>.deid.json beside them')
    .option('--policy <file>', 'a stricter strength policy (JSON)')
    .addOption(jobs)
    .action(async (paths: string[], opts) => {
      exitCode = await verifyCommand(paths, opts, io);
    });

  program
    .command('strip')
    .description('write metadata-free copies (JPEG/PNG/WebP losslessly; TIFF/HEIF/AVIF re-encoded as PNG)')
    .argument('<paths...>', 'image files or directories (searched recursively)')
    .requiredOption('--out <dir>', 'output directory (inputs are never overwritten)')
    .option('--json', 'print one JSON object')
    .addOption(jobs)
    .action(async (paths: string[], opts) => {
      exitCode = await stripCommand(paths, opts, io);
    });

  program
    .command('apply')
    .description('replay recorded steps (a recipe or a whole sidecar) on an image and export it with a new sidecar')
    .argument('<recipe>', 'recipe JSON: {"steps": [...]} in the sidecar step format')
    .argument('<image>', 'the image to de-identify')
    .requiredOption('--out <dir>', 'output directory')
    .addOption(new Option('--format <format>', 'export format').choices(['jpeg', 'png']).default('jpeg'))
    .option('--policy <file>', 'a stricter strength policy (JSON)')
    .option('--json', 'print the written paths as JSON')
    .action(async (recipe: string, image: string, opts) => {
      exitCode = await applyCommand(recipe, image, opts, io);
    });

  try {
    await program.parseAsync(argv as string[], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with code 0; everything else is a usage error.
      return e.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    io.err(`deid: ${errorText(e)}`);
    return EXIT_USAGE;
  }
  return exitCode;
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`deid: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
      process.exitCode = EXIT_USAGE;
    },
  );
}
