/**
 * Issue 7: after every step, the pixels OUTSIDE every obscured region are byte-identical to
 * what they were, in 8- and 16-bit documents, for rectangular and elliptical selections (the
 * fake discards a layer on putPixels replace:true, as imaging.md documents).
 */
import { fakePhotoshop } from '../fakes/photoshop';
import { fakeUxp } from '../fakes/uxp';
import { createPhotoshopHost } from '../../src/photoshop';
import { startWorkingCopy } from '../../src/actions/start';
import { obscureSelection } from '../../src/actions/obscure';
import { cropToSelection } from '../../src/actions/crop';
import { finishExport } from '../../src/actions/finish';
import { DEFAULT_POLICY } from '../../src/core/policy/policy';
import type { Rect } from '../../src/core/geometry';
import { decode, firstChangeOutside, resetFakes, texture } from './setup';

const W = 120;
const H = 90;
const FACE: Rect = { x: 10, y: 12, w: 44, h: 50 };
const LABEL: Rect = { x: 70, y: 20, w: 36, h: 18 };
const KEEP: Rect = { x: 5, y: 6, w: 110, h: 80 };

type Values = Uint8Array | Uint16Array;

function changedInside(before: Values, after: Values, width: number, r: Rect): number {
  let n = 0;
  for (let y = r.y; y < r.y + r.h; y++) for (let x = r.x; x < r.x + r.w; x++) if (before[(y * width + x) * 3] !== after[(y * width + x) * 3]) n++;
  return n;
}

function cutValues(v: Values, width: number, r: Rect): Values {
  const out = v instanceof Uint16Array ? new Uint16Array(r.w * r.h * 3) : new Uint8Array(r.w * r.h * 3);
  for (let y = 0; y < r.h; y++) out.set(v.subarray(((r.y + y) * width + r.x) * 3, ((r.y + y) * width + r.x + r.w) * 3), y * r.w * 3);
  return out;
}

describe('pixels outside the obscured regions never change', () => {
  beforeEach(resetFakes);

  test.each([
    [8, 'rectangle'],
    [8, 'ellipse'],
    [16, 'rectangle'],
    [16, 'ellipse'],
  ] as const)('%i-bit, %s selections: mosaic, overlay, crop', async (depth, shape) => {
    fakePhotoshop.openPixels(texture(W, H, depth === 16 ? 32768 : 255), 'photo');
    const host = createPhotoshopHost();
    const session = await startWorkingCopy(host);
    const work = fakePhotoshop.active();
    if (!work) throw new Error('no working copy');
    const select = (r: Rect) => host.runStep('select', () => (shape === 'ellipse' ? host.selectEllipse(work.id, r) : host.selectRectangle(work.id, r)));
    const painted: Rect[] = [];

    for (const [region, request] of [
      [FACE, { kind: 'face', method: 'pixelate' }],
      [LABEL, { kind: 'text', method: 'overlay' }],
    ] as const) {
      const before = work.composite().data.slice();
      await select(region);
      const [step] = await obscureSelection(host, session, DEFAULT_POLICY, request);
      const recorded = step.region as Rect;
      // The recorded region lies within what was selected.
      expect(recorded.x).toBeGreaterThanOrEqual(region.x);
      expect(recorded.x + recorded.w).toBeLessThanOrEqual(region.x + region.w);
      painted.push(recorded);
      const after = work.composite().data;
      expect(firstChangeOutside(before, after, W, H, [recorded])).toBeNull();
      expect(changedInside(before, after, W, recorded)).toBeGreaterThan(recorded.w * recorded.h * 0.3);
    }

    const beforeCrop = work.composite().data.slice();
    await select(KEEP);
    await cropToSelection(host, session);
    const keep = session.steps[session.steps.length - 1].region as Rect;
    expect([work.width, work.height]).toEqual([keep.w, keep.h]);
    expect(Buffer.from(work.composite().data.buffer).equals(Buffer.from(cutValues(beforeCrop, W, keep).buffer))).toBe(true);
    expect(work.depth).toBe(depth);
  });

  test('the exported PNG holds exactly the working copy: the outside pixels of the original', async () => {
    const original = texture(W, H);
    fakePhotoshop.openPixels(original, 'photo');
    const host = createPhotoshopHost();
    const session = await startWorkingCopy(host);
    const work = fakePhotoshop.active();
    if (!work) throw new Error('no working copy');
    await host.runStep('select', () => host.selectEllipse(work.id, FACE));
    const [step] = await obscureSelection(host, session, DEFAULT_POLICY, { kind: 'face', method: 'overlay' });
    const out = fakeUxp.folder('exports');
    fakeUxp.pickFolder(out);
    const folder = await host.chooseOutputFolder();
    if (!folder) throw new Error('no folder');
    const done = await finishExport(host, session, DEFAULT_POLICY, { format: 'png', folder, toolVersion: '0.1.0' });
    if (!done.ok) throw new Error(done.message);
    const exported = await decode(`${out}/${done.imageName}`);
    expect(firstChangeOutside(original.data, exported.data, W, H, [step.region as Rect])).toBeNull();
  });
});

