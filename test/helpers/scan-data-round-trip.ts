import * as path from 'node:path';
import { deid, json } from '../cli/run';

/**
 * `deid verify --scan-data` finds `file` clean (exit 0) and `deid strip --scan-data` rewrites it
 * losslessly into `out` (exit 0). Returns the written copy, for the caller's pixel oracle.
 */
export async function cleanAndStrippedLosslessly(file: string, out: string): Promise<string> {
  const verified = await deid('verify', '--json', '--scan-data', file);
  expect(json(verified.stdout).files[0]).toMatchObject({ clean: true, findings: [] });
  expect(verified.code).toBe(0);
  const stripped = await deid('strip', '--json', '--scan-data', file, '--out', out);
  expect(json(stripped.stdout).files[0]).toMatchObject({ lossless: true });
  expect(stripped.code).toBe(0);
  return path.join(out, path.basename(file));
}
