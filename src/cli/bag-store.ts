import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Algorithm, BagStore } from '../core/bagit';

/** Bags larger than this in one tag file are refused: tag files are a few kilobytes. */
const MAX_TAG_FILE = 64 * 1024 * 1024;

/**
 * A bag folder on disk. Links are never followed (lstat): a symlink inside a bag could point
 * anywhere, so it is reported as "other", which the validator refuses.
 */
export function folderStore(root: string): BagStore {
  return {
    async list() {
      const out: Array<{ path: string; kind: 'file' | 'dir' | 'other'; size: number }> = [];
      const walk = (rel: string) => {
        const dir = path.join(root, rel);
        for (const name of fs.readdirSync(dir).sort()) {
          const r = rel ? `${rel}/${name}` : name;
          const st = fs.lstatSync(path.join(root, r));
          if (st.isDirectory()) {
            out.push({ path: r, kind: 'dir', size: 0 });
            walk(r);
          } else out.push({ path: r, kind: st.isFile() ? 'file' : 'other', size: st.size });
        }
      };
      walk('');
      return out;
    },
    async read(rel) {
      const full = path.join(root, rel);
      if (fs.lstatSync(full).size > MAX_TAG_FILE) throw new Error(`${rel} is larger than a tag file can be`);
      return fs.readFileSync(full);
    },
    digest: (rel, algorithms) => digestFile(path.join(root, rel), algorithms),
  };
}

/** Every algorithm over one streamed read: payload files can be far larger than memory. */
export function digestFile(file: string, algorithms: readonly Algorithm[]): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const hashes = algorithms.map((a) => [a, createHash(a)] as const);
    fs.createReadStream(file, { highWaterMark: 1 << 20 })
      .on('data', (chunk) => {
        for (const [, h] of hashes) h.update(chunk);
      })
      .on('error', reject)
      .on('end', () => resolve(Object.fromEntries(hashes.map(([a, h]) => [a, h.digest('hex')]))));
  });
}
