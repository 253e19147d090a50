import type { Sharp, SharpOptions } from 'sharp';
import type { PixelBuffer } from '../core/pixels/types';

/**
 * Decodes an image to a PixelBuffer the core operates on. EXIF orientation is applied first, as
 * Photoshop does on open, so recipe coordinates mean the same picture in both places.
 */
/** sharp is loaded on first use: `verify` of files without sidecars never decodes pixels. */
async function loadSharp(): Promise<(input?: Uint8Array | Buffer, options?: SharpOptions) => Sharp> {
  return (await import('sharp')).default;
}

export async function decodePixels(bytes: Uint8Array, options: { orient?: boolean } = {}): Promise<PixelBuffer> {
  const sharp = await loadSharp();
  let pipeline = sharp(bytes, { failOn: 'error' });
  if (options.orient !== false) pipeline = pipeline.rotate();
  const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  const components = info.channels as 1 | 2 | 3 | 4;
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
    components,
    hasAlpha: components === 2 || components === 4,
    maxValue: 255,
  };
}

/** JPEG quality for exports: high enough that verification tolerances hold (see verify-region). */
export const EXPORT_JPEG_QUALITY = 92;

/** Encodes pixels; sharp writes no metadata unless asked (and the caller strips and re-scans anyway). */
export async function encodePixels(buf: PixelBuffer, format: 'jpeg' | 'png'): Promise<Uint8Array> {
  if (buf.maxValue !== 255) throw new Error('encodePixels expects 8-bit pixels');
  const sharp = await loadSharp();
  const image = sharp(Buffer.from(buf.data.buffer, buf.data.byteOffset, buf.data.byteLength), {
    raw: { width: buf.width, height: buf.height, channels: buf.components },
  });
  const out =
    format === 'jpeg'
      ? await image.flatten({ background: '#ffffff' }).jpeg({ quality: EXPORT_JPEG_QUALITY, chromaSubsampling: '4:4:4' }).toBuffer()
      : await image.png().toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
