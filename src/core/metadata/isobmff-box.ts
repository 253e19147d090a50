/**
 * ISO/IEC 14496-12 section 4.2 boxes: reading a box header, tiling a range into child boxes, a
 * bounds-checked field reader, and the writer the ISO-BMFF rewrite uses. Every read is checked
 * against the end of the box it belongs to, so a lying size field is a typed error, never a
 * read past the buffer.
 */
import { fourcc, joinBytes, u16be, u32be } from '../bytes';
import { DeidError } from '../errors';

export const BOX_HEADER = 8;
const LARGE_BOX_HEADER = 16;
export const UUID_SIZE = 16;
/** A FullBox (14496-12 4.2) starts its body with version(1) and flags(3). */
export const FULL_BOX_HEADER = 4;
/** Strings (item names, content types, aux types) are labels; longer ones are cut for reports. */
const MAX_LABEL = 128;
const TWO_32 = 0x100000000;

export interface Box {
  type: string;
  offset: number;
  /** First byte after the header (and after the uuid user type). */
  body: number;
  end: number;
}

/**
 * Box, item, property, reference and brand codes registered in 14496-12, 23008-12, MIAF, AVIF
 * and the MP4RA lists: a report may name these. Any other code is four bytes the writer chose
 * (four letters of a name, say), so it is described, never repeated.
 */
const REGISTERED_CODES: ReadonlySet<string> = new Set([
  'ftyp', 'meta', 'moov', 'mdat', 'free', 'skip', 'wide', 'uuid', 'udta', 'hdlr', 'dinf', 'dref', 'url ', 'urn ', 'pitm',
  'iloc', 'iinf', 'infe', 'iref', 'iprp', 'ipco', 'ipma', 'idat', 'grpl', 'ipro', 'sinf', 'fiin', 'xml ', 'bxml', 'ipmc',
  'ispe', 'pixi', 'hvcC', 'lhvC', 'av1C', 'avcC', 'vvcC', 'jpgC', 'j2kH', 'uncC', 'cmpd', 'irot', 'imir', 'clap', 'colr',
  'auxC', 'pasp', 'rloc', 'lsel', 'a1op', 'a1lx', 'clli', 'mdcv', 'cclv', 'amve', 'oinf', 'tols', 'iscl', 'udes', 'crtt',
  'mdft', 'altt', 'thmb', 'auxl', 'dimg', 'cdsc', 'prem', 'base', 'tbas', 'hvc1', 'hvt1', 'lhv1', 'av01', 'avc1',
  'vvc1', 'jpeg', 'j2k1', 'unci', 'grid', 'iden', 'iovl', 'tmap', 'Exif', 'mime', 'uri ', 'altr', 'ster', 'brst',
  'mvhd', 'tkhd', 'mdhd', 'trak', 'mdia', 'minf', 'stbl', 'edts', 'mvex', 'vmhd', 'nmhd', 'stsd', 'stts', 'ctts', 'stss',
  'stsc', 'stsz', 'stz2', 'stco', 'co64', 'elst', 'tref', 'sdtp', 'sbgp', 'sgpd', 'mehd', 'trex', 'ccst', 'auxi', 'moof',
]);

/**
 * A part name ("meta/iprp/ipco/colr #3") as a report may print it: each four-character code
 * that is not registered becomes "????", and anything unprintable "?".
 */
