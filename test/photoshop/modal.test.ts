import { app, core, fakePhotoshop, imaging } from '../fakes/photoshop';
import { runModal } from '../../src/photoshop/modal';
import { createPhotoshopHost } from '../../src/photoshop';
import { DeidHostError } from '../../src/actions/host';
import { startWorkingCopy } from '../../src/actions/start';
import { obscureSelection } from '../../src/actions/obscure';
import { DEFAULT_POLICY } from '../../src/core/policy/policy';
import { resetFakes, texture } from './setup';

function hostError(code: string) {
  return expect.objectContaining({ name: 'DeidHostError', code });
}

describe('the fake enforces what Photoshop enforces', () => {
  beforeEach(resetFakes);

  test('state changes outside a modal scope fail with Photoshop\'s message', async () => {
    const doc = fakePhotoshop.openPixels(texture(8, 6), 'a');
    await expect(doc.flatten()).rejects.toThrow(/may modify the state of Photoshop\. Such events are only allowed from inside a modal scope/);
    await expect(doc.duplicate('b', true)).rejects.toThrow(/only allowed from inside a modal scope/);
    const pixels = await imaging.createImageDataFromBuffer(new Uint8Array(3), { width: 1, height: 1, components: 3, colorSpace: 'RGB' });
    await expect(imaging.putPixels({ documentID: doc.id, layerID: doc.layers[0].id, imageData: pixels })).rejects.toThrow(/modal scope/);
    await pixels.dispose();
  });

  test('anything the fake does not model throws instead of returning undefined', () => {
    const doc = fakePhotoshop.openPixels(texture(8, 6), 'a');
    expect(() => (app as unknown as Record<string, unknown>).fonts).toThrow('fake photoshop: app.fonts not implemented');
    expect(() => (doc as unknown as Record<string, unknown>).histogram).toThrow('fake photoshop: Document.histogram not implemented');
  });

  test('getPixels trims a request past the canvas and reports the trimmed sourceBounds', async () => {
    const doc = fakePhotoshop.openPixels(texture(10, 8), 'a');
    const { imageData, sourceBounds } = await imaging.getPixels({ documentID: doc.id, sourceBounds: { left: 6, top: -2, right: 14, bottom: 3 } });
    expect(sourceBounds).toEqual({ left: 6, top: 0, right: 10, bottom: 3 });
    expect([imageData.width, imageData.height]).toEqual([4, 3]);
    await imageData.dispose();
    await expect(imageData.getData({ chunky: true })).rejects.toThrow(/disposed/);
  });
});

