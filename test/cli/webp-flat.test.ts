/**
 * Flat pictures (one colour) code to almost nothing in WebP lossless: a pixel whose prefix codes
 * each have one symbol takes no bits (RFC 9649 3.7.2.1.1). They are legitimate images and must
 * pass `verify --scan-data` and `strip --scan-data` like any other, with the pixels unchanged
 * (oracle: libwebp via sharp, decoding before and after). What the WebP walk reads is bounded by
 * what the bitstream headers declare against the policy's maxPixels, not by the file's size
 * (src/core/metadata/webp.ts), as for PNG (png-flat.test.ts).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { cleanAndStrippedLosslessly } from '../helpers/scan-data-round-trip';
import { deid, json } from './run';

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-webp-flat-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** SHA-256 of what libwebp decodes, as RGBA. */
async function pixelHash(file: string): Promise<{ hash: string; width: number; height: number }> {
  const { data, info } = await sharp(file, { limitInputPixels: false }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { hash: createHash('sha256').update(data).digest('hex'), width: info.width, height: info.height };
}

function policyFile(name: string, maxPixels: number): string {
  const file = path.join(work, name);
  fs.writeFileSync(file, JSON.stringify({ policyVersion: 1, maxPixels }));
  return file;
}

/** A one-colour lossless WebP made by sharp (libwebp's encoder), checked to be one VP8L of that size. */
async function flatWebp(name: string, width: number, height: number, background: sharp.Color, channels: 3 | 4): Promise<{ file: string; size: number }> {
  const file = path.join(work, `${name}.webp`);
  await sharp({ create: { width, height, channels, background } }).webp({ lossless: true }).toFile(file);
  const bytes = fs.readFileSync(file);
  // RFC 9649 2.6 and 3.2: a simple-format file whose one chunk is VP8L, 14-bit width-1 and height-1.
  expect(bytes.toString('latin1', 12, 16)).toBe('VP8L');
  const bits = bytes.readUInt32LE(21);
  expect([(bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1]).toEqual([width, height]);
  return { file, size: bytes.length };
}

async function passesBoth(name: string, width: number, height: number, background: sharp.Color, channels: 3 | 4): Promise<{ size: number }> {
  const { file, size } = await flatWebp(name, width, height, background, channels);
  const written = await cleanAndStrippedLosslessly(file, path.join(work, `${name}-out`));
  const before = await pixelHash(file);
  const after = await pixelHash(written);
  expect(after).toEqual(before);
  expect(before).toMatchObject({ width, height });
  return { size };
}

test('sharp create 6000 x 4000 RGBA, one half-transparent colour: clean under --scan-data, stripped with the same pixels', async () => {
  await passesBoth('rgba-24mp', 6000, 4000, { r: 10, g: 200, b: 30, alpha: 0.5 }, 4);
});

test('12000 x 12000 RGB, one colour (144 MP in a few kB): clean under --scan-data, stripped with the same pixels', async () => {
  const { size } = await passesBoth('rgb-144mp', 12000, 12000, { r: 200, g: 180, b: 170 }, 3);
  // Past what a budget of 2^25 pixels plus 64 per file byte let --scan-data read (its two
  // readings of the colour-indexed stream, 8 pixels bundled in each, 12000 / 8 x 12000 each).
  expect(2 ** 25 + 64 * size).toBeLessThan(2 * (12000 / 8) * 12000);
}, 120_000);

test('a policy maxPixels below a flat 6000 x 4000 WebP refuses reading it, naming the limit; the default reads it clean', async () => {
  const { file } = await flatWebp('rgb-24mp', 6000, 4000, { r: 90, g: 60, b: 30 }, 3);
  expect((await deid('verify', file)).code).toBe(0);
  const r = await deid('verify', '--json', '--policy', policyFile('low.json', 20_000_000), file);
  expect(r.code).toBe(2);
  expect(json(r.stdout).files[0].error).toMatch(/WebP: the image is 6000x4000, more than the 20 MP whose data is read \(maxPixels in the policy file/);
});
