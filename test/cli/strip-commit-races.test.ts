import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { Committer } from '../../src/cli/commit';
import type { StripFileResult } from '../../src/cli/tasks/types';

// Two ways strip's commit (commit.ts) said something other than what was on disk, each needing a
// moment the CLI cannot pin down, so the Committer is driven here in that order:
// - --resume --replace with two inputs of one output name (ward4/x.jpg, ward3/x.jpg): ward3's
//   worker found its earlier output and reported it kept while the main thread had just put
//   ward4's photo there (--replace); the run exited 0 saying ward3's clean copy was in place.
// - two shards writing into one --out (docs/scale.md): a file the other shard puts at the name
//   between the check and the rename was replaced without --replace, that photo's copy lost.
// The oracle is the bytes on disk after each commit.

/** The other shard: what happens right after this one looks at `output` and finds nothing. */
const mockRace: { output: string | null; write: (() => void) | null } = { output: null, write: null };

jest.mock('node:fs', () => {
  const real = jest.requireActual<typeof import('node:fs')>('node:fs');
  return {
    ...real,
    lstatSync: (...args: Parameters<typeof real.lstatSync>) => {
      const [p] = args;
      try {
        return real.lstatSync(...args);
      } finally {
        if (mockRace.write && p === mockRace.output) {
          const write = mockRace.write;
          mockRace.write = null;
          write();
        }
      }
    },
  };
});

let work: string;
let photoA: Buffer;
let photoB: Buffer;
beforeAll(async () => {
  // Two clean images (no metadata), as strip writes them: each could be an earlier output.
  photoA = await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 200, g: 10, b: 10 } } }).jpeg().toBuffer();
  photoB = await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 10, g: 10, b: 200 } } }).jpeg().toBuffer();
});
beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-commit-race-'));
  fs.mkdirSync(path.join(work, 'out'));
  for (const [dir, bytes] of [['ward3', photoA], ['ward4', photoB]] as const) {
    fs.mkdirSync(path.join(work, dir));
    fs.writeFileSync(path.join(work, dir, 'x.jpg'), bytes);
  }
});
afterEach(() => {
  mockRace.output = null;
  mockRace.write = null;
  fs.rmSync(work, { recursive: true, force: true });
});

function staged(output: string, bytes: Buffer): string {
  const file = path.join(path.dirname(output), `.${path.basename(output)}.deid-tmp-test-${process.pid}-${Math.random().toString(16).slice(2)}`);
  fs.writeFileSync(file, bytes);
  return file;
}

test('--resume --replace: an input whose output another input replaced in this run is not reported kept', () => {
  const output = path.join(work, 'out', 'x.jpg');
  fs.writeFileSync(output, photoA); // ward3's output from an earlier run
  const committer = new Committer({ replace: true });
  // ward4 first: its staged output replaces the earlier one (--replace).
  const b: StripFileResult = { input: path.join(work, 'ward4', 'x.jpg'), output, format: 'jpeg', lossless: true, staged: staged(output, photoB) };
  committer.track(b);
  // ward3's worker looked before that commit and found its own output there.
  const a: StripFileResult = { input: path.join(work, 'ward3', 'x.jpg'), output, format: 'jpeg', lossless: true, resumed: true };
  committer.commit(b);
  committer.commit(a);
  expect(b.error).toBeUndefined();
  expect(fs.readFileSync(output).equals(photoB)).toBe(true);
  expect(a).toMatchObject({ error: expect.stringMatching(/ward4\/x\.jpg already wrote .*x\.jpg in this run/) });
  expect(a.resumed).toBeUndefined();
  expect(a.output).toBeUndefined();
});

test('a file another shard puts at the output name after the check is not replaced without --replace', () => {
  const output = path.join(work, 'out', 'x.jpg');
  mockRace.output = output;
  mockRace.write = () => fs.writeFileSync(output, photoA);
  const committer = new Committer();
  const b: StripFileResult = { input: path.join(work, 'ward4', 'x.jpg'), output, format: 'jpeg', lossless: true, staged: staged(output, photoB) };
  committer.track(b);
  committer.commit(b);
  expect(mockRace.write).toBeNull(); // the other shard did write
  expect(fs.readFileSync(output).equals(photoA)).toBe(true);
  expect(b).toMatchObject({ error: expect.stringMatching(/an earlier output is already at .*x\.jpg and differs from this one/) });
  expect(b.replaced).toBeUndefined();
  expect(fs.readdirSync(path.join(work, 'out'))).toEqual(['x.jpg']);
});

test('the same race with the same bytes (one photo on two cards) writes without a refusal; with no race the output is written', () => {
  const output = path.join(work, 'out', 'x.jpg');
  mockRace.output = output;
  mockRace.write = () => fs.writeFileSync(output, photoB);
  const committer = new Committer();
  const b: StripFileResult = { input: path.join(work, 'ward4', 'x.jpg'), output, format: 'jpeg', lossless: true, staged: staged(output, photoB) };
  committer.commit(b);
  expect(b.error).toBeUndefined();
  expect(b.replaced).toBeUndefined();
  expect(fs.readFileSync(output).equals(photoB)).toBe(true);
  const other = path.join(work, 'out', 'y.jpg');
  const c: StripFileResult = { input: path.join(work, 'ward3', 'x.jpg'), output: other, format: 'jpeg', lossless: true, staged: staged(other, photoA) };
  committer.commit(c);
  expect(c.error).toBeUndefined();
  expect(fs.readFileSync(other).equals(photoA)).toBe(true);
  expect(fs.readdirSync(path.join(work, 'out')).sort()).toEqual(['x.jpg', 'y.jpg']);
});