describe('runModal: the one way into the modal scope', () => {
  beforeEach(resetFakes);

  test('a busy modal scope (error 9) becomes DeidHostError busy', async () => {
    fakePhotoshop.holdModal(true);
    await expect(runModal('x', async () => 1)).rejects.toEqual(hostError('busy'));
    await expect(runModal('x', async () => 1)).rejects.toThrow(/Photoshop is busy/);
  });

  test('a throwing step rolls the document back and adds no history state', async () => {
    const doc = fakePhotoshop.openPixels(texture(16, 12), 'a');
    const before = doc.composite().data.slice();
    const host = createPhotoshopHost();
    const failing = runModal(
      'paint',
      async () => {
        await host.writePixels(doc.id, texture(4, 4, 255), { x: 2, y: 2 });
        await host.crop(doc.id, { x: 0, y: 0, w: 8, h: 8 });
        throw new Error('boom');
      },
      doc.id,
    );
    await expect(failing).rejects.toEqual(hostError('host'));
    expect([doc.width, doc.height]).toEqual([16, 12]);
    expect(Buffer.from(doc.composite().data).equals(Buffer.from(before))).toBe(true);
    expect(doc.history).toEqual(['Open']);
  });

  test('a successful step is ONE history state, however many calls it made', async () => {
    const doc = fakePhotoshop.openPixels(texture(16, 12), 'a');
    const host = createPhotoshopHost();
    await runModal('De-identify: two things', async () => {
      await host.writePixels(doc.id, texture(4, 4), { x: 0, y: 0 });
      await host.writePixels(doc.id, texture(4, 4), { x: 8, y: 8 });
    }, doc.id);
    expect(doc.history).toEqual(['Open', 'De-identify: two things']);
    expect(core.isModal()).toBe(false);
  });

  test('cancel mid-action: the working copy is unchanged and no step is recorded', async () => {
    const original = fakePhotoshop.openPixels(texture(64, 48), 'a');
    const host = createPhotoshopHost();
    const session = await startWorkingCopy(host);
    const work = fakePhotoshop.active();
    if (!work) throw new Error('no working copy');
    const before = work.composite().data.slice();
    const history = [...work.history];
    fakePhotoshop.selectRect(work, { x: 4, y: 4, w: 40, h: 40 });
    fakePhotoshop.cancelOnProgress(true);
    await expect(obscureSelection(host, session, DEFAULT_POLICY, { kind: 'face', method: 'pixelate' })).rejects.toEqual(hostError('cancelled'));
    expect(Buffer.from(work.composite().data).equals(Buffer.from(before))).toBe(true);
    expect(work.history).toEqual(history);
    expect(session.steps).toEqual([]);
    expect(fakePhotoshop.progress().length).toBeGreaterThan(0);
    expect(original.history).toEqual(['Open']);
    expect(fakePhotoshop.liveImageDataCount()).toBe(0);
  });

  test('cancel AFTER a change: rolled back although Photoshop refuses every call once cancelled (resumeHistory included)', async () => {
    // executeasmodal.md: after a cancel "JavaScript cannot make any further document changes
    // until it returns from the modal scope", so resumeHistory(id, false) may itself raise; the
    // documented rollback is "If the target function exits via an exception, then all
    // unsuspended history states are cancelled" (a normal return COMMITS them).
    const doc = fakePhotoshop.openPixels(texture(16, 12), 'a');
    const before = doc.composite().data.slice();
    const host = createPhotoshopHost();
    fakePhotoshop.cancelOnProgress(true);
    const failing = runModal(
      'paint',
      async (ctx) => {
        await host.writePixels(doc.id, texture(4, 4), { x: 2, y: 2 });
        ctx.reportProgress(0.5);
        await host.readPixels(doc.id, { x: 0, y: 0, w: 4, h: 4 });
        return 1;
      },
      doc.id,
    );
    await expect(failing).rejects.toEqual(hostError('cancelled'));
    expect(Buffer.from(doc.composite().data).equals(Buffer.from(before))).toBe(true);
    expect(doc.history).toEqual(['Open']);
    expect(core.isModal()).toBe(false);
  });

  test('our own typed errors pass through unchanged', async () => {
    const err = new DeidHostError('no-selection', 'Select something');
    await expect(runModal('x', async () => { throw err; })).rejects.toBe(err);
  });
});

describe('clear messages at the boundary', () => {
  beforeEach(resetFakes);

  test('no document open', async () => {
    const host = createPhotoshopHost();
    expect(await host.activeDocument()).toBeNull();
    await expect(startWorkingCopy(host)).rejects.toEqual(hostError('no-document'));
    await expect(startWorkingCopy(host)).rejects.toThrow(/Open the photograph/);
  });

  test('no selection', async () => {
    fakePhotoshop.openPixels(texture(32, 24), 'a');
    const host = createPhotoshopHost();
    const session = await startWorkingCopy(host);
    await expect(obscureSelection(host, session, DEFAULT_POLICY, { kind: 'face', method: 'overlay' })).rejects.toEqual(hostError('no-selection'));
  });

  test('steps refuse to touch a document other than the working copy', async () => {
    const original = fakePhotoshop.openPixels(texture(32, 24), 'a');
    const host = createPhotoshopHost();
    const session = await startWorkingCopy(host);
    await core.executeAsModal(async () => {
      app.activeDocument = original;
    }, { commandName: 'switch' });
    fakePhotoshop.selectRect(original, { x: 0, y: 0, w: 10, h: 10 });
    await expect(obscureSelection(host, session, DEFAULT_POLICY, { kind: 'face', method: 'overlay' })).rejects.toEqual(hostError('not-working-copy'));
  });

  test('a mosaic finer than the policy allows is refused before anything is painted', async () => {
    fakePhotoshop.openPixels(texture(64, 48), 'a');
    const host = createPhotoshopHost();
    const session = await startWorkingCopy(host);
    const work = fakePhotoshop.active();
    if (!work) throw new Error('no working copy');
    const before = work.composite().data.slice();
    fakePhotoshop.selectRect(work, { x: 0, y: 0, w: 60, h: 40 });
    await expect(obscureSelection(host, session, DEFAULT_POLICY, { kind: 'face', method: 'pixelate', cellSize: 4 })).rejects.toThrow(/too fine/);
    await expect(obscureSelection(host, session, DEFAULT_POLICY, { kind: 'text', method: 'pixelate' })).rejects.toThrow(/not allowed on text/);
    expect(Buffer.from(work.composite().data).equals(Buffer.from(before))).toBe(true);
  });
});
