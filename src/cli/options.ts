import { promises as fs } from 'node:fs';
import { CommanderError, Option } from 'commander';
import { DeidError } from '../core/errors';
import { DEFAULT_POLICY, loadPolicy } from '../core/policy/policy';
import type { Policy } from '../core/policy/types';
import { EXIT_USAGE } from './io';

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
  return new Option('--jobs <n>', 'worker threads (default: chosen from the batch: in-process for small batches, else one per core)').argParser(parseJobs);
}

export async function readPolicy(file: string | undefined): Promise<Policy> {
  if (!file) return DEFAULT_POLICY;
  let json: unknown;
  try {
    json = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (e) {
    throw new DeidError('usage', `cannot read the policy ${file}: ${(e as NodeJS.ErrnoException).code ?? 'not JSON'}`);
  }
  return loadPolicy(json);
}
