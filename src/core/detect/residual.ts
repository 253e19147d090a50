import type { Finding } from '../metadata/types';
import type { PixelBuffer } from '../pixels/types';
import type { Step } from '../sidecar/types';
import { residualFindings, uncoveredDetections } from './coverage';
import { neutralizeObscured } from './neutral';
import { detectorNotes } from './notes';
import type { Detection } from './types';

/** What the residual check needs of the detectors; the CLI's Detectors (Node-only runtimes) fits it. */
export interface DetectorRunner {
  detect(pixels: PixelBuffer): Promise<Detection[]>;
}

export interface ResidualCheck {
  /** Everything the detectors found, on the picture with its obscured regions filled in. */
  found: Detection[];
  /** The detections obscured regions do not cover, with the share that is covered. */
  uncovered: { detection: Detection; share: number }[];
  /** `possible-face` / `possible-text`, one per uncovered detection. */
  findings: Finding[];
  /** The advisory notes for the faces and text checklist items. */
  notes: Record<'faces' | 'text', string>;
}

/**
 * The residual check (issue 11) of one picture, shared by `deid verify --pixels` and the review
 * server so both say the same thing. `pixels` are as stored (no EXIF orientation: the grid the
 * sidecar's regions are recorded in) and `obscuring` the sidecar's steps in the exported
 * picture's coordinates (stepsInFinalCoordinates). The detectors see the obscured regions
 * filled with their surroundings, so what they find is what is left uncovered.
 */
export async function residualCheck(pixels: PixelBuffer, obscuring: readonly Step[], detectors: DetectorRunner, where = 'pixels'): Promise<ResidualCheck> {
  const found = await detectors.detect(neutralizeObscured(pixels, obscuring));
  const uncovered = uncoveredDetections(found, obscuring);
  return {
    found,
    uncovered,
    findings: residualFindings(uncovered, where),
    notes: detectorNotes(found, uncovered.map((u) => u.detection)),
  };
}
