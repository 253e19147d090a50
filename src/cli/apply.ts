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
import { serializeSidecar, validateRecipe } from '../core/sidecar/schema';
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
  const recipe = validateRecipe(recipeJson);
  recipe.steps.forEach((step, i) => {
    try {
      checkStep(options.policy, step);
    } catch (e) {
      throw new DeidError('policy', `step ${i + 1} (${step.op}) refused: ${e instanceof Error ? e.message : String(e)}`);
    }
  });

  const now = options.now ?? (() => new Date());
  const source = await decodePixels(options.imageBytes);
  const result = applySteps(source, recipe.steps, options.policy);
  const encoded = await encodePixels(result, options.format);
  const stripped = stripMetadata(encoded);
  const left = scanStructure(stripped.bytes).findings;
  if (left.length > 0) throw new DeidError('not-clean', `the export still carries ${left.map((f) => f.kind).join(', ')}`);

  const exported = await decodePixels(stripped.bytes, { orient: false });
  const stamp = now().toISOString();
  const steps: Step[] = stepsForSidecar([
    ...recipe.steps.filter((s) => s.op !== 'export' && s.op !== 'strip').map((s) => ({ ...s, at: stamp })),
    { op: 'export', at: stamp },
    { op: 'strip', at: stamp },
  ]);
  const tolerance = options.format === 'png' ? LOSSLESS_TOLERANCE : JPEG_TOLERANCE;
  steps.forEach((step, i) => {
    if ((step.op === 'pixelate' || step.op === 'overlay') && step.region) {
      const check = checkRegionObscured(exported, step, options.policy, tolerance);
      if (!check.ok) throw new DeidError('not-clean', `step ${i + 1} (${step.op}) is not obscured in the export: ${check.detail}`);
    }
  });

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

function sourceKinds(bytes: Uint8Array): FindingKind[] {
  try {
    return scanStructure(bytes).findings.map((f) => f.kind);
  } catch {
    // A source the walk cannot read was still decoded by sharp; its kinds are unknown.
    return [];
  }
}
