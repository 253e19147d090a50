/**
 * One test per defect of issue 7, each failing on the code before the fix (the fake now follows
 * AdobeDocs/uxp-photoshop; see the citations in test/fakes/photoshop.ts).
 */
import { fakePhotoshop, rgbConversion } from '../fakes/photoshop';
import { fakeUxp } from '../fakes/uxp';
import { createPhotoshopHost } from '../../src/photoshop';
import { MODAL_WAIT_SECONDS } from '../../src/photoshop/modal';
import { startWorkingCopy } from '../../src/actions/start';
import { obscureSelection } from '../../src/actions/obscure';
import { finishExport } from '../../src/actions/finish';
import { openReview } from '../../src/actions/review';
import { DEFAULT_POLICY } from '../../src/core/policy/policy';
import type { PixelBuffer } from '../../src/core/pixels/types';
import { firstChangeOutside, resetFakes, texture } from './setup';

const PS16 = 32768;

function working() {
  const work = fakePhotoshop.active();
  if (!work) throw new Error('no working copy');
  return work;
}

describe('issue 7 defects', () => {
  beforeEach(resetFakes);

  test('definite defect: an Obscure step keeps every pixel outside its region (putPixels replace: false)', async () => {
    fakePhotoshop.openPixels(texture(64, 48), 'photo');
    const host = createPhotoshopHost();
    const session = await startWorkingCopy(host);
    const work = working();
    const before = work.composite().data.slice();
    const region = { x: 10, y: 8, w: 20, h: 16 };
    fakePhotoshop.selectRect(work, region);
    await obscureSelection(host, session, DEFAULT_POLICY, { kind: 'text', method: 'overlay' });
    expect(firstChangeOutside(before, work.composite().data, 64, 48, [region])).toBeNull();
  });

  test('finding 5: getPixels/getData/createImageDataFromBuffer get `chunky`, never `isChunky` (the fake refuses unknown options)', async () => {
    fakePhotoshop.openPixels(texture(16, 12), 'photo');
    const host = createPhotoshopHost();
    const doc = await host.activeDocument();
    if (!doc) throw new Error('no document');
    const read = await host.runStep('read', () => host.readPixels(doc.id, { x: 2, y: 3, w: 5, h: 4 }));
    expect(read.width * read.height).toBe(20);
    await host.runStep('write', () => host.writePixels(doc.id, texture(3, 3), { x: 1, y: 1 }));
  });

  test('finding 2: executeAsModal timeOut is a few SECONDS', async () => {
    fakePhotoshop.openPixels(texture(8, 8), 'photo');
    await startWorkingCopy(createPhotoshopHost());
    const waits = fakePhotoshop.modalWaits();
    expect(waits.length).toBeGreaterThan(0);
    for (const w of waits) expect(w).toBe(MODAL_WAIT_SECONDS);
    expect(MODAL_WAIT_SECONDS).toBeGreaterThanOrEqual(1);
    expect(MODAL_WAIT_SECONDS).toBeLessThanOrEqual(10);
  });

  test('finding 6: an error thrown inside the modal scope keeps its type although executeAsModal drops it', async () => {
    fakePhotoshop.openPixels(texture(32, 24), 'photo');
    const host = createPhotoshopHost();
    const session = await startWorkingCopy(host);
    fakePhotoshop.deselect(working());
    await expect(obscureSelection(host, session, DEFAULT_POLICY, { kind: 'face', method: 'overlay' })).rejects.toMatchObject({ name: 'DeidHostError', code: 'no-selection' });
  });

  test('finding 6: a cancel is known from the context, not from the wording of a message, and rolls back', async () => {
    fakePhotoshop.openPixels(texture(64, 48), 'photo');
    const host = createPhotoshopHost();
    const session = await startWorkingCopy(host);
    const work = working();
    const before = work.composite().data.slice();
    fakePhotoshop.selectRect(work, { x: 4, y: 4, w: 40, h: 40 });
    fakePhotoshop.cancelOnProgress(true);
    // After the cancel the fake's own calls fail with "User cancelled the operation"; the
    // action's check throws first either way, and neither message decides the outcome.
    await expect(obscureSelection(host, session, DEFAULT_POLICY, { kind: 'face', method: 'pixelate' })).rejects.toMatchObject({ code: 'cancelled' });
    expect(Buffer.from(work.composite().data).equals(Buffer.from(before))).toBe(true);
  });

  test('finding 3: a 16-bit Adobe RGB photo is converted to sRGB at Start, recorded as a step, the original untouched', async () => {
    const pixels = texture(24, 16, PS16);
    const original = fakePhotoshop.openPixels(pixels, 'photo', undefined, { profile: 'Adobe RGB (1998)', resolution: 300 });
    const host = createPhotoshopHost();
    const session = await startWorkingCopy(host);
    const work = working();
    expect(work.colorProfileName).toBe('sRGB IEC61966-2.1');
    expect(session.doc.profile).toBe('sRGB IEC61966-2.1');
    expect(session.steps.map((s) => s.op)).toEqual(['convert-to-srgb']);
    expect(original.colorProfileName).toBe('Adobe RGB (1998)');
    expect(Buffer.from(original.composite().data.buffer).equals(Buffer.from(pixels.data.buffer))).toBe(true);
    // The values are the conversion's, not the Adobe RGB numbers reinterpreted.
    const convert = rgbConversion('Adobe RGB (1998)', 'sRGB IEC61966-2.1');
    const got = work.composite().data;
    for (let p = 0; p < got.length; p += 3) {
      const want = convert([pixels.data[p] / PS16, pixels.data[p + 1] / PS16, pixels.data[p + 2] / PS16]).map((v) => Math.round(v * PS16));
      expect([got[p], got[p + 1], got[p + 2]]).toEqual(want);
    }
  });

  test('finding 3: an sRGB photo is not converted and records no conversion', async () => {
    fakePhotoshop.openPixels(texture(8, 8), 'photo');
    const session = await startWorkingCopy(createPhotoshopHost());
    expect(session.steps).toEqual([]);
  });

  test('finding 7: review reads only the recorded regions, and leaves an export the user has open open', async () => {
    fakePhotoshop.openPixels(texture(200, 150), 'photo');
    const host = createPhotoshopHost();
    const session = await startWorkingCopy(host);
    const region = { x: 20, y: 30, w: 40, h: 30 };
    fakePhotoshop.selectRect(working(), region);
    await obscureSelection(host, session, DEFAULT_POLICY, { kind: 'text', method: 'overlay' });
    const out = fakeUxp.folder('exports');
    fakeUxp.pickFolder(out);
    const folder = await host.chooseOutputFolder();
    if (!folder) throw new Error('no folder');
    const done = await finishExport(host, session, DEFAULT_POLICY, { format: 'png', folder, toolVersion: '0.1.0' });
    if (!done.ok) throw new Error(done.message);

    const read: number[] = [];
    const spied = { ...host, readPixels: host.readPixels };
    const inspect = host.inspectImage.bind(host);
    spied.inspectImage = (f, name, use) => inspect(f, name, (image) => use({ ...image, readRegion: async (r) => { read.push(r.w * r.h); return image.readRegion(r); } }));
    const review = await openReview(spied, folder, done.sidecarName, DEFAULT_POLICY);
    expect(review.findings).toEqual([]);
    expect(read).toEqual([region.w * region.h]);
    expect(fakePhotoshop.documents().map((d) => d.title)).not.toContain(done.imageName);

    // The user opened the export themselves: review uses that document and does not close it.
    const userCopy = await fakePhotoshop.openFile(`${out}/${done.imageName}`);
    const count = fakePhotoshop.documents().length;
    await openReview(host, folder, done.sidecarName, DEFAULT_POLICY);
    expect(fakePhotoshop.documents()).toContain(userCopy);
    expect(fakePhotoshop.documents()).toHaveLength(count);
  });
});

export type { PixelBuffer };
