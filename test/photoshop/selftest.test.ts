import { fakePhotoshop } from '../fakes/photoshop';
import { fakeUxp } from '../fakes/uxp';
import * as fs from 'node:fs';
import { createPhotoshopHost } from '../../src/photoshop';
import { runSelfTest, type SelfTestResult } from '../../src/actions/selftest';
import { resetFakes } from './setup';

const STEPS = [
  'create test document (8-bit sRGB)', 'start', 'mosaic over a rectangle', 'overlay over an ellipse', 'crop',
  'export PNG (flatten, strip, write)', 'exported PNG, decoded without Photoshop', 'metadata verify', 'sidecar', 'review (re-open the PNG)',
  'create test document (16-bit, 300 ppi, Adobe RGB)', 'start: convert to sRGB', 'mosaic over an ellipse (16-bit)', 'overlay over a rectangle (16-bit)', 'crop (300 ppi)',
  'export JPEG (flatten, strip, write)', 'review (re-open the JPEG)', 'clean up',
];

function byStep(results: SelfTestResult[]): Record<string, SelfTestResult> {
  return Object.fromEntries(results.map((r) => [r.step, r]));
}

describe('the in-panel self-test', () => {
  beforeEach(resetFakes);

  test('passes every step against the documented fake and cleans up after itself', async () => {
    const results = await runSelfTest(createPhotoshopHost(), undefined, '0.1.0');
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results.map((r) => r.step)).toEqual(STEPS);
    expect(byStep(results)['start: convert to sRGB'].detail).toMatch(/^converted to sRGB IEC61966-2.1/);
    expect(fakePhotoshop.documents()).toEqual([]);
    expect(fs.readdirSync(fakeUxp.tempDir())).toEqual([]);
  });

  test('FAILS when the adapter passes putPixels replace: true and Photoshop honours it (the old defect)', async () => {
    fakePhotoshop.forceReplace(true);
    const steps = byStep(await runSelfTest(createPhotoshopHost(), undefined, '0.1.0'));
    expect(steps['mosaic over a rectangle']).toMatchObject({ ok: false, detail: expect.stringMatching(/OUTSIDE the obscured region changed/) });
    expect(steps['mosaic over an ellipse (16-bit)']).toMatchObject({ ok: false, detail: expect.stringMatching(/OUTSIDE/) });
    expect(steps['export PNG (flatten, strip, write)'].ok).toBe(false);
    expect(steps['clean up'].ok).toBe(true);
    expect(fakePhotoshop.documents()).toEqual([]);
  });

  test('FAILS against a Photoshop that drops `chunky` (planar data)', async () => {
    fakePhotoshop.dropChunky(true);
    const steps = byStep(await runSelfTest(createPhotoshopHost(), undefined, '0.1.0'));
    expect(steps['create test document (8-bit sRGB)']).toMatchObject({ ok: false, detail: expect.stringMatching(/sub-rectangle reads back wrong/) });
    expect(steps['create test document (16-bit, 300 ppi, Adobe RGB)'].ok).toBe(false);
    expect(steps['clean up'].ok).toBe(true);
    expect(fakePhotoshop.documents()).toEqual([]);
  });

  test('a Photoshop whose putPixels does nothing fails the steps that paint', async () => {
    fakePhotoshop.breakPutPixels(true);
    const steps = byStep(await runSelfTest(createPhotoshopHost(), undefined, '0.1.0'));
    expect(steps['create test document (8-bit sRGB)']).toMatchObject({ ok: false, detail: expect.stringMatching(/do not read back/) });
    expect(steps['clean up']).toMatchObject({ ok: true });
    expect(fakePhotoshop.documents()).toEqual([]);
  });

  test('a Photoshop that relabels instead of converting fails the conversion step', async () => {
    const host = createPhotoshopHost();
    host.convertToSrgb = async () => true;
    const steps = byStep(await runSelfTest(host, undefined, '0.1.0'));
    expect(steps['start: convert to sRGB']).toMatchObject({ ok: false });
  });

  test('a Photoshop whose putPixels breaks after the test document fails mosaic and overlay', async () => {
    const host = createPhotoshopHost();
    const create = host.createSyntheticDocument.bind(host);
    host.createSyntheticDocument = async (name, pixels, options) => {
      const doc = await create(name, pixels, options);
      fakePhotoshop.breakPutPixels(true);
      return doc;
    };
    const steps = byStep(await runSelfTest(host, undefined, '0.1.0'));
    expect(steps['create test document (8-bit sRGB)'].ok).toBe(true);
    expect(steps.start.ok).toBe(true);
    expect(steps['mosaic over a rectangle']).toMatchObject({ ok: false, detail: expect.stringMatching(/not one colour/) });
    expect(steps['overlay over an ellipse']).toMatchObject({ ok: false, detail: expect.stringMatching(/not solid/) });
    expect(steps['export PNG (flatten, strip, write)'].ok).toBe(false);
    expect(fakePhotoshop.documents()).toEqual([]);
  });
});
