import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDeidError } from '../../core/errors';
import { DEFAULT_LIMITS } from '../../core/limits';
import { detectContainer } from '../../core/metadata/registry';
import { stripMetadata } from '../../core/metadata/scan';
import { stageFile, sweepOnce } from '../atomic';
import { isInside, realTarget } from '../output-paths';
import { decodeFailure } from '../pixels-io';
import { ioReason } from '../io-reason';
import { readInputFile, type ReadScratch } from '../read-input';
import type { FindingKind, ImageFormat, WalkOptions } from '../../core/metadata/types';
import type { StripFileResult, StripTask } from './types';
import { reencodeClean, type ReencodeFormat } from './reencode';
import { errorText } from './verify-file';

/**
 * Strips one file into the output tree. JPEG, PNG, WebP, TIFF, HEIF and AVIF are rewritten
 * losslessly by the core, each in its own format. A JPEG, PNG or WebP the core cannot make clean
 * losslessly (a LUT/CMYK colour profile, a structure the walk refuses) is re-encoded clean in its
 * own format with a notice, and only what no decoder reads is refused. A TIFF/HEIF/AVIF the core
 * refuses to rewrite (old-style JPEG TIFF, a CMYK/LUT profile in a TIFF, an image sequence, an
 * item type it does not carry) is decoded and re-encoded as PNG as a salvage path (no further
 * loss, orientation applied to the pixels), then stripped and re-scanned like any PNG. Nothing is
 * written unless the result is clean; commit.ts puts the staged file in place, never over an input.
 * The input is read through `scratch` when one is given: the output is staged before this returns.
 */
export async function stripFile(task: StripTask, scratch?: ReadScratch): Promise<StripFileResult> {
  const planned = await planOutput(task, scratch);
  if ('result' in planned) return planned.result;
  const { output, bytes, format, lossless, removed, notice } = planned;
  const done = { input: task.file.path, output, format, lossless, ...(removed ? { removed } : {}), ...(notice ? { notice } : {}) };
  // The output's folder, links resolved, must lie inside --out: a symbolic link to a folder in
  // the output tree (to an input folder, or anywhere) would have the output written there.
  if (!isInside(realTarget(path.dirname(output)), realTarget(task.outDir))) {
    return { input: task.file.path, format, lossless: false, error: `refused, nothing written: the output's folder ${path.dirname(output)} leads outside --out (a symbolic link)` };
  }
  if (task.resume && alreadyThere(task.file.path, planned)) return { ...done, resumed: true };
  try {
    // Staged beside its final place (same file system, so the commit is one rename); the main
    // thread commits every output itself, so two inputs can never race for one output name and
    // an existing input is never replaced (commit.ts).
    return { ...done, staged: stageFile(output, bytes) };
  } catch (e) {
    // Named by the output and the folder it goes in, not by the hidden staging file Node's
    // message names (docs/scale.md "What a crash leaves"): that name meant nothing to the user.
    return { input: task.file.path, format, lossless: false, error: `write failed: cannot write ${output} (in ${path.dirname(output)}): ${ioReason(e)}` };
  }
}

/** What strip writes for one input, made in memory. */
interface PlannedOutput {
  output: string;
  bytes: Uint8Array;
  format: ImageFormat;
  lossless: boolean;
  /** What the lossless strip dropped, by kind; absent for a re-encode. */
  removed?: FindingKind[];
  notice?: string;
}

/**
 * `--resume` (issue 12): the output already there is kept when it is newer than its input and is
 * byte for byte what strip writes for this input now. "Newer and clean" alone kept another
 * input's output where two inputs map to one name (ward3/a.jpg and ward4/a.jpg into one folder,
 * a second camera card reusing IMG_0001.JPG) and reported the photo stripped. The input is read
 * and stripped in memory either way; what resuming saves is rewriting the output.
 */
function alreadyThere(input: string, planned: PlannedOutput): boolean {
  try {
    sweepOnce(path.dirname(planned.output));
    const [inStat, outStat] = [fs.statSync(input), fs.lstatSync(planned.output)];
    if (!outStat.isFile() || outStat.mtimeMs <= inStat.mtimeMs || outStat.size !== planned.bytes.length) return false;
    const existing = readInputFile(planned.output);
    return Buffer.from(existing.buffer, existing.byteOffset, existing.length).equals(Buffer.from(planned.bytes.buffer, planned.bytes.byteOffset, planned.bytes.length));
  } catch {
    return false; // no output yet, or one that cannot be read: written again
  }
}

