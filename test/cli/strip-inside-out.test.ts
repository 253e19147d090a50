import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runDeid } from '../helpers/cli';
import { SAMPLE } from '../helpers/paths';

// `deid strip photos --out photos` is refused with advice, but the run counted it as an input
// that "could not be read" (stderr, and `unreadable` in --json): the folder was read fine, and
// that line sent people looking for a permissions problem. It is a refusal by rule, and says so.

const run = runDeid;

let work: string;
beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-inside-out-'));
  fs.mkdirSync(path.join(work, 'photos'));
  fs.copyFileSync(SAMPLE, path.join(work, 'photos', 'IMG_0001.jpg'));
});
afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

const ADVICE = 'refused: this folder is the --out folder or inside it, and outputs are never read as input: give --out a folder that does not hold the photos (a new one beside them)';

test('strip X --out X: refused, counted as the --out folder (not as unreadable), exit 2, nothing written', () => {
  const r = run(['strip', 'photos', '--out', 'photos'], work);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe(`REFUSED   photos: ${ADVICE}\n1 files: 0 written, 1 refused (1 input is the --out folder or inside it)\n`);
  expect(r.stderr).toBe('deid strip: exit 2: 1 input is the --out folder or inside it (refused unread: outputs are never read as input); give --out a new folder beside the photos\n');
  expect(r.stderr).not.toMatch(/could not be read/);
  expect(fs.readdirSync(path.join(work, 'photos'))).toEqual(['IMG_0001.jpg']);
  expect(fs.readFileSync(path.join(work, 'photos', 'IMG_0001.jpg')).equals(fs.readFileSync(SAMPLE))).toBe(true);

  const j = run(['strip', '--json', 'photos', '--out', 'photos'], work);
  expect(j.code).toBe(2);
  const out = JSON.parse(j.stdout);
  expect(out.files).toEqual([{ input: 'photos', format: null, lossless: false, error: ADVICE, insideOut: true }]);
  expect(out.summary).toEqual({ files: 1, written: 0, resumed: 0, replaced: 0, errors: 1, skipped: 0, sidecars: 0, unreadable: 0, insideOut: 1 });
});

test('a file inside --out and a path that does not exist are each counted for what they are', () => {
  const r = run(['strip', path.join('photos', 'IMG_0001.jpg'), 'missing.jpg', '--out', 'photos'], work);
  expect(r.code).toBe(2);
  expect(r.stdout.split('\n').at(-2)).toBe('2 files: 0 written, 2 refused (1 could not be read, 1 input is the --out folder or inside it)');
  expect(r.stderr).toBe('deid strip: exit 2: 1 input could not be read; 1 input is the --out folder or inside it (refused unread: outputs are never read as input); give --out a new folder beside the photos\n');
});

test('summarize merges these runs, and --jsonl lines of an earlier deid (no insideOut count) as before', () => {
  const first = run(['strip', '--jsonl', 'photos', '--out', 'photos'], work);
  fs.writeFileSync(path.join(work, 'inside.jsonl'), first.stdout);
  const merged = run(['summarize', '--json', 'inside.jsonl'], work);
  expect(merged.code).toBe(2);
  expect(JSON.parse(merged.stdout).summary).toMatchObject({ insideOut: 1, unreadable: 0 });
  expect(merged.stderr).toMatch(/exit 2: 1 input is the --out folder or inside it/);

  // An earlier version's run over an ordinary folder: its summary line has no insideOut.
  const ok = run(['strip', '--jsonl', 'photos', '--out', 'stripped'], work);
  expect(ok.code).toBe(0);
  const lines = ok.stdout.trim().split('\n');
  const last = JSON.parse(lines.pop()!);
  delete last.summary.insideOut;
  fs.writeFileSync(path.join(work, 'earlier.jsonl'), `${[...lines, JSON.stringify(last)].join('\n')}\n`);
  const old = run(['summarize', 'earlier.jsonl'], work);
  expect(old.stderr).toBe('');
  expect(old.code).toBe(0);
  expect(old.stdout).toBe('1 files: 1 written, 0 refused\n');
});
