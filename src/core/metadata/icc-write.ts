/**
 * Writes a matrix/TRC (or gray TRC) ICC profile from its colorimetric values only, with a header
 * that carries no identity: no CMM, date, platform, flags, device, attributes, creator or profile
 * ID (ICC.1 7.2: all may be zero; a zero profile ID means "not computed", 7.2.18). Deterministic:
 * the same values always give the same bytes, so a rebuilt profile rebuilds to itself.
 */
import type { Curve, Xyz } from './icc-parse';
import { H, HEADER_SIZE } from './icc-parse';

export interface Colorimetry {
  /** 2 or 4: v2 profiles get v2 text types, v4 profiles mluc (ICC.1 9.2.41 / v2 6.5.17). */
  versionMajor: 2 | 4;
  /** The minor/bug-fix byte of the version field (e.g. 0x10 for 2.1.0, 0x30 for 4.3.0). */
  versionMinor: number;
  kind: 'rgb' | 'gray';
  intent: number;
  wtpt: Xyz;
  bkpt: Xyz | null;
  chad: readonly number[] | null;
  /** rgb: [rXYZ, gXYZ, bXYZ]; gray: empty. */
  colorants: readonly Xyz[];
  /** rgb: [rTRC, gTRC, bTRC]; gray: [kTRC]. */
  curves: readonly Curve[];
  description: string;
  copyright: string;
}

/** D50, the PCS illuminant every profile must name (ICC.1 7.2.16), as s15Fixed16. */
export const D50: Xyz = [0xf6d6, 0x10000, 0xd32d];

class Writer {
  private readonly chunks: number[] = [];
  u8(v: number): void { this.chunks.push(v & 0xff); }
  u16(v: number): void { this.u8(v >>> 8); this.u8(v); }
  u32(v: number): void { this.u16((v >>> 16) & 0xffff); this.u16(v & 0xffff); }
  sig(s: string): void { for (let i = 0; i < 4; i++) this.u8(s.charCodeAt(i)); }
  bytes(): Uint8Array { return Uint8Array.from(this.chunks); }
}

function xyzType(v: Xyz): Uint8Array {
  const w = new Writer();
  w.sig('XYZ '); w.u32(0);
  for (const n of v) w.u32(n);
  return w.bytes();
}

function sf32Type(values: readonly number[]): Uint8Array {
  const w = new Writer();
  w.sig('sf32'); w.u32(0);
  for (const n of values) w.u32(n);
  return w.bytes();
}

function curveType(c: Curve): Uint8Array {
  const w = new Writer();
  if (c.type === 'curv') {
    w.sig('curv'); w.u32(0); w.u32(c.table.length);
    for (const v of c.table) w.u16(v);
  } else {
    w.sig('para'); w.u32(0); w.u16(c.fn); w.u16(0);
    for (const v of c.params) w.u32(v);
  }
  return w.bytes();
}

/** v2 textDescriptionType (ICC.1:2001-04 6.5.17): ASCII, then empty Unicode and ScriptCode parts. */
function v2Description(text: string): Uint8Array {
  const w = new Writer();
  w.sig('desc'); w.u32(0); w.u32(text.length + 1);
  for (const ch of text) w.u8(ch.charCodeAt(0));
  w.u8(0);
  w.u32(0); w.u32(0); // Unicode language code, count
  w.u16(0); w.u8(0); // ScriptCode code, count
  for (let i = 0; i < 67; i++) w.u8(0);
  return w.bytes();
}

/** v2 textType (6.5.18). */
function v2Text(text: string): Uint8Array {
  const w = new Writer();
  w.sig('text'); w.u32(0);
  for (const ch of text) w.u8(ch.charCodeAt(0));
  w.u8(0);
  return w.bytes();
}

/** multiLocalizedUnicodeType with one en-US record (ICC.1 10.15). */
function mluc(text: string): Uint8Array {
  const w = new Writer();
  w.sig('mluc'); w.u32(0); w.u32(1); w.u32(12);
  w.u16(0x656e); w.u16(0x5553); // "en", "US"
  w.u32(text.length * 2); w.u32(28);
  for (const ch of text) w.u16(ch.charCodeAt(0));
  return w.bytes();
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The profile bytes. Tags in a fixed order; equal tag data (shared TRCs) stored once, 4-aligned. */
export function writeProfile(c: Colorimetry): Uint8Array {
  const text = c.versionMajor === 4 ? mluc : null;
  const tags: Array<[string, Uint8Array]> = [
    ['desc', text ? text(c.description) : v2Description(c.description)],
    ['cprt', text ? text(c.copyright) : v2Text(c.copyright)],
    ['wtpt', xyzType(c.wtpt)],
  ];
  if (c.bkpt) tags.push(['bkpt', xyzType(c.bkpt)]);
  if (c.chad) tags.push(['chad', sf32Type(c.chad)]);
  if (c.kind === 'rgb') {
    ['rXYZ', 'gXYZ', 'bXYZ'].forEach((sig, i) => tags.push([sig, xyzType(c.colorants[i])]));
    ['rTRC', 'gTRC', 'bTRC'].forEach((sig, i) => tags.push([sig, curveType(c.curves[i])]));
  } else {
    tags.push(['kTRC', curveType(c.curves[0])]);
  }
  const tableEnd = HEADER_SIZE + 4 + 12 * tags.length;
  const placed: Array<{ sig: string; offset: number; size: number }> = [];
  const blobs: Array<{ offset: number; data: Uint8Array }> = [];
  let end = tableEnd;
  for (const [sig, data] of tags) {
    const shared = blobs.find((bl) => sameBytes(bl.data, data));
    if (shared) {
      placed.push({ sig, offset: shared.offset, size: data.length });
      continue;
    }
    end = (end + 3) & ~3;
    blobs.push({ offset: end, data });
    placed.push({ sig, offset: end, size: data.length });
    end += data.length;
  }
  const size = (end + 3) & ~3;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(H.size, size);
  out[H.version] = c.versionMajor;
  out[H.version + 1] = c.versionMinor;
  const setSig = (at: number, s: string) => { for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i); };
  setSig(H.deviceClass, 'mntr');
  setSig(H.colourSpace, c.kind === 'rgb' ? 'RGB ' : 'GRAY');
  setSig(H.pcs, 'XYZ ');
  setSig(H.magic, 'acsp');
  view.setUint32(H.intent, c.intent);
  D50.forEach((v, i) => view.setInt32(H.illuminant + 4 * i, v));
  view.setUint32(HEADER_SIZE, tags.length);
  placed.forEach((p, i) => {
    const at = HEADER_SIZE + 4 + 12 * i;
    setSig(at, p.sig);
    view.setUint32(at + 4, p.offset);
    view.setUint32(at + 8, p.size);
  });
  for (const bl of blobs) out.set(bl.data, bl.offset);
  return out;
}
