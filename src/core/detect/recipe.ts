import { allowedMethods, cellsAcrossFor, minimumCellSize, type ObscureMethod } from '../policy/policy';
import type { Policy } from '../policy/types';
import type { Recipe, Step } from '../sidecar/types';
import { padBox } from './boxes';
import type { Detection } from './types';

/** Margin added on every side, as a share of the box: detector boxes hug eyes-to-chin and glyphs. */
export const DEFAULT_MARGIN = { face: 0.25, text: 0.15 } as const;

export interface DraftOptions {
  /** Overrides the per-kind margins (a share of the box size, e.g. 0.2). */
  margin?: number;
  /** How to obscure faces; default: the policy's first allowed method (overlay). */
  faceMethod?: ObscureMethod;
  /** Written into each step's `at` (ISO 8601); the recipe is a draft for a person to review. */
  at: string;
}

/**
 * A draft recipe from detections (issue 11): faces get the policy's default method (or the
 * mosaic at the policy's minimum cell size, when asked and allowed), text always a solid overlay
 * (pixelated text can be read back, research/deid-threats.md section 1), each box padded by a
 * margin. Every step passes checkStep, so `deid apply` accepts it as is once a person agrees.
 */
export function draftRecipe(detections: readonly Detection[], width: number, height: number, policy: Policy, options: DraftOptions): Recipe {
  const steps: Step[] = [];
  for (const d of detections) {
    const margin = options.margin ?? DEFAULT_MARGIN[d.kind];
    const region = padBox(d.box, margin, width, height);
    const methods = allowedMethods(policy, d.kind);
    const wanted = d.kind === 'face' ? options.faceMethod ?? methods[0]! : 'overlay';
    const method: ObscureMethod = methods.includes(wanted) ? wanted : 'overlay';
    if (method === 'pixelate') {
      const cellSize = minimumCellSize(policy, region);
      steps.push({ op: 'pixelate', region, regionKind: d.kind, cellSize, cellsAcross: cellsAcrossFor(region, cellSize), at: options.at });
    } else {
      steps.push({ op: 'overlay', region, regionKind: d.kind, color: policy.overlayColor, at: options.at });
    }
  }
  return { steps };
}
