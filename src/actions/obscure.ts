import { DeidError } from '../core/errors';
import type { Rect } from '../core/geometry';
import { overlayRegion } from '../core/pixels/overlay';
import { pixelateRegion } from '../core/pixels/pixelate';
import type { PixelBuffer } from '../core/pixels/types';
import { allowedMethods, checkStep, mosaicPlan, type ObscureMethod } from '../core/policy/policy';
import type { Policy, RegionKind } from '../core/policy/types';
import type { Step } from '../core/sidecar/types';
import { cellAlignedRect, touchedCellRects, unionRect } from './cells';
import { DeidHostError, type Host, type SelectionInfo, type StepContext } from './host';
import type { Session } from './session';
import { requireWorkingCopy, throwIfCancelled, yieldToHost } from './working-copy';

/**
 * Block size for an overlay on a non-rectangular selection: every 8x8 block the selection
 * touches is filled. Blocks of at least 8 px keep each recorded rectangle wider than the JPEG
 * border band verify-region exempts (2 px each side), so the overlay can be verified.
 */
export const OVERLAY_BLOCK_SIZE = 8;
/** Pixels painted between cancel checks and progress reports (about 1 megapixel). */
const PIXELS_PER_CHUNK = 1 << 20;

export interface ObscurePreview {
  /** The selection's bounding box. */
  bounds: Rect;
  /** False when the selection is not a plain rectangle (it is painted in whole cells). */
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
    mosaic: methods.includes('pixelate') ? mosaicPlan(policy, selection.bounds) : null,
    overlayColor: policy.overlayColor,
  };
}

/**
 * The steps one obscure action records: each a rectangle that is painted completely.
 * Throws DeidError('policy') for a method or cell size the policy forbids.
 */
export function planObscureSteps(
  policy: Policy,
  selection: SelectionInfo,
  request: ObscureRequest,
  canvas: { width: number; height: number },
  at: string,
): Step[] {
  const { bounds, mask } = selection;
  if (!allowedMethods(policy, request.kind).includes(request.method)) {
    throw new DeidError('policy', request.kind === 'text' ? 'mosaic is not allowed on text; use an overlay' : `mosaic is not allowed on this kind of region by the policy; use an overlay`);
  }
  let steps: Step[];
  if (request.method === 'pixelate') {
    const { cellSize } = mosaicPlan(policy, bounds, request.cellSize);
    const rects = mask ? touchedCellRects(mask, bounds, cellSize, canvas) : [cellAlignedRect(bounds, cellSize, canvas)].filter((r): r is Rect => r !== null);
    steps = rects.map((region) => ({ op: 'pixelate', region, regionKind: request.kind, cellSize, cellsAcross: Math.ceil(Math.min(region.w, region.h) / cellSize), at }));
  } else {
    const color = (request.color ?? policy.overlayColor).toLowerCase();
    const rects = mask ? touchedCellRects(mask, bounds, OVERLAY_BLOCK_SIZE, canvas) : [bounds];
    steps = rects.map((region) => ({ op: 'overlay', region, regionKind: request.kind, color, at }));
  }
  for (const step of steps) checkStep(policy, step);
  return steps;
}

/** Paints one recorded step into `pixels` (which hold `area` of the document), in chunks. */
async function paintStep(pixels: PixelBuffer, area: Rect, step: Step, ctx: StepContext, progress: (done: number) => void): Promise<void> {
  const region = step.region as Rect;
  // A chunk is whole mosaic cell rows, so painting chunk by chunk gives the same grid.
  const unit = step.op === 'pixelate' ? (step.cellSize as number) : 1;
  const rowsPerChunk = Math.max(unit, Math.floor(PIXELS_PER_CHUNK / Math.max(1, region.w) / unit) * unit);
  for (let top = 0; top < region.h; top += rowsPerChunk) {
    throwIfCancelled(ctx);
    const band = { x: region.x - area.x, y: region.y - area.y + top, w: region.w, h: Math.min(rowsPerChunk, region.h - top) };
    if (step.op === 'pixelate') pixelateRegion(pixels, band, step.cellSize as number);
    else overlayRegion(pixels, band, step.color as string);
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
      const planned = planObscureSteps(policy, selection, request, doc, now().toISOString());
      const area = unionRect(planned.map((s) => s.region as Rect));
      if (!area) throw noSelection();
      const pixels = await host.readPixels(doc.id, area);
      const total = planned.reduce((n, s) => n + (s.region as Rect).w * (s.region as Rect).h, 0);
      let done = 0;
      for (const step of planned) {
        await paintStep(pixels, area, step, ctx, (n) => {
          done += n;
          ctx.reportProgress(done / total);
        });
      }
      throwIfCancelled(ctx);
      await host.writePixels(doc.id, pixels, { x: area.x, y: area.y });
      return planned;
    },
    { historyOf: doc.id },
  );
  session.steps.push(...steps);
  return steps;
}
