/**
 * Scan data the walk cannot judge fails closed under WalkOptions.scanData: a scan whose unused
 * bytes cannot be told (a coding process the walk does not decode, a frame whose height a DNL
 * gives, a progressive scan that does not decode whole) is a finding that names why, and strip
 * refuses it (the CLI re-encodes the pixels). Damaged sequential Huffman data is walked as
 * libjpeg decodes it (data that stops at a marker, misplaced restart markers resynchronised to
 * as jdmarker.c jpeg_resync_to_restart does), so only what libjpeg never reads is cut. Oracles:
 * libjpeg-turbo (cjpeg/jpegtran write the files; djpeg decodes them, its trace says what it passed over).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import sharp from 'sharp';
import { DeidError } from '../../src/core/errors';
import { jpegFormat } from '../../src/core/metadata/jpeg';
import { findingsOf } from '../helpers/container';
import { cjpeg, jpegtran } from '../helpers/jpeg-progressive';
import { scanHeaders } from '../helpers/jpeg-scans';
import { CORPUS, REPO } from '../helpers/paths';
import { concatBytes, jpegSegment } from '../helpers/plant';

const strip = jpegFormat.strip as NonNullable<typeof jpegFormat.strip>;
const DEEP = { scanData: true };
const SECRET = Buffer.from('JANE DOE 1962-03-04 MRN 4471', 'latin1');
const UNCHECKED = ': not checked for bytes no MCU uses';
const slackDetail = (n: number) => `${n} bytes of scan data no MCU uses (after the last MCU or before an RSTn)`;

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

/**
 * djpeg at trace level 3: the pixels, and every warning libjpeg gives, in order (it prints only
 * the first otherwise). libvips (sharp) gives up on a file with many of them.
 */
