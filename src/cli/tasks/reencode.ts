import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { threadId } from 'node:worker_threads';
import { canonicalProfile } from '../../core/metadata/icc';
import { stripMetadata } from '../../core/metadata/scan';
import { decodeFailure } from '../pixels-io';

/**
 * The private folder of one re-encode is named for the process and thread making it. A worker
 * terminated in the middle of one (a stopped or failed batch) runs no `finally` and no exit
 * handler, so the thread that terminated it removes what it left (removeThreadScratch).
 */
function scratchPrefix(thread: number): string {
  return `deid-icc-${process.pid}-${thread}-`;
}

/** Removes the re-encode folders a (terminated) thread of this process left in the temp folder. */
export function removeThreadScratch(thread: number): void {
  const prefix = scratchPrefix(thread);
  let names: string[];
  try {
    names = fs.readdirSync(os.tmpdir());
  } catch {
    return;
  }
  for (const name of names) {
    if (name.startsWith(prefix)) fs.rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
  }
}

/** Formats `deid strip` writes in place of their input when it has to re-encode one. */
export type ReencodeFormat = 'jpeg' | 'png' | 'webp';

/** Quality of a re-encoded JPEG: visually lossless, 4:4:4 so colour edges survive. */
const JPEG_QUALITY = 95;

export interface ReencodeOptions {
  /** sharp limitInputPixels: decompression bombs are refused before decoding. */
  maxPixels: number;
}

/**
 * Decodes `bytes` with sharp as leniently as libvips allows (failOn 'none': damaged scan data
 * decodes to what is there, as viewers show it), converts the colours to sRGB through the embedded
 * profile (sharp's default pipeline, LUT and CMYK profiles included), applies EXIF orientation to
 * the pixels, and encodes the same format with deid's canonical sRGB profile. The result goes
 * through the core strip and its re-walk like any input, so nothing but pixels and the clean
 * profile survives. Used for LUT/CMYK profiles (issue 8.1) and for salvage (issue 8.3).
 */
export async function reencodeClean(bytes: Uint8Array, format: ReencodeFormat, options: ReencodeOptions): Promise<Uint8Array> {
  const { default: sharp } = await import('sharp');
  // sharp embeds a profile only from a file path; the canonical profile lives in a private
  // temporary folder for the length of this call.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), scratchPrefix(threadId)));
  const iccPath = path.join(dir, 'srgb.icc');
  try {
    fs.writeFileSync(iccPath, canonicalProfile('srgb'));
    let pipeline = sharp(bytes, { failOn: 'none', limitInputPixels: options.maxPixels }).rotate().toColourspace('srgb').withIccProfile(iccPath);
    pipeline = format === 'jpeg'
      ? pipeline.jpeg({ quality: JPEG_QUALITY, chromaSubsampling: '4:4:4' })
      : format === 'png' ? pipeline.png({ compressionLevel: 6 }) : pipeline.webp({ lossless: true });
    let out: Buffer;
    try {
      out = await pipeline.toBuffer();
    } catch (e) {
      throw new Error(`no decoder can read it either (${decodeFailure(e)})`);
    }
    return stripMetadata(new Uint8Array(out.buffer, out.byteOffset, out.byteLength)).bytes;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
