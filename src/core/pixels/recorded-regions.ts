import { DEFAULT_LIMITS } from '../limits';
import { combinedMosaicProblems, describeCombinedProblem } from '../policy/combined';
import type { Policy } from '../policy/types';
import type { Sidecar, Step } from '../sidecar/types';
import { stepsInFinalCoordinates } from './apply';
import type { PixelBuffer } from './types';
import { checkRegionObscured, JPEG_TOLERANCE, LOSSLESS_TOLERANCE } from './verify-region';

/**
 * Bounded work (issue 13.5): a sidecar recording more steps than the policy's limit has its
 * regions left unchecked, so the export cannot pass. Null when within the limit.
 */
export function stepLimitProblem(sidecar: Sidecar, policy: Policy): string | null {
  const maxSteps = policy.maxSteps ?? DEFAULT_LIMITS.maxSteps;
  return sidecar.steps.length > maxSteps
    ? `the sidecar records ${sidecar.steps.length} steps, more than the limit of ${maxSteps} (maxSteps in the policy file); its regions were not checked`
    : null;
}

/** The regions a sidecar records, as they lie in the exported picture (whatever order the steps came in). */
export function recordedRegions(sidecar: Sidecar): Step[] {
  return stepsInFinalCoordinates(sidecar.steps);
}

/** One recorded region checked against the pixels as they are now. */
export interface RecordedRegionCheck {
  /** 1-based, in recordedRegions() order. */
  number: number;
  step: Step;
  /** Whether the pixels inside are still the recorded overlay or mosaic (verify-region.ts). */
  obscured: { ok: boolean; detail: string };
  /** Set when mosaics next to this one are too fine together (policy/combined.ts). */
  combined: string | null;
  ok: boolean;
}

/**
 * Every recorded region of an export against its decoded pixels (as stored, no EXIF
 * orientation): the one check `deid verify`, the review page and the report all rest on. JPEG
 * exports get the tolerance of a lossy re-encode, PNG none.
 */
export function checkRecordedRegions(pixels: PixelBuffer, sidecar: Sidecar, policy: Policy): RecordedRegionCheck[] {
  const steps = recordedRegions(sidecar);
  const tolerance = sidecar.image.format === 'png' ? LOSSLESS_TOLERANCE : JPEG_TOLERANCE;
  const combined = new Map(combinedMosaicProblems(policy, steps).map((p) => [p.index, describeCombinedProblem(p)]));
  return steps.map((step, i) => {
    const obscured = checkRegionObscured(pixels, step, policy, tolerance);
    const why = combined.get(i) ?? null;
    return { number: i + 1, step, obscured, combined: why, ok: obscured.ok && why === null };
  });
}
