import { clampRect, type Rect } from '../geometry';
import { minimumCellSize, mosaicKindRefusal } from '../policy/policy';
import type { Policy } from '../policy/types';
import type { Step } from '../sidecar/types';
import { assertPixelBuffer, colorComponentCount } from './buffer';
import { colorForBuffer, isHexColor, parseHexColor } from './color';
import { fillSelectionGaps, maskSelectsNothing, runsToMask } from './mask-runs';
import type { Mask, PixelBuffer } from './types';

/**
 * How far decoded pixels may stray from the value that was painted, in 8-bit units (scaled to
 * the buffer's maxValue), and how many pixels at each cell or region border are exempt.
 */
export interface RegionTolerance {
  /** Per channel, 0-255. */
  channel: number;
  /** Pixels along every cell border not checked pixel by pixel (their mean still counts). */
  edgeBand: number;
  /**
   * Lossy tolerances: pixels at least this far inside a painted area (an overlay, a mosaic cell)
   * lie where the codec saw nothing but that one colour, so they must agree within `flatSpread`
   * (FLAT_DEPTH). 0: no such check (a lossless export is checked exactly anyway).
   */
  flatDepth?: number;
  /** Largest spread, in 8-bit levels, of the luminance means of FLAT_BLOCK blocks `flatDepth` inside. */
  flatSpread?: number;
}

/** For PNG and other lossless exports: the exact painted values, every pixel. */
export const LOSSLESS_TOLERANCE: Readonly<RegionTolerance> = Object.freeze({ channel: 0, edgeBand: 0 });

/**
 * Why a lossy export must still be flat deep inside a painted area. JPEG_TOLERANCE's channel
 * tolerance (below) lets every pixel of an overlay stray 24/255 from its colour, room enough for a faint copy of
 * what it covers: the original squeezed into +-8-10 levels under the colour and encoded at
 * quality 90 still correlated 0.90-0.92 with the face, and only two border pixels, 1/255 past
 * the tolerance, failed it. A contrast stretch brings such a copy back; the same holds inside
 * each cell of a mosaic.
 *
 * JPEG cannot make that structure by itself away from an edge. Each 8x8 block of each
 * component is coded on its own (T.81 A.2, A.3), and the luminance is kept at full resolution
 * (JFIF: Y has the largest sampling factors), so a pixel at least 8 px inside a one-colour area
 * lies in a luminance block that saw only that colour: its coefficients are DC only and it
 * decodes to one value. The luminance computed back from the decoded RGB (JFIF's Y row) is
 * that value whatever the chroma did across the edge, up to rounding and clipping: measured on
 * the bundled photo with black, white, grey, #1e90ff, #ff00ff, #00ff00 and #ffff00 overlays
 * through libjpeg at quality 90 4:2:0 and 92/100 4:4:4, the means of 4x4 blocks (FLAT_BLOCK)
 * there differ by at most 0.5/255. Allowed: 5/255 (flatSpread), room for noise in a painted
 * colour, such as Photoshop's dither when a 16-bit document becomes 8-bit (Color Settings 'Use
 * Dither'; +-1 level per channel came back from quality 100 4:4:4 with block means up to
 * 3/255 apart). Areas thinner than 2 x 8 + 4 px are checked by the channel tolerance alone.
 */
export const FLAT_DEPTH = 8;
/** Blocks whose means are compared there (px): small enough that a text stroke moves one. */
export const FLAT_BLOCK = 4;

/**
 * For JPEG exports (the default, since it also passes lossless files). Cells are aligned to the
 * region, not to JPEG's 8x8 DCT blocks, so a block often straddles the edge between two cells
 * of very different colour; quantising it rings through the whole block, and 4:2:0 chroma
 * subsampling bleeds colour 1-2 px across every edge. Measured on a corpus photo mosaicked
 * with 9-33 px cells and encoded by libjpeg (sharp) at quality 90: pixels more than 2 px
 * inside a cell strayed up to 18/255 from the cell mean (28/255 with no band), quadrant means
 * up to 8/255; a saturated overlay colour (#1e90ff) came back up to 15/255 off, 53/255 in the
 * first pixel of its border. A mosaic at half the cell size, by contrast, put quadrant means
 * 43-75/255 apart and single pixels 80-140/255 off. Hence 24/255 per pixel beyond a 2 px
 * border band, and 12/255 for quadrant means (QUADRANT_MEAN_SHARE).
 */
