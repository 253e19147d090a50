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
}

export interface SignOffBody {
  revision: string;
  reviewer: string;
  items: { id: string; status: Checklist['items'][number]['status']; note?: string }[];
  issues: Checklist['issues'];
}
