/**
 * The coded data of kept HEVC and AV1 items, split into its units (NAL units, OBUs) without
 * decoding them: units that carry no picture (SEI messages, filler data, AV1 metadata and padding
 * OBUs, reserved types) can hold any bytes a writer chooses, such as x265's settings string or
 * T.35 user data, and are not needed to decode the samples; they are findings and the rewrite
 * leaves them out. So do units a decoder skips by their header or their size: HEVC NAL units of
 * another layer, delimiters with a payload, AV1 redundant frame headers and tile lists. Every other
 * unit is copied byte for byte. Bytes after the last whole unit are findings too. An HEVC item
 * holding more than one coded picture is refused: a decoder shows one of them (libheif the last)
 * and the other is a whole hidden picture no rewrite can tell from the shown one.
 */
import type { Box } from './isobmff-box';

/**
 * HEVC NAL unit types kept (ITU-T H.265 Table 7-1): the defined VCL types 0-9 and 16-21, the
 * parameter sets (VPS 32, SPS 33, PPS 34), access unit delimiter 35, end of sequence 36 and of
 * bitstream 37. Dropped: reserved VCL types, filler data 38, SEI 39/40, reserved and unspecified.
 */
function keepNalType(type: number): boolean {
  return type <= 9 || (type >= 16 && type <= 21) || (type >= 32 && type <= 37);
}

/** H.265 Table 7-1: VCL NAL unit types are 0-31 (the kept ones 0-9 and 16-21). */
const LAST_VCL_TYPE = 31;
const NAL_AUD = 35;
const NAL_EOS = 36;
const NAL_EOB = 37;
/** H.265 7.3.1.2: forbidden_zero_bit(1) nal_unit_type(6) nuh_layer_id(6) nuh_temporal_id_plus1(3). */
const NAL_HEADER = 2;
/** H.265 7.3.2.5 + 7.3.2.11: an AUD payload is pic_type(3), then rbsp_trailing_bits (1 and four 0s). */
const AUD_TRAILING_MASK = 0x1f;
const AUD_TRAILING = 0x10;
/** H.265 7.3.6.1: first_slice_segment_in_pic_flag is the first bit of every slice segment header. */
const FIRST_SLICE_IN_PIC = 0x80;

/**
 * Why a NAL unit with a kept type is still left out, or null to keep it.
 * - nuh_layer_id other than 0 (H.265 7.4.2.2: decoders of this version "shall ignore" such
 *   units; libde265, which libheif uses, discards them), and an `hvc1` item is single-layer
 *   (23008-12 Annex B), so any bytes there survive unseen; nuh_temporal_id_plus1 0 is forbidden.
 * - AUD, end of sequence and end of bitstream have fixed payloads (7.3.2.5, 7.3.2.6, 7.3.2.7:
 *   one byte, nothing, nothing); decoders read none of what follows.
 */
function decoderSkips(data: Uint8Array, at: number, payload: number, type: number): boolean {
  const forbidden = data[at] & 0x80;
  const layer = ((data[at] & 1) << 5) | (data[at + 1] >> 3);
  const temporalPlus1 = data[at + 1] & 7;
  if (forbidden || layer !== 0 || temporalPlus1 === 0) return true;
  if (type === NAL_AUD) return payload !== 1 || (data[at + NAL_HEADER] & AUD_TRAILING_MASK) !== AUD_TRAILING;
  if (type === NAL_EOS || type === NAL_EOB) return payload !== 0;
  return false;
}

/**
 * AV1 OBU types kept (AV1 bitstream spec 6.2.2): sequence header 1, temporal delimiter 2, frame
 * header 3, tile group 4, frame 6. Dropped: metadata 5 (ITU-T T.35 and other payloads), tile list
 * 7 (large-scale tile decoding only; AV1-ISOBMFF 1 does not support it and dav1d stops on it),
 * redundant frame header 8 (a copy decoders skip once the frame header is read, 7.5: any bytes
 * survive there), padding 15 and reserved types.
 */
