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
const RST_CYCLE = 8;
/** SOF0: codes from here on name real markers; below (02..BF) libjpeg finds none it knows. */
const FIRST_MARKER_CODE = 0xc0;

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
   * A whole DC difference as one step, by the next LOOKAHEAD bits, in acSkip's form: the code's
   * length plus the RECEIVE count it names (F.2.2.1; the walk never needs the value, only how
   * many bits it takes) and K moving to 1. 0 where the code is longer than LOOKAHEAD or names a
   * category past 15.
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
    // In acSkip's form (K moves by 1); a DC category past 15 is no 8- or 12-bit image's (F.1.2.1)
    // and is left to DECODE and RECEIVE.
    if (length + value <= AC_BITS) dcSkip[bits] = (length + value) | (1 << AC_ADVANCE_SHIFT);
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
        // libjpeg (jdhuff.c jpeg_fill_bit_buffer) swallows a run of 0xFF before the code: FF
        // FF 00 is a data FF as FF 00 is; any other code is a marker, where the bits stop.
        let code = at + 1;
        while (code < this.end && this.bytes[code] === MARKER) code++;
        if (code >= this.end || this.bytes[code] !== STUFFED_ZERO) return;
        this.pos = code + 1;
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
   * The next marker from `from`, as libjpeg's next_marker() finds one (jdmarker.c): bytes other
   * than 0xFF and FF 00 pairs passed over, a run of 0xFF as fill (T.81 B.1.1.2). Returns the
   * offset of the FF right before its code, or `end` when the data ends first: the data ends at
   * a marker that is no RSTn (a frame or scan segment, EOI) or at the end of the file, which
   * libjpeg reads as EOI.
   */
  private markerFrom(from: number): number {
    let i = from;
    while (i < this.end) {
      if (this.bytes[i] !== MARKER) {
        i++;
        continue;
      }
      let code = i + 1;
      while (code < this.end && this.bytes[code] === MARKER) code++;
      if (code >= this.end) return this.end;
      if (this.bytes[code] !== STUFFED_ZERO) return code - 1;
      i = code + 1;
    }
    return this.end;
  }

  /**
   * F.2.2.5 / B.2.4.4 at the end of restart interval `expected` (0..7 in turn), on any data, as
   * libjpeg carries it out (jdhuff.c process_restart, jdmarker.c read_restart_marker and
   * jpeg_resync_to_restart), since a walk that disagreed would cut bytes libjpeg decodes: the
   * expected RSTn is taken; another RSTn is taken too when it is not one of the two before or
   * after; one of the next two is left in place (the interval decodes from no data, and the
   * marker is judged again at the next restart); one of the two before, or a marker code that
   * names no marker (02..BF), is passed over to the next marker; the marker ending the data is
   * left in place for good. Bytes passed over, if not only 0xFF fill, go to `skipped`. Returns
   * whether the first RSTn found was the expected one, and taken.
   */
  resync(expected: number): boolean {
    const from = this.position();
    this.n = 0;
    this.acc = 0;
    this.exhausted = false;
    let at = this.markerFrom(from);
    let passedRst = false;
    for (;;) {
      const code = at < this.end ? this.bytes[at + 1] : 0;
      const isRstCode = code >= RST0 && code <= RST7;
      const ahead = (code - RST0 - expected + RST_CYCLE) % RST_CYCLE;
      // jpeg_resync_to_restart: 1 take it, 2 pass over it, 3 leave it.
      const action = at >= this.end || (!isRstCode && code >= FIRST_MARKER_CODE) || (isRstCode && (ahead === 1 || ahead === 2))
        ? 3
        : !isRstCode || ahead === RST_CYCLE - 1 || ahead === RST_CYCLE - 2 ? 2 : 1;
      if (action === 2) {
        passedRst ||= isRstCode;
        at = this.markerFrom(at + 2);
        continue;
      }
      if (this.bytes.subarray(from, at).some((b) => b !== MARKER)) this.skipped.push([from, at]);
      this.pos = action === 1 ? at + 2 : at;
      return action === 1 && ahead === 0 && !passedRst;
    }
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
    let table = dc.dcSkip;
    for (let k = 0; k < COEFFICIENTS; ) {
      if (n < FULL) {
        // fill(), inline for plain bytes and FF 00 (a data FF); fill() itself takes anything
        // else at a 0xFF (fill bytes, a marker), so those rules live in one place.
        while (n <= 24 && pos < end) {
          const b = bytes[pos];
          if (b === MARKER) {
            if (pos + 1 >= end || bytes[pos + 1] !== STUFFED_ZERO) {
              this.acc = acc;
              this.n = n;
              this.pos = pos;
              this.loaded = loaded;
              this.fill();
              ({ acc, n, pos, loaded } = this);
              break;
            }
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
      const step = n < LOOKAHEAD ? 0 : table[(acc >>> (n - LOOKAHEAD)) & LOOKAHEAD_MASK];
      const take = step & AC_BITS;
      if (step !== 0 && take <= n) {
        n -= take;
        if ((step & AC_END) !== 0) break;
        k += (step >> AC_ADVANCE_SHIFT) & AC_ADVANCE;
        table = acSkip;
        continue;
      }
      this.acc = acc;
      this.n = n;
      this.pos = pos;
      this.loaded = loaded;
      if (k === 0) {
        this.receive(this.decode(dc));
        k = 1;
        table = acSkip;
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
  const walked = walkSequentialScan(bytes, start, end, frame, scan, restartInterval);
  return walked.complete ? { end: walked.end, slack: walked.slack } : null;
}

/**
 * The bytes of a sequential Huffman scan's data that MCUs use, also in damaged data, as libjpeg
 * decodes it: data that stops at a marker before an interval's last MCU is read up to that
 * marker (the MCUs left get zero coefficients), and misplaced or missing restart markers are
 * resynchronised to as jpeg_resync_to_restart does (ScanBits.resync). Always an answer.
 */
export function sequentialScanUse(bytes: Uint8Array, start: number, end: number, frame: Frame, scan: readonly ScanComponent[], restartInterval: number): { end: number; slack: Array<[number, number]> } {
  const walked = walkSequentialScan(bytes, start, end, frame, scan, restartInterval);
  return { end: walked.end, slack: walked.slack };
}

/** Both of the above: `complete` when every MCU was decoded from the data. */
function walkSequentialScan(bytes: Uint8Array, start: number, end: number, frame: Frame, scan: readonly ScanComponent[], restartInterval: number): { end: number; slack: Array<[number, number]>; complete: boolean } {
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
  let complete = true;
  for (let m = 0; m < mcus; m++) {
    if (restartInterval > 0 && m > 0 && m % restartInterval === 0) {
      // B.2.4.4: RST0..RST7 in turn; on anything else libjpeg resynchronises (ScanBits.resync).
      if (!bits.resync((m / restartInterval - 1) % RST_CYCLE)) complete = false;
      // Left at the marker that ends the data: every interval after decodes from no data.
      if (bits.position() >= end) break;
    }
    for (const b of blocksPerMcu) bits.skipBlock(b.dc, b.ac);
    if (bits.exhausted) {
      // Data that stops at a marker before the interval's (or scan's) last MCU: libjpeg gives
      // the MCUs left zero coefficients and reads nothing more until the restart (jdhuff.c
      // decode_mcu, insufficient_data), and warns "premature end of data segment".
      complete = false;
      if (restartInterval === 0) break;
      m += restartInterval - 1 - (m % restartInterval);
    }
  }
  return { end: bits.position(), slack: bits.skipped, complete };
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
