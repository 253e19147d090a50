/**
 * The adapter against AdobeDocs/uxp-photoshop where the fake was made stricter by the 2026 audit
 * (each test failed on the adapter before its fix). Doc pages are cited in test/fakes/photoshop.ts.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fakePhotoshop } from '../fakes/photoshop';
import { fakeUxp } from '../fakes/uxp';
import { createPhotoshopHost } from '../../src/photoshop';
import { startWorkingCopy } from '../../src/actions/start';
import { cropToSelection } from '../../src/actions/crop';
import { obscureSelection } from '../../src/actions/obscure';
import { finishExport } from '../../src/actions/finish';
import { DEFAULT_POLICY } from '../../src/core/policy/policy';
import { resetFakes, texture } from './setup';

function working() {
  const work = fakePhotoshop.active();
  if (!work) throw new Error('no working copy');
  return work;
}

/** The pixels of `r` cut from a full-canvas RGB buffer. */
function cut(data: ArrayLike<number>, width: number, r: { x: number; y: number; w: number; h: number }): number[] {
  const out: number[] = [];
  for (let y = r.y; y < r.y + r.h; y++) for (let x = r.x; x < r.x + r.w; x++) for (let c = 0; c < 3; c++) out.push(data[(y * width + x) * 3 + c]);
  return out;
}

describe('crop: pixel units whatever the resolution (document.md resizeCanvas "in pixels"; crop gives no unit)', () => {
  beforeEach(resetFakes);

  test.each([[72], [300], [240]])('at %i ppi the working copy keeps exactly the selected pixels', async (ppi) => {
    const original = texture(120, 90);
    fakePhotoshop.openPixels(original, 'photo', undefined, { resolution: ppi });
    const host = createPhotoshopHost();
    const session = await startWorkingCopy(host);
    const work = working();
    const keep = { x: 13, y: 9, w: 50, h: 41 };
    fakePhotoshop.selectRect(work, keep);
    const step = await cropToSelection(host, session);
    expect(step.region).toEqual(keep);
    expect([work.width, work.height]).toEqual([keep.w, keep.h]);
    expect(Array.from(work.composite().data)).toEqual(cut(original.data, 120, keep));
    expect(work.history).toEqual(['Duplicate Image', 'De-identify: crop']);
  });
});

describe('selection: read from the Imaging API over the canvas, not inside selection.bounds', () => {
  beforeEach(resetFakes);

  test('a feathered selection: every pixel selected at all is painted, also those outside the marching ants', async () => {
    fakePhotoshop.openPixels(texture(80, 60), 'photo');
    const host = createPhotoshopHost();
    const session = await startWorkingCopy(host);
    const work = working();
    // A disc fully selected inside radius 12, fading to nothing at radius 22 (Select > Modify > Feather).
    const soft = (x: number, y: number): number => {
      const r = Math.hypot(x + 0.5 - 40, y + 0.5 - 30);
      return r <= 12 ? 255 : r >= 22 ? 0 : Math.round((255 * (22 - r)) / 10);
    };
    fakePhotoshop.selectMask(work, soft);
    const step = (await obscureSelection(host, session, DEFAULT_POLICY, { kind: 'text', method: 'overlay', color: '#000000' }))[0];
    const after = work.composite().data;
    let missed = 0;
    for (let y = 0; y < 60; y++) for (let x = 0; x < 80; x++) {
      if (soft(x, y) === 0) continue;
      if (after[(y * 80 + x) * 3] !== 0 || after[(y * 80 + x) * 3 + 1] !== 0 || after[(y * 80 + x) * 3 + 2] !== 0) missed++;
    }
    expect(missed).toBe(0);
    expect(step.region).toEqual({ x: 18, y: 8, w: 44, h: 44 });
  });
});

describe('saveAs.png options (pngsaveoptions.md: compression and interlaced apply "when method = PNGMethod.QUICK")', () => {
  beforeEach(resetFakes);

  test('the PNG export is not interlaced', async () => {
    fakePhotoshop.openPixels(texture(40, 30), 'photo');
    const host = createPhotoshopHost();
    const session = await startWorkingCopy(host);
    const folder = await host.temporaryFolder();
    const result = await finishExport(host, session, DEFAULT_POLICY, { format: 'png', folder, toolVersion: '0.1.0' });
    if (!result.ok) throw new Error(result.message);
    const bytes = fs.readFileSync(path.join(fakeUxp.tempDir(), result.imageName));
    // PNG 11.2.1: IHDR's last byte is the interlace method (0 none, 1 Adam7).
    expect(bytes.subarray(12, 16).toString('latin1')).toBe('IHDR');
    expect(bytes[16 + 12]).toBe(0);
    const exif = spawnSync('/usr/bin/exiftool', ['-s3', '-PNG:Interlace', path.join(fakeUxp.tempDir(), result.imageName)], { encoding: 'utf8' });
    expect(exif.stdout.trim()).toBe('Noninterlaced');
  });
});

describe('getPixels: the component order is read from imageData.pixelFormat (imaging.md "PhotoshopImageData")', () => {
  beforeEach(resetFakes);

  test('pixels in an order other than the documented RGB layouts are refused, not painted back swapped', async () => {
    fakePhotoshop.openPixels(texture(16, 12), 'photo');
    const host = createPhotoshopHost();
    const doc = await host.activeDocument();
    if (!doc) throw new Error('no document');
    const good = await host.runStep('read', () => host.readPixels(doc.id, { x: 1, y: 1, w: 4, h: 3 }));
    fakePhotoshop.componentsBgr(true);
    await expect(host.runStep('read', () => host.readPixels(doc.id, { x: 1, y: 1, w: 4, h: 3 }))).rejects.toMatchObject({ code: 'unsupported', message: expect.stringMatching(/BGR/) });
    expect(fakePhotoshop.liveImageDataCount()).toBe(0);
    fakePhotoshop.componentsBgr(false);
    expect(Array.from((await host.runStep('read', () => host.readPixels(doc.id, { x: 1, y: 1, w: 4, h: 3 }))).data)).toEqual(Array.from(good.data));
  });
});
