/**
 * Exact layout of the JPEG segments that decoders need (ITU T.81 Annex B,
 * https://www.w3.org/Graphics/JPEG/itu-t81.pdf): DQT (B.2.4.1), DHT (B.2.4.2), DAC (B.2.4.3),
 * SOFn (B.2.2), SOS (B.2.3), DRI (B.2.4.4), DNL (B.2.5).
 *
 * These segments are kept by strip, so every byte in them must be one a decoder reads: bytes past
 * what the contents define, and tables no scan uses, can carry arbitrary text. This module finds
 * both. "Used" follows libjpeg (what sharp, browsers and most tools decode with): Huffman and
 * conditioning tables are looked up when each scan starts, so a definition is used when a later
 * scan needs its slot before the slot is redefined; a quantisation table is latched per component
 * at the first scan containing that component (T.81 B.2.2, Tq: the destination "shall not be
 * re-specified with a new table until all scans containing Ci have been completed").
 */

/** Segment marker codes this module reads (T.81 Table B.1). */
export const SOS = 0xda;
export const DQT = 0xdb;
export const DNL = 0xdc;
export const DRI = 0xdd;
export const DHT = 0xc4;
export const DAC = 0xcc;

const MARKER_SIZE = 2;
const LENGTH_SIZE = 2;
const HEADER_SIZE = MARKER_SIZE + LENGTH_SIZE;
/** Tables per class: T.81 allows destinations 0..3. */
const DESTINATIONS = 4;
/** DQT: Pq/Tq byte, then 64 elements of 8 bits (Pq 0) or 16 bits (Pq 1). */
const DCT_ELEMENTS = 64;
const MAX_PRECISION = 1;
/** DHT: Tc/Th byte, 16 code counts, then the values; at most 256 values (one per symbol). */
const HUFFMAN_COUNTS = 16;
const MAX_HUFFMAN_VALUES = 256;
/** DAC: pairs of Tc/Tb and Cs; an AC conditioning value Kx is 1..63. */
const DAC_ENTRY = 2;
const MAX_KX = 63;
/** SOF: P (1), Y (2), X (2), Nf (1), then C, H/V, Tq per component. */
const SOF_FIXED = 6;
const SOF_COMPONENT = 3;
/** SOS: Ns (1), then Cs, Td/Ta per component, then Ss, Se, Ah/Al. */
const SOS_COMPONENT = 2;
const SOS_TAIL = 3;
/** DRI: Ri (2); DNL: NL (2). */
const DRI_DNL_CONTENT = 2;
/** T.81 Table B.1: SOF9..SOF15 are arithmetic coded; the low two bits name the process. */
const FIRST_ARITHMETIC_SOF = 0xc9;
const PROCESS_MASK = 3;
const PROCESS_PROGRESSIVE = 2;
const PROCESS_LOSSLESS = 3;
const COMPONENT_IDS = 256;
const NO_TABLE = -1;

/** Which table family a definition belongs to. */
export type TableFamily = 'quantisation' | 'huffman' | 'conditioning';

/** One table (or DAC entry) a DQT, DHT or DAC segment defines. */
export interface TableDef {
  family: TableFamily;
  /** 0 for DC (and for all quantisation tables), 1 for AC. */
  tableClass: number;
  id: number;
  start: number;
  end: number;
  used: boolean;
}

/** What one kept segment holds, as its contents define it. */
export interface SegmentLayout {
  marker: number;
  offset: number;
  end: number;
  /** Where the contents end; before `end` means the segment hides bytes. */
  contentEnd: number;
  /** The contents announce more than the segment holds: it cannot be read. */
  short: boolean;
  /** Tables a DQT/DHT/DAC defines, in order (empty for other segments). */
  tables: TableDef[];
}

/** The marker-delimited pieces of a JPEG, as jpeg.ts splits them. */
export interface SegmentPiece {
  marker: number | 'ecs' | 'trailer' | 'gap';
  offset: number;
  end: number;
}