function djpeg(bytes: Uint8Array): { pixels: Buffer; warnings: string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-djpeg-'));
  try {
    const file = path.join(dir, 'in.jpg');
    fs.writeFileSync(file, bytes);
    // Exit status 2 when it warned; the trace goes to stderr.
    const r = spawnSync('djpeg', ['-d', '-d', '-d', '-outfile', path.join(dir, 'out.ppm'), file], { maxBuffer: 1 << 28 });
    expect([r.status, r.status === 0 || r.status === 2]).toEqual([r.status, true]);
    return { pixels: fs.readFileSync(path.join(dir, 'out.ppm')), warnings: r.stderr.toString('latin1').split('\n').filter((l) => l.startsWith('Corrupt JPEG data')) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const pixels = (bytes: Uint8Array): Buffer => djpeg(bytes).pixels;
const djpegWarnings = (bytes: Uint8Array): string[] => djpeg(bytes).warnings;

/** `bytes` with the SOF marker code changed (the rest of the file as it is). */
function withSof(bytes: Uint8Array, code: number): Uint8Array {
  const out = bytes.slice();
  const sof = scanHeaders(bytes)[0].sos;
  let at = 2;
  while (at < sof && !(out[at + 1] >= 0xc0 && out[at + 1] <= 0xc2)) at += 2 + ((out[at + 2] << 8) | out[at + 3]);
  out[at + 1] = code;
  return out;
}

/** The findings only --scan-data adds (the rest of the walk is the same with or without it). */
function added(bytes: Uint8Array): string[] {
  const plain = findingsOf(jpegFormat.walk(bytes)).map((f) => f.detail);
  const deep = findingsOf(jpegFormat.walk(bytes, DEEP)).map((f) => f.detail);
  expect(deep.filter((d) => !plain.includes(d)).length + plain.length).toBe(deep.length);
  return deep.filter((d) => !plain.includes(d));
}

let rgb: Uint8Array;
const W = 61;
const H = 43;
let baseline: Uint8Array;

beforeAll(async () => {
  const photo = sharp(path.join(REPO, 'eval/sources/astronaut.jpg')).resize(W, H, { fit: 'fill' });
  rgb = new Uint8Array(await photo.clone().removeAlpha().raw().toBuffer());
  baseline = cjpeg(rgb, W, H, ['-quality', '90']);
});

describe('scan data the walk cannot judge: a finding under scanData, refused by strip; nothing changes without it', () => {
  const cases: Array<[string, () => Uint8Array, string]> = [
    ['arithmetic progressive (SOF10, cjpeg -arithmetic -progressive)', () => cjpeg(rgb, W, H, ['-arithmetic', '-progressive']), 'scan data of an arithmetic-coded frame'],
    ['lossless (SOF3)', () => withSof(baseline, 0xc3), 'scan data of a lossless frame'],
    ['hierarchical (SOF5)', () => withSof(baseline, 0xc5), 'scan data of a hierarchical (differential) frame'],
    ['arithmetic lossless (SOF11)', () => withSof(baseline, 0xcb), 'scan data of an arithmetic-coded lossless frame'],
    ['hierarchical arithmetic (SOF13)', () => withSof(baseline, 0xcd), 'scan data of a hierarchical (differential) frame'],
    ['height given by DNL (B.2.5)', () => {
      const [scan] = scanHeaders(baseline);
      const zeroHeight = baseline.slice();
      let at = 2;
      while (zeroHeight[at + 1] !== 0xc0) at += 2 + ((zeroHeight[at + 2] << 8) | zeroHeight[at + 3]);
      zeroHeight.set([0, 0], at + 5);
      return concatBytes(zeroHeight.subarray(0, scan.end), jpegSegment(0xdc, new Uint8Array([0, H])), zeroHeight.subarray(scan.end));
    }, 'scan data of a frame whose height a DNL segment gives'],
  ];
  test.each(cases)('%s', (_name, make, why) => {
    const bytes = make();
    const scans = scanHeaders(bytes).filter((s) => s.end > s.start).length;
    expect(scans).toBeGreaterThan(0);
    expect(added(bytes)).toEqual(new Array(scans).fill(`${why}${UNCHECKED}`));
    const plainStrip = strip(bytes);
    expect(plainStrip.notes.join(';')).not.toMatch(/scan data/);
    let refused: unknown = null;
    try {
      strip(bytes, DEEP);
    } catch (e) {
      refused = e;
    }
    expect(refused).toBeInstanceOf(DeidError);
    expect((refused as DeidError).code).toBe('unsupported');
    expect((refused as DeidError).message).toContain(why);
  });

  test('text planted after a scan of an arithmetic-coded progressive file (libjpeg decodes the same picture) is not passed as checked', async () => {
    const bytes = cjpeg(rgb, W, H, ['-arithmetic', '-progressive']);
    const scan = scanHeaders(bytes)[2];
    const planted = concatBytes(bytes.subarray(0, scan.end), SECRET, bytes.subarray(scan.end));
    expect((pixels(planted)).equals(pixels(bytes))).toBe(true);
    expect(findingsOf(jpegFormat.walk(planted))).toEqual([]);
    const deep = findingsOf(jpegFormat.walk(planted, DEEP));
    expect(deep.length).toBeGreaterThan(0);
    expect(deep.every((f) => f.kind === 'unknown-segment' && f.detail.endsWith(UNCHECKED))).toBe(true);
    expect(() => strip(planted, DEEP)).toThrow(DeidError);
  });
});

describe('damaged sequential Huffman data is walked as libjpeg decodes it', () => {
  test('a run of 0xFF before a stuffed zero inside scan data is a data 0xFF (jdhuff.c fill_bit_buffer): the scan is judged whole, nothing cut', async () => {
    const [scan] = scanHeaders(baseline);
    const stuffed = baseline.findIndex((b, i) => i >= scan.start && i < scan.end && b === 0xff && baseline[i + 1] === 0);
    expect(stuffed).toBeGreaterThan(0);
    const filled = concatBytes(baseline.subarray(0, stuffed), new Uint8Array([0xff, 0xff]), baseline.subarray(stuffed));
    expect((pixels(filled)).equals(pixels(baseline))).toBe(true);
    expect(djpegWarnings(filled)).toEqual([]);
    expect(added(filled)).toEqual([]);
    expect(same(strip(filled, DEEP).bytes, strip(filled).bytes)).toBe(true);
  });

  test('the corpus file with 16 kB of 0xFF and a marker code 0x9F inside its restart intervals: exactly what libjpeg passes over is cut, pixels unchanged', async () => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(CORPUS, 'jpg/corrupted.jpg')));
    const clean = strip(bytes).bytes;
    // libjpeg: the interval stops at the 0xFF run, 0x9F is no RSTn, it scans on to the next marker.
    expect(djpegWarnings(clean).slice(0, 3)).toEqual([
      'Corrupt JPEG data: premature end of data segment',
      'Corrupt JPEG data: found marker 0x9f instead of RST4',
      'Corrupt JPEG data: 6 extraneous bytes before marker 0xd0',
    ]);
    expect(added(clean)).toEqual([slackDetail(16384 + 1)]);
    const deep = strip(clean, DEEP).bytes;
    expect(clean.length - deep.length).toBe(16385);
    expect(pixels(deep).equals(pixels(clean))).toBe(true);
    expect(djpegWarnings(deep)).not.toContain('Corrupt JPEG data: found marker 0x9f instead of RST4');
    expect(findingsOf(jpegFormat.walk(deep, DEEP))).toEqual([]);
  });

  // jpeg_resync_to_restart, at the RSTn ending interval k (one MCU per interval) renumbered to
  // RSTk+d: d = 1 or 2 is a restart still to come, left in place (d intervals decode from no
  // data); the real RSTk+1.. then come d behind, are passed over with the data before them, and
  // the decoder is in step again. d = 7 or 6 is one already past: passed over to the next marker
  // with the next interval's data. Any other d is taken as the right one.
  test.each([
    [2, 'left in place twice, then two intervals\' data passed over'],
    [1, 'left in place once, then one interval\'s data passed over'],
    [7, 'passed over with the next interval\'s data'],
    [4, 'taken: nothing unused'],
  ])('a restart marker renumbered by +%d: %s', (d) => {
    const bytes = cjpeg(rgb, W, H, ['-restart', '1B', '-sample', '2x2,1x1,1x1']);
    const [scan] = scanHeaders(bytes);
    const rsts: number[] = [];
    for (let i = scan.start; i + 1 < scan.end; i++) if (bytes[i] === 0xff && bytes[i + 1] >= 0xd0 && bytes[i + 1] <= 0xd7) rsts.push(i);
    expect(rsts.length + 1).toBe(Math.ceil(W / 16) * Math.ceil(H / 16));
    const k = 3;
    const damaged = bytes.slice();
    damaged[rsts[k] + 1] = 0xd0 + ((k + d) % 8);
    const unused = d === 1 || d === 2 ? rsts[k + 1 + d] - rsts[k + 1] : d === 7 ? rsts[k + 1] - rsts[k] : 0;
    expect(added(damaged)).toEqual(unused === 0 ? [] : [slackDetail(unused)]);
    const deep = strip(damaged, DEEP).bytes;
    expect(damaged.length - deep.length).toBe(unused);
    expect(pixels(deep).equals(pixels(damaged))).toBe(true);
    // libjpeg's own account of bytes it passed over, before and after.
    const extraneous = (b: Uint8Array) => djpegWarnings(b).filter((w) => / extraneous bytes before marker /.test(w));
    expect(extraneous(damaged).length > 0).toBe(unused > 0);
    expect(extraneous(deep)).toEqual([]);
  });

  test('restart markers renumbered, replaced, dropped, text and 0xFF runs planted, intervals cut (property): what strip --scan-data cuts leaves libjpeg\'s pixels unchanged, and the scan is always judged', async () => {
    const pool = [
      cjpeg(rgb, W, H, ['-restart', '1', '-sample', '2x2,1x1,1x1']),
      cjpeg(rgb, W, H, ['-restart', '2B', '-sample', '2x1,1x1,1x1', '-grayscale']),
      jpegtran(baseline, ['-restart', '3B']),
    ];
    let cut = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: pool.length - 1 }),
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom('renumber', 'invalid', 'drop', 'text', 'fill', 'cut'), fc.nat({ max: 7 })), { minLength: 1, maxLength: 4 }),
        async (which, damages) => {
          let bytes = pool[which];
          for (const [where, what, n] of damages) {
            const [scan] = scanHeaders(bytes);
            const rsts: number[] = [];
            for (let i = scan.start; i + 1 < scan.end; i++) if (bytes[i] === 0xff && bytes[i + 1] >= 0xd0 && bytes[i + 1] <= 0xd7) rsts.push(i);
            if (rsts.length === 0) break;
            const rst = rsts[Math.floor(where * (rsts.length - 1))];
            const previous = rsts[rsts.indexOf(rst) - 1] ?? scan.start;
            if (what === 'renumber') bytes = concatBytes(bytes.subarray(0, rst + 1), new Uint8Array([0xd0 + n]), bytes.subarray(rst + 2));
            if (what === 'invalid') bytes = concatBytes(bytes.subarray(0, rst + 1), new Uint8Array([0x05 + n * 17]), bytes.subarray(rst + 2));
            if (what === 'drop') bytes = concatBytes(bytes.subarray(0, rst), bytes.subarray(rst + 2));
            if (what === 'text') bytes = concatBytes(bytes.subarray(0, rst), SECRET.subarray(0, n + 1), bytes.subarray(rst));
            if (what === 'fill') bytes = concatBytes(bytes.subarray(0, rst), new Uint8Array(n + 1).fill(0xff), new Uint8Array([0x9f]), bytes.subarray(rst));
            if (what === 'cut') bytes = concatBytes(bytes.subarray(0, previous + ((rst - previous) >> 1)), bytes.subarray(rst));
          }
          expect(added(bytes).filter((d) => d.endsWith(UNCHECKED))).toEqual([]);
          const plain = strip(bytes).bytes;
          const deep = strip(bytes, DEEP).bytes;
          if (deep.length === plain.length) return;
          cut++;
          expect(pixels(deep).equals(pixels(plain))).toBe(true);
          expect(findingsOf(jpegFormat.walk(deep, DEEP))).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
    expect(cut).toBeGreaterThan(40);
  }, 120_000);
});
