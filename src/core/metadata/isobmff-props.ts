/**
 * Item properties (ISO/IEC 23008-12 6.5, `ipco` children): which ones a stripped picture keeps,
 * each parsed to its defined end and written back canonically (reserved bits as the spec fixes
 * them, nothing after the last field). A property whose bytes are not already canonical is a
 * finding: its extra bytes or bits are somewhere a writer could hide a value.
 */
import { joinBytes } from '../bytes';
import { DeidError, isDeidError } from '../errors';
import { ascii, equalBytes, makeBox, makeFullBox, Reader, typeLabel, uintBytes, type Box } from './isobmff-box';
import { cleanIcc, iccFindings, type IccClean } from './icc';
import type { FindingKind } from './types';

export interface PropertyProblem {
  kind: FindingKind;
  detail: string;
}

export interface PropertyVerdict {
  type: string;
  /** The bytes a kept item gets; null when the property is never kept (dropped or unknown). */
  canonical: Uint8Array | null;
  /** Why the input bytes differ from `canonical` (or why the property is not kept at all). */
  problems: PropertyProblem[];
  /** auxC only: the auxiliary type URN (23008-12 6.5.8); free text, never reported. */
  auxType?: string;
  /** colr ICC only: the profile needs a pixel conversion (icc.ts), so no lossless rewrite keeps it. */
  convert?: string;
  /** colr ICC only: the profile is replaced by its clean copy (canonical space or rebuilt). */
  iccReplaced?: boolean;
}

/** colr colour types (14496-12 12.1.5): nclx is numbers; prof/rICC embed an ICC profile. */
const COLOUR_ICC: ReadonlySet<string> = new Set(['prof', 'rICC']);

/** Alpha planes are part of the picture (23008-12 6.5.8, MIAF 7.3.5.1, AVIF 4). */
export const ALPHA_AUX_TYPES: ReadonlySet<string> = new Set([
  'urn:mpeg:hevc:2015:auxid:1', 'urn:mpeg:avc:2015:auxid:1', 'urn:mpeg:mpegB:cicp:systems:auxiliary:alpha',
]);

/** HEVC NAL unit types a decoder needs from hvcC (ITU-T H.265 Table 7-1): VPS, SPS, PPS. */
const HVCC_PARAMETER_SETS: ReadonlySet<number> = new Set([32, 33, 34]);
/** hvcC (14496-15 8.3.3.1.2): bytes before numOfArrays, and the reserved '1' bits they hold. */
const HVCC_FIXED = 22;
const HVCC_RESERVED_ONES: ReadonlyArray<readonly [number, number]> = [[13, 0xf0], [15, 0xfc], [16, 0xfc], [17, 0xf8], [18, 0xf8]];
/** av1C (AV1-ISOBMFF 2.3.3): marker 1 + version 1, then three bytes of sequence parameters. */
const AV1C_MARKER_VERSION = 0x81;
const AV1C_FIXED = 4;
const AV1C_DELAY_PRESENT = 0x10;

type Parser = (r: Reader, out: PropertyProblem[]) => Uint8Array[];

function fullBoxV0(r: Reader, type: string, out: PropertyProblem[]): void {
  const { version, flags } = r.versionFlags();
  if (version !== 0) throw new DeidError('unsupported', `HEIF: ${type} version ${version}`);
  if (flags !== 0) out.push({ kind: 'unknown-segment', detail: `${type} flags set (the spec defines none)` });
}

/** Fixed-size properties: their fields are all numbers the decoder or renderer uses. */
function fixed(size: number, mask?: number): Parser {
  return (r, out) => {
    const fields = r.bytes(size).slice();
    if (mask !== undefined && (fields[0] & ~mask) !== 0) {
      out.push({ kind: 'unknown-segment', detail: 'reserved bits set' });
      fields[0] &= mask;
    }
    return [fields];
  };
}

