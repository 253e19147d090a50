import { DEFAULT_LIMITS } from '../limits';
import { combinedMosaicProblems, describeCombinedProblem } from '../policy/combined';
import type { ImageFormat } from '../metadata/types';
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
 * The region tolerance for an image that really is `stored` (detectContainer on its bytes): only
 * a JPEG has been through a lossy encode, every other container is held to exact pixels. Never
 * the sidecar's `image.format`: the sidecar is the document under suspicion, and one saying
 * "jpeg" for a PNG would buy its regions the looser JPEG tolerance.
 */
export function regionTolerance(stored: ImageFormat | null): typeof JPEG_TOLERANCE {
  return stored === 'jpeg' ? JPEG_TOLERANCE : LOSSLESS_TOLERANCE;
}

const FORMAT_NAMES: Record<ImageFormat, string> = { jpeg: 'a JPEG', png: 'a PNG', webp: 'a WebP', tiff: 'a TIFF', heif: 'a HEIF', avif: 'an AVIF' };

/**
 * A sidecar whose `image.format` is not what the image's bytes are (null: they agree). The
 * sidecar then describes another file than the one beside it, as one naming a different file
 * does (a hash-mismatch finding for every command).
 */
export function formatMismatch(sidecar: Sidecar, stored: ImageFormat | null): string | null {
  if (stored === sidecar.image.format) return null;
  const is = stored === null ? 'not an image format the tool reads' : FORMAT_NAMES[stored];
  return `the sidecar says the image is ${FORMAT_NAMES[sidecar.image.format]}, but its bytes are ${is}`;
}

/**
 * Every recorded region of an export against its decoded pixels (as stored, no EXIF
 * orientation): the one check `deid verify`, the review page and the report all rest on. The
 * tolerance follows what the image's bytes are (`stored`, regionTolerance above): a lossy re-encode's
 * for JPEG, none otherwise.
 */
export function checkRecordedRegions(pixels: PixelBuffer, sidecar: Sidecar, policy: Policy, stored: ImageFormat | null): RecordedRegionCheck[] {
  const steps = recordedRegions(sidecar);
  const tolerance = regionTolerance(stored);
  const combined = new Map(combinedMosaicProblems(policy, steps).map((p) => [p.index, describeCombinedProblem(p)]));
  return steps.map((step, i) => {
    const obscured = checkRegionObscured(pixels, step, policy, tolerance);
    const why = combined.get(i) ?? null;
    return { number: i + 1, step, obscured, combined: why, ok: obscured.ok && why === null };
  });
}
