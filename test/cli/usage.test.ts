import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SAMPLE } from '../helpers/paths';
import { deid, json } from './run';

let tmp: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'deid-usage-'));
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

test('no command is a usage error (exit 2)', async () => {
  expect((await deid()).code).toBe(2);
});

test('strip without --out is a usage error and writes nothing', async () => {
  const r = await deid('strip', SAMPLE);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/--out/);
});

test('a path that does not exist is unreadable input (exit 2) and is reported', async () => {
  const r = await deid('verify', '--json', path.join(tmp, 'missing.jpg'));
  expect(r.code).toBe(2);
  const report = json(r.stdout);
  expect(report.summary).toEqual({ files: 1, clean: 0, withFindings: 0, errors: 1 });
  expect(report.files[0].error).toMatch(/cannot read/);
});

test('a named file that is not an image is an error; inside a directory it is skipped', async () => {
  const text = path.join(tmp, 'notes.txt');
  await fs.writeFile(text, 'not an image');
  const named = await deid('verify', '--json', text);
  expect(named.code).toBe(2);
  expect(json(named.stdout).files[0].error).toMatch(/not a JPEG, PNG/);
  const inDir = await deid('verify', '--json', tmp);
  expect(inDir.code).toBe(0);
  expect(json(inDir.stdout).summary.files).toBe(0);
});

test('--jobs must be a positive whole number', async () => {
  expect((await deid('verify', '--jobs', '0', SAMPLE)).code).toBe(2);
});

test('strip never writes over an input, even when told to write into the input folder', async () => {
  const input = path.join(tmp, 'a.jpg');
  await fs.copyFile(SAMPLE, input);
  const before = await fs.readFile(input);
  const r = await deid('strip', '--json', tmp, '--out', tmp);
  expect(r.code).toBe(1);
  expect(json(r.stdout).files[0].error).toMatch(/overwrite an input/);
  expect(Buffer.compare(await fs.readFile(input), before)).toBe(0);
  expect((await fs.readdir(tmp)).sort()).toEqual(['a.jpg']);
});

test('a truncated JPEG is reported as unreadable input with its reason (exit 2), and strip refuses it', async () => {
  const cut = path.join(tmp, 'cut.jpg');
  const bytes = await fs.readFile(SAMPLE);
  await fs.writeFile(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
  const v = await deid('verify', '--json', cut);
  expect(v.code).toBe(2);
  expect(json(v.stdout).files[0].error).toMatch(/^truncated: JPEG/);
  const out = path.join(tmp, 'out');
  const s = await deid('strip', '--json', cut, '--out', out);
  expect(s.code).toBe(1);
  expect(json(s.stdout).files[0].error).toMatch(/refused, nothing written: truncated/);
  await expect(fs.readdir(out)).rejects.toThrow();
});
