import type { Rect } from '../geometry';
import { DeidError } from '../errors';
import type { Mask } from './types';

/**
 * A selection mask as a sidecar records it (Step.mask): run lengths over the step's region,
 * row-major, alternating not-selected / selected and starting with not-selected (so a region
 * whose first pixel is selected starts with a 0). Anything > 0 in a mask counts as selected,
 * as everywhere else (anti-aliased edges are covered). An ellipse of 200x250 takes about 500
 * numbers: small enough for a sidecar, exact enough that verify checks what was really painted
 * instead of the selection's bounding box.
 */
export function maskToRuns(mask: Mask, region: Rect): number[] {
  const runs: number[] = [];
  let selected = false;
  let run = 0;
  const { bounds, data } = mask;
  for (let y = region.y; y < region.y + region.h; y++) {
    for (let x = region.x; x < region.x + region.w; x++) {
      const inside = x >= bounds.x && y >= bounds.y && x < bounds.x + bounds.w && y < bounds.y + bounds.h;
      const on = inside && data[(y - bounds.y) * bounds.w + (x - bounds.x)] > 0;
      if (on !== selected) {
        runs.push(run);
        run = 0;
        selected = on;
      }
      run++;
    }
  }
  runs.push(run);
  return runs;
}

/**
 * The mask a Step.mask describes, placed at `region` (0 / 255). With `within` (the image), only
 * the part of the region inside it is stored: memory stays bounded by the image, however large a
 * recorded region claims to be (issue 13.5: a 60000x60000 mask over a small photo).
 */
export function runsToMask(runs: readonly number[], region: Rect, within?: Rect): Mask {
  const total = region.w * region.h;
  const x0 = within ? Math.max(region.x, within.x) : region.x;
  const y0 = within ? Math.max(region.y, within.y) : region.y;
  const x1 = within ? Math.min(region.x + region.w, within.x + within.w) : region.x + region.w;
  const y1 = within ? Math.min(region.y + region.h, within.y + within.h) : region.y + region.h;
  const bounds = { x: x0, y: y0, w: Math.max(0, x1 - x0), h: Math.max(0, y1 - y0) };
  const data = new Uint8Array(bounds.w * bounds.h);
  let pos = 0;
  let selected = false;
  for (const run of runs) {
    if (!Number.isInteger(run) || run < 0 || pos + run > total) {
      throw new DeidError('schema', `the step's mask runs do not fit its ${region.w}x${region.h} region`);
    }
    if (selected && run > 0 && bounds.w > 0 && bounds.h > 0) fillRun(data, bounds, region, pos, pos + run);
    pos += run;
    selected = !selected;
  }
  if (pos !== total) throw new DeidError('schema', `the step's mask runs cover ${pos} of ${total} pixels of its region`);
  return { data, bounds };
}

/** Marks region-relative pixel indices [from, to) that fall inside `bounds`, row by row. */
function fillRun(data: Uint8Array, bounds: Rect, region: Rect, from: number, to: number): void {
  let at = from;
  while (at < to) {
    const row = Math.floor(at / region.w);
    const col = at - row * region.w;
    const rowEnd = Math.min(to, (row + 1) * region.w);
    const y = region.y + row;
    if (y >= bounds.y + bounds.h) return;
    if (y >= bounds.y) {
      const xs = Math.max(region.x + col, bounds.x);
      const xe = Math.min(region.x + col + (rowEnd - at), bounds.x + bounds.w);
      if (xe > xs) {
        const base = (y - bounds.y) * bounds.w - bounds.x;
        data.fill(255, base + xs, base + xe);
      }
      at = rowEnd;
    } else {
      // Skip straight to the first row inside the bounds.
      at = Math.max(rowEnd, (bounds.y - region.y) * region.w);
    }
  }
}

/**
 * Whether a recorded mask selects no pixel of its region: such a step paints nothing (and
 * verify, which checks the selected pixels, would find nothing wrong) while the sidecar says the
 * region was obscured. A real selection always holds a pixel. Nothing stricter is asked (say,
 * that the selection reaches every edge of its bounds): Photoshop may count faint feathered
 * pixels in a selection's bounds that read as 0 in the 8-bit mask. Runs that do not fit the
 * region are runsToMask's to refuse.
 */
export function maskSelectsNothing(runs: readonly number[]): boolean {
  for (let i = 1; i < runs.length; i += 2) if (runs[i]! > 0) return false;
  return true;
}

/** Passes of row and column filling before the selection's bounding box is painted instead. */
const MAX_FILL_PASSES = 16;

/**
 * What a non-rectangular selection paints (and verify checks): the selection with the gaps in
 * every row and every column filled, repeated until nothing changes, in place. A selection made
 * by colour (Select > Color Range, the Magic Wand) traces the detail itself: painting exactly it
 * turns dark lettering into black lettering on the same background, still readable, and leaves
 * eyes and mouth inside a skin-tone selection untouched. research/deid-threats.md section 1: only
 * a SOLID overlay protects text, and no partial cell may keep the shape of what it hides; so what
 * lies between selected pixels is painted too (a lasso, an ellipse or a rectangle is unchanged).
 * Two features selected together on the same rows are joined; select them one at a time to keep
 * what lies between. A shape that does not settle within MAX_FILL_PASSES gets its whole bounding
 * box (more painted, never less). Filling only ever adds pixels, so the fill of the part of a
 * mask inside the image lies inside the fill of the whole mask: what verify checks was painted.
 */
export function fillSelectionGaps(mask: Mask): Mask {
  const { data, bounds } = mask;
  const { w, h } = bounds;
  for (let pass = 0; pass < MAX_FILL_PASSES; pass++) {
    let changed = false;
    for (let y = 0; y < h; y++) {
      const row = y * w;
      let first = -1;
      let last = -1;
      for (let x = 0; x < w; x++) {
        if (data[row + x] !== 0) {
          if (first < 0) first = x;
          last = x;
        }
      }
      for (let x = first + 1; first >= 0 && x < last; x++) {
        if (data[row + x] === 0) {
          data[row + x] = 255;
          changed = true;
        }
      }
    }
    for (let x = 0; x < w; x++) {
      let first = -1;
      let last = -1;
      for (let y = 0; y < h; y++) {
        if (data[y * w + x] !== 0) {
          if (first < 0) first = y;
          last = y;
        }
      }
      for (let y = first + 1; first >= 0 && y < last; y++) {
        if (data[y * w + x] === 0) {
          data[y * w + x] = 255;
          changed = true;
        }
      }
    }
    if (!changed) return mask;
  }
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (data[y * w + x] === 0) continue;
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
    }
  }
  for (let y = y0; y <= y1; y++) data.fill(255, y * w + x0, y * w + x1 + 1);
  return mask;
}
