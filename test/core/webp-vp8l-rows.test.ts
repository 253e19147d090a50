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
import { BitWriter, constantImage, opaqueMarkedVp8l, vp8lFile, vp8lHeader } from '../helpers/webp-build';

const SIDE = 15500;
const VP8L_HEADER = 5;

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-vp8l-rows-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Decodes the file's VP8L stream through Vp8lChecks, as the walk does; `steps`: the decoder's. */
function checked(file: Uint8Array, keepPixels = false): { checks: Vp8lChecks; steps: number } {
  const c = webpChunks(file).find((k) => k.id === 'VP8L')!;
  const { width, height, alphaUsed } = readVp8lHeader(file, c.dataStart, c.dataEnd);
  const checks = new Vp8lChecks(width, height, { alph: false, alphaHint: alphaUsed }, keepPixels);
  const { log } = decodeVp8lStream(file, c.dataStart + VP8L_HEADER, c.dataEnd, width, height, checks);
  return { checks, steps: log.steps };
}

/** libwebp's RGBA (sharp) against Vp8lChecks' kept pixels. */
async function sameAsLibwebp(file: Uint8Array, pixels: Uint32Array): Promise<boolean> {
  const reference = await sharp(file).ensureAlpha().raw().toBuffer();
  const ours = Buffer.alloc(pixels.length * 4);
  pixels.forEach((p, i) => ours.set([(p >>> 16) & 0xff, (p >>> 8) & 0xff, p & 0xff, p >>> 24], i * 4));
  return ours.equals(reference);
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

/** 3.7.2.1.1: a simple code with one 8-bit symbol, or two (one bit each, the smaller symbol 0). */
function simpleCode(w: BitWriter, ...symbols: number[]): void {
  w.put(1, 1).put(symbols.length - 1, 1).put(1, 1);
  for (const s of symbols) w.put(s, 8);
}

/**
 * Vertical stripes 512 pixels wide, grey and white: a meta prefix image (3.6.1) of 512 x 512
 * tiles, one bit per tile choosing group 0 or 1 by column, and two groups whose four pixel codes
 * each have one symbol. About 170 bytes for 15500 x 15500; no bit per pixel.
 */
function stripesVp8l(width: number, height: number): Uint8Array {
  return vp8lFile((w) => {
    vp8lHeader(w, width, height, false);
    w.put(0, 1); // no transform
    w.put(0, 1).put(1, 1).put(9 - 2, 3); // main image: no colour cache, a meta prefix image of 2^9 tiles
    const tilesAcross = Math.ceil(width / 512);
    const tilesDown = Math.ceil(height / 512);
    w.put(0, 1); // the meta prefix image: no colour cache; green (the group) 0 or 1, one bit a tile
    simpleCode(w, 0, 1);
    simpleCode(w, 0);
    simpleCode(w, 0);
    simpleCode(w, 0);
    w.put(1, 4); // an empty distance code (libwebp's)
    for (let y = 0; y < tilesDown; y++) for (let x = 0; x < tilesAcross; x++) w.put(x & 1, 1);
    for (const [grey, alpha] of [[0x80, 0xff], [0xff, 0xff]]) {
      simpleCode(w, grey);
      simpleCode(w, grey);
      simpleCode(w, grey);
      simpleCode(w, alpha);
      w.put(1, 4);
    }
  });
}

/**
 * Every pixel a colour-cache hit (3.6.2): a cache of 2 entries (1 bit), and a green
 * code whose one symbol is cache index 0, written as a normal code (3.7.2.1.2: a simple code
 * holds symbols up to 255 only); red, blue, alpha and distance are never read, written as
 * libwebp's empty code. Every pixel is the cache's untouched entry: transparent black.
 */
function cacheHitsVp8l(width: number, height: number): Uint8Array {
  return vp8lFile((w) => {
    vp8lHeader(w, width, height, true);
    w.put(0, 1); // no transform
    w.put(1, 1).put(1, 4).put(0, 1); // a colour cache of 2^1 entries; no meta prefix image
    // Green, 256 + 24 + 2 symbols: the code length code has lengths 1 for "length 1" and for
    // "repeat zero 11-138 times" (order 17, 18, 0, 1), and four of its symbols are read.
    w.put(0, 1).put(0, 4).put(0, 3).put(1, 3).put(0, 3).put(1, 3);
    w.put(1, 1).put(0, 3).put(2, 2);
    w.put(1, 1).put(127, 7).put(1, 1).put(120, 7).put(1, 1).put(0, 7); // 138 + 131 + 11 zero lengths
    w.put(0, 1); // symbol 280 (cache index 0): length 1
    for (let k = 0; k < 4; k++) w.put(1, 4);
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
    const { checks, steps } = checked(file);
    expect(checks.work).toBeLessThan(4 * SIDE);
    expect(steps).toBe(1);
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
    expect(await sameAsLibwebp(file, checks.pixels as Uint32Array)).toBe(true);
    expect((checks.pixels as Uint32Array)[300 * 199 + 5]).toBe(0xffcdcdcd); // 200 + 5 in red, green and blue
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

describe('a 170-byte lossless WebP declaring 15500 x 15500 in stripes of two one-colour prefix code groups', () => {
  it('decodes to libwebp\'s pixels (small copy)', async () => {
    const file = stripesVp8l(1500, 1100);
    const { checks } = checked(file, true);
    expect(await sameAsLibwebp(file, checks.pixels as Uint32Array)).toBe(true);
    expect([(checks.pixels as Uint32Array)[0], (checks.pixels as Uint32Array)[512]]).toEqual([0xff808080, 0xffffffff]);
  });

  it('is clean under scanData, decoded a tile row segment at a time and checked one row per tile row', () => {
    const file = stripesVp8l(SIDE, SIDE);
    expect(file.length).toBeLessThan(200);
    expect(findingsOf(webpFormat.walk(file, { scanData: true }))).toEqual([]);
    const { checks, steps } = checked(file);
    // 31 tiles across, 15500 rows: a step per tile per row, not per pixel.
    expect(steps).toBeLessThan(32 * SIDE + 1000);
    expect(checks.work).toBeLessThan(32 * SIDE);
  });
});

describe('a 34-byte lossless WebP declaring 15500 x 15500 whose every pixel is a colour-cache hit', () => {
  it('decodes to libwebp\'s pixels (small copy)', async () => {
    const file = cacheHitsVp8l(300, 200);
    const { checks } = checked(file, true);
    expect(await sameAsLibwebp(file, checks.pixels as Uint32Array)).toBe(true);
  });

  it('is clean under scanData, decoded in one step', () => {
    const file = cacheHitsVp8l(SIDE, SIDE);
    expect(file.length).toBeLessThan(40);
    expect(findingsOf(webpFormat.walk(file, { scanData: true }))).toEqual([]);
    const { checks, steps } = checked(file);
    expect(steps).toBe(1);
    expect(checks.work).toBeLessThan(4 * SIDE);
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
  expect(await sameAsLibwebp(file, checks.pixels as Uint32Array)).toBe(true);
  expect(findingsOf(webpFormat.walk(file, { scanData: true }))).toEqual([]);
});
