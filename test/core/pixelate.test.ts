import fc from 'fast-check';
import { DeidError } from '../../src/core/errors';
import type { Rect } from '../../src/core/geometry';
import { pixelateRegion } from '../../src/core/pixels/pixelate';
import type { Mask, PixelBuffer } from '../../src/core/pixels/types';
import { DEFAULT_POLICY, HARD_LIMITS, mosaicPlan } from '../../src/core/policy/policy';
import { grid, gridWith, maskGrid, toMatchPixels } from '../helpers/pixels';
import { arbitraryBuffer, arbitraryMask, arbitraryRegion, cloneBuffer } from '../helpers/arbitraries';

expect.extend({ toMatchPixels });

describe('pixelateRegion on small grids', () => {
  it('paints each cell with the rounded mean of all its pixels, partial edge cells included', () => {
    const img = grid`
      1 2 2   10 10 10
      1 2 2   10 10 10
      1 2 2   10 10 11
      9 9 8    7  7  7
    `;
    const result = pixelateRegion(img, { x: 0, y: 0, w: 6, h: 4 }, 3);
    expect(result.cellsPainted).toBe(4);
    // 15/9 = 1.67 -> 2; 91/9 = 10.1 -> 10; 26/3 = 8.67 -> 9
    expect(img).toMatchPixels(grid`
      2 2 2   10 10 10
      2 2 2   10 10 10
      2 2 2   10 10 10
      9 9 9    7  7  7
    `);
  });

  it('anchors the grid at the region and leaves everything outside it alone', () => {
    const img = grid`
      50 50 50 50 50
      50  0  4 20 50
      50  8  0 30 50
      50 50 50 50 50
    `;
    pixelateRegion(img, { x: 1, y: 1, w: 3, h: 2 }, 2);
    expect(img).toMatchPixels(grid`
      50 50 50 50 50
      50  3  3 25 50
      50  3  3 25 50
      50 50 50 50 50
    `);
  });

  it('clamps a region that runs off the image: edge cells average only the pixels inside', () => {
    const img = grid`
      0 0 0  0
      0 1 2 90
      0 3 4 10
    `;
    const result = pixelateRegion(img, { x: 1, y: 1, w: 10, h: 10 }, 2);
    expect(result.cellsPainted).toBe(2);
    expect(img).toMatchPixels(grid`
      0  0  0  0
      0  3  3 50
      0  3  3 50
    `);
  });

  it('anchors the grid at a region top-left that lies outside the image', () => {
    const img = grid`
      10 20 30 40
      10 20 30 40
    `;
    // cells start at x = -1: [-1, 1) holds only column 0, [1, 3) columns 1-2, [3, 5) column 3
    pixelateRegion(img, { x: -1, y: 0, w: 6, h: 2 }, 2);
    expect(img).toMatchPixels(grid`
      10 25 25 40
      10 25 25 40
    `);
  });

  it('paints every cell the mask touches whole (even an anti-aliased edge of 1) and no other', () => {
    const mask: Mask = maskGrid(2, 1)`
      0 0 0
      0 1 0
    `;
    const img = grid`
      1 3   5 7   9 9
      1 3   5 7   9 9
      2 2   0 4   0 4
      2 2   8 4   0 4
    `;
    // Only (3, 2) is selected, at 1/255: the cell [2, 4) x [2, 4) is painted whole.
    expect(pixelateRegion(img, { x: 0, y: 0, w: 6, h: 4 }, 2, mask).cellsPainted).toBe(1);
    expect(img).toMatchPixels(grid`
      1 3   5 7   9 9
      1 3   5 7   9 9
      2 2   4 4   0 4
      2 2   4 4   0 4
    `);
  });

  it('makes alpha opaque inside painted cells and averages colour channels', () => {
    const img = grid`
      255,0,0,0   0,0,255,128   9,9,9,9
      255,0,0,255 0,0,255,64    9,9,9,9
    `;
    pixelateRegion(img, { x: 0, y: 0, w: 2, h: 2 }, 2);
    expect(img).toMatchPixels(grid`
      128,0,128,255 128,0,128,255 9,9,9,9
      128,0,128,255 128,0,128,255 9,9,9,9
    `);
  });

  it('works on Photoshop 16-bit (0..32768) gray + alpha', () => {
    const g16 = gridWith({ maxValue: 32768 });
    const img = g16`
      32768,0 0,32768
      100,5   300,7
    `;
    pixelateRegion(img, { x: 0, y: 0, w: 2, h: 2 }, 8);
    expect(img.data).toBeInstanceOf(Uint16Array);
    expect(img).toMatchPixels(g16`
      8292,32768 8292,32768
      8292,32768 8292,32768
    `);
  });

  it('does nothing for a region entirely outside the image', () => {
    const img = grid`
      1 2
      3 4
    `;
    expect(pixelateRegion(img, { x: 5, y: 5, w: 3, h: 3 }, 2).cellsPainted).toBe(0);
    expect(img).toMatchPixels(grid`
      1 2
      3 4
    `);
  });

  it('refuses a bad cell size or a mask whose data does not fit its bounds', () => {
    const img = grid`
      1 2
    `;
    expect(() => pixelateRegion(img, { x: 0, y: 0, w: 2, h: 1 }, 0)).toThrow(DeidError);
    expect(() => pixelateRegion(img, { x: 0, y: 0, w: 2, h: 1 }, 1.5)).toThrow(DeidError);
    const badMask: Mask = { data: new Uint8Array(3), bounds: { x: 0, y: 0, w: 2, h: 1 } };
    expect(() => pixelateRegion(img, { x: 0, y: 0, w: 2, h: 1 }, 2, badMask)).toThrow(/mask data holds 3/);
  });
});

