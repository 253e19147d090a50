/**
 * Where each scan of a progressive Huffman frame (SOF2) ends, as sequentialScanExtent does for
 * SOF0/SOF1: ITU T.81 Annex G.1.2 (G.1.2.1 DC first and refinement, G.1.2.2 AC first with EOB
 * runs, G.1.2.3 AC refinement with correction bits), A.2.2 / A.2.3 for the MCU layout, F.2.2.5 /
 * B.2.4.4 for restart intervals. An AC refinement scan codes a correction bit for every
 * coefficient that earlier scans made nonzero, so the frame remembers, per block, which AC
 * coefficients are nonzero; no coefficient value is kept. Where T.81 leaves damaged data open,
 * this follows libjpeg (jdphuff.c), which is what decoders run.
 */
import { DeidError } from '../errors';
import { ScanBits, type Frame, type HuffmanTable } from './jpeg-scan';

const BLOCK = 8;
const LAST_COEFFICIENT = 63;
/** G.1.2.2: R = 15 with S = 0 is ZRL (16 zeros); other R with S = 0 is EOBn. */
const ZRL_RUN = 15;
/** libjpeg's limits (jdphuff.c start_pass, jdinput.c): beyond them it refuses the scan. */
const MAX_AL = 13;
const MAX_BLOCKS_IN_MCU = 10;
const RST_CYCLE = 8;
/** Per block, two 32-bit words: bit k (zig-zag index 1..63) set when coefficient k is nonzero. */
const WORDS_PER_BLOCK = 2;
/**
 * Blocks of one component whose history is kept (2^22: 268 megapixels, sharp's default
 * limitInputPixels; 32 MiB). A frame header can claim 65535 x 65535 in a few bytes; beyond this,
 * the component's AC scans are not judged.
 */
const MAX_HISTORY_BLOCKS = 1 << 22;
/**
 * Blocks an AC refinement scan may visit, over the whole frame: a floor, plus so many per byte of
 * the file. G.1.2.3 reads nothing for a block in an EOB run whose band holds no nonzero
 * coefficient, so a scan of a few hundred bytes (EOBRUN up to 32767 per code) can visit 2^22
 * blocks, and a file can repeat such scans thousands of times: quadratic work for its size. Every
 * other per-block step reads at least one bit. Encoders write a handful of refinement scans per
 * component, and every block costs at least one bit in the DC first scan (G.1.2.1), so real files
 * stay far below 8 x (refinement scans per component) visits per byte.
 */
const REFINE_VISITS_FLOOR = 1 << 20;
const REFINE_VISITS_PER_BYTE = 128;

export interface ProgressiveScan {
  /** Scan components (B.2.3 Cs) with the tables Td/Ta select, undefined where none is defined. */
  components: ReadonlyArray<{ id: number; dc: HuffmanTable | undefined; ac: HuffmanTable | undefined }>;
  /** B.2.3: spectral selection start/end, successive approximation high/low. */
  ss: number;
  se: number;
  ah: number;
  al: number;
}

export interface ScanExtent {
  end: number;
  slack: Array<[number, number]>;
}

/** Sets the nonzero bit of zig-zag index `k` in block `b` (libjpeg maps k past 63 to 63). */
function mark(h: Uint32Array, b: number, k: number): void {
  const z = k > LAST_COEFFICIENT ? LAST_COEFFICIENT : k;
  h[b * WORDS_PER_BLOCK + (z >> 5)] |= 1 << (z & 31);
}

function isSet(h: Uint32Array, b: number, k: number): boolean {
  return (h[b * WORDS_PER_BLOCK + (k >> 5)] & (1 << (k & 31))) !== 0;
}

function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/** Bits from..to (0 <= from <= to <= 31) of a word. */
function span(from: number, to: number): number {
  return ((to === 31 ? 0xffffffff : (1 << (to + 1)) - 1) & ~((1 << from) - 1)) >>> 0;
}

/** How many of zig-zag indices from..to (1 <= from, to <= 63) of block `b` are nonzero. */
function countSet(h: Uint32Array, b: number, from: number, to: number): number {
  if (from > to) return 0;
  const at = b * WORDS_PER_BLOCK;
  let n = 0;
  if (from < 32) n += popcount(h[at] & span(from, Math.min(to, 31)));
  if (to >= 32) n += popcount(h[at + 1] & span(Math.max(from, 32) - 32, to - 32));
  return n;
}

