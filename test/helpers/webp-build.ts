/**
 * Test-side writers of WebP bitstreams, from the specifications and independent of src (which
 * only reads them): a VP8L image-stream writer (RFC 9649 section 3) that codes every channel with
 * a one-symbol prefix code, so each entropy-coded image is one colour and costs no bits per
 * pixel, and a VP8 key-frame writer (RFC 6386) with the boolean encoder of RFC 6386 7.3. They
 * build files libwebp decodes, carrying values in places its decoder never reads.
 */
import { riffChunk, webpFile } from './chunks';

/** LSB-first bit writer (RFC 9649 3.1). */
export class BitWriter {
  private bytes: number[] = [];
  private bit = 0;
  /** Bits written so far. */
  length = 0;

  put(value: number, n: number): this {
    for (let i = 0; i < n; i++) {
      if (this.bit === 0) this.bytes.push(0);
      if ((value >>> i) & 1) this.bytes[this.bytes.length - 1] |= 1 << this.bit;
      this.bit = (this.bit + 1) & 7;
      this.length++;
    }
    return this;
  }

  done(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

/** 3.7.2.1.1: a simple code with one 8-bit symbol (reads no bits per pixel). */
function oneSymbol(w: BitWriter, symbol: number): void {
  w.put(1, 1).put(0, 1).put(1, 1).put(symbol, 8);
}

/** What libwebp writes for a code with no symbol (vp8l_enc.c StoreHuffmanCode: 0x01 in 4 bits). */
export function emptyCode(w: BitWriter): void {
  w.put(1, 4);
}

export interface ConstantImage {
  argb: number;
  /** Main image only: the meta prefix bit (0 = no entropy image). */
  main?: boolean;
  /** The distance code, written as libwebp does for an unused one unless given a symbol. */
  distance?: number;
}

/** 3.6-3.7: one entropy-coded image whose pixels are all `argb` (one prefix code group). */
export function constantImage(w: BitWriter, image: ConstantImage): void {
  w.put(0, 1); // no colour cache
  if (image.main) w.put(0, 1); // no meta prefix codes
  const { argb } = image;
  oneSymbol(w, (argb >>> 8) & 0xff);
  oneSymbol(w, (argb >>> 16) & 0xff);
  oneSymbol(w, argb & 0xff);
  oneSymbol(w, argb >>> 24);
  if (image.distance === undefined) emptyCode(w);
  else oneSymbol(w, image.distance);
}

/** The VP8L header (3.2): signature, 14-bit width-1 and height-1, alpha hint, version 0. */
export function vp8lHeader(w: BitWriter, width: number, height: number, alpha: boolean): void {
  w.put(0x2f, 8).put(width - 1, 14).put(height - 1, 14).put(alpha ? 1 : 0, 1).put(0, 3);
}

// ---------------------------------------------------------------------------------------------
// VP8 (RFC 6386)

/** RFC 6386 7.3: the boolean entropy encoder. */
export class BoolEncoder {
  private out: number[] = [];
  private range = 255;
  private bottom = 0;
  private bitCount = 24;

  private carry(): void {
    let i = this.out.length - 1;
    while (i >= 0 && this.out[i] === 255) this.out[i--] = 0;
    if (i >= 0) this.out[i]++;
  }

  bool(prob: number, value: number): this {
    const split = 1 + (((this.range - 1) * prob) >> 8);
    if (value) {
      this.bottom += split;
      this.range -= split;
    } else {
      this.range = split;
    }
    while (this.range < 128) {
      this.range <<= 1;
      if (this.bottom & 0x80000000) this.carry();
      this.bottom = (this.bottom << 1) >>> 0;
      if (!--this.bitCount) {
        this.out.push((this.bottom >>> 24) & 0xff);
        this.bottom &= 0xffffff;
        this.bitCount = 8;
      }
    }
    return this;
  }

  literal(value: number, n: number): this {
    for (let i = n - 1; i >= 0; i--) this.bool(128, (value >> i) & 1);
    return this;
  }

  /** RFC 6386 7.3 flush_bool_encoder. */
  done(): Uint8Array {
    let c = this.bitCount;
    let v = this.bottom;
    if (v & (1 << (32 - c))) this.carry();
    v = (v << (c & 7)) >>> 0;
    c >>= 3;
    while (--c >= 0) v = (v << 8) >>> 0;
    for (let i = 0; i < 4; i++) {
      this.out.push((v >>> 24) & 0xff);
      v = (v << 8) >>> 0;
    }
    return Uint8Array.from(this.out);
  }
}

/** A simple-format WebP whose one chunk is the VP8L stream `build` writes. */
export function vp8lFile(build: (w: BitWriter) => void): Uint8Array {
  const w = new BitWriter();
  build(w);
  return webpFile([riffChunk('VP8L', w.done())]);
}

/**
 * A one-colour lossless image whose header says it has no alpha (RFC 9649 3.2 alpha_is_used = 0)
 * while its pixels are `argb`: libwebp's WebPGetFeatures takes has_alpha from the header.
 */
export function opaqueMarkedVp8l(width: number, height: number, argb: number): Uint8Array {
  return vp8lFile((w) => {
    vp8lHeader(w, width, height, false);
    w.put(0, 1);
    constantImage(w, { argb, main: true });
  });
}
