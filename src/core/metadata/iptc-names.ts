import { u16be } from '../bytes';

/**
 * The IPTC datasets a JPEG's APP13 segment sets, as numbers, without their values: the detail
 * for a file the walk has already failed (see xmp-names.ts for why not exifr itself).
 *
 * Read exactly as exifr 7.1.3 reads them (src/segment-parsers/iptc.mjs), so the two name the
 * same fields: the first "8BIM" resource with id 0x0404 anywhere in the segment (found byte by
 * byte, not by walking the resources), its data taken to start 12 bytes on (exifr reads the
 * name's length one byte late and falls back to 4; for the usual empty name both give 12), then
 * IIM records 2:xx (IPTC IIM 4.2 §1.5: 0x1C, record, dataset, 2-byte length) from the first one
 * found, one after another, until something else follows. An extended-length dataset (top bit
 * of the length set) is read as exifr reads it, as a plain 16-bit length. null: the segment holds
 * no IPTC resource (exifr does not take it for an IPTC segment).
 */
export function iptcDatasets(bytes: Uint8Array, segmentStart: number, segmentEnd: number): number[] | null {
  const head = find8bimIptc(bytes, segmentStart, segmentEnd);
  if (head < 0) return null;
  const nameLength = bytes[head + 7];
  const header = 8 + (nameLength === 0 ? 4 : nameLength + (nameLength % 2));
  const start = head + header;
  const found: number[] = [];
  const seen = new Set<number>();
  let started = false;
  for (let at = start; at < segmentEnd - 1; at++) {
    if (bytes[at] === 0x1c && bytes[at + 1] === 0x02) {
      started = true;
      // A dataset whose header runs past the segment: exifr fails on it and names nothing more.
      if (at + 5 > segmentEnd) break;
      const size = u16be(bytes, at + 3);
      // A dataset repeated becomes a list in exifr's output (pluralizeValue), a value even of two empty ones.
      if (size > 0 || seen.has(bytes[at + 2])) found.push(bytes[at + 2]);
      seen.add(bytes[at + 2]);
      at += 4 + size;
    } else if (started) {
      break;
    }
  }
  return found;
}

const SIG = [0x38, 0x42, 0x49, 0x4d, 0x04, 0x04]; // "8BIM", resource 0x0404 (IPTC-NAA)

function find8bimIptc(bytes: Uint8Array, from: number, end: number): number {
  outer: for (let at = from; at + SIG.length <= end; at++) {
    for (let k = 0; k < SIG.length; k++) if (bytes[at + k] !== SIG[k]) continue outer;
    return at;
  }
  return -1;
}
