/**
 * Planting metadata in test images: small JPEGs made with sharp, tags written with exiftool,
 * and JPEG segments / TIFF directories written by hand where exiftool refuses.
 */
import { promises as fs, mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { TAG } from '../../src/core/metadata/tiff-ifd';
import { writeExiftool } from './exiftool';
import { joinBytes } from '../../src/core/bytes';

/** A deterministic noisy RGB image (so JPEG coding is not trivial) of the given size. */
export function noiseRgb(width: number, height: number, seed = 1): Buffer {
  const out = Buffer.alloc(width * height * 3);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    // xorshift32: cheap, reproducible.
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out[i] = ((Math.floor(i / 3) % width) * 4 + (state & 0x3f)) & 0xff;
  }
  return out;
}

export interface MakeJpegOptions {
  width?: number;
  height?: number;
  progressive?: boolean;
  seed?: number;
}

/** A small JPEG from sharp (JFIF APP0 + DQT/SOF/DHT/SOS, no other metadata). */
export async function makeJpeg(options: MakeJpegOptions = {}): Promise<Uint8Array> {
  const width = options.width ?? 48;
  const height = options.height ?? 32;
  const out = await sharp(noiseRgb(width, height, options.seed), { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 85, progressive: options.progressive ?? false })
    .toBuffer();
  return new Uint8Array(out);
}

/** A fresh temporary directory (removed by the OS; tests may also remove it). */
export function tempDir(prefix = 'deid-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Writes `bytes` to a temp file, runs exiftool with `args` on it in place (e.g.
 * `['-Comment=x', '-GPSLatitude=1']`) and returns the new bytes.
 */