/**
 * The scans of one progressive frame, judged in file order. `extent` answers for one scan:
 * where its coded data ends and which bytes before an RSTn no MCU reads, or null when that is not
 * known (data that runs out, a scan libjpeg refuses, or a refinement of coefficients whose
 * history an earlier unjudged scan left unknown).
 */
export class ProgressiveScans {
  private readonly hMax: number;
  private readonly vMax: number;
  /** Per component id: nonzero history of its blocks (A.2.2 order), or null once unknown. */
  private readonly history = new Map<number, Uint32Array | null>();
  /** A scan libjpeg stops at (JERR_BAD_PROGRESSION, missing table, ...): nothing after is read. */
  private refused = false;
  /** Blocks visited by AC refinement scans so far (REFINE_VISITS_FLOOR). */
  private refineVisits = 0;
  /** Why the last scan `extent` answered null for was not judged (a finding's words). */
  whyNot = '';

  constructor(private readonly frame: Frame) {
    this.hMax = Math.max(...frame.components.map((c) => c.h));
    this.vMax = Math.max(...frame.components.map((c) => c.v));
  }

  /** A.2.2: a component's blocks across and down (its non-interleaved MCUs). */
  private blocks(id: number): { w: number; h: number } | null {
    const c = this.frame.components.find((f) => f.id === id);
    if (!c) return null;
    return {
      w: Math.ceil(Math.ceil((this.frame.width * c.h) / this.hMax) / BLOCK),
      h: Math.ceil(Math.ceil((this.frame.height * c.v) / this.vMax) / BLOCK),
    };
  }

  private historyOf(id: number, blocks: number): Uint32Array | null {
    let h = this.history.get(id);
    if (h === undefined) {
      h = blocks > MAX_HISTORY_BLOCKS ? null : new Uint32Array(blocks * WORDS_PER_BLOCK);
      this.history.set(id, h);
    }
    return h;
  }

  /** G.1.1.1.1 as libjpeg enforces it: which scans it decodes at all. */
  private valid(scan: ProgressiveScan): boolean {
    const { ss, se, ah, al, components } = scan;
    if (components.length < 1 || components.length > 4) return false;
    if (ss === 0 ? se !== 0 : ss > se || se > LAST_COEFFICIENT || components.length !== 1) return false;
    if (ah !== 0 && al !== ah - 1) return false;
    if (al > MAX_AL) return false;
    for (const c of components) {
      if (!this.blocks(c.id)) return false;
      // DC refinement reads raw bits (G.1.2.1) and needs no table.
      if (ss === 0 && ah === 0 && !c.dc) return false;
      if (ss > 0 && !c.ac) return false;
    }
    return new Set(components.map((c) => c.id)).size === components.length;
  }

  extent(bytes: Uint8Array, start: number, end: number, scan: ProgressiveScan, restartInterval: number): ScanExtent | null {
    if (this.refused || this.frame.width === 0 || this.frame.height === 0) {
      this.whyNot = 'follows a scan decoders refuse';
      return null;
    }
    if (!this.valid(scan)) {
      this.refused = true;
      this.whyNot = 'decoders refuse (spectral or approximation values, components or tables out of bounds)';
      return null;
    }
    this.whyNot = 'does not decode to its last MCU (damaged, cut short, or a restart marker missing)';
    const bits = new ScanBits(bytes, start, end);
    const done = scan.ss === 0 ? this.dcScan(bits, scan, restartInterval) : this.acScan(bits, scan, restartInterval);
    return done ? { end: bits.position(), slack: bits.skipped } : null;
  }

  /** F.2.2.5 / B.2.4.4: before MCU `m`, the RSTn that ends the previous interval. */
  private static restartBefore(bits: ScanBits, m: number, restartInterval: number): boolean {
    if (restartInterval === 0 || m === 0 || m % restartInterval !== 0) return true;
    return bits.restart((m / restartInterval - 1) % RST_CYCLE);
  }

