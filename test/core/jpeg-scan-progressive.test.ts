/**
 * Progressive Huffman JPEG (SOF2, T.81 Annex G) scan data: where each scan's coded data ends
 * (G.1.2.1 DC first/refinement, G.1.2.2 AC first with EOB runs, G.1.2.3 AC refinement with
 * correction bits, restart intervals resetting EOBRUN) and which bytes no MCU reads. Oracles:
 * libjpeg-turbo through sharp (pixels; its "N extraneous bytes before marker" warning, an error
 * under failOn 'warning'), and libjpeg-turbo's own cjpeg/jpegtran, which write the files with
 * restart intervals and scan scripts sharp has no option for.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import sharp from 'sharp';
import { DeidError } from '../../src/core/errors';
import { jpegFormat } from '../../src/core/metadata/jpeg';
import { findingsOf } from '../helpers/container';
import { cjpeg, jpegtran, progressiveScans, type WalkedScan } from '../helpers/jpeg-progressive';
import { CORPUS, REPO } from '../helpers/paths';
import { concatBytes } from '../helpers/plant';

const strip = jpegFormat.strip as NonNullable<typeof jpegFormat.strip>;
const DEEP = { scanData: true };
const SECRET = Buffer.from('JANE DOE 1962-03-04 MRN 4471', 'latin1');
const detail = (n: number) => `${n} bytes of scan data no MCU uses (after the last MCU or before an RSTn)`;

async function pixels(bytes: Uint8Array): Promise<Buffer> {
  return sharp(bytes, { failOn: 'none' }).raw().toBuffer();
}

/** libjpeg's warning under failOn 'warning': [bytes it skipped, marker], or null if it decodes. */
async function extraneous(bytes: Uint8Array): Promise<[number, number] | null> {
  try {
    await sharp(bytes, { failOn: 'warning' }).raw().toBuffer();
    return null;
  } catch (e) {
    const m = /Corrupt JPEG data: (\d+) extraneous bytes before marker 0x([0-9a-f]{2})/.exec((e as Error).message);
    if (!m) throw e;
    return [Number(m[1]), parseInt(m[2], 16)];
  }
}

/** Every scan judged, and judged to end exactly where its coded data ends, with nothing skipped. */
function expectExact(name: string, bytes: Uint8Array): WalkedScan[] {
  const scans = progressiveScans(bytes);
  expect([name, scans === null]).toEqual([name, false]);
  for (const s of scans!) expect([name, s.sos, s.extent]).toEqual([name, s.sos, { end: s.end, slack: [] }]);
  return scans!;
}

let rgb: Uint8Array;
const W = 301;
const H = 217;
/** Progressive files: libjpeg-turbo's default script (spectral selection and successive approximation). */
const files: Record<string, Uint8Array> = {};

