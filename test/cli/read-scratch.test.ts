import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readInputFile, ReadScratch, SCRATCH_MAX, withReadScratch } from '../../src/cli/read-input';
import type { StripFileResult, VerifyFileResult } from '../../src/cli/tasks/types';
import { scanMetadata, stripMetadata } from '../../src/core/metadata/scan';
import { allFiles } from '../helpers/files';
import { CORPUS } from '../helpers/paths';
import { deid, json } from './run';

/**
 * The kept read buffer (read-input.ts ReadScratch): the same bytes as a fresh read, really kept
 * (a later read lands where an earlier view points), one per task in flight, and never leaking
 * one file's bytes into another's result when two tasks interleave in a batch.
 */
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-scratch-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const corpusJpegs = () => allFiles(path.join(CORPUS, 'jpg')).filter((f) => /\.jpe?g$/i.test(f));

test('files read one after another through one scratch are the same bytes as read fresh, however the sizes go', () => {
  const files = corpusJpegs().slice(0, 40);
  // Small, large, small: the kept buffer grows, then serves a smaller file from its start.
  files.sort((a, b) => fs.statSync(a).size - fs.statSync(b).size);
  const order = [...files.slice(0, 5), ...files.slice(-5), ...files.slice(5, 10)];
  const scratch = new ReadScratch();
  for (const f of order) expect(Buffer.from(readInputFile(f, undefined, undefined, scratch)).equals(fs.readFileSync(f))).toBe(true);
});

test('the buffer is kept: a second read lands where the first read\'s view points', () => {
  const [a, b] = corpusJpegs().slice(0, 2).map((f) => fs.readFileSync(f));
  const fa = path.join(dir, 'a.jpg');
  const fb = path.join(dir, 'b.jpg');
  fs.writeFileSync(fa, a);
  fs.writeFileSync(fb, Buffer.concat([b, a]).subarray(0, a.length)); // same size, other bytes
  const scratch = new ReadScratch();
  const first = readInputFile(fa, undefined, undefined, scratch);
  expect(Buffer.from(first).equals(a)).toBe(true);
  readInputFile(fb, undefined, undefined, scratch);
  // Why a result must never hold a view of what it read: the view now shows the next file.
  expect(Buffer.from(first).equals(fs.readFileSync(fb))).toBe(true);
  expect(Buffer.from(first).equals(a)).toBe(false);
});

test('a file past SCRATCH_MAX gets a buffer of its own, and the kept one is untouched by it', () => {
  const small = path.join(dir, 'small.bin');
  const big = path.join(dir, 'big.bin');
  fs.writeFileSync(small, Buffer.alloc(1000, 0x11));
  fs.writeFileSync(big, Buffer.alloc(SCRATCH_MAX + 1, 0x22));
  const scratch = new ReadScratch();
  const view = readInputFile(small, undefined, undefined, scratch);
  const whole = readInputFile(big, undefined, undefined, scratch);
  expect(whole.length).toBe(SCRATCH_MAX + 1);
  expect(whole.every((x) => x === 0x22)).toBe(true);
  expect(view.every((x) => x === 0x11)).toBe(true);
  expect(whole.buffer).not.toBe(view.buffer);
});

test('tasks in flight at once each hold their own scratch; a settled task hands its scratch on', async () => {
  const held: ReadScratch[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const first = withReadScratch(async (s) => {
    held.push(s);
    await gate;
  });
  const second = withReadScratch(async (s) => {
    held.push(s);
    await gate;
  });
  await Promise.resolve();
  expect(held).toHaveLength(2);
  expect(held[0]).not.toBe(held[1]);
  release();
  await Promise.all([first, second]);
  const again = await withReadScratch(async (s) => s);
  expect(held).toContain(again);
  // A task that throws still hands its scratch back.
  await expect(withReadScratch(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  const after = await Promise.all([withReadScratch(async (s) => s), withReadScratch(async (s) => s)]);
  for (const s of after) expect(held).toContain(s);
});

test('a batch (two tasks in flight per thread) gives each file exactly its own results: strip bytes and verify findings', async () => {
  const out = path.join(dir, 'out');
  const s = await deid('strip', '--json', path.join(CORPUS, 'jpg'), '--out', out);
  const written = json<{ files: StripFileResult[] }>(s.stdout).files.filter((f) => f.output && f.lossless);
  expect(written.length).toBeGreaterThan(50);
  for (const f of written) {
    const expected = stripMetadata(new Uint8Array(fs.readFileSync(f.input))).bytes;
    expect(Buffer.from(expected).equals(fs.readFileSync(f.output!))).toBe(true);
  }
  const v = await deid('verify', '--json', path.join(CORPUS, 'jpg'));
  const files = json<{ files: VerifyFileResult[] }>(v.stdout).files.filter((f) => f.format !== null && !f.error);
  expect(files.length).toBeGreaterThan(50);
  for (const f of files) {
    const alone = await scanMetadata(new Uint8Array(fs.readFileSync(f.path)));
    expect(f.findings).toEqual(alone.findings);
  }
});
