/**
 * PNG under WalkOptions.scanData: what only inflating the image data can tell. The zlib stream's
 * Adler-32 (RFC 1950 2.2, 8.2) is a checksum of the inflated bytes; decoders that ignore it
 * (browsers; libspng when told not to fail, as sharp's failOn 'none') draw the same pixels with
 * any 4 bytes there. Hostile files are built byte by byte; node's zlib (which checks the
 * checksum) and sharp are the oracles. Real encoder output (sharp/libspng at several settings,
 * node's zlib and fflate streams) stays clean, and plain mode does not look.
 */
import { deflateRawSync, deflateSync, inflateRawSync, inflateSync } from 'node:zlib';
import { zlibSync } from 'fflate';
import sharp from 'sharp';
import { pngFormat } from '../../src/core/metadata/png';
import { be32, latin1, pngChunk, pngChunks } from '../helpers/chunks';
import { findingsOf } from '../helpers/container';
import { concatBytes, noiseRgb } from '../helpers/plant';

const strip = pngFormat.strip as NonNullable<typeof pngFormat.strip>;
const DEEP = { scanData: true };
const SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const IEND = pngChunk('IEND', new Uint8Array(0));
/** Four bytes of a name, where the checksum should be. */
const PLANT = latin1('JD62');
const ADLER_DETAIL = /^zlib Adler-32 of the compressed (image|frame) data does not match its inflated bytes/;

function png(...chunks: Uint8Array[]): Uint8Array {
  return concatBytes(SIGNATURE, ...chunks);
}

function ihdr(width: number, height: number, depth: number, colour: number, interlace = 0): Uint8Array {
  return pngChunk('IHDR', concatBytes(be32(width), be32(height), new Uint8Array([depth, colour, 0, 0, interlace])));
}

/** Filtered rows (filter 1, Sub) of a width x height RGB image. */
function rows(width: number, height: number, seed = 7): Uint8Array {
  const stride = 1 + width * 3;
  const out = new Uint8Array(height * stride);
  for (let i = 0; i < out.length; i++) out[i] = i % stride === 0 ? 1 : (i * seed * 31 + (i >> 3)) & 0xff;
  return out;
}

/** The zlib stream with its last 4 bytes (the Adler-32) replaced. */
function withAdler(stream: Uint8Array, adler: Uint8Array): Uint8Array {
  const out = Uint8Array.from(stream);
  out.set(adler, out.length - 4);
  return out;
}

function dataOf(file: Uint8Array, type: string): Uint8Array[] {
  return pngChunks(file).filter((c) => c.type === type).map((c) => file.subarray(c.offset + 8, c.end - 4));
}

function has(bytes: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(bytes).includes(Buffer.from(needle));
}

const W = 7;
const H = 5;
const STREAM = deflateSync(rows(W, H));
const CLEAN = png(ihdr(W, H, 8, 2), pngChunk('IDAT', STREAM), IEND);

test('the oracles: a wrong Adler-32 inflates to the same bytes and decodes to the same pixels where the decoder does not check it', async () => {
  const planted = withAdler(STREAM, PLANT);
  // node's zlib checks the checksum (RFC 1950 8.2) and refuses; raw inflate of the same blocks gives the same bytes.
  expect(() => inflateSync(planted)).toThrow(/incorrect data check/);
  expect(inflateRawSync(planted.subarray(2, -4)).equals(inflateSync(STREAM))).toBe(true);
  const hostile = png(ihdr(W, H, 8, 2), pngChunk('IDAT', planted), IEND);
  const [a, b] = await Promise.all([sharp(hostile, { failOn: 'none' }).raw().toBuffer(), sharp(CLEAN).raw().toBuffer()]);
  expect(a.equals(b)).toBe(true);
});

test('plain mode does not inflate for the checksum: the same file has no finding without scanData', () => {
  const hostile = png(ihdr(W, H, 8, 2), pngChunk('IDAT', withAdler(STREAM, PLANT)), IEND);
  expect(findingsOf(pngFormat.walk(hostile))).toEqual([]);
  expect(Buffer.from(strip(hostile).bytes).equals(Buffer.from(hostile))).toBe(true);
});

test('scanData: a wrong Adler-32 is a finding; strip writes the right one, nothing else changes', async () => {
  const hostile = png(ihdr(W, H, 8, 2), pngChunk('IDAT', withAdler(STREAM, PLANT)), IEND);
  expect(findingsOf(pngFormat.walk(hostile, DEEP)).map((f) => f.detail)).toEqual([expect.stringMatching(ADLER_DETAIL)]);
  const out = strip(hostile, DEEP);
  expect(out.notes).toEqual(['wrote the right Adler-32 at the end of the compressed image data (pixels unchanged)']);
  expect(has(out.bytes, PLANT)).toBe(false);
  // The right checksum is the one node's zlib wrote: the output is the clean file, byte for byte.
  expect(Buffer.from(out.bytes).equals(Buffer.from(CLEAN))).toBe(true);
  expect(findingsOf(pngFormat.walk(out.bytes, DEEP))).toEqual([]);
  expect((await sharp(out.bytes).raw().toBuffer()).equals(await sharp(CLEAN).raw().toBuffer())).toBe(true);
});

