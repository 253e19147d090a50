import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { scanStructure } from '../../src/core/metadata/scan';
import { parseSidecar } from '../../src/core/sidecar/schema';
import { sha256Hex } from '../../src/core/hash';
import { SAMPLE, SAMPLE_RECIPE } from '../helpers/paths';
import { deid, json } from './run';

let tmp: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'deid-apply-'));
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** An applied export's checklist is not signed yet: 7 manual items unchecked plus the sign-off. */
const CHECKLIST_OPEN = Array(8).fill('checklist-incomplete');

async function applySample(format: 'jpeg' | 'png' = 'jpeg') {
  const r = await deid('apply', SAMPLE_RECIPE, SAMPLE, '--out', tmp, '--format', format, '--json');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return json<{ alternateId: string; image: string; sidecar: string }>(r.stdout);
}

test.each(['jpeg', 'png'] as const)('apply writes a clean %s named by the alternate id and a sidecar bound to it', async (format) => {
  const out = await applySample(format);
  const ext = format === 'jpeg' ? 'jpg' : 'png';
  expect((await fs.readdir(tmp)).sort()).toEqual([`${out.alternateId}.${ext}`, `${out.alternateId}.deid.json`].sort());
  const bytes = new Uint8Array(await fs.readFile(out.image));
  expect(scanStructure(bytes).findings).toEqual([]);
  const sidecar = parseSidecar(await fs.readFile(out.sidecar, 'utf8'));
  expect(sidecar.image.sha256).toBe(sha256Hex(bytes));
  expect(sidecar.image.fileName).toBe(path.basename(out.image));
  const text = await fs.readFile(out.sidecar, 'utf8');
  // Nothing from the source file: not its name, not its owner, serial or history.
  for (const leak of ['patient-photo', 'Jane Doe', 'SN-0042', 'PATIENT_DOE', 'ExampleCam', 'Example Hospital']) expect(text).not.toContain(leak);
  // The face really is a mosaic: the sample's eye (dark) and skin fall into one flat 40 px cell.
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  const px = (x: number, y: number) => Array.from(data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3));
  const tolerance = format === 'jpeg' ? 12 : 0;
  const a = px(200, 165);
  const b = px(220, 185);
  a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThanOrEqual(tolerance));
});

test('verify checks an export against its sidecar: only the unsigned checklist is reported', async () => {
  await applySample();
  const r = await deid('verify', '--json', tmp);
  expect(r.code).toBe(1);
  const [file] = json(r.stdout).files;
  const kinds = new Set(file.findings.map((f: { kind: string }) => f.kind));
  expect([...kinds]).toEqual(['checklist-incomplete']);
});

test('a sidecar whose image is gone is reported (exit 2), not counted away as one more sidecar', async () => {
  const out = await applySample();
  await fs.rm(out.image);
  const r = await deid('verify', '--json', tmp);
  expect(r.code).toBe(2);
  const report = json(r.stdout);
  expect(report.files).toEqual([expect.objectContaining({ path: out.sidecar, error: `sidecar without its image: ${path.basename(out.image)} is not in this folder (lost, renamed or moved?)` })]);
  expect(report.summary).toMatchObject({ files: 1, errors: 1, sidecars: 0 });
});

test('a changed pixel is caught as hash-mismatch', async () => {
  const out = await applySample('png');
  // One pixel far from every region changed and the PNG re-encoded, as an editor would: a
  // well-formed file whose regions are still obscured; only the hash can tell.
  const { data, info } = await sharp(out.image).raw().toBuffer({ resolveWithObject: true });
  data[0] ^= 0x01;
  await fs.writeFile(out.image, await sharp(data, { raw: info }).png().toBuffer());
  const r = await deid('verify', '--json', out.image);
  expect(json(r.stdout).files[0].findings.map((f: { kind: string }) => f.kind)).toEqual(['hash-mismatch', ...CHECKLIST_OPEN]);
});

