/**
 * WalkOptions.scanData for WebP lossless (RFC 9649 section 3): the bits of a decoded VP8L image
 * stream libwebp's decoder (src/dec/vp8l_dec.c, src/dsp/lossless.c) never turns into a pixel, and
 * the values libwebp's encoder writes there, so real encoder output stays clean:
 * - predictor image (3.3.1): the mode is green & 15 (lossless.c PredictorInverseTransform); the
 *   encoder writes 0xff000000 | mode << 8 with mode 0..13 (predictor_enc.c), modes 14 and 15
 *   are mode 0 to libwebp (padding sentinels in VP8LPredictorsAdd);
 * - cross-colour image (3.3.2): alpha is not read (ColorCodeToMultipliers); the encoder writes
 *   0xff (MultipliersToColorCode);
 * - colour indexing (3.3.4): only the green byte of the index image is read (VP8LMapColor32b,
 *   bundled or not); the encoder writes 0xff000000 | indices << 8 with the bits after a row's
 *   last bundled index 0 (lossless_enc.c VP8LBundleColorMap); colour-table entries no pixel's
 *   index selects are never shown (the encoder's table holds the image's own colours);
 * - the decoded pixels: with the header's alpha_is_used hint 0, decoders that take has_alpha
 *   from it (libwebp's WebPGetFeatures: sharp, dwebp to PNG) drop the alpha while chromium draws
 *   it, so the file shows two pictures; the encoder writes the hint 0 only for an opaque image
 *   (alpha 255 everywhere); an ALPH stream's pixels are read for green only (alpha_dec.c), and
 *   the encoder puts alpha << 8 there (alpha_processing.c DispatchAlphaToGreen).
 * The prefix codes and the entropy image are judged while reading (webp-vp8l.ts Vp8lCodeLog).
 * Every count here is bits a writer could set to anything without a decoder showing it.
 */
import { COLOR_INDEXING, CROSS_COLOR, PREDICTOR, SUBTRACT_GREEN, type Vp8lDecoded } from './webp-vp8l';

const ARGB_BLACK = 0xff000000;
/** 3.3.1: modes 0..13; libwebp reads green & 15. */
const LAST_MODE = 13;

/** Per-channel sum modulo 256 (3.3.1 "added ... per ARGB component"). */
function add(a: number, b: number): number {
  return ((((a & 0xff00ff00) >>> 0) + ((b & 0xff00ff00) >>> 0)) & 0xff00ff00) | (((a & 0x00ff00ff) + (b & 0x00ff00ff)) & 0x00ff00ff);
}

/** libwebp Average2: per-channel (a + b) >> 1. */
function average(a: number, b: number): number {
  return ((((a ^ b) & 0xfefefefe) >>> 1) + (a & b)) >>> 0;
}

function channel(p: number, shift: number): number {
  return (p >>> shift) & 0xff;
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function perChannel(f: (shift: number) => number): number {
  return ((f(24) << 24) | (f(16) << 16) | (f(8) << 8) | f(0)) >>> 0;
}

/** 3.3.1 Select(L, T, TL): the neighbour nearer to L + T - TL in Manhattan distance. */
function select(left: number, top: number, topLeft: number): number {
  let towardsLeft = 0;
  for (const s of [24, 16, 8, 0]) towardsLeft += Math.abs(channel(top, s) - channel(topLeft, s)) - Math.abs(channel(left, s) - channel(topLeft, s));
  return towardsLeft < 0 ? left : top;
}

function predict(mode: number, l: number, t: number, tr: number, tl: number): number {
  switch (mode) {
    case 1: return l;
    case 2: return t;
    case 3: return tr;
    case 4: return tl;
    case 5: return average(average(l, tr), t);
    case 6: return average(l, tl);
    case 7: return average(l, t);
    case 8: return average(tl, t);
    case 9: return average(t, tr);
    case 10: return average(average(l, tl), average(t, tr));
    case 11: return select(l, t, tl);
    case 12: return perChannel((s) => clamp(channel(l, s) + channel(t, s) - channel(tl, s)));
    case 13: {
      const a = average(l, t);
      return perChannel((s) => clamp(channel(a, s) + Math.trunc((channel(a, s) - channel(tl, s)) / 2)));
    }
    default: return ARGB_BLACK;
  }
}

/** 3.3.1 inverse: residuals plus predictions, in place; the first row predicts from L, the first column from T. */
function unpredict(px: Uint32Array, width: number, height: number, bits: number, modes: Uint32Array): void {
  const tiles = (width + (1 << bits) - 1) >> bits;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      let p: number;
      if (y === 0) p = x === 0 ? ARGB_BLACK : px[i - 1];
      else if (x === 0) p = px[i - width];
      else {
        const mode = (modes[(y >> bits) * tiles + (x >> bits)] >>> 8) & 15;
        // The top-right of the last column is the first pixel of the current row (3.3.1).
        p = predict(mode, px[i - 1], px[i - width], px[i - width + 1], px[i - width - 1]);
      }
      px[i] = add(px[i], p);
    }
  }
}

function delta(t: number, c: number): number {
  return ((t << 24) >> 24) * ((c << 24) >> 24) >> 5;
}

