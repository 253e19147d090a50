import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { reverifyExport } from '../../src/cli/review/reverify';
import { detectContainer } from '../../src/core/metadata/registry';
import { DEFAULT_POLICY } from '../../src/core/policy/policy';
import { SIDECAR_DUPLICATE_NAME } from '../../src/core/sidecar/schema';
import { applySample, paintRegionBack, rebindImage } from '../helpers/review';
import { deid } from '../cli/run';

/**
 * The review page and `deid verify` rest on one region check (core/pixels/recorded-regions.ts):
 * what one refuses, the other refuses, including the limits verify had and the page lacked.
 */
let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-reverify-'));
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function exportIn(name: string) {
  const exp = await applySample(path.join(tmp, name));
  return { ...exp, entry: { id: exp.id, sidecarPath: exp.sidecar, imagePath: exp.image } };
}

async function verifyFindings(image: string, ...args: string[]): Promise<string[]> {
  const r = await deid('verify', '--json', ...args, image);
  return (JSON.parse(r.stdout) as { files: { findings: { kind: string; detail: string }[] }[] }).files[0]!.findings.map((f) => `${f.kind}: ${f.detail}`);
}

test('a mosaic painted back is refused by both, for the same region', async () => {
  const exp = await exportIn('painted');
  await paintRegionBack(exp);
  const report = await reverifyExport(exp.entry, DEFAULT_POLICY);
  const failed = report.regions.filter((r) => !r.ok).map((r) => r.number);
  expect(failed.length).toBeGreaterThan(0);
  const fromVerify = (await verifyFindings(exp.image)).filter((f) => f.startsWith('not-obscured'));
  expect(fromVerify).toHaveLength(failed.length);
});

test('more steps than the policy allows: regions unchecked and the export refused by both', async () => {
  const exp = await exportIn('limit');
  // The sample export records several steps; the policy allows one.
  const policyFile = path.join(tmp, 'one-step.json');
  fs.writeFileSync(policyFile, JSON.stringify({ maxSteps: 1 }));
  const report = await reverifyExport(exp.entry, { ...DEFAULT_POLICY, maxSteps: 1 });
  expect(report.regions).toEqual([]);
  expect(report.problems.join('\n')).toMatch(/records \d+ steps, more than the limit of 1 \(maxSteps in the policy file\); its regions were not checked/);
  // verify refuses it even earlier, before the schema walks the sidecar (it counts steps and items).
  expect((await verifyFindings(exp.image, '--policy', policyFile)).join('\n')).toMatch(/more than the limit of 1 \(maxSteps in the policy file\)/);
});

test('a sidecar whose picture size is not the image size is a problem for both', async () => {
  const exp = await exportIn('size');
  const sidecar = JSON.parse(fs.readFileSync(exp.sidecar, 'utf8'));
  sidecar.image.width += 8;
  fs.writeFileSync(exp.sidecar, `${JSON.stringify(sidecar, null, 2)}\n`);
  const report = await reverifyExport(exp.entry, DEFAULT_POLICY);
  expect(report.problems.join('\n')).toMatch(new RegExp(`the sidecar says ${sidecar.image.width}x${sidecar.image.height}`));
  expect((await verifyFindings(exp.image)).join('\n')).toMatch(/image dimensions differ from the sidecar/);
});

test('a PNG under a sidecar that says "jpeg": both hold its regions to exact pixels and name the mismatch', async () => {
  const exp = await exportIn('png-as-jpeg');
  // The export's own pixels, stored losslessly: each mosaic cell keeps the few levels of JPEG
  // ringing it had, which the JPEG tolerance allows and exact pixels (what a PNG is) do not.
  const png = await sharp(exp.image).png().toBuffer();
  expect(detectContainer(png)?.format).toBe('png');
  rebindImage(exp, png);
  expect(JSON.parse(fs.readFileSync(exp.sidecar, 'utf8')).image.format).toBe('jpeg');
  const report = await reverifyExport(exp.entry, DEFAULT_POLICY);
  const failed = report.regions.filter((r) => !r.ok);
  expect(failed.length).toBeGreaterThan(0);
  expect(report.problems).toContain('the sidecar says the image is a JPEG, but its bytes are a PNG');
  const fromVerify = await verifyFindings(exp.image);
  expect(fromVerify).toContain('hash-mismatch: the sidecar says the image is a JPEG, but its bytes are a PNG');
  expect(fromVerify.filter((f) => f.startsWith('not-obscured'))).toHaveLength(failed.length);
});

test('a sidecar that repeats a name (RFC 7493 section 2.3) is refused by both', async () => {
  const exp = await exportIn('repeated-name');
  const text = fs.readFileSync(exp.sidecar, 'utf8');
  // The first "format" is what a first-keeping reader sees; JSON.parse keeps the second.
  const repeated = text.replace('"format": "jpeg",', '"format": "png",\n    "format": "jpeg",');
  expect(repeated).not.toBe(text);
  fs.writeFileSync(exp.sidecar, repeated);
  const report = await reverifyExport(exp.entry, DEFAULT_POLICY);
  expect(report.sidecar).toBeNull();
  expect(report.error).toBe(SIDECAR_DUPLICATE_NAME);
  expect(await verifyFindings(exp.image)).toContain(`hash-mismatch: ${SIDECAR_DUPLICATE_NAME}; it binds nothing`);
});
