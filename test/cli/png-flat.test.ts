/**
 * Flat pictures (one colour) deflate to almost nothing: deflate codes up to 1032 bytes in one
 * (RFC 1951 3.2.5). They are legitimate images and must pass `verify --scan-data` and
 * `strip --scan-data` like any other, with the pixels unchanged (oracle: libvips/libspng via
 * sharp, decoding before and after). What the PNG walk inflates is bounded by what IHDR declares
 * against maxPixels, not by the file's size (src/core/metadata/png.ts).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { cleanAndStrippedLosslessly } from '../helpers/scan-data-round-trip';

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-png-flat-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** SHA-256 of what libspng decodes, every sample at the file's own depth; one buffer held at a time. */
async function pixelHash(file: string): Promise<{ hash: string; width: number; height: number; bytesPerSample: number }> {
  const { depth } = await sharp(file).metadata();
  const { data, info } = await sharp(file).raw({ depth: depth as 'uchar' | 'ushort' }).toBuffer({ resolveWithObject: true });
  return { hash: createHash('sha256').update(data).digest('hex'), width: info.width, height: info.height, bytesPerSample: data.length / (info.width * info.height * info.channels) };
}

async function passesBoth(name: string, make: () => sharp.Sharp, expected: { width: number; height: number; bitDepth: number; colourType: number }) {
  const file = path.join(work, `${name}.png`);
  await make().png({ compressionLevel: 9 }).toFile(file);
  const bytes = fs.readFileSync(file);
  // IHDR (PNG 11.2.1): the file really is of that size, depth and colour type.
  expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20), bytes[24], bytes[25]]).toEqual([expected.width, expected.height, expected.bitDepth, expected.colourType]);
  const written = await cleanAndStrippedLosslessly(file, path.join(work, `${name}-out`));
  const before = await pixelHash(file);
  const after = await pixelHash(written);
  expect(after).toEqual(before);
  expect(before).toMatchObject({ width: expected.width, height: expected.height, bytesPerSample: expected.bitDepth / 8 });
  return { size: bytes.length };
}

const rgba16 = (width: number, height: number) => () =>
  sharp({ create: { width, height, channels: 4, background: { r: 10, g: 200, b: 30, alpha: 0.5 } } }).toColourspace('rgb16');

test('sharp create 5000 x 4000 RGBA16, one colour: clean under --scan-data, stripped with the same pixels', async () => {
  await passesBoth('rgba16-20mp', rgba16(5000, 4000), { width: 5000, height: 4000, bitDepth: 16, colourType: 6 });
});

test('8000 x 8000 8-bit grey, one value: clean under --scan-data, stripped with the same pixels', async () => {
  const make = () => sharp(Buffer.alloc(8000 * 8000, 77), { raw: { width: 8000, height: 8000, channels: 1 } }).toColourspace('b-w');
  await passesBoth('grey8-64mp', make, { width: 8000, height: 8000, bitDepth: 8, colourType: 0 });
});

test('10000 x 6000 RGBA16, one colour (480 MB of rows in under 1 MB): clean under --scan-data, stripped with the same pixels', async () => {
  const { size } = await passesBoth('rgba16-60mp', rgba16(10000, 6000), { width: 10000, height: 6000, bitDepth: 16, colourType: 6 });
  // Smaller than a budget of 256 MiB plus 256 per file byte would let it inflate.
  expect(256 * 1024 * 1024 + 256 * size).toBeLessThan(6000 * (1 + 10000 * 8));
});
