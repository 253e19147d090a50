import { unzlibSync } from 'fflate';
import { paeth } from '../core/metadata/png-rows';
import type { PixelBuffer } from '../core/pixels/types';

/**
 * Decodes a non-interlaced PNG (8- or 16-bit gray, gray+alpha, RGB, RGBA) to chunky pixels,
 * without the host: the self-test compares what Photoshop WROTE with what it should hold,
 * independently of the Imaging API it also tests. PNG (ISO/IEC 15948, W3C PNG 2nd ed.):
 * section 11.2.2 IHDR, 10.2 zlib data in the concatenated IDATs, 9.2 filter types 0-4,
 * 8.2 interlace method 0 only here (the panel saves with `interlaced: false`).
 */
const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const COMPONENTS: Record<number, PixelBuffer['components'] | undefined> = { 0: 1, 2: 3, 4: 2, 6: 4 };

function fail(why: string): never {
  throw new Error(`not a PNG the self-test can read: ${why}`);
}

export function decodePng(bytes: Uint8Array): PixelBuffer {
  if (bytes.length < 33 || SIGNATURE.some((b, i) => bytes[i] !== b)) fail('no PNG signature');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0;
  let height = 0;
  let depth = 0;
  let components: PixelBuffer['components'] | undefined;
  const idat: Uint8Array[] = [];
  for (let at = 8; at + 12 <= bytes.length; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]);
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      depth = data[8];
      components = COMPONENTS[data[9]];
      if (data[12] !== 0) fail('interlaced');
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      break;
    }
    at += 12 + length;
  }
  if (!components || (depth !== 8 && depth !== 16) || width === 0 || height === 0) fail(`colour type/bit depth ${depth}`);
  const joined = new Uint8Array(idat.reduce((n, d) => n + d.length, 0));
  idat.reduce((off, d) => (joined.set(d, off), off + d.length), 0);
  const raw = unzlibSync(joined);
  const bpp = (components * depth) / 8;
  const stride = width * bpp;
  if (raw.length < height * (stride + 1)) fail('image data too short');
  const rows = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = rows.subarray(y * stride, (y + 1) * stride);
    const up = y > 0 ? rows.subarray((y - 1) * stride, y * stride) : null;
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? row[i - bpp] : 0;
      const b = up ? up[i] : 0;
      const c = up && i >= bpp ? up[i - bpp] : 0;
      const predictor = filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : filter === 4 ? paeth(a, b, c) : fail(`filter type ${filter}`);
      row[i] = (src[i] + predictor) & 0xff;
    }
  }
  const data = depth === 8 ? rows : Uint16Array.from({ length: rows.length / 2 }, (_, i) => (rows[2 * i] << 8) | rows[2 * i + 1]);
  return { data, width, height, components, hasAlpha: components === 2 || components === 4, maxValue: depth === 8 ? 255 : 65535 };
}
