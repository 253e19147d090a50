import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { sequentialScanExtent, type Frame, type ScanComponent } from '../../src/core/metadata/jpeg-scan';
import { CORPUS } from '../helpers/paths';
import { referenceScanExtent } from '../helpers/jpeg-scan-reference';
import { scanHeaders } from '../helpers/jpeg-scans';

// The scan walker reads codes through a lookahead table and holds up to 32 bits ahead; where a
// scan ends and what it skips before each RSTn must be exactly what T.81's bit-by-bit DECODE
// gives (test/helpers/jpeg-scan-reference.ts), on camera files and on their scan data damaged at
// random: flipped bytes, markers, cut short, bytes added at the end or before a restart marker.

interface Scan {
  bytes: Uint8Array;
  start: number;
  end: number;
  frame: Frame;
  components: ScanComponent[];
  restartInterval: number;
}

/** Every scan of a sequential Huffman JPEG (SOF0/SOF1) whose tables are all there. */
function scansOf(bytes: Uint8Array): Scan[] {
  return scanHeaders(bytes)
    .filter((h) => h.frameMarker === 0xc0 || h.frameMarker === 0xc1)
    .flatMap((h) => {
      const components = h.components.flatMap((c) => (c.dc && c.ac ? [{ id: c.id, dc: c.dc, ac: c.ac }] : []));
      return components.length === h.components.length ? [{ bytes, start: h.start, end: h.end, frame: h.frame, components, restartInterval: h.restartInterval }] : [];
    });
}

function both(s: Scan, bytes = s.bytes, end = s.end) {
  return {
    lookahead: sequentialScanExtent(bytes, s.start, end, s.frame, s.components, s.restartInterval),
    reference: referenceScanExtent(bytes, s.start, end, s.frame, s.components, s.restartInterval),
  };
}

const scans: Scan[] = [];
beforeAll(async () => {
  const dir = path.join(CORPUS, 'jpg');
  for (const name of (await fs.readdir(dir)).filter((n) => /\.jpe?g$/i.test(n)).sort()) {
    try {
      scans.push(...scansOf(new Uint8Array(await fs.readFile(path.join(dir, name)))));
    } catch {
      // A file this small reader cannot follow is not a case here.
    }
  }
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

test('scan data cut in its last bytes: the same answer as T.81 bit by bit', () => {
  // The last codes of a scan straddle its end: a walk that takes one bit more than it holds there
  // must not call the scan complete. Every cut in the last 24 bytes of every corpus scan.
  let cuts = 0;
  for (const s of scans.filter((x) => x.end - x.start < 400_000)) {
    for (let drop = 1; drop <= Math.min(24, s.end - s.start); drop++) {
      const end = s.end - drop;
      const { lookahead, reference } = both(s, s.bytes, end);
      expect(lookahead).toEqual(reference);
      cuts++;
    }
  }
  expect(cuts).toBeGreaterThan(200);
});

test('a DC code whose bits run one past the data: incomplete, as T.81 reads it', () => {
  // One 8x8 block. The DC table's only code ("00") names 15 bits to receive: 17 bits in all,
  // where the data holds 16, and nothing follows the scan but EOI. Taken in one step from a
  // full accumulator, a walk that allows one bit too many would call the scan complete.
  const dht = (tc: number, length: number, value: number) => [0xff, 0xc4, 0, 3 + 16 + 1, tc << 4, ...new Array(16).fill(0).map((_, i) => (i === length - 1 ? 1 : 0)), value];
  const header = [0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, 0, 8, 0, 8, 1, 1, 0x11, 0, ...dht(0, 2, 15), ...dht(1, 1, 0), 0xff, 0xda, 0, 8, 1, 1, 0, 0, 63, 0];
  for (const data of [[0x00, 0x00], [0x00, 0x00, 0x00]]) {
    const bytes = new Uint8Array([...header, ...data, 0xff, 0xd9]);
    const [scan] = scansOf(bytes);
    expect(scan).toBeDefined();
    const { lookahead, reference } = both(scan!);
    expect(lookahead).toEqual(reference);
    // Two bytes hold 16 of the 17 bits (then the EOB); three hold them all.
    expect(reference === null).toBe(data.length === 2);
  }
});

test('a DC category past 15 (no 8- or 12-bit image has one): as many bits as T.81 RECEIVE takes', () => {
  // A hostile DHT may name any category; RECEIVE then takes that many bits, which no one-step
  // table entry can hold. One block, DC code "00" naming 40 bits, then EOB; the data holds them or not.
  const dht = (tc: number, length: number, value: number) => [0xff, 0xc4, 0, 3 + 16 + 1, tc << 4, ...new Array(16).fill(0).map((_, i) => (i === length - 1 ? 1 : 0)), value];
  const header = [0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, 0, 8, 0, 8, 1, 1, 0x11, 0, ...dht(0, 2, 40), ...dht(1, 1, 0), 0xff, 0xda, 0, 8, 1, 1, 0, 0, 63, 0];
  for (const length of [5, 6, 7, 9]) {
    const bytes = new Uint8Array([...header, ...new Array(length).fill(0x12), 0xff, 0xd9]);
    const [scan] = scansOf(bytes);
    const { lookahead, reference } = both(scan!);
    expect(lookahead).toEqual(reference);
    // 2 + 40 + 1 bits: six bytes hold them.
    expect(reference === null).toBe(length < 6);
  }
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
