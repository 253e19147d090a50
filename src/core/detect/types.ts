import type { Rect } from '../geometry';

/** What a detector looks for (issue 11): faces, and text of any kind (names, numbers, codes). */
export const DETECTION_KINDS = ['face', 'text'] as const;
export type DetectionKind = (typeof DETECTION_KINDS)[number];

/** The four orientations a face is searched at: patients are photographed lying down. */
export type QuarterTurn = 0 | 90 | 180 | 270;

/** One candidate region, in the picture's own pixel coordinates (as `deid apply` decodes it). */
export interface Detection {
  kind: DetectionKind;
  /** Whole pixels, inside the picture. */
  box: Rect;
  /** The detector's confidence, 0..1. */
  score: number;
  /** For faces: the clockwise turn of the picture at which the face stood upright. */
  turn?: QuarterTurn;
}