const PARSERS: Readonly<Record<string, { full: boolean; parse: Parser }>> = {
  // 23008-12 6.5.3: image spatial extents, width and height.
  ispe: { full: true, parse: fixed(8) },
  // 23008-12 6.5.6: number of channels, then bits per channel.
  pixi: {
    full: true,
    parse: (r) => {
      const n = r.u8();
      return [Uint8Array.of(n), r.bytes(n)];
    },
  },
  // 23008-12 6.5.10: reserved(6) = 0, angle(2).
  irot: { full: false, parse: fixed(1, 0x03) },
  // 23008-12 6.5.12: reserved(7) = 0, axis(1).
  imir: { full: false, parse: fixed(1, 0x01) },
  // 14496-12 12.1.4: clean aperture, eight 32-bit numbers.
  clap: { full: false, parse: fixed(32) },
  // 14496-12 12.1.4: pixel aspect ratio, two 32-bit numbers.
  pasp: { full: false, parse: fixed(8) },
  // AVIF 1.1 section 2.3.2.1 (a1op: operating point), 2.3.2.2 (a1lx: layer sizes).
  a1op: { full: false, parse: fixed(1) },
  a1lx: {
    full: false,
    parse: (r) => {
      const large = r.u8() & 1;
      return [Uint8Array.of(large), r.bytes(3 * (large ? 4 : 2))];
    },
  },
  // 23008-12 6.5.11: layer selector.
  lsel: { full: false, parse: fixed(2) },
  // 23008-12 6.5.20/6.5.21 (after 14496-12 12.1.6): content light level, mastering display.
  clli: { full: false, parse: fixed(4) },
  mdcv: { full: false, parse: fixed(24) },
  hvcC: { full: false, parse: parseHvcc },
  av1C: { full: false, parse: parseAv1c },
};

function parseHvcc(r: Reader, out: PropertyProblem[]): Uint8Array[] {
  const head = r.bytes(HVCC_FIXED).slice();
  if (head[0] !== 1) throw new DeidError('unsupported', `HEIF: hvcC configuration version ${head[0]}`);
  let reserved = false;
  for (const [at, ones] of HVCC_RESERVED_ONES) {
    if ((head[at] & ones) !== ones) reserved = true;
    head[at] |= ones;
  }
  if (reserved) out.push({ kind: 'unknown-segment', detail: 'hvcC reserved bits not as the spec fixes them' });
  const arrays = r.u8();
  const kept: Uint8Array[] = [];
  let dropped = 0;
  for (let i = 0; i < arrays; i++) {
    const typeByte = r.u8();
    const count = r.u16();
    const units: Uint8Array[] = [];
    for (let n = 0; n < count; n++) {
      const length = r.u16();
      units.push(uintBytes(length, 2), r.bytes(length));
    }
    if (HVCC_PARAMETER_SETS.has(typeByte & 0x3f)) {
      if (typeByte & 0x40) out.push({ kind: 'unknown-segment', detail: 'hvcC reserved bits not as the spec fixes them' });
      kept.push(joinBytes([Uint8Array.of(typeByte & 0xbf), uintBytes(count, 2), ...units]));
    } else {
      dropped++;
    }
  }
  if (dropped > 0) out.push({ kind: 'unknown-segment', detail: `${dropped} hvcC NAL unit array(s) other than VPS/SPS/PPS (SEI may carry user data)` });
  return [head, Uint8Array.of(kept.length), ...kept];
}

function parseAv1c(r: Reader, out: PropertyProblem[]): Uint8Array[] {
  const head = r.bytes(AV1C_FIXED).slice();
  if (head[0] !== AV1C_MARKER_VERSION) throw new DeidError('unsupported', 'HEIF: av1C marker/version is not 1/1');
  // Byte 3: reserved(3) = 0, initial_presentation_delay_present(1), then 4 bits that are
  // reserved (0) when the delay is not present.
  const mask = head[3] & AV1C_DELAY_PRESENT ? 0x1f : 0x00;
  if ((head[3] & ~mask) !== 0) out.push({ kind: 'unknown-segment', detail: 'av1C reserved bits set' });
  head[3] &= mask;
  if (r.left() > 0) {
    // configOBUs repeat the sequence header the coded item already carries (AV1-ISOBMFF 2.3.4)
    // and may hold metadata OBUs: not needed to decode, not kept.
    out.push({ kind: 'unknown-segment', detail: `${r.left()} bytes of configOBUs in av1C (copies of the sequence header; may carry metadata OBUs)` });
    r.skip(r.left());
  }
  return [head];
}

