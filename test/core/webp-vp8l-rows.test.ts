/**
 * scanData reads a lossless WebP's pixels row by row (webp-vp8l.ts Vp8lRows, webp-vp8l-unused.ts
 * Vp8lChecks), never the whole image, and a row that repeats the one before costs no pixel work.
 * A 30-byte file declaring 15500 x 15500 (240 MP, under the 250 MP limit; every code one symbol,
 * so no bit per pixel, RFC 9649 3.7.2.1.1) took 9 s and 1.9 GB here: the image decoded whole,
 * then copied whole for the inverse transforms. Asserted as work (values computed one by one)
 * and as the peak memory of a child process running the built CLI, never as wall time; libwebp
 * (sharp) is the oracle for the pixels.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { webpFormat } from '../../src/core/metadata/webp';
import { decodeVp8lStream, readVp8lHeader } from '../../src/core/metadata/webp-vp8l';
import { Vp8lChecks } from '../../src/core/metadata/webp-vp8l-unused';
import { webpChunks } from '../helpers/chunks';
import { DEID } from '../helpers/cli';
import { findingsOf } from '../helpers/container';
import { constantImage, opaqueMarkedVp8l, vp8lFile, vp8lHeader } from '../helpers/webp-build';

const SIDE = 15500;
const VP8L_HEADER = 5;

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-vp8l-rows-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Decodes the file's VP8L stream through Vp8lChecks, as the walk does. */
function checked(file: Uint8Array, keepPixels = false): { checks: Vp8lChecks; width: number; height: number } {
  const c = webpChunks(file).find((k) => k.id === 'VP8L')!;
  const { width, height, alphaUsed } = readVp8lHeader(file, c.dataStart, c.dataEnd);
  const checks = new Vp8lChecks(width, height, { alph: false, alphaHint: alphaUsed }, keepPixels);
  decodeVp8lStream(file, c.dataStart + VP8L_HEADER, c.dataEnd, width, height, checks);
  return { checks, width, height };
}

/**
 * A predictor transform (3.3.1) whose every tile says "top" (mode 2), over a main image whose
 * every residual is +1 in red, green and blue: no bit per pixel, yet every row differs from the
 * one above (row y is y + 1 + x in each channel, modulo 256).
 */
function rampingVp8l(width: number, height: number): Uint8Array {
  return vp8lFile((w) => {
    vp8lHeader(w, width, height, false);
    w.put(1, 1).put(0, 2).put(9 - 2, 3); // a predictor transform, tiles of 512 x 512
    constantImage(w, { argb: 0xff000200 }); // mode 2 in green, alpha 255 (what libwebp's encoder writes)
    w.put(0, 1); // no further transform
    constantImage(w, { argb: 0x00010101, main: true });
  });
}

/** Peak resident memory (bytes) of `deid verify --scan-data --jsonl file` in a child process, with its exit code and output. */
function verifyInChild(file: string): { code: number | null; maxRss: number; stdout: string } {
  const preload = path.join(work, 'peak.js');
  // VmHWM, the peak resident set of this process's own memory (Linux proc(5)); getrusage's
  // maxRSS would not do: it carries the parent's (the jest worker's) across fork and exec.
  fs.writeFileSync(preload, "process.on('exit', () => process.stderr.write(`maxRSS=${1024 * Number(/VmHWM:\\s*(\\d+) kB/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1])}\\n`));\n");
  const r = spawnSync(process.execPath, ['--require', preload, DEID, 'verify', '--scan-data', '--jsonl', file], { encoding: 'utf8' });
  const rss = /maxRSS=(\d+)/.exec(r.stderr);
  if (!rss) throw new Error(`no peak reported: ${r.stderr}`);
  return { code: r.status, maxRss: Number(rss[1]), stdout: r.stdout };
}

const MiB = 1024 * 1024;

