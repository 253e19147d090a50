import * as fs from 'node:fs';
import * as path from 'node:path';
import { fakePhotoshop } from '../fakes/photoshop';
import { fakeUxp } from '../fakes/uxp';
import { createPhotoshopHost } from '../../src/photoshop';
import { startWorkingCopy } from '../../src/actions/start';
import { obscureSelection } from '../../src/actions/obscure';
import { finishExport } from '../../src/actions/finish';
import { saveLinkageRecord } from '../../src/actions/linkage';
import { openReview } from '../../src/actions/review';
import { DEFAULT_POLICY } from '../../src/core/policy/policy';
import { checkRegionObscured, JPEG_TOLERANCE } from '../../src/core/pixels/verify-region';
import { decode, GPS_PHOTO, resetFakes, texture } from './setup';

const PS16_MAX = 32768;

describe('files: atomic writes, remembered folders, linkage record', () => {
  beforeEach(resetFakes);

  test('a write failure leaves nothing behind: no file with the alternate id, no temp file', async () => {
    await fakePhotoshop.openFile(GPS_PHOTO);
    const host = createPhotoshopHost();
    const session = await startWorkingCopy(host);
    const out = fakeUxp.folder('exports');
    fakeUxp.pickFolder(out);
    const folder = await host.chooseOutputFolder();
    if (!folder) throw new Error('no folder');
    // The image's temp file is written; the sidecar's fails.
    fakeUxp.failWrites((name) => name.includes('.deid.json'));
    await expect(finishExport(host, session, DEFAULT_POLICY, { format: 'jpeg', folder, toolVersion: '0.1.0' })).rejects.toMatchObject({ code: 'write-failed' });
    expect(fs.readdirSync(out)).toEqual([]);
    expect(fs.readdirSync(fakeUxp.tempDir())).toEqual([]);
  });

  test('the output folder is remembered with a persistent token; a stale token asks again', async () => {
    const host = createPhotoshopHost();
    expect(await host.rememberedOutputFolder()).toBeNull();
    fakeUxp.pickFolder(fakeUxp.folder('exports'));
    await host.chooseOutputFolder();
    expect(await host.rememberedOutputFolder()).toMatchObject({ name: 'exports' });
    fakeUxp.makeTokensStale();
    expect(await host.rememberedOutputFolder()).toBeNull();
    fakeUxp.pickFolder(null);
    expect(await host.chooseOutputFolder()).toBeNull();
  });

  test('the linkage record goes only to the chosen file, never into the export folder', async () => {
    await fakePhotoshop.openFile(GPS_PHOTO, 'Smith_John.jpg');
    const host = createPhotoshopHost();
    const session = await startWorkingCopy(host);
    const out = fakeUxp.folder('exports');
    fakeUxp.pickFolder(out);
    const folder = await host.chooseOutputFolder();
    fakeUxp.pickSaveFile(out);
    await expect(saveLinkageRecord(host, session, folder)).rejects.toThrow(/must not be saved in the export folder/);
    const safe = path.join(fakeUxp.folder('protected'), 'links.json');
    fakeUxp.pickSaveFile(safe);
    expect(await saveLinkageRecord(host, session, folder)).toBe('links.json');
    expect(JSON.parse(fs.readFileSync(safe, 'utf8'))).toMatchObject({ alternateId: session.alternateId, originalDocument: 'Smith_John.jpg' });
    expect(fs.readdirSync(out)).toEqual([]);
    fakeUxp.pickSaveFile(null);
    expect(await saveLinkageRecord(host, session, folder)).toBeNull();
  });
});

describe('16-bit documents (Photoshop 16-bit runs 0..32768)', () => {
  beforeEach(resetFakes);

  test('reads at maxValue 32768, paints, and exports a clean file whose regions are obscured', async () => {
    fakePhotoshop.openPixels(texture(96, 80, PS16_MAX), '16-bit scan');
    const host = createPhotoshopHost();
    const session = await startWorkingCopy(host);
    expect(session.doc.bitDepth).toBe(16);
    const work = fakePhotoshop.active();
    if (!work) throw new Error('no working copy');
    const pixels = await host.runStep('read', () => host.readPixels(work.id, { x: 0, y: 0, w: 4, h: 4 }));
    expect(pixels.maxValue).toBe(PS16_MAX);
    expect(pixels.data).toBeInstanceOf(Uint16Array);
    fakePhotoshop.selectRect(work, { x: 10, y: 10, w: 60, h: 50 });
    const [step] = await obscureSelection(host, session, DEFAULT_POLICY, { kind: 'face', method: 'pixelate' });
    const painted = await host.runStep('read', () => host.readPixels(work.id, step.region as NonNullable<typeof step.region>));
    expect(checkRegionObscured(painted, { ...step, region: { ...step.region!, x: 0, y: 0 } }, DEFAULT_POLICY, 0).ok).toBe(true);
    fakeUxp.pickFolder(fakeUxp.folder('exports'));
    const folder = await host.chooseOutputFolder();
    if (!folder) throw new Error('no folder');
    const result = await finishExport(host, session, DEFAULT_POLICY, { format: 'jpeg', folder, toolVersion: '0.1.0' });
    if (!result.ok) throw new Error(result.message);
    const decoded = await decode(path.join(fakeUxp.folder('exports'), result.imageName));
    expect(checkRegionObscured(decoded, step, DEFAULT_POLICY, JPEG_TOLERANCE).ok).toBe(true);
  });

  test('a 16-bit PNG export reopens as a 16-bit document and review re-verifies it at 0..32768', async () => {
    fakePhotoshop.openPixels(texture(96, 80, PS16_MAX), '16-bit scan');
    const host = createPhotoshopHost();
    const session = await startWorkingCopy(host);
    const work = fakePhotoshop.active();
    if (!work) throw new Error('no working copy');
    fakePhotoshop.selectRect(work, { x: 10, y: 10, w: 60, h: 50 });
    await obscureSelection(host, session, DEFAULT_POLICY, { kind: 'face', method: 'pixelate' });
    fakeUxp.pickFolder(fakeUxp.folder('exports'));
    const folder = await host.chooseOutputFolder();
    if (!folder) throw new Error('no folder');
    const result = await finishExport(host, session, DEFAULT_POLICY, { format: 'png', folder, toolVersion: '0.1.0' });
    if (!result.ok) throw new Error(result.message);
    const opened: number[] = [];
    const review = await openReview({ ...host, inspectImage: (f, name, use) => host.inspectImage(f, name, (image) => use({ ...image, readRegion: async (r) => { const px = await image.readRegion(r); opened.push(px.maxValue); return px; } })) }, folder, result.sidecarName, DEFAULT_POLICY);
    expect(opened.length).toBeGreaterThan(0);
    expect(opened.every((m) => m === PS16_MAX)).toBe(true);
    expect(review.findings).toEqual([]);
    expect(review.regions.every((r) => r.ok)).toBe(true);
  });
});