export const JPEG_TOLERANCE: Readonly<RegionTolerance> = Object.freeze({ channel: 24, edgeBand: 2, flatDepth: FLAT_DEPTH, flatSpread: 5 });

/**
 * The four quadrant means of a mosaic cell's interior must agree with the cell mean within this
 * share of the channel tolerance. Averaging removes most JPEG noise, while a mosaic re-painted
 * at half the cell size (its 4 sub-cells ARE the quadrants) or a gradient of original skin
 * shows up even where no single pixel is far off.
 */
const QUADRANT_MEAN_SHARE = 0.5;
const EIGHT_BIT_MAX = 255;

export interface RegionCheck {
  ok: boolean;
  detail: string;
}

function toTolerance(t: number | RegionTolerance | undefined): RegionTolerance {
  if (t === undefined) return JPEG_TOLERANCE;
  if (typeof t === 'number') return t > 0 ? { ...JPEG_TOLERANCE, channel: t } : LOSSLESS_TOLERANCE;
  return t;
}

function toBufferUnits(eightBit: number, maxValue: number): number {
  return (eightBit * maxValue) / EIGHT_BIT_MAX;
}

function formatLevel(value: number, maxValue: number): string {
  return `${Math.round((value * EIGHT_BIT_MAX) / maxValue)}/255`;
}

/**
 * Whether a recorded pixelate or overlay step is really burned into the exported pixels
 * (`deid verify`, panel review). `step.region` is in the buffer's coordinates (see
 * stepsInFinalCoordinates for recipes with a crop).
 *
 * - overlay: every pixel of the region (clamped to the image) is the recorded colour (the
 *   policy's colour when none is recorded) within the tolerance, alpha opaque.
 * - pixelate: the recorded cell size is at least the policy minimum for the region, and every
 *   cell of that grid (anchored at the region's top-left) is one colour: its interior pixels
 *   within the tolerance of the cell mean, and its four quadrant means close together. A
 *   mosaic that is too fine, or original pixels painted back, fails.
 *
 * `tolerance` defaults to JPEG_TOLERANCE; pass LOSSLESS_TOLERANCE for PNG. A number is a
 * per-channel 8-bit tolerance (0 = lossless, no border band).
 *
 * A step with a `mask` (non-rectangular selection) is checked where it was painted: overlay
 * pixels the mask selects (less the lossy edge band along the mask's border), mosaic cells the
 * mask touches.
 */
export function checkRegionObscured(
  buf: PixelBuffer,
  step: Step,
  policy: Policy,
  tolerance?: number | RegionTolerance,
): RegionCheck {
  assertPixelBuffer(buf);
  const tol = toTolerance(tolerance);
  const region = step.region;
  if (step.op !== 'pixelate' && step.op !== 'overlay') {
    return { ok: false, detail: `a ${step.op} step does not obscure anything` };
  }
  if (!region) return { ok: false, detail: `the ${step.op} step records no region` };
  const clip = clampRect(region, buf.width, buf.height);
  if (!clip) return { ok: false, detail: `region ${describeRect(region)} lies outside the ${buf.width}x${buf.height} image` };
  let mask: Mask | null = null;
  if (step.mask) {
    try {
      // What was painted: the selection with its gaps filled (apply.ts stepMask).
      mask = fillSelectionGaps(runsToMask(step.mask, region, { x: 0, y: 0, w: buf.width, h: buf.height }));
    } catch (e) {
      return { ok: false, detail: e instanceof Error ? e.message : String(e) };
    }
    if (maskSelectsNothing(step.mask)) return { ok: false, detail: 'the recorded mask selects no pixel of its region: nothing there was obscured' };
    // runsToMask kept only the part inside the image: a selection wholly outside it obscured nothing.
    if (!mask.data.some((v) => v > 0)) return { ok: false, detail: 'the recorded mask selects no pixel inside the image: nothing there was obscured' };
  }
  return step.op === 'overlay' ? checkOverlay(buf, step, clip, policy, tol, mask) : checkMosaic(buf, step, region, clip, policy, tol, mask);
}

