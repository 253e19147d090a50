import { clampRect, type Rect } from '../geometry';
import { assertIntegerRect, assertMask, assertPixelBuffer, colorComponentCount } from './buffer';
import { colorForBuffer, parseHexColor } from './color';
import type { Mask, PixelBuffer } from './types';

/**
 * Paints a solid colour over the region, in place: every pixel of the region (clamped to the
 * image) when there is no mask, otherwise every pixel whose mask value is > 0, so anti-aliased
 * selection edges are covered fully rather than blended (a blend leaks the original).
 * Alpha becomes opaque on painted pixels. The 8-bit colour is scaled to the buffer's
 * `maxValue` (round(v * maxValue / 255)); gray buffers get its BT.601 luma.
 */
export function overlayRegion(buf: PixelBuffer, region: Rect, color: string, mask?: Mask): { pixelsPainted: number } {
  assertPixelBuffer(buf);
  assertIntegerRect(region, 'overlay region');
  if (mask) assertMask(mask);
  const rgb = parseHexColor(color);
  const clip = clampRect(region, buf.width, buf.height);
  if (!clip) return { pixelsPainted: 0 };

  const { data, width, components: comps, maxValue } = buf;
  const value = colorForBuffer(rgb, colorComponentCount(buf), maxValue);
  if (buf.hasAlpha) value.push(maxValue);
  const fill = Float64Array.from(value);

  const right = clip.x + clip.w;
  const bottom = clip.y + clip.h;
  let pixelsPainted = 0;
  for (let y = clip.y; y < bottom; y++) {
    let xa = clip.x;
    let xb = right;
    let maskRow = -1;
    if (mask) {
      const { bounds } = mask;
      if (y < bounds.y || y >= bounds.y + bounds.h) continue;
      xa = Math.max(xa, bounds.x);
      xb = Math.min(xb, bounds.x + bounds.w);
      maskRow = (y - bounds.y) * bounds.w - bounds.x;
    }
    const rowBase = y * width * comps;
    for (let x = xa; x < xb; x++) {
      if (mask && mask.data[maskRow + x] === 0) continue;
      const p = rowBase + x * comps;
      for (let c = 0; c < comps; c++) data[p + c] = fill[c];
      pixelsPainted++;
    }
  }
  return { pixelsPainted };
}
