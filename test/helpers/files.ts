import * as fs from 'node:fs';
import * as path from 'node:path';

/** Every regular file under `dir`, recursively, sorted. */
export function allFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((p) => path.join(dir, p))
    .filter((p) => fs.statSync(p).isFile())
    .sort();
}
