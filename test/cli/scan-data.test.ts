import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { applySample, rebindImage } from '../helpers/review';
import { signOffSidecarFile } from '../helpers/signoff';
import { deid, json } from './run';

// Coded bytes no MCU uses (T.81 F.1.2.3): a name put between the last MCU and EOI of a baseline
// JPEG decodes to the same pixels without a warning. Reading for it decodes every coded bit, so
// verify and strip do it with --scan-data, and bag create (the transfer gate) always does.

const SECRET = 'JANE DOE 1962-03-04 MRN 4471';
let work: string;
let exp: { id: string; image: string; sidecar: string };
let planted: Buffer;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-scan-data-'));
  exp = await applySample(path.join(work, 'exports'));
  const clean = fs.readFileSync(exp.image);
  expect([...clean.subarray(clean.length - 2)]).toEqual([0xff, 0xd9]);
  planted = Buffer.concat([clean.subarray(0, clean.length - 2), Buffer.from(SECRET, 'latin1'), clean.subarray(clean.length - 2)]);
  // The same picture to a decoder: only the bytes say otherwise.
  expect((await sharp(planted).raw().toBuffer()).equals(await sharp(clean).raw().toBuffer())).toBe(true);
}, 60_000);
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

test('verify --scan-data reports the bytes; strip --scan-data cuts them and nothing else', async () => {
  const dir = path.join(work, 'loose');
  fs.mkdirSync(dir);
  const file = path.join(dir, 'photo.jpg');
  fs.writeFileSync(file, planted);
  const deep = await deid('verify', '--json', '--scan-data', file);
  expect(deep.code).toBe(1);
  expect(json(deep.stdout).files[0].findings).toEqual([
    expect.objectContaining({ kind: 'unknown-segment', detail: `${SECRET.length} bytes of scan data no MCU uses (after the last MCU or before an RSTn)` }),
  ]);
  const out = path.join(work, 'stripped');
  const s = await deid('strip', '--json', '--scan-data', file, '--out', out);
  expect(s.code).toBe(0);
  const written = fs.readFileSync(path.join(out, 'photo.jpg'));
  expect(written.includes(Buffer.from(SECRET, 'latin1'))).toBe(false);
  expect(written.equals(fs.readFileSync(exp.image))).toBe(true);
  expect((await deid('verify', '--scan-data', path.join(out, 'photo.jpg'))).code).toBe(0);
});

test('progressive JPEG (SOF2): verify --scan-data reports bytes after a scan\'s last MCU; strip --scan-data cuts exactly them', async () => {
  const dir = path.join(work, 'progressive');
  fs.mkdirSync(dir);
  const clean = await sharp(fs.readFileSync(exp.image)).jpeg({ progressive: true }).toBuffer();
  // After the coded data of the first scan (DC, interleaved): right before the next marker.
  const sos = clean.indexOf(Buffer.from([0xff, 0xda]));
  let end = sos + 2 + clean.readUInt16BE(sos + 2);
  while (!(clean[end] === 0xff && clean[end + 1] !== 0 && (clean[end + 1] < 0xd0 || clean[end + 1] > 0xd7))) end++;
  const file = path.join(dir, 'progressive.jpg');
  fs.writeFileSync(file, Buffer.concat([clean.subarray(0, end), Buffer.from(SECRET, 'latin1'), clean.subarray(end)]));
  expect((await deid('verify', file)).code).toBe(0);
  const deep = await deid('verify', '--json', '--scan-data', file);
  expect(deep.code).toBe(1);
  expect(json(deep.stdout).files[0].findings).toEqual([
    expect.objectContaining({ kind: 'unknown-segment', detail: `${SECRET.length} bytes of scan data no MCU uses (after the last MCU or before an RSTn)` }),
  ]);
  const out = path.join(work, 'progressive-stripped');
  expect((await deid('strip', '--json', '--scan-data', file, '--out', out)).code).toBe(0);
  expect(fs.readFileSync(path.join(out, 'progressive.jpg')).equals(clean)).toBe(true);
});

