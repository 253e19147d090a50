import type { Rect } from '../geometry';
import type { Finding } from '../metadata/types';
import { runsToMask } from '../pixels/mask-runs';
import type { Step } from '../sidecar/types';
import { area, intersection } from './boxes';
import type { Detection } from './types';

/**
 * How much of a detection must lie under obscured regions for it to count as dealt with. A face
 * half under an overlay still shows an eye, an ear, a hairline: the residual check wants the
 * detection (padded by the detector's own slack) essentially covered.
 */
export const COVERED_SHARE = 0.7;

/**
 * The share of `box` covered by the union of the obscuring steps' regions (their masks where a
 * step recorded one). Counted per pixel over the box, so overlapping regions are not counted
 * twice; boxes are detector-sized (a few hundred pixels across), so this stays cheap.
 */
export function coveredShare(box: Rect, obscuring: readonly Step[]): number {
  const total = area(box);
  if (total === 0) return 1;
  const hits = obscuring
    .filter((s) => (s.op === 'overlay' || s.op === 'pixelate') && s.region)
    .map((s) => ({ step: s, part: intersection(box, s.region!) }))
    .filter((p): p is { step: Step; part: Rect } => p.part !== null);
  if (hits.length === 0) return 0;
  const covered = new Uint8Array(total);
  for (const { step, part } of hits) {
    const region = step.region!;
    const mask = step.mask ? runsToMask(step.mask, region).data : null;
    for (let y = part.y; y < part.y + part.h; y++) {
      for (let x = part.x; x < part.x + part.w; x++) {
        if (mask && mask[(y - region.y) * region.w + (x - region.x)] === 0) continue;
        covered[(y - box.y) * box.w + (x - box.x)] = 1;
      }
    }
  }
  let n = 0;
  for (const c of covered) n += c;
  return n / total;
}

export function describeBox(box: Rect): string {
  return `${box.x},${box.y} ${box.w}x${box.h}`;
}

/** The detections that obscured regions do not cover (less than COVERED_SHARE of the box). */
export function uncoveredDetections(detections: readonly Detection[], obscuring: readonly Step[]): { detection: Detection; share: number }[] {
  return detections
    .map((detection) => ({ detection, share: coveredShare(detection.box, obscuring) }))
    .filter((d) => d.share < COVERED_SHARE);
}

/**
 * The residual check (issue 11): every detection not covered by an obscured region, as a
 * `possible-face` / `possible-text` finding with its box. `obscuring` are the sidecar's steps in
 * the exported picture's coordinates (stepsInFinalCoordinates). A finding says what a detector
 * saw and where; whether it is an identifier stays the reviewer's call.
 */
export function residualFindings(uncovered: readonly { detection: Detection; share: number }[], where: string): Finding[] {
  return uncovered.map(({ detection: d, share }) => ({
    kind: d.kind === 'face' ? 'possible-face' : 'possible-text',
    where: `${where} box ${describeBox(d.box)}`,
    detail:
      `the ${d.kind} detector found ${d.kind === 'face' ? 'a face' : 'text'} (score ${d.score.toFixed(2)})` +
      (share > 0 ? `, only ${Math.round(share * 100)}% of it under an obscured region` : ', not under any obscured region'),
  }));
}
