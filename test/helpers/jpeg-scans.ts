/**
 * Test-side reader of a JPEG's scans, by segment lengths (T.81 B.1.1): the frame, and for each
 * SOS its header, the Huffman tables and restart interval in force, and where its coded data
 * runs. Written apart from src/core's walk, which the tests hold to libjpeg and T.81.
 */
import { buildHuffman, readFrame, type Frame, type HuffmanTable } from '../../src/core/metadata/jpeg-scan';

export interface ScanHeader {
  /** SOFn of the frame (0xc0 baseline, 0xc1 extended, 0xc2 progressive...). */
  frameMarker: number;
  frame: Frame;
  /** Offset of the SOS marker, of its coded data, and of the marker that ends that data. */
  sos: number;
  start: number;
  end: number;
  components: Array<{ id: number; dc: HuffmanTable | undefined; ac: HuffmanTable | undefined }>;
  ss: number;
  se: number;
  ah: number;
  al: number;
  restartInterval: number;
}

/** Where the coded data from `from` ends: the first FF not followed by 00 or RSTn (B.1.1.5). */
export function dataEnd(bytes: Uint8Array, from: number): number {
  let end = from;
  while (end + 1 < bytes.length && !(bytes[end] === 0xff && bytes[end + 1] !== 0 && (bytes[end + 1] < 0xd0 || bytes[end + 1] > 0xd7))) end++;
  return end + 1 < bytes.length ? end : bytes.length;
}

/** Every scan of a well-formed JPEG, in file order ([] before any frame header). */
export function scanHeaders(bytes: Uint8Array): ScanHeader[] {
  const tables: Array<HuffmanTable | undefined> = [];
  let frame: { marker: number; header: Frame } | null = null;
  let restartInterval = 0;
  const scans: ScanHeader[] = [];
  let at = 2;
  while (at + 4 <= bytes.length && bytes[at] === 0xff) {
    const marker = bytes[at + 1];
    if (marker === 0xd9) break;
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    const body = at + 4;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) frame = { marker, header: readFrame(bytes, at) };
    if (marker === 0xdd) restartInterval = (bytes[body] << 8) | bytes[body + 1];
    if (marker === 0xc4) {
      for (let p = body; p < at + 2 + length; ) {
        const { table, end } = buildHuffman(bytes, p + 1);
        tables[(bytes[p] >> 4) * 4 + (bytes[p] & 15)] = table;
        p = end;
      }
    }
    if (marker === 0xda) {
      if (!frame) return [];
      const count = bytes[body];
      const components = Array.from({ length: count }, (_, c) => ({ id: bytes[body + 1 + 2 * c], dc: tables[bytes[body + 2 + 2 * c] >> 4], ac: tables[4 + (bytes[body + 2 + 2 * c] & 15)] }));
      const tail = body + 1 + 2 * count;
      const start = at + 2 + length;
      const end = dataEnd(bytes, start);
      scans.push({ frameMarker: frame.marker, frame: frame.header, sos: at, start, end, components, ss: bytes[tail], se: bytes[tail + 1], ah: bytes[tail + 2] >> 4, al: bytes[tail + 2] & 15, restartInterval });
      at = end;
      continue;
    }
    at += 2 + length;
  }
  return scans;
}