test('verify over a folder finds each sidecar from the listing, as it does for a named file', async () => {
  const out = await applySample('png');
  const { data, info } = await sharp(out.image).raw().toBuffer({ resolveWithObject: true });
  data[0] ^= 0x01;
  await fs.writeFile(out.image, await sharp(data, { raw: info }).png().toBuffer());
  // Beside it, an image with no sidecar (a clean copy under another name) and one whose
  // sidecar name differs in case only (on a case-sensitive file system there is none).
  const plain = path.join(tmp, 'plain.png');
  await fs.copyFile(out.image, plain);
  const upper = path.join(tmp, 'Upper.png');
  await fs.copyFile(out.image, upper);
  await fs.copyFile(out.sidecar, path.join(tmp, 'UPPER.deid.json'));
  const folder = json((await deid('verify', '--json', tmp)).stdout).files as Array<{ path: string; findings: Array<{ kind: string }> }>;
  const named = await Promise.all([out.image, plain, upper].map(async (f) => json((await deid('verify', '--json', f)).stdout).files[0]));
  const byPath = new Map(folder.map((f) => [f.path, f.findings.map((x) => x.kind)]));
  expect(byPath.get(out.image)).toEqual(['hash-mismatch', ...CHECKLIST_OPEN]);
  expect(byPath.get(plain)).toEqual([]);
  for (const n of named) expect(byPath.get(n.path)).toEqual(n.findings.map((x: { kind: string }) => x.kind));
});

test('a region painted back is caught as not-obscured', async () => {
  const out = await applySample('png');
  const original = await sharp(SAMPLE).raw().toBuffer({ resolveWithObject: true });
  // Paint the original face back into the export, as a careless or malicious edit would.
  const face = await sharp(original.data, { raw: original.info }).extract({ left: 150, top: 75, width: 200, height: 250 }).png().toBuffer();
  const tampered = await sharp(out.image).composite([{ input: face, left: 150, top: 75 }]).png().toBuffer();
  await fs.writeFile(out.image, tampered);
  const r = await deid('verify', '--json', out.image);
  expect(r.code).toBe(1);
  const kinds = json(r.stdout).files[0].findings.map((f: { kind: string }) => f.kind);
  expect(kinds).toContain('not-obscured');
  expect(kinds).toContain('hash-mismatch');
});

test('a recipe the policy forbids is refused whole and nothing is written', async () => {
  const recipe = path.join(tmp, 'bad.json');
  await fs.writeFile(recipe, JSON.stringify({ steps: [
    { op: 'overlay', region: { x: 0, y: 0, w: 50, h: 50 }, regionKind: 'face', color: '#000000', at: '2026-01-01T00:00:00.000Z' },
    { op: 'pixelate', region: { x: 396, y: 326, w: 208, h: 78 }, regionKind: 'text', cellSize: 40, at: '2026-01-01T00:00:00.000Z' },
  ] }));
  const out = path.join(tmp, 'out');
  const r = await deid('apply', recipe, SAMPLE, '--out', out);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/step 2 \(pixelate\) refused/);
  await expect(fs.readdir(out)).rejects.toThrow();
});

test('a mosaic finer than the policy allows is refused', async () => {
  const recipe = path.join(tmp, 'fine.json');
  await fs.writeFile(recipe, JSON.stringify({ steps: [
    { op: 'pixelate', region: { x: 150, y: 75, w: 200, h: 250 }, regionKind: 'face', cellSize: 10, at: '2026-01-01T00:00:00.000Z' },
  ] }));
  const r = await deid('apply', recipe, SAMPLE, '--out', path.join(tmp, 'out'));
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/refused/);
});

test('a recipe that is not JSON is a usage error', async () => {
  const recipe = path.join(tmp, 'broken.json');
  await fs.writeFile(recipe, '{ steps: ');
  const r = await deid('apply', recipe, SAMPLE, '--out', path.join(tmp, 'out'));
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/not JSON/);
});

test('a region outside the image is refused with nothing written (it would obscure nothing, and the export would say it did)', async () => {
  const recipe = path.join(tmp, 'outside.json');
  await fs.writeFile(recipe, JSON.stringify({ steps: [
    { op: 'pixelate', region: { x: 150, y: 75, w: 200, h: 250 }, regionKind: 'face', cellSize: 40 },
    { op: 'overlay', region: { x: 5000, y: 5000, w: 100, h: 40 }, regionKind: 'text', color: '#000000' },
  ] }));
  const out = path.join(tmp, 'out');
  const r = await deid('apply', recipe, SAMPLE, '--out', out);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/step 2 \(overlay\): region 100x40 at \(5000, 5000\) lies outside the 640x480 image, so it would obscure nothing/);
  await expect(fs.readdir(out)).rejects.toThrow();
});

