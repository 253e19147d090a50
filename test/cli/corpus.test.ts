import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import type { StripFileResult, VerifyFileResult } from '../../src/cli/tasks/types';
import { identifyingKeysLeft, kindsImpliedByExiftool, readExiftool } from '../helpers/exiftool';
import { CORPUS, REPO } from '../helpers/paths';
import { deid, json } from './run';

/**
 * The whole shared corpus through the `deid` command line, judged by exiftool: verify reports
 * every identifying group exiftool sees; strip leaves none of them; lossless outputs decode to
 * the same pixels; the built binary (worker threads) answers exactly as the in-process run.
 */
interface VerifyReport {
  files: VerifyFileResult[];
  summary: { files: number; clean: number; withFindings: number; errors: number; skipped: number };
}
interface StripReport {
  files: StripFileResult[];
  summary: { files: number; written: number; errors: number; skipped: number };
}

let out: string;
let verify: VerifyReport;
let verifyCode: number;
let strip: StripReport;
let stripCode: number;

beforeAll(async () => {
  out = await fs.mkdtemp(path.join(os.tmpdir(), 'deid-corpus-'));
  const v = await deid('verify', '--json', CORPUS);
  verifyCode = v.code;
  verify = json(v.stdout);
  const s = await deid('strip', '--json', CORPUS, '--out', out);
  stripCode = s.code;
  strip = json(s.stdout);
});
afterAll(async () => {
  await fs.rm(out, { recursive: true, force: true });
});

test('verify reads every image in the corpus; exit 1 for findings, 2 only if a file is unreadable', () => {
  expect(verify.summary.files).toBeGreaterThanOrEqual(100);
  expect(verify.summary.withFindings).toBeGreaterThan(80);
  expect(verify.summary.clean + verify.summary.withFindings + verify.summary.errors).toBe(verify.summary.files);
  // The corpus folders hold READMEs: skipped with a reason, so the run is not a pass (exit 2).
  expect(verify.summary.skipped).toBeGreaterThan(0);
  expect(verifyCode).toBe(2);
  for (const f of verify.files.filter((x) => x.error)) {
    // Broken files get a typed, readable reason, never a crash.
    expect(f.error).toMatch(/^(malformed|truncated|unsupported): /);
  }
});

test('verify reports every identifying kind exiftool sees, for every file it could read', () => {
  const readable = verify.files.filter((f) => !f.error && (f.format === 'jpeg' || f.format === 'tiff'));
  const records = readExiftool(readable.map((f) => f.path));
  const misses: string[] = [];
  for (const f of readable) {
    const record = records.get(f.path);
    if (!record) continue;
    const { kinds } = kindsImpliedByExiftool(record, f.format as 'jpeg' | 'tiff');
    const ours = new Set(f.findings.map((x) => x.kind));
    for (const kind of kinds) if (!ours.has(kind)) misses.push(`${path.relative(CORPUS, f.path)}: ${kind}`);
  }
  expect(misses).toEqual([]);
});

test('strip writes every file it can make clean, at its relative path, and refuses the rest clearly', () => {
  // The corpus READMEs are skipped (not images), which alone makes strip exit 1.
  expect(strip.summary.skipped).toBeGreaterThan(0);
  expect(stripCode).toBe(1);
  const written = strip.files.filter((f) => f.output);
  expect(written.length).toBeGreaterThan(80);
  for (const f of written) {
    const rel = path.relative(CORPUS, f.input);
    // JPEG/PNG/WebP/HEIF keep their format (a salvaged or colour-converted one too); others become PNG.
    const keepsFormat = f.format === 'jpeg' || f.format === 'png' || f.format === 'webp' || f.lossless;
    const expected = keepsFormat ? rel : rel.replace(/\.[^./]*$/, '.png');
    expect(path.relative(out, f.output!)).toBe(expected);
    // A JPEG written other than losslessly says why (salvage or colour conversion), never silently.
    if (f.format === 'jpeg' && !f.lossless) expect(f.notice).toMatch(/^(salvaged|colours converted)/);
  }
  // TIFF is rewritten as TIFF (issue 9): lossless, at the input's own name.
  const tiffs = written.filter((f) => f.format === 'tiff');
  expect(tiffs.length).toBe(8);
  expect(tiffs.filter((f) => !f.lossless || path.extname(f.output!) !== path.extname(f.input))).toEqual([]);
  // HEIC is rewritten in its own format (no decoder needed).
  const heif = written.filter((f) => f.format === 'heif');
  expect(heif.length).toBeGreaterThanOrEqual(5);
  expect(heif.every((f) => f.lossless)).toBe(true);
  for (const f of strip.files.filter((x) => x.error)) {
    expect(f.error).toMatch(/^(refused, nothing written|cannot read)/);
    // Nothing was written: not "lossless" either.
    expect(f.lossless).toBe(false);
  }
  // A refused file left nothing behind.
  const refusedOutputs = strip.files.filter((x) => x.error).map((x) => path.join(out, path.relative(CORPUS, x.input)));
  return Promise.all(refusedOutputs.map((p) => expect(fs.stat(p)).rejects.toThrow()));
});

test('exiftool finds nothing identifying in any stripped output', () => {
  const outputs = strip.files.filter((f) => f.output).map((f) => f.output!);
  const records = readExiftool(outputs);
  const left = outputs.flatMap((o) => identifyingKeysLeft(records.get(o)!).map((k) => `${path.relative(out, o)}: ${k}`));
  expect(left).toEqual([]);
});

test('lossless outputs decode to exactly the input pixels, colour-managed as sharp does by default', async () => {
  for (const f of strip.files.filter((x) => x.output && x.lossless)) {
    // sharp converts from the embedded profile to sRGB: the kept clean profile must render the same.
    const decode = (p: string) => sharp(p).raw().toBuffer().catch((e: Error) => `undecodable: ${e.message.trim().split('\n').pop()}`);
    const [a, b] = await Promise.all([decode(f.input), decode(f.output!)]);
    // A corrupt input libjpeg cannot decode must stay exactly as undecodable, not change.
    if (typeof a === 'string' || typeof b === 'string') expect({ file: f.input, a: typeof a, b: typeof b }).toEqual({ file: f.input, a: 'string', b: 'string' });
    else expect({ file: f.input, same: Buffer.compare(a, b) }).toEqual({ file: f.input, same: 0 });
  }
});

test('verify of the stripped tree is clean (exit 0)', async () => {
  const r = await deid('verify', '--json', out);
  const report = json<VerifyReport>(r.stdout);
  expect(report.files.filter((f) => !f.clean)).toEqual([]);
  expect(r.code).toBe(0);
});

test('the built binary with worker threads gives the same report as the in-process run', () => {
  const r = spawnSync(process.execPath, [path.join(REPO, 'bin', 'deid.js'), 'verify', '--json', '--jobs', '2', CORPUS], { encoding: 'utf8', maxBuffer: 1 << 28 });
  expect(r.status).toBe(verifyCode);
  expect(json<VerifyReport>(r.stdout)).toEqual(verify);
});
