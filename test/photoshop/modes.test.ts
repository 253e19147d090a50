/**
 * Documents that are not in RGB mode (document.md "Properties": mode; constants.md
 * "DocumentMode"). Start changes the working copy to RGB (document.md "changeMode") before
 * anything reads, paints or converts its profile; Bitmap (constants.md "ChangeMode": colour
 * goes through Grayscale on the way TO Bitmap, nothing documents the way back), Duotone and
 * Multichannel are refused with a message. Every export is RGB with the region obscured.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { constants, fakePhotoshop } from '../fakes/photoshop';
import { fakeUxp } from '../fakes/uxp';
import { createPhotoshopHost } from '../../src/photoshop';
import { startWorkingCopy } from '../../src/actions/start';
import { obscureSelection } from '../../src/actions/obscure';
import { finishExport } from '../../src/actions/finish';
import { DEFAULT_POLICY } from '../../src/core/policy/policy';
import { checkRegionObscured, LOSSLESS_TOLERANCE } from '../../src/core/pixels/verify-region';
import { validateSidecar } from '../../src/core/sidecar/schema';
import { decode, resetFakes } from './setup';
import { isDeidHostError } from '../../src/actions/host';

const W = 96;
const H = 72;
const FACE = { x: 20, y: 16, w: 40, h: 36 };

/** A busy pattern in `channels` values per pixel. */
function busy(channels: number): Uint8Array {
  const out = new Uint8Array(W * H * channels);
  for (let i = 0; i < out.length; i++) out[i] = ((i * 2654435761) >>> 0) % 251;
  return out;
}

async function obscureAndExport(format: 'png' | 'jpeg' = 'png') {
  const host = createPhotoshopHost();
  const session = await startWorkingCopy(host);
  const work = fakePhotoshop.active();
  if (!work) throw new Error('no working copy');
  expect(work.mode).toBe(constants.DocumentMode.RGB);
  expect(session.doc.mode).toBe('rgb');
  fakePhotoshop.selectRect(work, FACE);
  await obscureSelection(host, session, DEFAULT_POLICY, { kind: 'face', method: 'pixelate' });
  const out = fakeUxp.folder('exports');
  fakeUxp.pickFolder(out);
  const folder = await host.chooseOutputFolder();
  if (!folder) throw new Error('no folder');
  const result = await finishExport(host, session, DEFAULT_POLICY, { format, folder, toolVersion: '0.1.0' });
  if (!result.ok) throw new Error(result.message);
  const ext = format === 'png' ? 'png' : 'jpg';
  const bytes = new Uint8Array(fs.readFileSync(path.join(out, `${session.alternateId}.${ext}`)));
  const sidecar = validateSidecar(JSON.parse(fs.readFileSync(path.join(out, `${session.alternateId}.deid.json`), 'utf8')));
  return { session, bytes, sidecar };
}

async function expectRgbAndObscured(bytes: Uint8Array, sidecar: ReturnType<typeof validateSidecar>): Promise<void> {
  const meta = await sharp(Buffer.from(bytes)).metadata();
  expect(meta.channels).toBe(3);
  expect(meta.space).toBe('srgb');
  expect(meta.isPalette ?? false).toBe(false);
  const pixels = await decode(bytes);
  const obscuring = sidecar.steps.filter((s) => s.op === 'pixelate');
  expect(obscuring).toHaveLength(1);
  expect(obscuring[0].region).toEqual(FACE);
  expect(checkRegionObscured(pixels, obscuring[0], DEFAULT_POLICY, LOSSLESS_TOLERANCE)).toMatchObject({ ok: true });
}

