import { DeidError } from '../errors';
import { clampRect, type Rect } from '../geometry';
import { allocateLike, assertIntegerRect, assertPixelBuffer } from './buffer';
import type { PixelBuffer } from './types';

/**
 * A new buffer holding `rect` of `buf` (clamped to the image). Throws DeidError('usage') when
 * nothing of the rectangle lies inside the image.
 */
export function cropPixels(buf: PixelBuffer, rect: Rect): PixelBuffer {
  assertPixelBuffer(buf);
  assertIntegerRect(rect, 'crop rectangle');
  const clip = clampRect(rect, buf.width, buf.height);
  if (!clip) {
    throw new DeidError('usage', `crop rectangle ${JSON.stringify(rect)} lies outside the ${buf.width}x${buf.height} image`);
  }
  const out = allocateLike(buf, clip.w, clip.h);
  const comps = buf.components;
  const rowLength = clip.w * comps;
  for (let y = 0; y < clip.h; y++) {
    const from = ((clip.y + y) * buf.width + clip.x) * comps;
    out.data.set(buf.data.subarray(from, from + rowLength), y * rowLength);
  }
  return out;
}