beforeAll(async () => {
  const photo = sharp(path.join(REPO, 'eval/sources/astronaut.jpg')).resize(W, H, { fit: 'fill' });
  rgb = new Uint8Array(await photo.clone().removeAlpha().raw().toBuffer());
  const baseline = new Uint8Array(await photo.clone().jpeg({ quality: 92 }).toBuffer());
  files['sharp 4:2:0'] = new Uint8Array(await photo.clone().jpeg({ progressive: true }).toBuffer());
  files['sharp 4:4:4'] = new Uint8Array(await photo.clone().jpeg({ progressive: true, chromaSubsampling: '4:4:4', quality: 97 }).toBuffer());
  files['sharp grey'] = new Uint8Array(await photo.clone().greyscale().jpeg({ progressive: true }).toBuffer());
  files['sharp tiny 4:2:0'] = new Uint8Array(await photo.clone().resize(13, 9, { fit: 'fill' }).jpeg({ progressive: true }).toBuffer());
  files['jpegtran -restart 1'] = jpegtran(baseline, ['-progressive', '-restart', '1']);
  files['jpegtran -restart 5B'] = jpegtran(baseline, ['-progressive', '-restart', '5B']);
  files['cjpeg 2x1 -restart 1B'] = cjpeg(rgb, W, H, ['-progressive', '-sample', '2x1,1x1,1x1', '-restart', '1B', '-quality', '90']);
  files['cjpeg 1x2 -restart 2'] = cjpeg(rgb, W, H, ['-progressive', '-sample', '1x2,1x1,1x1', '-restart', '2', '-quality', '90']);
  files['cjpeg 2x2 odd size -restart 7B'] = cjpeg(rgb.subarray(0, 45 * 33 * 3), 45, 33, ['-progressive', '-sample', '2x2,1x1,1x1', '-restart', '7B']);
  // Scan scripts (libjpeg's -scans): DC scans interleaved (A.2.3, padding blocks) and not
  // (A.2.2), two refinement steps of DC and AC, bands split differently per component.
  files['jpegtran script, interleaved DC'] = jpegtran(baseline, ['-restart', '3B'], [
    '0 1 2: 0 0 0 2;', '0: 1 8 0 2;', '0: 9 63 0 2;', '1: 1 63 0 1;', '2: 1 63 0 1;', '0 1 2: 0 0 2 1;',
    '0: 1 63 2 1;', '0 1 2: 0 0 1 0;', '0: 1 63 1 0;', '1: 1 63 1 0;', '2: 1 63 1 0;',
  ].join('\n'));
  files['jpegtran script, non-interleaved DC'] = jpegtran(baseline, [], [
    '0: 0 0 0 1;', '1: 0 0 0 0;', '2: 0 0 0 0;', '2: 1 63 0 0;', '0: 1 2 0 3;', '0: 3 63 0 3;', '1: 1 63 0 0;',
    '0: 0 0 1 0;', '0: 1 63 3 2;', '0: 1 63 2 1;', '0: 1 63 1 0;',
  ].join('\n'));
}, 60_000);

test('progressive files made by sharp, cjpeg and jpegtran: every scan decodes exactly to its end (G.1.2.1-G.1.2.3, A.2.2, A.2.3); no findings', () => {
  for (const [name, bytes] of Object.entries(files)) {
    const scans = expectExact(name, bytes);
    expect(scans.length).toBeGreaterThan(5);
    expect([name, findingsOf(jpegFormat.walk(bytes, DEEP))]).toEqual([name, []]);
  }
  // What the files exercise: refinement scans, restart intervals, EOB runs cut by them.
  const all = Object.values(files).flatMap((b) => progressiveScans(b)!);
  expect(all.some((s) => s.ss > 0 && s.ah > 0)).toBe(true);
  expect(all.some((s) => s.ss === 0 && s.ah > 0)).toBe(true);
  expect(all.some((s) => s.ss > 0 && s.restartInterval > 0 && s.ah > 0)).toBe(true);
});

test('the corpus progressive JPEGs: every scan decodes exactly to its end; no scan data findings', async () => {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await fs.readdir(dir, { withFileTypes: true })) {
      const file = path.join(dir, e.name);
      if (e.isDirectory()) await walk(file);
      else if (/\.jpe?g$/i.test(e.name)) {
        const bytes = new Uint8Array(await fs.readFile(file));
        if (progressiveScans(bytes) !== null) found.push(file);
      }
    }
  };
  await walk(CORPUS);
  expect(found.length).toBeGreaterThan(0);
  for (const file of found) {
    const bytes = new Uint8Array(await fs.readFile(file));
    expectExact(file, bytes);
    const clean = strip(bytes).bytes;
    expect([file, findingsOf(jpegFormat.walk(clean, DEEP))]).toEqual([file, []]);
    expect((await pixels(clean)).equals(await pixels(bytes))).toBe(true);
  }
});