function colrVerdict(b: Uint8Array, box: Box): PropertyVerdict {
  const r = new Reader(b, box.body, box.end, 'colr');
  const colourType = r.fourcc();
  if (COLOUR_ICC.has(colourType)) return iccVerdict(b.subarray(r.pos, box.end), colourType);
  if (colourType !== 'nclx') {
    return { type: 'colr', canonical: null, problems: [{ kind: 'unknown-segment', detail: `colour information of type ${typeLabel(colourType)}` }] };
  }
  // 14496-12 12.1.5.2: primaries, transfer, matrix (16 bits each), full_range(1), reserved(7) = 0.
  const numbers = r.bytes(7).slice();
  const problems: PropertyProblem[] = [];
  if (numbers[6] & 0x7f) problems.push({ kind: 'unknown-segment', detail: 'colr nclx reserved bits set' });
  numbers[6] &= 0x80;
  if (r.left() > 0) problems.push({ kind: 'unknown-segment', detail: `${r.left()} bytes after the colr nclx fields` });
  return { type: 'colr', canonical: makeBox('colr', [ascii('nclx'), numbers]), problems };
}

/**
 * 14496-12 12.1.5: a colr prof/rICC holds an ICC profile. It goes through the shared clean-profile
 * rules (icc.ts): a known space becomes its canonical copy, another matrix profile is rebuilt
 * without identity; a LUT/CMYK profile cannot be kept without converting pixels.
 */
function iccVerdict(profile: Uint8Array, colourType: string): PropertyVerdict {
  const problems: PropertyProblem[] = iccFindings(profile, 'colr').map((f) => ({ kind: f.kind, detail: f.detail }));
  let clean: IccClean;
  try {
    clean = cleanIcc(profile);
  } catch (e) {
    if (!isDeidError(e)) throw e;
    return { type: 'colr', canonical: null, problems };
  }
  if (clean.kind === 'convert') return { type: 'colr', canonical: null, problems, convert: clean.reason };
  return { type: 'colr', canonical: makeBox('colr', [ascii(colourType), clean.bytes]), problems, iccReplaced: problems.length > 0 };
}

function auxcVerdict(b: Uint8Array, box: Box): PropertyVerdict {
  const r = new Reader(b, box.body, box.end, 'auxC');
  const problems: PropertyProblem[] = [];
  fullBoxV0(r, 'auxC', problems);
  const urn = r.cstring();
  if (!urn.terminated) problems.push({ kind: 'unknown-segment', detail: 'auxC type not NUL-terminated' });
  if (r.left() > 0) problems.push({ kind: 'unknown-segment', detail: `${r.left()} bytes of auxiliary subtype data after the auxC type` });
  return { type: 'auxC', canonical: makeFullBox('auxC', 0, 0, [ascii(urn.text), Uint8Array.of(0)]), problems, auxType: urn.text };
}

/**
 * The verdict on one ipco child. Properties off the allowlist (e.g. `udes` user description,
 * creation/modification times) are never kept. A property on the allowlist that cannot be
 * parsed is never kept either; an item that needs it makes the strip refuse.
 */
export function propertyVerdict(b: Uint8Array, box: Box): PropertyVerdict {
  const type = box.type;
  try {
    if (type === 'colr') return finish(b, box, colrVerdict(b, box));
    if (type === 'auxC') return finish(b, box, auxcVerdict(b, box));
    const spec = PARSERS[type];
    if (!spec) {
      const detail = type === 'uuid' ? 'vendor uuid item property' : `item property ${typeLabel(type)} not on the allowlist`;
      return { type, canonical: null, problems: [{ kind: 'unknown-segment', detail }] };
    }
    const r = new Reader(b, box.body, box.end, type);
    const problems: PropertyProblem[] = [];
    if (spec.full) fullBoxV0(r, type, problems);
    const fields = spec.parse(r, problems);
    if (r.left() > 0) problems.push({ kind: 'unknown-segment', detail: `${r.left()} bytes after the ${type} fields` });
    const canonical = spec.full ? makeFullBox(type, 0, 0, fields) : makeBox(type, fields);
    return finish(b, box, { type, canonical, problems });
  } catch (e) {
    if (!isDeidError(e)) throw e;
    return { type, canonical: null, problems: [{ kind: 'unknown-segment', detail: `item property ${typeLabel(type)} that does not parse (${e.code})` }] };
  }
}

/** A canonical form that differs from the input for a reason not named above is still a finding. */
function finish(b: Uint8Array, box: Box, v: PropertyVerdict): PropertyVerdict {
  if (v.canonical && v.problems.length === 0 && !equalBytes(v.canonical, b.subarray(box.offset, box.end))) {
    v.problems.push({ kind: 'unknown-segment', detail: `${typeLabel(v.type)} not in its canonical form (header size or flags)` });
  }
  return v;
}