describe('a 30-byte lossless WebP declaring 15500 x 15500, one colour', () => {
  it('is clean under scanData, read with work in proportion to one row, not 240 MP', () => {
    const file = opaqueMarkedVp8l(SIDE, SIDE, 0xff808080);
    expect(file.length).toBeLessThan(40);
    expect(findingsOf(webpFormat.walk(file, { scanData: true }))).toEqual([]);
    const { checks } = checked(file);
    expect(checks.work).toBeLessThan(4 * SIDE);
  });

  it('marked opaque with its one colour half transparent: every one of its 240,250,000 pixels is counted, still from one row', () => {
    const file = opaqueMarkedVp8l(SIDE, SIDE, 0x80808080);
    expect(findingsOf(webpFormat.walk(file, { scanData: true }))).toEqual([
      expect.objectContaining({ kind: 'unknown-segment', detail: expect.stringContaining(`${SIDE * SIDE} pixel(s) with alpha below 255 in an image marked opaque`) }),
    ]);
    expect(checked(file).checks.work).toBeLessThan(4 * SIDE);
  });

  it('verify --scan-data in a child process stays far below the 1 GB one copy of its pixels takes', () => {
    const file = path.join(work, 'flat.webp');
    fs.writeFileSync(file, opaqueMarkedVp8l(SIDE, SIDE, 0xff808080));
    const r = verifyInChild(file);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.split('\n')[0])).toMatchObject({ clean: true, findings: [] });
    expect(r.maxRss).toBeLessThan(400 * MiB);
  });
});

describe('a 40-byte lossless WebP whose rows all differ (a predictor ramp)', () => {
  it('decodes to libwebp\'s pixels (small copy), every row computed', async () => {
    const file = rampingVp8l(300, 200);
    const { checks } = checked(file, true);
    const reference = await sharp(file).ensureAlpha().raw().toBuffer();
    const ours = Buffer.alloc(300 * 200 * 4);
    (checks.pixels as Uint32Array).forEach((p, i) => ours.set([(p >>> 16) & 0xff, (p >>> 8) & 0xff, p & 0xff, p >>> 24], i * 4));
    expect(ours.equals(reference)).toBe(true);
    expect(reference[4 * (300 * 199 + 5)]).toBe((200 + 5) & 0xff);
    expect(findingsOf(webpFormat.walk(file, { scanData: true }))).toEqual([]);
  });

  it('15500 x 15500: clean under verify --scan-data in a child process, its memory bounded by rows, not by the image', () => {
    const file = path.join(work, 'ramp.webp');
    fs.writeFileSync(file, rampingVp8l(SIDE, SIDE));
    const r = verifyInChild(file);
    expect(r.code).toBe(0);
    expect(r.maxRss).toBeLessThan(400 * MiB);
  });
});

test('rows handed on through the ring that holds only what a reference reaches (2^20 pixels): libwebp\'s pixels, a noisy 2400 x 1000 image', async () => {
  const width = 2400;
  const height = 1000;
  const raw = Buffer.alloc(width * height * 4);
  let x = 12345;
  for (let i = 0; i < raw.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    // Mostly smooth with noise and repeats, so the encoder uses every kind of symbol and backward references far back.
    raw[i] = i % 4 === 3 ? 255 : (((i >> 2) % width) + (x >>> 29) + (((i >> 2) / width) | 0)) & 0xff;
  }
  for (let y = 600; y < 1000; y += 3) raw.copy(raw, y * width * 4, (y - 450) * width * 4, (y - 449) * width * 4);
  const file = new Uint8Array(await sharp(raw, { raw: { width, height, channels: 4 } }).webp({ lossless: true, effort: 4 }).toBuffer());
  expect(width * height).toBeGreaterThan(2 * (1 << 20));
  const { checks } = checked(file, true);
  const reference = await sharp(file).ensureAlpha().raw().toBuffer();
  const ours = Buffer.alloc(width * height * 4);
  (checks.pixels as Uint32Array).forEach((p, i) => ours.set([(p >>> 16) & 0xff, (p >>> 8) & 0xff, p & 0xff, p >>> 24], i * 4));
  expect(ours.equals(reference)).toBe(true);
  expect(findingsOf(webpFormat.walk(file, { scanData: true }))).toEqual([]);
});