/** Whether (x, y) is selected in `mask` and, with `band` > 0, so is every pixel within `band`
 *  of it (a lossy codec smears the mask's border, as it does the region's). */
function selectedWithin(mask: Mask, x: number, y: number, band: number): boolean {
  const { bounds, data } = mask;
  for (let dy = -band; dy <= band; dy++) {
    for (let dx = -band; dx <= band; dx++) {
      const mx = x + dx - bounds.x;
      const my = y + dy - bounds.y;
      if (mx < 0 || my < 0 || mx >= bounds.w || my >= bounds.h) {
        if (dx === 0 && dy === 0) return false;
        continue;
      }
      if (data[my * bounds.w + mx] === 0) return false;
    }
  }
  return true;
}

/** Whether any pixel of [left, right) x [top, bottom) is selected. */
function touches(mask: Mask, left: number, top: number, right: number, bottom: number): boolean {
  const { bounds, data } = mask;
  const x0 = Math.max(left, bounds.x) - bounds.x;
  const x1 = Math.min(right, bounds.x + bounds.w) - bounds.x;
  const y0 = Math.max(top, bounds.y) - bounds.y;
  const y1 = Math.min(bottom, bounds.y + bounds.h) - bounds.y;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) if (data[y * bounds.w + x] > 0) return true;
  }
  return false;
}

function describeRect(r: Rect): string {
  return `${r.w}x${r.h} at (${r.x}, ${r.y})`;
}

function checkOverlay(buf: PixelBuffer, step: Step, clip: Rect, policy: Policy, tol: RegionTolerance, mask: Mask | null): RegionCheck {
  const colorText = step.color ?? policy.overlayColor;
  if (!isHexColor(colorText)) return { ok: false, detail: `overlay colour ${JSON.stringify(colorText)} is not "#rrggbb"` };
  const { data, width, components: comps, maxValue } = buf;
  const target = colorForBuffer(parseHexColor(colorText), colorComponentCount(buf), maxValue);
  if (buf.hasAlpha) target.push(maxValue);
  const limit = toBufferUnits(tol.channel, maxValue);
  // Overlay pixels next to the region's border take chroma bleed from outside in a JPEG.
  const band = Math.min(tol.edgeBand, Math.floor((Math.min(clip.w, clip.h) - 1) / 2));
  const x0 = clip.x + band;
  const x1 = clip.x + clip.w - band;
  const y0 = clip.y + band;
  const y1 = clip.y + clip.h - band;
  let off = 0;
  let firstX = -1;
  let firstY = -1;
  let firstDev = 0;
  let checked = 0;
  // A selection with no pixel `edgeBand` inside its border (a line a few pixels thick) is checked
  // with a narrower band, as a thin rectangle is above: otherwise nothing of it would be checked
  // and any pixels there, the original ones included, would pass as painted.
  for (let maskBand = tol.edgeBand; checked === 0 && maskBand >= 0; maskBand--) {
    for (let y = y0; y < y1; y++) {
      const rowBase = y * width * comps;
      for (let x = x0; x < x1; x++) {
        if (mask && !selectedWithin(mask, x, y, maskBand)) continue;
        checked++;
        const p = rowBase + x * comps;
        let dev = 0;
        for (let c = 0; c < comps; c++) dev = Math.max(dev, Math.abs(data[p + c] - target[c]));
        if (dev > limit) {
          if (off === 0) {
            firstX = x;
            firstY = y;
            firstDev = dev;
          }
          off++;
        }
      }
    }
    if (!mask) break;
  }
  if (off > 0) {
    return {
      ok: false,
      detail:
        `overlay ${describeRect(clip)} is not solid ${colorText}: ${off} of ${checked} pixels differ by more than ` +
        `${tol.channel}/255; first at (${firstX}, ${firstY}), off by ${formatLevel(firstDev, maxValue)}`,
    };
  }
  const deep = deepSpread(buf, clip, mask, tol);
  if (deep) {
    return {
      ok: false,
      detail:
        `overlay ${describeRect(clip)} is not solid ${colorText}: deep inside it, where a JPEG keeps one colour exactly, ` +
        `the brightness of 4x4 blocks differs by up to ${formatLevel(deep.spread, maxValue)} (more than ${tol.flatSpread}/255), around (${deep.x}, ${deep.y}): a faint picture under the colour?`,
    };
  }
  return { ok: true, detail: `overlay ${describeRect(clip)} is solid ${colorText}` };
}

