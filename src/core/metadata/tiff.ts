/**
 * TIFF and BigTIFF files (TIFF 6.0, https://www.itu.int/itudoc/itu-t/com16/tiff-fx/docs/tiff6.pdf;
 * BigTIFF as libtiff 4 writes it). The walk and the lossless strip share one analysis
 * (tiff-pages.ts): a file with no finding is returned unchanged; otherwise every full-resolution
 * page is rewritten as TIFF (BigTIFF stays BigTIFF) with only its allowlisted tags and its strips
 * or tiles copied byte for byte (tiff-write.ts).
 */
import { DeidError } from '../errors';
import { analyseTiff } from './tiff-pages';
import { writeTiffPages } from './tiff-write';
import type { ContainerFormat, ImageFormat, Part, StripResult } from './types';

/** "II*\0" / "MM\0*" (classic) and "II+\0" / "MM\0+" (BigTIFF). */
const SIGNATURES: readonly (readonly number[])[] = [
  [0x49, 0x49, 0x2a, 0x00],
  [0x4d, 0x4d, 0x00, 0x2a],
  [0x49, 0x49, 0x2b, 0x00],
  [0x4d, 0x4d, 0x00, 0x2b],
];

function detectTiff(bytes: Uint8Array): ImageFormat | null {
  return SIGNATURES.some((sig) => sig.every((b, i) => bytes[i] === b)) ? 'tiff' : null;
}

function stripTiff(bytes: Uint8Array): StripResult {
  const analysis = analyseTiff(bytes);
  if (analysis.findings.length === 0) return { bytes, removed: [], notes: [] };
  if (analysis.unwritable !== null) {
    throw new DeidError('unsupported', `cannot rewrite this TIFF losslessly: ${analysis.unwritable}`);
  }
  if (analysis.needsConversion !== null) {
    throw new DeidError('needs-conversion', `the TIFF's colour profile needs a pixel conversion: ${analysis.needsConversion}`);
  }
  const out = writeTiffPages(bytes, analysis);
  const removed = [...new Set(analysis.findings.map((f) => f.kind))].sort();
  const pages = analysis.pages.length;
  const notes = [`rewrote the TIFF with ${pages} page${pages === 1 ? '' : 's'}, image data copied byte for byte`];
  return { bytes: out, removed, notes };
}

export const tiffFormat: ContainerFormat = {
  formats: ['tiff'],
  detect: detectTiff,
  walk(bytes: Uint8Array): Part[] {
    return analyseTiff(bytes).parts;
  },
  strip: stripTiff,
};
