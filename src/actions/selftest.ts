import { sha256Hex } from '../core/hash';
import { scanStructure } from '../core/metadata/scan';
import { checkRegionObscured, LOSSLESS_TOLERANCE } from '../core/pixels/verify-region';
import type { PixelBuffer } from '../core/pixels/types';
import { DEFAULT_POLICY } from '../core/policy/policy';
import type { Policy, RegionKind } from '../core/policy/types';
import type { ObscureMethod } from '../core/policy/policy';
import { parseSidecar } from '../core/sidecar/schema';
import type { Rect } from '../core/geometry';
import type { Step } from '../core/sidecar/types';
import { cropToSelection } from './crop';
import { finishExport, type FinishResult } from './finish';
import { SRGB_PROFILE, type ExportFormat, type Host, type OutputFolder } from './host';
import { obscureSelection } from './obscure';
import { decodePng } from './png-pixels';
import { openReview } from './review';
import type { Session } from './session';
import { adobeRgbToSrgb } from './srgb-expect';
import { startWorkingCopy } from './start';
import { utf8Decode } from './text';

export interface SelfTestResult {
  step: string;
  ok: boolean;
  detail: string;
}

/** Small synthetic pictures: smooth gradients with a fine checker, so any change shows. */
const TEST_WIDTH = 96;
const TEST_HEIGHT = 64;
const TEST_NAME = 'deid self-test';
const FACE: Rect = { x: 8, y: 8, w: 40, h: 40 };
const LABEL: Rect = { x: 54, y: 10, w: 34, h: 20 };
const KEEP: Rect = { x: 4, y: 4, w: 88, h: 56 };
/** A sub-rectangle read back on its own: a wrong row stride or planar data shows here. */
const PROBE: Rect = { x: 5, y: 7, w: 13, h: 9 };
const ADOBE_RGB = 'Adobe RGB (1998)';
const PRINT_PPI = 300;
const PS16_MAX = 32768;
/** Photoshop's CMM (ACE) against the textbook conversion: 2% of full scale. */
const CONVERSION_TOLERANCE = 0.02;

export function selfTestPattern(width = TEST_WIDTH, height = TEST_HEIGHT, maxValue = 255): PixelBuffer {
  const data = maxValue === 255 ? new Uint8Array(width * height * 3) : new Uint16Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 3;
      const checker = (x + y) % 2 === 0 ? 40 : 0;
      const rgb = [Math.round((x * 200) / width) + checker, Math.round((y * 200) / height) + checker, 128 + ((x * 7 + y * 13) % 64)];
      for (let c = 0; c < 3; c++) data[p + c] = Math.round((rgb[c] * maxValue) / 255);
    }
  }
  return { data, width, height, components: 3, hasAlpha: false, maxValue };
}

function cut(buf: PixelBuffer, r: Rect): PixelBuffer {
  const data = buf.data instanceof Uint16Array ? new Uint16Array(r.w * r.h * 3) : new Uint8Array(r.w * r.h * 3);
  for (let y = 0; y < r.h; y++) data.set(buf.data.subarray(((r.y + y) * buf.width + r.x) * 3, ((r.y + y) * buf.width + r.x + r.w) * 3), y * r.w * 3);
  return { ...buf, data, width: r.w, height: r.h };
}

function inside(rects: readonly Rect[], x: number, y: number): boolean {
  return rects.some((r) => x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h);
}

/** The first pixel (outside `skip`) where two same-sized pictures differ, or null. */
function firstDifference(a: PixelBuffer, b: PixelBuffer, skip: readonly Rect[] = []): string | null {
  if (a.width !== b.width || a.height !== b.height || a.components !== b.components) {
    return `size ${a.width}x${a.height}x${a.components} vs ${b.width}x${b.height}x${b.components}`;
  }
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      if (inside(skip, x, y)) continue;
      for (let c = 0; c < a.components; c++) {
        const i = (y * a.width + x) * a.components + c;
        if (a.data[i] !== b.data[i]) return `(${x}, ${y}) channel ${c}: ${a.data[i]} became ${b.data[i]}`;
      }
    }
  }
  return null;
}

