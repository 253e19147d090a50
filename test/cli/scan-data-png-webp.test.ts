import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import sharp from 'sharp';
import { be32, pngChunk } from '../helpers/chunks';
import { concatBytes, noiseRgb } from '../helpers/plant';
import { opaqueMarkedVp8l } from '../helpers/webp-build';
import { deid, json } from './run';

// What only full decoding finds in PNG and WebP (--scan-data; bag create always): a zlib
// Adler-32 no browser checks, and VP8L bits libwebp decodes no pixel from. Plain verify passes
// them; --scan-data names them; strip --scan-data writes the right checksum (PNG, lossless) or
// re-encodes from the pixels with the reason said (WebP).

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-scan-data-png-webp-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

test('PNG: a wrong Adler-32 is found with --scan-data only, and strip --scan-data writes the right one losslessly', async () => {
  const width = 40;
  const height = 30;
  const rgb = noiseRgb(width, height, 2);
  const rows = new Uint8Array(height * (1 + width * 3));
  for (let y = 0; y < height; y++) rows.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), y * (1 + width * 3) + 1);
  const stream = deflateSync(rows);
  const planted = Uint8Array.from(stream);
  planted.set([0x4a, 0x44, 0x36, 0x32], planted.length - 4); // "JD62"
  const head = concatBytes(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), pngChunk('IHDR', concatBytes(be32(width), be32(height), Uint8Array.of(8, 2, 0, 0, 0))));
  const clean = concatBytes(head, pngChunk('IDAT', stream), pngChunk('IEND', new Uint8Array(0)));
  const hostile = concatBytes(head, pngChunk('IDAT', planted), pngChunk('IEND', new Uint8Array(0)));
  // Same pixels to a decoder that does not check (libspng with failOn 'none').
  expect((await sharp(hostile, { failOn: 'none' }).raw().toBuffer()).equals(Buffer.from(rgb))).toBe(true);
  const file = path.join(work, 'adler.png');
  fs.writeFileSync(file, hostile);
  expect((await deid('verify', file)).code).toBe(0);
  const deep = await deid('verify', '--json', '--scan-data', file);
  expect(deep.code).toBe(1);
  expect(json(deep.stdout).files[0].findings).toEqual([expect.objectContaining({ kind: 'unknown-segment', detail: expect.stringMatching(/^zlib Adler-32 of the compressed image data does not match/) })]);
  const out = path.join(work, 'adler-out');
  const s = await deid('strip', '--json', '--scan-data', file, '--out', out);
  expect(s.code).toBe(0);
  expect(json(s.stdout).files[0]).toMatchObject({ lossless: true });
  const written = fs.readFileSync(path.join(out, 'adler.png'));
  expect(written.equals(Buffer.from(clean))).toBe(true);
  expect(written.includes(Buffer.from('JD62', 'latin1'))).toBe(false);
  // node's zlib checks the checksum: the written stream passes.
  expect(inflateSync(written.subarray(33 + 8, written.length - 12 - 4)).equals(Buffer.from(rows))).toBe(true);
  expect((await deid('verify', '--scan-data', path.join(out, 'adler.png'))).code).toBe(0);
});

test('WebP lossless: alpha in an image marked opaque is found with --scan-data only; strip --scan-data re-encodes from the pixels with the reason', async () => {
  const opaque = (argb: number) => opaqueMarkedVp8l(24, 16, argb);
  const hostile = opaque(0x4a102030);
  const clean = opaque(0xff102030);
  expect((await sharp(hostile).raw().toBuffer()).equals(await sharp(clean).raw().toBuffer())).toBe(true);
  const file = path.join(work, 'opaque.webp');
  fs.writeFileSync(file, hostile);
  expect((await deid('verify', file)).code).toBe(0);
  const deep = await deid('verify', '--json', '--scan-data', file);
  expect(deep.code).toBe(1);
  expect(json(deep.stdout).files[0].findings).toEqual([expect.objectContaining({ kind: 'unknown-segment', detail: expect.stringMatching(/^bits no decoder uses inside the lossless bitstream \(384 pixel\(s\) with alpha below 255 in an image marked opaque/) })]);
  // Plain strip copies the coded data as it is.
  const plainOut = path.join(work, 'opaque-plain');
  expect(json((await deid('strip', '--json', file, '--out', plainOut)).stdout).files[0]).toMatchObject({ lossless: true });
  expect(fs.readFileSync(path.join(plainOut, 'opaque.webp')).equals(Buffer.from(hostile))).toBe(true);
  const out = path.join(work, 'opaque-out');
  const s = await deid('strip', '--json', '--scan-data', file, '--out', out);
  expect(s.code).toBe(0);
  expect(json(s.stdout).files[0]).toMatchObject({ lossless: false, notice: expect.stringMatching(/^salvaged: .*alpha below 255 in an image marked opaque.* re-encoded from its decoded pixels/) });
  const written = fs.readFileSync(path.join(out, 'opaque.webp'));
  expect((await deid('verify', '--scan-data', path.join(out, 'opaque.webp'))).code).toBe(0);
  // The planted alpha is gone; the colours are what libwebp showed.
  const { data, info } = await sharp(written).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  expect([info.width, info.height]).toEqual([24, 16]);
  expect(new Set(Array.from({ length: data.length / 4 }, (_, i) => data.readUInt32BE(i * 4))).size).toBe(1);
  expect([...data.subarray(0, 4)]).toEqual([0x10, 0x20, 0x30, 0xff]);
});