export async function plantWithExiftool(bytes: Uint8Array, args: readonly string[], ext = '.jpg'): Promise<Uint8Array> {
  const dir = tempDir('deid-plant-');
  const file = path.join(dir, `planted${ext}`);
  try {
    await fs.writeFile(file, bytes);
    writeExiftool(file, args);
    return new Uint8Array(await fs.readFile(file));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** The bytes of one JPEG marker segment: FF marker, 2-byte length, payload. */
export function jpegSegment(marker: number, payload: Uint8Array | string): Uint8Array {
  const body = typeof payload === 'string' ? Uint8Array.from(payload, (c) => c.charCodeAt(0)) : payload;
  const length = body.length + 2;
  if (length > 0xffff) throw new Error(`segment payload too long: ${body.length}`);
  const out = new Uint8Array(4 + body.length);
  out.set([0xff, marker, length >> 8, length & 0xff]);
  out.set(body, 4);
  return out;
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  return joinBytes(parts);
}

/**
 * Inserts segments into a JPEG: right after SOI (`'start'`), or right after the leading APP0
 * JFIF if there is one (`'afterJfif'`, the usual place for APP1..APP15).
 */
export function insertJpegSegments(jpeg: Uint8Array, segments: Uint8Array[], where: 'start' | 'afterJfif' = 'afterJfif'): Uint8Array {
  let at = 2;
  if (where === 'afterJfif' && jpeg[2] === 0xff && jpeg[3] === 0xe0) at = 4 + ((jpeg[4] << 8) | jpeg[5]);
  return concatBytes(jpeg.subarray(0, at), ...segments, jpeg.subarray(at));
}

/** TIFF field types used by the hand writer. */
export const TIFF_TYPE = { BYTE: 1, ASCII: 2, SHORT: 3, LONG: 4, RATIONAL: 5, UNDEFINED: 7, IFD: 13 } as const;

/** One entry for writeTiff: numbers, raw bytes, a string (ASCII, NUL added), or pointers. */
export interface TiffEntrySpec {
  tag: number;
  type: number;
  value: number[] | Uint8Array | string | { ifds: number[] } | { dataOffset: number };
}

export interface TiffIfdSpec {
  entries: TiffEntrySpec[];
  /** Index (in the array given to writeTiff) of the next IFD in the chain. */
  next?: number;
}

const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 13: 4 };

function entryBytes(spec: TiffEntrySpec, little: boolean, ifdOffsets: number[], dataStart: number): Uint8Array {
  const v = spec.value;
  let values: number[];
  if (typeof v === 'string') return Uint8Array.from(v + '\0', (c) => c.charCodeAt(0));
  if (v instanceof Uint8Array) return v;
  if ('ifds' in v) values = v.ifds.map((i) => ifdOffsets[i]);
  else if ('dataOffset' in v) values = [dataStart + v.dataOffset];
  else values = v;
  const size = TYPE_SIZE[spec.type];
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  values.forEach((n, i) => {
    if (size === 2) view.setUint16(i * 2, n, little);
    else if (size === 4) view.setUint32(i * 4, n, little);
    else if (size === 8) {
      view.setUint32(i * 8, n, little);
      view.setUint32(i * 8 + 4, 1, little);
    } else out[i] = n;
  });
  return out;
}

function entryLength(spec: TiffEntrySpec): number {
  const v = spec.value;
  if (typeof v === 'string') return v.length + 1;
  if (v instanceof Uint8Array) return v.length;
  if ('ifds' in v) return v.ifds.length * 4;
  if ('dataOffset' in v) return TYPE_SIZE[spec.type];
  return v.length * TYPE_SIZE[spec.type];
}

/**
 * Writes a TIFF structure by hand: header, then each IFD followed by its out-of-line values,
 * then `data` (pixel strips). Pointer entries name other IFDs by index, so tests can build
 * sub-IFDs, chains and cycles. Entries are written in the order given (sort them for valid TIFF).
 */
export function writeTiff(ifds: TiffIfdSpec[], options: { little?: boolean; data?: Uint8Array } = {}): Uint8Array {
  const little = options.little ?? true;
  const offsets: number[] = [];
  let at = 8;
  for (const ifd of ifds) {
    offsets.push(at);
    at += 2 + ifd.entries.length * 12 + 4;
    for (const e of ifd.entries) {
      const n = entryLength(e);
      if (n > 4) at += n + (n & 1);
    }
  }
  const dataStart = at;
  const out = new Uint8Array(at + (options.data?.length ?? 0));
  const view = new DataView(out.buffer);
  out.set(little ? [0x49, 0x49, 42, 0] : [0x4d, 0x4d, 0, 42]);
  view.setUint32(4, ifds.length > 0 ? offsets[0] : 0, little);
  ifds.forEach((ifd, index) => {
    const base = offsets[index];
    view.setUint16(base, ifd.entries.length, little);
    let overflow = base + 2 + ifd.entries.length * 12 + 4;
    ifd.entries.forEach((e, i) => {
      const entry = base + 2 + i * 12;
      const value = entryBytes(e, little, offsets, dataStart);
      const count = typeof e.value === 'string' || e.value instanceof Uint8Array ? value.length : value.length / TYPE_SIZE[e.type];
      view.setUint16(entry, e.tag, little);
      view.setUint16(entry + 2, e.type, little);
      view.setUint32(entry + 4, count, little);
      if (value.length <= 4) {
        out.set(value, entry + 8);
      } else {
        view.setUint32(entry + 8, overflow, little);
        out.set(value, overflow);
        overflow += value.length + (value.length & 1);
      }
    });
    view.setUint32(base + 2 + ifd.entries.length * 12, ifd.next === undefined ? 0 : offsets[ifd.next], little);
  });
  if (options.data) out.set(options.data, dataStart);
  return out;
}

/**
 * A valid 4x4 8-bit greyscale uncompressed TIFF whose IFD0 also holds `extra` entries
 * (e.g. DocumentName 269, HostComputer 316, ImageSourceData 37724), sorted by tag.
 */
export function writeGreyTiff(extra: TiffEntrySpec[] = [], options: { little?: boolean; pages?: number } = {}): Uint8Array {
  const side = 4;
  const pixels = new Uint8Array(side * side).map((_, i) => i * 16);
  const pageCount = options.pages ?? 1;
  const ifds: TiffIfdSpec[] = [];
  for (let page = 0; page < pageCount; page++) {
    const entries: TiffEntrySpec[] = [
      { tag: 256, type: TIFF_TYPE.SHORT, value: [side] },
      { tag: 257, type: TIFF_TYPE.SHORT, value: [side] },
      { tag: 258, type: TIFF_TYPE.SHORT, value: [8] },
      { tag: 259, type: TIFF_TYPE.SHORT, value: [1] },
      { tag: 262, type: TIFF_TYPE.SHORT, value: [1] },
      { tag: 273, type: TIFF_TYPE.LONG, value: { dataOffset: 0 } },
      { tag: 277, type: TIFF_TYPE.SHORT, value: [1] },
      { tag: 278, type: TIFF_TYPE.SHORT, value: [side] },
      { tag: 279, type: TIFF_TYPE.LONG, value: [pixels.length] },
      ...(page === 0 ? extra : []),
    ].sort((a, b) => a.tag - b.tag);
    ifds.push({ entries, next: page + 1 < pageCount ? page + 1 : undefined });
  }
  return writeTiff(ifds, { little: options.little, data: pixels });
}

/** A grey TIFF whose IFD0 points to an Exif IFD (with MakerNote), a GPS IFD and a SubIFD. */
export function plantPointers(): Uint8Array {
  const base = writeGreyTiff([
    { tag: TAG.xmp, type: TIFF_TYPE.UNDEFINED, value: new Uint8Array(8) },
    { tag: TAG.subIfds, type: TIFF_TYPE.LONG, value: [0] },
    { tag: TAG.iptc, type: TIFF_TYPE.UNDEFINED, value: new Uint8Array(8) },
    { tag: TAG.photoshopIrb, type: TIFF_TYPE.UNDEFINED, value: new Uint8Array(8) },
    { tag: TAG.exifIfd, type: TIFF_TYPE.LONG, value: [0] },
    { tag: TAG.icc, type: TIFF_TYPE.UNDEFINED, value: new Uint8Array(8) },
    { tag: TAG.gpsIfd, type: TIFF_TYPE.LONG, value: [0] },
  ]);
  // Append three tiny IFDs and point the three pointer tags at them.
  const tail = 3 * (2 + 12 + 4);
  const out = new Uint8Array(base.length + tail + (base.length & 1));
  out.set(base);
  const view = new DataView(out.buffer);
  const start = base.length + (base.length & 1);
  const ifds = [start, start + 18, start + 36];
  const tags = [TAG.makerNote, 0x0002, 256];
  ifds.forEach((at, i) => {
    view.setUint16(at, 1, true);
    view.setUint16(at + 2, tags[i], true);
    view.setUint16(at + 4, i === 0 ? TIFF_TYPE.UNDEFINED : TIFF_TYPE.SHORT, true);
    view.setUint32(at + 6, 1, true);
  });
  const count = view.getUint16(8, true);
  const pointerTarget: Record<number, number> = { [TAG.exifIfd]: ifds[0], [TAG.gpsIfd]: ifds[1], [TAG.subIfds]: ifds[2] };
  for (let i = 0; i < count; i++) {
    const entry = 8 + 2 + i * 12;
    const target = pointerTarget[view.getUint16(entry, true)];
    if (target !== undefined) view.setUint32(entry + 8, target, true);
  }
  return out;
}
