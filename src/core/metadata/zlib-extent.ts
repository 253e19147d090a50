/**
 * Where a zlib stream (RFC 1950) ends and how many bytes it inflates to, without keeping the
 * output: a DEFLATE (RFC 1951) decoder that only counts. PNG needs both answers to see bytes
 * hidden in IDAT/fdAT after the end of the compressed image (decoders stop at the final block
 * and never look at them) or extra scanlines beyond what IHDR describes.
 *
 * fflate (installed) inflates well but does not say where a stream ends through its public
 * API, and keeping 70+ MB of output for a 24 MP image only to count it would be waste; decoding
 * the codes is all that is needed here. Tables are flat (one lookup per symbol, 2^maxLen
 * entries), which keeps a large PNG to a fraction of a second.
 */
import { DeidError } from '../errors';
import { AdlerOfInflated } from './zlib-adler';

export interface ZlibExtent {
  /** Bytes of the input the stream occupies: header, DEFLATE blocks, Adler-32. */
  end: number;
  /** Inflated size, or the first count above `limit` when the walk stopped there. */
  inflated: number;
  /** True when inflation passed `limit` and the walk stopped early (end is then unknown: -1). */
  overLimit: boolean;
  /**
   * Bits inside the stream that no inflater reads or that make no output, where a writer can put
   * anything without changing a decoded byte; null when there are none (see zlibExtent).
   */
  hidden: string | null;
}

/** RFC 1950 2.2: CM 8 is deflate, CINFO at most 7 (32 KiB window), FDICT is bit 5 of FLG. */
const CM_DEFLATE = 8;
const MAX_CINFO = 7;
const FLG_FDICT = 0x20;
const HEADER_CHECK_DIVISOR = 31;
const ADLER_SIZE = 4;

/** RFC 1951 3.2.5 (length and distance codes) and 3.2.7 (code length alphabet order). */
const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
const END_OF_BLOCK = 256;
const FIRST_LENGTH_CODE = 257;
const MAX_CODE_BITS = 15;
const BTYPE_STORED = 0;
const BTYPE_FIXED = 1;
const BTYPE_DYNAMIC = 2;

/** A flat decoding table: entry = symbol << 4 | code length, 0 where no code maps. */
interface Table {
  entries: Int32Array;
  bits: number;
}

function malformed(what: string): DeidError {
  return new DeidError('malformed', `zlib stream: ${what}`);
}

/** Canonical Huffman codes from code lengths (RFC 1951 3.2.2); over-subscribed sets are refused. */
function buildTable(lengths: ArrayLike<number>): Table {
  let bits = 1;
  const count = new Array<number>(MAX_CODE_BITS + 1).fill(0);
  for (let s = 0; s < lengths.length; s++) {
    count[lengths[s]]++;
    if (lengths[s] > bits) bits = lengths[s];
  }
  count[0] = 0;
  const next = new Array<number>(MAX_CODE_BITS + 2).fill(0);
  for (let len = 1, code = 0; len <= MAX_CODE_BITS; len++) {
    code = (code + count[len - 1]) << 1;
    next[len] = code;
    if (code + count[len] > 1 << len) throw malformed('over-subscribed Huffman code');
  }
  const size = 1 << bits;
  const entries = new Int32Array(size);
  for (let s = 0; s < lengths.length; s++) {
    const len = lengths[s];
    if (len === 0) continue;
    let code = next[len]++;
    let reversed = 0;
    for (let i = 0; i < len; i++, code >>>= 1) reversed = (reversed << 1) | (code & 1);
    for (let i = reversed; i < size; i += 1 << len) entries[i] = (s << 4) | len;
  }
  return { entries, bits };
}

let fixed: { lit: Table; dist: Table } | null = null;

/** RFC 1951 3.2.6: the fixed codes. */
function fixedTables(): { lit: Table; dist: Table } {
  if (!fixed) {
    const lit = new Array<number>(288);
    for (let s = 0; s < 288; s++) lit[s] = s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8;
    fixed = { lit: buildTable(lit), dist: buildTable(new Array<number>(32).fill(5)) };
  }
  return fixed;
}

/** LSB-first bits over a list of byte segments (PNG splits one stream over many chunks). */
class BitReader {
  private seg = 0;
  private pos = 0;
  /** Bytes taken from the segments so far. */
  taken = 0;
  buf = 0;
  count = 0;

  constructor(private readonly segments: readonly Uint8Array[]) {}

