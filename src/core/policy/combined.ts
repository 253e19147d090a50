import { DeidError } from '../errors';
import type { Rect } from '../geometry';
import type { Step } from '../sidecar/types';
import { coveredLater, nearGroups } from './combined-groups';
import { minimumCellSize } from './policy';
import type { Policy } from './types';

/**
 * The strength policy over a whole image, not one step at a time. Sixteen 50x50 mosaics with
 * 10 px cells tile a 200x200 face at 20 cells across, although each passes on its own; so
 * mosaic regions that overlap or lie closer than the policy's cell floor are judged as one
 * area: every mosaic in such a group needs cells of at least the minimum for the group's
 * bounding box (research/deid-threats.md section 1: at most N cells across the feature).
 *
 * All regions must be in one coordinate system (stepsInFinalCoordinates gives that).
 */
export interface CombinedMosaicProblem {
  /** Index into the steps passed in. */
  index: number;
  area: Rect;
  required: number;
  cellSize: number;
}

/**
 * Groups of nearby mosaic steps that still show, each with its bounding box. A mosaic that a
 * later unmasked mosaic or overlay paints over completely shows nothing any more.
 */
function mosaicGroups(steps: readonly Step[], gap: number): Array<{ members: number[]; area: Rect }> {
  const mosaics = steps.map((s) => (s.op === 'pixelate' && s.region ? s.region : null));
  const covers = steps.map((s) => ((s.op === 'pixelate' || s.op === 'overlay') && !s.mask && s.region ? s.region : null));
  const hidden = coveredLater(mosaics, covers);
  const indices: number[] = [];
  const rects: Rect[] = [];
  mosaics.forEach((r, i) => {
    if (r && !hidden[i]) {
      indices.push(i);
      rects.push(r);
    }
  });
  return nearGroups(rects, gap).map((g) => ({ members: g.members.map((m) => indices[m]), area: g.area }));
}

/** Every mosaic step whose cells are too fine for the area its group covers. */
export function combinedMosaicProblems(policy: Policy, steps: readonly Step[]): CombinedMosaicProblem[] {
  const problems: CombinedMosaicProblem[] = [];
  for (const group of mosaicGroups(steps, policy.minCellSize)) {
    if (group.members.length < 2) continue;
    const required = minimumCellSize(policy, group.area);
    for (const index of group.members) {
      const cellSize = steps[index].cellSize ?? 0;
      if (cellSize < required) problems.push({ index, area: group.area, required, cellSize });
    }
  }
  return problems.sort((a, b) => a.index - b.index);
}

export function describeCombinedProblem(p: CombinedMosaicProblem): string {
  return (
    `together with the mosaics next to it this covers ${p.area.w}x${p.area.h} px, which needs cells of at least ` +
    `${p.required} px; this mosaic has ${p.cellSize} px cells (select the whole area, ${p.area.x},${p.area.y} ` +
    `${p.area.w}x${p.area.h}, and apply one mosaic over it)`
  );
}

/** Throws DeidError('policy') when mosaics next to each other are too fine together. */
export function checkCombinedMosaics(policy: Policy, steps: readonly Step[]): void {
  const [first] = combinedMosaicProblems(policy, steps);
  if (first) {
    const r = steps[first.index].region as Rect;
    throw new DeidError('policy', `the mosaic at ${r.x},${r.y} ${r.w}x${r.h} is refused: ${describeCombinedProblem(first)}`);
  }
}

/** The smallest cell size a new mosaic over `region` may use next to the mosaics already in `steps`. */
export function minimumCellSizeNear(policy: Policy, steps: readonly Step[], region: Rect): number {
  const probe: Step = { op: 'pixelate', region, at: '' };
  const groups = mosaicGroups([...steps, probe], policy.minCellSize);
  const mine = groups.find((g) => g.members.includes(steps.length));
  return minimumCellSize(policy, mine ? mine.area : region);
}
