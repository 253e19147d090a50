/**
 * The sweep/grid implementation of the combined mosaic rule (combined-groups.ts) against the
 * plain quadratic definition it replaced (written out here as the reference): the same problems
 * for random recipes, including painted-over, masked and touching regions.
 */
import fc from 'fast-check';
import type { Rect } from '../../src/core/geometry';
import { combinedMosaicProblems } from '../../src/core/policy/combined';
import { DEFAULT_POLICY, minimumCellSize } from '../../src/core/policy/policy';
import type { Policy } from '../../src/core/policy/types';
import type { Step } from '../../src/core/sidecar/types';

function near(a: Rect, b: Rect, gap: number): boolean {
  return a.x < b.x + b.w + gap && b.x < a.x + a.w + gap && a.y < b.y + b.h + gap && b.y < a.y + a.h + gap;
}
function union(a: Rect, b: Rect): Rect {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, w: Math.max(a.x + a.w, b.x + b.w) - x, h: Math.max(a.y + a.h, b.y + b.h) - y };
}
function contains(o: Rect, i: Rect): boolean {
  return o.x <= i.x && o.y <= i.y && o.x + o.w >= i.x + i.w && o.y + o.h >= i.y + i.h;
}

/** The definition: merge any group the growing union reaches, until stable; skip painted-over mosaics. */
function reference(policy: Policy, steps: Step[]): Array<{ index: number; required: number }> {
  const groups: Array<{ members: number[]; area: Rect }> = [];
  steps.forEach((step, index) => {
    if (step.op !== 'pixelate' || !step.region) return;
    if (steps.slice(index + 1).some((l) => (l.op === 'pixelate' || l.op === 'overlay') && !l.mask && l.region && contains(l.region, step.region!))) return;
    let merged = { members: [index], area: { ...step.region } };
    for (let changed = true; changed; ) {
      changed = false;
      for (let g = groups.length - 1; g >= 0; g--) {
        if (near(groups[g].area, merged.area, policy.minCellSize)) {
          merged = { members: [...groups[g].members, ...merged.members], area: union(groups[g].area, merged.area) };
          groups.splice(g, 1);
          changed = true;
        }
      }
    }
    groups.push(merged);
  });
  const out: Array<{ index: number; required: number }> = [];
  for (const g of groups) {
    if (g.members.length < 2) continue;
    const required = minimumCellSize(policy, g.area);
    for (const index of g.members) if ((steps[index].cellSize ?? 0) < required) out.push({ index, required });
  }
  return out.sort((a, b) => a.index - b.index);
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  op: fc.constantFrom<Step['op']>('pixelate', 'pixelate', 'overlay', 'crop'),
  x: fc.integer({ min: 0, max: 300 }),
  y: fc.integer({ min: 0, max: 300 }),
  w: fc.integer({ min: 1, max: 160 }),
  h: fc.integer({ min: 1, max: 160 }),
  cellSize: fc.integer({ min: 8, max: 60 }),
  masked: fc.boolean(),
}).map(({ op, x, y, w, h, cellSize, masked }) => ({
  op,
  region: { x, y, w, h },
  ...(op === 'pixelate' ? { regionKind: 'face' as const, cellSize } : {}),
  ...(masked && op !== 'crop' ? { mask: [0, w * h] } : {}),
  at: '2024-01-01T00:00:00Z',
}));

test('property: the same problems as the quadratic definition, for random recipes', () => {
  fc.assert(fc.property(fc.array(stepArb, { maxLength: 40 }), (steps) => {
    const fast = combinedMosaicProblems(DEFAULT_POLICY, steps).map((p) => ({ index: p.index, required: p.required }));
    expect(fast).toEqual(reference(DEFAULT_POLICY, steps));
  }), { numRuns: 300 });
});

test('a chain of regions that only reach each other through the growing union is one area', () => {
  // A and C are far apart; B joins A; the union of A and B then reaches C.
  const steps: Step[] = [
    { op: 'pixelate', region: { x: 0, y: 0, w: 40, h: 40 }, regionKind: 'face', cellSize: 8, at: '' },
    { op: 'pixelate', region: { x: 200, y: 0, w: 40, h: 200 }, regionKind: 'face', cellSize: 8, at: '' },
    { op: 'pixelate', region: { x: 44, y: 0, w: 150, h: 40 }, regionKind: 'face', cellSize: 8, at: '' },
  ];
  expect(combinedMosaicProblems(DEFAULT_POLICY, steps).map((p) => p.index)).toEqual(reference(DEFAULT_POLICY, steps).map((p) => p.index));
  expect(combinedMosaicProblems(DEFAULT_POLICY, steps).length).toBe(3);
});
