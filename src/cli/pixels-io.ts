import type { Sharp, SharpOptions } from 'sharp';
import { DeidError } from '../core/errors';
import { DEFAULT_LIMITS } from '../core/limits';
import type { PixelBuffer } from '../core/pixels/types';

/**
 * Decodes an image to a PixelBuffer the core operates on. EXIF orientation is applied first, as
 * Photoshop does on open, so recipe coordinates mean the same picture in both places.
 */
/** sharp is loaded on first use: `verify` of files without sidecars never decodes pixels. */
async function loadSharp(): Promise<(input?: Uint8Array | Buffer, options?: SharpOptions) => Sharp> {
  return (await import('sharp')).default;
}

export async function decodePixels(
  bytes: Uint8Array,
  options: { orient?: boolean; maxPixels?: number; extract?: { left: number; top: number; width: number; height: number } } = {},
): Promise<PixelBuffer> {
  const sharp = await loadSharp();
  const maxPixels = options.maxPixels ?? DEFAULT_LIMITS.maxPixels;
  const meta = await sharp(bytes, { failOn: 'error', limitInputPixels: false }).metadata();
  if ((meta.width ?? 0) * (meta.height ?? 0) > maxPixels) {
    // Issue 13.5: refused before any pixel is decoded, naming the limit and how to change it.
    // The policy's limit ('policy': a refusal), not a file this build cannot read ('unsupported').
    throw new DeidError('policy', `the image is ${meta.width}x${meta.height} = ${((meta.width ?? 0) * (meta.height ?? 0) / 1e6).toFixed(0)} MP, more than the limit of ${(maxPixels / 1e6).toFixed(0)} MP (maxPixels in the policy file)`);
  }
  // libvips decodes the first frame or page only (sharp's `pages` option defaults to 1). An
  // APNG, an animated WebP, a multi-page TIFF or a HEIF with several top-level images shows
  // viewers the others too (a browser plays an APNG), so a check, detection or recipe run on
  // "the image" would pass over them: refused, naming how many there are.
  if ((meta.pages ?? 1) > 1) {
    throw new DeidError('unsupported', `the file holds ${meta.pages} frames or pages and only the first could be checked here; save the one picture meant for the study as a single-frame JPEG or PNG`);
  }
  let pipeline = sharp(bytes, { failOn: 'error', limitInputPixels: maxPixels });
  if (options.orient !== false) pipeline = pipeline.rotate();
  if (options.extract) pipeline = pipeline.extract(options.extract);
  const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true }).catch((e: unknown) => {
    throw new DeidError('unsupported', `cannot decode this image here: ${decodeFailure(e)}`);
  });
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

/**
 * Why libvips could not decode a file, in a line a user can act on. libvips repeats itself line
 * by line (the last says why); an HEVC-coded HEIC (every iPhone photo) needs a decoder this
 * build of libvips does not carry, and the way out is to convert it first; a JPEG whose coded
 * data is damaged or cut short is refused (failOn 'error'), and the way out is to re-save it.
 */
export function decodeFailure(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  if (/compression format has not been built in/.test(message)) {
    return 'HEVC-coded HEIC cannot be decoded by this build; export it as JPEG or PNG from Photoshop, or convert it first';
  }
  const last = message.trim().split('\n').pop() ?? message;
  // A camera file damaged in its coded data (a card pulled out while writing, a bad copy):
  // verify and strip read it (they do not decode the picture), so the user meets this first here.
  if (/^VipsJpeg: (Corrupt JPEG data|premature end of JPEG)/i.test(last)) {
    return `${last}: the JPEG's picture data is damaged, so part of the picture may not show as it was taken; open it in an editor that shows it, check it, and save it again as JPEG or PNG first`;
  }
  return last;
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
      // optimiseCoding off: optimised Huffman tables make the encoder hold every coefficient of
      // the image (about 1.5x the raw RGB size more for 4:4:4); without them it streams, so
      // `deid apply` keeps to one raw copy (issue 13.5). Decoded pixels are the same either way.
      ? await image.flatten({ background: '#ffffff' }).jpeg({ quality: EXPORT_JPEG_QUALITY, chromaSubsampling: '4:4:4', optimiseCoding: false }).toBuffer()
      : await image.png().toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
