import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SAMPLE } from '../helpers/paths';
import { deid } from './run';

// A strip run, then the same run again with --resume (or verify before and after a fix): two
// complete, unsharded runs over the same files. Their lines differ, so they are not "the same
// run", but merging them counted every file twice ("4 files: 4 written" for 2 photos) and let the
// older run's refusals or findings decide the verdict of the newer.
test('summarize refuses two unsharded runs that listed the same files; runs over different files still merge', async () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-sumover-'));
  try {
    const a = path.join(work, 'a');
    const b = path.join(work, 'b');
    for (const dir of [a, b]) {
      fs.mkdirSync(dir);
      fs.copyFileSync(SAMPLE, path.join(dir, 'one.jpg'));
      fs.copyFileSync(SAMPLE, path.join(dir, 'two.jpg'));
    }
    const out = path.join(work, 'out');
    const first = await deid('strip', '--jsonl', a, '--out', out);
    expect(first.code).toBe(0);
    const again = await deid('strip', '--jsonl', '--resume', a, '--out', out);
    expect(again.code).toBe(0);
    expect(again.stdout).not.toBe(first.stdout);
    fs.writeFileSync(path.join(work, 'first.jsonl'), first.stdout);
    fs.writeFileSync(path.join(work, 'again.jsonl'), again.stdout);
    const merged = await deid('summarize', path.join(work, 'first.jsonl'), path.join(work, 'again.jsonl'));
    expect(merged.stderr).toMatch(/again\.jsonl: listed the same files as .*first\.jsonl/);
    expect(merged.stderr).toMatch(/no verdict/);
    expect(merged.code).toBe(2);

    // Different files (another folder): merged as before.
    const other = await deid('strip', '--jsonl', b, '--out', path.join(work, 'out-b'));
    fs.writeFileSync(path.join(work, 'other.jsonl'), other.stdout);
    const ok = await deid('summarize', path.join(work, 'first.jsonl'), path.join(work, 'other.jsonl'));
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^4 files: 4 written/m);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}, 60_000);
