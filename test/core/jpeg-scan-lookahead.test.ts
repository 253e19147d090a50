import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { buildHuffman, readFrame, sequentialScanExtent, type HuffmanTable, type ScanComponent } from '../../src/core/metadata/jpeg-scan';
import { CORPUS } from '../helpers/paths';
import { referenceScanExtent } from '../helpers/jpeg-scan-reference';

// The scan walker reads codes through a lookahead table and holds up to 32 bits ahead; where a
// scan ends and what it skips before each RSTn must be exactly what T.81's bit-by-bit DECODE
// gives (test/helpers/jpeg-scan-reference.ts), on camera files and on their scan data damaged at
// random: flipped bytes, markers, cut short, bytes added at the end or before a restart marker.

interface Scan {
  bytes: Uint8Array;
  start: number;
  end: number;
  frame: ReturnType<typeof readFrame>;
  components: ScanComponent[];
  restartInterval: number;
}

/** Every sequential Huffman scan of a well-formed JPEG, found by its segment lengths (T.81 B.1.1). */
function scansOf(bytes: Uint8Array): Scan[] {
  const tables: Array<HuffmanTable | undefined> = [];
  const scans: Scan[] = [];
  let frame: ReturnType<typeof readFrame> | null = null;
  let restartInterval = 0;
  let at = 2;
  while (at + 4 <= bytes.length && bytes[at] === 0xff) {
    const marker = bytes[at + 1];
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    const body = at + 4;
    if (marker === 0xd9) break;
    if (marker === 0xc2 || marker === 0xc3 || (marker >= 0xc5 && marker <= 0xcf && marker !== 0xc8 && marker !== 0xcc)) return [];
    if (marker === 0xc0 || marker === 0xc1) frame = readFrame(bytes, at);
    if (marker === 0xdd) restartInterval = (bytes[body] << 8) | bytes[body + 1];
    if (marker === 0xc4) {
      for (let p = body; p < at + 2 + length; ) {
        const { table, end } = buildHuffman(bytes, p + 1);
        tables[(bytes[p] >> 4) * 4 + (bytes[p] & 15)] = table;
        p = end;
      }
    }
    if (marker === 0xda) {
      if (!frame) return [];
      const count = bytes[body];
      const components = Array.from({ length: count }, (_, c) => ({ id: bytes[body + 1 + 2 * c], dc: tables[bytes[body + 2 + 2 * c] >> 4]!, ac: tables[4 + (bytes[body + 2 + 2 * c] & 15)]! }));
      const start = at + 2 + length;
      let end = start;
      while (end + 1 < bytes.length && !(bytes[end] === 0xff && bytes[end + 1] !== 0 && (bytes[end + 1] < 0xd0 || bytes[end + 1] > 0xd7))) end++;
      scans.push({ bytes, start, end, frame, components, restartInterval });
      at = end;
      continue;
    }
    at += 2 + length;
  }
  return scans;
}

function both(s: Scan, bytes = s.bytes, end = s.end) {
  return {
    lookahead: sequentialScanExtent(bytes, s.start, end, s.frame, s.components, s.restartInterval),
    reference: referenceScanExtent(bytes, s.start, end, s.frame, s.components, s.restartInterval),
  };
}

let scans: Scan[] = [];
beforeAll(async () => {
  const dir = path.join(CORPUS, 'jpg');
  for (const name of (await fs.readdir(dir)).filter((n) => /\.jpe?g$/i.test(n)).sort()) {
    try {
      scans.push(...scansOf(new Uint8Array(await fs.readFile(path.join(dir, name)))));
    } catch {
      // A file this small reader cannot follow is not a case here.
    }
  }
  // Small scans keep the property runs fast; every scan is compared whole below.
  scans = scans.filter((s) => s.components.every((c) => c.dc && c.ac));
});

test('camera scans: the same end and the same skipped bytes as T.81 bit by bit', () => {
  expect(scans.length).toBeGreaterThan(10);
  let complete = 0;
  for (const s of scans) {
    const { lookahead, reference } = both(s);
    expect(lookahead).toEqual(reference);
    if (reference) complete++;
  }
  expect(complete).toBeGreaterThan(10);
});

test('damaged scan data: the same answer as T.81 bit by bit (property)', () => {
  const small = scans.filter((s) => s.end - s.start < 400_000);
  expect(small.length).toBeGreaterThan(5);
  fc.assert(
    fc.property(
      fc.nat({ max: small.length - 1 }),
      fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 255 })), { minLength: 0, maxLength: 12 }),
      fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true })),
      fc.uint8Array({ minLength: 0, maxLength: 40 }),
      (which, flips, cut, tail) => {
        const s = small[which]!;
        const data = s.bytes.slice(s.start, s.end);
        for (const [where, value] of flips) data[Math.floor(where * (data.length - 1))] = value;
        const kept = cut === 0 ? data.length : Math.floor(cut * data.length);
        const body = new Uint8Array([...s.bytes.subarray(0, s.start), ...data.subarray(0, kept), ...tail, 0xff, 0xd9]);
        const { lookahead, reference } = both(s, body, s.start + kept + tail.length);
        expect(lookahead).toEqual(reference);
      },
    ),
    { numRuns: 300 },
  );
});

test('a restart-interval scan with bytes before each RSTn: the same skipped ranges', () => {
  // One 8x8 grey block per interval, DC and AC tables of one code each (T.81 K.3 style, built
  // here): EOB-only blocks, RST0..RST7 between them, text planted before some of them.
  const dht = (tc: number, value: number) => [0xff, 0xc4, 0, 3 + 16 + 1, tc << 4, 1, ...new Array(15).fill(0), value];
  const header = [0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, 0, 8, 0, 64, 1, 1, 0x11, 0, ...dht(0, 0), ...dht(1, 0), 0xff, 0xdd, 0, 4, 0, 1, 0xff, 0xda, 0, 8, 1, 1, 0, 0, 63, 0];
  const parts: number[] = [];
  for (let i = 0; i < 8; i++) {
    parts.push(0x00); // DC diff category 0 (code "0"), then EOB (code "0"): 2 bits, padded with 1s
    parts[parts.length - 1] = 0b00111111;
    if (i % 3 === 1) parts.push(...Buffer.from('MRN 4471', 'latin1'));
    if (i < 7) parts.push(0xff, 0xd0 + (i % 8));
  }
  const bytes = new Uint8Array([...header, ...parts, 0xff, 0xd9]);
  const [scan] = scansOf(bytes);
  expect(scan).toBeDefined();
  const { lookahead, reference } = both(scan!);
  expect(reference).not.toBeNull();
  expect(reference!.slack.length).toBeGreaterThan(0);
  expect(lookahead).toEqual(reference);
});
