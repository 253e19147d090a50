/**
 * Bounds-checked reading of a whole TIFF file's header and directories, classic TIFF (TIFF 6.0
 * section 2, 32-bit offsets) and BigTIFF (the BigTIFF design note adopted by libtiff 4: magic 43,
 * 64-bit offsets, 20-byte entries, 8-byte value slots). Every read throws DeidError, never
 * RangeError; offsets past 2^53 are beyond any file and read as "points past the end".
 */
import { u16be, u16le, u32be, u32le } from '../bytes';
import { DeidError } from '../errors';

export const BYTE_ORDER_LITTLE = 0x4949;
export const BYTE_ORDER_BIG = 0x4d4d;
export const CLASSIC_MAGIC = 42;
export const BIGTIFF_MAGIC = 43;

/** Field types: TIFF 6.0 section 2 (1..12), TIFF Technical Note 1 (13 IFD), BigTIFF (16..18). */
export const TYPE = {
  BYTE: 1, ASCII: 2, SHORT: 3, LONG: 4, RATIONAL: 5, SBYTE: 6, UNDEFINED: 7, SSHORT: 8, SLONG: 9,
  SRATIONAL: 10, FLOAT: 11, DOUBLE: 12, IFD: 13, LONG8: 16, SLONG8: 17, IFD8: 18,
} as const;
export const TYPE_SIZES: Readonly<Record<number, number>> = {
  1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8,
};
/** The types of a classic TIFF structure only (1..13): EXIF blocks; readers skip the rest. */
export const CLASSIC_TYPE_SIZES: Readonly<Record<number, number>> = {
  1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4,
};

export interface TiffReaderOptions {
  /** Names the structure in errors: "TIFF" for a file, "APP1 @ 20" for an EXIF block. */
  where?: string;
  /** Sizes of the types this structure may use; an entry of another type has no length. */
  typeSizes?: Readonly<Record<number, number>>;
  /** Refuse BigTIFF as unsupported (an EXIF block is classic TIFF; no camera writes BigTIFF EXIF). */
  classicOnly?: boolean;
}

/** The sizes that differ between classic TIFF and BigTIFF. */
export interface Geometry {
  big: boolean;
  header: number;
  /** IFD entry count field, one entry, next-IFD offset, and the in-entry value slot. */
  countField: number;
  entry: number;
  nextField: number;
  slot: number;
}

export const CLASSIC: Geometry = { big: false, header: 8, countField: 2, entry: 12, nextField: 4, slot: 4 };
export const BIG: Geometry = { big: true, header: 16, countField: 8, entry: 20, nextField: 8, slot: 8 };

export interface RawEntry {
  tag: number;
  type: number;
  count: number;
  /** Absolute offset of the entry. */
  entryOffset: number;
  /** Absolute offset of the value: inside the entry's slot when it fits. */
  valueOffset: number;
  /** count x type size; null for a type TIFF does not define (readers skip such entries). */
  byteLength: number | null;
  inline: boolean;
}

export interface RawIfd {
  offset: number;
  byteLength: number;
  entries: RawEntry[];
  next: number;
}

export class TiffReader {
  readonly little: boolean;
  readonly geometry: Geometry;
  readonly first: number;
  /** Directories that do not overlap cannot hold more entries than this (keeps the walk linear). */
  private entryBudget: number;
  private readonly visited = new Set<number>();

  readonly where: string;
  private readonly typeSizes: Readonly<Record<number, number>>;

  constructor(
    readonly bytes: Uint8Array,
    options: TiffReaderOptions = {},
  ) {
    const where = (this.where = options.where ?? 'TIFF');
    this.typeSizes = options.typeSizes ?? TYPE_SIZES;
    if (bytes.length < CLASSIC.header) throw new DeidError('truncated', `${where}: ${bytes.length} bytes is shorter than a TIFF header`);
    const order = (bytes[0] << 8) | bytes[1];
    if (order !== BYTE_ORDER_LITTLE && order !== BYTE_ORDER_BIG) throw new DeidError('malformed', `${where}: no byte-order mark (II or MM)`);
    this.little = order === BYTE_ORDER_LITTLE;
    const magic = this.u16(2);
    if (magic === CLASSIC_MAGIC) {
      this.geometry = CLASSIC;
      this.first = this.u32(4);
    } else if (magic === BIGTIFF_MAGIC && options.classicOnly) {
      throw new DeidError('unsupported', `${where}: BigTIFF (64-bit offsets) is not supported; convert it to TIFF, PNG or JPEG first`);
    } else if (magic === BIGTIFF_MAGIC) {
      this.geometry = BIG;
      // BigTIFF header: bytesize of offsets (always 8), a zero word, then the first IFD offset.
      if (this.u16(4) !== 8 || this.u16(6) !== 0) throw new DeidError('malformed', `${where}: BigTIFF header with an offset size other than 8`);
      this.first = this.u64(8);
    } else {
      throw new DeidError('malformed', `${where}: magic number is ${magic}, not 42 (TIFF) or 43 (BigTIFF)`);
    }
    this.entryBudget = Math.floor(bytes.length / this.geometry.entry) + 1;
  }

