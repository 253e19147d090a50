import { DeidError } from '../errors';
import type { Rect } from '../geometry';
import type { Mask, PixelBuffer } from './types';

/** Colour channels, i.e. components without the trailing alpha. */
export function colorComponentCount(buf: PixelBuffer): number {
  return buf.hasAlpha ? buf.components - 1 : buf.components;
}

/** Throws DeidError('usage') when the buffer's fields disagree with its data (a caller bug). */
export function assertPixelBuffer(buf: PixelBuffer): void {
  const { width, height, components, data, maxValue } = buf;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new DeidError('usage', `pixel buffer size must be whole and positive, got ${width}x${height}`);
  }
  if (components < 1 || components > 4 || !Number.isInteger(components)) {
    throw new DeidError('usage', `pixel buffer must have 1-4 components, got ${components}`);
  }
  if (buf.hasAlpha && components !== 2 && components !== 4) {
    throw new DeidError('usage', `only 2 or 4 components can carry alpha, got ${components}`);
  }
  if (data.length !== width * height * components) {
    throw new DeidError('usage', `pixel data holds ${data.length} values; ${width}x${height}x${components} needs ${width * height * components}`);
  }
  const typeMax = data instanceof Uint8Array ? 0xff : 0xffff;
  if (!Number.isInteger(maxValue) || maxValue < 1 || maxValue > typeMax) {
    throw new DeidError('usage', `maxValue ${maxValue} does not fit the buffer's ${data instanceof Uint8Array ? 8 : 16}-bit data`);
  }
}

export function assertMask(mask: Mask): void {
  const { bounds, data } = mask;
  if (![bounds.x, bounds.y, bounds.w, bounds.h].every(Number.isInteger) || bounds.w < 0 || bounds.h < 0) {
    throw new DeidError('usage', 'mask bounds must be whole pixels');
  }
  if (data.length !== bounds.w * bounds.h) {
    throw new DeidError('usage', `mask data holds ${data.length} values; its ${bounds.w}x${bounds.h} bounds need ${bounds.w * bounds.h}`);
  }
}

export function assertIntegerRect(r: Rect, what: string): void {
  if (![r.x, r.y, r.w, r.h].every(Number.isInteger) || r.w < 1 || r.h < 1) {
    throw new DeidError('usage', `${what} must be whole pixels with width and height >= 1, got ${JSON.stringify(r)}`);
  }
}

/** A new empty buffer of the same kind as `like`. */
export function allocateLike(like: PixelBuffer, width: number, height: number): PixelBuffer {
  const n = width * height * like.components;
  const data = like.data instanceof Uint8Array ? new Uint8Array(n) : new Uint16Array(n);
  return { data, width, height, components: like.components, hasAlpha: like.hasAlpha, maxValue: like.maxValue };
}

/** An independent copy (same data type). */
export function clonePixels(buf: PixelBuffer): PixelBuffer {
  return { ...buf, data: buf.data.slice() };
}
