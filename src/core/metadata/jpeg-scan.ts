/**
 * Whether a sequential Huffman scan's entropy-coded data holds every MCU the frame needs (ITU T.81
 * Annex F.2.2, decoding of Huffman-coded DCT data; A.2 for the MCU layout; B.2.4.4 / F.2.2.5 for
 * restart intervals). Used for one question: a file that ends inside its last scan without EOI
 * is complete (the image is all there; libjpeg shows it and warns of the missing EOI) or cut off
 * (part of the picture is missing). Coefficients are decoded only as far as needed to walk the
 * codes; nothing is kept.
 */
import { u16be } from '../bytes';

const MARKER = 0xff;
const STUFFED_ZERO = 0x00;
const RST0 = 0xd0;
const RST7 = 0xd7;
const BLOCK = 8;
const COEFFICIENTS = 64;
const HUFFMAN_COUNTS = 16;
const ZRL = 0xf0;
const SEGMENT_HEADER = 4;

export interface FrameComponent {
  id: number;
  h: number;
  v: number;
}

export interface Frame {
  width: number;
  height: number;
  components: FrameComponent[];
}

/** A Huffman table as T.81 F.2.2.3 decodes it (MAXCODE, VALPTR, MINCODE per length). */
export interface HuffmanTable {
  maxCode: Int32Array;
  valPtr: Int32Array;
  minCode: Int32Array;
  values: Uint8Array;
  /**
   * DECODE's answer for every code of up to LOOKAHEAD bits, indexed by the next LOOKAHEAD bits:
   * (length << 8) | value, or 0 where the code is longer (decoded bit by bit, as F.2.2.3 does).
   * The same question, asked once per table instead of once per bit of every code.
   */
  lookahead: Uint16Array;
  /**
   * A whole DC difference as one step, by the next LOOKAHEAD bits: the code's length plus the
   * RECEIVE count it names (F.2.2.1; the walk never needs the value, only how many bits it
   * takes), or 0 where the code is longer than LOOKAHEAD.
   */
  dcSkip: Uint16Array;
  /**
   * A whole AC coefficient as one step (F.2.2.2): bits taken (code + RECEIVE, AC_BITS), how far
   * K moves (RS's run + 1, or 16 for ZRL; AC_ADVANCE) and whether the code ends the block
   * (AC_END: EOB, or any other RS with S = 0 but ZRL, which skipBlock also ends on). 0 where the
   * code is longer than LOOKAHEAD.
   */
  acSkip: Uint16Array;
}

const LOOKAHEAD = 11;
const LOOKAHEAD_MASK = (1 << LOOKAHEAD) - 1;
/** acSkip's fields: bits taken (at most 11 + 15), K's advance (at most 16), end of block. */
const AC_BITS = 31;
const AC_ADVANCE_SHIFT = 5;
const AC_ADVANCE = 31;
const AC_END = 1 << 10;
/** fill() loads while at most 24 bits are held: below this, a load can add bits. */
const FULL = 25;

