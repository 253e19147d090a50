import { DeidError } from '../errors';
import { isBoundedRect, MAX_COORDINATE, type Rect } from '../geometry';
import { isHexColor } from '../pixels/color';
import type { Step } from '../sidecar/types';
import { REGION_KINDS, type Policy, type RegionKind } from './types';
import { maskSelectsNothing } from '../pixels/mask-runs';

/**
 * Limits no policy may relax (research/deid-threats.md section 1): about 6 cells across a face
 * can no longer carry the 8-16 cycles-per-face band that recognition relies on, and a fixed
 * floor keeps small regions from getting 1-2 px "mosaics" that barely change the picture.
 */
export const HARD_LIMITS = Object.freeze({ maxCellsAcrossCeiling: 6, minCellSizeFloor: 8 });

/** Kinds where a mosaic is never allowed: pixelated text is recoverable (Hill et al., Depix). */
const OVERLAY_ONLY_KINDS: readonly RegionKind[] = ['text'];

export const DEFAULT_POLICY: Readonly<Policy> = Object.freeze({
  policyVersion: 1,
  maxCellsAcross: 5,
  minCellSize: HARD_LIMITS.minCellSizeFloor,
  mosaicKinds: Object.freeze<RegionKind[]>(['face', 'mark', 'other']) as RegionKind[],
  overlayColor: '#000000',
});

const POLICY_KEYS: readonly (keyof Policy)[] = [
  'policyVersion', 'maxCellsAcross', 'minCellSize', 'mosaicKinds', 'overlayColor', 'maxPixels', 'maxSteps',
];

export type ObscureMethod = 'overlay' | 'pixelate';

/** Plain-language names for messages shown to staff. */
const KIND_NAMES: Record<RegionKind, string> = {
  face: 'a face or head',
  text: 'text',
  mark: 'a tattoo, scar or mark',
  other: 'this region',
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isPositiveInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1;
}

/**
 * Reads an institution's policy file (already parsed JSON). Keys left out take the defaults;
 * unknown keys are refused (a misspelt key would otherwise silently fall back to the default).
 * Throws DeidError('schema') for a malformed policy and DeidError('policy') for one that is
 * weaker than HARD_LIMITS or allows a mosaic on text.
 */
