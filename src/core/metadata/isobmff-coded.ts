/**
 * The coded data of kept HEVC and AV1 items, split into its units (NAL units, OBUs) without
 * decoding them: units that carry no picture (SEI messages, filler data, AV1 metadata and padding
 * OBUs, reserved types) can hold any bytes a writer chooses, such as x265's settings string or
 * T.35 user data, and are not needed to decode the samples; they are findings and the rewrite
 * leaves them out. Every other unit is copied byte for byte. Bytes after the last whole unit are
 * findings too.
 */
import type { Box } from './isobmff-box';

/**
 * HEVC NAL unit types kept (ITU-T H.265 Table 7-1): the defined VCL types 0-9 and 16-21, the
 * parameter sets (VPS 32, SPS 33, PPS 34), access unit delimiter 35, end of sequence 36 and of
 * bitstream 37. Dropped: reserved VCL types, filler data 38, SEI 39/40, reserved and unspecified.
 */
function keepNal(type: number): boolean {
  return type <= 9 || (type >= 16 && type <= 21) || (type >= 32 && type <= 37);
}

/**
 * AV1 OBU types kept (AV1 bitstream spec 6.2.2): sequence header 1, temporal delimiter 2, frame
 * header 3, tile group 4, frame 6, tile list 7, redundant frame header 8. Dropped: metadata 5
 * (ITU-T T.35 and other payloads), padding 15 and reserved types.
 */
const KEPT_OBUS: ReadonlySet<number> = new Set([1, 2, 3, 4, 6, 7, 8]);
/** hvcC byte 21: lengthSizeMinusOne in its two low bits (14496-15 8.3.3.1.2). */
const HVCC_LENGTH_SIZE_BYTE = 21;
const LEB128_MAX_BYTES = 8;

export interface CodedUnits {
  /** The data the rewrite writes: the input view itself when nothing is dropped. */
  data: Uint8Array;
  problems: string[];
}

function rebuild(data: Uint8Array, keep: Array<[number, number]>): Uint8Array {
  let n = 0;
  for (const [s, e] of keep) n += e - s;
  const out = new Uint8Array(n);
  let at = 0;
  for (const [s, e] of keep) {
    out.set(data.subarray(s, e), at);
    at += e - s;
  }
  return out;
}

function finish(data: Uint8Array, keep: Array<[number, number]>, dropped: number, end: number, what: string): CodedUnits {
  const problems: string[] = [];
  if (dropped > 0) problems.push(`${dropped} ${what} that carry no picture (SEI, metadata, padding or reserved types)`);
  if (end < data.length) problems.push(`${data.length - end} bytes after the last whole ${what.replace(/s$/, '')}`);
  return { data: problems.length === 0 ? data : rebuild(data, keep), problems };
}

/** HEVC item data: NAL units, each behind a big-endian length of `lengthSize` bytes. */
export function hevcUnits(data: Uint8Array, lengthSize: number): CodedUnits {
  const keep: Array<[number, number]> = [];
  let dropped = 0;
  let o = 0;
  while (o + lengthSize <= data.length) {
    let n = 0;
    for (let i = 0; i < lengthSize; i++) n = n * 256 + data[o + i];
    const end = o + lengthSize + n;
    if (n < 2 || end > data.length) break;
    const type = (data[o + lengthSize] >> 1) & 0x3f;
    if (keepNal(type)) keep.push([o, end]);
    else dropped++;
    o = end;
  }
  return finish(data, keep, dropped, o, 'NAL units');
}

/** AV1 item data: OBUs with their size fields (AV1-ISOBMFF 2.4; AV1 5.3). */
export function av1Units(data: Uint8Array): CodedUnits {
  const keep: Array<[number, number]> = [];
  let dropped = 0;
  let o = 0;
  while (o < data.length) {
    const h = data[o];
    if (h & 0x80) break; // obu_forbidden_bit
    const type = (h >> 3) & 0x0f;
    let p = o + 1 + ((h >> 2) & 1);
    let size: number;
    if ((h >> 1) & 1) {
      size = 0;
      let i = 0;
      for (; i < LEB128_MAX_BYTES && p < data.length; i++) {
        const byte = data[p++];
        size += (byte & 0x7f) * 2 ** (7 * i);
        if (!(byte & 0x80)) break;
      }
      if (i === LEB128_MAX_BYTES) break;
    } else {
      size = data.length - p; // no size field: the OBU runs to the end of the item
    }
    const end = p + size;
    if (p > data.length || end > data.length) break;
    if (KEPT_OBUS.has(type)) keep.push([o, end]);
    else dropped++;
    o = end;
  }
  return finish(data, keep, dropped, o, 'OBUs');
}

/** The NAL length size an hvcC property declares, or null when it is too short to say. */
export function hevcLengthSize(b: Uint8Array, hvcC: Box): number | null {
  const at = hvcC.body + HVCC_LENGTH_SIZE_BYTE;
  return at < hvcC.end ? (b[at] & 3) + 1 : null;
}
