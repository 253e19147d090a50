import { DeidError } from '../errors';
import { clampRect } from '../geometry';
import { checkCombinedMosaics } from '../policy/combined';
import { checkStep } from '../policy/policy';
import type { Policy } from '../policy/types';
import type { Step } from '../sidecar/types';
import { clonePixels } from './buffer';
import { cropPixels } from './crop';
import { overlayRegion } from './overlay';
import { pixelateRegion } from './pixelate';
import { fillSelectionGaps, runsToMask } from './mask-runs';
import type { Mask, PixelBuffer } from './types';

/**
 * Replays recorded steps on pixels (`deid apply`, and reproducing an export).
 *
 * Every step is checked against the policy FIRST (checkStep), so a recipe with one forbidden
 * step changes nothing. Then the steps run in order on a copy; `buf` is not modified.
 *
 * Coordinates: each step's region is in the coordinates of the image AS IT IS WHEN THAT STEP
 * RUNS. Steps before a crop are in pre-crop coordinates; a crop's own region is in the
 * coordinates current at that moment, and after it the origin moves to the crop's top-left
 * (clamped to the image). A recipe without a crop, the usual case, is therefore simply in the
 * exported image's coordinates (DESIGN.md "Sidecar"). stepsInFinalCoordinates() maps the
 * obscuring steps of any recipe into the final image's coordinates, for verification.
 *
 * Overlay steps without a colour use the policy's overlay colour. `flatten`, `export` and
 * `strip` do not touch pixels (a buffer is already flat; the byte-level steps happen in the
 * container code).
 */
export function applySteps(buf: PixelBuffer, steps: Step[], policy: Policy, options: { inPlace?: boolean } = {}): PixelBuffer {
  for (const step of steps) checkStep(policy, step);
  checkCombinedMosaics(policy, stepsInFinalCoordinates(steps));
  // In place when the caller no longer needs the source (deid apply): one full copy fewer.
  let current = options.inPlace ? buf : clonePixels(buf);
  steps.forEach((step, i) => {
    if ((step.op === 'pixelate' || step.op === 'overlay') && step.region && !clampRect(step.region, current.width, current.height)) {
      // The step would cover nothing, and the export would claim it did (verify then reports
      // the region outside the image): refused, as a crop outside the image is (crop.ts).
      const r = step.region;
      throw new DeidError('usage', `step ${i + 1} (${step.op}): region ${r.w}x${r.h} at (${r.x}, ${r.y}) lies outside the ${current.width}x${current.height} image, so it would obscure nothing`);
    }
    const mask = step.op === 'pixelate' || step.op === 'overlay' ? stepMask(step, current) : undefined;
    if (mask && !mask.data.some((v) => v > 0)) {
      throw new DeidError('usage', `step ${i + 1} (${step.op}): its mask selects no pixel inside the ${current.width}x${current.height} image, so it would obscure nothing`);
    }
    switch (step.op) {
      case 'pixelate':
        // checkStep guarantees region and cellSize on a mosaic step.
        pixelateRegion(current, step.region as NonNullable<Step['region']>, step.cellSize as number, mask);
        break;
      case 'overlay':
        overlayRegion(current, step.region as NonNullable<Step['region']>, step.color ?? policy.overlayColor, mask);
        break;
      case 'crop':
        current = cropPixels(current, step.region as NonNullable<Step['region']>);
        break;
      case 'flatten':
      case 'export':
      case 'strip':
      case 'convert-to-srgb':
        break;
      default: {
        const op: never = step.op;
        throw new DeidError('schema', `unknown step ${String(op)}`);
      }
    }
  });
  return current;
}

/**
 * What a step with a recorded selection (non-rectangular) paints, or undefined for its whole
 * region: the selection with its gaps filled (mask-runs.ts fillSelectionGaps), which verify
 * checks too. With `image`, only the part inside it is built (memory bounded by the image).
 */
export function stepMask(step: Step, image?: PixelBuffer): Mask | undefined {
  if (!step.mask || !step.region) return undefined;
  return fillSelectionGaps(runsToMask(step.mask, step.region, image ? { x: 0, y: 0, w: image.width, h: image.height } : undefined));
}

/**
 * The pixelate and overlay steps of a recipe with their regions moved into the FINAL image's
 * coordinates (the rule is in applySteps' comment): each region is shifted by the top-left of
 * every crop after it. Regions keep their full recorded size and top-left (the mosaic grid is
 * anchored there even when a later crop cut part of the region away); a region that a later
 * crop removed entirely is left out, since nothing of it is in the exported image.
 */
export function stepsInFinalCoordinates(steps: Step[]): Step[] {
  const out: Step[] = [];
  // Only crops move regions: walking just the crops after each step keeps this linear for the
  // usual recipe (issue 13.5: 30,000 steps), instead of rescanning every later step.
  const crops: Array<{ index: number; region: NonNullable<Step['region']> }> = [];
  steps.forEach((s, index) => {
    if (s.op === 'crop' && s.region) crops.push({ index, region: s.region });
  });
  let firstCrop = 0;
  steps.forEach((step, index) => {
    while (firstCrop < crops.length && crops[firstCrop].index <= index) firstCrop++;
    if ((step.op !== 'pixelate' && step.op !== 'overlay') || !step.region) return;
    let { x, y } = step.region;
    const { w, h } = step.region;
    for (let c = firstCrop; c < crops.length; c++) {
      const later = crops[c];
      const cx = Math.max(0, later.region.x);
      const cy = Math.max(0, later.region.y);
      const cw = later.region.x + later.region.w - cx;
      const ch = later.region.y + later.region.h - cy;
      x -= cx;
      y -= cy;
      if (x >= cw || y >= ch || x + w <= 0 || y + h <= 0) return;
    }
    out.push({ ...step, region: { x, y, w, h } });
  });
  return out;
}
