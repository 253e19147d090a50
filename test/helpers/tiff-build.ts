/**
 * TIFF fixtures for the whole-file strip: sharp-made files (LZW, deflate, JPEG, tiles, 16-bit,
 * pages, pyramids, BigTIFF), a hand-written BigTIFF writer, and byte patches for hostile files.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { noiseRgb, TIFF_TYPE, writeTiff, type TiffEntrySpec } from './plant';
import { joinBytes } from '../../src/core/bytes';

export const W = 40;
export const H = 30;

/** A noisy RGB picture as a TIFF written by libvips with these options. */
export async function sharpTiff(options: sharp.TiffOptions = {}, size: { width?: number; height?: number; pages?: number; channels?: 3 | 4 | 1 } = {}): Promise<Uint8Array> {
  const width = size.width ?? W;
  const pageHeight = size.height ?? H;
  const pages = size.pages ?? 1;
  const channels = size.channels ?? 3;
  const rgb = noiseRgb(width, pageHeight * pages, 7);
  let raw: Buffer = rgb;
  if (channels !== 3) {
    raw = Buffer.alloc(width * pageHeight * pages * channels);
    for (let i = 0; i < width * pageHeight * pages; i++) for (let c = 0; c < channels; c++) raw[i * channels + c] = rgb[i * 3 + (c % 3)];
  }
  const image = sharp(raw, { raw: { width, height: pageHeight * pages, channels, ...(pages > 1 ? { pageHeight } : {}) } });
  return new Uint8Array(await image.tiff(options).toBuffer());
}

/**
 * Every page (or only the first) decoded by libvips, samples as stored (no colour conversion).
 * `lenient` reads hostile inputs libvips only warns about (e.g. a tag of the wrong type).
 */
export async function decodeAll(bytes: Uint8Array, options: { lenient?: boolean; firstPage?: boolean } = {}): Promise<Buffer> {
  return sharp(bytes, { pages: options.firstPage ? 1 : -1, failOn: options.lenient ? 'none' : 'warning' }).keepIccProfile().raw().toBuffer();
}

const STRUCTURE = (width: number, height: number, dataLength: number): TiffEntrySpec[] => [
  { tag: 256, type: TIFF_TYPE.SHORT, value: [width] },
  { tag: 257, type: TIFF_TYPE.SHORT, value: [height] },
  { tag: 258, type: TIFF_TYPE.SHORT, value: [8] },
  { tag: 259, type: TIFF_TYPE.SHORT, value: [1] },
  { tag: 262, type: TIFF_TYPE.SHORT, value: [1] },
  { tag: 273, type: TIFF_TYPE.LONG, value: { dataOffset: 0 } },
  { tag: 277, type: TIFF_TYPE.SHORT, value: [1] },
  { tag: 278, type: TIFF_TYPE.SHORT, value: [height] },
  { tag: 279, type: TIFF_TYPE.LONG, value: [dataLength] },
];

/** An 8x8 grey TIFF (one strip) with `extra` entries merged in tag order, and `data` as its strip area. */
export function greyTiff(extra: TiffEntrySpec[] = [], options: { data?: Uint8Array; little?: boolean; sort?: boolean; replace?: boolean } = {}): Uint8Array {
  const side = 8;
  const data = options.data ?? new Uint8Array(side * side).map((_, i) => (i * 7) & 0xff);
  let entries = STRUCTURE(side, side, side * side);
  if (options.replace) entries = entries.filter((e) => !extra.some((x) => x.tag === e.tag));
  entries = [...entries, ...extra];
  if (options.sort !== false) entries.sort((a, b) => a.tag - b.tag);
  return writeTiff([{ entries }], { data, little: options.little });
}

/** The absolute offset of the first IFD entry with `tag` in IFD0 of a little-endian classic TIFF. */
export function entryOffset(tiff: Uint8Array, tag: number): number {
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const ifd = view.getUint32(4, true);
  const count = view.getUint16(ifd, true);
  for (let i = 0; i < count; i++) if (view.getUint16(ifd + 2 + i * 12, true) === tag) return ifd + 2 + i * 12;
  throw new Error(`tag ${tag} not in IFD0`);
}

