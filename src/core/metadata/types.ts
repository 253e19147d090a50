/**
 * The contract every container format implements (one file per format, registered in
 * registry.ts, like exifr's segment parsers). See ../../../../shared/DESIGN.md.
 */

/** Finding kinds: the vocabulary of DESIGN.md "Command line contract". */
export const FINDING_KINDS = [
  'exif', 'gps', 'xmp', 'iptc', 'icc', 'comment', 'thumbnail', 'makernote', 'photoshop-irb',
  'text-chunk', 'time-chunk', 'mpf', 'c2pa', 'trailer', 'layers', 'unknown-segment',
  'not-obscured', 'hash-mismatch', 'checklist-incomplete',
  'possible-face',
  'possible-text',
  'signature-invalid',
  'untrusted-reviewer',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export interface Finding {
  kind: FindingKind;
  /** Where in the file: e.g. "APP1 Exif @ 2", "IFD0 tag 0x010f", "chunk tEXt @ 33". */
  where: string;
  /** WHAT is there ("GPS coordinates", "camera serial number"), never the value itself. */
  detail: string;
}

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'tiff' | 'heif' | 'avif';

/**
 * One structural part of a file as the walk sees it. `finding` is null for parts on the
 * format's allowlist (kept by strip); anything not known to be safe carries a finding.
 */
export interface Part {
  /** Short name: "SOI", "APP1", "IDAT", "VP8X", "iinf/Exif", "IFD0". */
  name: string;
  offset: number;
  length: number;
  finding: Finding | null;
}

export interface StripResult {
  /** May be the input itself (a clean TIFF) or share its memory: copy it to keep it longer. */
  bytes: Uint8Array;
  /** Kinds of what was dropped (sidecar `metadata.removed`): kinds only, never values. */
  removed: FindingKind[];
  /** Human notes, e.g. "kept Orientation=6 in a minimal EXIF". Never metadata values. */
  notes: string[];
}

/** How deep a walk reads. */
export interface WalkOptions {
  /**
   * JPEG: decode every Huffman scan (T.81 F.2.2, G.1.2) to find coded bytes no MCU uses, after
   * the last MCU or before an RSTn, where a name survives every decoder. A scan that cannot be
   * decoded here (other coding processes, a DNL frame, damaged progressive data) is a finding
   * of its own and strip refuses it (fail closed). Off by default:
   * it reads every coded bit in JavaScript (verify over 408 camera JPEGs: 1.9 s against 0.43 s),
   * and no camera or editor writes such bytes; bag create always asks for it.
   * PNG: every zlib stream is inflated and its Adler-32 checked (strip writes the right one).
   * WebP: VP8L and lossless ALPH streams are decoded to find bits libwebp never turns into a
   * pixel, and VP8 token probability updates no token reads (webp-vp8l-unused.ts, webp-vp8.ts);
   * strip refuses those (only a re-encode removes them).
   */
  scanData?: boolean;
  /**
   * Largest picture, in pixels, whose coded data a walk may decode: the policy's maxPixels (the
   * limit the CLI's pixel decoding has, core/limits.ts default when absent). PNG: the image and
   * every APNG frame together, whenever their rows are inflated (png.ts). WebP: the pixels the
   * bitstream headers declare, the image or every animation frame together, always (webp.ts).
   */
  maxPixels?: number;
}

export interface ContainerFormat {
  /** Which formats this module owns (ISO-BMFF answers heif or avif by brand). */
  readonly formats: readonly ImageFormat[];
  /** Cheap magic-number check; never throws. Returns the precise format or null. */
  detect(bytes: Uint8Array): ImageFormat | null;
  /** Structural walk over the whole file. Throws DeidError('malformed'|'truncated') only. */
  walk(bytes: Uint8Array, options?: WalkOptions): Part[];
  /** Lossless strip (image data copied byte for byte). Absent: this format cannot be
   *  stripped losslessly by the core (the CLI may re-encode it with a notice, or refuse). */
  strip?(bytes: Uint8Array, options?: WalkOptions): StripResult;
}