test('text planted after the last MCU of each scan: exactly that count reported, strip cuts exactly it, pixels unchanged; libjpeg skips it too', async () => {
  let checked = 0;
  for (const [name, bytes] of Object.entries(files)) {
    const reference = await pixels(bytes);
    for (const scan of progressiveScans(bytes)!) {
      const planted = concatBytes(bytes.subarray(0, scan.end), SECRET, bytes.subarray(scan.end));
      expect([name, scan.sos, findingsOf(jpegFormat.walk(planted, DEEP)).map((f) => f.detail)]).toEqual([name, scan.sos, [detail(SECRET.length)]]);
      const stripped = strip(planted, DEEP).bytes;
      expect([name, scan.sos, Buffer.from(stripped).equals(Buffer.from(bytes))]).toEqual([name, scan.sos, true]);
      expect((await pixels(planted)).equals(reference)).toBe(true);
      expect((await pixels(stripped)).equals(reference)).toBe(true);
      // libjpeg warns of the bytes it never decoded; at the end of a scan it has already
      // taken up to 8 of them into its bit buffer, which it drops without counting (jdphuff.c
      // start_pass: bits_left = 0), so its count is ours less at most 8.
      const warned = await extraneous(planted);
      expect(warned).not.toBeNull();
      expect(warned![1]).toBe(bytes[scan.end + 1]);
      expect(SECRET.length - warned![0]).toBeGreaterThanOrEqual(0);
      expect(SECRET.length - warned![0]).toBeLessThanOrEqual(8);
      expect(await extraneous(stripped)).toBeNull();
      checked++;
    }
  }
  expect(checked).toBeGreaterThan(50);
});

test('text planted before an RSTn of each scan: exactly that count reported (libjpeg\'s warning counts the same), strip cuts exactly it, pixels unchanged', async () => {
  let checked = 0;
  for (const [name, bytes] of Object.entries(files)) {
    const reference = await pixels(bytes);
    for (const scan of progressiveScans(bytes)!) {
      if (scan.restartInterval === 0) continue;
      // The RSTn in the middle of the scan's data.
      const rsts: number[] = [];
      for (let i = scan.start; i + 1 < scan.end; i++) if (bytes[i] === 0xff && bytes[i + 1] >= 0xd0 && bytes[i + 1] <= 0xd7) rsts.push(i);
      if (rsts.length === 0) continue;
      const rst = rsts[rsts.length >> 1];
      const planted = concatBytes(bytes.subarray(0, rst), SECRET, bytes.subarray(rst));
      const after = progressiveScans(planted)!.find((s) => s.sos === scan.sos)!;
      expect([name, scan.sos, after.extent]).toEqual([name, scan.sos, { end: scan.end + SECRET.length, slack: [[rst, rst + SECRET.length]] }]);
      expect(findingsOf(jpegFormat.walk(planted, DEEP)).map((f) => f.detail)).toEqual([detail(SECRET.length)]);
      const stripped = strip(planted, DEEP).bytes;
      expect([name, scan.sos, Buffer.from(stripped).equals(Buffer.from(bytes))]).toEqual([name, scan.sos, true]);
      expect((await pixels(planted)).equals(reference)).toBe(true);
      // Before an RSTn libjpeg counts every byte it did not decode (jdphuff.c process_restart).
      expect(await extraneous(planted)).toEqual([SECRET.length, bytes[rst + 1]]);
      expect(await extraneous(stripped)).toBeNull();
      checked++;
    }
  }
  expect(checked).toBeGreaterThan(30);
});

