import type { Rect } from '../geometry';
import type { FindingKind } from '../metadata/types';
import type { RegionKind } from '../policy/types';

/**
 * Version 1: an unsigned sidecar (every export starts so, and tools that know only version 1
 * still read it). Version 2: a signed one, carrying `signature` (Ed25519 over the RFC 8785 form,
 * core/signature/); signing moves a sidecar to 2, and a version 2 without a signature is invalid.
 */
export const SCHEMA_VERSION = 1;
export const SIGNED_SCHEMA_VERSION = 2;
export type SchemaVersion = 1 | 2;

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
  schemaVersion: SchemaVersion;
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
  /** The reviewer's signature over the signed-off sidecar (schema version 2). */
  signature?: SidecarSignature;
}

export interface SidecarSignature {
  alg: 'Ed25519';
  /** 32 bytes, hex */
  publicKey: string;
  /** SHA-256 of the public key, hex (signature/keys.ts) */
  fingerprint: string;
  /** 64 bytes, hex; over signature/sidecar-signature.ts signedMessage() */
  value: string;
}

/** A recipe for `deid apply`: the sidecar's step format (a whole sidecar works as a recipe). */
export interface Recipe {
  steps: Step[];
}
