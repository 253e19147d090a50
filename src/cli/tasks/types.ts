import type { Finding, ImageFormat } from '../../core/metadata/types';
import type { Policy } from '../../core/policy/types';
import type { InputFile } from '../inputs';

/** `deid verify --json` per-file shape (DESIGN.md "Command line contract"). */
export interface VerifyFileResult {
  path: string;
  format: ImageFormat | null;
  clean: boolean;
  findings: Finding[];
  error?: string;
  /** A non-image file met inside a directory: left out of the report. */
  skipped?: boolean;
  /** `verify --pixels`: the detectors' notes for the faces and text checklist items (advice only). */
  detector?: { faces: string; text: string };
}

/** `deid strip --json` per-file shape. */
export interface StripFileResult {
  input: string;
  output?: string;
  format: ImageFormat | null;
  lossless: boolean;
  notice?: string;
  error?: string;
  skipped?: boolean;
  /** Internal: the temporary file holding the output until the main thread commits it. */
  staged?: string;
}

export interface VerifyTask {
  type: 'verify';
  file: InputFile;
  requireSidecar: boolean;
  policy: Policy;
  /** `--trusted-reviewers`: key fingerprints whose signatures are accepted (absent: any valid key). */
  trustedReviewers?: string[];
}

export interface StripTask {
  type: 'strip';
  file: InputFile;
  outDir: string;
  /** Pixel limit for files strip has to decode (core/limits.ts default when absent). */
  maxPixels?: number;
}

export type Task = VerifyTask | StripTask;
export type TaskResult = VerifyFileResult | StripFileResult;
