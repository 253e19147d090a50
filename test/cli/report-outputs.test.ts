import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SAMPLE } from '../helpers/paths';
import { allFiles } from '../helpers/files';
import { applySample } from '../helpers/review';
import { deid } from './run';

/**
 * Where `deid report` may write: never inside the folder it reports on, never over a file that is
 * not an earlier report, never the HTML and the CSV to one file. Each refusal comes before the
 * re-verification and leaves every file as it was.
 */
let work: string;
let exp: string;
let id: string;

function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(allFiles(dir).map((f) => [path.relative(dir, f), createHash('sha256').update(fs.readFileSync(f)).digest('hex')]));
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-report-out-'));
  exp = path.join(work, 'exp');
  ({ id } = await applySample(exp));
}, 120_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

async function refused(args: string[], message: RegExp): Promise<void> {
  const before = snapshot(work);
  const r = await deid('report', exp, ...args);
  expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
  expect(r.stderr).toMatch(message);
  expect(r.stdout).toBe('');
  expect(snapshot(work)).toEqual(before);
}

test('an --out or --csv inside the folder being reported is refused: a signed export or sidecar is never replaced', async () => {
  await refused(['--out', path.join(exp, `${id}.jpg`)], /--out .*\.jpg is inside the folder being reported/);
  await refused(['--out', path.join(work, 'r.html'), '--csv', path.join(exp, `${id}.deid.json`)], /--csv .*\.deid\.json is inside the folder being reported/);
  // A new file inside is refused too: the next report or bag would read it as part of the folder.
  await refused(['--out', path.join(exp, 'report.html')], /inside the folder being reported/);
  await refused(['--out', path.join(exp, 'sub', '..', 'report.html')], /inside the folder being reported/);
});

test('an existing file that is not an earlier report is refused, as is a folder', async () => {
  const photo = path.join(work, 'photo.jpg');
  fs.copyFileSync(SAMPLE, photo);
  const linkage = path.join(work, 'linkage.csv');
  fs.writeFileSync(linkage, 'alternate_id,mrn\nDEID-X,MRN-123456\n');
  await refused(['--out', photo], /--out .*photo\.jpg already exists and is not a report deid wrote; choose another name or remove it/);
  await refused(['--out', path.join(work, 'r.html'), '--csv', linkage], /--csv .*linkage\.csv already exists and is not a report deid wrote/);
  await refused(['--out', work], /--out .* is a folder; name the file to write/);
  fs.rmSync(photo);
  fs.rmSync(linkage);
});

test('--out and --csv naming one file, or an empty path, are usage errors', async () => {
  const same = path.join(work, 'same.html');
  await refused(['--out', same, '--csv', same], /--out and --csv name the same file/);
  await refused(['--out', same, '--csv', path.join(work, '.', 'same.html')], /--out and --csv name the same file/);
  await refused(['--out', ''], /--out needs a path; an empty one was given/);
  await refused(['--out', same, '--csv', ''], /--csv needs a path; an empty one was given/);
});

test('an earlier report (HTML and CSV) is replaced by the new one', async () => {
  const html = path.join(work, 'report.html');
  const csv = path.join(work, 'report.csv');
  expect((await deid('report', exp, '--out', html, '--csv', csv)).code).toBe(0);
  fs.writeFileSync(html, fs.readFileSync(html, 'utf8').replace(/Generated [^ ]+/, 'Generated earlier'));
  const again = await deid('report', exp, '--out', html, '--csv', csv);
  expect(again.stderr).toBe('');
  expect(again.code).toBe(0);
  expect(fs.readFileSync(html, 'utf8')).not.toContain('Generated earlier');
  expect(fs.readFileSync(csv, 'utf8')).toContain(id);
  fs.rmSync(html);
  fs.rmSync(csv);
});