describe('colour modes other than RGB', () => {
  beforeEach(resetFakes);

  test('a Grayscale document: the working copy is changed to RGB, the export is RGB with the face obscured', async () => {
    const original = fakePhotoshop.openInMode(constants.DocumentMode.GRAYSCALE, busy(1), W, H, 'Smith_gray.tif');
    const { bytes, sidecar } = await obscureAndExport();
    await expectRgbAndObscured(bytes, sidecar);
    // Outside the region the picture is still neutral (R = G = B).
    const pixels = await decode(bytes);
    for (let p = 0; p < 5 * W; p++) expect(new Set([pixels.data[p * 3], pixels.data[p * 3 + 1], pixels.data[p * 3 + 2]]).size).toBe(1);
    expect(original.mode).toBe(constants.DocumentMode.GRAYSCALE);
    expect(original.history).toEqual(['Open']);
    expect(sidecar.steps.map((s) => s.op)).toContain('convert-to-srgb');
  });

  test('an indexed (palette) PNG opens in Indexed Color mode and exports as RGB with the face obscured', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-indexed-'));
    try {
      const file = path.join(dir, 'Smith_indexed.png');
      await sharp(Buffer.from(busy(3)), { raw: { width: W, height: H, channels: 3 } }).png({ palette: true, colours: 16, dither: 0 }).toFile(file);
      expect((await sharp(file).metadata()).isPalette).toBe(true);
      const original = await fakePhotoshop.openFile(file);
      expect(original.mode).toBe(constants.DocumentMode.INDEXEDCOLOR);
      const { bytes, sidecar } = await obscureAndExport();
      await expectRgbAndObscured(bytes, sidecar);
      expect(original.mode).toBe(constants.DocumentMode.INDEXEDCOLOR);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a CMYK document exports as RGB with the face obscured (JPEG too)', async () => {
    fakePhotoshop.openInMode(constants.DocumentMode.CMYK, busy(4), W, H, 'Smith_cmyk.psd', { profile: 'U.S. Web Coated (SWOP) v2' });
    const png = await obscureAndExport('png');
    await expectRgbAndObscured(png.bytes, png.sidecar);
    const meta = await sharp(Buffer.from((await obscureAndExport('jpeg')).bytes)).metadata();
    expect([meta.format, meta.channels, meta.space]).toEqual(['jpeg', 3, 'srgb']);
  });

  test('a Lab document exports as RGB with the face obscured', async () => {
    fakePhotoshop.openInMode(constants.DocumentMode.LAB, busy(3), W, H, 'Smith_lab.psd');
    const { bytes, sidecar } = await obscureAndExport();
    await expectRgbAndObscured(bytes, sidecar);
  });

  test.each([
    [constants.DocumentMode.BITMAP, /Bitmap.*Grayscale first/],
    [constants.DocumentMode.DUOTONE, /Duotone/],
    [constants.DocumentMode.MULTICHANNEL, /Multichannel/],
  ])('a %s document is refused with a message and nothing is opened or changed', async (mode, message) => {
    const values = busy(1).map((v) => (mode === constants.DocumentMode.BITMAP ? (v > 125 ? 255 : 0) : v));
    const original = fakePhotoshop.openInMode(mode, values, W, H, 'Smith_1bit.tif');
    const error = await startWorkingCopy(createPhotoshopHost()).catch((e: unknown) => e);
    expect(isDeidHostError(error) && error.code).toBe('unsupported');
    expect((error as Error).message).toMatch(message);
    expect(fakePhotoshop.documents()).toEqual([original]);
    expect(original.history).toEqual(['Open']);
  });

  test('reading a CMYK document directly is refused, not taken for RGBA', async () => {
    const d = fakePhotoshop.openInMode(constants.DocumentMode.CMYK, busy(4), W, H, 'c.psd');
    const host = createPhotoshopHost();
    const error = await host.runStep('t', () => host.readPixels(d.id, { x: 0, y: 0, w: 4, h: 4 })).catch((e: unknown) => e);
    expect(isDeidHostError(error) && error.code).toBe('unsupported');
    expect((error as Error).message).toMatch(/CMYK/);
    expect(fakePhotoshop.liveImageDataCount()).toBe(0);
  });
});
