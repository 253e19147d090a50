import fc from 'fast-check';
import { DeidError } from '../../src/core/errors';
import {
  DEFAULT_POLICY,
  HARD_LIMITS,
  allowedMethods,
  checkStep,
  loadPolicy,
  minimumCellSize,
  mosaicPlan,
} from '../../src/core/policy/policy';
import type { Step } from '../../src/core/sidecar/types';

const AT = '2024-05-01T10:00:00.000Z';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof DeidError ? e.code : 'not a DeidError';
  }
  return undefined;
}

describe('loadPolicy', () => {
  it('fills left-out keys from the defaults and accepts a stricter policy', () => {
    const p = loadPolicy({ maxCellsAcross: 4, minCellSize: 12, mosaicKinds: ['face'], overlayColor: '#00FF00' });
    expect(p).toEqual({ policyVersion: 1, maxCellsAcross: 4, minCellSize: 12, mosaicKinds: ['face'], overlayColor: '#00ff00' });
    expect(loadPolicy({})).toEqual(DEFAULT_POLICY);
  });

  it('rejects anything weaker than the hard limits with a message that says why', () => {
    expect(() => loadPolicy({ maxCellsAcross: 7 })).toThrow(/maxCellsAcross 7 is weaker than allowed: at most 6/);
    expect(() => loadPolicy({ minCellSize: 4 })).toThrow(/minCellSize 4 px is weaker than allowed: .* at least 8 px/);
    expect(() => loadPolicy({ mosaicKinds: ['face', 'text'] })).toThrow(/mosaic cannot be allowed on text/);
    expect(codeOf(() => loadPolicy({ maxCellsAcross: 7 }))).toBe('policy');
  });

  it('rejects malformed policies as schema errors', () => {
    for (const bad of [null, [], 'x', { maxCellsAcross: 2.5 }, { minCellSize: '8' }, { mosaicKinds: ['hand'] },
      { overlayColor: 'black' }, { policyVersion: 2 }, { maxCelsAcross: 3 }]) {
      expect(codeOf(() => loadPolicy(bad))).toBe('schema');
    }
    expect(() => loadPolicy({ maxCelsAcross: 3 })).toThrow(/unknown key "maxCelsAcross"/);
  });
});

describe('allowedMethods', () => {
  it('allows only an overlay on text, even if a hand-built policy lists text', () => {
    expect(allowedMethods(DEFAULT_POLICY, 'text')).toEqual(['overlay']);
    expect(allowedMethods({ ...DEFAULT_POLICY, mosaicKinds: ['text', 'face'] }, 'text')).toEqual(['overlay']);
    expect(allowedMethods(DEFAULT_POLICY, 'face')).toEqual(['overlay', 'pixelate']);
    expect(allowedMethods(loadPolicy({ mosaicKinds: ['face'] }), 'mark')).toEqual(['overlay']);
  });
});

describe('minimumCellSize and mosaicPlan', () => {
  it('uses the shorter side: a 200x120 face at 5 across needs 24 px cells', () => {
    expect(minimumCellSize(DEFAULT_POLICY, { x: 0, y: 0, w: 200, h: 120 })).toBe(24);
    expect(mosaicPlan(DEFAULT_POLICY, { x: 0, y: 0, w: 200, h: 120 })).toEqual({ cellSize: 24, cellsAcross: 5 });
  });

  it('never goes below the floor', () => {
    expect(minimumCellSize(DEFAULT_POLICY, { x: 0, y: 0, w: 20, h: 300 })).toBe(8);
    expect(minimumCellSize({ ...DEFAULT_POLICY, minCellSize: 2, maxCellsAcross: 50 }, { x: 0, y: 0, w: 20, h: 20 })).toBe(8);
  });

  it('lets the user go coarser, never finer', () => {
    const face = { x: 0, y: 0, w: 101, h: 101 };
    expect(mosaicPlan(DEFAULT_POLICY, face, 40)).toEqual({ cellSize: 40, cellsAcross: 3 });
    expect(() => mosaicPlan(DEFAULT_POLICY, face, 20)).toThrow(/cells of 20 px are too fine for a 101x101 px region: the policy needs at least 21 px/);
    expect(codeOf(() => mosaicPlan(DEFAULT_POLICY, face, 20))).toBe('policy');
  });

  it('property: the planned mosaic never has more cells across than the policy allows', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: HARD_LIMITS.maxCellsAcrossCeiling }),
        fc.integer({ min: HARD_LIMITS.minCellSizeFloor, max: 64 }),
        fc.nat(100),
        (w, h, maxCellsAcross, minCellSize, extra) => {
          const policy = { ...DEFAULT_POLICY, maxCellsAcross, minCellSize };
          const region = { x: 0, y: 0, w, h };
          const min = minimumCellSize(policy, region);
          const plan = mosaicPlan(policy, region, min + extra);
          expect(plan.cellsAcross).toBeLessThanOrEqual(maxCellsAcross);
          expect(plan.cellSize).toBeGreaterThanOrEqual(minCellSize);
          expect(plan.cellsAcross).toBe(Math.ceil(Math.min(w, h) / plan.cellSize));
          if (min > 1) expect(() => mosaicPlan(policy, region, min - 1)).toThrow(DeidError);
        },
      ),
    );
  });
});