/**
 * The spread of the luminance means of FLAT_BLOCK x FLAT_BLOCK blocks lying wholly
 * `tol.flatDepth` or more inside `area` (and inside `mask`, when one is given), where it
 * exceeds `tol.flatSpread`; null when it does not, or no block lies that deep. Block means,
 * not single pixels: noise (a dither, JPEG rounding) averages out within a block, while a copy
 * of a face or of text strokes moves the means of the blocks it crosses. See FLAT_DEPTH.
 */
function deepSpread(buf: PixelBuffer, area: Rect, mask: Mask | null, tol: RegionTolerance): { spread: number; x: number; y: number } | null {
  const depth = tol.flatDepth ?? 0;
  if (depth <= 0) return null;
  const x0 = area.x + depth;
  const x1 = area.x + area.w - depth;
  const y0 = area.y + depth;
  const y1 = area.y + area.h - depth;
  if (x1 - x0 < FLAT_BLOCK || y1 - y0 < FLAT_BLOCK) return null;
  const deep = mask ? erode(mask, area, depth) : null;
  const isDeep = (x: number, y: number) => !deep || deep.data[(y - deep.bounds.y) * deep.bounds.w + (x - deep.bounds.x)] === 1;
  const { data, width, components: comps, maxValue } = buf;
  // JFIF's luminance (the Y row of its RGB -> YCbCr); a grey buffer is its own.
  const lumaAt = comps >= 3 ? (p: number) => 0.299 * data[p] + 0.587 * data[p + 1] + 0.114 * data[p + 2] : (p: number) => data[p];
  let lo = Infinity;
  let hi = -Infinity;
  let at = { x: 0, y: 0 };
  for (let by = y0; by + FLAT_BLOCK <= y1; by += FLAT_BLOCK) {
    for (let bx = x0; bx + FLAT_BLOCK <= x1; bx += FLAT_BLOCK) {
      let sum = 0;
      let whole = true;
      for (let y = by; y < by + FLAT_BLOCK && whole; y++) {
        for (let x = bx; x < bx + FLAT_BLOCK; x++) {
          if (!isDeep(x, y)) {
            whole = false;
            break;
          }
          sum += lumaAt((y * width + x) * comps);
        }
      }
      if (!whole) continue;
      const mean = sum / (FLAT_BLOCK * FLAT_BLOCK);
      // Where the brightness last reached a new extreme: a place to look.
      if (mean < lo || mean > hi) at = { x: bx, y: by };
      if (mean < lo) lo = mean;
      if (mean > hi) hi = mean;
    }
  }
  const spread = hi - lo;
  if (!(spread > toBufferUnits(tol.flatSpread ?? 0, maxValue))) return null;
  return { spread, ...at };
}

/**
 * `mask` within `area`, eroded by a square of radius `depth`: a pixel stays when every pixel
 * within `depth` of it (Chebyshev) is selected and inside `area`. Two run-length passes (rows,
 * then columns), linear in the area.
 */
function erode(mask: Mask, area: Rect, depth: number): Mask {
  const { x: ax, y: ay, w, h } = area;
  const span = 2 * depth + 1;
  const across = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    let run = 0;
    for (let x = 0; x < w; x++) {
      const mx = ax + x - mask.bounds.x;
      const my = ay + y - mask.bounds.y;
      const on = mx >= 0 && my >= 0 && mx < mask.bounds.w && my < mask.bounds.h && mask.data[my * mask.bounds.w + mx] > 0;
      run = on ? run + 1 : 0;
      // The window [x - 2 depth, x] is all selected: its centre passes across.
      if (run >= span) across[y * w + (x - depth)] = 1;
    }
  }
  const out = new Uint8Array(w * h);
  for (let x = 0; x < w; x++) {
    let run = 0;
    for (let y = 0; y < h; y++) {
      run = across[y * w + x] ? run + 1 : 0;
      if (run >= span) out[(y - depth) * w + x] = 1;
    }
  }
  return { data: out, bounds: { x: ax, y: ay, w, h } };
}

interface CellFault {
  x: number;
  y: number;
  what: string;
}