describe('selection.md: a selection whose bounds exceed the canvas', () => {
  beforeEach(resetFakes);

  test('obscure and crop use only the part on the canvas', async () => {
    fakePhotoshop.openPixels(texture(W, H), 'photo');
    const host = createPhotoshopHost();
    const session = await startWorkingCopy(host);
    const work = fakePhotoshop.active();
    if (!work) throw new Error('no working copy');
    const before = work.composite().data.slice();
    fakePhotoshop.selectRect(work, { x: W - 30, y: -10, w: 50, h: 40 });
    expect(work.selection.bounds).toEqual({ left: W - 30, top: -10, right: W + 20, bottom: 30 });
    await obscureSelection(host, session, DEFAULT_POLICY, { kind: 'face', method: 'overlay' });
    const onCanvas: Rect = { x: W - 30, y: 0, w: 30, h: 30 };
    expect(firstChangeOutside(before, work.composite().data, W, H, [onCanvas])).toBeNull();
    expect(changedInside(before, work.composite().data, W, onCanvas)).toBeGreaterThan(0);
    fakePhotoshop.selectRect(work, { x: W - 30, y: -10, w: 50, h: 40 });
    await cropToSelection(host, session);
    expect([work.width, work.height]).toEqual([30, 30]);
  });
});

describe('imaging.md getPixels: a composite with transparency (no Background layer)', () => {
  beforeEach(resetFakes);

  function withHole(pixels: ReturnType<typeof texture>, hole: Rect): ReturnType<typeof texture> {
    const rgba = new Uint8Array(pixels.width * pixels.height * 4);
    for (let p = 0; p < pixels.width * pixels.height; p++) {
      const x = p % pixels.width, y = Math.floor(p / pixels.width);
      const inHole = x >= hole.x && x < hole.x + hole.w && y >= hole.y && y < hole.y + hole.h;
      for (let c = 0; c < 3; c++) rgba[p * 4 + c] = pixels.data[p * 3 + c];
      rgba[p * 4 + 3] = inHole ? 0 : 255;
    }
    return { data: rgba, width: pixels.width, height: pixels.height, components: 4, hasAlpha: true, maxValue: 255 };
  }

  test('a photograph with transparent areas: start, obscure and export work, nothing outside the selection changes', async () => {
    fakePhotoshop.openPixels(withHole(texture(W, H), { x: 0, y: 0, w: 30, h: H }), 'cut-out');
    const host = createPhotoshopHost();
    const session = await startWorkingCopy(host);
    const work = fakePhotoshop.active();
    if (!work) throw new Error('no working copy');
    expect(work.backgroundLayer).not.toBeNull();
    const before = work.composite().data.slice();
    fakePhotoshop.selectMask(work, (x, y) => (((x - 40) / 30) ** 2 + ((y - 45) / 25) ** 2 <= 1 ? 255 : 0));
    await obscureSelection(host, session, DEFAULT_POLICY, { kind: 'face', method: 'overlay' });
    const box: Rect = { x: 10, y: 20, w: 61, h: 51 };
    expect(firstChangeOutside(before, work.composite().data, W, H, [box])).toBeNull();
  });

  test('the user made the working copy\'s Background a layer with a hole: the painted box keeps the flattened look outside the selection', async () => {
    fakePhotoshop.openPixels(texture(W, H), 'photo');
    const host = createPhotoshopHost();
    const session = await startWorkingCopy(host);
    const work = fakePhotoshop.active();
    if (!work) throw new Error('no working copy');
    // Holes across the left and the top of the ellipse's bounding box, partly outside the
    // ellipse; the top one makes getPixels trim the box it returns.
    fakePhotoshop.layerFromBackground(work, (x, y) => ((x < 25 && y < 60) || y < 30 ? 0 : 255));
    const flattenedLook = work.composite().data.slice();
    const inside = (x: number, y: number): boolean => ((x - 40) / 30) ** 2 + ((y - 45) / 25) ** 2 <= 1;
    fakePhotoshop.selectMask(work, (x, y) => (inside(x, y) ? 255 : 0));
    await obscureSelection(host, session, DEFAULT_POLICY, { kind: 'face', method: 'overlay' });
    expect(work.backgroundLayer).not.toBeNull();
    const after = work.composite().data;
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      if (inside(x, y)) continue;
      const p = (y * W + x) * 3;
      if (after[p] !== flattenedLook[p] || after[p + 1] !== flattenedLook[p + 1] || after[p + 2] !== flattenedLook[p + 2]) {
        throw new Error(`(${x}, ${y}) changed outside the selection: ${flattenedLook[p]} -> ${after[p]}`);
      }
    }
  });
});