  /** G.1.2.1: DC first (a DIFF as in F.2.2.1) or refinement (one raw bit) per block. */
  private dcScan(bits: ScanBits, scan: ProgressiveScan, restartInterval: number): boolean {
    let mcus: number;
    let tables: Array<HuffmanTable | undefined>;
    if (scan.components.length === 1) {
      // A.2.2: one block per MCU over the component's own blocks.
      const b = this.blocks(scan.components[0].id)!;
      mcus = b.w * b.h;
      tables = [scan.components[0].dc];
    } else {
      // A.2.3: Hi x Vi blocks of each component per MCU, padding blocks included.
      mcus = Math.ceil(this.frame.width / (BLOCK * this.hMax)) * Math.ceil(this.frame.height / (BLOCK * this.vMax));
      tables = [];
      for (const s of scan.components) {
        const c = this.frame.components.find((f) => f.id === s.id)!;
        for (let i = 0; i < c.h * c.v; i++) tables.push(s.dc);
      }
      if (tables.length > MAX_BLOCKS_IN_MCU) {
        this.refused = true;
        this.whyNot = 'decoders refuse (more than 10 blocks in an MCU)';
        return false;
      }
    }
    const refine = scan.ah !== 0;
    for (let m = 0; m < mcus; m++) {
      if (!ProgressiveScans.restartBefore(bits, m, restartInterval)) return false;
      for (const t of tables) {
        if (refine) bits.read();
        else bits.receive(bits.decode(t!));
      }
      if (bits.exhausted) return false;
    }
    return true;
  }

  /** G.1.2.2 / G.1.2.3: one component's band Ss..Se, block by block, with EOB runs. */
  private acScan(bits: ScanBits, scan: ProgressiveScan, restartInterval: number): boolean {
    const { id, ac } = scan.components[0];
    const table = ac!;
    const b = this.blocks(id)!;
    const mcus = b.w * b.h;
    const h = this.historyOf(id, mcus);
    const refine = scan.ah !== 0;
    if (h === null) {
      // The nonzero history is unknown: a first scan adds to it (still unknown after); a
      // refinement cannot be walked.
      if (refine) {
        this.whyNot = 'refines coefficients no earlier scan could be walked for (a frame too large, or a scan that did not decode whole)';
        return false;
      }
    }
    const { ss, se } = scan;
    const visitBudget = REFINE_VISITS_FLOOR + REFINE_VISITS_PER_BYTE * bits.length;
    let eobrun = 0;
    let ok = true;
    for (let m = 0; m < mcus && ok; m++) {
      if (!ProgressiveScans.restartBefore(bits, m, restartInterval)) {
        ok = false;
        break;
      }
      if (m > 0 && restartInterval > 0 && m % restartInterval === 0) eobrun = 0;
      if (!refine) {
        // G.1.2.2 (libjpeg decode_mcu_AC_first).
        if (eobrun > 0) {
          // The run's blocks read nothing: passed over at once, up to the interval's end.
          const skip = Math.min(eobrun, mcus - m, restartInterval > 0 ? restartInterval - (m % restartInterval) : mcus);
          eobrun -= skip;
          m += skip - 1;
          continue;
        }
        for (let k = ss; k <= se; k++) {
          const rs = bits.decode(table);
          const r = rs >> 4;
          const s = rs & 15;
          if (s !== 0) {
            k += r;
            bits.receive(s);
            if (h) mark(h, m, k);
          } else if (r === ZRL_RUN) {
            k += ZRL_RUN;
          } else {
            eobrun = (1 << r) + bits.bits(r) - 1;
            break;
          }
        }
      } else {
        // G.1.2.3 (libjpeg decode_mcu_AC_refine): a correction bit for each coefficient already
        // nonzero that the run passes, a sign bit for the newly nonzero one.
        const hist = h!;
        if (++this.refineVisits > visitBudget) {
          throw new DeidError('unsupported', `JPEG: progressive refinement scans visit more than ${visitBudget} blocks, far more than a ${bits.length}-byte file's encoder writes; not decoded`);
        }
        let k = ss;
        if (eobrun === 0) {
          for (; k <= se; k++) {
            const rs = bits.decode(table);
            let r = rs >> 4;
            const s = rs & 15;
            if (s !== 0) {
              bits.read();
            } else if (r !== ZRL_RUN) {
              eobrun = (1 << r) + bits.bits(r);
              break;
            }
            do {
              if (isSet(hist, m, k)) bits.read();
              else if (--r < 0) break;
              k++;
            } while (k <= se);
            if (s !== 0) mark(hist, m, k);
            if (bits.exhausted) break;
          }
        }
        if (eobrun > 0) {
          // In an EOB run only correction bits follow, one per nonzero coefficient left.
          bits.receive(countSet(hist, m, k, se));
          eobrun--;
        }
      }
      if (bits.exhausted) ok = false;
    }
    // Coefficients a scan that did not decode whole would have set are not known.
    if (!ok) this.history.set(id, null);
    return ok;
  }
}