export function loadPolicy(json: unknown): Policy {
  if (!isPlainObject(json)) throw new DeidError('schema', 'policy: expected a JSON object');
  for (const key of Object.keys(json)) {
    if (!(POLICY_KEYS as readonly string[]).includes(key)) {
      throw new DeidError('schema', `policy: unknown key "${key}" (known: ${POLICY_KEYS.join(', ')})`);
    }
  }
  const merged: Record<string, unknown> = { ...DEFAULT_POLICY, ...json };
  const { policyVersion, maxCellsAcross, minCellSize, mosaicKinds, overlayColor, maxPixels, maxSteps } = merged;
  if (policyVersion !== 1) {
    throw new DeidError('schema', `policy: policyVersion must be 1, got ${JSON.stringify(policyVersion)}`);
  }
  if (!isPositiveInteger(maxCellsAcross)) {
    throw new DeidError('schema', 'policy: maxCellsAcross must be a whole number of at least 1');
  }
  if (!isPositiveInteger(minCellSize)) {
    throw new DeidError('schema', 'policy: minCellSize must be a whole number of pixels, at least 1');
  }
  if (!Array.isArray(mosaicKinds) || !mosaicKinds.every((k) => (REGION_KINDS as readonly unknown[]).includes(k))) {
    throw new DeidError('schema', `policy: mosaicKinds must be a list of ${REGION_KINDS.join(', ')}`);
  }
  if (typeof overlayColor !== 'string' || !isHexColor(overlayColor)) {
    throw new DeidError('schema', 'policy: overlayColor must be a colour written "#rrggbb"');
  }
  // Work limits (issue 13.5): any positive whole number; they bound effort, not strength.
  if (maxPixels !== undefined && !isPositiveInteger(maxPixels)) {
    throw new DeidError('schema', 'policy: maxPixels must be a whole number of pixels, at least 1');
  }
  if (maxSteps !== undefined && !isPositiveInteger(maxSteps)) {
    throw new DeidError('schema', 'policy: maxSteps must be a whole number, at least 1');
  }
  if (maxCellsAcross > HARD_LIMITS.maxCellsAcrossCeiling) {
    throw new DeidError(
      'policy',
      `policy: maxCellsAcross ${maxCellsAcross} is weaker than allowed: at most ` +
        `${HARD_LIMITS.maxCellsAcrossCeiling} mosaic cells across a region (more cells keep a face recognisable)`,
    );
  }
  if (minCellSize < HARD_LIMITS.minCellSizeFloor) {
    throw new DeidError(
      'policy',
      `policy: minCellSize ${minCellSize} px is weaker than allowed: mosaic cells must be at least ` +
        `${HARD_LIMITS.minCellSizeFloor} px`,
    );
  }
  const forbidden = (mosaicKinds as RegionKind[]).filter((k) => OVERLAY_ONLY_KINDS.includes(k));
  if (forbidden.length > 0) {
    throw new DeidError(
      'policy',
      `policy: mosaic cannot be allowed on ${forbidden.join(', ')}: pixelated text can be read back; only a solid overlay is safe`,
    );
  }
  return {
    policyVersion: 1,
    maxCellsAcross,
    minCellSize,
    mosaicKinds: [...new Set(mosaicKinds as RegionKind[])],
    overlayColor: overlayColor.toLowerCase(),
    ...(maxPixels !== undefined ? { maxPixels: maxPixels as number } : {}),
    ...(maxSteps !== undefined ? { maxSteps: maxSteps as number } : {}),
  };
}

/** Methods the policy allows for a kind of region; overlay first (it is the default). */
export function allowedMethods(policy: Policy, kind: RegionKind): ObscureMethod[] {
  const mosaicOk = policy.mosaicKinds.includes(kind) && !OVERLAY_ONLY_KINDS.includes(kind);
  return mosaicOk ? ['overlay', 'pixelate'] : ['overlay'];
}

/**
 * The smallest mosaic cell the policy allows for a region: at most `maxCellsAcross` cells
 * across the SHORTER side of its bounding box, and never below `minCellSize` (nor the hard
 * floor, in case a hand-built policy object bypassed loadPolicy).
 */
export function minimumCellSize(policy: Policy, region: Rect): number {
  const shorter = Math.max(1, Math.min(region.w, region.h));
  const cellsAcross = Math.min(policy.maxCellsAcross, HARD_LIMITS.maxCellsAcrossCeiling);
  const floor = Math.max(policy.minCellSize, HARD_LIMITS.minCellSizeFloor);
  return Math.max(Math.ceil(shorter / cellsAcross), floor);
}

/** How many cells a cell size gives across the shorter side (partial cells count). */
export function cellsAcrossFor(region: Rect, cellSize: number): number {
  return Math.ceil(Math.max(1, Math.min(region.w, region.h)) / cellSize);
}

function describeRegion(region: Rect): string {
  return `${region.w}x${region.h} px region`;
}

function tooFineMessage(policy: Policy, region: Rect, cellSize: number): string {
  const min = minimumCellSize(policy, region);
  return (
    `mosaic cells of ${cellSize} px are too fine for a ${describeRegion(region)}: the policy needs at ` +
    `least ${min} px (at most ${policy.maxCellsAcross} cells across the shorter side, never below ` +
    `${policy.minCellSize} px); choose a coarser mosaic or an overlay`
  );
}

/**
 * The mosaic to paint on a region: the policy's minimum cell size, or a coarser one the user
 * asked for. A finer request throws DeidError('policy'): the user may go coarser, never finer.
 */