const KEPT_OBUS: ReadonlySet<number> = new Set([1, 2, 3, 4, 6]);
/** AV1 6.2.2 / 5.6: temporal_delimiter_obu() has no payload (obu_size 0). */
const OBU_TEMPORAL_DELIMITER = 2;
/** hvcC byte 21: lengthSizeMinusOne in its two low bits (14496-15 8.3.3.1.2). */
const HVCC_LENGTH_SIZE_BYTE = 21;
const LEB128_MAX_BYTES = 8;

export interface CodedUnits {
  /** The data the rewrite writes: the input view itself when nothing is dropped. */
  data: Uint8Array;
  problems: string[];
  /** Why no rewrite can keep this item (several coded pictures), or null. */
  refuse: string | null;
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

function finish(data: Uint8Array, keep: Array<[number, number]>, dropped: number, end: number, what: string, skipped = 0): CodedUnits {
  const problems: string[] = [];
  if (dropped > 0) problems.push(`${dropped} ${what} that carry no picture (SEI, metadata, padding, redundant copies or reserved types)`);
  if (skipped > 0) problems.push(`${skipped} ${what} a decoder skips (another layer, a payload after a delimiter, or a redundant copy)`);
  if (end < data.length) problems.push(`${data.length - end} bytes after the last whole ${what.replace(/s$/, '')}`);
  return { data: problems.length === 0 ? data : rebuild(data, keep), problems, refuse: null };
}

/**
 * Bytes of item data split into units so far, in this process (a count only ever added to): the
 * work the walk does on coded items, which tests hold to the file's size.
 */
export const unitWork = { bytes: 0 };

/** HEVC item data: NAL units, each behind a big-endian length of `lengthSize` bytes. */
export function hevcUnits(data: Uint8Array, lengthSize: number): CodedUnits {
  unitWork.bytes += data.length;
  const keep: Array<[number, number]> = [];
  let dropped = 0;
  let skipped = 0;
  let pictures = 0;
  let o = 0;
  while (o + lengthSize <= data.length) {
    let n = 0;
    for (let i = 0; i < lengthSize; i++) n = n * 256 + data[o + i];
    const end = o + lengthSize + n;
    if (n < NAL_HEADER || end > data.length) break;
    const at = o + lengthSize;
    const type = (data[at] >> 1) & 0x3f;
    if (!keepNalType(type)) dropped++;
    else if (decoderSkips(data, at, n - NAL_HEADER, type)) skipped++;
    else {
      keep.push([o, end]);
      if (type <= LAST_VCL_TYPE && n > NAL_HEADER && data[at + NAL_HEADER] & FIRST_SLICE_IN_PIC) pictures++;
    }
    o = end;
  }
  const units = finish(data, keep, dropped, o, 'NAL units', skipped);
  if (pictures > 1) {
    // 23008-12 Annex B: hvc1 item data is one coded image. libheif decodes every picture and
    // shows the last, another reader may show the first: the one not shown is a hidden image.
    units.problems.push(`${pictures} coded pictures in one image item (a decoder shows only one)`);
    units.refuse = `an image item holds ${pictures} coded pictures`;
  }
  return units;
}

/** AV1 item data: OBUs with their size fields (AV1-ISOBMFF 2.4; AV1 5.3). */
export function av1Units(data: Uint8Array): CodedUnits {
  unitWork.bytes += data.length;
  const keep: Array<[number, number]> = [];
  let dropped = 0;
  let skipped = 0;
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
    if (!KEPT_OBUS.has(type)) dropped++;
    else if (type === OBU_TEMPORAL_DELIMITER && size > 0) skipped++;
    else keep.push([o, end]);
    o = end;
  }
  return finish(data, keep, dropped, o, 'OBUs', skipped);
}

/** The NAL length size an hvcC property declares, or null when it is too short to say. */
export function hevcLengthSize(b: Uint8Array, hvcC: Box): number | null {
  const at = hvcC.body + HVCC_LENGTH_SIZE_BYTE;
  return at < hvcC.end ? (b[at] & 3) + 1 : null;
}
