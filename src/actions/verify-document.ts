import { clampRect } from '../core/geometry';
import { stepsInFinalCoordinates } from '../core/pixels/apply';
import { checkRegionObscured, type RegionCheck, type RegionTolerance } from '../core/pixels/verify-region';
import type { PixelBuffer } from '../core/pixels/types';
import type { Policy } from '../core/policy/types';
import type { Step } from '../core/sidecar/types';
import type { Rect } from '../core/geometry';

export interface RegionResult extends RegionCheck {
  step: Step;
}

/**
 * Checks every obscuring step (moved into the final picture's coordinates) against pixels read
 * through `read`, one region at a time so a large picture is never held twice. The pixels of
 * each region are read on their own and the step shifted to match; the mosaic grid stays
 * anchored where it was, even when a crop cut into the region.
 */
export async function checkObscuredRegions(
  steps: readonly Step[],
  canvas: { width: number; height: number },
  policy: Policy,
  tolerance: RegionTolerance,
  read: (rect: Rect) => Promise<PixelBuffer>,
): Promise<RegionResult[]> {
  const results: RegionResult[] = [];
  for (const step of stepsInFinalCoordinates([...steps])) {
    const region = step.region as Rect;
    const clip = clampRect(region, canvas.width, canvas.height);
    if (!clip) {
      results.push({ step, ok: false, detail: `region ${region.w}x${region.h} at (${region.x}, ${region.y}) lies outside the picture` });
      continue;
    }
    const pixels = await read(clip);
    const shifted: Step = { ...step, region: { ...region, x: region.x - clip.x, y: region.y - clip.y } };
    results.push({ step, ...checkRegionObscured(pixels, shifted, policy, tolerance) });
  }
  return results;
}