export function mosaicPlan(
  policy: Policy,
  region: Rect,
  requestedCellSize?: number,
): { cellSize: number; cellsAcross: number } {
  const min = minimumCellSize(policy, region);
  if (requestedCellSize !== undefined && !isPositiveInteger(requestedCellSize)) {
    throw new DeidError('usage', `cell size must be a whole number of pixels, got ${requestedCellSize}`);
  }
  const cellSize = requestedCellSize ?? min;
  if (cellSize < min) throw new DeidError('policy', tooFineMessage(policy, region, cellSize));
  return { cellSize, cellsAcross: cellsAcrossFor(region, cellSize) };
}

/**
 * Why the policy forbids a mosaic on a region of this kind, or null when it allows one. One rule
 * for refusing a step (checkStep) and for judging a recorded one (verify-region.ts), so verify
 * never accepts a mosaic that apply and the panel would refuse.
 */
export function mosaicKindRefusal(policy: Policy, kind: RegionKind | undefined): string | null {
  if (!kind) return 'a mosaic step must say what the region shows (regionKind)';
  if (allowedMethods(policy, kind).includes('pixelate')) return null;
  return kind === 'text' ? 'mosaic is not allowed on text; use an overlay' : `mosaic is not allowed on ${KIND_NAMES[kind]} by this policy; use an overlay`;
}

function requireRegion(step: Step): Rect {
  const r = step.region;
  if (!r) throw new DeidError('schema', `a ${step.op} step needs a region`);
  const ints = [r.x, r.y, r.w, r.h].every((v) => typeof v === 'number' && Number.isInteger(v));
  if (!ints || r.w < 1 || r.h < 1) {
    throw new DeidError('schema', `${step.op} region must be whole pixels with width and height >= 1`);
  }
  if (!isBoundedRect(r)) throw new DeidError('schema', `${step.op} region x, y, w and h must lie within ${MAX_COORDINATE} px (no image is that large)`);
  return r;
}

/**
 * Refuses a step the policy forbids, with a message meant for the person who asked for it.
 * The panel (before painting) and `deid apply` (before replaying a recipe) both call this.
 */
export function checkStep(policy: Policy, step: Step): void {
  if (step.mask && maskSelectsNothing(step.mask)) throw new DeidError('policy', "the step's mask selects no pixel of its region, so it would obscure nothing");
  switch (step.op) {
    case 'pixelate': {
      const region = requireRegion(step);
      const refusal = mosaicKindRefusal(policy, step.regionKind);
      if (refusal) throw new DeidError('policy', refusal);
      if (step.cellSize === undefined) throw new DeidError('policy', 'a mosaic step must record its cell size');
      if (!isPositiveInteger(step.cellSize)) {
        throw new DeidError('schema', `cell size must be a whole number of pixels, got ${step.cellSize}`);
      }
      if (step.cellSize < minimumCellSize(policy, region)) {
        throw new DeidError('policy', tooFineMessage(policy, region, step.cellSize));
      }
      const across = cellsAcrossFor(region, step.cellSize);
      if (step.cellsAcross !== undefined && step.cellsAcross !== across) {
        throw new DeidError(
          'policy',
          `the step records ${step.cellsAcross} cells across, but ${step.cellSize} px cells on a ` +
            `${describeRegion(region)} give ${across}`,
        );
      }
      return;
    }
    case 'overlay': {
      requireRegion(step);
      if (step.color !== undefined && !isHexColor(step.color)) {
        throw new DeidError('schema', `overlay colour must be written "#rrggbb", got ${JSON.stringify(step.color)}`);
      }
      return;
    }
    case 'crop':
      requireRegion(step);
      return;
    case 'flatten':
    case 'export':
    case 'strip':
    case 'convert-to-srgb':
      return;
    default: {
      const op: never = step.op;
      throw new DeidError('schema', `unknown step ${JSON.stringify(op)}`);
    }
  }
}