test('a refinement scan after a scan that did not decode whole is not judged (its nonzero history is unknown); other scans still are', () => {
  const bytes = files['sharp 4:2:0'];
  const scans = progressiveScans(bytes)!;
  // The first AC scan of luminance (component 1, band 1..5), cut to half its data.
  const cut = scans.find((s) => s.ss === 1 && s.se === 5 && s.ah === 0)!;
  const half = cut.start + ((cut.end - cut.start) >> 1);
  const damaged = concatBytes(bytes.subarray(0, half), bytes.subarray(cut.end));
  const after = progressiveScans(damaged)!;
  const luma = (s: WalkedScan) => damaged[s.sos + 5] === damaged[cut.sos + 5];
  for (const s of after) {
    const unknown = s.sos === cut.sos || (s.ss > 0 && s.ah > 0 && luma(s));
    expect([s.sos, s.ss, s.se, s.ah, s.al, s.extent === null]).toEqual([s.sos, s.ss, s.se, s.ah, s.al, unknown]);
  }
  expect(after.filter((s) => s.extent === null).length).toBeGreaterThanOrEqual(3);
});

test('damaged progressive scan data (property): the walker never throws nor reports bytes outside the scan; what strip cuts from a scan judged whole leaves sharp\'s pixels unchanged', async () => {
  const corpusProgressive = new Uint8Array(await fs.readFile(path.join(CORPUS, 'jpg/tests/32-lens_data.jpeg')));
  const pool = [files['sharp tiny 4:2:0'], files['jpegtran -restart 5B'], files['cjpeg 2x2 odd size -restart 7B'], files['jpegtran script, non-interleaved DC'], strip(corpusProgressive).bytes];
  let judgedWithSlack = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.nat({ max: pool.length - 1 }),
      fc.nat(),
      fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 255 })), { minLength: 0, maxLength: 6 }),
      fc.oneof(fc.constant(1), fc.double({ min: 0.05, max: 1, noNaN: true })),
      fc.uint8Array({ minLength: 0, maxLength: 24 }),
      fc.boolean(),
      async (which, scanPick, flips, keep, tail, beforeRst) => {
        const bytes = pool[which];
        const scans = progressiveScans(bytes)!;
        const scan = scans[scanPick % scans.length];
        const data = bytes.slice(scan.start, scan.end);
        for (const [where, value] of flips) data[Math.floor(where * (data.length - 1))] = value;
        let kept: Uint8Array = data.subarray(0, Math.floor(keep * data.length));
        if (beforeRst) {
          const rst = kept.findIndex((b, i) => b === 0xff && kept[i + 1] >= 0xd0 && kept[i + 1] <= 0xd7);
          if (rst > 0) kept = concatBytes(kept.subarray(0, rst), tail, kept.subarray(rst));
        } else {
          kept = concatBytes(kept, tail);
        }
        const damaged = concatBytes(bytes.subarray(0, scan.start), kept, bytes.subarray(scan.end));
        const walked = progressiveScans(damaged) ?? [];
        for (const s of walked) {
          if (!s.extent) continue;
          expect(s.extent.end).toBeGreaterThanOrEqual(s.start);
          expect(s.extent.end).toBeLessThanOrEqual(s.end);
          for (const [a, b] of s.extent.slack) {
            expect(a).toBeGreaterThanOrEqual(s.start);
            expect(b).toBeLessThanOrEqual(s.extent.end);
            expect(a).toBeLessThan(b);
          }
        }
        let stripped: Uint8Array;
        try {
          stripped = strip(damaged, DEEP).bytes;
        } catch (e) {
          if (e instanceof DeidError) return;
          throw e;
        }
        const plain = strip(damaged).bytes;
        if (stripped.length === plain.length) return;
        judgedWithSlack++;
        let before: Buffer;
        try {
          before = await pixels(plain);
        } catch {
          return;
        }
        expect((await pixels(stripped)).equals(before)).toBe(true);
      },
    ),
    { numRuns: 250 },
  );
  expect(judgedWithSlack).toBeGreaterThan(20);
}, 120_000);

