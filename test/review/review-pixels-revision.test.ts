import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ReviewServer } from '../../src/cli/review/server';
import type { DetectorRunner } from '../../src/core/detect/residual';
import { launchBrowser } from '../helpers/browser';
import { applySample, buildReviewPage, MANUAL, reExportWithRedCorner, serveFolder } from '../helpers/review';

/**
 * The residual check's boxes are drawn over the image the page shows: they must be the boxes of
 * that image. A stand-in detector finds a "face" where the bottom-left corner is red.
 */
const redCornerFace: DetectorRunner = {
  detect: async (pixels) => {
    const at = ((pixels.height - 40) * pixels.width + 40) * pixels.components;
    const red = pixels.data[at]! > 200 && pixels.data[at + 1]! < 60;
    return red ? [{ kind: 'face', box: { x: 0, y: pixels.height - 80, w: 80, h: 80 }, score: 0.99 }] : [];
  },
};

let tmp: string;
let server: ReviewServer | undefined;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-review-pixels-rev-'));
});
afterAll(async () => {
  await server?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('after "Reload from disk" the residual check is the new image\'s, not the one loaded before', async () => {
  const assets = path.join(tmp, 'assets');
  buildReviewPage(assets);
  const folder = path.join(tmp, 'exports');
  const exp = await applySample(folder);
  server = await serveFolder(folder, { assetsDir: assets, detectors: async () => redCornerFace });
  const { browser, close } = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.getByTestId(`row-${exp.id}`).getByRole('button').click();
    await page.getByTestId('pixels-clear').waitFor();
    for (const item of MANUAL) await page.getByTestId(`status-${item}`).selectOption('not-present');
    await page.getByTestId('reviewer').fill('Dr R. Viewer');
    // Re-exported while the page is open: a face-like red block no region covers.
    await reExportWithRedCorner(exp);
    await page.getByTestId('sign-off').click();
    await page.getByTestId('reload').click();
    // The new image has a possible face: the page must say so (not keep "nothing uncovered").
    await page.getByTestId('pixels-found').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('possible-box-1').count()).toBe(1);
  } finally {
    await close();
  }
}, 240_000);