test('bag create reads scan data: an export carrying such bytes, hash and sign-off in order, is refused', async () => {
  // The export's sidecar made to match the planted bytes and signed: only the scan data is wrong.
  rebindImage(exp, planted);
  await signOffSidecarFile(exp.sidecar);
  // Without reading scan data the export is clean and signed off: what the bag's check adds.
  expect((await deid('verify', '--require-sidecar', exp.image)).code).toBe(0);
  const bag = path.join(work, 'bag');
  const r = await deid('bag', 'create', path.join(work, 'exports'), '--out', bag, '--recipient', 'Example Research Unit', '--method', 'encrypted USB drive');
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/does not verify clean: unknown-segment/);
  expect(fs.existsSync(bag)).toBe(false);
});

test('arithmetic-coded JPEG (SOF10), whose scan data is not walked: verify --scan-data says so, strip --scan-data re-encodes it from its pixels with the reason, bytes planted in a scan gone', async () => {
  const dir = path.join(work, 'arithmetic');
  fs.mkdirSync(dir);
  const { data: rgb, info } = await sharp(fs.readFileSync(exp.image)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const ppm = Buffer.concat([Buffer.from(`P6\n${info.width} ${info.height}\n255\n`, 'latin1'), rgb]);
  const clean = execFileSync('cjpeg', ['-arithmetic', '-progressive', '-quality', '95'], { input: ppm });
  // Text after the first scan's coded data (libjpeg warns of extraneous bytes and decodes on).
  const sos = clean.indexOf(Buffer.from([0xff, 0xda]));
  let end = sos + 2 + clean.readUInt16BE(sos + 2);
  while (!(clean[end] === 0xff && clean[end + 1] !== 0 && (clean[end + 1] < 0xd0 || clean[end + 1] > 0xd7))) end++;
  const planted = Buffer.concat([clean.subarray(0, end), Buffer.from(SECRET, 'latin1'), clean.subarray(end)]);
  const file = path.join(dir, 'arith.jpg');
  fs.writeFileSync(file, planted);
  expect((await deid('verify', file)).code).toBe(0);
  const deep = await deid('verify', '--json', '--scan-data', file);
  expect(deep.code).toBe(1);
  const findings = json(deep.stdout).files[0].findings as Array<{ kind: string; detail: string }>;
  expect(findings.length).toBeGreaterThan(0);
  expect(findings.every((f) => f.kind === 'unknown-segment' && f.detail === 'scan data of an arithmetic-coded frame: not checked for bytes no MCU uses')).toBe(true);
  // Without --scan-data strip copies the scan data as it is (lossless, the text with it).
  const plainOut = path.join(work, 'arithmetic-plain');
  const plain = await deid('strip', '--json', file, '--out', plainOut);
  expect(json(plain.stdout).files[0]).toMatchObject({ lossless: true });
  expect(fs.readFileSync(path.join(plainOut, 'arith.jpg')).includes(Buffer.from(SECRET, 'latin1'))).toBe(true);
  const out = path.join(work, 'arithmetic-stripped');
  const s = await deid('strip', '--json', '--scan-data', file, '--out', out);
  expect(s.code).toBe(0);
  expect(json(s.stdout).files[0]).toMatchObject({ lossless: false, notice: expect.stringMatching(/^salvaged: .*scan data of an arithmetic-coded frame: not checked for bytes no MCU uses.* re-encoded from its decoded pixels/) });
  const written = fs.readFileSync(path.join(out, 'arith.jpg'));
  expect(written.includes(Buffer.from(SECRET, 'latin1'))).toBe(false);
  expect((await deid('verify', '--scan-data', path.join(out, 'arith.jpg'))).code).toBe(0);
  // The same picture, re-encoded (quality 95, 4:4:4): close to libjpeg's decoding of the input.
  const [a, b] = await Promise.all([sharp(written).raw().toBuffer(), sharp(planted, { failOn: 'none' }).raw().toBuffer()]);
  expect(a.length).toBe(b.length);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff += Math.abs(a[i] - b[i]);
  expect(diff / a.length).toBeLessThan(3);
});