function checkMosaic(buf: PixelBuffer, step: Step, region: Rect, clip: Rect, policy: Policy, tol: RegionTolerance, mask: Mask | null): RegionCheck {
  // The policy decides which kinds a mosaic may cover at all (text never: research/deid-threats.md
  // section 1, pixelated text is read back); a mosaic it forbids obscures nothing it accepts.
  const refusal = mosaicKindRefusal(policy, step.regionKind);
  if (refusal) return { ok: false, detail: refusal };
  const recorded = step.cellSize;
  const minimum = minimumCellSize(policy, region);
  if (recorded === undefined || !Number.isInteger(recorded) || recorded < 1) {
    return { ok: false, detail: 'the mosaic step records no valid cell size' };
  }
  if (recorded < minimum) {
    return {
      ok: false,
      detail: `recorded mosaic cells of ${recorded} px are finer than the policy minimum of ${minimum} px for a ${region.w}x${region.h} region`,
    };
  }
  const clipRight = clip.x + clip.w;
  const clipBottom = clip.y + clip.h;
  const firstCol = Math.floor((clip.x - region.x) / recorded);
  const lastCol = Math.floor((clipRight - 1 - region.x) / recorded);
  const firstRow = Math.floor((clip.y - region.y) / recorded);
  const lastRow = Math.floor((clipBottom - 1 - region.y) / recorded);
  const scratch = new Float64Array(buf.components * 5);
  const grid: CellGrid = {
    region, clip, size: recorded, firstCol, firstRow,
    cols: lastCol - firstCol + 1,
    means: new Float64Array((lastCol - firstCol + 1) * (lastRow - firstRow + 1) * buf.components),
    painted: new Uint8Array((lastCol - firstCol + 1) * (lastRow - firstRow + 1)),
  };
  let cells = 0;
  let bad = 0;
  let first: CellFault | null = null;
  const eachCell = (visit: (col: number, row: number, left: number, top: number, right: number, bottom: number) => void) => {
    for (let row = firstRow; row <= lastRow; row++) {
      const top = Math.max(region.y + row * recorded, clip.y);
      const bottom = Math.min(region.y + (row + 1) * recorded, clipBottom);
      for (let col = firstCol; col <= lastCol; col++) {
        const left = Math.max(region.x + col * recorded, clip.x);
        const right = Math.min(region.x + (col + 1) * recorded, clipRight);
        // Cells the selection never touched were not painted (DESIGN.md: cells touching it are).
        if (mask && !touches(mask, left, top, right, bottom)) continue;
        visit(col, row, left, top, right, bottom);
      }
    }
  };
  // Pass 1: every painted cell's mean (of its interior, or of all of it when it is a sliver).
  eachCell((col, row, left, top, right, bottom) => {
    const index = (row - firstRow) * grid.cols + (col - firstCol);
    grid.painted[index] = 1;
    cellMean(buf, left, top, right, bottom, tol.edgeBand, grid.means, index * buf.components);
  });
  // Pass 2: the interior is one colour, and the border band holds nothing but its own colour
  // blending into a neighbour's (what JPEG does at an edge), never other content.
  eachCell((col, row, left, top, right, bottom) => {
    cells++;
    const fault = checkCell(buf, left, top, right, bottom, tol, scratch) ?? checkBand(buf, grid, col, row, left, top, right, bottom, tol) ?? checkCellDeep(buf, left, top, right, bottom, tol);
    if (fault) {
      bad++;
      first ??= fault;
    }
  });
  // (A closure assigned `first`: TypeScript's narrowing cannot see that.)
  const fault = first as CellFault | null;
  if (fault) {
    return {
      ok: false,
      detail:
        `mosaic ${describeRect(clip)} with ${recorded} px cells: ${bad} of ${cells} cells are not one colour; ` +
        `first: cell at (${fault.x}, ${fault.y}) ${fault.what}`,
    };
  }
  return { ok: true, detail: `mosaic ${describeRect(clip)}: all ${cells} cells of ${recorded} px are one colour` };
}

