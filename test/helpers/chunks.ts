/**
 * Byte-level builders for the chunked containers (PNG, WebP/RIFF, ISO-BMFF): tests plant what
 * exiftool and sharp will not write (private chunks, trailers, C2PA boxes, crafted item graphs).
 */
import { crc32 } from '../../src/core/crc32';
import { concatBytes } from './plant';

export function latin1(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
}

/** Big-endian 32-bit (PNG lengths and IHDR fields, ISO-BMFF sizes). */
export function be32(n: number): Uint8Array {
  return new Uint8Array([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

function le32(n: number): Uint8Array {
  return new Uint8Array([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff]);
}

/**
 * A big-endian unsigned integer of `size` bytes (up to 8; values past 2^32 too). Written here,
 * not imported from src/core (isobmff-box.ts uintBytes): the files tests build must not share a
 * writer with the code they test.
 */
export function be(value: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let v = value;
  for (let i = size - 1; i >= 0; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return out;
}

export function be16(n: number): Uint8Array {
  return new Uint8Array([(n >>> 8) & 0xff, n & 0xff]);
}

// ---------------------------------------------------------------------------------------------
// PNG

/** One PNG chunk: length, type, data, CRC over type+data (PNG 3rd ed. 5.3). `badCrc` flips it. */
export function pngChunk(type: string, data: Uint8Array | string, options: { badCrc?: boolean } = {}): Uint8Array {
  const body = typeof data === 'string' ? latin1(data) : data;
  const typed = concatBytes(latin1(type), body);
  const crc = crc32(typed) ^ (options.badCrc ? 1 : 0);
  return concatBytes(be32(body.length), typed, be32(crc >>> 0));
}

export interface PngChunkView {
  type: string;
  offset: number;
  end: number;
}

/** The chunks of a well-formed PNG (test-side reader, independent of src). */
export function pngChunks(png: Uint8Array): PngChunkView[] {
  const out: PngChunkView[] = [];
  let pos = 8;
  while (pos + 12 <= png.length) {
    const length = ((png[pos] << 24) | (png[pos + 1] << 16) | (png[pos + 2] << 8) | png[pos + 3]) >>> 0;
    const type = String.fromCharCode(...png.subarray(pos + 4, pos + 8));
    out.push({ type, offset: pos, end: pos + 12 + length });
    pos += 12 + length;
    if (type === 'IEND') break;
  }
  return out;
}

/** Inserts chunks after IHDR (`'afterIhdr'`) or just before IEND (`'beforeIend'`). */
export function insertPngChunks(png: Uint8Array, chunks: Uint8Array[], where: 'afterIhdr' | 'beforeIend' = 'afterIhdr'): Uint8Array {
  const list = pngChunks(png);
  const anchor = where === 'afterIhdr' ? list[0].end : list[list.length - 1].offset;
  return concatBytes(png.subarray(0, anchor), ...chunks, png.subarray(anchor));
}

// ---------------------------------------------------------------------------------------------
// WebP (RIFF)

/** One RIFF chunk: FourCC, LE size, data, and a pad byte when the size is odd (RFC 9649 2.3). */
export function riffChunk(fourcc: string, data: Uint8Array | string, padByte = 0): Uint8Array {
  const body = typeof data === 'string' ? latin1(data) : data;
  const pad = body.length & 1 ? new Uint8Array([padByte]) : new Uint8Array(0);
  return concatBytes(latin1(fourcc.padEnd(4, ' ')), le32(body.length), body, pad);
}

export interface RiffChunkView {
  id: string;
  offset: number;
  dataStart: number;
  dataEnd: number;
  end: number;
}

/** The chunks of a well-formed WebP (test-side reader). */
export function webpChunks(webp: Uint8Array): RiffChunkView[] {
  const riffEnd = 8 + (webp[4] | (webp[5] << 8) | (webp[6] << 16) | (webp[7] << 24));
  const out: RiffChunkView[] = [];
  let pos = 12;
  while (pos + 8 <= riffEnd) {
    const size = (webp[pos + 4] | (webp[pos + 5] << 8) | (webp[pos + 6] << 16) | (webp[pos + 7] << 24)) >>> 0;
    const id = String.fromCharCode(...webp.subarray(pos, pos + 4));
    const end = pos + 8 + size + (size & 1);
    out.push({ id, offset: pos, dataStart: pos + 8, dataEnd: pos + 8 + size, end });
    pos = end;
  }
  return out;
}

/** "RIFF" size "WEBP" around the given chunks, with the RIFF size computed. */
export function webpFile(chunks: Uint8Array[]): Uint8Array {
  const body = concatBytes(latin1('WEBP'), ...chunks);
  return concatBytes(latin1('RIFF'), le32(body.length), body);
}

/** The chunks of `webp` with `extra` inserted after the first chunk (or at `index`). */
export function insertWebpChunks(webp: Uint8Array, extra: Uint8Array[], index = 1): Uint8Array {
  const chunks = webpChunks(webp).map((c) => webp.subarray(c.offset, c.end));
  return webpFile([...chunks.slice(0, index), ...extra, ...chunks.slice(index)]);
}

/** A VP8X chunk: flags byte, reserved, canvas size minus one (24-bit LE each). */
export function vp8xChunk(flags: number, width: number, height: number): Uint8Array {
  const data = new Uint8Array(10);
  data[0] = flags;
  data.set(le32(width - 1).subarray(0, 3), 4);
  data.set(le32(height - 1).subarray(0, 3), 7);
  return riffChunk('VP8X', data);
}

// ---------------------------------------------------------------------------------------------
// ISO-BMFF

export function box(type: string, ...body: Uint8Array[]): Uint8Array {
  const content = concatBytes(...body);
  return concatBytes(be32(8 + content.length), latin1(type), content);
}

export function fullBox(type: string, version: number, flags: number, ...body: Uint8Array[]): Uint8Array {
  return box(type, new Uint8Array([version, (flags >>> 16) & 0xff, (flags >>> 8) & 0xff, flags & 0xff]), ...body);
}

/** A box with a 64-bit largesize header (size field 1). */
export function largeBox(type: string, ...body: Uint8Array[]): Uint8Array {
  const content = concatBytes(...body);
  return concatBytes(be32(1), latin1(type), be32(0), be32(16 + content.length), content);
}

export function uuidBox(uuidHex: string, body: Uint8Array): Uint8Array {
  const uuid = Uint8Array.from(uuidHex.match(/../g) ?? [], (h) => parseInt(h, 16));
  return box('uuid', uuid, body);
}

export function ftyp(major: string, compatible: string[]): Uint8Array {
  return box('ftyp', latin1(major), be32(0), ...compatible.map(latin1));
}

export interface HeifItemSpec {
  id: number;
  type: string;
  contentType?: string;
  /** Stored in mdat (construction method 0) or, with `inIdat`, in meta/idat (method 1). */
  data: Uint8Array;
  inIdat?: boolean;
  /** 1-based ipco property indices. */
  props?: number[];
  /** infe flags (1: hidden, e.g. a grid tile). */
  flags?: number;
}

export interface HeifSpec {
  brand?: string;
  compatible?: string[];
  items: HeifItemSpec[];
  refs?: Array<{ type: string; from: number; to: number[] }>;
  /** ipco children, in order (index 1 is the first). */
  props?: Uint8Array[];
  /** Extra boxes inside meta, after the standard ones. */
  metaExtra?: Uint8Array[];
  /** Extra top-level boxes after mdat. */
  tail?: Uint8Array[];
}

function infe(item: HeifItemSpec): Uint8Array {
  const parts = [be16(item.id), be16(0), latin1(item.type), latin1('\0')];
  if (item.type === 'mime') parts.push(latin1(`${item.contentType ?? ''}\0`));
  return fullBox('infe', 2, item.flags ?? 0, ...parts);
}

/**
 * A HEIF/AVIF file from an item graph: ftyp, meta (hdlr pict, pitm, iinf v0, iref v0, iprp, iloc
 * v1 with 4-byte offsets/lengths, idat when an item asks for it), mdat, then `tail`. Item data are
 * not real codec payloads: this is for the structural walk (and exiftool), not for decoders.
 */
export function buildHeif(spec: HeifSpec): Uint8Array {
  const head = ftyp(spec.brand ?? 'heic', spec.compatible ?? ['mif1', 'heic']);
  const hdlr = fullBox('hdlr', 0, 0, be32(0), latin1('pict'), new Uint8Array(12), latin1('\0'));
  const pitm = fullBox('pitm', 0, 0, be16(spec.items[0]?.id ?? 1));
  const iinf = fullBox('iinf', 0, 0, be16(spec.items.length), ...spec.items.map(infe));
  const iref = spec.refs?.length
    ? [fullBox('iref', 0, 0, ...spec.refs.map((r) => box(r.type, be16(r.from), be16(r.to.length), ...r.to.map(be16))))]
    : [];
  const ipco = box('ipco', ...(spec.props ?? []));
  const withProps = spec.items.filter((i) => i.props?.length);
  const ipma = fullBox('ipma', 0, 0, be32(withProps.length), ...withProps.map((i) => concatBytes(be16(i.id), new Uint8Array([(i.props ?? []).length]), new Uint8Array(i.props ?? []))));
  const iprp = box('iprp', ipco, ipma);
  const inIdat = spec.items.filter((i) => i.inIdat);
  const idat = inIdat.length ? [box('idat', ...inIdat.map((i) => i.data))] : [];
  // iloc v1: offset_size 4, length_size 4, base_offset_size 0, index_size 0; per item: id,
  // construction method, data reference 0, one extent.
  const ilocFor = (offsets: number[]) =>
    fullBox('iloc', 1, 0, new Uint8Array([0x44, 0x00]), be16(spec.items.length),
      ...spec.items.map((item, i) => concatBytes(be16(item.id), be16(item.inIdat ? 1 : 0), be16(0), be16(1), be32(offsets[i]), be32(item.data.length))));
  const metaFor = (offsets: number[]) => fullBox('meta', 0, 0, hdlr, pitm, iinf, ...iref, iprp, ilocFor(offsets), ...idat, ...(spec.metaExtra ?? []));
  const mdatStart = head.length + metaFor(spec.items.map(() => 0)).length + 8;
  const offsets: number[] = [];
  let inMdat = mdatStart;
  let inIdatAt = 0;
  for (const item of spec.items) {
    if (item.inIdat) {
      offsets.push(inIdatAt);
      inIdatAt += item.data.length;
    } else {
      offsets.push(inMdat);
      inMdat += item.data.length;
    }
  }
  const mdat = box('mdat', ...spec.items.filter((i) => !i.inIdat).map((i) => i.data));
  return concatBytes(head, metaFor(offsets), mdat, ...(spec.tail ?? []));
}

/** An `auxC` property naming the auxiliary type (ISO/IEC 23008-12 6.5.8). */
export function auxC(urn: string): Uint8Array {
  return fullBox('auxC', 0, 0, latin1(`${urn}\0`));
}

/** A `colr` property: `nclx` (numbers only) or `prof` with the given ICC bytes. */
export function colr(kind: 'nclx' | 'prof', icc: Uint8Array = new Uint8Array(0)): Uint8Array {
  return kind === 'nclx' ? box('colr', latin1('nclx'), new Uint8Array([0, 1, 0, 13, 0, 6, 0x80])) : box('colr', latin1('prof'), icc);
}

/** An Exif item payload: 4-byte offset to the TIFF header (0), then the TIFF block. */
export function exifItem(tiff: Uint8Array): Uint8Array {
  return concatBytes(be32(0), tiff);
}
