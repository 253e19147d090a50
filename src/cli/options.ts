import { promises as fs } from 'node:fs';
import { type Command, CommanderError, Option } from 'commander';
import { DeidError } from '../core/errors';
import { DEFAULT_POLICY, loadPolicy } from '../core/policy/policy';
import type { Policy } from '../core/policy/types';
import { EXIT_USAGE } from './io';
import { parseShard } from './shard';
import { withoutByteOrderMark } from '../core/text';
import { isBlank } from './output-paths';

/** Options several commands share; each command block in main.ts adds the ones it takes. */

export function usageError(code: string, message: string): CommanderError {
  return new CommanderError(EXIT_USAGE, `deid.${code}`, message);
}

function parseJobs(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw usageError('jobs', `--jobs must be a whole number from 1 to 256, not "${value}"`);
  return n;
}

export function jobsOption(): Option {
  return new Option('--jobs <n>', 'worker threads (default: this thread alone, unless the batch is large enough to repay starting workers and other cores are idle: then one worker per idle core)').argParser(parseJobs);
}

export async function readPolicy(file: string | undefined): Promise<Policy> {
  if (file === undefined) return DEFAULT_POLICY;
  // An unset variable (--policy "$POLICY") must not quietly mean the default policy.
  if (isBlank(file)) throw new DeidError('usage', '--policy is empty: name the policy file, or leave --policy out for the default policy');
  let json: unknown;
  try {
    json = JSON.parse(withoutByteOrderMark(await fs.readFile(file, 'utf8')));
  } catch (e) {
    throw new DeidError('usage', `cannot read the policy ${file}: ${(e as NodeJS.ErrnoException).code ?? 'not JSON'}`);
  }
  return loadPolicy(json);
}

/**
 * `--trusted-reviewers <file>` (verify, bag create, bag verify): the key fingerprints whose
 * sign-offs count, or undefined when the option is not given (any valid signature). An empty
 * value (an unset variable) is an error, not "trust any key".
 */
export async function readTrustedList(file: string | undefined): Promise<string[] | undefined> {
  return file === undefined ? undefined : (await import('./review/keys')).readTrustedReviewers(file);
}

/** The options every batch command takes (batch.ts); a command block calls this once. */
export function addBatchOptions(command: Command): Command {
  return command
    .option('--files-from <file>', 'read more paths from a file, one per line ("-" for stdin), e.g. from find')
    .option('-0, --null', 'with --files-from: paths are separated by NUL (find -print0)')
    .addOption(new Option('--shard <K/N>', 'take only share K (0-based) of N, by a hash of each relative path (Slurm arrays, parallel)').argParser(parseShard))
    .option('--jsonl', 'print one JSON line per file as it is done, then a summary line (for deid summarize)')
    .option('--allow-skipped', 'exit 0 even when some files were skipped (not images, hidden, symlinks) or none was checked')
    .addOption(jobsOption());
}

/** `detect --margin`: a share of the box added on each side (here, not in detect.ts, so that
 *  declaring the command does not load the detectors). */
export function parseMargin(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 2) throw usageError('margin', `--margin must be a share from 0 to 2 (0.25 = a quarter of the box on each side), not "${value}"`);
  return n;
}