test('a frame header claiming 65535 x 65535 pixels: walked without keeping 4 billion blocks\' history, nothing judged, nothing thrown; every scan a finding that says so', () => {
  const bytes = files['sharp tiny 4:2:0'].slice();
  const sof = bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === 0xc2);
  bytes.set([0xff, 0xff, 0xff, 0xff], sof + 5);
  const started = Date.now();
  const scans = progressiveScans(bytes)!;
  expect(scans.map((s) => s.extent)).toEqual(scans.map(() => null));
  const found = findingsOf(jpegFormat.walk(bytes, DEEP)).map((f) => f.detail);
  expect(found.length).toBe(scans.filter((s) => s.end > s.start).length);
  expect(found.every((d) => /^progressive scan data that .*: not checked for bytes no MCU uses$/.test(d))).toBe(true);
  expect(findingsOf(jpegFormat.walk(bytes))).toEqual([]);
  expect(Date.now() - started).toBeLessThan(5000);
});

/**
 * A grey `side` x `side` progressive frame: a DC scan, an AC first scan that is one EOB run after
 * another, then `refinements` AC refinement scans made of EOB runs too. Each refinement scan is a
 * few bytes per 32767 blocks and makes G.1.2.3 visit every block.
 */
function refinementBomb(refinements: number, side: number): Uint8Array {
  const seg = (m: number, body: number[]) => [0xff, m, (body.length + 2) >> 8, (body.length + 2) & 255, ...body];
  const blocks = (side / 8) * (side / 8);
  // One code of length 1 per table: DC difference category 0; AC EOB14 (run 2^14 + 14 bits).
  const dht = (tc: number, value: number) => seg(0xc4, [tc << 4, 1, ...new Array(15).fill(0), value]);
  const sos = (ss: number, se: number, ah: number, al: number) => seg(0xda, [1, 1, 0, ss, se, (ah << 4) | al]);
  // Runs of 2^14 + 2^14 - 1 = 32767 blocks: '0' then fourteen 1-bits, padded with 1-bits.
  const runs = Math.ceil(blocks / 32767);
  const bits: number[] = [];
  for (let i = 0; i < runs; i++) bits.push(0, ...new Array(14).fill(1));
  while (bits.length % 8) bits.push(1);
  const eobRuns: number[] = [];
  for (let i = 0; i < bits.length; i += 8) {
    const byte = bits.slice(i, i + 8).reduce((v, b) => (v << 1) | b, 0);
    eobRuns.push(byte, ...(byte === 0xff ? [0] : []));
  }
  const head = [0xff, 0xd8, ...seg(0xdb, [0, ...new Array(64).fill(1)]), ...seg(0xc2, [8, side >> 8, side & 255, side >> 8, side & 255, 1, 1, 0x11, 0]), ...dht(0, 0), ...dht(1, 0xe0)];
  const parts = [Uint8Array.from(head), Uint8Array.from(sos(0, 0, 0, 0)), new Uint8Array(blocks / 8), Uint8Array.from([...sos(1, 63, 0, 1), ...eobRuns])];
  const refinement = Uint8Array.from([...sos(1, 63, 1, 0), ...eobRuns]);
  for (let i = 0; i < refinements; i++) parts.push(refinement);
  parts.push(Uint8Array.from([0xff, 0xd9]));
  return concatBytes(...parts);
}

test('AC refinement scans of EOB runs repeated: refused with a DeidError once the blocks visited outgrow the file, not decoded for minutes', () => {
  // 16384 x 16384 with 300 such scans is 650 kB and 1.2 billion block visits (minutes); the same
  // attack, smaller: 2^16 blocks, 100 scans of 16 bytes each.
  const bytes = refinementBomb(100, 2048);
  expect(bytes.length).toBeLessThan(12_000);
  expect(findingsOf(jpegFormat.walk(bytes))).toEqual([]);
  expect(() => jpegFormat.walk(bytes, DEEP)).toThrow(DeidError);
  expect(() => strip(bytes, DEEP)).toThrow(DeidError);
  // A few refinement scans over the same frame are what encoders write: decoded, nothing thrown.
  expect(findingsOf(jpegFormat.walk(refinementBomb(3, 2048), DEEP))).toEqual([]);
});