  /** The next byte, or -1 at the end of the input. */
  private nextByte(): number {
    const segs = this.segments;
    while (this.seg < segs.length && this.pos >= segs[this.seg].length) {
      this.seg++;
      this.pos = 0;
    }
    if (this.seg >= segs.length) return -1;
    this.taken++;
    return segs[this.seg][this.pos++];
  }

  /** Tops the buffer up to `n` bits when the input allows (a short buffer near the end is fine). */
  fill(n: number): void {
    while (this.count < n) {
      const b = this.nextByte();
      if (b < 0) return;
      this.buf |= b << this.count;
      this.count += 8;
    }
  }

  bits(n: number): number {
    if (n === 0) return 0;
    this.fill(n);
    if (this.count < n) throw new DeidError('truncated', 'zlib stream: ends inside a block');
    const v = this.buf & ((1 << n) - 1);
    this.buf >>>= n;
    this.count -= n;
    return v;
  }

  decode(t: Table): number {
    this.fill(t.bits);
    const e = t.entries[this.buf & ((1 << t.bits) - 1)];
    const len = e & 15;
    if (e === 0) {
      if (this.count < t.bits) throw new DeidError('truncated', 'zlib stream: ends inside a block');
      throw malformed('invalid Huffman code');
    }
    if (len > this.count) throw new DeidError('truncated', 'zlib stream: ends inside a block');
    this.buf >>>= len;
    this.count -= len;
    return e >>> 4;
  }

  /**
   * Drops the bits up to the next byte boundary (RFC 1951 3.2.4, stored blocks and the end of
   * the final block); returns false when any of them is set (inflaters ignore their values).
   */
  align(): boolean {
    const drop = this.count & 7;
    const zero = (this.buf & ((1 << drop) - 1)) === 0;
    this.buf >>>= drop;
    this.count -= drop;
    return zero;
  }

  /**
   * Skips `n` whole bytes after align(): first those already buffered, then the input; each
   * piece skipped is handed to `out` when given (a stored block's bytes, RFC 1951 3.2.4).
   */
  skip(n: number, out?: (bytes: Uint8Array) => void): void {
    while (n > 0 && this.count > 0) {
      if (out) out(Uint8Array.of(this.buf & 0xff));
      this.buf >>>= 8;
      this.count -= 8;
      n--;
    }
    const segs = this.segments;
    while (n > 0) {
      if (this.seg >= segs.length) throw new DeidError('truncated', 'zlib stream: ends inside a stored block');
      const step = Math.min(n, segs[this.seg].length - this.pos);
      if (out) out(segs[this.seg].subarray(this.pos, this.pos + step));
      this.pos += step;
      this.taken += step;
      n -= step;
      if (this.pos >= segs[this.seg].length) {
        this.seg++;
        this.pos = 0;
      }
    }
  }

  /** Bytes consumed up to the current (byte-aligned) position. */
  position(): number {
    return this.taken - (this.count >>> 3);
  }
}

/** RFC 1951 3.2.7: the two code length sets of a dynamic block. */
function readDynamicTables(r: BitReader): { lit: Table; dist: Table } {
  const nlit = r.bits(5) + FIRST_LENGTH_CODE;
  const ndist = r.bits(5) + 1;
  const nclen = r.bits(4) + 4;
  const clen = new Array<number>(19).fill(0);
  for (let i = 0; i < nclen; i++) clen[CODE_LENGTH_ORDER[i]] = r.bits(3);
  const clTable = buildTable(clen);
  const lengths = new Array<number>(nlit + ndist).fill(0);
  for (let i = 0; i < lengths.length; ) {
    const sym = r.decode(clTable);
    if (sym < 16) {
      lengths[i++] = sym;
      continue;
    }
    let repeat: number;
    let value = 0;
    if (sym === 16) {
      if (i === 0) throw malformed('repeat with no previous length');
      value = lengths[i - 1];
      repeat = 3 + r.bits(2);
    } else if (sym === 17) repeat = 3 + r.bits(3);
    else repeat = 11 + r.bits(7);
    if (i + repeat > lengths.length) throw malformed('code lengths overflow');
    while (repeat-- > 0) lengths[i++] = value;
  }
  if (lengths[END_OF_BLOCK] === 0) throw malformed('no end-of-block code');
  return { lit: buildTable(lengths.slice(0, nlit)), dist: buildTable(lengths.slice(nlit)) };
}

/**
 * Walks one zlib stream spread over `segments`. Throws DeidError('malformed') for a stream a
 * decoder would reject and DeidError('truncated') when the input ends before the stream does.
 * Stops early (overLimit) once more than `limit` bytes would come out: the caller already knows
 * the data is wrong then, and a deflate bomb costs no more than the limit. `adler`, when given,
 * is told every literal, match and stored byte (zlibChecksums).
 */
