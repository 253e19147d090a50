import { DeidError } from '../errors';
import { clampRect, type Rect } from '../geometry';
import { assertIntegerRect, assertMask, assertPixelBuffer } from './buffer';
import type { Mask, PixelBuffer } from './types';

const RGBA = 4;

/**
 * Paints a mosaic over `region`, in place (research/deid-threats.md section 1).
 *
 * - The grid is anchored at the region's top-left (`region.x`, `region.y`) with square cells
 *   of `cellSize`. The region is clamped to the image, so a cell at the region's or image's
 *   edge is partial; it is still painted whole, with the mean over the pixels it has inside
 *   the region AND the image.
 * - Each cell gets the mean of ALL its pixels (every channel, rounded), not a sample: a
 *   one-pixel sample keeps more of the original than the mean does.
 * - With a mask, every cell that any selected mask pixel (> 0) touches is painted whole; other
 *   cells and all pixels outside the region are left as they were. No partial or
 *   semi-transparent cells: alpha becomes opaque inside painted cells, because a translucent
 *   cell leaks the pixels under it once flattened.
 *
 * This function does not consult the policy; callers check the step first (checkStep).
 * Written as plain loops over typed arrays (no per-pixel allocation or closures): it runs on
 * 24-megapixel images inside Photoshop's modal scope.
 */
export function pixelateRegion(buf: PixelBuffer, region: Rect, cellSize: number, mask?: Mask): { cellsPainted: number } {
  assertPixelBuffer(buf);
  assertIntegerRect(region, 'mosaic region');
  if (!Number.isInteger(cellSize) || cellSize < 1) {
    throw new DeidError('usage', `cell size must be a whole number of pixels >= 1, got ${cellSize}`);
  }
  if (mask) assertMask(mask);
  const clip = clampRect(region, buf.width, buf.height);
  if (!clip) return { cellsPainted: 0 };

  const { data, width, components: comps, maxValue } = buf;
  const alphaIndex = buf.hasAlpha ? comps - 1 : -1;
  const clipRight = clip.x + clip.w;
  const clipBottom = clip.y + clip.h;
  const firstCol = Math.floor((clip.x - region.x) / cellSize);
  const lastCol = Math.floor((clipRight - 1 - region.x) / cellSize);
  const firstRow = Math.floor((clip.y - region.y) / cellSize);
  const lastRow = Math.floor((clipBottom - 1 - region.y) / cellSize);
  const cols = lastCol - firstCol + 1;

  // Column spans of each cell, clipped, in pixel x; shared by every band of cells.
  const spanStart = new Int32Array(cols);
  const spanEnd = new Int32Array(cols);
  for (let i = 0; i < cols; i++) {
    const cellX = region.x + (firstCol + i) * cellSize;
    spanStart[i] = Math.max(cellX, clip.x);
    spanEnd[i] = Math.min(cellX + cellSize, clipRight);
  }
  const sums = new Float64Array(cols * comps);
  const touched = new Uint8Array(cols);
  const mean = new Float64Array(comps);
  const rowStride = width * comps;

  const maskData = mask ? mask.data : null;
  const mx0 = mask ? mask.bounds.x : 0;
  const my0 = mask ? mask.bounds.y : 0;
  const mw = mask ? mask.bounds.w : 0;
  const mx1 = mx0 + mw;
  const my1 = mask ? my0 + mask.bounds.h : 0;

  let cellsPainted = 0;
  for (let row = firstRow; row <= lastRow; row++) {
    const bandTop = Math.max(region.y + row * cellSize, clip.y);
    const bandBottom = Math.min(region.y + (row + 1) * cellSize, clipBottom);
    sums.fill(0);
    touched.fill(maskData ? 0 : 1);

    for (let y = bandTop; y < bandBottom; y++) {
      const rowBase = y * rowStride;
      const rowInMask = maskData !== null && y >= my0 && y < my1;
      const maskRow = (y - my0) * mw - mx0;
      for (let i = 0; i < cols; i++) {
        const start = rowBase + spanStart[i] * comps;
        const end = rowBase + spanEnd[i] * comps;
        const sumBase = i * comps;
        if (comps === RGBA) {
          // The common case (Photoshop RGB with alpha, sharp RGBA) gets one pass, unrolled.
          let a0 = 0;
          let a1 = 0;
          let a2 = 0;
          let a3 = 0;
          for (let p = start; p < end; p += RGBA) {
            a0 += data[p];
            a1 += data[p + 1];
            a2 += data[p + 2];
            a3 += data[p + 3];
          }
          sums[sumBase] += a0;
          sums[sumBase + 1] += a1;
          sums[sumBase + 2] += a2;
          sums[sumBase + 3] += a3;
        } else {
          for (let c = 0; c < comps; c++) {
            let acc = 0;
            for (let p = start + c; p < end; p += comps) acc += data[p];
            sums[sumBase + c] += acc;
          }
        }
        if (maskData !== null && rowInMask && touched[i] === 0) {
          const xa = Math.max(spanStart[i], mx0);
          const xb = Math.min(spanEnd[i], mx1);
          for (let x = xa; x < xb; x++) {
            if (maskData[maskRow + x] !== 0) {
              touched[i] = 1;
              break;
            }
          }
        }
      }
    }

    const bandRows = bandBottom - bandTop;
    for (let i = 0; i < cols; i++) {
      if (touched[i] === 0) continue;
      cellsPainted++;
      const count = (spanEnd[i] - spanStart[i]) * bandRows;
      for (let c = 0; c < comps; c++) mean[c] = Math.round(sums[i * comps + c] / count);
      if (alphaIndex >= 0) mean[alphaIndex] = maxValue;
      // Paint the cell's first row, then copy that row down the band.
      const firstStart = bandTop * rowStride + spanStart[i] * comps;
      const firstEnd = bandTop * rowStride + spanEnd[i] * comps;
      for (let p = firstStart; p < firstEnd; p += comps) {
        for (let c = 0; c < comps; c++) data[p + c] = mean[c];
      }
      for (let y = bandTop + 1; y < bandBottom; y++) {
        data.copyWithin(firstStart + (y - bandTop) * rowStride, firstStart, firstEnd);
      }
    }
  }
  return { cellsPainted };
}
