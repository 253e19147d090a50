import { DeidError } from '../errors';
import { sha256Hex } from '../hash';
import type { FindingKind } from '../metadata/types';
import { applyAutoChecks, defaultChecklist, type AutoCheckResults } from './checklist';
import { validateSidecar } from './schema';
import { SCHEMA_VERSION, type Sidecar, type Step } from './types';

export const TOOL_NAME = 'deid-photo';

const EXTENSION: Record<Sidecar['image']['format'], string> = { jpeg: 'jpg', png: 'png' };

export interface BuildSidecarInput {
  alternateId: string;
  toolVersion: string;
  /** The EXPORTED file (already stripped), never the original. */
  image: { format: Sidecar['image']['format']; width: number; height: number; bytes: Uint8Array };
  steps: Step[];
  /** Kinds stripped from the export (StripResult.removed); never values. */
  removed: FindingKind[];
  /** Defaults to the current time. */
  now?: Date;
  /** Results of the tool's own checks, recorded on the checklist's automatic items. */
  autoChecks?: AutoCheckResults;
}

/**
 * The sidecar for one export: hashes the exported bytes, names the file `<alternateId>.<ext>`
 * and starts an unsigned checklist. Takes nothing that could carry the original's name, path
 * or metadata values, and validates the result (DeidError('schema') if anything is off).
 */
export function buildSidecar(input: BuildSidecarInput): Sidecar {
  const { alternateId, toolVersion, image, steps, removed } = input;
  const now = input.now ?? new Date();
  if (Number.isNaN(now.getTime())) throw new DeidError('usage', 'buildSidecar: invalid "now" date');
  const sidecar: Sidecar = {
    schemaVersion: SCHEMA_VERSION,
    alternateId,
    tool: { name: TOOL_NAME, version: toolVersion },
    createdAt: now.toISOString(),
    image: {
      fileName: `${alternateId}.${EXTENSION[image.format]}`,
      format: image.format,
      width: image.width,
      height: image.height,
      bytes: image.bytes.length,
      sha256: sha256Hex(image.bytes),
    },
    steps: steps.map((s) => ({ ...s })),
    metadata: { removed: [...new Set(removed)], remaining: [] },
    checklist: input.autoChecks ? applyAutoChecks(defaultChecklist(), input.autoChecks) : defaultChecklist(),
  };
  return validateSidecar(sidecar);
}