export function zlibExtent(segments: readonly Uint8Array[], limit = Number.MAX_SAFE_INTEGER, adler?: AdlerOfInflated): ZlibExtent {
  const r = new BitReader(segments);
  const cmf = r.bits(8);
  const flg = r.bits(8);
  if ((cmf & 15) !== CM_DEFLATE || cmf >>> 4 > MAX_CINFO || ((cmf << 8) | flg) % HEADER_CHECK_DIVISOR !== 0) throw malformed('bad header');
  if (flg & FLG_FDICT) throw malformed('preset dictionary');
  let inflated = 0;
  let final = 0;
  let setPadding = 0;
  let emptyDynamic = 0;
  do {
    final = r.bits(1);
    const type = r.bits(2);
    const before = inflated;
    if (type === BTYPE_STORED) {
      if (!r.align()) setPadding++;
      const len = r.bits(16);
      const nlen = r.bits(16);
      if ((len ^ 0xffff) !== nlen) throw malformed('stored block length check');
      r.skip(len, adler ? (bytes) => adler.bytes(bytes) : undefined);
      inflated += len;
    } else if (type === BTYPE_FIXED || type === BTYPE_DYNAMIC) {
      const { lit, dist } = type === BTYPE_FIXED ? fixedTables() : readDynamicTables(r);
      for (;;) {
        const sym = r.decode(lit);
        if (sym < END_OF_BLOCK) {
          inflated++;
          if (adler) adler.literal(sym);
        } else if (sym === END_OF_BLOCK) {
          break;
        } else {
          const li = sym - FIRST_LENGTH_CODE;
          if (li >= LENGTH_BASE.length) throw malformed('invalid length code');
          const length = LENGTH_BASE[li] + r.bits(LENGTH_EXTRA[li]);
          const di = r.decode(dist);
          if (di >= DIST_BASE.length) throw malformed('invalid distance code');
          const distance = DIST_BASE[di] + r.bits(DIST_EXTRA[di]);
          if (distance > inflated) throw malformed('distance too far back');
          inflated += length;
          if (adler) adler.match(length, distance);
        }
        if (inflated > limit) return { end: -1, inflated, overLimit: true, hidden: null };
      }
      // A dynamic block that makes no output is only its code tables: free bits (zlib's flushes
      // write empty stored or fixed blocks, which hold none).
      if (type === BTYPE_DYNAMIC && inflated === before) emptyDynamic++;
    } else {
      throw malformed('reserved block type');
    }
    if (inflated > limit) return { end: -1, inflated, overLimit: true, hidden: null };
  } while (!final);
  if (!r.align()) setPadding++;
  const end = r.position() + ADLER_SIZE;
  const total = segments.reduce((n, s) => n + s.length, 0);
  if (end > total) throw new DeidError('truncated', 'zlib stream: Adler-32 cut off');
  const hidden: string[] = [];
  // RFC 1951 3.2.4: the bits up to a byte boundary before a stored block's LEN, and after the
  // final block, are skipped by inflaters; zlib writes them as 0.
  if (setPadding > 0) hidden.push(`${setPadding} byte-boundary padding(s) with bits set`);
  if (emptyDynamic > 0) hidden.push(`${emptyDynamic} Huffman-coded block(s) that inflate to nothing`);
  return { end, inflated, overLimit: false, hidden: hidden.length > 0 ? hidden.join(', ') : null };
}

/**
 * The Adler-32 a zlib stream stores (its last 4 bytes, big-endian, RFC 1950 2.2) and the one its
 * inflated data has. `stream` is exactly one zlib stream (zlibExtent's `end` bytes), already
 * walked by zlibExtent, so it is known to inflate. Computed from the stream's symbols
 * (zlib-adler.ts): nothing the size of the image is kept, and a run of repeated bytes costs its
 * period; `summed` is how many bytes were added one at a time.
 */
export function zlibChecksums(stream: Uint8Array): { stored: number; computed: number; summed: number } {
  const adler = new AdlerOfInflated();
  zlibExtent([stream], Number.MAX_SAFE_INTEGER, adler);
  const s = stream.length - ADLER_SIZE;
  const stored = ((stream[s] << 24) | (stream[s + 1] << 16) | (stream[s + 2] << 8) | stream[s + 3]) >>> 0;
  return { stored, computed: adler.value(), summed: adler.summed };
}