test('the usual slips: arguments swapped, a recipe saved with a byte-order mark, --out naming a file or nothing', async () => {
  const out = path.join(tmp, 'out');
  const swapped = await deid('apply', SAMPLE, SAMPLE_RECIPE, '--out', out);
  expect(swapped.code).toBe(2);
  expect(swapped.stderr).toMatch(/patient-photo\.jpg is a JPEG image, not a recipe: the recipe comes first, then the image/);
  const bom = path.join(tmp, 'bom.json');
  await fs.writeFile(bom, `\uFEFF${await fs.readFile(SAMPLE_RECIPE, 'utf8')}`);
  expect((await deid('apply', bom, SAMPLE, '--out', out)).code).toBe(0);
  const file = path.join(tmp, 'a-file.jpg');
  await fs.copyFile(SAMPLE, file);
  const onFile = await deid('apply', SAMPLE_RECIPE, SAMPLE, '--out', file);
  expect(onFile.code).toBe(2);
  expect(onFile.stderr).toMatch(/--out .*a-file\.jpg is a file, not a folder/);
  expect((await fs.readFile(file)).equals(await fs.readFile(SAMPLE))).toBe(true);
  const empty = await deid('apply', SAMPLE_RECIPE, SAMPLE, '--out', '');
  expect(empty.code).toBe(2);
  expect(empty.stderr).toMatch(/--out is empty/);
  const nothing = path.join(tmp, 'empty.jpg');
  await fs.writeFile(nothing, '');
  const emptyImage = await deid('apply', SAMPLE_RECIPE, nothing, '--out', out);
  expect(emptyImage.code).toBe(2);
  expect(emptyImage.stderr).toMatch(/empty\.jpg is empty: there is no image to de-identify/);
});

test('a sidecar that does not validate is a finding (exit 1), and its text is not echoed', async () => {
  const out = await applySample('png');
  await fs.writeFile(out.sidecar, '{"alternateId": "Jane Doe MRN 0012345", ');
  const r = await deid('verify', '--json', out.image);
  expect(r.code).toBe(1);
  const [file] = json(r.stdout).files;
  expect(file.error).toBeUndefined();
  expect(file.findings.map((f: { kind: string }) => f.kind)).toEqual(['hash-mismatch']);
  expect(r.stdout).not.toContain('Jane Doe');
});

test('the sidecar of an applied recipe lists what the source carried', async () => {
  const out = await applySample();
  const sidecar = parseSidecar(await fs.readFile(out.sidecar, 'utf8'));
  expect(sidecar.metadata.removed).toEqual(expect.arrayContaining(['exif', 'gps', 'xmp']));
});

test('verify catches a sidecar whose mosaic is recorded as small fine tiles (each passes alone)', async () => {
  const out = await applySample('png');
  const sidecar = JSON.parse(await fs.readFile(out.sidecar, 'utf8'));
  // The face really is a 40 px mosaic; claim it as 25 tiles of 40x50 with 10 px cells, each of
  // which is honestly one colour per 10 px cell, and which together are 20 cells across.
  const tiles = [];
  for (let y = 75; y < 325; y += 50) for (let x = 150; x < 350; x += 40) tiles.push({ op: 'pixelate', region: { x, y, w: 40, h: 50 }, regionKind: 'face', cellSize: 10, at: sidecar.createdAt });
  sidecar.steps = [...tiles, ...sidecar.steps.filter((s: { op: string }) => s.op !== 'pixelate')];
  await fs.writeFile(out.sidecar, JSON.stringify(sidecar));
  const r = await deid('verify', '--json', out.image);
  const findings = json(r.stdout).files[0].findings.filter((f: { kind: string }) => f.kind === 'not-obscured');
  expect(findings).toHaveLength(25);
  expect(findings[0].detail).toMatch(/covers 200x250 px, which needs cells of at least 40 px/);
});