/** The obvious per-pixel model: which cell a pixel is in, which cells are painted, their means. */
function naiveMosaic(buf: PixelBuffer, region: Rect, cell: number, mask?: Mask): PixelBuffer {
  const out: PixelBuffer = { ...buf, data: buf.data.slice() };
  const inside = (x: number, y: number): boolean =>
    x >= Math.max(0, region.x) && x < Math.min(buf.width, region.x + region.w) &&
    y >= Math.max(0, region.y) && y < Math.min(buf.height, region.y + region.h);
  const selected = (x: number, y: number): boolean => {
    if (!mask) return true;
    const { bounds } = mask;
    if (x < bounds.x || y < bounds.y || x >= bounds.x + bounds.w || y >= bounds.y + bounds.h) return false;
    return mask.data[(y - bounds.y) * bounds.w + (x - bounds.x)] > 0;
  };
  const cells = new Map<string, { px: [number, number][]; painted: boolean }>();
  for (let y = 0; y < buf.height; y++) {
    for (let x = 0; x < buf.width; x++) {
      if (!inside(x, y)) continue;
      const key = `${Math.floor((x - region.x) / cell)},${Math.floor((y - region.y) / cell)}`;
      const entry = cells.get(key) ?? { px: [], painted: false };
      entry.px.push([x, y]);
      entry.painted ||= selected(x, y);
      cells.set(key, entry);
    }
  }
  for (const { px, painted } of cells.values()) {
    if (!painted) continue;
    for (let c = 0; c < buf.components; c++) {
      let sum = 0;
      for (const [x, y] of px) sum += buf.data[(y * buf.width + x) * buf.components + c];
      const value = buf.hasAlpha && c === buf.components - 1 ? buf.maxValue : Math.round(sum / px.length);
      for (const [x, y] of px) out.data[(y * buf.width + x) * buf.components + c] = value;
    }
  }
  return out;
}

describe('pixelateRegion properties', () => {
  it('matches the per-pixel model for any buffer, region, mask and cell size', () => {
    fc.assert(
      fc.property(
        arbitraryBuffer({ maxSide: 24 }).chain((buf) =>
          fc.tuple(fc.constant(buf), arbitraryRegion(buf), fc.integer({ min: 1, max: 9 }), fc.option(arbitraryMask(buf), { nil: undefined })),
        ),
        ([generated, region, cell, mask]) => {
          // fast-check replays generated values while shrinking: never mutate them.
          const buf = cloneBuffer(generated);
          const expected = naiveMosaic(buf, region, cell, mask);
          pixelateRegion(buf, region, cell, mask);
          expect(buf).toMatchPixels(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('with a policy cell size: painted cells are constant, opaque and at least the minimum; the rest is untouched', () => {
    fc.assert(
      fc.property(
        arbitraryBuffer({ maxSide: 40, minSide: 8 }).chain((buf) =>
          fc.tuple(
            fc.constant(buf),
            arbitraryRegion(buf),
            fc.integer({ min: 1, max: HARD_LIMITS.maxCellsAcrossCeiling }),
            fc.integer({ min: 0, max: 6 }),
            fc.option(arbitraryMask(buf), { nil: undefined }),
          ),
        ),
        ([generated, region, maxCellsAcross, extra, mask]) => {
          const buf = cloneBuffer(generated);
          const policy = { ...DEFAULT_POLICY, maxCellsAcross };
          const plan = mosaicPlan(policy, region);
          const { cellSize } = mosaicPlan(policy, region, plan.cellSize + extra);
          expect(cellSize).toBeGreaterThanOrEqual(HARD_LIMITS.minCellSizeFloor);
          expect(cellSize).toBeGreaterThanOrEqual(Math.ceil(Math.min(region.w, region.h) / maxCellsAcross));
          const before = buf.data.slice();
          pixelateRegion(buf, region, cellSize, mask);
          const selected = (x: number, y: number): boolean => {
            if (!mask) return true;
            const { bounds } = mask;
            const inBounds = x >= bounds.x && y >= bounds.y && x < bounds.x + bounds.w && y < bounds.y + bounds.h;
            return inBounds && mask.data[(y - bounds.y) * bounds.w + (x - bounds.x)] > 0;
          };
          const cells = new Map<string, { pixels: number[][]; touched: boolean; changed: boolean }>();
          for (let y = 0; y < buf.height; y++) {
            for (let x = 0; x < buf.width; x++) {
              const p = (y * buf.width + x) * buf.components;
              const px = Array.from(buf.data.subarray(p, p + buf.components));
              const changed = px.some((v, i) => v !== before[p + i]);
              const inRegion = x >= region.x && x < region.x + region.w && y >= region.y && y < region.y + region.h;
              if (!inRegion) {
                expect(changed).toBe(false);
                continue;
              }
              const key = `${Math.floor((x - region.x) / cellSize)},${Math.floor((y - region.y) / cellSize)}`;
              const cell = cells.get(key) ?? { pixels: [], touched: false, changed: false };
              cell.pixels.push(px);
              cell.touched ||= selected(x, y);
              cell.changed ||= changed;
              cells.set(key, cell);
            }
          }
          for (const cell of cells.values()) {
            if (!cell.touched) {
              expect(cell.changed).toBe(false);
              continue;
            }
            for (const px of cell.pixels) expect(px).toEqual(cell.pixels[0]);
            if (buf.hasAlpha) expect(cell.pixels[0][buf.components - 1]).toBe(buf.maxValue);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