export interface FrameLayouts {
  /** Aligned with the pieces; undefined for pieces this module does not read. */
  layouts: Array<SegmentLayout | undefined>;
  /** Components of the first frame (Nf), 0 without a frame: APP14's transform depends on it. */
  components: number;
}

export function isSof(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== DHT && marker !== 0xc8 && marker !== DAC;
}

/** Reads DQT tables until the bytes no longer form one; returns where the last one ends. */
function readDqt(bytes: Uint8Array, from: number, end: number, tables: TableDef[]): number {
  let at = from;
  while (at < end) {
    const precision = bytes[at] >> 4;
    const id = bytes[at] & 0x0f;
    if (precision > MAX_PRECISION || id >= DESTINATIONS) break;
    const size = 1 + DCT_ELEMENTS * (precision + 1);
    if (at + size > end) break;
    tables.push({ family: 'quantisation', tableClass: 0, id, start: at, end: at + size, used: false });
    at += size;
  }
  return at;
}

function readDht(bytes: Uint8Array, from: number, end: number, tables: TableDef[]): number {
  let at = from;
  while (at < end) {
    const tableClass = bytes[at] >> 4;
    const id = bytes[at] & 0x0f;
    if (tableClass > 1 || id >= DESTINATIONS || at + 1 + HUFFMAN_COUNTS > end) break;
    let values = 0;
    for (let i = 1; i <= HUFFMAN_COUNTS; i++) values += bytes[at + i];
    const size = 1 + HUFFMAN_COUNTS + values;
    if (values > MAX_HUFFMAN_VALUES || at + size > end) break;
    tables.push({ family: 'huffman', tableClass, id, start: at, end: at + size, used: false });
    at += size;
  }
  return at;
}

function readDac(bytes: Uint8Array, from: number, end: number, tables: TableDef[]): number {
  let at = from;
  while (at + DAC_ENTRY <= end) {
    const tableClass = bytes[at] >> 4;
    const id = bytes[at] & 0x0f;
    const value = bytes[at + 1];
    // T.81 B.2.4.3: DC conditioning is L (low nibble) <= U (high nibble); AC is Kx in 1..63.
    const valid = tableClass === 0 ? (value & 0x0f) <= value >> 4 : tableClass === 1 && value >= 1 && value <= MAX_KX;
    if (!valid || id >= DESTINATIONS) break;
    tables.push({ family: 'conditioning', tableClass, id, start: at, end: at + DAC_ENTRY, used: false });
    at += DAC_ENTRY;
  }
  return at;
}

/** Fixed-layout segment: `content` bytes after the length field, or short when fewer. */
function fixedLayout(marker: number, offset: number, end: number, content: number): SegmentLayout {
  const contentEnd = offset + HEADER_SIZE + content;
  return { marker, offset, end, contentEnd: Math.min(contentEnd, end), short: contentEnd > end, tables: [] };
}

/** Current definition per slot (class * DESTINATIONS + id) of one table family. */
type Slots = Array<TableDef | null>;

function markUsed(slots: Slots, tableClass: number, id: number): void {
  if (id >= DESTINATIONS) return;
  const def = slots[tableClass * DESTINATIONS + id];
  if (def) def.used = true;
}

/**
 * Lays out every DQT/DHT/DAC/SOF/SOS/DRI/DNL piece and marks which table definitions some
 * scan uses. One pass, no per-byte allocation.
 */
