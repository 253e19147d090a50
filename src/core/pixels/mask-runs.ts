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

/** The mask a Step.mask describes, placed at `region` (0 / 255). */
export function runsToMask(runs: readonly number[], region: Rect): Mask {
  const total = region.w * region.h;
  const data = new Uint8Array(total);
  let pos = 0;
  let selected = false;
  for (const run of runs) {
    if (!Number.isInteger(run) || run < 0 || pos + run > total) {
      throw new DeidError('schema', `the step's mask runs do not fit its ${region.w}x${region.h} region`);
    }
    if (selected) data.fill(255, pos, pos + run);
    pos += run;
    selected = !selected;
  }
  if (pos !== total) throw new DeidError('schema', `the step's mask runs cover ${pos} of ${total} pixels of its region`);
  return { data, bounds: { ...region } };
}