describe('checkStep', () => {
  const face = { x: 10, y: 10, w: 100, h: 80 };
  it('refuses a mosaic on text with the plain message', () => {
    const step: Step = { op: 'pixelate', region: face, regionKind: 'text', cellSize: 40, at: AT };
    expect(() => checkStep(DEFAULT_POLICY, step)).toThrow('mosaic is not allowed on text; use an overlay');
  });

  it('refuses a mosaic on a kind the institution has switched off', () => {
    const strict = loadPolicy({ mosaicKinds: ['face'] });
    const step: Step = { op: 'pixelate', region: face, regionKind: 'mark', cellSize: 40, at: AT };
    expect(() => checkStep(strict, step)).toThrow(/mosaic is not allowed on a tattoo, scar or mark by this policy/);
  });

  it('refuses a too-fine mosaic and accepts the minimum', () => {
    expect(() => checkStep(DEFAULT_POLICY, { op: 'pixelate', region: face, regionKind: 'face', cellSize: 15, at: AT }))
      .toThrow(/too fine .* at least 16 px/);
    expect(() => checkStep(DEFAULT_POLICY, { op: 'pixelate', region: face, regionKind: 'face', cellSize: 16, cellsAcross: 5, at: AT }))
      .not.toThrow();
  });

  it('refuses a mosaic step without kind, cell size, or with a cellsAcross that does not match', () => {
    expect(codeOf(() => checkStep(DEFAULT_POLICY, { op: 'pixelate', region: face, cellSize: 40, at: AT }))).toBe('policy');
    expect(codeOf(() => checkStep(DEFAULT_POLICY, { op: 'pixelate', region: face, regionKind: 'face', at: AT }))).toBe('policy');
    expect(() => checkStep(DEFAULT_POLICY, { op: 'pixelate', region: face, regionKind: 'face', cellSize: 16, cellsAcross: 3, at: AT }))
      .toThrow(/records 3 cells across, but 16 px cells on a 100x80 px region give 5/);
  });

  it('accepts overlays on every kind, and non-pixel steps', () => {
    for (const regionKind of ['face', 'text', 'mark', 'other'] as const) {
      expect(() => checkStep(DEFAULT_POLICY, { op: 'overlay', region: face, regionKind, color: '#123abc', at: AT })).not.toThrow();
    }
    for (const op of ['flatten', 'export', 'strip'] as const) expect(() => checkStep(DEFAULT_POLICY, { op, at: AT })).not.toThrow();
  });

  it('refuses regions that are missing or not whole pixels, and bad colours', () => {
    expect(codeOf(() => checkStep(DEFAULT_POLICY, { op: 'overlay', at: AT }))).toBe('schema');
    expect(codeOf(() => checkStep(DEFAULT_POLICY, { op: 'crop', region: { x: 0, y: 0, w: 0, h: 5 }, at: AT }))).toBe('schema');
    expect(codeOf(() => checkStep(DEFAULT_POLICY, { op: 'overlay', region: { x: 0.5, y: 0, w: 5, h: 5 }, at: AT }))).toBe('schema');
    expect(codeOf(() => checkStep(DEFAULT_POLICY, { op: 'overlay', region: face, color: 'black', at: AT }))).toBe('schema');
  });
});