export function layoutSegments(bytes: Uint8Array, pieces: readonly SegmentPiece[]): FrameLayouts {
  const layouts: Array<SegmentLayout | undefined> = new Array(pieces.length);
  const quantisation: Slots = new Array(DESTINATIONS).fill(null);
  const huffman: Slots = new Array(2 * DESTINATIONS).fill(null);
  const conditioning: Slots = new Array(2 * DESTINATIONS).fill(null);
  const tqOf = new Int16Array(COMPONENT_IDS).fill(NO_TABLE);
  const latched = new Uint8Array(COMPONENT_IDS);
  let frameMarker = 0;
  let components = 0;
  let frames = 0;
  for (let p = 0; p < pieces.length; p++) {
    const { marker, offset, end } = pieces[p];
    if (typeof marker !== 'number') continue;
    const payload = offset + HEADER_SIZE;
    if (marker === DQT || marker === DHT || marker === DAC) {
      const tables: TableDef[] = [];
      const read = marker === DQT ? readDqt : marker === DHT ? readDht : readDac;
      const contentEnd = read(bytes, payload, end, tables);
      const slots = marker === DQT ? quantisation : marker === DHT ? huffman : conditioning;
      // A later table in the same destination replaces the earlier one (T.81 B.2.4).
      for (const t of tables) slots[t.tableClass * DESTINATIONS + t.id] = t;
      layouts[p] = { marker, offset, end, contentEnd, short: false, tables };
    } else if (isSof(marker)) {
      const count = payload + SOF_FIXED <= end ? bytes[payload + SOF_FIXED - 1] : 0;
      const layout = fixedLayout(marker, offset, end, SOF_FIXED + SOF_COMPONENT * count);
      if (payload + SOF_FIXED > end) layout.short = true;
      layouts[p] = layout;
      if (layout.short) continue;
      frameMarker = marker;
      if (frames++ === 0) components = count;
      tqOf.fill(NO_TABLE);
      latched.fill(0);
      for (let c = payload + SOF_FIXED; c < layout.contentEnd; c += SOF_COMPONENT) tqOf[bytes[c]] = bytes[c + 2];
    } else if (marker === SOS) {
      const count = payload < end ? bytes[payload] : 0;
      const layout = fixedLayout(marker, offset, end, 1 + SOS_COMPONENT * count + SOS_TAIL);
      if (payload >= end) layout.short = true;
      layouts[p] = layout;
      if (!layout.short) markScanUses(bytes, payload, count, frameMarker, { quantisation, huffman, conditioning, tqOf, latched });
    } else if (marker === DRI || marker === DNL) {
      layouts[p] = fixedLayout(marker, offset, end, DRI_DNL_CONTENT);
    }
  }
  return { layouts, components };
}

interface ScanState {
  quantisation: Slots;
  huffman: Slots;
  conditioning: Slots;
  tqOf: Int16Array;
  latched: Uint8Array;
}

/**
 * Marks the tables one scan reads. Sequential scans read both DC and AC entropy tables of each
 * component; progressive ones only DC (first DC scan) or only AC (Ss > 0), and DC refinement
 * none (T.81 G.1.2, libjpeg jdphuff.c); lossless ones only the DC-class table (T.81 H.1.2.2).
 * `frameMarker` 0 (a scan before any frame) reads as sequential Huffman.
 */
function markScanUses(bytes: Uint8Array, payload: number, count: number, frameMarker: number, state: ScanState): void {
  const process = frameMarker & PROCESS_MASK;
  const progressive = frameMarker !== 0 && process === PROCESS_PROGRESSIVE;
  const lossless = frameMarker !== 0 && process === PROCESS_LOSSLESS;
  const entropy = frameMarker >= FIRST_ARITHMETIC_SOF ? state.conditioning : state.huffman;
  const tail = payload + 1 + SOS_COMPONENT * count;
  const ss = bytes[tail];
  const ah = bytes[tail + 2] >> 4;
  // Sequential scans read both tables whatever Ss/Ah say (libjpeg-turbo ignores those values
  // outside progressive mode, jdhuff.c), so only a progressive scan's Ss/Ah decide.
  const needsDc = lossless || !progressive || (ss === 0 && ah === 0);
  const needsAc = !lossless && (!progressive || ss > 0);
  for (let c = payload + 1; c < tail; c += SOS_COMPONENT) {
    const component = bytes[c];
    const tq = state.tqOf[component];
    if (tq !== NO_TABLE && state.latched[component] === 0) {
      state.latched[component] = 1;
      markUsed(state.quantisation, 0, tq);
    }
    if (needsDc) markUsed(entropy, 0, bytes[c + 1] >> 4);
    if (needsAc) markUsed(entropy, 1, bytes[c + 1] & 0x0f);
  }
}
