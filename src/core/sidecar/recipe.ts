/**
 * Recipes a person can write (issue 8.5): `deid apply` reads `{"steps": [...]}` (a whole sidecar
 * also works) where a mosaic gives `cellsAcross` OR `cellSize` and `at` may be left out (it is
 * set when the recipe is applied). Read by hand rather than by the JSON Schema so every refusal
 * names the step and the field in words ("step 2 (pixelate): cellsAcross must be ..."), and
 * iteratively: a recipe of any length or depth cannot overflow the stack.
 */
import { DeidError } from '../errors';
import { isBoundedRect, MAX_COORDINATE, type Rect } from '../geometry';
import { DEFAULT_LIMITS } from '../limits';
import { isHexColor } from '../pixels/color';
import { cellsAcrossFor, minimumCellSize } from '../policy/policy';
import { REGION_KINDS, type Policy, type RegionKind } from '../policy/types';
import { isIsoDateTime } from './dates';
import type { Step, StepOp } from './types';

/** A recipe step before it is applied: `at` comes from the run. */
export type RecipeStep = Omit<Step, 'at'> & { at?: string };

/** Fields each op may carry (sidecar schema, $defs/step); typed so a new op cannot be missed. */
const FIELDS: Readonly<Record<StepOp, readonly string[]>> = {
  pixelate: ['op', 'region', 'regionKind', 'cellSize', 'cellsAcross', 'mask', 'at'],
  overlay: ['op', 'region', 'regionKind', 'color', 'mask', 'at'],
  crop: ['op', 'region', 'at'],
  flatten: ['op', 'at'],
  export: ['op', 'at'],
  strip: ['op', 'at'],
  'convert-to-srgb': ['op', 'at'],
};

