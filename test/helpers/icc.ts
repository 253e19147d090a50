/**
 * ICC profiles built byte by byte (ICC.1:2010 7.2 header, 7.3 tag table), independent of src:
 * planted identity (a monitor serial in `meta`, a description naming a camera and a date), LUT and
 * CMYK profiles, and the colorimetric tags of well-known spaces.
 */
import { latin1 } from './chunks';
import { concatBytes } from './plant';

export interface IccHeader {
  cmm?: string;
  version?: number; // e.g. 0x02100000
  deviceClass?: string;
  colourSpace?: string;
  pcs?: string;
  date?: [number, number, number, number, number, number];
  platform?: string;
  manufacturer?: string;
  model?: string;
  creator?: string;
  profileId?: Uint8Array;
}

function be32(n: number): Uint8Array {
  return new Uint8Array([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

export function xyzTag(x: number, y: number, z: number): Uint8Array {
  return concatBytes(latin1('XYZ '), be32(0), be32(Math.round(x * 65536)), be32(Math.round(y * 65536)), be32(Math.round(z * 65536)));
}

/** curv with a u8Fixed8 gamma (one entry) or a table. */
export function curvTag(entries: number[]): Uint8Array {
  const body = new Uint8Array(entries.length * 2);
  entries.forEach((v, i) => { body[2 * i] = v >> 8; body[2 * i + 1] = v & 0xff; });
  return concatBytes(latin1('curv'), be32(0), be32(entries.length), body);
}

export function textTag(text: string): Uint8Array {
  return concatBytes(latin1('text'), be32(0), latin1(text + '\0'));
}

/** v2 textDescriptionType with an ASCII part only. */
export function descTag(text: string): Uint8Array {
  return concatBytes(latin1('desc'), be32(0), be32(text.length + 1), latin1(text + '\0'), new Uint8Array(4 + 4 + 2 + 1 + 67));
}

/** A profile from a header and tags, each tag 4-aligned (ICC.1 7.3.1). */
export function buildIcc(header: IccHeader, tags: Array<[string, Uint8Array]>): Uint8Array {
  const tableEnd = 128 + 4 + 12 * tags.length;
  const entries: Uint8Array[] = [];
  const datas: Uint8Array[] = [];
  let at = tableEnd;
  for (const [sig, data] of tags) {
    const pad = (4 - (at % 4)) % 4;
    if (pad) { datas.push(new Uint8Array(pad)); at += pad; }
    entries.push(concatBytes(latin1(sig), be32(at), be32(data.length)));
    datas.push(data);
    at += data.length;
  }
  const size = at;
  const h = new Uint8Array(128);
  const put = (o: number, s: string | undefined) => { if (s) h.set(latin1(s.padEnd(4, ' ').slice(0, 4)), o); };
  h.set(be32(size), 0);
  put(4, header.cmm);
  h.set(be32(header.version ?? 0x02100000), 8);
  put(12, header.deviceClass ?? 'mntr');
  put(16, header.colourSpace ?? 'RGB ');
  put(20, header.pcs ?? 'XYZ ');
  if (header.date) header.date.forEach((v, i) => { h[24 + 2 * i] = v >> 8; h[25 + 2 * i] = v & 0xff; });
  put(36, 'acsp');
  put(40, header.platform);
  put(48, header.manufacturer);
  put(52, header.model);
  h.set(be32(0xf6d6), 68); h.set(be32(0x10000), 72); h.set(be32(0xd32d), 76);
  put(80, header.creator);
  if (header.profileId) h.set(header.profileId, 84);
  return concatBytes(h, be32(tags.length), ...entries, ...datas);
}

/** sRGB's 1024-entry IEC 61966-2.1 curve as the common v2 profile stores it. */
export function srgbCurveTable(): number[] {
  return Array.from({ length: 1024 }, (_, i) => {
    const x = i / 1023;
    return Math.round((x <= 0.04045 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4)) * 65535);
  });
}

/** The colorimetric tags of a plain v2 matrix profile with the given colorants and gamma. */
export function matrixTags(colorants: number[][], trc: Uint8Array): Array<[string, Uint8Array]> {
  return [
    ['wtpt', xyzTag(0.9642, 1, 0.8249)],
    ['rXYZ', xyzTag(colorants[0][0], colorants[0][1], colorants[0][2])],
    ['gXYZ', xyzTag(colorants[1][0], colorants[1][1], colorants[1][2])],
    ['bXYZ', xyzTag(colorants[2][0], colorants[2][1], colorants[2][2])],
    ['rTRC', trc], ['gTRC', trc], ['bTRC', trc],
  ];
}

/** A wide-ish custom display: colorants no well-known space has. */
export const MONITOR_COLORANTS = [[0.47, 0.24, 0.01], [0.35, 0.70, 0.08], [0.145, 0.06, 0.73]];

/**
 * A calibrated monitor profile as calibration software writes it: a date, maker and model in the
 * header, a description naming the display, and the EDID serial in a `meta` dictionary.
 */
export function plantedMonitorProfile(serial: string): Uint8Array {
  // dict type (ICC.1 10.4): count, record size 16, one name/value pair of UTF-16BE strings.
  const name = utf16('EDID_serial');
  const value = utf16(serial);
  const dict = concatBytes(latin1('dict'), be32(0), be32(1), be32(16), be32(32), be32(name.length), be32(32 + name.length), be32(value.length), name, value);
  return buildIcc(
    { cmm: 'lcms', manufacturer: 'DELL', model: 'U27Q', creator: 'argl', date: [2024, 3, 14, 9, 26, 53], platform: 'APPL' },
    [['desc', descTag(`Ward 7 display ${serial}`)], ['cprt', textTag('Public domain')], ...matrixTags(MONITOR_COLORANTS, curvTag([0x0233])), ['meta', dict]],
  );
}

/** sRGB colorimetry with a description that names a camera and a date. */
export function plantedCameraProfile(description: string): Uint8Array {
  const tags = matrixTags([[0.43607, 0.22249, 0.01392], [0.38515, 0.71687, 0.09708], [0.14307, 0.06061, 0.7141]], curvTag(srgbCurveTable()));
  tags[0] = ['wtpt', xyzTag(0.95045, 1, 1.08905)];
  return buildIcc(
    { manufacturer: 'NIKO', creator: 'NIKO', date: [2023, 11, 2, 10, 0, 0] },
    [['desc', descTag(description)], ['cprt', textTag('Copyright Nikon')], ...tags],
  );
}

function utf16(s: string): Uint8Array {
  const out = new Uint8Array(s.length * 2);
  for (let i = 0; i < s.length; i++) { out[2 * i] = s.charCodeAt(i) >> 8; out[2 * i + 1] = s.charCodeAt(i) & 0xff; }
  return out;
}

/** A LUT profile: RGB with an A2B0 tag (contents irrelevant to the classification). */
export function lutProfile(): Uint8Array {
  return buildIcc({}, [['desc', descTag('LUT')], ...matrixTags(MONITOR_COLORANTS, curvTag([0x0233])), ['A2B0', concatBytes(latin1('mft2'), new Uint8Array(60))]]);
}

export function cmykProfile(): Uint8Array {
  return buildIcc({ deviceClass: 'prtr', colourSpace: 'CMYK', pcs: 'Lab ' }, [['desc', descTag('Press')], ['A2B0', concatBytes(latin1('mft2'), new Uint8Array(60))]]);
}

export function bytesInclude(hay: Uint8Array, needle: string): boolean {
  return Buffer.from(hay).includes(Buffer.from(needle, 'latin1')) || Buffer.from(hay).includes(Buffer.from(utf16(needle)));
}
