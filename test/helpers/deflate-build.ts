/**
 * Test-side DEFLATE writers (RFC 1951), byte by byte and independent of src: streams zlib's
 * encoder never writes (the densest possible runs; matches at chosen distances), wrapped as
 * zlib streams (RFC 1950) with their Adler-32.
 */

/** LSB-first bit writer (RFC 1951 3.1.1); Huffman codes go most significant bit first. */
class Bits {
  private readonly bytes: number[] = [];
  private acc = 0;
  private n = 0;

  put(value: number, count: number): void {
    for (let i = 0; i < count; i++) {
      this.acc |= ((value >>> i) & 1) << this.n;
      if (++this.n === 8) {
        this.bytes.push(this.acc);
        this.acc = 0;
        this.n = 0;
      }
    }
  }

  code(code: number, length: number): void {
    for (let i = length - 1; i >= 0; i--) this.put((code >>> i) & 1, 1);
  }

  done(): number[] {
    if (this.n > 0) this.bytes.push(this.acc);
    return this.bytes;
  }
}

/** RFC 1950 8.2, the reference: byte by byte. */
export function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const v of data) {
    a = (a + v) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

function zlibWrap(body: number[], adler: number): Uint8Array {
  // RFC 1950 2.2: CMF 0x78 (deflate, 32 KiB window), FLG 0xda (check bits, level 3, no dictionary).
  return Uint8Array.from([0x78, 0xda, ...body, adler >>> 24, (adler >>> 16) & 0xff, (adler >>> 8) & 0xff, adler & 0xff]);
}

/** RFC 1951 3.2.2: canonical codes from code lengths. */
function canonical(lengths: readonly number[]): number[] {
  const max = Math.max(...lengths);
  const count = new Array<number>(max + 1).fill(0);
  for (const l of lengths) if (l) count[l]++;
  const next: number[] = [];
  for (let bits = 1, code = 0; bits <= max; bits++) {
    code = (code + (count[bits - 1] ?? 0)) << 1;
    next[bits] = code;
  }
  return lengths.map((l) => (l ? next[l]++ : 0));
}

const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];

function lengthSymbol(length: number): { symbol: number; extra: number; bits: number } {
  let i = LENGTH_BASE.length - 1;
  while (LENGTH_BASE[i] > length) i--;
  return { symbol: 257 + i, extra: length - LENGTH_BASE[i], bits: LENGTH_EXTRA[i] };
}

/**
 * `n` zero bytes in the densest form DEFLATE has (RFC 1951 3.2.5, 3.2.7): one dynamic block
 * whose length code 285 (258 bytes) and distance code 0 (1 back) take one bit each, so every
 * 258 bytes cost 2 bits (1032 to 1). The literal 0 and end-of-block take 2 and 3 bits.
 */
export function densestZeros(n: number): Uint8Array {
  const w = new Bits();
  const full = Math.floor((n - 1) / 258);
  const rest = n - 1 - full * 258;
  // A last match of 3..257 bytes, or 1 or 2 more literals.
  const tail = rest >= 3 ? lengthSymbol(rest) : null;
  const litLen = new Array<number>(286).fill(0);
  litLen[285] = 1;
  litLen[0] = 2;
  litLen[256] = 3;
  litLen[tail && tail.symbol !== 285 ? tail.symbol : 257] = 3;
  w.put(1, 1); // BFINAL
  w.put(2, 2); // BTYPE dynamic
  w.put(286 - 257, 5);
  w.put(0, 5); // one distance code
  w.put(19 - 4, 4);
  const ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
  const cl = new Array<number>(19).fill(0);
  cl[18] = 2;
  cl[17] = 2;
  cl[0] = 3;
  cl[1] = 3;
  cl[2] = 3;
  cl[3] = 3;
  for (const s of ORDER) w.put(cl[s], 3);
  const clCodes = canonical(cl);
  const all = [...litLen, 1];
  for (let i = 0; i < all.length; ) {
    let zeros = 0;
    while (all[i + zeros] === 0 && zeros < 138 && i + zeros < all.length) zeros++;
    if (zeros >= 11) {
      w.code(clCodes[18], 2);
      w.put(zeros - 11, 7);
      i += zeros;
    } else if (zeros >= 3) {
      w.code(clCodes[17], 2);
      w.put(zeros - 3, 3);
      i += zeros;
    } else {
      w.code(clCodes[all[i]], cl[all[i]]);
      i++;
    }
  }
  const codes = canonical(litLen);
  w.code(codes[0], 2);
  for (let k = 0; k < full; k++) {
    w.code(codes[285], 1);
    w.put(0, 1);
  }
  if (tail) {
    w.code(codes[tail.symbol], 1 + (tail.symbol === 285 ? 0 : 2));
    w.put(tail.extra, tail.bits);
    w.put(0, 1);
  } else for (let k = 0; k < rest; k++) w.code(codes[0], 2);
  w.code(codes[256], 3);
  // RFC 1950 8.2: n zeros leave a = 1 and add a to b n times.
  return zlibWrap(w.done(), (((n % 65521) << 16) | 1) >>> 0);
}

export type DeflateOp = number | { length: number; distance: number };

/**
 * A zlib stream of one fixed-Huffman block (RFC 1951 3.2.6) holding exactly `ops`: a number is
 * a literal byte, an object a match. Returns the stream and the bytes it inflates to.
 */
export function fixedDeflate(ops: readonly DeflateOp[]): { stream: Uint8Array; inflated: Uint8Array } {
  const w = new Bits();
  const out: number[] = [];
  const literalCode = (s: number): void => {
    if (s < 144) w.code(0x30 + s, 8);
    else if (s < 256) w.code(0x190 + s - 144, 9);
    else if (s < 280) w.code(s - 256, 7);
    else w.code(0xc0 + s - 280, 8);
  };
  w.put(1, 1);
  w.put(1, 2);
  for (const op of ops) {
    if (typeof op === 'number') {
      literalCode(op);
      out.push(op);
      continue;
    }
    if (op.distance > out.length || op.distance > 32768 || op.length < 3 || op.length > 258) throw new Error(`bad match ${JSON.stringify(op)}`);
    const { symbol, extra, bits } = lengthSymbol(op.length);
    literalCode(symbol);
    w.put(extra, bits);
    let d = DIST_BASE.length - 1;
    while (DIST_BASE[d] > op.distance) d--;
    w.code(d, 5);
    w.put(op.distance - DIST_BASE[d], DIST_EXTRA[d]);
    for (let k = 0; k < op.length; k++) out.push(out[out.length - op.distance]);
  }
  literalCode(256);
  const inflated = Uint8Array.from(out);
  return { stream: zlibWrap(w.done(), adler32(inflated)), inflated };
}
