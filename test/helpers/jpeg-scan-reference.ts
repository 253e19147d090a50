/**
 * The sequential scan walker as T.81 writes it, one bit at a time (F.2.2.3 DECODE, F.2.2.1
 * RECEIVE, F.2.2.5 / B.2.4.4 restart): the oracle core's lookahead walker (jpeg-scan.ts) is held
 * to. Slow on purpose; nothing in src uses it.
 */
import type { Frame, HuffmanTable, ScanComponent } from '../../src/core/metadata/jpeg-scan';

const MARKER = 0xff;
const STUFFED_ZERO = 0x00;
const RST0 = 0xd0;
const RST7 = 0xd7;
const BLOCK = 8;
const COEFFICIENTS = 64;
const HUFFMAN_COUNTS = 16;
const ZRL = 0xf0;

/** Entropy-coded bits: FF 00 is a data FF; any other marker (or the end) supplies no more bits. */
class ScanBits {
  private bit = 0;
  private current = 0;
  /** A bit was asked for that the data does not hold. */
  exhausted = false;
  /** Bytes skipped before an RSTn marker that are not 0xFF fill: [start, end) each. */
  readonly skipped: Array<[number, number]> = [];

  /** Where the bytes read so far end (the byte holding the last bit read counts whole). */
  position(): number {
    return this.pos;
  }

  constructor(private readonly bytes: Uint8Array, private pos: number, private readonly end: number) {}

  private nextByte(): boolean {
    if (this.pos >= this.end) return false;
    const b = this.bytes[this.pos];
    if (b === MARKER) {
      // libjpeg's jpeg_fill_bit_buffer: a run of FF then 00 is one data FF; any other code stops.
      let code = this.pos + 1;
      while (code < this.end && this.bytes[code] === MARKER) code++;
      if (code >= this.end || this.bytes[code] !== STUFFED_ZERO) return false;
      this.pos = code + 1;
    } else {
      this.pos += 1;
    }
    this.current = b;
    this.bit = 8;
    return true;
  }

  read(): number {
    if (this.bit === 0 && !this.nextByte()) {
      this.exhausted = true;
      return 0;
    }
    this.bit--;
    return (this.current >> this.bit) & 1;
  }

  receive(n: number): void {
    for (let i = 0; i < n; i++) this.read();
  }

  /**
   * F.2.2.5 / B.2.4.4: at the end of restart interval `expected` (0..7), skip to and over its
   * RSTn marker, passing over codes that name no marker (02..BF) as libjpeg's next_marker does;
   * false at another RSTn or marker.
   */
  restart(expected: number): boolean {
    this.bit = 0;
    const from = this.pos;
    while (this.pos + 1 < this.end) {
      if (this.bytes[this.pos] === MARKER && this.bytes[this.pos + 1] > 0x01 && this.bytes[this.pos + 1] < 0xc0) {
        this.pos += 2;
        continue;
      }
      if (this.bytes[this.pos] === MARKER && this.bytes[this.pos + 1] >= RST0 && this.bytes[this.pos + 1] <= RST7) {
        if (this.bytes[this.pos + 1] !== RST0 + expected) return false;
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
}

/** T.81 F.2.2.3 DECODE. */
function decode(bits: ScanBits, t: HuffmanTable): number {
  let code = bits.read();
  for (let len = 1; len <= HUFFMAN_COUNTS; len++) {
    if (t.maxCode[len] >= code && t.maxCode[len] >= 0) return t.values[t.valPtr[len] + code - t.minCode[len]] ?? 0;
    code = (code << 1) | bits.read();
    if (bits.exhausted) return 0;
  }
  return 0;
}

/** F.2.2.1 / F.2.2.2: one 8x8 block's DC difference and AC coefficients. */
function skipBlock(bits: ScanBits, dc: HuffmanTable, ac: HuffmanTable): void {
  bits.receive(decode(bits, dc));
  for (let k = 1; k < COEFFICIENTS && !bits.exhausted; ) {
    const rs = decode(bits, ac);
    const r = rs >> 4;
    const s = rs & 15;
    if (s === 0) {
      if (rs !== ZRL) return;
      k += 16;
      continue;
    }
    k += r;
    bits.receive(s);
    k++;
  }
}

/**
 * Where the entropy-coded data of a complete sequential Huffman scan ends (`end`: after the byte
 * holding the last bit of the last MCU; T.81 F.1.2.3 pads that byte with 1-bits), and the bytes
 * before each RSTn that no MCU uses (`slack`). Null when the data does not hold every MCU.
 */
export function referenceScanExtent(bytes: Uint8Array, start: number, end: number, frame: Frame, scan: readonly ScanComponent[], restartInterval: number): { end: number; slack: Array<[number, number]> } | null {
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
    if (restartInterval > 0 && m > 0 && m % restartInterval === 0 && !bits.restart((m / restartInterval - 1) % 8)) return null;
    for (const b of blocksPerMcu) skipBlock(bits, b.dc, b.ac);
    if (bits.exhausted) return null;
  }
  return { end: bits.position(), slack: bits.skipped };
}