test('scanData: a checksum split over two IDAT chunks (and a stream with bytes after it) is put right in both', () => {
  const planted = withAdler(STREAM, PLANT);
  const cut = planted.length - 2;
  const hostile = png(ihdr(W, H, 8, 2), pngChunk('IDAT', planted.subarray(0, cut)), pngChunk('IDAT', concatBytes(planted.subarray(cut), latin1('tail'))), IEND);
  const details = findingsOf(pngFormat.walk(hostile, DEEP)).map((f) => f.detail);
  expect(details).toEqual(expect.arrayContaining([expect.stringMatching(ADLER_DETAIL), '4 bytes after the end of the compressed image data']));
  const out = strip(hostile, DEEP).bytes;
  expect(has(out, latin1('62'))).toBe(false);
  expect(has(out, latin1('tail'))).toBe(false);
  const idats = dataOf(out, 'IDAT');
  expect(idats).toHaveLength(2);
  expect(Buffer.from(concatBytes(...idats)).equals(Buffer.from(STREAM))).toBe(true);
  expect(findingsOf(pngFormat.walk(out, DEEP))).toEqual([]);
});

test('scanData: an APNG frame (fdAT) with a wrong Adler-32 is put right, its sequence number kept', () => {
  const fctl = (seq: number, w: number, h: number, x = 0, y = 0) => pngChunk('fcTL', concatBytes(be32(seq), be32(w), be32(h), be32(x), be32(y), new Uint8Array([0, 1, 0, 10, 0, 0])));
  const fdat = (seq: number, data: Uint8Array) => pngChunk('fdAT', concatBytes(be32(seq), data));
  const actl = pngChunk('acTL', concatBytes(be32(2), be32(0)));
  const frame = deflateSync(rows(3, 2, 11));
  const clean = png(ihdr(W, H, 8, 2), actl, fctl(0, W, H), pngChunk('IDAT', STREAM), fctl(1, 3, 2, 1, 1), fdat(2, frame), IEND);
  const hostile = png(ihdr(W, H, 8, 2), actl, fctl(0, W, H), pngChunk('IDAT', STREAM), fctl(1, 3, 2, 1, 1), fdat(2, withAdler(frame, PLANT)), IEND);
  expect(findingsOf(pngFormat.walk(hostile))).toEqual([]);
  expect(findingsOf(pngFormat.walk(hostile, DEEP)).map((f) => f.detail)).toEqual([expect.stringMatching(ADLER_DETAIL)]);
  expect(Buffer.from(strip(hostile, DEEP).bytes).equals(Buffer.from(clean))).toBe(true);
});

test('scanData: an indexed image whose rows are read too gets its checksum put right as well', async () => {
  // 1-bit palette, width 8: no spare row bits, every entry used; only the checksum is wrong.
  const rowsIndexed = Uint8Array.of(0, 0b10101010, 0, 0b01010101);
  const stream = deflateSync(rowsIndexed);
  const head = [ihdr(8, 2, 1, 3), pngChunk('PLTE', Uint8Array.of(0, 0, 0, 255, 255, 255))];
  const clean = png(...head, pngChunk('IDAT', stream), IEND);
  const hostile = png(...head, pngChunk('IDAT', withAdler(stream, PLANT)), IEND);
  expect(findingsOf(pngFormat.walk(clean, DEEP))).toEqual([]);
  expect(findingsOf(pngFormat.walk(hostile, DEEP)).map((f) => f.detail)).toEqual([expect.stringMatching(ADLER_DETAIL)]);
  const out = strip(hostile, DEEP).bytes;
  expect(Buffer.from(out).equals(Buffer.from(clean))).toBe(true);
  expect((await sharp(out).raw().toBuffer()).equals(await sharp(hostile, { failOn: 'none' }).raw().toBuffer())).toBe(true);
});

describe('real encoder output stays clean under scanData', () => {
  // An even width: libspng leaves bits after the last 4-bit pixel of odd-width rows (png-rows.ts), a plain-mode finding.
  const rgb = noiseRgb(62, 37, 5);
  const raw = { raw: { width: 62, height: 37, channels: 3 as const } };
  test.each([
    ['sharp, compression 0', { compressionLevel: 0 }],
    ['sharp, compression 6', { compressionLevel: 6 }],
    ['sharp, compression 9, adaptive filtering', { compressionLevel: 9, adaptiveFiltering: true }],
    ['sharp, interlaced', { progressive: true }],
    ['sharp, palette', { palette: true, colours: 16 }],
    ['sharp, palette 2 colours', { palette: true, colours: 2 }],
  ])('%s', async (_name, options) => {
    const file = new Uint8Array(await sharp(rgb, raw).png(options).toBuffer());
    expect(findingsOf(pngFormat.walk(file, DEEP))).toEqual([]);
    expect(Buffer.from(strip(file, DEEP).bytes).equals(Buffer.from(file))).toBe(true);
  });

  test('node zlib and fflate streams at several levels, one stream over many IDAT chunks', () => {
    const data = rows(40, 30);
    for (const stream of [deflateSync(data, { level: 1 }), deflateSync(data, { level: 9 }), zlibSync(data, { level: 0 }), zlibSync(data, { level: 6 }), zlibSync(data, { level: 9 })]) {
      const pieces: Uint8Array[] = [];
      for (let at = 0; at < stream.length; at += 101) pieces.push(pngChunk('IDAT', stream.subarray(at, at + 101)));
      const file = png(ihdr(40, 30, 8, 2), ...pieces, IEND);
      expect(findingsOf(pngFormat.walk(file, DEEP))).toEqual([]);
    }
    // A raw deflate stream wrapped by hand with its own (right) checksum is clean too.
    const wrapped = concatBytes(Uint8Array.of(0x78, 0x9c), deflateRawSync(data, { level: 4 }), deflateSync(data).subarray(-4));
    expect(findingsOf(pngFormat.walk(png(ihdr(40, 30, 8, 2), pngChunk('IDAT', wrapped), IEND), DEEP))).toEqual([]);
  });
});