/** T.81 C.2 (Figures C.1-C.3) and F.2.2.3: code tables from BITS and HUFFVAL. */
export function buildHuffman(bytes: Uint8Array, at: number): { table: HuffmanTable; end: number } {
  const counts = bytes.subarray(at, at + HUFFMAN_COUNTS);
  let total = 0;
  for (const c of counts) total += c;
  const values = bytes.slice(at + HUFFMAN_COUNTS, at + HUFFMAN_COUNTS + total);
  const maxCode = new Int32Array(HUFFMAN_COUNTS + 2).fill(-1);
  const valPtr = new Int32Array(HUFFMAN_COUNTS + 2);
  const minCode = new Int32Array(HUFFMAN_COUNTS + 2);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= HUFFMAN_COUNTS; len++) {
    const n = counts[len - 1];
    if (n > 0) {
      valPtr[len] = k;
      minCode[len] = code;
      code += n;
      k += n;
      maxCode[len] = code - 1;
    }
    code <<= 1;
  }
  // DECODE takes, for given next bits, the first length whose prefix is <= MAXCODE there. The
  // prefixes of `len` bits that are, as LOOKAHEAD-bit patterns, are [0, (MAXCODE + 1) << rest):
  // so the patterns each length decides are one run after those shorter lengths decided.
  const lookahead = new Uint16Array(1 << LOOKAHEAD);
  let decided = 0;
  for (let len = 1; len <= LOOKAHEAD; len++) {
    const rest = LOOKAHEAD - len;
    const upTo = (Math.min(maxCode[len], (1 << len) - 1) + 1) << rest;
    for (let bits = decided; bits < upTo; bits++) {
      const c = bits >>> rest;
      lookahead[bits] = (len << 8) | (values[valPtr[len] + c - minCode[len]] ?? 0);
    }
    decided = Math.max(decided, upTo);
  }
  const dcSkip = new Uint16Array(1 << LOOKAHEAD);
  const acSkip = new Uint16Array(1 << LOOKAHEAD);
  for (let bits = 0; bits <= LOOKAHEAD_MASK; bits++) {
    const hit = lookahead[bits];
    if (hit === 0) continue;
    const length = hit >> 8;
    const value = hit & 0xff;
    dcSkip[bits] = length + value;
    const s = value & 15;
    if (s !== 0) acSkip[bits] = (length + s) | (((value >> 4) + 1) << AC_ADVANCE_SHIFT);
    else acSkip[bits] = value === ZRL ? length | (16 << AC_ADVANCE_SHIFT) : length | AC_END;
  }
  return { table: { maxCode, valPtr, minCode, values, lookahead, dcSkip, acSkip }, end: at + HUFFMAN_COUNTS + total };
}

/**
 * Entropy-coded bits: FF 00 is a data FF; any other marker (or the end) supplies no more bits.
 * Up to 32 bits are held ahead in `acc` (its low `n` bits), so a code is looked up in one step;
 * `starts` remembers where the last four bytes loaded began in the file, to say where the bytes
 * read so far end.
 */
export class ScanBits {
  private acc = 0;
  private n = 0;
  private readonly starts = new Int32Array(4);
  private loaded = 0;
  /** A bit was asked for that the data does not hold. */
  exhausted = false;
  /** Bytes skipped before an RSTn marker that are not 0xFF fill: [start, end) each. */
  readonly skipped: Array<[number, number]> = [];

  constructor(private readonly bytes: Uint8Array, private pos: number, private readonly end: number) {}

  /** The size of the whole file the bits are read from. */
  get length(): number {
    return this.bytes.length;
  }

  /** Where the bytes read so far end (the byte holding the last bit read counts whole). */
  position(): number {
    const unread = this.n >> 3;
    return unread === 0 ? this.pos : this.starts[(this.loaded - unread) & 3];
  }

  /** Loads whole bytes while at most 24 bits are held (so `acc` never holds more than 32). */
  private fill(): void {
    while (this.n <= 24) {
      const at = this.pos;
      if (at >= this.end) return;
      const b = this.bytes[at];
      if (b === MARKER) {
        if (at + 1 >= this.end || this.bytes[at + 1] !== STUFFED_ZERO) return;
        this.pos = at + 2;
      } else {
        this.pos = at + 1;
      }
      this.starts[this.loaded & 3] = at;
      this.loaded++;
      this.acc = (this.acc << 8) | b;
      this.n += 8;
    }
  }

  read(): number {
    if (this.n === 0) {
      this.fill();
      if (this.n === 0) {
        this.exhausted = true;
        return 0;
      }
    }
    this.n--;
    return (this.acc >>> this.n) & 1;
  }

  /** F.2.2.1 RECEIVE with its value: the next `count` (at most 16) bits as an unsigned number. */
  bits(count: number): number {
    let v = 0;
    for (let i = 0; i < count; i++) v = (v << 1) | this.read();
    return v;
  }

  /** F.2.2.1 RECEIVE, value unused: `count` bits passed over. */
  receive(count: number): void {
    let left = count;
    while (left > this.n) {
      left -= this.n;
      this.n = 0;
      this.fill();
      if (this.n === 0) {
        this.exhausted = true;
        return;
      }
    }
    this.n -= left;
  }

