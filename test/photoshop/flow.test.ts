import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { identifyingKeysLeft, readExiftool } from '../helpers/exiftool';
import { fakePhotoshop } from '../fakes/photoshop';
import { fakeUxp } from '../fakes/uxp';
import { createPhotoshopHost } from '../../src/photoshop';
import { startWorkingCopy } from '../../src/actions/start';
import { obscureSelection, previewObscure } from '../../src/actions/obscure';
import { cropToSelection } from '../../src/actions/crop';
import { finishExport } from '../../src/actions/finish';
import { openReview, signOffReview } from '../../src/actions/review';
import { keyFingerprint, parseReviewerKey } from '../../src/core/signature/keys';
import { checkSidecarSignature } from '../../src/core/signature/sidecar-signature';
import { DEFAULT_POLICY } from '../../src/core/policy/policy';
import { checkRegionObscured, JPEG_TOLERANCE, LOSSLESS_TOLERANCE } from '../../src/core/pixels/verify-region';
import { validateSidecar } from '../../src/core/sidecar/schema';
import { sha256Hex } from '../../src/core/hash';
import { setItemStatus } from '../../src/core/sidecar/checklist';
import { MANUAL_ITEMS } from '../../src/core/sidecar/checklist';
import { decode, GPS_PHOTO, resetFakes } from './setup';
import type { Sidecar } from '../../src/core/sidecar/types';

const FACE = { x: 200, y: 120, w: 130, h: 150 };
/** An ellipse (anti-aliased edge values included) around a "name tag". */
const TAG_CENTRE = { x: 480, y: 360 };
const TAG_RADII = { x: 70, y: 28 };
const KEEP = { x: 40, y: 30, w: 580, h: 430 };
/** Chroma bleed from outside at a painted block's edge in a 4:2:0 JPEG (inside stays near 0). */
const JPEG_EDGE_BLEED = 40;
/** ICC_Profile is judged by identifyingKeysLeft: the core keeps a canonical sRGB profile it recognises. */
const METADATA_GROUPS = /^(IFD0|IFD1|ExifIFD|GPS|XMP(-.*)?|Photoshop|IPTC|InteropIFD|MakerNotes|PNG-pHYs-none)$/;

function insideTag(x: number, y: number): number {
  const d = ((x - TAG_CENTRE.x) / TAG_RADII.x) ** 2 + ((y - TAG_CENTRE.y) / TAG_RADII.y) ** 2;
  if (d <= 0.9) return 255;
  return d <= 1 ? 128 : 0;
}

async function runFlow(format: 'jpeg' | 'png') {
  const original = await fakePhotoshop.openFile(GPS_PHOTO, 'Smith_John_MRN12345.jpg');
  const before = original.composite().data.slice();
  const host = createPhotoshopHost();
  const session = await startWorkingCopy(host);
  const work = fakePhotoshop.active();
  if (!work) throw new Error('no working copy');
  expect(work.id).not.toBe(original.id);
  expect(work.title).toBe(session.alternateId);

  fakePhotoshop.selectRect(work, FACE);
  const preview = await previewObscure(host, session, DEFAULT_POLICY, 'face');
  expect(preview.methods).toEqual(['overlay', 'pixelate']);
  expect(preview.mosaic).toEqual({ cellSize: 26, cellsAcross: 5 });
  await obscureSelection(host, session, DEFAULT_POLICY, { kind: 'face', method: 'pixelate' });

  fakePhotoshop.selectMask(work, insideTag);
  const textPreview = await previewObscure(host, session, DEFAULT_POLICY, 'text');
  expect(textPreview.methods).toEqual(['overlay']);
  expect(textPreview.rectangular).toBe(false);
  await obscureSelection(host, session, DEFAULT_POLICY, { kind: 'text', method: 'overlay' });

  fakePhotoshop.selectRect(work, KEEP);
  await cropToSelection(host, session);

  const out = fakeUxp.folder('exports');
  fakeUxp.pickFolder(out);
  const folder = await host.chooseOutputFolder();
  if (!folder) throw new Error('no folder');
  const result = await finishExport(host, session, DEFAULT_POLICY, { format, folder, toolVersion: '0.1.0' });
  return { original, before, session, result, out, host, folder };
}

