import { fakePhotoshop } from '../fakes/photoshop';
import { fakeUxp } from '../fakes/uxp';
import * as fs from 'node:fs';
import { createPhotoshopHost } from '../../src/photoshop';
import { runSelfTest } from '../../src/actions/selftest';
import { resetFakes } from './setup';

describe('the in-panel self-test', () => {
  beforeEach(resetFakes);

  test('passes every step against the faithful fake and cleans up after itself', async () => {
    const results = await runSelfTest(createPhotoshopHost(), undefined, '0.1.0');
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results.map((r) => r.step)).toEqual([
      'create test document', 'start', 'mosaic', 'overlay', 'crop', 'flatten, export, strip, write', 'exported file', 'metadata verify', 'sidecar', 'review', 'clean up',
    ]);
    expect(fakePhotoshop.documents()).toEqual([]);
    expect(fs.readdirSync(fakeUxp.tempDir())).toEqual([]);
  });

  test('a Photoshop whose putPixels does nothing fails the steps that paint', async () => {
    fakePhotoshop.breakPutPixels(true);
    const results = await runSelfTest(createPhotoshopHost(), undefined, '0.1.0');
    const failed = results.filter((r) => !r.ok).map((r) => r.step);
    expect(failed).toContain('create test document');
    expect(results.find((r) => r.step === 'create test document')?.detail).toMatch(/do not read back/);
    expect(results.find((r) => r.step === 'clean up')).toMatchObject({ ok: true });
    expect(fakePhotoshop.documents()).toEqual([]);
  });

  test('a Photoshop whose putPixels breaks after the test document fails mosaic and overlay', async () => {
    const host = createPhotoshopHost();
    const create = host.createSyntheticDocument.bind(host);
    host.createSyntheticDocument = async (name, pixels) => {
      const doc = await create(name, pixels);
      fakePhotoshop.breakPutPixels(true);
      return doc;
    };
    const results = await runSelfTest(host, undefined, '0.1.0');
    const byStep = Object.fromEntries(results.map((r) => [r.step, r]));
    expect(byStep['create test document'].ok).toBe(true);
    expect(byStep.start.ok).toBe(true);
    expect(byStep.mosaic).toMatchObject({ ok: false, detail: expect.stringMatching(/not one colour/) });
    expect(byStep.overlay).toMatchObject({ ok: false, detail: expect.stringMatching(/not solid/) });
    expect(byStep['flatten, export, strip, write'].ok).toBe(false);
    expect(fakePhotoshop.documents()).toEqual([]);
  });
});
