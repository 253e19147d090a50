import type { Rect } from '../core/geometry';
import type { Mask, PixelBuffer } from '../core/pixels/types';
import type { ReviewerKey } from '../core/signature/keys';

/**
 * The Host port: what a one-click step needs from an image editor. src/photoshop implements it
 * with the Photoshop DOM, the Imaging API and batchPlay; tests run it over the fake `photoshop`
 * and `uxp` modules. Nothing here imports a host module.
 *
 * Documents are named by id rather than "the active one", because the user can switch
 * documents between clicks; actions compare `activeDocument()` with their working copy and say
 * so when they differ.
 */

/**
 * The document's colour mode (Photoshop's DocumentMode). The steps paint on RGB only: Start
 * converts a grayscale, indexed, CMYK or Lab working copy to RGB (convertToSrgb); bitmap,
 * duotone, multichannel and anything unknown ('other') are refused with a message.
 */
export type ColorMode = 'rgb' | 'gray' | 'indexed' | 'cmyk' | 'lab' | 'bitmap' | 'duotone' | 'multichannel' | 'other';

export interface DocumentInfo {
  id: number;
  title: string;
  width: number;
  height: number;
  /** Bits per channel. Photoshop's 16-bit runs 0..32768 (PixelBuffer.maxValue 32768). */
  bitDepth: 8 | 16 | 32;
  mode: ColorMode;
  /** The colour profile's name, or 'None' for an untagged document. */
  profile: string;
  /** Pixels per inch. */
  resolution: number;
}

/** The profile every export is converted to: the one viewers assume for untagged files. */
export const SRGB_PROFILE = 'sRGB IEC61966-2.1';

/** Options of a synthetic (self-test) document. */
export interface SyntheticOptions {
  /** Default SRGB_PROFILE. */
  profile?: string;
  /** Default 72. */
  resolution?: number;
}

/** An image file opened for reading (review): its size, and a reader of one region at a time. */
export interface OpenedImage {
  width: number;
  height: number;
  readRegion(rect: Rect): Promise<PixelBuffer>;
}

export interface SelectionInfo {
  /** Bounding box of the selection, clamped to the canvas (right/bottom exclusive). */
  bounds: Rect;
  /** The selection's mask when it is not a plain rectangle; null = every pixel of `bounds`. */
  mask: Mask | null;
}

export interface StepContext {
  /** 0..1; the host may show it or not. */
  reportProgress(fraction: number): void;
  /** True once the user has asked to cancel; a step checks it between chunks of work. */
  readonly isCancelled: boolean;
}

/** A folder the user chose for exports; opaque to actions (the host keeps the real entry). */
export interface OutputFolder {
  /** For display only ("Exports in: Deidentified"). */
  readonly name: string;
}

/** A single file the user chose in a save dialog (the optional linkage record). */
export interface SaveTarget {
  readonly name: string;
}

export interface FileToWrite {
  name: string;
  bytes: Uint8Array;
}

export type ExportFormat = 'jpeg' | 'png';

export type HostErrorCode =
  | 'busy' // another plugin or dialog holds Photoshop's modal scope (error number 9)
  | 'cancelled' // the user cancelled (ctx.isCancelled, or Photoshop's -128)
  | 'no-document' // no document open, or the working copy was closed
  | 'no-selection' // the step needs a selection and there is none
  | 'unsupported' // a document the steps cannot handle (colour mode, bit depth)
  | 'not-working-copy' // the document in front is not the working copy the steps apply to
  | 'write-failed' // a file could not be written; nothing was left behind
  | 'folder-unavailable' // a remembered folder is gone or its permission expired: ask again
  | 'host'; // anything else Photoshop reported

/**
 * The one error the host adapter throws. `message` is meant for the person at the panel;
 * `detail` keeps what Photoshop said, for the log.
 */
export class DeidHostError extends Error {
  readonly code: HostErrorCode;
  readonly detail: string | undefined;
  constructor(code: HostErrorCode, message: string, detail?: string) {
    super(message);
    this.name = 'DeidHostError';
    this.code = code;
    this.detail = detail;
  }
}

export function isDeidHostError(e: unknown): e is DeidHostError {
  return e instanceof DeidHostError;
}

export interface Host {
  /** The document in front, or null when none is open. Needs no modal scope. */
  activeDocument(): Promise<DocumentInfo | null>;

  /**
   * Runs `fn` inside the host's modal scope. With `historyOf`, everything `fn` changes in that
   * document is ONE history step named `name`, rolled back when `fn` throws (including a cancel).
   * Throws DeidHostError('busy'|'cancelled'|...).
   */
  runStep<T>(name: string, fn: (ctx: StepContext) => Promise<T>, options?: { historyOf?: number }): Promise<T>;

