import type { Rect } from '../geometry';
import type { FindingKind } from '../metadata/types';
import type { RegionKind } from '../policy/types';

export const SCHEMA_VERSION = 1;

export type StepOp = 'pixelate' | 'overlay' | 'crop' | 'flatten' | 'export' | 'strip' | 'convert-to-srgb';

/** One recorded step, in the exported image's coordinates (DESIGN.md "Sidecar"). */
export interface Step {
  op: StepOp;
  region?: Rect;
  regionKind?: RegionKind;
  cellSize?: number;
  cellsAcross?: number;
  /** "#rrggbb" */
  color?: string;
  /** The selection when it was not a rectangle: run lengths over `region` (see
   *  pixels/mask-runs.ts). Absent = the whole region. */
  mask?: number[];
  /** ISO 8601 */
  at: string;
}

export type ChecklistStatus = 'ok' | 'not-present' | 'issue' | 'unchecked';

export interface ChecklistItem {
  id: string;
  label: string;
  status: ChecklistStatus;
  note?: string;
  /** Filled by the tool itself; cannot be ticked by hand when its check fails. */
  auto: boolean;
}

export interface Issue {
  description: string;
  resolved: boolean;
}

export interface Checklist {
  items: ChecklistItem[];
  issues: Issue[];
  reviewer?: string;
  reviewedAt?: string;
  signedOff: boolean;
}

export interface Sidecar {
  schemaVersion: typeof SCHEMA_VERSION;
  alternateId: string;
  tool: { name: string; version: string };
  createdAt: string;
  image: {
    fileName: string;
    format: 'jpeg' | 'png';
    width: number;
    height: number;
    bytes: number;
    sha256: string;
  };
  steps: Step[];
  metadata: { removed: FindingKind[]; remaining: FindingKind[] };
  checklist: Checklist;
}

/** A recipe for `deid apply`: the sidecar's step format (a whole sidecar works as a recipe). */
export interface Recipe {
  steps: Step[];
}
