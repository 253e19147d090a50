import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SAMPLE } from '../helpers/paths';
import { deid } from './run';

// Shards write into one --out. On a case-insensitive or normalization-insensitive file system
// (an exFAT transfer drive, macOS, a Windows share) IMG_0001.JPG and img_0001.jpg, or café.jpg
// written in NFC and in NFD, are one file: two shards each wrote "their" output there and the
// second replaced the first as "an earlier output" (exit 0), so one photo's copy was lost. In
// one shard the second is caught (commit.ts compares by inode) or is a separate file.
test('--shard puts names that differ only in case or Unicode normalization in the same share', async () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-shardfold-'));
  try {
    const pairs = [['IMG_0001.JPG', 'img_0001.jpg'], ['DSC01234.jpg', 'dsc01234.JPG'], ['caf\u00e9.jpg', 'cafe\u0301.jpg'], ['Ward3-Photo.jpg', 'ward3-photo.jpg']];
    for (const [i, pair] of pairs.entries()) {
      const dir = path.join(work, `p${i}`);
      fs.mkdirSync(dir);
      for (const name of pair!) fs.copyFileSync(SAMPLE, path.join(dir, name));
    }
    for (const n of [2, 3, 4, 5, 7, 8]) {
      for (const [i] of pairs.entries()) {
        const counts: number[] = [];
        for (let k = 0; k < n; k++) {
          const r = await deid('verify', '--jsonl', '--allow-skipped', '--shard', `${k}/${n}`, path.join(work, `p${i}`));
          counts.push(r.stdout.trim().split('\n').filter((l) => l.startsWith('{"path"')).length);
        }
        // Both files of the pair in one share, none in the others.
        expect({ n, pair: pairs[i], counts: counts.filter((c) => c > 0) }).toEqual({ n, pair: pairs[i], counts: [2] });
      }
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}, 120_000);
