/**
 * Every document the adapter opens or creates is closed without saving on every path: success,
 * error and user cancel. executeasmodal.md "Automatic document closing" (hostControl.
 * registerAutoCloseDocument / unregisterAutoCloseDocument: "close the document is the user
 * cancels while the script is running") and document.md "closeWithoutSaving". The fake counts
 * open documents, documents its modal scope auto-closed, and registered documents the adapter
 * closed without unregistering (which must stay 0).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { constants, fakePhotoshop } from '../fakes/photoshop';
import { fakeUxp } from '../fakes/uxp';
import { createPhotoshopHost } from '../../src/photoshop';
import { startWorkingCopy } from '../../src/actions/start';
import { runSelfTest } from '../../src/actions/selftest';
import { isDeidHostError, type OutputFolder } from '../../src/actions/host';
import { resetFakes, texture } from './setup';

const ADOBE_RGB = 'Adobe RGB (1998)';

async function folderWithImage(): Promise<{ folder: OutputFolder; name: string }> {
  const out = fakeUxp.folder('exports');
  const name = 'ALT123.png';
  const t = texture(32, 24);
  fs.writeFileSync(path.join(out, name), await sharp(Buffer.from(t.data), { raw: { width: 32, height: 24, channels: 3 } }).png().toBuffer());
  fakeUxp.pickFolder(out);
  const folder = await createPhotoshopHost().chooseOutputFolder();
  if (!folder) throw new Error('no folder');
  return { folder, name };
}

function expectNoMisuse(): void {
  expect(fakePhotoshop.closedWhileRegisteredCount()).toBe(0);
  expect(fakePhotoshop.inModal()).toBe(false);
}

describe('documents opened for review (inspectImage)', () => {
  beforeEach(resetFakes);

  test('closed after reading', async () => {
    const { folder, name } = await folderWithImage();
    const host = createPhotoshopHost();
    const size = await host.runStep('review', () => host.inspectImage(folder, name, async (image) => {
      expect(fakePhotoshop.openDocumentCount()).toBe(1);
      await image.readRegion({ x: 0, y: 0, w: 4, h: 4 });
      return [image.width, image.height];
    }));
    expect(size).toEqual([32, 24]);
    expect(fakePhotoshop.openDocumentCount()).toBe(0);
    expect(fakePhotoshop.autoClosedCount()).toBe(0);
    expectNoMisuse();
  });

  test('closed when the check fails', async () => {
    const { folder, name } = await folderWithImage();
    const host = createPhotoshopHost();
    await expect(host.runStep('review', () => host.inspectImage(folder, name, async () => {
      throw new Error('check failed');
    }))).rejects.toThrow('check failed');
    expect(fakePhotoshop.openDocumentCount()).toBe(0);
    expectNoMisuse();
  });

  test('closed when the user cancels while it is read (Photoshop closes it as the scope ends)', async () => {
    const { folder, name } = await folderWithImage();
    const host = createPhotoshopHost();
    fakePhotoshop.userCancelsAt('getPixels');
    const error = await host.runStep('review', () => host.inspectImage(folder, name, (image) => image.readRegion({ x: 0, y: 0, w: 4, h: 4 }))).catch((e: unknown) => e);
    expect(isDeidHostError(error) && error.code).toBe('cancelled');
    expect(fakePhotoshop.openDocumentCount()).toBe(0);
    expect(fakePhotoshop.autoClosedCount()).toBe(1);
    expectNoMisuse();
  });

  test('a copy the user had open already is left open, even after a cancel', async () => {
    const { folder, name } = await folderWithImage();
    const mine = await fakePhotoshop.openFile(path.join(fakeUxp.folder('exports'), name));
    const host = createPhotoshopHost();
    fakePhotoshop.userCancelsAt('getPixels');
    await expect(host.runStep('review', () => host.inspectImage(folder, name, (image) => image.readRegion({ x: 0, y: 0, w: 4, h: 4 })))).rejects.toThrow();
    expect(fakePhotoshop.documents()).toEqual([mine]);
    expectNoMisuse();
  });
});

describe('the working copy made by Start', () => {
  beforeEach(resetFakes);

  test('stays open when Start succeeds', async () => {
    fakePhotoshop.openPixels(texture(40, 30), 'photo.jpg', undefined, { profile: ADOBE_RGB });
    const session = await startWorkingCopy(createPhotoshopHost());
    expect(fakePhotoshop.openDocumentCount()).toBe(2);
    expect(fakePhotoshop.active()?.id).toBe(session.doc.id);
    expect(fakePhotoshop.autoClosedCount()).toBe(0);
    expectNoMisuse();
  });

  test.each(['convertToProfile', 'flattenImage'])('is closed when the user cancels Start at %s', async (event) => {
    const original = fakePhotoshop.openPixels(texture(40, 30), 'photo.jpg', event === 'flattenImage' ? texture(40, 30) : undefined, { profile: ADOBE_RGB });
    if (event === 'flattenImage') fakePhotoshop.layerFromBackground(original, () => 255);
    fakePhotoshop.userCancelsAt(event);
    const error = await startWorkingCopy(createPhotoshopHost()).catch((e: unknown) => e);
    expect(isDeidHostError(error) && error.code).toBe('cancelled');
    expect(fakePhotoshop.documents()).toEqual([original]);
    expect(fakePhotoshop.autoClosedCount()).toBe(1);
    expectNoMisuse();
  });

  test('is closed (by the adapter itself) when the adapter refuses to convert a Bitmap copy', async () => {
    const original = fakePhotoshop.openInMode(constants.DocumentMode.BITMAP, new Uint8Array(40 * 30).fill(255), 40, 30, 'b.tif');
    const host = createPhotoshopHost();
    const error = await host.runStep('t', async () => {
      const copy = await host.duplicateFlattened(original.id, 'copy');
      return host.convertToSrgb(copy.id);
    }).catch((e: unknown) => e);
    expect(isDeidHostError(error) && error.code).toBe('unsupported');
    expect((error as Error).message).toMatch(/Bitmap/);
    expect(fakePhotoshop.documents()).toEqual([original]);
    expect(fakePhotoshop.autoClosedCount()).toBe(0);
    expectNoMisuse();
  });

  test('is closed (by the adapter itself) when Start fails', async () => {
    const original = fakePhotoshop.openPixels(texture(40, 30), 'photo.jpg', undefined, { profile: ADOBE_RGB });
    const host = createPhotoshopHost();
    host.convertToSrgb = async () => {
      throw new Error('no such profile');
    };
    await expect(startWorkingCopy(host)).rejects.toThrow('no such profile');
    expect(fakePhotoshop.documents()).toEqual([original]);
    expect(fakePhotoshop.autoClosedCount()).toBe(0);
    expectNoMisuse();
  });
});

describe('self-test documents', () => {
  beforeEach(resetFakes);

  test.each(['putPixels', 'make'])('are all closed when the user cancels while one is created (at %s)', async (event) => {
    fakePhotoshop.userCancelsAt(event);
    const results = await runSelfTest(createPhotoshopHost(), undefined, '0.1.0');
    expect(results[0]).toMatchObject({ ok: false });
    expect(results[results.length - 1]).toMatchObject({ step: 'clean up', ok: true });
    expect(fakePhotoshop.documents()).toEqual([]);
    expectNoMisuse();
  });

  test('are all closed when the user cancels a later step', async () => {
    // The crop step changes the canvas size (photoshop-host.ts cropToRect).
    fakePhotoshop.userCancelsAt('canvasSize');
    const results = await runSelfTest(createPhotoshopHost(), undefined, '0.1.0');
    expect(results.find((r) => r.step === 'crop')).toMatchObject({ ok: false });
    expect(fakePhotoshop.documents()).toEqual([]);
    expectNoMisuse();
  });
});