/** A cell large enough to have pixels FLAT_DEPTH inside it: those are one value (see FLAT_DEPTH). */
function checkCellDeep(buf: PixelBuffer, left: number, top: number, right: number, bottom: number, tol: RegionTolerance): CellFault | null {
  const deep = deepSpread(buf, { x: left, y: top, w: right - left, h: bottom - top }, null, tol);
  if (!deep) return null;
  return { x: left, y: top, what: `is not one colour deep inside, where a JPEG keeps one colour exactly: the brightness of 4x4 blocks differs by up to ${formatLevel(deep.spread, buf.maxValue)} around (${deep.x}, ${deep.y})` };
}

interface CellGrid {
  region: Rect;
  clip: Rect;
  size: number;
  firstCol: number;
  firstRow: number;
  cols: number;
  /** Per painted cell, per channel: its mean. */
  means: Float64Array;
  painted: Uint8Array;
}

/** Mean of a cell's interior (inside `band`), or of the whole cell when the interior is empty. */
function cellMean(buf: PixelBuffer, left: number, top: number, right: number, bottom: number, band: number, out: Float64Array, at: number): void {
  const { data, width, components: comps } = buf;
  let x0 = left + band;
  let x1 = right - band;
  let y0 = top + band;
  let y1 = bottom - band;
  if (x1 <= x0 || y1 <= y0) {
    x0 = left;
    x1 = right;
    y0 = top;
    y1 = bottom;
  }
  for (let c = 0; c < comps; c++) out[at + c] = 0;
  for (let y = y0; y < y1; y++) {
    const rowBase = y * width * comps;
    for (let x = x0; x < x1; x++) for (let c = 0; c < comps; c++) out[at + c] += data[rowBase + x * comps + c];
  }
  const n = (x1 - x0) * (y1 - y0);
  for (let c = 0; c < comps; c++) out[at + c] /= n;
}

const NEIGHBOUR_STEPS: ReadonlyArray<readonly [number, number]> = [[-1, -1], [0, -1], [1, -1], [-1, 0], [1, 0], [-1, 1], [0, 1], [1, 1]];

/**
 * The border band of a cell (the pixels JPEG_TOLERANCE exempts from the interior check). Lossy
 * coding blends a cell's colour with its neighbours' across an edge, so each band pixel must lie
 * between the colours around it: its own cell's mean and whatever lies just past the band in
 * each direction (a neighbouring cell's mean, or the actual pixel outside a painted area),
 * widened by the tolerance. Original content painted back into the bands (a face's eyes and
 * edges) falls outside that range; ringing and chroma bleed do not.
 */
/**
 * Band pixels may overshoot the range of the colours around them by this multiple of the
 * channel tolerance. Measured with 8-40 px cells on three photos (DSCN0010, Canon_40D, the
 * bundled sample) through libjpeg: worst overshoot 20/255 at quality 92 4:4:4, 31/255 at
 * quality 90 4:2:0, 38/255 at quality 75 4:2:0; hence 2 x 24 = 48/255.
 */
const BAND_TOLERANCE_FACTOR = 2;
function checkBand(
  buf: PixelBuffer,
  grid: CellGrid,
  col: number,
  row: number,
  left: number,
  top: number,
  right: number,
  bottom: number,
  tol: RegionTolerance,
): CellFault | null {
  const band = tol.edgeBand;
  if (band === 0) return null;
  const { data, width, height, components: comps, maxValue } = buf;
  const limit = toBufferUnits(tol.channel * BAND_TOLERANCE_FACTOR, maxValue);
  const own = ((row - grid.firstRow) * grid.cols + (col - grid.firstCol)) * comps;
  const lo = new Float64Array(comps);
  const hi = new Float64Array(comps);
  const reach = band + 1;
  for (let y = top; y < bottom; y++) {
    const inBandY = y < top + band || y >= bottom - band;
    for (let x = left; x < right; x++) {
      if (!inBandY && x >= left + band && x < right - band) continue;
      for (let c = 0; c < comps; c++) lo[c] = hi[c] = grid.means[own + c];
      for (const [dx, dy] of NEIGHBOUR_STEPS) {
        // Walk outwards to just past the band: a neighbouring painted cell counts with its mean,
        // unpainted pixels (outside the region or the selection) with their own values.
        for (let k = 1; k <= reach; k++) {
          const px = x + dx * k;
          const py = y + dy * k;
          if (px < 0 || py < 0 || px >= width || py >= height) break;
          const ncol = Math.floor((px - grid.region.x) / grid.size);
          const nrow = Math.floor((py - grid.region.y) / grid.size);
          if (ncol === col && nrow === row) continue;
          const inside = px >= grid.clip.x && py >= grid.clip.y && px < grid.clip.x + grid.clip.w && py < grid.clip.y + grid.clip.h;
          const ci = (nrow - grid.firstRow) * grid.cols + (ncol - grid.firstCol);
          const fromCell = inside && grid.painted[ci] === 1;
          const base = fromCell ? ci * comps : (py * width + px) * comps;
          const src = fromCell ? grid.means : data;
          for (let c = 0; c < comps; c++) {
            const v = src[base + c];
            if (v < lo[c]) lo[c] = v;
            if (v > hi[c]) hi[c] = v;
          }
          if (fromCell) break;
        }
      }
      const p = (y * width + x) * comps;
      for (let c = 0; c < comps; c++) {
        const v = data[p + c];
        if (v < lo[c] - limit || v > hi[c] + limit) {
          return { x: left, y: top, what: `has other content in its border: pixel (${x}, ${y}) matches neither the cell nor its neighbours` };
        }
      }
    }
  }
  return null;
}

