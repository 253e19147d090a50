import { DeidError } from '../errors';
import type { Rect } from '../geometry';
import type { Step } from '../sidecar/types';
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

function near(a: Rect, b: Rect, gap: number): boolean {
  return a.x < b.x + b.w + gap && b.x < a.x + a.w + gap && a.y < b.y + b.h + gap && b.y < a.y + a.h + gap;
}

function union(a: Rect, b: Rect): Rect {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, w: Math.max(a.x + a.w, b.x + b.w) - x, h: Math.max(a.y + a.h, b.y + b.h) - y };
}

function contains(outer: Rect, inner: Rect): boolean {
  return outer.x <= inner.x && outer.y <= inner.y && outer.x + outer.w >= inner.x + inner.w && outer.y + outer.h >= inner.y + inner.h;
}

/** A step a later unmasked mosaic or overlay paints over completely shows nothing any more. */
function paintedOver(steps: readonly Step[], index: number): boolean {
  const region = steps[index].region as Rect;
  return steps.slice(index + 1).some((later) => (later.op === 'pixelate' || later.op === 'overlay') && !later.mask && later.region !== undefined && contains(later.region, region));
}

/** Groups of nearby mosaic steps that still show, each with its bounding box. */
function mosaicGroups(steps: readonly Step[], gap: number): Array<{ members: number[]; area: Rect }> {
  const groups: Array<{ members: number[]; area: Rect }> = [];
  steps.forEach((step, index) => {
    if (step.op !== 'pixelate' || !step.region || paintedOver(steps, index)) return;
    let merged = { members: [index], area: { ...step.region } };
    // Merge every group this region (or the growing union) reaches; repeat until stable, since
    // a merge can bring another group within reach.
    for (let changed = true; changed; ) {
      changed = false;
      for (let g = groups.length - 1; g >= 0; g--) {
        if (near(groups[g].area, merged.area, gap)) {
          merged = { members: [...groups[g].members, ...merged.members], area: union(groups[g].area, merged.area) };
          groups.splice(g, 1);
          changed = true;
        }
      }
    }
    groups.push(merged);
  });
  return groups;
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
