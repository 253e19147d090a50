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
import { COLOR_INDEXING, CROSS_COLOR, PREDICTOR, SUBTRACT_GREEN, type Vp8lDecoded, type Vp8lRows, type Vp8lTransform } from './webp-vp8l';

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

function sameValues(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * One inverse transform applied row by row (3.8: in the reverse of the stream's order). `out`
 * holds its output for the last row given. A row whose input equals the row before's, in the
 * same row of transform tiles, gives the same output (and counts) without being computed; for
 * the predictor, whose output also depends on its own output above, only when that row too
 * equalled the one above it (and from row 2 on: row 0 predicts differently).
 */
abstract class Stage {
  out: Uint32Array;
  protected spare: Uint32Array;
  /** The last row computed equalled the row before it. */
  protected lastSame = false;
  /** Values computed one by one (a test's measure of the work). */
  computed = 0;

  constructor(readonly width: number) {
    this.out = new Uint32Array(width);
    this.spare = new Uint32Array(width);
  }

  /** Row y from `input` (of the previous stage's width); returns whether the output equals row y - 1's. */
  run(input: Uint32Array, y: number, inputSame: boolean): boolean {
    if (inputSame && this.reusable(y)) {
      this.again();
      return true;
    }
    this.compute(input, y, this.spare, this.out);
    this.computed += this.width;
    const same = y > 0 && sameValues(this.spare, this.out);
    [this.out, this.spare] = [this.spare, this.out];
    this.lastSame = same;
    return same;
  }

  /** Whether an unchanged input at row y gives row y - 1's output. */
  protected reusable(y: number): boolean {
    return y > 0;
  }

  /** Counts for a row that repeats the one before. */
  protected again(): void {}

  protected abstract compute(input: Uint32Array, y: number, into: Uint32Array, above: Uint32Array): void;
}

/** 3.3.1 inverse: residuals plus predictions; the first row predicts from L, the first column from T. */
class Unpredict extends Stage {
  private readonly tiles: number;
  constructor(width: number, private readonly bits: number, private readonly modes: Uint32Array) {
    super(width);
    this.tiles = (width + (1 << bits) - 1) >> bits;
  }

  protected override reusable(y: number): boolean {
    return y >= 2 && y >> this.bits === (y - 1) >> this.bits && this.lastSame;
  }

  protected compute(input: Uint32Array, y: number, row: Uint32Array, above: Uint32Array): void {
    const w = this.width;
    const tileRow = (y >> this.bits) * this.tiles;
    for (let x = 0; x < w; x++) {
      let p: number;
      if (y === 0) p = x === 0 ? ARGB_BLACK : row[x - 1];
      else if (x === 0) p = above[0];
      else {
        const mode = (this.modes[tileRow + (x >> this.bits)] >>> 8) & 15;
        // The top-right of the last column is the first pixel of the current row (3.3.1).
        p = predict(mode, row[x - 1], above[x], x + 1 < w ? above[x + 1] : row[0], above[x - 1]);
      }
      row[x] = add(input[x], p);
    }
  }
}

function delta(t: number, c: number): number {
  return ((t << 24) >> 24) * ((c << 24) >> 24) >> 5;
}

/** 3.3.2 inverse (libwebp VP8LTransformColorInverse). */
class UncrossColour extends Stage {
  private readonly tiles: number;
  constructor(width: number, private readonly bits: number, private readonly data: Uint32Array) {
    super(width);
    this.tiles = (width + (1 << bits) - 1) >> bits;
  }

  protected override reusable(y: number): boolean {
    return y > 0 && y >> this.bits === (y - 1) >> this.bits;
  }

  protected compute(input: Uint32Array, y: number, row: Uint32Array): void {
    const tileRow = (y >> this.bits) * this.tiles;
    for (let x = 0; x < this.width; x++) {
      const m = this.data[tileRow + (x >> this.bits)];
      const p = input[x];
      const green = channel(p, 8);
      const red = (channel(p, 16) + delta(m & 0xff, green)) & 0xff;
      const blue = (channel(p, 0) + delta((m >>> 8) & 0xff, green) + delta((m >>> 16) & 0xff, red)) & 0xff;
      row[x] = ((p & 0xff00ff00) | (red << 16) | blue) >>> 0;
    }
  }
}

/** 3.3.3 inverse: red and blue plus green. */
class AddGreen extends Stage {
  protected compute(input: Uint32Array, _y: number, row: Uint32Array): void {
    for (let i = 0; i < this.width; i++) {
      const p = input[i];
      const g = channel(p, 8);
      row[i] = ((p & 0xff00ff00) | (((channel(p, 16) + g) & 0xff) << 16) | ((channel(p, 0) + g) & 0xff)) >>> 0;
    }
  }
}

/**
 * 3.3.4 inverse: bundled indices into the colour table, counting what the decoder never reads
 * (alpha, red, blue of an index pixel; indices past a row's end) and which entries are used.
 */
class Unindex extends Stage {
  readonly table: Uint32Array;
  readonly used: Uint8Array;
  otherChannels = 0;
  pastRowEnd = 0;
  private lastOther = 0;
  private lastSpare = 0;
  constructor(width: number, private readonly bits: number, data: Uint32Array) {
    super(width);
    this.table = data.slice();
    for (let i = 1; i < this.table.length; i++) this.table[i] = add(this.table[i], this.table[i - 1]) >>> 0;
    this.used = new Uint8Array(data.length);
  }

  protected override again(): void {
    this.otherChannels += this.lastOther;
    this.pastRowEnd += this.lastSpare;
  }

  protected compute(input: Uint32Array, _y: number, row: Uint32Array): void {
    const perPixel = 1 << this.bits;
    const depth = 8 >> this.bits;
    const mask = (1 << depth) - 1;
    const colours = this.table.length;
    let other = 0;
    let spare = 0;
    row.fill(0);
    for (let bx = 0; bx < input.length; bx++) {
      const p = input[bx];
      if ((p & 0xffff00ff) >>> 0 !== ARGB_BLACK) other++;
      const g = channel(p, 8);
      for (let k = 0; k < perPixel; k++) {
        const x = bx * perPixel + k;
        const index = (g >> (k * depth)) & mask;
        if (x >= this.width) {
          if (index !== 0) spare++;
          continue;
        }
        // libwebp pads the table with transparent black (vp8l_dec.c ExpandColorMap).
        if (index < colours) {
          this.used[index] = 1;
          row[x] = this.table[index];
        }
      }
    }
    this.lastOther = other;
    this.lastSpare = spare;
    this.otherChannels += other;
    this.pastRowEnd += spare;
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
}

/**
 * The checks above over a decoded stream's rows as the decoder hands them on (Vp8lRows): the
 * inverse transforms in reverse order (3.8), row by row, keeping two rows per transform, never
 * the image; the final pixels' alpha as `target` asks (an ALPH stream's pixels are read for
 * green only; otherwise the VP8L header's alpha_is_used hint). A row that repeats the one before
 * (a flat picture: every row after the first) costs no pixel work. `keepPixels` keeps the
 * decoded ARGB pixels (tests compare them with libwebp's).
 */
export class Vp8lChecks implements Vp8lRows {
  private stages: Stage[] = [];
  /** Stream order, for the counts' order in the finding. */
  private transforms: readonly Vp8lTransform[] = [];
  private readonly counts = new Map<Vp8lTransform, number>();
  private previous: Uint32Array | null = null;
  private alphaCount = 0;
  private lastAlpha = 0;
  /** Final pixels checked one by one (a test's measure of the work). */
  checked = 0;
  readonly pixels: Uint32Array | null;

  constructor(private readonly width: number, height: number, private readonly target: { alph: true } | { alph: false; alphaHint: boolean }, keepPixels = false) {
    this.pixels = keepPixels ? new Uint32Array(width * height) : null;
  }

  start(transforms: readonly Vp8lTransform[], xsize: number): void {
    this.transforms = transforms;
    this.previous = new Uint32Array(xsize);
    for (let t = transforms.length - 1; t >= 0; t--) {
      const tr = transforms[t];
      if (tr.type === PREDICTOR) {
        this.counts.set(tr, tr.data.reduce((n, m) => n + ((m & 0xffff00ff) >>> 0 !== ARGB_BLACK || ((m >>> 8) & 0xff) > LAST_MODE ? 1 : 0), 0));
        this.stages.push(new Unpredict(tr.xsize, tr.bits, tr.data));
      } else if (tr.type === CROSS_COLOR) {
        this.counts.set(tr, tr.data.reduce((n, m) => n + (m >>> 24 !== 0xff ? 1 : 0), 0));
        this.stages.push(new UncrossColour(tr.xsize, tr.bits, tr.data));
      } else if (tr.type === SUBTRACT_GREEN) {
        this.stages.push(new AddGreen(tr.xsize));
      } else if (tr.type === COLOR_INDEXING) {
        this.stages.push(new Unindex(tr.xsize, tr.bits, tr.data));
      }
    }
  }

  row(coded: Uint32Array, y: number, repeat: boolean): void {
    const previous = this.previous as Uint32Array;
    let same = repeat || (y > 0 && sameValues(coded, previous));
    if (!same) previous.set(coded);
    let px = coded;
    for (const stage of this.stages) {
      same = stage.run(px, y, same);
      px = stage.out;
    }
    if (same) this.alphaCount += this.lastAlpha;
    else {
      let n = 0;
      if (this.target.alph) {
        for (let i = 0; i < px.length; i++) if ((px[i] & 0xffff00ff) !== 0) n++;
      } else if (!this.target.alphaHint) {
        for (let i = 0; i < px.length; i++) if (px[i] >>> 24 !== 0xff) n++;
      }
      this.checked += px.length;
      this.lastAlpha = n;
      this.alphaCount += n;
    }
    if (this.pixels) this.pixels.set(px, y * this.width);
  }

  /** Values computed one by one over every transform and the final check (a test's measure of the work). */
  get work(): number {
    return this.checked + this.stages.reduce((n, s) => n + s.computed, 0);
  }

  /** The free bits found, in the order of the stream's transforms read back to front (3.8). */
  result(d: Vp8lDecoded): Vp8lUnused {
    const reasons: string[] = [];
    const say = (count: number, what: string): void => {
      if (count > 0) reasons.push(`${count} ${what}`);
    };
    const rewritable: string[] = [];
    const unread = d.log.unreadCodes.length;
    if (unread > 0) rewritable.push(`${unread} prefix code(s) no symbol is read with${d.log.unreferencedGroups > 0 ? ` (in ${d.log.unreferencedGroups} group(s) no pixel refers to)` : ''}`);
    if (d.paddingSet) rewritable.push('bits set after the last code');
    say(d.log.entropyBits, 'entropy-image pixel(s) with alpha or blue set (unread)');
    let s = 0;
    for (let t = this.transforms.length - 1; t >= 0; t--, s++) {
      const tr = this.transforms[t];
      if (tr.type === PREDICTOR) say(this.counts.get(tr) ?? 0, 'predictor-image pixel(s) with bits besides the mode (unread)');
      else if (tr.type === CROSS_COLOR) say(this.counts.get(tr) ?? 0, 'colour-transform pixel(s) with alpha not 255 (unread)');
      else if (tr.type === COLOR_INDEXING) {
        const stage = this.stages[s] as Unindex;
        say(stage.otherChannels, 'colour-index pixel(s) with alpha, red or blue not the encoder\'s (unread)');
        say(stage.pastRowEnd, 'bundled index(es) past the end of a row (unread)');
        say(stage.used.reduce((n, u) => n + (u ? 0 : 1), 0), 'colour-table entr(ies) no pixel uses');
      }
    }
    if (this.target.alph) say(this.alphaCount, 'alpha-stream pixel(s) with alpha, red or blue set (only green is alpha)');
    else if (!this.target.alphaHint) say(this.alphaCount, 'pixel(s) with alpha below 255 in an image marked opaque (sharp drops that alpha, browsers draw it)');
    return { reasons, rewritable };
  }
}
