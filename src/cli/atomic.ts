import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * Writes each file to a temporary name in the target directory, then renames it into place
 * (rename is atomic within one file system), so a reader never sees half a file. If any write
 * fails, every temporary file and every file already renamed by this call is removed again:
 * an export and its sidecar appear together or not at all.
 */
export async function writeFilesAtomically(files: ReadonlyArray<{ path: string; bytes: Uint8Array | string }>): Promise<void> {
  const staged: Array<{ tmp: string; final: string }> = [];
  const placed: string[] = [];
  try {
    for (const f of files) {
      await fs.mkdir(path.dirname(f.path), { recursive: true });
      const tmp = path.join(path.dirname(f.path), `.${path.basename(f.path)}.${randomBytes(6).toString('hex')}.tmp`);
      staged.push({ tmp, final: f.path });
      await fs.writeFile(tmp, f.bytes, { flag: 'wx' });
    }
    for (const s of staged) {
      await fs.rename(s.tmp, s.final);
      placed.push(s.final);
    }
  } catch (e) {
    await Promise.all([...staged.map((s) => fs.rm(s.tmp, { force: true })), ...placed.map((p) => fs.rm(p, { force: true }))]);
    throw e;
  }
}
