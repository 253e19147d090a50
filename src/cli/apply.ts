import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DeidError } from '../core/errors';
import { scanStructure, stripMetadata } from '../core/metadata/scan';
import { applySteps } from '../core/pixels/apply';
import { checkRegionObscured, JPEG_TOLERANCE, LOSSLESS_TOLERANCE } from '../core/pixels/verify-region';
import { checkStep } from '../core/policy/policy';
import type { FindingKind } from '../core/metadata/types';
import type { Policy } from '../core/policy/types';
import { newAlternateId } from '../core/sidecar/alternate-id';
import { buildSidecar } from '../core/sidecar/build';
import { readRecipe } from '../core/sidecar/recipe';
import { serializeSidecar } from '../core/sidecar/schema';
import { stepsForSidecar } from '../core/sidecar/steps';
import type { Sidecar, Step } from '../core/sidecar/types';
import { writeFilesAtomically } from './atomic';
import { decodePixels, encodePixels } from './pixels-io';
import { TOOL_VERSION } from './version';

export interface ApplyOptions {
  recipeText: string;
  imageBytes: Uint8Array;
  outDir: string;
  format: 'jpeg' | 'png';
  policy: Policy;
  now?: () => Date;
}

export interface ApplyResult {
  alternateId: string;
  imagePath: string;
  sidecarPath: string;
  sidecar: Sidecar;
}

/**
 * `deid apply`: replays recorded steps outside Photoshop. Every step is checked against the
 * policy BEFORE any pixel is touched, so a forbidden step refuses the whole recipe and nothing is
 * written. The export is stripped, re-scanned and its regions re-verified before the image and
 * its sidecar are written together, atomically.
 */
export async function applyRecipe(options: ApplyOptions): Promise<ApplyResult> {
  let recipeJson: unknown;
  try {
    recipeJson = JSON.parse(options.recipeText);
  } catch {
    // JSON.parse's message quotes the text; a recipe may hold anything, so say only that.
    throw new DeidError('schema', 'the recipe is not JSON');
  }
  const now = options.now ?? (() => new Date());
  const stamp = now().toISOString();
  // Issue 8.5: cellsAcross or cellSize, `at` optional (set here), messages naming step and field.
  const recipeSteps: Step[] = readRecipe(recipeJson, options.policy).map((s) => ({ ...s, at: stamp }));
  recipeSteps.forEach((step, i) => {
    try {
      checkStep(options.policy, step);
    } catch (e) {
      throw new DeidError('policy', `step ${i + 1} (${step.op}) refused: ${e instanceof Error ? e.message : String(e)}`);
    }
  });

  const exportedBytes = await renderExport(options, recipeSteps);
  const stripped = stripMetadata(exportedBytes, { maxPixels: options.policy.maxPixels });
  const left = scanStructure(stripped.bytes, { maxPixels: options.policy.maxPixels }).findings;
  if (left.length > 0) throw new DeidError('not-clean', `the export still carries ${left.map((f) => f.kind).join(', ')}`);

  const steps: Step[] = stepsForSidecar([
    ...recipeSteps.filter((s) => s.op !== 'export' && s.op !== 'strip'),
    { op: 'export', at: stamp },
    { op: 'strip', at: stamp },
  ]);
  const exported = await verifyExport(stripped.bytes, steps, options);

  const alternateId = newAlternateId();
  const sidecar = buildSidecar({
    alternateId,
    toolVersion: TOOL_VERSION,
    image: { format: options.format, width: exported.width, height: exported.height, bytes: stripped.bytes },
    steps,
    // What the SOURCE carried: the export is re-encoded from pixels, so its own strip removes
    // next to nothing, and a reviewer must see what the tool took away.
    removed: [...new Set([...sourceKinds(options.imageBytes), ...stripped.removed])],
    now: now(),
    // Each of these was established above, or the export would have been refused.
    autoChecks: {
      'metadata-removed': { ok: true, note: 'export re-scanned: nothing outside the allowlist' },
      'file-named': { ok: true },
      flattened: { ok: true, note: 'decoded to a single flat raster' },
      'regions-meet-policy': { ok: true, note: 'every step checked against the policy and re-verified in the export' },
    },
  });
  const imagePath = path.join(options.outDir, sidecar.image.fileName);
  const sidecarPath = path.join(options.outDir, `${alternateId}.deid.json`);
  await fs.mkdir(options.outDir, { recursive: true });
  await writeFilesAtomically([
    { path: imagePath, bytes: stripped.bytes },
    { path: sidecarPath, bytes: serializeSidecar(sidecar) },
  ]);
  return { alternateId, imagePath, sidecarPath, sidecar };
}

/**
 * Decodes, applies the steps in place and encodes: at most one full raw copy of the image is
 * alive here (issue 13.5), and it is out of scope once the encoded bytes exist.
 */
async function renderExport(options: ApplyOptions, steps: Step[]): Promise<Uint8Array> {
  const source = await decodePixels(options.imageBytes, { maxPixels: options.policy.maxPixels });
  applySteps(source, steps, options.policy, { inPlace: true });
  return encodePixels(source, options.format);
}

/**
 * Re-checks every obscured region in the exported bytes. Only the rectangle around the regions
 * (plus a margin for the border bands verify-region reads) is decoded, so the export's check
 * adds at most one more raw copy, usually much less. Returns the export's size.
 */
async function verifyExport(bytes: Uint8Array, steps: Step[], options: ApplyOptions): Promise<{ width: number; height: number }> {
  const { default: sharp } = await import('sharp');
  const meta = await sharp(bytes).metadata();
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  const regions = steps.filter((s) => (s.op === 'pixelate' || s.op === 'overlay') && s.region);
  if (regions.length === 0) return { width, height };
  const margin = VERIFY_MARGIN;
  let x0 = width;
  let y0 = height;
  let x1 = 0;
  let y1 = 0;
  for (const s of regions) {
    const r = s.region!;
    x0 = Math.min(x0, Math.max(0, r.x - margin));
    y0 = Math.min(y0, Math.max(0, r.y - margin));
    x1 = Math.max(x1, Math.min(width, r.x + r.w + margin));
    y1 = Math.max(y1, Math.min(height, r.y + r.h + margin));
  }
  if (x1 <= x0 || y1 <= y0) return { width, height };
  const window = await decodePixels(bytes, { orient: false, maxPixels: options.policy.maxPixels, extract: { left: x0, top: y0, width: x1 - x0, height: y1 - y0 } });
  const tolerance = options.format === 'png' ? LOSSLESS_TOLERANCE : JPEG_TOLERANCE;
  steps.forEach((step, i) => {
    if ((step.op === 'pixelate' || step.op === 'overlay') && step.region) {
      // The same check on the window, with the region moved into its coordinates; the window
      // holds everything the check reads, so the verdict is the full image's.
      const moved: Step = { ...step, region: { ...step.region, x: step.region.x - x0, y: step.region.y - y0 } };
      const check = checkRegionObscured(window, moved, options.policy, tolerance);
      if (!check.ok) throw new DeidError('not-clean', `step ${i + 1} (${step.op}) is not obscured in the export: ${check.detail}`);
    }
  });
  return { width, height };
}

/** Pixels around a region that verify-region may read (its border bands): generous on purpose. */
const VERIFY_MARGIN = 64;

function sourceKinds(bytes: Uint8Array): FindingKind[] {
  try {
    return scanStructure(bytes).findings.map((f) => f.kind);
  } catch {
    // A source the walk cannot read was still decoded by sharp; its kinds are unknown.
    return [];
  }
}
