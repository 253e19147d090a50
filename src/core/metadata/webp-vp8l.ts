/**
 * Where a WebP lossless bitstream ends (RFC 9649 section 3, "Specification for WebP Lossless
 * Bitstream"): the header, the transforms and the entropy-coded image are read as a decoder
 * reads them, without applying any transform and without keeping the main image's pixels; only
 * the entropy image (which says which prefix codes each tile uses) is decoded to its values.
 * Bytes of a VP8L chunk (or of a lossless ALPH chunk) after that point are never read by a
 * decoder, so they can carry anything.
 *
 * Rules follow the RFC; where the RFC leaves a decoder latitude, libwebp's src/dec/vp8l_dec.c
 * and src/utils/huffman_utils.c (what sharp and browsers decode with) decide: a prefix code must
 * be complete unless it has exactly one symbol, and reading past the end of the data fails.
 */
import { DeidError } from '../errors';

/** RFC 9649 3.2: the signature byte and the header fields' widths. */
const VP8L_SIGNATURE = 0x2f;
const SIZE_BITS = 14;
const VERSION_BITS = 3;
/** 3.3: transform types. */
export const PREDICTOR = 0;
export const CROSS_COLOR = 1;
export const SUBTRACT_GREEN = 2;
export const COLOR_INDEXING = 3;
/** 3.6.2: colour cache bits 1..11. */
const MAX_CACHE_BITS = 11;
/** 3.7.2.2: alphabet sizes of the five codes of a prefix code group. */
const NUM_LITERALS = 256;
const NUM_LENGTH_CODES = 24;
const NUM_DISTANCE_CODES = 40;
/** 3.7.2.1.2: the order of the code length code lengths, and the repeat codes 16-18. */
const CODE_LENGTH_ORDER = [17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
const CODE_LENGTH_CODES = 19;
const DEFAULT_CODE_LENGTH = 8;
const REPEAT_EXTRA_BITS = [2, 3, 7];
const REPEAT_OFFSET = [3, 3, 11];
const MAX_CODE_LENGTH = 15;
/** Root table size of the prefix decoder: longer codes take the slow path. */
const ROOT_BITS = 10;
/** 3.5.2.2: the 120 short distance codes as (xi, yi); distance = xi + yi * width, at least 1. */
const DISTANCE_MAP: ReadonlyArray<readonly [number, number]> = [
  [0, 1], [1, 0], [1, 1], [-1, 1], [0, 2], [2, 0], [1, 2], [-1, 2], [2, 1], [-2, 1], [2, 2], [-2, 2], [0, 3], [3, 0],
  [1, 3], [-1, 3], [3, 1], [-3, 1], [2, 3], [-2, 3], [3, 2], [-3, 2], [0, 4], [4, 0], [1, 4], [-1, 4], [4, 1], [-4, 1],
  [3, 3], [-3, 3], [2, 4], [-2, 4], [4, 2], [-4, 2], [0, 5], [3, 4], [-3, 4], [4, 3], [-4, 3], [5, 0], [1, 5], [-1, 5],
  [5, 1], [-5, 1], [2, 5], [-2, 5], [5, 2], [-5, 2], [4, 4], [-4, 4], [3, 5], [-3, 5], [5, 3], [-5, 3], [0, 6], [6, 0],
  [1, 6], [-1, 6], [6, 1], [-6, 1], [2, 6], [-2, 6], [6, 2], [-6, 2], [4, 5], [-4, 5], [5, 4], [-5, 4], [3, 6], [-3, 6],
  [6, 3], [-6, 3], [0, 7], [7, 0], [1, 7], [-1, 7], [5, 5], [-5, 5], [7, 1], [-7, 1], [4, 6], [-4, 6], [6, 4], [-6, 4],
  [2, 7], [-2, 7], [7, 2], [-7, 2], [3, 7], [-3, 7], [7, 3], [-7, 3], [5, 6], [-5, 6], [6, 5], [-6, 5], [8, 0], [4, 7],
  [-4, 7], [7, 4], [-7, 4], [8, 1], [8, 2], [6, 6], [-6, 6], [8, 3], [5, 7], [-5, 7], [7, 5], [-7, 5], [8, 4], [6, 7],
  [-6, 7], [7, 6], [-7, 6], [8, 5], [7, 7], [-7, 7], [8, 6], [8, 7],
];
/*
 * The work here is in proportion to the pixels the stream declares: a pixel whose five prefix
 * codes each have one symbol takes no bits (3.7.2.1.1), so 30 bytes can declare 16383 x 16383
 * pixels, and the compressed size bounds nothing. The caller (webp.ts) holds the pixels every
 * image of a file declares, together, to WalkOptions.maxPixels before any stream is read; the
 * transform and entropy images read here are subsampled at least 4 x 4 (3.3.1, 3.6.1), or at
 * most 256 colours (3.3.4), so they add a fraction of that.
 */

/** 3.6.2: the colour cache hash multiplier. */
const CACHE_HASH = 0x1e35a7bd;
/**
 * 3.5.2.2: the farthest a backward reference reaches, in pixels: distance code 39 carries 18
 * extra bits, (3 << 18) + (2^18 - 1) + 1 = 2^20, less the 120 plane codes; a plane code reaches
 * at most 8 + 7 rows. The main image is kept only this far back while its rows are handed on.
 */
const MAX_DISTANCE = 1 << 20;
const MAX_PLANE_ROWS = 8;

/**
 * WalkOptions.scanData: what takes the main image's coded rows as they are decoded
 * (webp-vp8l-unused.ts), so the image is never held whole: 250 MP of ARGB is 1 GB.
 */
export interface Vp8lRows {
  /** The transforms read before the main image, in stream order, and the main image's width. */
  start(transforms: readonly Vp8lTransform[], xsize: number): void;
  /** Row y of the main image's coded values, a view valid during the call; `repeat`: known equal to row y - 1. */
  row(coded: Uint32Array, y: number, repeat: boolean): void;
}

export interface Vp8lHeader {
  width: number;
  height: number;
  alphaUsed: boolean;
}

function malformed(what: string): DeidError {
  return new DeidError('malformed', `WebP lossless bitstream: ${what}`);
}

/** LSB-first bit reader (RFC 9649 3.1 ReadBits). Reading past the end fails, as in libwebp. */
class BitReader {
  private pos: number;
  private buf = 0;
  private count = 0;
  /** Bits consumed in total. */
  consumed = 0;
  constructor(private readonly bytes: Uint8Array, start: number, private readonly end: number) {
    this.pos = start;
  }

  private fill(): void {
    while (this.count <= 24 && this.pos < this.end) {
      this.buf |= this.bytes[this.pos++] << this.count;
      this.count += 8;
    }
  }

  /** The next n (<= 24) bits without consuming them; missing bits past the end read as 0. */
  peek(n: number): number {
    if (this.count < n) this.fill();
    return n === 0 ? 0 : (this.buf & ((1 << n) - 1)) >>> 0;
  }

  /** Consumes n (<= 24) bits. */
  skip(n: number): void {
    if (this.count < n) this.fill();
    if (this.count < n) throw new DeidError('truncated', 'WebP lossless bitstream: ends early');
    this.buf >>>= n;
    this.count -= n;
    this.consumed += n;
  }

  read(n: number): number {
    const v = this.peek(n);
    this.skip(n);
    return v;
  }
}

/** A canonical prefix code (RFC 9649 3.7.2): a root table plus a slow path for long codes. */
interface PrefixCode {
  /** Only one symbol: it takes no bits (3.7.2.1.1 / libwebp BuildHuffmanTable special case). */
  single: number;
  /** Some symbol was read with this code (WalkOptions.scanData: a code never read is free bits). */
  used?: boolean;
  /** Written as libwebp writes a code with no symbol to code: simple, one 1-bit symbol 0 (vp8l_enc.c StoreHuffmanCode). */
  empty?: boolean;
  /** Where the code's bits are in the stream (bit offsets from the reader's start, end exclusive). */
  span?: [number, number];
  /**
   * entry = symbol << 4 | length; 0 for "longer than rootBits". Built on the code's first read
   * and only as wide as its longest code: 3.6.1 lets 30 bytes declare 65536 groups of codes, most
   * of which no tile refers to, and a 1024-entry table for each of their 327,680 codes is 1.3 GB.
   */
  root: Int32Array | null;
  rootBits: number;
  /** Per length: number of codes; symbols sorted by (length, symbol). */
  counts: Int32Array;
  sorted: Int32Array;
}

function buildCode(lengths: ArrayLike<number>, size: number): PrefixCode {
  const counts = new Int32Array(MAX_CODE_LENGTH + 1);
  let symbols = 0;
  let last = -1;
  for (let s = 0; s < size; s++) {
    if (lengths[s] > 0) {
      counts[lengths[s]]++;
      symbols++;
      last = s;
    }
  }
  if (symbols === 0) throw malformed('a prefix code with no symbol');
  if (symbols === 1) return { single: last, root: null, rootBits: 0, counts, sorted: new Int32Array(0) };
  // Completeness (libwebp huffman_utils.c: "Check if tree is full").
  let left = 1;
  for (let len = 1; len <= MAX_CODE_LENGTH; len++) {
    left = (left << 1) - counts[len];
    if (left < 0) throw malformed('over-subscribed prefix code');
  }
  if (left !== 0) throw malformed('incomplete prefix code');
  const offsets = new Int32Array(MAX_CODE_LENGTH + 2);
  for (let len = 1; len <= MAX_CODE_LENGTH; len++) offsets[len + 1] = offsets[len] + counts[len];
  const sorted = new Int32Array(symbols);
  const next = offsets.slice();
  for (let s = 0; s < size; s++) if (lengths[s] > 0) sorted[next[lengths[s]]++] = s;
  let longest = MAX_CODE_LENGTH;
  while (counts[longest] === 0) longest--;
  return { single: -1, root: null, rootBits: Math.min(ROOT_BITS, longest), counts, sorted };
}

function buildRoot(code: PrefixCode): Int32Array {
  const { counts, sorted, rootBits } = code;
  const root = new Int32Array(1 << rootBits);
  let next = 0;
  let index = 0;
  for (let len = 1; len <= rootBits; len++) {
    for (let k = 0; k < counts[len]; k++, index++, next++) {
      let reversed = 0;
      for (let i = 0, c = next; i < len; i++, c >>>= 1) reversed = (reversed << 1) | (c & 1);
      for (let i = reversed; i < root.length; i += 1 << len) root[i] = (sorted[index] << 4) | len;
    }
    next <<= 1;
  }
  return root;
}

function readSymbol(r: BitReader, code: PrefixCode): number {
  code.used = true;
  if (code.single >= 0) return code.single;
  if (code.root === null) code.root = buildRoot(code);
  const entry = code.root[r.peek(code.rootBits)];
  if (entry !== 0) {
    r.skip(entry & 15);
    return entry >>> 4;
  }
  // Canonical decoding one bit at a time (codes are sent most significant bit first).
  const bits = r.peek(MAX_CODE_LENGTH);
  let c = 0;
  let first = 0;
  let index = 0;
  for (let len = 1; len <= MAX_CODE_LENGTH; len++) {
    c |= (bits >>> (len - 1)) & 1;
    const count = code.counts[len];
    if (c - first < count) {
      r.skip(len);
      return code.sorted[index + c - first];
    }
    index += count;
    first = (first + count) << 1;
    c <<= 1;
  }
  throw malformed('invalid prefix code');
}

/** 3.7.2.1: one prefix code, simple or normal. */
function readCode(r: BitReader, size: number): PrefixCode {
  const lengths = new Uint8Array(size);
  if (r.read(1) === 1) {
    const symbols = r.read(1) + 1;
    const wide = r.read(1) === 1;
    const first = r.read(wide ? 8 : 1);
    if (first >= size) throw malformed('simple code symbol outside its alphabet');
    lengths[first] = 1;
    if (symbols === 2) {
      const second = r.read(8);
      if (second >= size) throw malformed('simple code symbol outside its alphabet');
      lengths[second] = 1;
    }
    const code = buildCode(lengths, size);
    code.empty = symbols === 1 && !wide && first === 0;
    return code;
  }
  const clLengths = new Uint8Array(CODE_LENGTH_CODES);
  const numCodes = r.read(4) + 4;
  for (let i = 0; i < numCodes; i++) clLengths[CODE_LENGTH_ORDER[i]] = r.read(3);
  const clCode = buildCode(clLengths, CODE_LENGTH_CODES);
  let maxSymbol = size;
  if (r.read(1) === 1) {
    const lengthBits = 2 + 2 * r.read(3);
    maxSymbol = 2 + r.read(lengthBits);
    if (maxSymbol > size) throw malformed('max_symbol beyond the alphabet');
  }
  let symbol = 0;
  let previous = DEFAULT_CODE_LENGTH;
  while (symbol < size) {
    if (maxSymbol-- === 0) break;
    const len = readSymbol(r, clCode);
    if (len < 16) {
      lengths[symbol++] = len;
      if (len !== 0) previous = len;
      continue;
    }
    const slot = len - 16;
    const repeat = r.read(REPEAT_EXTRA_BITS[slot]) + REPEAT_OFFSET[slot];
    if (symbol + repeat > size) throw malformed('code lengths overflow');
    const value = slot === 0 ? previous : 0;
    for (let k = 0; k < repeat; k++) lengths[symbol++] = value;
  }
  return buildCode(lengths, size);
}

/** 3.5.2.2: LZ77 prefix-coded length or distance. */
function prefixValue(r: BitReader, symbol: number): number {
  if (symbol < 4) return symbol + 1;
  const extra = (symbol - 2) >> 1;
  return ((2 + (symbol & 1)) << extra) + r.read(extra) + 1;
}

function planeDistance(width: number, code: number): number {
  if (code > DISTANCE_MAP.length) return code - DISTANCE_MAP.length;
  const [xi, yi] = DISTANCE_MAP[code - 1];
  return Math.max(1, xi + yi * width);
}

function subsample(size: number, bits: number): number {
  return (size + (1 << bits) - 1) >> bits;
}

/**
 * What a WalkOptions.scanData reading learns beyond the extent: counts of free bits libwebp's
 * decoder never uses in the prefix codes and the entropy image (see webp-vp8l-unused.ts for the
 * pixels' own).
 */
export interface Vp8lCodeLog {
  /**
   * Bit spans of prefix codes no symbol is read with, not written as libwebp writes an empty
   * code: their bits are free. Among them every code of a group no entropy-image tile refers to
   * (3.6.1: all max+1 groups are read; libwebp's encoder leaves such groups in large images,
   * and its decoder reads them into a table it never uses, vp8l_dec.c ReadHuffmanCodes).
   */
  unreadCodes: Array<[number, number]>;
  /** How many of those are in groups no tile refers to. */
  unreferencedGroups: number;
  /** Entropy-image pixels with alpha or blue set: libwebp takes the group from red and green only (vp8l_dec.c GetMetaIndex). */
  entropyBits: number;
  /** Decoding steps taken (a pixel, a backward reference, or a run of one-colour pixels): the work, for tests. */
  steps: number;
}

/** The ARGB every pixel of a group is when its four pixel codes each have one symbol, green a literal; else null. */
function constantOf(group: readonly PrefixCode[]): number | null {
  const [green, red, blue, alpha] = group;
  if (green.single < 0 || green.single >= NUM_LITERALS || red.single < 0 || blue.single < 0 || alpha.single < 0) return null;
  return ((alpha.single << 24) | (red.single << 16) | (green.single << 8) | blue.single) >>> 0;
}

/**
 * The colour cache key every pixel of a group reads when its green code has one symbol and that
 * is a cache index inside the cache (3.6.2.2); else -1. Such pixels are the cache entry as it
 * stands, which none of them changes (an entry holds a colour at its own hash), so a run of them
 * is one colour too.
 */
function cacheKeyOf(group: readonly PrefixCode[], cacheSize: number): number {
  const key = group[0].single - NUM_LITERALS - NUM_LENGTH_CODES;
  return group[0].single >= 0 && key >= 0 && key < cacheSize ? key : -1;
}

/**
 * 3.6 / 3.7: one entropy-coded image of width x height. `values` true: decode the ARGB values
 * (needed for the entropy image); false: only count pixels. `main` allows a meta prefix image.
 * With `log` (scanData) every image is decoded to its values and the codes' use is counted.
 */
function readImage(r: BitReader, width: number, height: number, main: boolean, values: boolean, log: Vp8lCodeLog | null = null, rows: Vp8lRows | null = null): Uint32Array | null {
  if (log) values = true;
  let cacheBits = 0;
  if (r.read(1) === 1) {
    cacheBits = r.read(4);
    if (cacheBits < 1 || cacheBits > MAX_CACHE_BITS) throw malformed('colour cache size out of range');
  }
  let groupsOf: Uint32Array | null = null;
  let prefixBits = 0;
  let groupCount = 1;
  if (main && r.read(1) === 1) {
    prefixBits = r.read(3) + 2;
    groupsOf = readImage(r, subsample(width, prefixBits), subsample(height, prefixBits), false, true, log) as Uint32Array;
    for (let i = 0; i < groupsOf.length; i++) {
      if (log && (groupsOf[i] & 0xff0000ff) !== 0) log.entropyBits++;
      groupsOf[i] = (groupsOf[i] >>> 8) & 0xffff;
      if (groupsOf[i] + 1 > groupCount) groupCount = groupsOf[i] + 1;
    }
  }
  const cacheSize = cacheBits > 0 ? 1 << cacheBits : 0;
  const greenSize = NUM_LITERALS + NUM_LENGTH_CODES + cacheSize;
  const groups: PrefixCode[][] = [];
  const spanned = (size: number): PrefixCode => {
    const start = r.consumed;
    const code = readCode(r, size);
    if (log) code.span = [start, r.consumed];
    return code;
  };
  const referenced = new Uint8Array(groupCount);
  if (groupsOf) for (const g of groupsOf) referenced[g] = 1;
  else referenced[0] = 1;
  // A group no tile refers to is read (its bits must still parse) but not kept, as libwebp maps
  // such groups to one throwaway table (vp8l_dec.c ReadHuffmanCodesHelper): 3.6.1 lets a few
  // hundred kilobytes declare 65536 groups, whose codes held together took 1.7 GB.
  const unreferencedFree: Array<Array<[number, number]>> = [];
  for (let g = 0; g < groupCount; g++) {
    const group = [spanned(greenSize), spanned(NUM_LITERALS), spanned(NUM_LITERALS), spanned(NUM_LITERALS), spanned(NUM_DISTANCE_CODES)];
    if (referenced[g]) {
      groups.push(group);
      continue;
    }
    groups.push([]);
    if (log) {
      const free = group.filter((code) => !code.empty).map((code) => code.span as [number, number]);
      unreferencedFree[g] = free;
      if (free.length > 0) log.unreferencedGroups++;
    }
  }
  const total = width * height;
  // Rows handed on (`rows`) are kept only as far back as a reference can reach, in a ring of
  // whole rows (a row never wraps); otherwise the image is kept whole (transform and entropy
  // images, which the caller reads as arrays).
  const ringSize = rows ? Math.min(height, Math.ceil(MAX_DISTANCE / width) + MAX_PLANE_ROWS) * width : total;
  const out = values ? new Uint32Array(ringSize) : null;
  const cache = values && cacheSize > 0 ? new Uint32Array(cacheSize) : null;
  const groupsWidth = subsample(width, prefixBits);
  const remember = (argb: number): void => {
    if (cache) cache[Math.imul(CACHE_HASH, argb) >>> (32 - cacheBits)] = argb;
  };
  let pos = 0;
  /** pos within the ring. */
  let at = 0;
  let emitted = 0;
  let nextRowEnd = width;
  const emit = (): void => {
    for (; emitted < height && nextRowEnd <= pos; emitted++, nextRowEnd += width) {
      const from = (emitted * width) % ringSize;
      rows!.row(out!.subarray(from, from + width), emitted, false);
    }
  };
  const constants = groups.map((g) => (g.length > 0 ? constantOf(g) : null));
  const cacheKeys = groups.map((g) => (g.length > 0 ? cacheKeyOf(g, cacheSize) : -1));
  /**
   * One colour from `pos` for `n` pixels when the group there codes every pixel in no bit (3.7.2.1.1):
   * the codes a pixel reads are marked as read (the log), the pixels written at once, a literal
   * colour given to the colour cache once (as each pixel would be); else false.
   */
  const oneColour = (g: number, n: number): boolean => {
    const literal = constants[g];
    const key = literal === null ? cacheKeys[g] : -1;
    if (literal === null && key < 0) return false;
    const group = groups[g];
    if (literal !== null) for (let c = 0; c < 4; c++) readSymbol(r, group[c]);
    else readSymbol(r, group[0]);
    if (out) {
      const colour = literal ?? (cache ? cache[key] : 0);
      out.fill(colour, at, at + n);
      if (literal !== null) remember(literal);
      at += n;
      if (at === ringSize) at = 0;
    }
    pos += n;
    return true;
  };
  if (!groupsOf && (constants[0] !== null || cacheKeys[0] >= 0)) {
    // One group coding every pixel in no bit: the image is one colour. Its first row is written
    // once; the rows handed on after it repeat it.
    if (log) log.steps++;
    oneColour(0, rows ? width : total);
    if (rows) for (let y = 0; y < height; y++) rows.row((out as Uint32Array).subarray(0, width), y, y > 0);
    pos = total;
  }
  while (pos < total) {
    if (log) log.steps++;
    let group = groups[0];
    if (groupsOf) {
      const x = pos % width;
      const y = (pos - x) / width;
      const g = groupsOf[(y >> prefixBits) * groupsWidth + (x >> prefixBits)];
      // A tile coding every pixel in no bit: up to its edge or the row's end at once (the ring
      // holds whole rows, so no wrap inside a row).
      if (oneColour(g, Math.min(width, ((x >> prefixBits) + 1) << prefixBits) - x)) {
        if (rows && pos >= nextRowEnd) emit();
        continue;
      }
      group = groups[g];
    }
    const green = readSymbol(r, group[0]);
    if (green < NUM_LITERALS) {
      const red = readSymbol(r, group[1]);
      const blue = readSymbol(r, group[2]);
      const alpha = readSymbol(r, group[3]);
      if (out) {
        const argb = ((alpha << 24) | (red << 16) | (green << 8) | blue) >>> 0;
        out[at] = argb;
        remember(argb);
        if (++at === ringSize) at = 0;
      }
      pos++;
    } else if (green < NUM_LITERALS + NUM_LENGTH_CODES) {
      const length = prefixValue(r, green - NUM_LITERALS);
      const distance = planeDistance(width, prefixValue(r, readSymbol(r, group[4])));
      if (distance > pos || length > total - pos) throw malformed('backward reference outside the image');
      if (out) {
        for (let k = 0; k < length; k++) {
          let from = at - distance;
          if (from < 0) from += ringSize;
          out[at] = out[from];
          remember(out[at]);
          if (++at === ringSize) at = 0;
        }
      }
      pos += length;
    } else {
      const key = green - NUM_LITERALS - NUM_LENGTH_CODES;
      if (key >= cacheSize) throw malformed('colour cache index out of range');
      if (out && cache) {
        out[at] = cache[key];
      }
      if (out && ++at === ringSize) at = 0;
      pos++;
    }
    if (rows && pos >= nextRowEnd) emit();
  }
  if (log) {
    groups.forEach((group, g) => {
      if (!referenced[g]) {
        for (const span of unreferencedFree[g]) log.unreadCodes.push(span);
        return;
      }
      for (const code of group) if (!code.used && !code.empty) log.unreadCodes.push(code.span as [number, number]);
    });
  }
  return out;
}

/** One transform as read (3.3), with its data decoded (scanData). */
export interface Vp8lTransform {
  type: number;
  /** Size bits (predictor, cross-colour) or bundling bits (colour indexing). */
  bits: number;
  /** The image width this transform works on (before bundling, for colour indexing). */
  xsize: number;
  /** The transform image, or the colour table for colour indexing (still delta-coded, 3.3.4). */
  data: Uint32Array;
}

/** A VP8L image stream decoded to its coded values (scanData); the main image's rows went to a Vp8lRows. */
export interface Vp8lDecoded {
  transforms: Vp8lTransform[];
  /** The main image's width in coded values (after colour-index bundling). */
  xsize: number;
  log: Vp8lCodeLog;
  /** Bits of the final byte after the last code (libwebp's bit writer leaves them 0). */
  paddingSet: boolean;
  /** Length of the stream in bits. */
  bits: number;
}

/**
 * 3.8: transforms, then the main image, as they follow each other in an image stream; the width
 * the later parts see shrinks after a colour-indexing transform (3.3.4, pixel bundling).
 */
function readImageStream(r: BitReader, width: number, height: number, deep: Vp8lDecoded | null = null, rows: Vp8lRows | null = null): void {
  let xsize = width;
  const log = deep ? deep.log : null;
  const seen = new Set<number>();
  while (r.read(1) === 1) {
    const type = r.read(2);
    // 3.3: "each transform is allowed to be used only once".
    if (seen.has(type)) throw malformed('a transform used twice');
    seen.add(type);
    if (type === PREDICTOR || type === CROSS_COLOR) {
      const bits = r.read(3) + 2;
      const data = readImage(r, subsample(xsize, bits), subsample(height, bits), false, false, log);
      if (deep && data) deep.transforms.push({ type, bits, xsize, data });
    } else if (type === COLOR_INDEXING) {
      const colours = r.read(8) + 1;
      const data = readImage(r, colours, 1, false, false, log);
      const bits = colours > 16 ? 0 : colours > 4 ? 1 : colours > 2 ? 2 : 3;
      if (deep && data) deep.transforms.push({ type, bits, xsize, data });
      xsize = subsample(xsize, bits);
    } else if (type === SUBTRACT_GREEN) {
      if (deep) deep.transforms.push({ type, bits: 0, xsize, data: new Uint32Array(0) });
    } else {
      throw malformed('unknown transform');
    }
  }
  if (deep) deep.xsize = xsize;
  if (rows && deep) rows.start(deep.transforms, xsize);
  readImage(r, xsize, height, true, false, log, rows);
}

/**
 * WalkOptions.scanData: the image stream at `start` (after the 5-byte header for a VP8L chunk,
 * right at `start` for an ALPH payload) decoded to its coded values, the main image's rows
 * handed to `rows` (webp-vp8l-unused.ts) as they are decoded.
 */
export function decodeVp8lStream(bytes: Uint8Array, start: number, end: number, width: number, height: number, rows: Vp8lRows): Vp8lDecoded {
  const r = new BitReader(bytes, start, end);
  const deep: Vp8lDecoded = { transforms: [], xsize: width, bits: 0, log: { unreadCodes: [], unreferencedGroups: 0, entropyBits: 0, steps: 0 }, paddingSet: false };
  readImageStream(r, width, height, deep, rows);
  const spare = (8 - (r.consumed & 7)) & 7;
  if (spare > 0) deep.paddingSet = (bytes[start + (r.consumed >> 3)] >> (8 - spare)) !== 0;
  deep.bits = r.consumed;
  return deep;
}

/** What libwebp writes for a prefix code with no symbol: simple (1), one symbol (0), 1-bit (0), symbol 0. */
const EMPTY_CODE = 0b0001;
const EMPTY_CODE_BITS = 4;

/**
 * The image stream at `start` (`bits` long) with each of `spans` (prefix codes no symbol is read
 * with, in stream order) written as libwebp's empty code, and the bits after the last code 0.
 * The decoder reads those codes and never uses them, so every pixel stays the same; the other
 * bits are copied in order (RFC 9649 3.1: LSB-first).
 */
export function withEmptyCodes(bytes: Uint8Array, start: number, bits: number, spans: ReadonlyArray<readonly [number, number]>): Uint8Array {
  const kept = bits - spans.reduce((n, [a, b]) => n + (b - a) - EMPTY_CODE_BITS, 0);
  const out = new Uint8Array(Math.ceil(kept / 8));
  let at = 0;
  const put = (bit: number): void => {
    if (bit) out[at >> 3] |= 1 << (at & 7);
    at++;
  };
  let from = 0;
  const copy = (to: number): void => {
    for (let i = from; i < to; i++) put((bytes[start + (i >> 3)] >> (i & 7)) & 1);
  };
  for (const [a, b] of spans) {
    copy(a);
    for (let i = 0; i < EMPTY_CODE_BITS; i++) put((EMPTY_CODE >> i) & 1);
    from = b;
  }
  copy(bits);
  return out;
}

/** 3.2: the 5-byte header of a VP8L chunk. */
export function readVp8lHeader(bytes: Uint8Array, start: number, end: number): Vp8lHeader {
  if (end - start < 5 || bytes[start] !== VP8L_SIGNATURE) throw malformed('signature missing');
  const r = new BitReader(bytes, start + 1, end);
  const width = r.read(SIZE_BITS) + 1;
  const height = r.read(SIZE_BITS) + 1;
  const alphaUsed = r.read(1) === 1;
  if (r.read(VERSION_BITS) !== 0) throw malformed('version is not 0');
  return { width, height, alphaUsed };
}

/** Bytes a VP8L chunk's bitstream occupies from `start` (header included). */
export function vp8lExtent(bytes: Uint8Array, start: number, end: number): { header: Vp8lHeader; length: number } {
  const header = readVp8lHeader(bytes, start, end);
  const r = new BitReader(bytes, start + 1, end);
  r.skip(SIZE_BITS);
  r.skip(SIZE_BITS + 1 + VERSION_BITS);
  readImageStream(r, header.width, header.height);
  return { header, length: 1 + Math.ceil(r.consumed / 8) };
}

/**
 * Bytes a lossless-compressed ALPH payload occupies from `start` (RFC 9649 2.7.1.2: "a
 * headerless image-stream" of the frame's size, with the green channel holding alpha).
 */
export function alphaStreamExtent(bytes: Uint8Array, start: number, end: number, width: number, height: number): number {
  const r = new BitReader(bytes, start, end);
  readImageStream(r, width, height);
  return Math.ceil(r.consumed / 8);
}