describe('the guided flow through the adapter over the fake Photoshop', () => {
  beforeEach(resetFakes);

  test.each(['jpeg', 'png'] as const)('start -> mosaic -> masked overlay -> crop -> finish (%s)', async (format) => {
    const { original, before, session, result, out } = await runFlow(format);
    if (!result.ok) throw new Error(result.message);
    const ext = format === 'jpeg' ? 'jpg' : 'png';
    expect(fs.readdirSync(out).sort()).toEqual([`${session.alternateId}.deid.json`, `${session.alternateId}.${ext}`].sort());
    const imagePath = path.join(out, `${session.alternateId}.${ext}`);
    const bytes = new Uint8Array(fs.readFileSync(imagePath));

    // Oracle: exiftool sees no metadata group at all.
    const record = readExiftool([imagePath]).get(imagePath);
    if (!record) throw new Error(`exiftool did not read ${imagePath}`);
    const groups = [...new Set(Object.keys(record).filter((k) => k.includes(':')).map((k) => k.split(':')[0]))];
    expect(groups.filter((g) => METADATA_GROUPS.test(g))).toEqual([]);
    expect(identifyingKeysLeft(record)).toEqual([]);
    expect(JSON.stringify(record)).not.toMatch(/GPS|Photoshop|NIKON|xmp\.did/i);

    // Sidecar: validates, hashes the file on disk, never names the original.
    const sidecarText = fs.readFileSync(path.join(out, `${session.alternateId}.deid.json`), 'utf8');
    const sidecar: Sidecar = validateSidecar(JSON.parse(sidecarText));
    expect(sidecar.image.sha256).toBe(sha256Hex(bytes));
    expect(sidecar.image).toMatchObject({ width: KEEP.w, height: KEEP.h, bytes: bytes.length, format });
    expect(sidecarText).not.toMatch(/Smith|MRN12345|DSCN0010|exif-samples/);
    expect(sidecar.metadata.removed).toEqual(expect.arrayContaining(format === 'jpeg' ? ['exif', 'gps', 'xmp', 'thumbnail', 'photoshop-irb'] : ['exif', 'xmp']));

    // Every recorded region is obscured in the DECODED export.
    const pixels = await decode(bytes);
    expect([pixels.width, pixels.height]).toEqual([KEEP.w, KEEP.h]);
    const obscuring = sidecar.steps.filter((s) => s.op === 'pixelate' || s.op === 'overlay');
    expect(obscuring.filter((s) => s.op === 'pixelate').length).toBe(1);
    // The elliptical selection is recorded as ONE overlay with its mask, not as its bounding box.
    const overlays = obscuring.filter((s) => s.op === 'overlay');
    expect(overlays).toHaveLength(1);
    expect(overlays[0]!.mask?.length).toBeGreaterThan(2);
    for (const step of obscuring) {
      const check = checkRegionObscured(pixels, step, DEFAULT_POLICY, format === 'png' ? LOSSLESS_TOLERANCE : JPEG_TOLERANCE);
      expect(check).toMatchObject({ ok: true });
    }
    // Every selected pixel of the tag ellipse was painted (in final coordinates).
    for (let y = TAG_CENTRE.y - TAG_RADII.y; y <= TAG_CENTRE.y + TAG_RADII.y; y++) {
      for (let x = TAG_CENTRE.x - TAG_RADII.x; x <= TAG_CENTRE.x + TAG_RADII.x; x++) {
        if (insideTag(x, y) === 0) continue;
        const p = ((y - KEEP.y) * KEEP.w + (x - KEEP.x)) * 3;
        expect(Math.max(pixels.data[p], pixels.data[p + 1], pixels.data[p + 2])).toBeLessThanOrEqual(format === 'png' ? 0 : JPEG_EDGE_BLEED);
      }
    }

    // Outside the ellipse, the box's corner is NOT painted: the overlay follows the selection.
    const corner = ((TAG_CENTRE.y - TAG_RADII.y - KEEP.y) * KEEP.w + (TAG_CENTRE.x - TAG_RADII.x - KEEP.x)) * 3;
    expect(Math.max(pixels.data[corner], pixels.data[corner + 1], pixels.data[corner + 2])).toBeGreaterThan(JPEG_EDGE_BLEED);

    // The original is untouched: same pixels, no history added, never saved.
    expect(Buffer.from(original.composite().data).equals(Buffer.from(before))).toBe(true);
    expect(original.history).toEqual(['Open']);
    expect(fs.readdirSync(fakeUxp.tempDir())).toEqual([]);
    expect(fakePhotoshop.liveImageDataCount()).toBe(0);
  });

  test('review re-verifies the export and sign-off rewrites the sidecar', async () => {
    const { result, host, folder, session } = await runFlow('jpeg');
    if (!result.ok) throw new Error(result.message);
    const review = await openReview(host, folder, result.sidecarName, DEFAULT_POLICY);
    expect(review.findings).toEqual([]);
    expect(review.regions.every((r) => r.ok)).toBe(true);
    let checklist = review.sidecar.checklist;
    for (const item of MANUAL_ITEMS) checklist = setItemStatus(checklist, item.id, 'ok');
    const signed = await signOffReview(host, review, checklist, 'Dr Reviewer', () => new Date('2024-06-01T10:00:00Z'));
    expect(signed.checklist.signedOff).toBe(true);
    const onDisk = validateSidecar(JSON.parse(fs.readFileSync(path.join(fakeUxp.folder('exports'), `${session.alternateId}.deid.json`), 'utf8')));
    expect(onDisk.checklist).toMatchObject({ signedOff: true, reviewer: 'Dr Reviewer' });
    // Signed with the reviewer's key, kept in UXP secure storage (core/signature).
    const stored = parseReviewerKey(fakeUxp.secureItem('deid-photo.reviewer-key') ?? '');
    expect(checkSidecarSignature(onDisk)).toEqual({ state: 'valid', fingerprint: keyFingerprint(stored.publicKey) });
  });

  test('review holds a PNG under a sidecar that says "jpeg" to exact pixels, and names the mismatch', async () => {
    const { result, host, folder, out } = await runFlow('jpeg');
    if (!result.ok) throw new Error(result.message);
    const imagePath = path.join(out, result.imageName);
    // The export's own pixels stored losslessly (libvips): the mosaic keeps its JPEG ringing,
    // which only the JPEG tolerance allows. The sidecar is "fixed" to the new bytes.
    const png = await sharp(imagePath).png().toBuffer();
    fs.writeFileSync(imagePath, png);
    const sidecarPath = path.join(out, result.sidecarName);
    const sidecar = JSON.parse(fs.readFileSync(sidecarPath, 'utf8')) as Sidecar;
    sidecar.image.sha256 = sha256Hex(png);
    sidecar.image.bytes = png.length;
    fs.writeFileSync(sidecarPath, JSON.stringify(sidecar));
    const review = await openReview(host, folder, result.sidecarName, DEFAULT_POLICY);
    expect(review.regions.some((r) => !r.ok)).toBe(true);
    expect(review.findings).toContainEqual({ kind: 'hash-mismatch', where: result.imageName, detail: 'the sidecar says the image is a JPEG, but its bytes are a PNG' });
    await expect(signOffReview(host, review, review.sidecar.checklist, 'Dr Reviewer')).rejects.toThrow(/cannot sign off/);
  });

  test('review refuses an image that was changed after export', async () => {
    const { result, host, folder, out } = await runFlow('jpeg');
    if (!result.ok) throw new Error(result.message);
    const imagePath = path.join(out, result.imageName);
    // Bytes after the end of the image: every decoder still shows the same picture.
    fs.appendFileSync(imagePath, Buffer.from('note'));
    const review = await openReview(host, folder, result.sidecarName, DEFAULT_POLICY);
    expect(review.findings.map((f) => f.kind)).toContain('hash-mismatch');
    expect(review.regions.every((r) => r.ok)).toBe(true);
    await expect(signOffReview(host, review, review.sidecar.checklist, 'Dr Reviewer')).rejects.toThrow(/cannot sign off/);
  });
});
