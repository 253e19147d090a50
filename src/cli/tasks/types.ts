import type { Finding, FindingKind, ImageFormat } from '../../core/metadata/types';
import type { Policy } from '../../core/policy/types';
import type { InputFile } from '../inputs';
import type { SkipKind } from '../what-is';

/** `deid verify --json` per-file shape (DESIGN.md "Command line contract"). */
export interface VerifyFileResult {
  path: string;
  format: ImageFormat | null;
  clean: boolean;
  findings: Finding[];
  error?: string;
  /** Not checked, and why (a task answers `true` for "not an image"; run-task.ts names it). */
  skipped?: true | SkipKind;
  reason?: string;
  /** An argument that could not be read at all (missing, a FIFO, an unlistable folder). */
  unreadable?: boolean;
  /** `verify --pixels`: the detectors' notes for the faces and text checklist items (advice only). */
  detector?: { faces: string; text: string };
  /** With a sidecar that was checked: signed off, as every command judges it (core/signature/signed-off.ts). */
  signedOff?: boolean;
}

/** `deid strip --json` per-file shape. */
export interface StripFileResult {
  input: string;
  output?: string;
  format: ImageFormat | null;
  lossless: boolean;
  /**
   * Kinds of what the lossless strip dropped (exif, gps, xmp, thumbnail...; kinds only, never
   * values), as the sidecar's metadata.removed. A re-encode drops everything and says so in its
   * notice instead.
   */
  removed?: FindingKind[];
  notice?: string;
  error?: string;
  /** Not stripped, and why (as in VerifyFileResult). */
  skipped?: true | SkipKind;
  reason?: string;
  /** An argument that could not be read at all. */
  unreadable?: boolean;
  /** An argument that is the --out folder or inside it: refused unread (outputs are never input). */
  insideOut?: boolean;
  /** --resume: the output was already there, newer than the input and exactly what strip writes. */
  resumed?: boolean;
  /** A file already at the output's name (a clean image: an earlier output) was replaced. */
  replaced?: boolean;
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
  /** `--scan-data`: also decode JPEG scans for coded bytes no MCU uses (core WalkOptions). */
  scanData?: boolean;
}

export interface StripTask {
  type: 'strip';
  file: InputFile;
  outDir: string;
  /** Pixel limit for files strip has to decode (core/limits.ts default when absent). */
  maxPixels?: number;
  /** Keep an existing output that is newer than the input and exactly what strip writes for it. */
  resume?: boolean;
  /** `--scan-data`: also cut JPEG coded bytes no MCU uses (core WalkOptions). */
  scanData?: boolean;
}

/** An entry that needs no work (a skipped file, an unreadable argument), kept in input order. */
export interface DoneTask {
  type: 'done';
  file: InputFile;
  result: VerifyFileResult | StripFileResult;
}

export type Task = VerifyTask | StripTask | DoneTask;
export type TaskResult = VerifyFileResult | StripFileResult;