  /** T.81 F.2.2.3 DECODE: by the table's lookahead, else bit by bit. */
  decode(t: HuffmanTable): number {
    if (this.n < LOOKAHEAD) this.fill();
    if (this.n >= LOOKAHEAD) {
      const hit = t.lookahead[(this.acc >>> (this.n - LOOKAHEAD)) & LOOKAHEAD_MASK];
      if (hit !== 0) {
        this.n -= hit >> 8;
        return hit & 0xff;
      }
    }
    let code = this.read();
    for (let len = 1; len <= HUFFMAN_COUNTS; len++) {
      if (t.maxCode[len] >= code && t.maxCode[len] >= 0) return t.values[t.valPtr[len] + code - t.minCode[len]] ?? 0;
      code = (code << 1) | this.read();
      if (this.exhausted) return 0;
    }
    return 0;
  }

  /**
   * F.2.2.5 / B.2.4.4: at the end of a restart interval, skip to and over its RSTn marker. With
   * `expected` (0..7), any other RSTn fails: libjpeg resynchronises on a wrong number
   * (jpeg_resync_to_restart), decoding MCUs from other bits than this walk would.
   */
  restart(expected?: number): boolean {
    const from = this.position();
    this.pos = from;
    this.n = 0;
    this.acc = 0;
    while (this.pos + 1 < this.end) {
      if (this.bytes[this.pos] === MARKER && this.bytes[this.pos + 1] >= RST0 && this.bytes[this.pos + 1] <= RST7) {
        if (expected !== undefined && this.bytes[this.pos + 1] !== RST0 + expected) return false;
        // libjpeg skips such bytes with "extraneous bytes before marker" and decodes on: they
        // are read by nothing. 0xFF fill before a marker is allowed (T.81 B.1.1.2).
        if (this.bytes.subarray(from, this.pos).some((b) => b !== MARKER)) this.skipped.push([from, this.pos]);
        this.pos += 2;
        return true;
      }
      if (this.bytes[this.pos] === MARKER && this.bytes[this.pos + 1] !== STUFFED_ZERO && this.bytes[this.pos + 1] !== MARKER) return false;
      this.pos++;
    }
    return false;
  }

  /**
   * F.2.2.1 / F.2.2.2: one 8x8 block's DC difference and AC coefficients. Each code and the bits
   * it receives are taken in one step by the tables' dcSkip/acSkip when all of them are held;
   * otherwise (a longer code, the end of the data near) by DECODE and RECEIVE, as T.81 reads
   * them. Both ways take the same bits (the test holds this walk to T.81's bit-by-bit reading).
   */
  skipBlock(dc: HuffmanTable, ac: HuffmanTable): void {
    // The bit state in locals for the common path (V8 keeps them in registers); written back
    // before DECODE/RECEIVE take over and when the block ends.
    const { bytes, end, starts } = this;
    let { acc, n, pos, loaded } = this;
    const acSkip = ac.acSkip;
    for (let k = 0; k < COEFFICIENTS; ) {
      if (n < FULL) {
        // fill(), inline: whole bytes while at most 24 bits are held; FF 00 is a data FF, any
        // other marker (or the end) supplies no more bits.
        while (n <= 24 && pos < end) {
          const b = bytes[pos];
          if (b === MARKER) {
            if (pos + 1 >= end || bytes[pos + 1] !== STUFFED_ZERO) break;
            starts[loaded & 3] = pos;
            pos += 2;
          } else {
            starts[loaded & 3] = pos;
            pos++;
          }
          loaded++;
          acc = (acc << 8) | b;
          n += 8;
        }
      }
      const step = n < LOOKAHEAD ? 0 : (k === 0 ? dc.dcSkip : acSkip)[(acc >>> (n - LOOKAHEAD)) & LOOKAHEAD_MASK];
      const take = k === 0 ? step : step & AC_BITS;
      if (step !== 0 && take <= n) {
        n -= take;
        if (k === 0) k = 1;
        else if ((step & AC_END) !== 0) break;
        else k += (step >> AC_ADVANCE_SHIFT) & AC_ADVANCE;
        continue;
      }
      this.acc = acc;
      this.n = n;
      this.pos = pos;
      this.loaded = loaded;
      if (k === 0) {
        this.receive(this.decode(dc));
        k = 1;
      } else {
        const rs = this.decode(ac);
        const r = rs >> 4;
        const s = rs & 15;
        if (s === 0) {
          if (rs !== ZRL) return;
          k += 16;
        } else {
          k += r;
          this.receive(s);
          k++;
        }
      }
      if (this.exhausted) return;
      ({ acc, n, pos, loaded } = this);
    }
    this.acc = acc;
    this.n = n;
    this.pos = pos;
    this.loaded = loaded;
  }
}