/** A PNG's 8-bit RGB values compared with a picture, exactly. */
function toEightBitRgb(buf: PixelBuffer): PixelBuffer {
  if (buf.components === 3 && buf.maxValue === 255) return buf;
  if (buf.components !== 3 && buf.components !== 4) throw new Error(`the PNG has ${buf.components} channels`);
  const data = new Uint8Array(buf.width * buf.height * 3);
  for (let p = 0; p < buf.width * buf.height; p++) for (let c = 0; c < 3; c++) data[p * 3 + c] = Math.round((buf.data[p * buf.components + c] * 255) / buf.maxValue);
  return { data, width: buf.width, height: buf.height, components: 3, hasAlpha: false, maxValue: 255 };
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function finished(result: FinishResult | null): Extract<FinishResult, { ok: true }> {
  if (!result || !result.ok) throw new Error('no export');
  return result;
}

/**
 * Runs every step in the real host on synthetic documents and checks each result with code of
 * our own: pixels read back (whole and a sub-rectangle), pixels OUTSIDE each obscured region
 * unchanged after every step, a PNG export decoded without the host, a JPEG export, a 16-bit
 * 300 ppi Adobe RGB document converted to sRGB, metadata, sidecar and a reviewer's re-check.
 * A step whose prerequisite failed is reported as not run. Closes its documents and removes
 * its files afterwards.
 */
export async function runSelfTest(host: Host, policy: Policy = DEFAULT_POLICY, toolVersion = 'self-test'): Promise<SelfTestResult[]> {
  const results: SelfTestResult[] = [];
  const opened: number[] = [];
  const written: string[] = [];
  let folder: OutputFolder | null = null;

  async function step(name: string, needs: boolean, run: () => Promise<string>): Promise<boolean> {
    if (!needs) {
      results.push({ step: name, ok: false, detail: 'not run: an earlier step failed' });
      return false;
    }
    try {
      results.push({ step: name, ok: true, detail: await run() });
      return true;
    } catch (e) {
      results.push({ step: name, ok: false, detail: message(e) });
      return false;
    }
  }

  const readAll = (docId: number, w: number, h: number): Promise<PixelBuffer> =>
    host.runStep('De-identify: self-test read', () => host.readPixels(docId, { x: 0, y: 0, w, h }));

  async function createDocument(pattern: PixelBuffer, options: { profile?: string; resolution?: number }): Promise<string> {
    const doc = await host.runStep('De-identify: self-test document', () => host.createSyntheticDocument(TEST_NAME, pattern, options));
    opened.push(doc.id);
    if (doc.bitDepth !== (pattern.maxValue === 255 ? 8 : 16)) throw new Error(`the document is ${doc.bitDepth}-bit`);
    if (options.profile && doc.profile !== options.profile) throw new Error(`the document's profile is "${doc.profile}", not "${options.profile}"`);
    if (options.resolution && doc.resolution !== options.resolution) throw new Error(`the document is ${doc.resolution} ppi, not ${options.resolution}`);
    const whole = firstDifference(pattern, await readAll(doc.id, doc.width, doc.height));
    if (whole) throw new Error(`pixels written with putPixels do not read back: ${whole}`);
    const probe = await host.runStep('De-identify: self-test read', () => host.readPixels(doc.id, PROBE));
    const part = firstDifference(cut(pattern, PROBE), probe);
    if (part) throw new Error(`a ${PROBE.w}x${PROBE.h} sub-rectangle reads back wrong (row stride or chunky layout): ${part}`);
    return `${doc.width}x${doc.height}, ${doc.bitDepth}-bit, ${doc.resolution} ppi, "${doc.profile}": holds the test pattern, whole and in part`;
  }

  /** Selects `rect` (rectangle or ellipse), obscures it, checks it and every pixel outside it. */
  async function obscure(s: Session, shape: 'rectangle' | 'ellipse', rect: Rect, kind: RegionKind, method: ObscureMethod): Promise<string> {
    const { id, width, height } = s.doc;
    const before = await readAll(id, width, height);
    await host.runStep('De-identify: self-test select', () => (shape === 'ellipse' ? host.selectEllipse(id, rect) : host.selectRectangle(id, rect)));
    const [recorded] = await obscureSelection(host, s, policy, { kind, method });
    const region = recorded.region as Rect;
    const after = await readAll(id, width, height);
    const outside = firstDifference(before, after, [region]);
    if (outside) throw new Error(`a pixel OUTSIDE the obscured region changed at ${outside}`);
    const check = checkRegionObscured(cut(after, region), { ...recorded, region: { ...region, x: 0, y: 0 } }, policy, LOSSLESS_TOLERANCE);
    if (!check.ok) throw new Error(check.detail);
    return `${check.detail}; every pixel outside it unchanged`;
  }

  async function exportTo(s: Session, format: ExportFormat): Promise<FinishResult> {
    folder = folder ?? (await host.temporaryFolder());
    const result = await finishExport(host, s, policy, { format, folder, toolVersion });
    if (!result.ok) throw new Error(result.message);
    written.push(result.imageName, result.sidecarName);
    return result;
  }

  async function review(result: FinishResult | null): Promise<string> {
    const done = finished(result);
    // Opens the export in Photoshop (app.open) as a reviewer's check does, inside the modal scope.
    const state = await openReview(host, folder as OutputFolder, done.sidecarName, policy);
    if (state.findings.length > 0) throw new Error(`re-verification found ${state.findings.map((f) => f.detail).join('; ')}`);
    return `re-opened and re-verified: ${state.regions.length} regions obscured, size and hash match`;
  }

  // ---- 8-bit sRGB: rectangle mosaic, elliptical overlay, crop, PNG export ----
  const pattern = selfTestPattern();
  let first: Session | null = null;
  let afterCrop: PixelBuffer | null = null;
  let png: FinishResult | null = null;
  const created = await step('create test document (8-bit sRGB)', true, () => createDocument(pattern, {}));
  const started = await step('start', created, async () => {
    const s = await startWorkingCopy(host);
    first = s;
    opened.push(s.doc.id);
    const diff = firstDifference(pattern, await readAll(s.doc.id, s.doc.width, s.doc.height));
    if (diff) throw new Error(`the working copy differs from the original: ${diff}`);
    if (s.steps.length > 0) throw new Error(`an sRGB document was converted (${s.steps.map((x) => x.op).join(', ')})`);
    return `working copy ${s.alternateId} matches the original`;
  });
  const mosaic = await step('mosaic over a rectangle', started, () => obscure(first as unknown as Session, 'rectangle', FACE, 'face', 'pixelate'));
  const overlay = await step('overlay over an ellipse', started, () => obscure(first as unknown as Session, 'ellipse', LABEL, 'text', 'overlay'));
  /**
   * Crops to KEEP and checks the size and every kept pixel. Run at 72 and at 300 ppi: crop
   * coordinates are pixels only if Photoshop does not read them in document units.
   */
  async function cropCheck(s: Session): Promise<{ detail: string; kept: PixelBuffer }> {
    const before = await readAll(s.doc.id, s.doc.width, s.doc.height);
    await host.runStep('De-identify: self-test select', () => host.selectRectangle(s.doc.id, KEEP));
    await cropToSelection(host, s);
    const doc = await host.activeDocument();
    if (!doc || doc.width !== KEEP.w || doc.height !== KEEP.h) throw new Error(`expected ${KEEP.w}x${KEEP.h}, the document is ${doc ? `${doc.width}x${doc.height}` : 'gone'}`);
    const kept = await readAll(s.doc.id, KEEP.w, KEEP.h);
    const diff = firstDifference(cut(before, KEEP), kept);
    if (diff) throw new Error(`the kept part changed: ${diff}`);
    return { detail: `cropped to ${KEEP.w}x${KEEP.h} at ${doc.resolution} ppi, the kept pixels unchanged`, kept };
  }

  const cropped = await step('crop', started, async () => {
    const { detail, kept } = await cropCheck(first as unknown as Session);
    afterCrop = kept;
    return detail;
  });
  const exportedPng = await step('export PNG (flatten, strip, write)', started && mosaic && overlay && cropped, async () => {
    png = await exportTo(first as unknown as Session, 'png');
    return `wrote ${png.ok ? png.imageName : ''} and its sidecar to the plugin's temporary folder`;
  });
  const pngOk = await step('exported PNG, decoded without Photoshop', exportedPng, async () => {
    const done = finished(png);
    const bytes = await host.readFile(folder as OutputFolder, done.imageName);
    if (!bytes) throw new Error(`${done.imageName} is not in the folder`);
    if (sha256Hex(bytes) !== done.sidecar.image.sha256) throw new Error('SHA-256 differs from the sidecar');
    const decoded = toEightBitRgb(decodePng(bytes));
    const asSaved = firstDifference(afterCrop as unknown as PixelBuffer, decoded);
    if (asSaved) throw new Error(`the file does not hold the document's pixels: ${asSaved}`);
    // Against the ORIGINAL pattern, outside every obscured region (moved by the crop).
    const obscured = done.sidecar.steps.filter((s: Step) => s.op === 'pixelate' || s.op === 'overlay').map((s: Step) => s.region as Rect);
    const outside = firstDifference(cut(pattern, KEEP), decoded, obscured);
    if (outside) throw new Error(`outside the obscured regions the file differs from the original at ${outside}`);
    return `${bytes.length} bytes, ${decoded.width}x${decoded.height}, identical to the original outside ${obscured.length} obscured regions; hash matches`;
  });
  await step('metadata verify', pngOk, async () => {
    const done = finished(png);
    const bytes = (await host.readFile(folder as OutputFolder, done.imageName)) as Uint8Array;
    const findings = scanStructure(bytes).findings;
    if (findings.length > 0) throw new Error(`still in the file: ${findings.map((f) => f.kind).join(', ')}`);
    return `clean; removed from Photoshop's export: ${done.sidecar.metadata.removed.join(', ') || 'nothing'}`;
  });
  await step('sidecar', exportedPng, async () => {
    const done = finished(png);
    const text = await host.readFile(folder as OutputFolder, done.sidecarName);
    if (!text) throw new Error(`${done.sidecarName} is not in the folder`);
    const decoded = utf8Decode(text);
    const sidecar = parseSidecar(decoded);
    if (decoded.includes(TEST_NAME)) throw new Error('the sidecar names the original document');
    const obscured = sidecar.steps.filter((s) => s.op === 'pixelate' || s.op === 'overlay').length;
    if (obscured < 2) throw new Error(`records ${obscured} obscuring steps, expected 2`);
    return `valid, ${sidecar.steps.length} steps recorded`;
  });
  await step('review (re-open the PNG)', pngOk, () => review(png));

  // ---- 16-bit, 300 ppi, Adobe RGB: converted to sRGB, elliptical mosaic, rectangle overlay, JPEG ----
  const wide = selfTestPattern(TEST_WIDTH, TEST_HEIGHT, PS16_MAX);
  let second: Session | null = null;
  let jpeg: FinishResult | null = null;
  const created16 = await step('create test document (16-bit, 300 ppi, Adobe RGB)', true, () => createDocument(wide, { profile: ADOBE_RGB, resolution: PRINT_PPI }));
  const converted = await step('start: convert to sRGB', created16, async () => {
    const originalId = opened[opened.length - 1];
    const s = await startWorkingCopy(host);
    second = s;
    opened.push(s.doc.id);
    if (s.doc.profile !== SRGB_PROFILE) throw new Error(`the working copy is in "${s.doc.profile}"`);
    if (s.doc.bitDepth !== 16) throw new Error(`the working copy became ${s.doc.bitDepth}-bit`);
    if (s.steps[0]?.op !== 'convert-to-srgb') throw new Error('the conversion was not recorded as a step');
    const got = await readAll(s.doc.id, s.doc.width, s.doc.height);
    let worst = 0;
    for (let p = 0; p < got.data.length; p += 3) {
      const want = adobeRgbToSrgb([wide.data[p] / PS16_MAX, wide.data[p + 1] / PS16_MAX, wide.data[p + 2] / PS16_MAX]);
      for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(got.data[p + c] / PS16_MAX - want[c]));
    }
    if (worst > CONVERSION_TOLERANCE) throw new Error(`the values are not Adobe RGB converted to sRGB: off by up to ${(worst * 100).toFixed(1)}% of full scale`);
    const untouched = firstDifference(wide, await readAll(originalId, TEST_WIDTH, TEST_HEIGHT));
    if (untouched) throw new Error(`the ORIGINAL document changed: ${untouched}`);
    return `converted to ${SRGB_PROFILE} (within ${(worst * 100).toFixed(2)}% of the expected values), recorded, original untouched`;
  });
  const mosaic16 = await step('mosaic over an ellipse (16-bit)', converted, () => obscure(second as unknown as Session, 'ellipse', FACE, 'face', 'pixelate'));
  const overlay16 = await step('overlay over a rectangle (16-bit)', converted, () => obscure(second as unknown as Session, 'rectangle', LABEL, 'mark', 'overlay'));
  const cropped16 = await step('crop (300 ppi)', converted, async () => (await cropCheck(second as unknown as Session)).detail);
  const exportedJpeg = await step('export JPEG (flatten, strip, write)', converted && mosaic16 && overlay16 && cropped16, async () => {
    jpeg = await exportTo(second as unknown as Session, 'jpeg');
    const done = finished(jpeg);
    const bytes = await host.readFile(folder as OutputFolder, done.imageName);
    if (!bytes || bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new Error(`${done.imageName} is not a JPEG`);
    if (sha256Hex(bytes) !== done.sidecar.image.sha256) throw new Error('SHA-256 differs from the sidecar');
    if (scanStructure(bytes).findings.length > 0) throw new Error('metadata left in the JPEG');
    return `wrote ${done.imageName} (${bytes.length} bytes, clean, hash matches)`;
  });
  await step('review (re-open the JPEG)', exportedJpeg, () => review(jpeg));

  await step('clean up', true, async () => {
    await host.runStep('De-identify: self-test clean-up', async () => {
      for (const id of [...opened].reverse()) {
        try {
          await host.closeWithoutSaving(id);
        } catch {
          // Already closed (a failed step may have closed it).
        }
      }
    });
    if (folder) for (const name of written) await host.removeFile(folder, name);
    return `closed ${opened.length} document(s) without saving, removed ${written.length} file(s)`;
  });
  return results;
}