/**
 * One cell, [left, right) x [top, bottom). Returns what is wrong, or null. `scratch` holds
 * per-channel sums for the whole interior and its four quadrants (no allocation per cell).
 */
function checkCell(
  buf: PixelBuffer,
  left: number,
  top: number,
  right: number,
  bottom: number,
  tol: RegionTolerance,
  scratch: Float64Array,
): CellFault | null {
  const { data, width, components: comps, maxValue, hasAlpha } = buf;
  const bandX = Math.min(tol.edgeBand, right - left);
  const bandY = Math.min(tol.edgeBand, bottom - top);
  const x0 = left + bandX;
  const x1 = right - bandX;
  const y0 = top + bandY;
  const y1 = bottom - bandY;
  // A sliver no wider than two border bands is all border: with a lossy tolerance only its
  // neighbours vouch for it (see JPEG_TOLERANCE).
  if (x1 <= x0 || y1 <= y0) return null;
  const limit = toBufferUnits(tol.channel, maxValue);
  const midX = (x0 + x1) >> 1;
  const midY = (y0 + y1) >> 1;
  scratch.fill(0);
  const quadrantCount = [0, 0, 0, 0];
  for (let y = y0; y < y1; y++) {
    const rowBase = y * width * comps;
    const qRow = y < midY ? 0 : 2;
    for (let x = x0; x < x1; x++) {
      const p = rowBase + x * comps;
      const q = qRow + (x < midX ? 0 : 1);
      quadrantCount[q]++;
      const qBase = (q + 1) * comps;
      for (let c = 0; c < comps; c++) {
        scratch[c] += data[p + c];
        scratch[qBase + c] += data[p + c];
      }
    }
  }
  const n = (x1 - x0) * (y1 - y0);
  for (let c = 0; c < comps; c++) scratch[c] /= n;
  if (hasAlpha && maxValue - scratch[comps - 1] > limit) {
    return { x: left, y: top, what: `is not opaque (alpha ${formatLevel(scratch[comps - 1], maxValue)})` };
  }
  for (let q = 0; q < 4; q++) {
    if (quadrantCount[q] === 0) continue;
    for (let c = 0; c < comps; c++) {
      const dev = Math.abs(scratch[(q + 1) * comps + c] / quadrantCount[q] - scratch[c]);
      if (dev > limit * QUADRANT_MEAN_SHARE) {
        return { x: left, y: top, what: `has parts of different colours (a quadrant's mean is off by ${formatLevel(dev, maxValue)})` };
      }
    }
  }
  for (let y = y0; y < y1; y++) {
    const rowBase = y * width * comps;
    for (let x = x0; x < x1; x++) {
      const p = rowBase + x * comps;
      for (let c = 0; c < comps; c++) {
        const dev = Math.abs(data[p + c] - scratch[c]);
        if (dev > limit) {
          return { x: left, y: top, what: `varies: pixel (${x}, ${y}) is off its mean by ${formatLevel(dev, maxValue)}` };
        }
      }
    }
  }
  return null;
}
