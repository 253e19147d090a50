import { sha256Hex } from '../core/hash';
import { scanStructure } from '../core/metadata/scan';
import { checkRegionObscured, LOSSLESS_TOLERANCE } from '../core/pixels/verify-region';
import type { PixelBuffer } from '../core/pixels/types';
import { DEFAULT_POLICY } from '../core/policy/policy';
import type { Policy } from '../core/policy/types';
import { parseSidecar } from '../core/sidecar/schema';
import type { Rect } from '../core/geometry';
import type { Step } from '../core/sidecar/types';
import { cropToSelection } from './crop';
import { finishExport, type FinishResult } from './finish';
import type { Host, OutputFolder } from './host';
import { obscureSelection } from './obscure';
import { openReview } from './review';
import type { Session } from './session';
import { startWorkingCopy } from './start';
import { utf8Decode } from './text';

export interface SelfTestResult {
  step: string;
  ok: boolean;
  detail: string;
}

/** A small synthetic picture: smooth gradients with a fine checker, so any obscuring shows. */
const TEST_WIDTH = 96;
const TEST_HEIGHT = 64;
const TEST_NAME = 'deid self-test';
const FACE: Rect = { x: 8, y: 8, w: 40, h: 40 };
const LABEL: Rect = { x: 56, y: 12, w: 30, h: 14 };
const KEEP: Rect = { x: 4, y: 4, w: 88, h: 56 };

export function selfTestPattern(width = TEST_WIDTH, height = TEST_HEIGHT): PixelBuffer {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 3;
      const checker = (x + y) % 2 === 0 ? 40 : 0;
      data[p] = Math.round((x * 200) / width) + checker;
      data[p + 1] = Math.round((y * 200) / height) + checker;
      data[p + 2] = 128 + ((x * 7 + y * 13) % 64);
    }
  }
  return { data, width, height, components: 3, hasAlpha: false, maxValue: 255 };
}

function samePixels(a: PixelBuffer, b: PixelBuffer): string | null {
  if (a.width !== b.width || a.height !== b.height || a.components !== b.components) {
    return `size ${a.width}x${a.height}x${a.components} vs ${b.width}x${b.height}x${b.components}`;
  }
  for (let i = 0; i < a.data.length; i++) {
    if (a.data[i] !== b.data[i]) {
      const px = Math.floor(i / a.components);
      return `first difference at (${px % a.width}, ${Math.floor(px / a.width)})`;
    }
  }
  return null;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function pngSize(bytes: Uint8Array): { width: number; height: number } | null {
  const IHDR_WIDTH = 16;
  if (bytes.length < IHDR_WIDTH + 8 || bytes[0] !== 0x89 || bytes[1] !== 0x50) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(IHDR_WIDTH), height: view.getUint32(IHDR_WIDTH + 4) };
}

/**
 * Runs every step on a synthetic document in the real host and checks each result with the
 * core (pixels, export bytes, sidecar). Reports pass/fail per step; a step whose prerequisite
 * failed is reported as not run. Closes its documents and removes its files afterwards.
 */