export function safePath(name: string): string {
  return name
    .split('/')
    .map((seg) => (/^[\s\S]{4}( #\d+)?$/.test(seg) && !REGISTERED_CODES.has(seg.slice(0, 4)) ? `????${seg.slice(4)}` : seg))
    .join('/')
    .replace(/[^\x20-\x7e]/g, '?');
}

/** A box type as a report may print it: a registered code, else a neutral phrase. */
export function typeLabel(type: string): string {
  return REGISTERED_CODES.has(type) ? JSON.stringify(type) : 'of an unregistered type';
}

/** A bounds-checked cursor over one box body: any read past `end` is a truncated box. */
export class Reader {
  constructor(
    private readonly b: Uint8Array,
    public pos: number,
    public readonly end: number,
    private readonly what: string,
  ) {}

  need(n: number): void {
    if (this.pos + n > this.end) throw new DeidError('truncated', `HEIF: ${this.what} ends inside its own fields at ${this.pos}`);
  }

  left(): number {
    return this.end - this.pos;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  u8(): number {
    this.need(1);
    return this.b[this.pos++];
  }

  u16(): number {
    this.need(2);
    const v = u16be(this.b, this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = u32be(this.b, this.pos);
    this.pos += 4;
    return v;
  }

  /** An unsigned field of 0, 4 or 8 bytes (iloc sizes). Values past 2^53 cannot be a real offset. */
  uint(size: number): number {
    if (size === 0) return 0;
    if (size === 4) return this.u32();
    if (size === 8) {
      const hi = this.u32();
      const lo = this.u32();
      if (hi >= 0x200000) throw new DeidError('malformed', `HEIF: ${this.what} holds a 64-bit value beyond any file size`);
      return hi * TWO_32 + lo;
    }
    throw new DeidError('malformed', `HEIF: ${this.what} field size ${size} is not 0, 4 or 8`);
  }

  fourcc(): string {
    this.need(4);
    const v = fourcc(this.b, this.pos);
    this.pos += 4;
    return v;
  }

  /**
   * A NUL-terminated string. `terminated` says whether the NUL was there (a string that runs to
   * the end of the box without one is tolerated by readers, but is not canonical).
   */
  cstring(): { text: string; length: number; terminated: boolean } {
    const start = this.pos;
    let text = '';
    while (this.pos < this.end && this.b[this.pos] !== 0) {
      if (text.length < MAX_LABEL) text += String.fromCharCode(this.b[this.pos]);
      this.pos++;
    }
    const length = this.pos - start;
    const terminated = this.pos < this.end;
    if (terminated) this.pos++;
    return { text, length, terminated };
  }

  /** FullBox version and flags. */
  versionFlags(): { version: number; flags: number } {
    const version = this.u8();
    const flags = (this.u8() << 16) | (this.u8() << 8) | this.u8();
    return { version, flags };
  }
}

/** Reads one box header at `pos`, inside a parent ending at `end`. */
export function readBox(b: Uint8Array, pos: number, end: number): Box {
  if (pos + BOX_HEADER > end) throw new DeidError('truncated', `HEIF: box header at ${pos} cut off`);
  let size = u32be(b, pos);
  const type = fourcc(b, pos + 4);
  let body = pos + BOX_HEADER;
  if (size === 1) {
    if (pos + LARGE_BOX_HEADER > end) throw new DeidError('truncated', `HEIF: large box header at ${pos} cut off`);
    size = u32be(b, pos + 8) * TWO_32 + u32be(b, pos + 12);
    body = pos + LARGE_BOX_HEADER;
  } else if (size === 0) {
    // 14496-12 4.2: size 0 means "extends to the end of the enclosing container (the file)".
    size = end - pos;
  }
  if (size < body - pos) throw new DeidError('malformed', `HEIF: box ${typeLabel(type)} at ${pos} declares size ${size}`);
  if (pos + size > end) throw new DeidError('truncated', `HEIF: box ${typeLabel(type)} at ${pos} runs past its parent`);
  if (type === 'uuid') body += UUID_SIZE;
  if (body > pos + size) throw new DeidError('malformed', `HEIF: uuid box at ${pos} too short for its user type`);
  return { type, offset: pos, body, end: pos + size };
}

/** The boxes between `start` and `end`, which must tile the range exactly. */
export function children(b: Uint8Array, start: number, end: number): Box[] {
  const boxes: Box[] = [];
  for (let pos = start; pos < end; ) {
    const box = readBox(b, pos, end);
    boxes.push(box);
    pos = box.end;
  }
  return boxes;
}

export function isAllZero(b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (b[i] !== 0) return false;
  return true;
}

// ---- writing ----

/** A big-endian unsigned integer of `size` bytes (0, 1, 2, 3, 4 or 8). */
export function uintBytes(value: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let v = value;
  for (let i = size - 1; i >= 0; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return out;
}

export function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** A box with a 32-bit size, or a 64-bit largesize when the body needs it (14496-12 4.2). */
export function makeBox(type: string, body: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of body) n += p.length;
  const large = n + BOX_HEADER >= TWO_32;
  const header = large ? joinBytes([uintBytes(1, 4), ascii(type), uintBytes(n + LARGE_BOX_HEADER, 8)]) : joinBytes([uintBytes(n + BOX_HEADER, 4), ascii(type)]);
  return joinBytes([header, ...body]);
}

export function makeFullBox(type: string, version: number, flags: number, body: readonly Uint8Array[]): Uint8Array {
  return makeBox(type, [Uint8Array.of(version, (flags >>> 16) & 0xff, (flags >>> 8) & 0xff, flags & 0xff), ...body]);
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
