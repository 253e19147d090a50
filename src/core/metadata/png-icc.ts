/**
 * The PNG iCCP chunk (PNG 3rd ed. 11.3.2.3): a profile name (1-79 Latin-1 bytes), a NUL, the
 * compression method (0 = zlib) and the zlib-compressed profile. The clean profile (icc.ts) is
 * written in one canonical form, so verify can demand exactly those bytes and a clean file strips
 * to itself:
 * - name "ICC Profile": the name is for people only (11.3.2.3) and is free text, so one fixed
 *   label replaces whatever a writer put there (Photoshop, ImageMagick and libvips each write their
 *   own);
 * - the profile in zlib stored blocks (RFC 1950, RFC 1951 3.2.4): the bytes then follow from the
 *   profile alone, whatever compressor or version wrote them, and clean profiles are a few KB.
 */
import { unzlibSync } from 'fflate';
import { crc32 } from '../crc32';
import { DeidError } from '../errors';
import { cleanIcc, iccFindings } from './icc';
import type { Finding } from './types';
import { zlibExtent } from './zlib-extent';

export const ICCP_NAME = 'ICC Profile';
const MAX_NAME = 79;
const COMPRESSION_ZLIB = 0;
/** The largest profile inflated: LUT-based print profiles reach a few MB; more is a bomb. */
const MAX_PROFILE = 16 * 1024 * 1024;
const STORED_MAX = 0xffff;

export interface IccpVerdict {
  findings: Finding[];
  /** The whole replacement chunk (length, type, data, CRC), or null to drop the chunk. */
  replacement: Uint8Array | null;
  needsConversion?: string;
  note?: string;
}

function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < data.length; i++) {
    a = (a + data[i]) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** zlib stream of stored blocks: CMF 0x78, FLG 0x01 (check bits, RFC 1950 2.2), blocks, Adler-32. */
export function storedZlib(data: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(data.length / STORED_MAX));
  const out = new Uint8Array(2 + blocks * 5 + data.length + 4);
  out[0] = 0x78;
  out[1] = 0x01;
  let at = 2;
  for (let i = 0; i < blocks; i++) {
    const piece = data.subarray(i * STORED_MAX, Math.min(data.length, (i + 1) * STORED_MAX));
    out[at] = i === blocks - 1 ? 1 : 0; // BFINAL, BTYPE 00
    out[at + 1] = piece.length & 0xff;
    out[at + 2] = piece.length >> 8;
    out[at + 3] = ~piece.length & 0xff;
    out[at + 4] = (~piece.length >> 8) & 0xff;
    out.set(piece, at + 5);
    at += 5 + piece.length;
  }
  const adler = adler32(data);
  out.set([adler >>> 24, (adler >>> 16) & 0xff, (adler >>> 8) & 0xff, adler & 0xff], at);
  return out;
}

/** A whole iCCP chunk holding `profile` in the canonical form. */
export function iccpChunk(profile: Uint8Array): Uint8Array {
  const z = storedZlib(profile);
  const dataLength = ICCP_NAME.length + 2 + z.length;
  const out = new Uint8Array(12 + dataLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, dataLength);
  out.set([0x69, 0x43, 0x43, 0x50], 4); // "iCCP"
  for (let i = 0; i < ICCP_NAME.length; i++) out[8 + i] = ICCP_NAME.charCodeAt(i);
  // NUL separator and compression method 0 are already zero.
  out.set(z, 8 + ICCP_NAME.length + 2);
  view.setUint32(8 + dataLength, crc32(out, 4, 8 + dataLength));
  return out;
}

/** The profile inside an iCCP chunk's data, or a reason it cannot be had. */
function readProfile(data: Uint8Array): Uint8Array | string {
  let nul = -1;
  for (let i = 0; i < Math.min(data.length, MAX_NAME + 1); i++) if (data[i] === 0) { nul = i; break; }
  if (nul < 1) return 'profile name without its NUL separator';
  if (data[nul + 1] !== COMPRESSION_ZLIB) return 'unknown compression method';
  const z = data.subarray(nul + 2);
  try {
    const extent = zlibExtent([z], MAX_PROFILE);
    if (extent.overLimit) return `profile inflates beyond ${MAX_PROFILE} bytes`;
    return unzlibSync(z.subarray(0, extent.end), { out: new Uint8Array(extent.inflated) });
  } catch (e) {
    if (e instanceof DeidError) return 'compressed profile that cannot be inflated';
    throw e;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Judges one iCCP chunk's data. `usable` is false when decoders ignore the chunk anyway (after
 * PLTE/IDAT, or a second iCCP: PNG 5.6 allows one, before both); it is then dropped.
 */
export function judgeIccp(data: Uint8Array, where: string, usable: boolean): IccpVerdict {
  const drop = (detail: string, note?: string): IccpVerdict => ({ findings: [{ kind: 'icc', where, detail }], replacement: null, ...(note ? { note } : {}) });
  if (!usable) return drop('ICC profile chunk out of place or repeated (decoders ignore it)');
  const profile = readProfile(data);
  if (typeof profile === 'string') return drop(`ICC profile chunk with a ${profile}`, 'dropped an ICC profile that cannot be read');
  let clean;
  try {
    clean = cleanIcc(profile);
  } catch (e) {
    if (!(e instanceof DeidError)) throw e;
    return drop('ICC profile that cannot be read (it may hold any text)', 'dropped an ICC profile that cannot be read');
  }
  const findings = iccFindings(profile, where);
  if (clean.kind === 'convert') return { findings, replacement: null, needsConversion: `${where}: ${clean.reason}` };
  const replacement = iccpChunk(clean.bytes);
  if (findings.length === 0 && sameBytes(replacement.subarray(8, replacement.length - 4), data)) return { findings: [], replacement };
  return {
    findings: findings.length > 0 ? findings : [{ kind: 'icc', where, detail: 'clean ICC profile stored under another name or compression' }],
    replacement,
    note: clean.kind === 'canonical'
      ? `replaced the ICC profile with the canonical ${clean.space} profile (same colours, no identity)`
      : 'rebuilt the ICC profile from its colour tags only (same colours, no identity)',
  };
}
