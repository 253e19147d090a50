import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import sharp from 'sharp';
import type { ReviewServer } from '../../src/cli/review/server';
import { sha256Hex } from '../../src/core/hash';
import { parseSidecar } from '../../src/core/sidecar/schema';
import { launchBrowser } from '../helpers/browser';
import { applySample, buildReviewPage, MANUAL, rawRequest, reExportWithRedCorner, shownImage, signIn, serveFolder } from '../helpers/review';

/**
 * The reviewer must sign what they saw: the image the page shows and the sidecar it signs are one
 * revision. Attacks on that binding through the real server on loopback and Debian's chromium.
 */

let tmp: string;
let assets: string;
let browser: Browser;
let closeBrowser: () => Promise<void>;
let server: ReviewServer | undefined;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-review-toctou-'));
  assets = path.join(tmp, 'assets');
  buildReviewPage(assets);
  ({ browser, close: closeBrowser } = await launchBrowser());
}, 240_000);

afterEach(async () => {
  await server?.close();
  server = undefined;
});

afterAll(async () => {
  await closeBrowser?.();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('after "Reload from disk" the page shows the image it then signs, not the one loaded before', async () => {
  const folder = path.join(tmp, 'reload');
  const exp = await applySample(folder);
  server = await serveFolder(folder, { assetsDir: assets });
  const page = await browser.newPage();
  try {
    await page.goto(server.url);
    await page.getByTestId(`row-${exp.id}`).getByRole('button').click();
    await page.getByTestId('reverification').waitFor();
    const before = await shownImage(page);
    for (const item of MANUAL) await page.getByTestId(`status-${item}`).selectOption('not-present');
    await page.getByTestId('reviewer').fill('Dr R. Viewer');
    // The export is replaced on disk while the page is open: the sign-off is refused (409).
    const changed = await reExportWithRedCorner(exp);
    await page.getByTestId('sign-off').click();
    await page.getByTestId('reload').click();
    await page.getByTestId('reverification').waitFor();
    // What the page shows now, read back from the <img> itself: the bottom-left corner.
    const now = await shownImage(page, before.src);
    const at = ((now.height - 40) * now.width + 40) * 3;
    const corner = [...now.rgb.subarray(at, at + 3)];
    for (const item of MANUAL) await page.getByTestId(`status-${item}`).selectOption('not-present');
    await page.getByTestId('sign-off').click();
    await page.getByTestId('signed').waitFor();
    // The signed sidecar attests the changed image: the page must have shown that one.
    expect(parseSidecar(fs.readFileSync(exp.sidecar, 'utf8')).image.sha256).toBe(sha256Hex(changed));
    expect(corner[0]).toBeGreaterThan(200);
    expect(corner[1]).toBeLessThan(60);
  } finally {
    await page.close();
  }
});

test('the image route serves only the bytes of the revision the page holds', async () => {
  const folder = path.join(tmp, 'swap');
  const exp = await applySample(folder);
  server = await serveFolder(folder, { assetsDir: assets });
  const { headers } = await signIn(server.url);
  const item = JSON.parse((await rawRequest(server.port, { path: `/api/items/${exp.id}`, headers })).body) as { revision: string };
  const original = fs.readFileSync(exp.image);
  const same = await rawRequest(server.port, { path: `/api/items/${exp.id}/image?rev=${item.revision}`, headers });
  expect(same.status).toBe(200);
  // The image alone is swapped after the page read the item (the sidecar is untouched, so the
  // sign-off's sidecar check alone would not notice if it were put back before signing).
  fs.writeFileSync(exp.image, await sharp(original).negate().jpeg().toBuffer());
  const swapped = await rawRequest(server.port, { path: `/api/items/${exp.id}/image?rev=${item.revision}`, headers });
  expect(swapped.status).toBe(409);
  fs.writeFileSync(exp.image, original);
});

test('an export replaced between the page\'s requests: its image is refused, never shown, and "Reload from disk" shows the new one', async () => {
  const folder = path.join(tmp, 'between');
  const exp = await applySample(folder);
  server = await serveFolder(folder, { assetsDir: assets });
  const page = await browser.newPage();
  try {
    // The re-export lands after the page read the export and before its image request arrives.
    let changed: Buffer | null = null;
    await page.route((url) => url.pathname.endsWith('/image'), async (route) => {
      changed ??= await reExportWithRedCorner(exp);
      await route.continue();
    });
    await page.goto(server.url);
    await page.getByTestId(`row-${exp.id}`).getByRole('button').click();
    expect(await page.getByTestId('image-failed').textContent()).toMatch(/changed on disk since the page read it/);
    // No image at all rather than bytes of another revision under this revision's regions and checklist.
    expect(await page.getByTestId('image').count()).toBe(0);
    await page.getByTestId('image-reload').click();
    const now = await shownImage(page);
    expect(sha256Hex(fs.readFileSync(exp.image))).toBe(sha256Hex(changed!));
    const at = ((now.height - 40) * now.width + 40) * 3;
    expect(now.rgb[at]).toBeGreaterThan(200);
    expect(now.rgb[at + 1]).toBeLessThan(60);
    for (const item of MANUAL) await page.getByTestId(`status-${item}`).selectOption('not-present');
    await page.getByTestId('reviewer').fill('Dr R. Viewer');
    await page.getByTestId('sign-off').click();
    await page.getByTestId('signed').waitFor();
    expect(parseSidecar(fs.readFileSync(exp.sidecar, 'utf8')).image.sha256).toBe(sha256Hex(changed!));
  } finally {
    await page.close();
  }
});
