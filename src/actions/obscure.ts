import { DeidError } from '../core/errors';
import { clampRect, type Rect } from '../core/geometry';
import { stepMask, stepsInFinalCoordinates } from '../core/pixels/apply';
import { checkCombinedMosaics, minimumCellSizeNear } from '../core/policy/combined';
import { maskToRuns } from '../core/pixels/mask-runs';
import { overlayRegion } from '../core/pixels/overlay';
import { pixelateRegion } from '../core/pixels/pixelate';
import type { Mask, PixelBuffer } from '../core/pixels/types';
import { allowedMethods, checkStep, mosaicPlan, type ObscureMethod } from '../core/policy/policy';
import type { Policy, RegionKind } from '../core/policy/types';
import type { Step } from '../core/sidecar/types';
import { DeidHostError, type Host, type SelectionInfo, type StepContext } from './host';
import type { Session } from './session';
import { requireWorkingCopy, throwIfCancelled, yieldToHost } from './working-copy';

/** Pixels painted between cancel checks and progress reports (about 1 megapixel). */
const PIXELS_PER_CHUNK = 1 << 20;

export interface ObscurePreview {
  /** The selection's bounding box. */
  bounds: Rect;
  /** False when the selection is not a plain rectangle (painted through its mask). */
  rectangular: boolean;
  kind: RegionKind;
  /** Overlay first: it is the default. Mosaic only where the policy allows it for `kind`. */
  methods: ObscureMethod[];
  /** The finest mosaic the policy allows here (the panel offers nothing finer); null: no mosaic. */
  mosaic: { cellSize: number; cellsAcross: number } | null;
  overlayColor: string;
}

export interface ObscureRequest {
  kind: RegionKind;
  method: ObscureMethod;
  /** A coarser mosaic than the minimum; a finer one is refused (DeidError 'policy'). */
  cellSize?: number;
  /** "#rrggbb"; default the policy's colour. */
  color?: string;
}

function noSelection(): DeidHostError {
  return new DeidHostError('no-selection', 'Select the area to obscure first (any selection tool), then try again.');
}

/** What the panel shows before applying: allowed methods and the enforced mosaic strength. */
export async function previewObscure(host: Host, session: Session, policy: Policy, kind: RegionKind): Promise<ObscurePreview> {
  await requireWorkingCopy(host, session);
  const selection = await host.runStep('De-identify: read selection', () => host.selection(session.doc.id));
  if (!selection) throw noSelection();
  const methods = allowedMethods(policy, kind);
  return {
    bounds: selection.bounds,
    rectangular: selection.mask === null,
    kind,
    methods,
    mosaic: methods.includes('pixelate') ? mosaicPlan(policy, selection.bounds, minimumNear(policy, session, selection.bounds)) : null,
    overlayColor: policy.overlayColor,
  };
}

/**
 * The finest cells a new mosaic over `region` may use: mosaics already painted next to it count
 * as one area with it (policy/combined.ts), so tiling small fine mosaics over a face is refused.
 */
function minimumNear(policy: Policy, session: Session, region: Rect): number {
  return Math.max(mosaicPlan(policy, region).cellSize, minimumCellSizeNear(policy, stepsInFinalCoordinates(session.steps), region));
}

/**
 * The step one obscure action records: the selection's bounding box as the region, and for a
 * non-rectangular selection its mask as run lengths (Step.mask), so the sidecar says exactly
 * what was painted and verify checks exactly that. The mosaic grid is anchored at the box's
 * top-left and every cell the selection touches is painted whole (DESIGN.md "Obscure").
 * Throws DeidError('policy') for a method or cell size the policy forbids.
 */
export function planObscureStep(policy: Policy, selection: SelectionInfo, request: ObscureRequest, at: string): Step {
  const { bounds, mask } = selection;
  if (!allowedMethods(policy, request.kind).includes(request.method)) {
    throw new DeidError('policy', request.kind === 'text' ? 'mosaic is not allowed on text; use an overlay' : `mosaic is not allowed on this kind of region by the policy; use an overlay`);
  }
  const runs = mask ? { mask: maskToRuns(mask, bounds) } : {};
  let step: Step;
  if (request.method === 'pixelate') {
    const { cellSize, cellsAcross } = mosaicPlan(policy, bounds, request.cellSize);
    step = { op: 'pixelate', region: { ...bounds }, regionKind: request.kind, cellSize, cellsAcross, ...runs, at };
  } else {
    const color = (request.color ?? policy.overlayColor).toLowerCase();
    step = { op: 'overlay', region: { ...bounds }, regionKind: request.kind, color, ...runs, at };
  }
  checkStep(policy, step);
  return step;
}

/** Paints the step into `pixels` (which hold `area` of the document), in chunks of whole cell rows. */
async function paintStep(pixels: PixelBuffer, area: Rect, step: Step, ctx: StepContext, progress: (done: number) => void): Promise<void> {
  const region = step.region as Rect;
  const docMask = stepMask(step);
  // The core paints in the buffer's coordinates: move region and mask there.
  const mask: Mask | undefined = docMask && { data: docMask.data, bounds: { ...docMask.bounds, x: docMask.bounds.x - area.x, y: docMask.bounds.y - area.y } };
  // A chunk is whole mosaic cell rows, so painting chunk by chunk gives the same grid.
  const unit = step.op === 'pixelate' ? (step.cellSize as number) : 1;
  const rowsPerChunk = Math.max(unit, Math.floor(PIXELS_PER_CHUNK / Math.max(1, region.w) / unit) * unit);
  for (let top = 0; top < region.h; top += rowsPerChunk) {
    throwIfCancelled(ctx);
    const band = { x: region.x - area.x, y: region.y - area.y + top, w: region.w, h: Math.min(rowsPerChunk, region.h - top) };
    if (step.op === 'pixelate') pixelateRegion(pixels, band, step.cellSize as number, mask);
    else overlayRegion(pixels, band, step.color as string, mask);
    progress(band.w * band.h);
    await yieldToHost();
  }
}

/**
 * Obscures the current selection of the working copy as ONE history step: read the pixels of
 * the painted area, paint them with the core, write them back. Cancelling rolls the step back.
 * Returns the steps recorded in the session.
 */
export async function obscureSelection(host: Host, session: Session, policy: Policy, request: ObscureRequest, now: () => Date = () => new Date()): Promise<Step[]> {
  const doc = await requireWorkingCopy(host, session);
  const label = request.method === 'pixelate' ? 'mosaic' : 'overlay';
  const steps = await host.runStep(
    `De-identify: ${label}`,
    async (ctx) => {
      const selection = await host.selection(doc.id);
      if (!selection) throw noSelection();
      const near = minimumNear(policy, session, selection.bounds);
      const step = planObscureStep(policy, selection, request.method === 'pixelate' ? { ...request, cellSize: request.cellSize ?? near } : request, now().toISOString());
      checkCombinedMosaics(policy, stepsInFinalCoordinates([...session.steps, step]));
      const area = clampRect(step.region as Rect, doc.width, doc.height);
      if (!area) throw noSelection();
      const pixels = await host.readPixels(doc.id, area);
      const total = area.w * area.h;
      let done = 0;
      await paintStep(pixels, area, step, ctx, (n) => {
        done += n;
        ctx.reportProgress(Math.min(1, done / total));
      });
      throwIfCancelled(ctx);
      await host.writePixels(doc.id, pixels, { x: area.x, y: area.y });
      return [step];
    },
    { historyOf: doc.id },
  );
  session.steps.push(...steps);
  return steps;
}