export async function runSelfTest(host: Host, policy: Policy = DEFAULT_POLICY, toolVersion = 'self-test'): Promise<SelfTestResult[]> {
  const results: SelfTestResult[] = [];
  const opened: number[] = [];
  let session: Session | null = null;
  let folder: OutputFolder | null = null;
  let finished: FinishResult | null = null;
  const pattern = selfTestPattern();

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

  async function checkRegion(s: Step): Promise<string> {
    const doc = (session as Session).doc;
    const region = s.region as Rect;
    const pixels = await host.runStep('De-identify: self-test read', () => host.readPixels(doc.id, region));
    const check = checkRegionObscured(pixels, { ...s, region: { ...region, x: 0, y: 0 } }, policy, LOSSLESS_TOLERANCE);
    if (!check.ok) throw new Error(check.detail);
    return check.detail;
  }

  const created = await step('create test document', true, async () => {
    const doc = await host.runStep('De-identify: self-test document', () => host.createSyntheticDocument(TEST_NAME, pattern));
    opened.push(doc.id);
    const back = await host.runStep('De-identify: self-test read', () => host.readPixels(doc.id, { x: 0, y: 0, w: doc.width, h: doc.height }));
    const diff = samePixels(back, pattern);
    if (diff) throw new Error(`pixels written with putPixels do not read back: ${diff}`);
    return `${doc.width}x${doc.height} document holds the test pattern`;
  });

  const started = await step('start', created, async () => {
    session = await startWorkingCopy(host);
    opened.push(session.doc.id);
    const copy = await host.runStep('De-identify: self-test read', () => host.readPixels((session as Session).doc.id, { x: 0, y: 0, w: TEST_WIDTH, h: TEST_HEIGHT }));
    const diff = samePixels(copy, pattern);
    if (diff) throw new Error(`the working copy differs from the original: ${diff}`);
    return `working copy ${session.alternateId} matches the original`;
  });

  const mosaicked = await step('mosaic', started, async () => {
    const s = session as Session;
    await host.runStep('De-identify: self-test select', () => host.selectRectangle(s.doc.id, FACE));
    const [recorded] = await obscureSelection(host, s, policy, { kind: 'face', method: 'pixelate' });
    return checkRegion(recorded);
  });

  const overlaid = await step('overlay', started, async () => {
    const s = session as Session;
    await host.runStep('De-identify: self-test select', () => host.selectRectangle(s.doc.id, LABEL));
    const [recorded] = await obscureSelection(host, s, policy, { kind: 'text', method: 'overlay' });
    return checkRegion(recorded);
  });

  const cropped = await step('crop', started, async () => {
    const s = session as Session;
    await host.runStep('De-identify: self-test select', () => host.selectRectangle(s.doc.id, KEEP));
    await cropToSelection(host, s);
    const doc = await host.activeDocument();
    if (!doc || doc.width !== KEEP.w || doc.height !== KEEP.h) throw new Error(`expected ${KEEP.w}x${KEEP.h}, the document is ${doc ? `${doc.width}x${doc.height}` : 'gone'}`);
    return `cropped to ${KEEP.w}x${KEEP.h}`;
  });

  const exported = await step('flatten, export, strip, write', started && mosaicked && overlaid && cropped, async () => {
    folder = await host.temporaryFolder();
    finished = await finishExport(host, session as Session, policy, { format: 'png', folder, toolVersion });
    if (!finished.ok) throw new Error(finished.message);
    return `wrote ${finished.imageName} and ${finished.sidecarName} to the plugin's temporary folder`;
  });

  const fileOk = await step('exported file', exported, async () => {
    const done = finished as Extract<FinishResult, { ok: true }>;
    const bytes = await host.readFile(folder as OutputFolder, done.imageName);
    if (!bytes) throw new Error(`${done.imageName} is not in the folder`);
    const size = pngSize(bytes);
    if (!size || size.width !== KEEP.w || size.height !== KEEP.h) throw new Error(`not a ${KEEP.w}x${KEEP.h} PNG`);
    if (sha256Hex(bytes) !== done.sidecar.image.sha256) throw new Error('SHA-256 differs from the sidecar');
    return `${bytes.length} bytes, ${size.width}x${size.height}, hash matches`;
  });

  await step('metadata verify', fileOk, async () => {
    const done = finished as Extract<FinishResult, { ok: true }>;
    const bytes = (await host.readFile(folder as OutputFolder, done.imageName)) as Uint8Array;
    const findings = scanStructure(bytes).findings;
    if (findings.length > 0) throw new Error(`still in the file: ${findings.map((f) => f.kind).join(', ')}`);
    return `clean; removed from Photoshop's export: ${done.sidecar.metadata.removed.join(', ') || 'nothing'}`;
  });

  await step('sidecar', exported, async () => {
    const done = finished as Extract<FinishResult, { ok: true }>;
    const text = await host.readFile(folder as OutputFolder, done.sidecarName);
    if (!text) throw new Error(`${done.sidecarName} is not in the folder`);
    const decoded = utf8Decode(text);
    const sidecar = parseSidecar(decoded);
    if (decoded.includes(TEST_NAME)) throw new Error('the sidecar names the original document');
    const obscured = sidecar.steps.filter((s) => s.op === 'pixelate' || s.op === 'overlay').length;
    if (obscured < 2) throw new Error(`records ${obscured} obscuring steps, expected 2`);
    return `valid, ${sidecar.steps.length} steps recorded`;
  });

  // Opens the export in Photoshop (app.open) the way a reviewer's check does, inside the modal
  // scope: whether a colour-profile dialog can interrupt that is one of the open questions.
  await step('review', fileOk, async () => {
    const done = finished as Extract<FinishResult, { ok: true }>;
    const review = await openReview(host, folder as OutputFolder, done.sidecarName, policy);
    if (review.findings.length > 0) throw new Error(`re-verification found ${review.findings.map((f) => f.kind).join(', ')}`);
    const bad = review.regions.filter((r) => !r.ok);
    if (bad.length > 0) throw new Error(bad[0].detail);
    return `re-opened and re-verified: ${review.regions.length} regions obscured, hash matches`;
  });

  await step('clean up', true, async () => {
    await host.runStep('De-identify: self-test clean-up', async () => {
      for (const id of opened.reverse()) {
        try {
          await host.closeWithoutSaving(id);
        } catch {
          // Already closed (a failed step may have closed it).
        }
      }
    });
    if (finished && (finished as FinishResult).ok && folder) {
      const done = finished as Extract<FinishResult, { ok: true }>;
      await host.removeFile(folder, done.imageName);
      await host.removeFile(folder, done.sidecarName);
    }
    return `closed ${opened.length} document(s) without saving`;
  });
  return results;
}
