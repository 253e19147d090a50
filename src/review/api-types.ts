/**
 * What the review server (src/cli/review/) sends the page (src/review/): plain data, shared as
 * types only so neither side imports the other's runtime.
 */
import type { Checklist, Step } from '../core/sidecar/types';

export type VerifyState = 'pending' | 'clean' | 'findings' | 'error';
export type SignatureState = 'unsigned' | 'valid' | 'invalid';

export interface ListRow {
  id: string;
  verify: VerifyState;
  /** Re-verification problems (hash, metadata, regions). */
  problemCount: number;
  /** Checklist items and issues still open (not counting the sign-off). */
  openItems: number;
  signedOff: boolean;
  reviewer?: string;
  reviewedAt?: string;
  signature: SignatureState;
  fingerprint?: string;
}

export interface ListResponse {
  total: number;
  /** How many have been re-verified so far (progress while the folder is checked). */
  verified: number;
  items: ListRow[];
}

export interface RegionView {
  number: number;
  op: Step['op'];
  regionKind?: Step['regionKind'];
  cellSize?: number;
  region: { x: number; y: number; w: number; h: number };
  ok: boolean;
  detail: string;
}

export interface ItemResponse {
  id: string;
  /** SHA-256 of the sidecar as read; sent back with the sign-off (lost-update check). */
  revision: string;
  error?: string;
  image?: { format: 'jpeg' | 'png'; width: number; height: number; bytes: number; sha256: string };
  hash: { ok: boolean; detail: string };
  metadataRemoved: string[];
  metadataFound: { kind: string; detail: string }[];
  regions: RegionView[];
  problems: string[];
  checklist: Checklist | null;
  openItems: string[];
  signature: { state: SignatureState; fingerprint?: string; reason?: string };
  /** Why a sidecar that records a sign-off does not count as signed off (core/signature/signed-off.ts); empty otherwise. */
  signOffProblems: string[];
}

export interface SignOffBody {
  revision: string;
  reviewer: string;
  items: { id: string; status: Checklist['items'][number]['status']; note?: string }[];
  issues: Checklist['issues'];
}

/** One face or text region the detectors found that no obscured region covers (issue 11). */
export interface PossibleView {
  kind: 'face' | 'text';
  box: { x: number; y: number; w: number; h: number };
  /** The detector's confidence, 0..1. */
  score: number;
  /** How much of the box lies under obscured regions, 0..1 (below the share that counts as covered). */
  covered: number;
  /** The finding's own wording, as `deid verify --pixels` prints it. */
  detail: string;
}

/**
 * GET /api/items/:id/pixels: the residual check of the export as stored. Advice for the reviewer
 * only: it never changes the checklist and never blocks or makes a sign-off.
 */
export interface PixelsResponse {
  id: string;
  /** How many faces and text regions the detectors found in all, covered or not. */
  found: { faces: number; text: number };
  uncovered: PossibleView[];
  /** The detector's notes for the faces and text checklist items. */
  notes: { faces: string; text: string };
}