export interface BigEntry {
  tag: number;
  type: number;
  count: number;
  /** Value bytes (little-endian); longer than 8 bytes goes out of line. */
  value: Uint8Array;
}

function le(n: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let v = n;
  for (let i = 0; i < size; i++) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return out;
}

export const short = (tag: number, ...values: number[]): BigEntry => ({ tag, type: TIFF_TYPE.SHORT, count: values.length, value: concat(...values.map((v) => le(v, 2))) });
export const long8 = (tag: number, ...values: number[]): BigEntry => ({ tag, type: 16, count: values.length, value: concat(...values.map((v) => le(v, 8))) });
export const ascii = (tag: number, text: string): BigEntry => ({ tag, type: TIFF_TYPE.ASCII, count: text.length + 1, value: Uint8Array.from(text + '\0', (c) => c.charCodeAt(0)) });

const concat = (...parts: Uint8Array[]): Uint8Array => joinBytes(parts);

/**
 * A little-endian BigTIFF (header 16 bytes, 20-byte entries, 8-byte slots) with one IFD per page.
 * Each page is an 8x8 grey strip; `extra` entries join IFD0. Layout: header, per page the IFD,
 * its out-of-line values, its strip. Entries are sorted by tag.
 */
export function bigTiff(pages: number, extra: BigEntry[] = []): Uint8Array {
  const side = 8;
  const chunks: Uint8Array[] = [le(0x49, 1), le(0x49, 1), le(43, 2), le(8, 2), le(0, 2)];
  let at = 16;
  const firstAt = chunks.length;
  chunks.push(new Uint8Array(8));
  for (let p = 0; p < pages; p++) {
    const pixels = new Uint8Array(side * side).map((_, i) => (i * 5 + p * 40) & 0xff);
    const entries = [
      short(256, side), short(257, side), short(258, 8), short(259, 1), short(262, 1), long8(273, 0),
      short(277, 1), short(278, side), long8(279, pixels.length), ...(p === 0 ? extra : []),
    ].sort((a, b) => a.tag - b.tag);
    const ifdAt = at;
    if (p === 0) chunks[firstAt] = le(ifdAt, 8);
    const ifdSize = 8 + entries.length * 20 + 8;
    let valueAt = ifdAt + ifdSize;
    const out: Uint8Array[] = [];
    const values: Uint8Array[] = [];
    const body: Uint8Array[] = [le(entries.length, 8)];
    entries.forEach((e) => {
      body.push(le(e.tag, 2), le(e.type, 2), le(e.count, 8));
      if (e.value.length <= 8) {
        const slot = new Uint8Array(8);
        slot.set(e.value);
        body.push(slot);
      } else {
        body.push(le(valueAt, 8));
        const padded = new Uint8Array(e.value.length + (e.value.length & 1));
        padded.set(e.value);
        values.push(padded);
        valueAt += padded.length;
      }
    });
    const nextAt = ifdAt + ifdSize + values.reduce((n, v) => n + v.length, 0) + pixels.length;
    body.push(le(p + 1 < pages ? nextAt + (nextAt & 1) : 0, 8));
    // Point StripOffsets (value slot of tag 273) at the strip after the values.
    const stripOffset = valueAt;
    const ifdBytes = concat(...body);
    const index273 = entries.findIndex((e) => e.tag === 273);
    ifdBytes.set(le(stripOffset, 8), 8 + index273 * 20 + 12);
    out.push(ifdBytes, ...values, pixels);
    if (nextAt & 1) out.push(new Uint8Array(1));
    chunks.push(...out);
    at = nextAt + (nextAt & 1);
  }
  return concat(...chunks);
}

/**
 * libtiff's own reader as a second oracle (Debian libtiff-tools, installed by .ci/run):
 * `tiffinfo -D` reads every directory and decodes every strip; what it prints on stderr are its
 * warnings and errors (unknown or repeated tags, wrong types, bad data). '' means none.
 */
export function libtiffComplaints(bytes: Uint8Array): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'deid-tiffinfo-'));
  try {
    const file = path.join(dir, 'x.tif');
    writeFileSync(file, bytes);
    const r = spawnSync('tiffinfo', ['-D', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
    if (r.error) throw r.error;
    return `${r.status === 0 ? '' : `exit ${r.status} `}${r.stderr}`.trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