  // The following change or read document state and must be called inside runStep.

  /** A flattened duplicate of `sourceId` named `name`; it becomes the active document. */
  duplicateFlattened(sourceId: number, name: string): Promise<DocumentInfo>;
  /** A new document holding exactly `pixels` (8-bit: maxValue 255, 16-bit: 32768; RGB), for the self-test. */
  createSyntheticDocument(name: string, pixels: PixelBuffer, options?: SyntheticOptions): Promise<DocumentInfo>;
  /**
   * Brings a document to RGB mode (grayscale, indexed, CMYK, Lab; other modes are refused with
   * DeidHostError('unsupported')) and converts it to SRGB_PROFILE (relative colorimetric, black
   * point compensation, no dither) unless it is in both already. Returns whether it changed.
   */
  convertToSrgb(docId: number): Promise<boolean>;
  /** Replaces the selection with a rectangle (the self-test draws its own selections). */
  selectRectangle(docId: number, rect: Rect): Promise<void>;
  /** Replaces the selection with the ellipse inscribed in `rect` (anti-aliased, as the marquee tool). */
  selectEllipse(docId: number, rect: Rect): Promise<void>;
  /** The current selection of a document, or null when nothing is selected. */
  selection(docId: number): Promise<SelectionInfo | null>;
  /** The composite pixels of `rect` (inside the canvas), chunky, at the document's bit depth. */
  readPixels(docId: number, rect: Rect): Promise<PixelBuffer>;
  /** Writes `pixels` with their top-left at `at`, into the document's (single) pixel layer. */
  writePixels(docId: number, pixels: PixelBuffer, at: { x: number; y: number }): Promise<void>;
  crop(docId: number, rect: Rect): Promise<void>;
  flatten(docId: number): Promise<void>;
  /**
   * Saves a copy in `format` to a temporary file and returns its bytes AS PHOTOSHOP WROTE
   * THEM, metadata included; the caller strips and verifies. The temporary file is removed.
   */
  exportCopy(docId: number, format: ExportFormat): Promise<Uint8Array>;
  /** Closes a document without saving (working copies after export, self-test documents). */
  closeWithoutSaving(docId: number): Promise<void>;
  /**
   * Opens an image file from a folder in the host (or uses it where the user already has it
   * open), lets `use` read regions of it, then closes it again only if this call opened it.
   * Review re-verifies obscured regions this way, reading only those regions. Inside runStep.
   */
  inspectImage<T>(folder: OutputFolder, name: string, use: (image: OpenedImage) => Promise<T>): Promise<T>;

  // Files: no modal scope needed.

  /** Asks the user for a folder and remembers it; null when the user cancels. */
  chooseOutputFolder(): Promise<OutputFolder | null>;
  /** The folder chosen last time, or null when there is none or its permission is stale. */
  rememberedOutputFolder(): Promise<OutputFolder | null>;
  /** The plugin's own temporary folder (self-test output). */
  temporaryFolder(): Promise<OutputFolder>;
  /**
   * Writes every file via a temporary name and a rename. On any failure, removes whatever it
   * wrote (temp files and already-renamed files) and throws DeidHostError('write-failed').
   */
  writeFilesAtomically(folder: OutputFolder, files: FileToWrite[]): Promise<void>;
  /** Reads a file from a folder, or null when it does not exist. */
  readFile(folder: OutputFolder, name: string): Promise<Uint8Array | null>;
  /** Removes a file if it exists (self-test clean-up). */
  removeFile(folder: OutputFolder, name: string): Promise<void>;
  /** Asks where to save a single file (the linkage record); null when the user cancels. */
  chooseFileToSave(suggestedName: string): Promise<SaveTarget | null>;
  writeSaveTarget(target: SaveTarget, bytes: Uint8Array): Promise<void>;
  /** Whether a chosen save target lies directly in `folder` (the linkage record must not). */
  isInFolder(target: SaveTarget, folder: OutputFolder): boolean;
  /**
   * Names of the files directly in a folder (review lists its `.deid.json` files). Review works
   * on a folder rather than a picked file because UXP gives a picked file no parent: the image
   * beside a sidecar and the signed-off rewrite both need the folder.
   */
  listFiles(folder: OutputFolder): Promise<string[]>;
  /**
   * The reviewer's Ed25519 signing key (core/signature/keys.ts reviewerKeyFrom over UXP secure
   * storage), created at the first sign-off. Absent: sign-offs are written unsigned, and
   * `deid verify` reports them as signature-invalid.
   */
  reviewerKey?(): Promise<ReviewerKey>;
}
