import { isDeidError } from '../core/errors';
import type { Rect } from '../core/geometry';
import { mosaicPlan } from '../core/policy/policy';
import type { Policy } from '../core/policy/types';

/**
 * The mosaic cell size the user is choosing, checked with the policy's own mosaicPlan (the same
 * function the action enforces), so the panel never offers what the action would refuse.
 */
export type MosaicChoice =
  | { ok: true; cellSize: number; cellsAcross: number }
  | { ok: false; message: string };

export function chooseCellSize(policy: Policy, bounds: Rect, requested: string, enforcedMinimum = 1): MosaicChoice {
  const cellSize = Number(requested.trim());
  if (requested.trim() === '' || !Number.isInteger(cellSize) || cellSize < 1) {
    return { ok: false, message: 'Enter the cell size as a whole number of pixels.' };
  }
  let plan: { cellSize: number; cellsAcross: number };
  try {
    plan = mosaicPlan(policy, bounds, cellSize);
  } catch (e) {
    if (isDeidError(e)) return { ok: false, message: `Refused: ${e.message}.` };
    throw e;
  }
  // The action's preview may demand more than this region alone (mosaics next to it count as
  // one area: policy/combined.ts); offer nothing the action would refuse.
  if (cellSize < enforcedMinimum) {
    return { ok: false, message: `Refused: with the mosaics next to it, this area needs cells of at least ${enforcedMinimum} px.` };
  }
  return { ok: true, ...plan };
}

/**
 * The next coarser mosaic: the smallest cell size that puts one cell fewer across the shorter
 * side. Null once a single cell already covers it (nothing coarser is meaningful).
 */
export function coarserCellSize(bounds: Rect, cellSize: number): number | null {
  const shorter = Math.max(1, Math.min(bounds.w, bounds.h));
  const across = Math.ceil(shorter / cellSize);
  if (across <= 1) return null;
  return Math.ceil(shorter / (across - 1));
}