function isOp(v: unknown): v is StepOp {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(FIELDS, v);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isWhole(v: unknown, min: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min;
}

function fail(step: string, message: string): never {
  throw new DeidError('schema', `recipe ${step}: ${message}`);
}

function readRegion(v: unknown, step: string): Rect {
  if (!isPlainObject(v)) fail(step, 'region must be an object {"x", "y", "w", "h"} in pixels');
  for (const key of Object.keys(v)) if (!['x', 'y', 'w', 'h'].includes(key)) fail(step, `region has an unknown field (only x, y, w, h)`);
  const { x, y, w, h } = v;
  if (!Number.isInteger(x) || !Number.isInteger(y)) fail(step, 'region x and y must be whole pixels');
  if (!isWhole(w, 1) || !isWhole(h, 1)) fail(step, 'region w and h must be whole pixels >= 1');
  const r = { x: x as number, y: y as number, w, h };
  if (!isBoundedRect(r)) fail(step, `region x, y, w and h must lie within ${MAX_COORDINATE} px (no image is that large)`);
  return r;
}

/**
 * The mosaic cell size for a step that gives cellsAcross and/or cellSize: cellsAcross N over the
 * region's shorter side means cells of ceil(shorter / N); the policy's minimum still holds.
 */
function cellSizeOf(raw: Record<string, unknown>, region: Rect, policy: Policy, step: string): { cellSize: number; cellsAcross: number } {
  const { cellSize, cellsAcross } = raw;
  if (cellSize === undefined && cellsAcross === undefined) fail(step, 'a mosaic needs cellsAcross (cells across the shorter side) or cellSize (pixels)');
  if (cellSize !== undefined && !isWhole(cellSize, 1)) fail(step, 'cellSize must be a whole number of pixels >= 1');
  if (cellsAcross !== undefined && !isWhole(cellsAcross, 1)) fail(step, 'cellsAcross must be a whole number >= 1');
  const shorter = Math.min(region.w, region.h);
  const size = (cellSize as number | undefined) ?? Math.ceil(shorter / (cellsAcross as number));
  const across = cellsAcrossFor(region, size);
  if (cellsAcross !== undefined && across !== cellsAcross) {
    fail(step, `cellSize ${size} px gives ${across} cells across the ${region.w}x${region.h} region, not the ${String(cellsAcross)} given`);
  }
  const min = minimumCellSize(policy, region);
  if (size < min) {
    throw new DeidError('policy', `recipe ${step} refused: ${across} cells across (${size} px cells) is too fine for a ${region.w}x${region.h} region: ` +
      `the policy allows at most ${cellsAcrossFor(region, min)} cells across (cells of at least ${min} px)`);
  }
  return { cellSize: size, cellsAcross: across };
}

/**
 * Reads a parsed recipe (or sidecar). Throws DeidError('schema') naming the step and field, or
 * DeidError('policy') for a mosaic finer than the policy allows.
 */
export function readRecipe(json: unknown, policy: Policy): RecipeStep[] {
  if (!isPlainObject(json) || !Array.isArray(json.steps)) throw new DeidError('schema', 'recipe: expected an object with a "steps" list');
  const list: unknown[] = json.steps;
  const maxSteps = policy.maxSteps ?? DEFAULT_LIMITS.maxSteps;
  if (list.length > maxSteps) {
    throw new DeidError('schema', `recipe: ${list.length} steps, more than the limit of ${maxSteps} (maxSteps in the policy file)`);
  }
  const steps: RecipeStep[] = [];
  for (let i = 0; i < list.length; i++) {
    const raw = list[i];
    const label = `step ${i + 1}`;
    if (!isPlainObject(raw)) fail(label, 'must be an object with an "op"');
    const op = raw.op;
    if (!isOp(op)) fail(label, `op must be one of ${Object.keys(FIELDS).join(', ')}`);
    const step = `${label} (${op})`;
    for (const key of Object.keys(raw)) if (!FIELDS[op].includes(key)) fail(step, `field "${key.replace(/[^\w-]/g, '?').slice(0, 32)}" is not allowed here (allowed: ${FIELDS[op].join(', ')})`);
    const out: RecipeStep = { op };
    if (raw.at !== undefined) {
      if (typeof raw.at !== 'string' || !isIsoDateTime(raw.at)) fail(step, 'at must be an ISO 8601 date and time (or left out)');
      out.at = raw.at;
    }
    if (op !== 'pixelate' && op !== 'overlay' && op !== 'crop') {
      steps.push(out);
      continue;
    }
    if (raw.region === undefined) fail(step, 'needs a region {"x", "y", "w", "h"}');
    const region = readRegion(raw.region, step);
    out.region = region;
    if (raw.regionKind !== undefined) {
      if (!(REGION_KINDS as readonly unknown[]).includes(raw.regionKind)) fail(step, `regionKind must be one of ${REGION_KINDS.join(', ')}`);
      out.regionKind = raw.regionKind as RegionKind;
    }
    if (op === 'pixelate') {
      if (out.regionKind === undefined) fail(step, `a mosaic must say what the region shows: regionKind (${REGION_KINDS.join(', ')})`);
      Object.assign(out, cellSizeOf(raw, region, policy, step));
    }
    if (raw.color !== undefined) {
      if (typeof raw.color !== 'string' || !isHexColor(raw.color)) fail(step, 'color must be written "#rrggbb"');
      out.color = raw.color;
    }
    if (raw.mask !== undefined) {
      const mask = raw.mask;
      const area = region.w * region.h;
      if (!Array.isArray(mask) || mask.length > area + 1) fail(step, 'mask must be a list of run lengths over the region');
      let total = 0;
      for (const run of mask) {
        if (!isWhole(run, 0)) fail(step, 'mask runs must be whole numbers >= 0');
        total += run;
      }
      if (total !== area) fail(step, `mask runs cover ${total} pixels, the ${region.w}x${region.h} region has ${area}`);
      out.mask = mask as number[];
    }
    steps.push(out);
  }
  return steps;
}