  need(offset: number, length: number): void {
    if (!(offset >= 0 && length >= 0 && offset + length <= this.bytes.length)) {
      throw new DeidError('truncated', `${this.where}: a structure points past the end of its ${this.bytes.length} bytes`);
    }
  }

  u16(at: number): number {
    this.need(at, 2);
    return this.little ? u16le(this.bytes, at) : u16be(this.bytes, at);
  }

  u32(at: number): number {
    this.need(at, 4);
    return this.little ? u32le(this.bytes, at) : u32be(this.bytes, at);
  }

  /** A 64-bit unsigned value as a number; above 2^53 it is returned as Infinity (past any file). */
  u64(at: number): number {
    const lo = this.u32(this.little ? at : at + 4);
    const hi = this.u32(this.little ? at + 4 : at);
    return hi >= 0x200000 ? Infinity : hi * 0x100000000 + lo;
  }

  /** An offset field: 4 bytes in classic TIFF, 8 in BigTIFF. */
  offsetAt(at: number): number {
    return this.geometry.big ? this.u64(at) : this.u32(at);
  }

  readIfd(offset: number, name: string): RawIfd {
    const g = this.geometry;
    if (offset < g.header) throw new DeidError('malformed', `${this.where}: ${name} offset ${offset} lies inside the header`);
    if (this.visited.has(offset)) throw new DeidError('malformed', `${this.where}: ${name} at ${offset} was already visited (IFD cycle)`);
    this.visited.add(offset);
    const count = g.big ? this.u64(offset) : this.u16(offset);
    // Directories that do not overlap cannot hold more entries than this; more means overlap
    // crafted to make the walk quadratic.
    this.entryBudget -= count;
    if (!(this.entryBudget >= 0)) throw new DeidError('malformed', `${this.where}: overlapping directories (more entries than the bytes can hold)`);
    const byteLength = g.countField + count * g.entry + g.nextField;
    this.need(offset, byteLength);
    const entries: RawEntry[] = [];
    for (let i = 0; i < count; i++) {
      const entryOffset = offset + g.countField + i * g.entry;
      const type = this.u16(entryOffset + 2);
      const valueCount = g.big ? this.u64(entryOffset + 4) : this.u32(entryOffset + 4);
      const size = this.typeSizes[type];
      const length = size === undefined ? null : size * valueCount;
      const slot = entryOffset + 4 + (g.big ? 8 : 4);
      const inline = length !== null && length <= g.slot;
      entries.push({ tag: this.u16(entryOffset), type, count: valueCount, entryOffset, valueOffset: inline ? slot : this.offsetAt(slot), byteLength: length, inline });
    }
    return { offset, byteLength, entries, next: this.offsetAt(offset + byteLength - g.nextField) };
  }

  /** The value slot of an entry (where an inline value or the offset sits). */
  slotOf(entry: RawEntry): number {
    return entry.entryOffset + 4 + this.geometry.slot;
  }

  /** Unsigned integer values of a BYTE, SHORT, LONG, LONG8, IFD or IFD8 entry. */
  integers(entry: RawEntry): number[] {
    const size = TYPE_SIZES[entry.type];
    if (entry.byteLength === null) return [];
    this.need(entry.valueOffset, entry.byteLength);
    const out: number[] = [];
    for (let i = 0; i < entry.count; i++) {
      const at = entry.valueOffset + i * size;
      switch (entry.type) {
        case TYPE.BYTE: out.push(this.bytes[at]); break;
        case TYPE.SHORT: out.push(this.u16(at)); break;
        case TYPE.LONG: case TYPE.IFD: out.push(this.u32(at)); break;
        case TYPE.LONG8: case TYPE.IFD8: out.push(this.u64(at)); break;
        default: return [];
      }
    }
    return out;
  }

  /** [numerator, denominator] pairs of a RATIONAL entry. */
  rationals(entry: RawEntry): Array<[number, number]> {
    if (entry.type !== TYPE.RATIONAL || entry.byteLength === null) return [];
    this.need(entry.valueOffset, entry.byteLength);
    const out: Array<[number, number]> = [];
    for (let i = 0; i < entry.count; i++) out.push([this.u32(entry.valueOffset + i * 8), this.u32(entry.valueOffset + i * 8 + 4)]);
    return out;
  }
}

/** Writes unsigned integers in a byte order. */
export class ByteWriter {
  constructor(
    readonly out: Uint8Array,
    readonly little: boolean,
  ) {}

  u16(at: number, v: number): void {
    if (this.little) this.out.set([v & 0xff, (v >>> 8) & 0xff], at);
    else this.out.set([(v >>> 8) & 0xff, v & 0xff], at);
  }

  u32(at: number, v: number): void {
    const b = [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
    this.out.set(this.little ? b : b.reverse(), at);
  }

  u64(at: number, v: number): void {
    const lo = v % 0x100000000;
    const hi = Math.floor(v / 0x100000000);
    this.u32(this.little ? at : at + 4, lo);
    this.u32(this.little ? at + 4 : at, hi);
  }
}
