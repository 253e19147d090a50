/**
 * Bits after a scanline's last pixel (PNG 3rd ed. 7.2) are never decoded; the strip clears them
 * by compressing the rows again (png.ts recompress). The walk (plain verify) needs only the
 * finding: it must not deflate the rows, which for a 250 MP 4-bit image took seconds. fflate's
 * zlibSync (the only compressor the PNG code uses) is watched; sharp (libspng) is the oracle that
 * the strip keeps every pixel.
 */
import { deflateSync, inflateSync } from 'node:zlib';
import * as fflate from 'fflate';
import sharp from 'sharp';
import { pngFormat } from '../../src/core/metadata/png';
import { be32, pngChunk, pngChunks } from '../helpers/chunks';
import { findingsOf } from '../helpers/container';
import { concatBytes } from '../helpers/plant';

jest.mock('fflate', () => {
  const actual = jest.requireActual<typeof import('fflate')>('fflate');
  return { ...actual, zlibSync: jest.fn(actual.zlibSync) };
});

const strip = pngFormat.strip as NonNullable<typeof pngFormat.strip>;
const compress = fflate.zlibSync as jest.MockedFunction<typeof fflate.zlibSync>;

function idatOf(bytes: Uint8Array): Uint8Array {
  const c = pngChunks(bytes).find((x) => x.type === 'IDAT')!;
  return bytes.subarray(c.offset + 8, c.end - 4);
}

test('4-bit grey, odd width: walk finds every padded row and never deflates; strip deflates once, to the same pixels', async () => {
  // 7 pixels of 4 bits: 4 bytes a row, the low nibble of the last byte spare.
  const width = 7;
  const height = 40;
  const stride = 1 + Math.ceil((width * 4) / 8);
  const clean = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) for (let i = 1; i < stride; i++) clean[y * stride + i] = (y * 37 + i * 11) & (i === stride - 1 ? 0xf0 : 0xff);
  const planted = Uint8Array.from(clean, (v, i) => (i % stride === stride - 1 ? v | 0x0a : v));
  const file = concatBytes(
    Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
    pngChunk('IHDR', concatBytes(be32(width), be32(height), Uint8Array.of(4, 0, 0, 0, 0))),
    pngChunk('IDAT', deflateSync(planted)),
    pngChunk('IEND', new Uint8Array(0)),
  );
  compress.mockClear();
  expect(findingsOf(pngFormat.walk(file)).map((f) => f.detail)).toEqual([`bits set after the last pixel of ${height} scanline(s) (never decoded)`]);
  expect(findingsOf(pngFormat.walk(file, { scanData: true })).map((f) => f.detail)).toEqual([`bits set after the last pixel of ${height} scanline(s) (never decoded)`]);
  expect(compress).not.toHaveBeenCalled();
  const out = strip(file);
  expect(compress).toHaveBeenCalledTimes(1);
  expect(out.notes).toEqual(['cleared the spare bits after each scanline (image data recompressed, pixels unchanged)']);
  expect(Array.from(inflateSync(idatOf(out.bytes)))).toEqual(Array.from(clean));
  expect(findingsOf(pngFormat.walk(out.bytes))).toEqual([]);
  const [before, after] = await Promise.all([sharp(file).raw().toBuffer(), sharp(out.bytes).raw().toBuffer()]);
  expect(after.equals(before)).toBe(true);
});
