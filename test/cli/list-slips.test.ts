import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SAMPLE, SAMPLE_RECIPE } from '../helpers/paths';
import { deid, json } from './run';

let tmp: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'deid-slips-'));
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

test('a list written by find -print0 but read without -0 is refused, saying -0 is needed', async () => {
  const a = path.join(tmp, 'a.jpg');
  await fs.copyFile(SAMPLE, a);
  const list = path.join(tmp, 'list');
  await fs.writeFile(list, `${a}\0${a}\0`);
  const r = await deid('verify', '--files-from', list);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/an entry holds a NUL byte; a NUL-separated list \(find -print0, parallel -0\) needs -0/);
  expect((await deid('verify', '--json', '--files-from', list, '-0')).code).toBe(1);
});

test('a path that cannot be read says why in words, after the code', async () => {
  await fs.writeFile(path.join(tmp, 'a-file'), 'x');
  const r = await deid('verify', '--json', path.join(tmp, 'missing.jpg'), path.join(tmp, 'a-file', 'below'));
  expect(r.code).toBe(2);
  const errors = json(r.stdout).files.map((f: { error?: string }) => f.error);
  expect(errors).toEqual(['cannot read: ENOENT (no such file or folder)', 'cannot read: ENOTDIR (a part of the path is a file, not a folder)']);
});

test('-0 without --files-from, and an empty --out (an unset variable), are usage errors; nothing is written', async () => {
  const a = path.join(tmp, 'a.jpg');
  await fs.copyFile(SAMPLE, a);
  const nul = await deid('verify', '-0', a);
  expect(nul.code).toBe(2);
  expect(nul.stderr).toMatch(/-0 reads a NUL-separated --files-from list; there is no --files-from/);
  const cwd = process.cwd();
  const before = await fs.readdir(cwd);
  const empty = await deid('strip', a, '--out', '');
  expect(empty.code).toBe(2);
  expect(empty.stderr).toMatch(/--out is empty: name the folder/);
  expect(await fs.readdir(cwd)).toEqual(before);
});

test('an empty --policy, --trusted-reviewers or --key (an unset variable) is a usage error, never "the default" or "trust anyone"', async () => {
  const a = path.join(tmp, 'a.jpg');
  await fs.copyFile(SAMPLE, a);
  for (const [args, message] of [
    [['verify', a, '--policy', ''], /--policy is empty/],
    [['verify', a, '--trusted-reviewers', ''], /--trusted-reviewers is empty/],
    [['review', tmp, '--no-open', '--key', ' '], /--key is empty/],
    [['report', tmp, '--out', ' '], /--out needs a path; an empty one was given/],
  ] as const) {
    const r = await deid(...args);
    expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
    expect(r.stderr).toMatch(message);
  }
});

test('a policy file or a sidecar saved with a byte-order mark (Windows Notepad) reads as without one', async () => {
  const policy = path.join(tmp, 'policy.json');
  await fs.writeFile(policy, '\uFEFF{"maxCellsAcross": 5}');
  const out = path.join(tmp, 'out');
  const applied = await deid('apply', SAMPLE_RECIPE, SAMPLE, '--out', out, '--policy', policy, '--json');
  expect(applied.code).toBe(0);
  const before = await deid('verify', '--json', out);
  const sidecar = json(applied.stdout).sidecar as string;
  await fs.writeFile(sidecar, `\uFEFF${await fs.readFile(sidecar, 'utf8')}`);
  const after = await deid('verify', '--json', out);
  expect(after.code).toBe(before.code);
  expect(json(after.stdout).files[0].findings).toEqual(json(before.stdout).files[0].findings);
});
