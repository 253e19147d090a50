/**
 * The fake `photoshop` and `uxp` modules against Adobe's documentation: one test per documented
 * behaviour the adapter depends on. Doc paths are in AdobeDocs/uxp-photoshop (ps-reference/...)
 * and AdobeDocs/uxp (uxp-api/...). The fake is what every adapter test runs on, so a behaviour
 * that drifts from the page fails here, not in Photoshop.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { app, constants, core, fakePhotoshop, imaging } from './photoshop';
import { fakeUxp, storage } from './uxp';
import { resetFakes, texture } from '../photoshop/setup';

const PS16 = 32768;

async function modal<T>(fn: () => Promise<T>): Promise<T> {
  return core.executeAsModal(async () => fn(), { commandName: 'contract' });
}

async function put(doc: ReturnType<typeof fakePhotoshop.openPixels>, pixels: ReturnType<typeof texture>, at: { left: number; top: number }, replace?: boolean): Promise<void> {
  const imageData = await imaging.createImageDataFromBuffer(pixels.data, { width: pixels.width, height: pixels.height, components: 3, colorSpace: 'RGB' });
  const options = { documentID: doc.id, layerID: doc.layers[0].id, imageData, targetBounds: { left: at.left, top: at.top, width: 0, height: 0 } };
  await modal(() => imaging.putPixels(replace === undefined ? options : { ...options, replace }));
  await imageData.dispose();
}

beforeEach(resetFakes);

describe('imaging.md putPixels: replace', () => {
  test.each([[undefined], [true]])('replace %s (the default is true) discards the layer\'s other pixels', async (replace) => {
    const doc = fakePhotoshop.openPixels(texture(8, 6), 'a');
    await put(doc, texture(2, 2), { left: 3, top: 2 }, replace);
    const after = doc.composite().data;
    expect(after[0]).toBe(0);
    expect(Array.from(after).filter((v) => v !== 0).length).toBeLessThanOrEqual(2 * 2 * 3);
  });

  test('replace: false adds the new pixels at targetBounds.left/top and keeps the rest', async () => {
    const base = texture(8, 6);
    const doc = fakePhotoshop.openPixels(base, 'a');
    const patch = texture(2, 2);
    await put(doc, patch, { left: 3, top: 2 }, false);
    const after = doc.composite().data;
    for (let y = 0; y < 6; y++) for (let x = 0; x < 8; x++) for (let c = 0; c < 3; c++) {
      const inside = x >= 3 && x < 5 && y >= 2 && y < 4;
      const want = inside ? patch.data[((y - 2) * 2 + (x - 3)) * 3 + c] : base.data[(y * 8 + x) * 3 + c];
      expect(after[(y * 8 + x) * 3 + c]).toBe(want);
    }
  });
});

describe('imaging.md "Terminology and data types" and getPixels', () => {
  test('bounds are right/bottom exclusive, and width/height may stand for right/bottom', async () => {
    const doc = fakePhotoshop.openPixels(texture(20, 20), 'a');
    const a = await imaging.getPixels({ documentID: doc.id, sourceBounds: { left: 0, top: 0, right: 10, bottom: 10 } });
    const b = await imaging.getPixels({ documentID: doc.id, sourceBounds: { left: 0, top: 0, width: 10, height: 10 } as never });
    expect([a.imageData.width, a.imageData.height]).toEqual([10, 10]);
    expect(await b.imageData.getData({})).toEqual(await a.imageData.getData({}));
  });

  test('sourceBounds is trimmed to where there are pixels, and the result says so', async () => {
    const alpha = new Uint8Array(10 * 8 * 4);
    for (let y = 2; y < 5; y++) for (let x = 3; x < 7; x++) alpha.fill(200, (y * 10 + x) * 4, (y * 10 + x) * 4 + 4);
    const doc = fakePhotoshop.openPixels(texture(10, 8), 'a', { data: alpha, width: 10, height: 8, components: 4, hasAlpha: true, maxValue: 255 });
    const layer = doc.layers[0];
    const r = await imaging.getPixels({ documentID: doc.id, layerID: layer.id, sourceBounds: { left: 0, top: 0, right: 10, bottom: 8 } });
    expect(r.sourceBounds).toEqual({ left: 3, top: 2, right: 7, bottom: 5 });
    expect([r.imageData.width, r.imageData.height, r.imageData.components]).toEqual([4, 3, 4]);
    const past = await imaging.getPixels({ documentID: doc.id, sourceBounds: { left: 6, top: -2, right: 14, bottom: 3 } });
    expect(past.sourceBounds).toEqual({ left: 6, top: 0, right: 10, bottom: 3 });
  });

  test('without a Background the composite has alpha (4 components) and is trimmed; applyAlpha mats it on white', async () => {
    const rgba = new Uint8Array(6 * 4 * 4);
    for (let p = 0; p < 24; p++) rgba.set([10, 20, 30, p % 6 >= 2 ? 255 : p % 6 === 1 ? 128 : 0], p * 4);
    const doc = fakePhotoshop.openPixels({ data: rgba, width: 6, height: 4, components: 4, hasAlpha: true, maxValue: 255 }, 'a');
    expect(doc.backgroundLayer).toBeNull();
    const raw = await imaging.getPixels({ documentID: doc.id });
    expect([raw.imageData.components, raw.imageData.hasAlpha]).toEqual([4, true]);
    expect(raw.sourceBounds).toEqual({ left: 1, top: 0, right: 6, bottom: 4 });
    const matted = await imaging.getPixels({ documentID: doc.id, applyAlpha: true });
    expect(matted.imageData.components).toBe(3);
    expect(matted.sourceBounds).toEqual({ left: 1, top: 0, right: 6, bottom: 4 });
    expect(Array.from((await matted.imageData.getData({})).slice(0, 6))).toEqual([Math.round(10 * 128 / 255 + 255 * 127 / 255), Math.round(20 * 128 / 255 + 255 * 127 / 255), Math.round(30 * 128 / 255 + 255 * 127 / 255), 10, 20, 30]);
    const copy = await modal(() => doc.duplicate('b', true));
    expect(copy.backgroundLayer).toBeNull();
    for (const r of [raw, matted]) await r.imageData.dispose();
  });

  test('16-bit values run 0..32768; getData fullRange gives 0..65535', async () => {
    const px = texture(4, 4, PS16);
    px.data[0] = PS16;
    const doc = fakePhotoshop.openPixels(px, 'a');
    const { imageData } = await imaging.getPixels({ documentID: doc.id });
    expect(imageData.componentSize).toBe(16);
    const reduced = await imageData.getData({});
    expect(Math.max(...Array.from(reduced))).toBe(PS16);
    const full = await imageData.getData({ fullRange: true });
    expect(full[0]).toBe(65535);
  });

  test('getData: chunky is the option (default true); false gives planar; isChunky is a property', async () => {
    const doc = fakePhotoshop.openPixels(texture(3, 1), 'a');
    const { imageData } = await imaging.getPixels({ documentID: doc.id });
    const chunky = await imageData.getData({});
    expect(await imageData.getData({ chunky: true })).toEqual(chunky);
    const planar = await imageData.getData({ chunky: false });
    expect(Array.from(planar)).toEqual([chunky[0], chunky[3], chunky[6], chunky[1], chunky[4], chunky[7], chunky[2], chunky[5], chunky[8]]);
    expect((imageData as unknown as { isChunky: boolean }).isChunky).toBe(true);
    await expect(imageData.getData({ isChunky: true } as never)).rejects.toThrow(/no option "isChunky"/);
  });

  test('an option the page does not list is refused', async () => {
    const doc = fakePhotoshop.openPixels(texture(3, 3), 'a');
    await expect(imaging.getPixels({ documentID: doc.id, isChunky: true } as never)).rejects.toThrow(/no option "isChunky"/);
    await expect(imaging.createImageDataFromBuffer(new Uint8Array(3), { width: 1, height: 1, components: 3, colorSpace: 'RGB', isChunky: true } as never)).rejects.toThrow(/no option/);
  });

  test('dispose releases the data', async () => {
    const doc = fakePhotoshop.openPixels(texture(3, 3), 'a');
    const { imageData } = await imaging.getPixels({ documentID: doc.id });
    expect(fakePhotoshop.liveImageDataCount()).toBe(1);
    await imageData.dispose();
    expect(fakePhotoshop.liveImageDataCount()).toBe(0);
    await expect(imageData.getData({})).rejects.toThrow(/disposed/);
  });
});

describe('executeasmodal.md', () => {
  test('state changes outside a modal scope fail with Photoshop\'s message', async () => {
    const doc = fakePhotoshop.openPixels(texture(8, 6), 'a');
    await expect(doc.flatten()).rejects.toThrow(/only allowed from inside a modal scope/);
    await expect(doc.convertProfile('sRGB IEC61966-2.1', constants.Intent.RELATIVECOLORIMETRIC)).rejects.toThrow(/modal scope/);
  });

  test('timeOut is in seconds, default one; another plugin\'s modal scope fails with number 9', async () => {
    fakePhotoshop.holdModal(true);
    await expect(core.executeAsModal(async () => 1, { commandName: 'x', timeOut: 2 } as never)).rejects.toMatchObject({ number: 9 });
    await expect(core.executeAsModal(async () => 1, { commandName: 'x' })).rejects.toMatchObject({ number: 9 });
    expect(fakePhotoshop.modalWaits()).toEqual([2, 1]);
  });

  test('suspendHistory/resumeHistory: commit makes one state, only if modified; commit false rolls back', async () => {
    const doc = fakePhotoshop.openPixels(texture(8, 6), 'a');
    const before = doc.composite().data.slice();
    await core.executeAsModal(async (ctx) => {
      const idle = await ctx.hostControl.suspendHistory({ documentID: doc.id, name: 'nothing' });
      await ctx.hostControl.resumeHistory(idle, true);
      const s = await ctx.hostControl.suspendHistory({ documentID: doc.id, name: 'two crops' });
      await doc.crop({ left: 0, top: 0, right: 6, bottom: 5 } as never);
      await doc.crop({ left: 0, top: 0, right: 4, bottom: 4 } as never);
      await ctx.hostControl.resumeHistory(s, true);
      const undo = await ctx.hostControl.suspendHistory({ documentID: doc.id, name: 'undone' });
      await doc.crop({ left: 0, top: 0, right: 2, bottom: 2 } as never);
      await ctx.hostControl.resumeHistory(undo, false);
    }, { commandName: 'x' });
    expect(doc.history).toEqual(['Open', 'two crops']);
    expect([doc.width, doc.height]).toEqual([4, 4]);
    expect(before.length).toBe(8 * 6 * 3);
  });

  test('a target function that throws cancels every open suspension, and its error keeps only its message', async () => {
    const doc = fakePhotoshop.openPixels(texture(8, 6), 'a');
    class Mine extends Error {}
    const failing = core.executeAsModal(async (ctx) => {
      await ctx.hostControl.suspendHistory({ documentID: doc.id, name: 's' });
      await doc.crop({ left: 0, top: 0, right: 2, bottom: 2 } as never);
      throw new Mine('boom');
    }, { commandName: 'x' });
    await expect(failing).rejects.toThrow('boom');
    await expect(failing).rejects.not.toBeInstanceOf(Mine);
    expect([doc.width, doc.height]).toEqual([8, 6]);
    expect(doc.history).toEqual(['Open']);
  });

  test('after the user cancels, isCancelled is true and Photoshop calls raise', async () => {
    const doc = fakePhotoshop.openPixels(texture(8, 6), 'a');
    fakePhotoshop.cancelOnProgress(true);
    await expect(core.executeAsModal(async (ctx) => {
      ctx.reportProgress({ value: 0.5 });
      expect(ctx.isCancelled).toBe(true);
      await doc.flatten();
    }, { commandName: 'x' })).rejects.toThrow(/cancelled/);
  });

  test('after a cancel, reads and history control raise too; a normal return then COMMITS the open suspension', async () => {
    const doc = fakePhotoshop.openPixels(texture(8, 6), 'a');
    fakePhotoshop.cancelOnProgress(true);
    await core.executeAsModal(async (ctx) => {
      const s = await ctx.hostControl.suspendHistory({ documentID: doc.id, name: 'cut' });
      await doc.crop({ left: 0, top: 0, right: 4, bottom: 4 } as never);
      ctx.reportProgress({ value: 0.5 });
      await expect(imaging.getPixels({ documentID: doc.id })).rejects.toThrow(/cancelled/);
      await expect(imaging.getSelection({ documentID: doc.id })).rejects.toThrow(/cancelled/);
      await expect(imaging.createImageDataFromBuffer(new Uint8Array(3), { width: 1, height: 1, components: 3, colorSpace: 'RGB' })).rejects.toThrow(/cancelled/);
      await expect(ctx.hostControl.resumeHistory(s, false)).rejects.toThrow(/cancelled/);
    }, { commandName: 'x' });
    expect([doc.width, doc.height]).toEqual([4, 4]);
    expect(doc.history).toEqual(['Open', 'cut']);
  });
});

describe('document.md and selection.md', () => {
  test('saveAs.jpg/png take only the documented options, within range, and write metadata whatever they say', async () => {
    const doc = fakePhotoshop.openPixels(texture(8, 6), 'a');
    const file = fakeUxp.fileEntry(path.join(fakeUxp.tempDir(), 'x.jpg'));
    await expect(modal(() => doc.saveAs.jpg(file as never, { quality: 13 } as never, true))).rejects.toThrow(/0\.\.\.12/);
    await expect(modal(() => doc.saveAs.jpg(file as never, { metadata: false } as never, true))).rejects.toThrow(/no option "metadata"/);
    await expect(modal(() => doc.saveAs.png(file as never, { compression: 10 } as never, true))).rejects.toThrow(/0\.\.\.9/);
    await modal(() => doc.saveAs.jpg(file as never, { quality: 12, embedColorProfile: false } as never, true));
    expect(fs.readFileSync(file.nativePath).includes(Buffer.from('Adobe Photoshop'))).toBe(true);
    expect(doc.title).toBe('a');
  });

  test('convertProfile converts the pixels and the profile name; an unknown profile fails; untagged reads "None"', async () => {
    const px = texture(4, 4);
    const doc = fakePhotoshop.openPixels(px, 'a', undefined, { profile: 'Adobe RGB (1998)' });
    expect(doc.colorProfileName).toBe('Adobe RGB (1998)');
    await expect(modal(() => doc.convertProfile('No Such Profile', constants.Intent.RELATIVECOLORIMETRIC, true, false))).rejects.toThrow(/no conversion/);
    await modal(() => doc.convertProfile('sRGB IEC61966-2.1', constants.Intent.RELATIVECOLORIMETRIC, true, false));
    expect(doc.colorProfileName).toBe('sRGB IEC61966-2.1');
    expect(Buffer.from(doc.composite().data).equals(Buffer.from(px.data))).toBe(false);
    expect(fakePhotoshop.openPixels(texture(2, 2), 'b', undefined, { profile: '' }).colorProfileName).toBe('None');
  });

  test('selectEllipse is anti-aliased by default: edge pixels are partly selected', async () => {
    const doc = fakePhotoshop.openPixels(texture(20, 20), 'a');
    await modal(() => doc.selection.selectEllipse({ left: 2, top: 2, right: 18, bottom: 18 } as never));
    const mask = doc.selection.mask as Uint8Array;
    expect(mask[10 * 20 + 10]).toBe(255);
    expect(mask[0]).toBe(0);
    expect(Array.from(mask).some((v) => v > 0 && v < 255)).toBe(true);
    expect(doc.selection.bounds).toEqual({ left: 2, top: 2, right: 18, bottom: 18 });
  });

  test('app.documents.add takes depth, resolution and a profile by name', async () => {
    const doc = await modal(() => (app.documents as unknown as { add(o: object): Promise<{ depth: number; resolution: number; colorProfileName: string }> }).add({ width: 4, height: 4, depth: 16, resolution: 300, profile: 'Adobe RGB (1998)' }));
    expect([doc.depth, doc.resolution, doc.colorProfileName]).toEqual([16, 300, 'Adobe RGB (1998)']);
  });

  test('documents.md add: missing parameters default to 2100 x 1500 pixels at 300 ppi', async () => {
    const doc = await modal(() => (app.documents as unknown as { add(o: object): Promise<{ width: number; height: number; resolution: number }> }).add({ depth: 8 }));
    expect([doc.width, doc.height, doc.resolution]).toEqual([2100, 1500, 300]);
  });
});

describe('uxp FileSystemProvider.md: persistent tokens', () => {
  test('a token gives the entry back; an unknown token throws; a moved folder still gives an entry that fails when used', async () => {
    const dir = fakeUxp.folder('remembered');
    fakeUxp.pickFolder(dir);
    const fsys = storage.localFileSystem;
    const folder = await fsys.getFolder();
    if (!folder) throw new Error('no folder');
    const token = await fsys.createPersistentToken(folder);
    expect((await fsys.getEntryForPersistentToken(token)).nativePath).toBe(dir);
    await expect(fsys.getEntryForPersistentToken('nonsense')).rejects.toThrow(/token is not defined/);
    fs.rmSync(dir, { recursive: true });
    const stale = await fsys.getEntryForPersistentToken(token);
    await expect((stale as typeof folder).getEntries()).rejects.toThrow(/Could not find/);
  });
});

describe('uxp Folder.md / File.md / FileSystemProvider.md: entries', () => {
  test('createFile makes an entry only: nothing is on disk until written; overwrite defaults to false', async () => {
    const folder = await storage.localFileSystem.getTemporaryFolder();
    const file = await folder.createFile('a.bin', {});
    expect(fs.existsSync(file.nativePath)).toBe(false);
    expect((await folder.getEntries()).map((e) => e.name)).not.toContain('a.bin');
    await file.write(new Uint8Array([1, 2]).buffer, { format: fakeUxp.formats.binary });
    expect(fs.existsSync(file.nativePath)).toBe(true);
    await expect(folder.createFile('a.bin', {})).rejects.toThrow(/exists/);
    expect(await (file as unknown as { read(): Promise<unknown> }).read()).toEqual(expect.any(String));
  });

  test('getFileForSaving: types without "." prefix; null when the user cancels', async () => {
    await expect(storage.localFileSystem.getFileForSaving('x.json', { types: ['.json'] })).rejects.toThrow(/prefix/);
    expect(await storage.localFileSystem.getFileForSaving('x.json', { types: ['json'] })).toBeNull();
  });
});

describe('selection.md: bounds "can exceed the bounds of the canvas"', () => {
  test('a marquee drawn past the edge reports its own rectangle; getSelection gives only canvas pixels', async () => {
    const doc = fakePhotoshop.openPixels(texture(10, 8), 'a');
    fakePhotoshop.selectRect(doc, { x: 6, y: -3, w: 10, h: 6 });
    expect(doc.selection.bounds).toEqual({ left: 6, top: -3, right: 16, bottom: 3 });
    const r = await imaging.getSelection({ documentID: doc.id, sourceBounds: { left: 0, top: 0, right: 10, bottom: 8 } });
    expect(r.sourceBounds).toEqual({ left: 6, top: 0, right: 10, bottom: 3 });
    await r.imageData.dispose();
  });

  test('bounds (silent on partly selected pixels) leaves out pixels selected less than half; getSelection has them', async () => {
    const doc = fakePhotoshop.openPixels(texture(10, 8), 'a');
    fakePhotoshop.selectMask(doc, (x, y) => (x >= 4 && x < 6 && y >= 3 && y < 5 ? 255 : x === 8 && y === 6 ? 40 : 0));
    expect(doc.selection.bounds).toEqual({ left: 4, top: 3, right: 6, bottom: 5 });
    const r = await imaging.getSelection({ documentID: doc.id, sourceBounds: { left: 0, top: 0, right: 10, bottom: 8 } });
    expect(r.sourceBounds).toEqual({ left: 4, top: 3, right: 9, bottom: 7 });
    await r.imageData.dispose();
  });

  test('document.md crop with bounds past the canvas (silent): the canvas grows', async () => {
    const doc = fakePhotoshop.openPixels(texture(10, 8), 'a');
    await modal(() => doc.crop({ left: 6, top: -3, right: 16, bottom: 3 } as never));
    expect([doc.width, doc.height]).toEqual([10, 6]);
  });
});

describe('document.md crop and resizeCanvas: units', () => {
  test('crop (silent on units): bounds are read as points at the document\'s resolution', async () => {
    const doc = fakePhotoshop.openPixels(texture(40, 30), 'a', undefined, { resolution: 144 });
    await modal(() => doc.crop({ left: 2, top: 1, right: 12, bottom: 11 } as never));
    expect([doc.width, doc.height]).toEqual([20, 20]);
  });

  test('resizeCanvas: width and height in pixels at any resolution; the anchor stays put', async () => {
    const px = texture(10, 8);
    const doc = fakePhotoshop.openPixels(px, 'a', undefined, { resolution: 300 });
    await modal(() => doc.resizeCanvas(7, 6, constants.AnchorPosition.TOPLEFT));
    await modal(() => doc.resizeCanvas(4, 3, constants.AnchorPosition.BOTTOMRIGHT));
    expect([doc.width, doc.height]).toEqual([4, 3]);
    const want: number[] = [];
    for (let y = 3; y < 6; y++) for (let x = 3; x < 7; x++) for (let c = 0; c < 3; c++) want.push(px.data[(y * 10 + x) * 3 + c]);
    expect(Array.from(doc.composite().data)).toEqual(want);
  });
});

describe('app.open of a 16-bit PNG', () => {
  test('opens as a 16 Bits/Channel document with values 0..32768', async () => {
    const sharp = (await import('sharp')).default;
    const p = path.join(fakeUxp.folder('x'), 'a.png');
    const px = texture(5, 4, 65535);
    await sharp(px.data as Uint16Array, { raw: { width: 5, height: 4, channels: 3 } }).toColourspace('rgb16').png().toFile(p);
    const d = await fakePhotoshop.openFile(p);
    expect(d.depth).toBe(16);
    expect(d.composite().data[7]).toBe(Math.round((px.data[7] * PS16) / 65535));
  });
});

describe('app.open of a PNG with an alpha channel', () => {
  test('opens with no Background: one layer with transparency', async () => {
    const sharp = (await import('sharp')).default;
    const p = path.join(fakeUxp.folder('x'), 'alpha.png');
    await sharp({ create: { width: 4, height: 3, channels: 4, background: { r: 9, g: 8, b: 7, alpha: 0.5 } } }).png().toFile(p);
    const d = await fakePhotoshop.openFile(p);
    expect(d.backgroundLayer).toBeNull();
    const r = await imaging.getPixels({ documentID: d.id });
    expect(r.imageData.components).toBe(4);
    await r.imageData.dispose();
  });
});

describe('document.md mode / changeMode, constants.md DocumentMode / ChangeMode, imaging.md components', () => {
  const gray = (w: number, h: number): Uint8Array => Uint8Array.from({ length: w * h }, (_, i) => (i * 37) % 256);

  test('mode is read-only and changed only by changeMode, inside a modal scope', async () => {
    const d = fakePhotoshop.openInMode(constants.DocumentMode.GRAYSCALE, gray(4, 3), 4, 3, 'g');
    expect(d.mode).toBe('grayscaleMode');
    await expect(d.changeMode(constants.ChangeMode.RGB)).rejects.toThrow(/modal scope/);
    await modal(() => d.changeMode(constants.ChangeMode.RGB));
    expect(d.mode).toBe('RGBColorMode');
    expect(d.history).toEqual(['Open', 'Convert Mode']);
  });

  test('imaging.md: a grayscale composite has ONE component per pixel ("An opaque gray scale pixel has one component"); RGB after changeMode has three', async () => {
    const d = fakePhotoshop.openInMode(constants.DocumentMode.GRAYSCALE, gray(4, 3), 4, 3, 'g');
    const before = await imaging.getPixels({ documentID: d.id });
    expect([before.imageData.components, before.imageData.colorSpace, before.imageData.hasAlpha]).toEqual([1, 'Grayscale', false]);
    expect(Array.from(await before.imageData.getData({}))).toEqual(Array.from(gray(4, 3)));
    await before.imageData.dispose();
    await modal(() => d.changeMode(constants.ChangeMode.RGB));
    const after = await imaging.getPixels({ documentID: d.id });
    expect([after.imageData.components, after.imageData.colorSpace]).toEqual([3, 'RGB']);
    const v = await after.imageData.getData({});
    // Neutral stays neutral.
    for (let p = 0; p < 12; p++) expect(new Set([v[p * 3], v[p * 3 + 1], v[p * 3 + 2]]).size).toBe(1);
    await after.imageData.dispose();
  });

  test('silent: a CMYK composite comes back as 4 components with colorSpace "CMYK"; Indexed, Bitmap, Duotone, Multichannel are refused', async () => {
    const c = fakePhotoshop.openInMode(constants.DocumentMode.CMYK, new Uint8Array(4 * 3 * 4), 4, 3, 'c');
    const got = await imaging.getPixels({ documentID: c.id });
    expect([got.imageData.components, got.imageData.colorSpace, got.imageData.hasAlpha]).toEqual([4, 'CMYK', false]);
    await got.imageData.dispose();
    for (const mode of [constants.DocumentMode.INDEXEDCOLOR, constants.DocumentMode.BITMAP, constants.DocumentMode.DUOTONE, constants.DocumentMode.MULTICHANNEL]) {
      const n = mode === constants.DocumentMode.INDEXEDCOLOR ? 3 : 1;
      const d = fakePhotoshop.openInMode(mode, new Uint8Array(4 * 3 * n), 4, 3, mode);
      await expect(imaging.getPixels({ documentID: d.id })).rejects.toThrow(/refused/);
    }
  });

  test('constants.md ChangeMode: "Color images must be changed to GRAYSCALE mode before you can change them to BITMAP mode"', async () => {
    const d = fakePhotoshop.openPixels(texture(4, 3), 'rgb');
    await expect(modal(() => d.changeMode(constants.ChangeMode.BITMAP))).rejects.toThrow(/GRAYSCALE mode before/);
    await expect(modal(() => d.changeMode('noSuchMode' as string))).rejects.toThrow(/unknown mode/);
  });

  test('silent: Bitmap, Duotone and Multichannel do not change to RGB; nor does a document already in RGB', async () => {
    for (const mode of [constants.DocumentMode.BITMAP, constants.DocumentMode.DUOTONE, constants.DocumentMode.MULTICHANNEL]) {
      const d = fakePhotoshop.openInMode(mode, new Uint8Array(12), 4, 3, mode);
      await expect(modal(() => d.changeMode(constants.ChangeMode.RGB))).rejects.toThrow(/not currently available/);
      expect(d.mode).toBe(mode);
    }
    await expect(modal(() => fakePhotoshop.openPixels(texture(4, 3), 'rgb').changeMode(constants.ChangeMode.RGB))).rejects.toThrow(/not currently available/);
  });

  test('silent: convertProfile to an RGB profile on a Grayscale document is refused; changeMode gives the working RGB (sRGB here)', async () => {
    const d = fakePhotoshop.openInMode(constants.DocumentMode.GRAYSCALE, gray(4, 3), 4, 3, 'g');
    expect(d.colorProfileName).toBe('None');
    await expect(modal(() => d.convertProfile('sRGB IEC61966-2.1', constants.Intent.RELATIVECOLORIMETRIC, true, false))).rejects.toThrow(/undocumented/);
    await modal(() => d.changeMode(constants.ChangeMode.RGB));
    expect(d.colorProfileName).toBe('sRGB IEC61966-2.1');
  });

  test('a failed step rolls the mode change back with the history suspension', async () => {
    const d = fakePhotoshop.openInMode(constants.DocumentMode.LAB, new Uint8Array(36).fill(128), 4, 3, 'lab');
    await expect(core.executeAsModal(async (ctx) => {
      await ctx.hostControl.suspendHistory({ documentID: d.id, name: 's' });
      await d.changeMode(constants.ChangeMode.RGB);
      throw new Error('later step failed');
    }, { commandName: 'c' })).rejects.toThrow('later step failed');
    expect(d.mode).toBe(constants.DocumentMode.LAB);
  });
});

describe('executeasmodal.md "Automatic document closing"', () => {
  test('a registered document is closed without saving when the scope ends, whether the function returns or throws', async () => {
    const keep = fakePhotoshop.openPixels(texture(4, 3), 'keep');
    const a = fakePhotoshop.openPixels(texture(4, 3), 'a');
    await core.executeAsModal(async (ctx) => {
      await ctx.hostControl.registerAutoCloseDocument(a.id);
      expect(fakePhotoshop.openDocumentCount()).toBe(2);
    }, { commandName: 'c' });
    expect(fakePhotoshop.documents()).toEqual([keep]);
    const b = fakePhotoshop.openPixels(texture(4, 3), 'b');
    await expect(core.executeAsModal(async (ctx) => {
      await ctx.hostControl.registerAutoCloseDocument(b.id);
      throw new Error('failed');
    }, { commandName: 'c' })).rejects.toThrow('failed');
    expect(fakePhotoshop.documents()).toEqual([keep]);
    expect(fakePhotoshop.autoClosedCount()).toBe(2);
  });

  test('unregisterAutoCloseDocument keeps the document; after a user cancel no call is allowed but the auto-close still happens', async () => {
    const a = fakePhotoshop.openPixels(texture(4, 3), 'a');
    await core.executeAsModal(async (ctx) => {
      await ctx.hostControl.registerAutoCloseDocument(a.id);
      await ctx.hostControl.unregisterAutoCloseDocument(a.id);
    }, { commandName: 'c' });
    expect(fakePhotoshop.documents()).toEqual([a]);
    fakePhotoshop.cancelOnProgress(true);
    await expect(core.executeAsModal(async (ctx) => {
      await ctx.hostControl.registerAutoCloseDocument(a.id);
      ctx.reportProgress({ value: 0.5 });
      await expect(ctx.hostControl.unregisterAutoCloseDocument(a.id)).rejects.toThrow(/cancel/);
      a.closeWithoutSaving();
    }, { commandName: 'c' })).rejects.toThrow(/cancel/);
    expect(fakePhotoshop.documents()).toEqual([]);
  });

  test('silent: unknown ids are refused; a registered document the plugin closed itself is counted', async () => {
    const a = fakePhotoshop.openPixels(texture(4, 3), 'a');
    await core.executeAsModal(async (ctx) => {
      await expect(ctx.hostControl.registerAutoCloseDocument(9999)).rejects.toThrow(/No document/);
      await expect(ctx.hostControl.unregisterAutoCloseDocument(a.id)).rejects.toThrow(/not registered/);
      await ctx.hostControl.registerAutoCloseDocument(a.id);
      a.closeWithoutSaving();
    }, { commandName: 'c' });
    expect(fakePhotoshop.closedWhileRegisteredCount()).toBe(1);
  });
});