/** The output path and bytes for one input, or the result when there is nothing to write. */
async function planOutput(task: StripTask, scratch?: ReadScratch): Promise<PlannedOutput | { result: StripFileResult }> {
  const { file } = task;
  let bytes: Uint8Array;
  try {
    // Sync read: see atomic.ts on why batches avoid the thread-pool hop.
    bytes = readInputFile(file.path, undefined, undefined, scratch);
  } catch (e) {
    return { result: { input: file.path, format: null, lossless: false, error: `cannot read: ${errorText(e)}` } };
  }
  const detected = detectContainer(bytes);
  if (!detected) {
    if (!file.explicit) return { result: { input: file.path, format: null, lossless: false, skipped: true } };
    return { result: { input: file.path, format: null, lossless: false, error: 'not a JPEG, PNG, WebP, TIFF, HEIF or AVIF file' } };
  }
  const { format, container } = detected;
  let lossless = container.strip !== undefined;
  let outBytes: Uint8Array | null = null;
  let salvage: string | null = null;
  let output = path.join(task.outDir, file.rel);
  let notice: string | undefined;
  let removed: FindingKind[] | undefined;
  const walkOptions: WalkOptions = { scanData: task.scanData === true, maxPixels: task.maxPixels };
  try {
    if (lossless && (format === 'jpeg' || format === 'png' || format === 'webp')) {
      const done = await stripOrReencode(bytes, format, task.maxPixels ?? DEFAULT_LIMITS.maxPixels, walkOptions);
      outBytes = done.bytes;
      lossless = done.lossless;
      removed = done.removed;
      if (done.notice) notice = done.notice;
    } else if (lossless) {
      try {
        const stripped = stripMetadata(bytes, walkOptions);
        outBytes = stripped.bytes;
        removed = stripped.removed;
        if (stripped.notes.length > 0) notice = stripped.notes.join('; ');
      } catch (e) {
        // HEIF/AVIF/TIFF the rewrite cannot carry losslessly fall back to re-encoding (salvage):
        // for TIFF, old-style JPEG or a broken tag the pixels depend on; a colour profile only a
        // conversion keeps (COORD contract 1: 'needs-conversion').
        if (!(isDeidError(e) && (e.code === 'unsupported' || e.code === 'needs-conversion') && (format === 'heif' || format === 'avif' || format === 'tiff'))) throw e;
        salvage = e.message;
        lossless = false;
      }
    }
    if (outBytes === null) {
      const png = await reencodeAsPng(bytes, format);
      outBytes = stripMetadata(png).bytes;
      output = output.slice(0, output.length - path.extname(output).length) + '.png';
      removed = undefined;
      const why = salvage ? `the lossless rewrite refused it: ${salvage}` : `no lossless strip exists for ${format.toUpperCase()}`;
      notice = `re-encoded ${format.toUpperCase()} to PNG (${why}); orientation applied to the pixels${format === 'tiff' ? '; first page only' : ''}`;
    }
  } catch (e) {
    // Nothing was written, lossless or not.
    return { result: { input: file.path, format, lossless: false, error: `refused, nothing written: ${errorText(e)}` } };
  }
  return { output, bytes: outBytes, format, lossless, ...(lossless && removed ? { removed } : {}), ...(notice ? { notice } : {}) };
}

/**
 * The lossless strip, or, when the core cannot make the file clean losslessly, a clean re-encode
 * with a notice that says so (issue 8.1 LUT/CMYK profiles, 8.3 salvage). Never silent: the
 * notice names why; only a file no decoder reads is refused.
 */
async function stripOrReencode(bytes: Uint8Array, format: ReencodeFormat, maxPixels: number, walkOptions: WalkOptions): Promise<{ bytes: Uint8Array; lossless: boolean; removed?: FindingKind[]; notice?: string }> {
  try {
    const stripped = stripMetadata(bytes, walkOptions);
    return { bytes: stripped.bytes, lossless: true, removed: stripped.removed, ...(stripped.notes.length > 0 ? { notice: stripped.notes.join('; ') } : {}) };
  } catch (e) {
    if (!isDeidError(e)) throw e;
    let reencoded: Uint8Array;
    try {
      reencoded = await reencodeClean(bytes, format, { maxPixels });
    } catch (again) {
      throw new Error(`${errorText(e)}; ${errorText(again)}`);
    }
    const notice = e.code === 'needs-conversion'
      ? `colours converted to sRGB through the embedded ICC profile (${e.message}); re-encoded with canonical sRGB, not lossless`
      : `salvaged: the file cannot be rewritten losslessly (${errorText(e)}), so it was re-encoded from its decoded pixels as a clean ${format.toUpperCase()}, not lossless`;
    return { bytes: reencoded, lossless: false, notice };
  }
}

async function reencodeAsPng(bytes: Uint8Array, format: string): Promise<Uint8Array> {
  // Loaded on first use: most batches are JPEG/PNG/WebP and never need the decoder.
  const { default: sharp } = await import('sharp');
  try {
    const out = await sharp(bytes, { failOn: 'error', limitInputPixels: DEFAULT_LIMITS.maxPixels }).rotate().png({ compressionLevel: 6 }).toBuffer();
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (e) {
    throw new Error(`cannot decode this ${format.toUpperCase()} file here: ${decodeFailure(e)}`);
  }
}