/** 3.3.2 inverse (libwebp VP8LTransformColorInverse). */
function uncrossColour(px: Uint32Array, width: number, height: number, bits: number, data: Uint32Array): void {
  const tiles = (width + (1 << bits) - 1) >> bits;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const m = data[(y >> bits) * tiles + (x >> bits)];
      const p = px[i];
      const green = channel(p, 8);
      const red = (channel(p, 16) + delta(m & 0xff, green)) & 0xff;
      const blue = (channel(p, 0) + delta((m >>> 8) & 0xff, green) + delta((m >>> 16) & 0xff, red)) & 0xff;
      px[i] = ((p & 0xff00ff00) | (red << 16) | blue) >>> 0;
    }
  }
}

/** 3.3.3 inverse: red and blue plus green. */
function addGreen(px: Uint32Array): void {
  for (let i = 0; i < px.length; i++) {
    const g = channel(px[i], 8);
    px[i] = ((px[i] & 0xff00ff00) | (((channel(px[i], 16) + g) & 0xff) << 16) | ((channel(px[i], 0) + g) & 0xff)) >>> 0;
  }
}

export interface Vp8lUnused {
  /** Free bits only a re-encode removes (they are decoded into values no pixel uses), for the finding's detail. */
  reasons: string[];
  /**
   * Free bits a lossless rewrite removes (webp-vp8l.ts withEmptyCodes): codes no symbol is read
   * with, and bits after the last code. Empty when there are none.
   */
  rewritable: string[];
  /** The decoded ARGB pixels (what the checks above were made on; tests compare them with libwebp's). */
  pixels: Uint32Array;
}

/**
 * Applies the inverse transforms in reverse order (3.8) to the decoded stream and counts the
 * bits no decoder uses. `alpha`: the ALPH stream of a lossy image (green only); otherwise the
 * VP8L header's alpha_is_used hint.
 */
export function vp8lUnused(d: Vp8lDecoded, width: number, height: number, target: { alph: true } | { alph: false; alphaHint: boolean }): Vp8lUnused {
  const reasons: string[] = [];
  const say = (count: number, what: string): void => {
    if (count > 0) reasons.push(`${count} ${what}`);
  };
  const rewritable: string[] = [];
  const unread = d.log.unreadCodes.length;
  if (unread > 0) rewritable.push(`${unread} prefix code(s) no symbol is read with${d.log.unreferencedGroups > 0 ? ` (in ${d.log.unreferencedGroups} group(s) no pixel refers to)` : ''}`);
  if (d.paddingSet) rewritable.push('bits set after the last code');
  say(d.log.entropyBits, 'entropy-image pixel(s) with alpha or blue set (unread)');
  let px: Uint32Array = d.pixels.slice();
  let xsize = d.xsize;
  for (let t = d.transforms.length - 1; t >= 0; t--) {
    const tr = d.transforms[t];
    if (tr.type === PREDICTOR) {
      say(tr.data.reduce((n, m) => n + ((m & 0xffff00ff) >>> 0 !== ARGB_BLACK || ((m >>> 8) & 0xff) > LAST_MODE ? 1 : 0), 0), 'predictor-image pixel(s) with bits besides the mode (unread)');
      unpredict(px, xsize, height, tr.bits, tr.data);
    } else if (tr.type === CROSS_COLOR) {
      say(tr.data.reduce((n, m) => n + (m >>> 24 !== 0xff ? 1 : 0), 0), 'colour-transform pixel(s) with alpha not 255 (unread)');
      uncrossColour(px, xsize, height, tr.bits, tr.data);
    } else if (tr.type === SUBTRACT_GREEN) {
      addGreen(px);
    } else if (tr.type === COLOR_INDEXING) {
      const colours = tr.data.length;
      const table = tr.data.slice();
      for (let i = 1; i < colours; i++) table[i] = add(table[i], table[i - 1]) >>> 0;
      const perPixel = 1 << tr.bits;
      const depth = 8 >> tr.bits;
      const mask = (1 << depth) - 1;
      const used = new Uint8Array(colours);
      const out = new Uint32Array(tr.xsize * height);
      let spare = 0;
      let otherChannels = 0;
      for (let y = 0; y < height; y++) {
        for (let bx = 0; bx < xsize; bx++) {
          const p = px[y * xsize + bx];
          if ((p & 0xffff00ff) >>> 0 !== ARGB_BLACK) otherChannels++;
          const g = channel(p, 8);
          for (let k = 0; k < perPixel; k++) {
            const x = bx * perPixel + k;
            const index = (g >> (k * depth)) & mask;
            if (x >= tr.xsize) {
              if (index !== 0) spare++;
              continue;
            }
            // libwebp pads the table with transparent black (vp8l_dec.c ExpandColorMap).
            if (index < colours) {
              used[index] = 1;
              out[y * tr.xsize + x] = table[index];
            }
          }
        }
      }
      say(otherChannels, 'colour-index pixel(s) with alpha, red or blue not the encoder\'s (unread)');
      say(spare, 'bundled index(es) past the end of a row (unread)');
      say(used.reduce((n, u) => n + (u ? 0 : 1), 0), 'colour-table entr(ies) no pixel uses');
      px = out;
      xsize = tr.xsize;
    }
  }
  if (target.alph) {
    say(px.reduce((n, p) => n + ((p & 0xffff00ff) !== 0 ? 1 : 0), 0), 'alpha-stream pixel(s) with alpha, red or blue set (only green is alpha)');
  } else if (!target.alphaHint) {
    say(px.reduce((n, p) => n + (p >>> 24 !== 0xff ? 1 : 0), 0), 'pixel(s) with alpha below 255 in an image marked opaque (sharp drops that alpha, browsers draw it)');
  }
  return { reasons, rewritable, pixels: px };
}
