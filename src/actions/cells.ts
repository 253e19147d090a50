import { clampRect, type Rect } from '../core/geometry';
import type { Mask } from '../core/pixels/types';

/**
 * Turning a selection into rectangles that can be painted AND recorded.
 *
 * The sidecar records rectangular regions, and `checkRegionObscured` verifies every pixel of
 * a recorded region. A non-rectangular selection is therefore painted in whole grid cells: every
 * cell any selected pixel touches is painted completely (DESIGN.md "Obscure"), and the painted
 * cells are recorded as a few rectangles (runs of touched cells on a row, merged with identical
 * runs on the rows below). Painting a little more than the selection is the safe direction.
 */

/** Cells touched by a mask, as disjoint cell-aligned rectangles clamped to the canvas. */
export function touchedCellRects(mask: Mask, origin: { x: number; y: number }, cellSize: number, canvas: { width: number; height: number }): Rect[] {
  const { bounds, data } = mask;
  if (bounds.w <= 0 || bounds.h <= 0) return [];
  const firstCol = Math.floor((bounds.x - origin.x) / cellSize);
  const firstRow = Math.floor((bounds.y - origin.y) / cellSize);
  const lastCol = Math.floor((bounds.x + bounds.w - 1 - origin.x) / cellSize);
  const lastRow = Math.floor((bounds.y + bounds.h - 1 - origin.y) / cellSize);
  const cols = lastCol - firstCol + 1;
  const rows = lastRow - firstRow + 1;
  const touched = new Uint8Array(cols * rows);
  for (let y = 0; y < bounds.h; y++) {
    const row = Math.floor((bounds.y + y - origin.y) / cellSize) - firstRow;
    const base = y * bounds.w;
    for (let x = 0; x < bounds.w; x++) {
      if (data[base + x] === 0) continue;
      const col = Math.floor((bounds.x + x - origin.x) / cellSize) - firstCol;
      touched[row * cols + col] = 1;
    }
  }
  // Runs per row: [startCol, endCol) pairs.
  const runsOf = (row: number): Array<[number, number]> => {
    const runs: Array<[number, number]> = [];
    let start = -1;
    for (let c = 0; c <= cols; c++) {
      const on = c < cols && touched[row * cols + c] === 1;
      if (on && start < 0) start = c;
      if (!on && start >= 0) {
        runs.push([start, c]);
        start = -1;
      }
    }
    return runs;
  };
  const out: Rect[] = [];
  let open: Array<{ run: [number, number]; topRow: number }> = [];
  const close = (entry: { run: [number, number]; topRow: number }, endRow: number): void => {
    const r = clampRect(
      {
        x: origin.x + (firstCol + entry.run[0]) * cellSize,
        y: origin.y + (firstRow + entry.topRow) * cellSize,
        w: (entry.run[1] - entry.run[0]) * cellSize,
        h: (endRow - entry.topRow) * cellSize,
      },
      canvas.width,
      canvas.height,
    );
    if (r) out.push(r);
  };
  for (let row = 0; row <= rows; row++) {
    const runs = row < rows ? runsOf(row) : [];
    const next: typeof open = [];
    for (const entry of open) {
      const same = runs.findIndex((r) => r[0] === entry.run[0] && r[1] === entry.run[1]);
      if (same >= 0) {
        next.push(entry);
        runs.splice(same, 1);
      } else {
        close(entry, row);
      }
    }
    for (const run of runs) next.push({ run, topRow: row });
    open = next;
  }
  return out;
}

/**
 * The rectangle a mosaic over `bounds` paints: grown right and down to whole cells (so no
 * sliver of a cell is left at the far edges), clamped to the canvas. The grid stays anchored
 * at the selection's top-left.
 */
export function cellAlignedRect(bounds: Rect, cellSize: number, canvas: { width: number; height: number }): Rect | null {
  return clampRect(
    { x: bounds.x, y: bounds.y, w: Math.ceil(bounds.w / cellSize) * cellSize, h: Math.ceil(bounds.h / cellSize) * cellSize },
    canvas.width,
    canvas.height,
  );
}

/** The smallest rectangle holding all of `rects` (null for none). */
export function unionRect(rects: readonly Rect[]): Rect | null {
  if (rects.length === 0) return null;
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const r of rects) {
    x0 = Math.min(x0, r.x);
    y0 = Math.min(y0, r.y);
    x1 = Math.max(x1, r.x + r.w);
    y1 = Math.max(y1, r.y + r.h);
  }
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}
