import type { ContainerFormat, ImageFormat } from './types';
import { jpegFormat } from './jpeg';
import { pngFormat } from './png';
import { webpFormat } from './webp';
import { tiffFormat } from './tiff';
import { isobmffFormat } from './isobmff';

/** Every container the core understands. Adding a format is adding a file and a line here. */
export const CONTAINERS: readonly ContainerFormat[] = [jpegFormat, pngFormat, webpFormat, tiffFormat, isobmffFormat];

export function detectContainer(bytes: Uint8Array): { format: ImageFormat; container: ContainerFormat } | null {
  for (const container of CONTAINERS) {
    const format = container.detect(bytes);
    if (format) return { format, container };
  }
  return null;
}