export interface ScanComponent {
  id: number;
  dc: HuffmanTable;
  ac: HuffmanTable;
}

/**
 * Whether the entropy-coded data from `start` to `end` decodes every MCU of a sequential
 * Huffman scan over `scan` components of `frame` (A.2.2 non-interleaved, A.2.3 interleaved),
 * with `restartInterval` MCUs between RSTn markers (0: none).
 */
export function sequentialScanComplete(bytes: Uint8Array, start: number, end: number, frame: Frame, scan: readonly ScanComponent[], restartInterval: number): boolean {
  return sequentialScanExtent(bytes, start, end, frame, scan, restartInterval) !== null;
}

/**
 * Where the entropy-coded data of a complete sequential Huffman scan ends (`end`: after the byte
 * holding the last bit of the last MCU; T.81 F.1.2.3 pads that byte with 1-bits), and the bytes
 * before each RSTn that no MCU uses (`slack`). Null when the data does not hold every MCU.
 */
export function sequentialScanExtent(bytes: Uint8Array, start: number, end: number, frame: Frame, scan: readonly ScanComponent[], restartInterval: number): { end: number; slack: Array<[number, number]> } | null {
  const hMax = Math.max(...frame.components.map((c) => c.h));
  const vMax = Math.max(...frame.components.map((c) => c.v));
  const layout = scan.map((s) => {
    const c = frame.components.find((f) => f.id === s.id);
    return { ...s, h: c?.h ?? 1, v: c?.v ?? 1 };
  });
  let mcus: number;
  let blocksPerMcu: Array<{ dc: HuffmanTable; ac: HuffmanTable }>;
  if (layout.length === 1) {
    // A.2.2: a non-interleaved scan codes each block of the component as one MCU.
    const c = layout[0];
    const w = Math.ceil(Math.ceil((frame.width * c.h) / hMax) / BLOCK);
    const h = Math.ceil(Math.ceil((frame.height * c.v) / vMax) / BLOCK);
    mcus = w * h;
    blocksPerMcu = [{ dc: c.dc, ac: c.ac }];
  } else {
    mcus = Math.ceil(frame.width / (BLOCK * hMax)) * Math.ceil(frame.height / (BLOCK * vMax));
    blocksPerMcu = layout.flatMap((c) => Array.from({ length: c.h * c.v }, () => ({ dc: c.dc, ac: c.ac })));
  }
  const bits = new ScanBits(bytes, start, end);
  for (let m = 0; m < mcus; m++) {
    if (restartInterval > 0 && m > 0 && m % restartInterval === 0 && !bits.restart()) return null;
    for (const b of blocksPerMcu) bits.skipBlock(b.dc, b.ac);
    if (bits.exhausted) return null;
  }
  return { end: bits.position(), slack: bits.skipped };
}

/** T.81 B.2.2: the frame header's size and components. */
export function readFrame(bytes: Uint8Array, offset: number): Frame {
  const p = offset + SEGMENT_HEADER;
  const height = u16be(bytes, p + 1);
  const width = u16be(bytes, p + 3);
  const n = bytes[p + 5];
  const components: FrameComponent[] = [];
  for (let i = 0; i < n; i++) {
    const c = p + 6 + 3 * i;
    components.push({ id: bytes[c], h: Math.max(1, bytes[c + 1] >> 4), v: Math.max(1, bytes[c + 1] & 15) });
  }
  return { width, height, components };
}
