import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { REPO } from './paths';

/** The built command line, as a user runs it (npm test builds it first). */
export const DEID = path.join(REPO, 'bin', 'deid.js');

export interface DeidRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `deid args...` in `cwd` and waits for it. */
export function runDeid(args: readonly string[], cwd?: string): DeidRun {
  const r = spawnSync(process.execPath, [DEID, ...args], { encoding: 'utf8', cwd });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
