/**
 * TIFF files (TIFF 6.0, https://www.itu.int/itudoc/itu-t/com16/tiff-fx/docs/tiff6.pdf).
 * Walk only: there is no lossless strip (ImageSourceData layers, extra pages and private tags
 * make an in-place rewrite risky), so the CLI re-encodes TIFF through sharp with a notice.
 */
import { walkTiffFile } from './tiff-ifd';
import type { ContainerFormat, ImageFormat, Part } from './types';

/** "II*\0" / "MM\0*" (classic) and "II+\0" / "MM\0+" (BigTIFF, refused by the walk). */
const SIGNATURES: readonly (readonly number[])[] = [
  [0x49, 0x49, 0x2a, 0x00],
  [0x4d, 0x4d, 0x00, 0x2a],
  [0x49, 0x49, 0x2b, 0x00],
  [0x4d, 0x4d, 0x00, 0x2b],
];

function detectTiff(bytes: Uint8Array): ImageFormat | null {
  return SIGNATURES.some((sig) => sig.every((b, i) => bytes[i] === b)) ? 'tiff' : null;
}

export const tiffFormat: ContainerFormat = {
  formats: ['tiff'],
  detect: detectTiff,
  walk(bytes: Uint8Array): Part[] {
    return walkTiffFile(bytes);
  },
};
