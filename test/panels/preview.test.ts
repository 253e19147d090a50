/**
 * `npm run preview` in a real browser (Debian's chromium via playwright-core): the panel's React
 * tree with Spectrum Web Components, clicked through Start, Obscure, Crop, Finish and Checklist
 * on the sample photograph. Saves the screenshots docs/plugin.md shows.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import type { Server } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { launchBrowser } from '../helpers/browser';

const ROOT = path.resolve(__dirname, '../..');
const IMG = path.join(ROOT, 'docs/img');
const BUILD_TIMEOUT_MS = 240_000;
/** samples/README.md, recipe.json: the face and the name badge of the sample photograph (640x480). */
const FACE = { x: 150, y: 75, w: 200, h: 250 };
const BADGE = { x: 396, y: 326, w: 208, h: 78 };
const KEEP = { x: 100, y: 40, w: 520, h: 420 };
const SCREENSHOT_NOISE = 0.001;

const { serveDirectory } = require('../../scripts/preview.js') as { serveDirectory(dir: string, port?: number): Promise<Server> };

let out: string;
let server: Server;
let browser: Browser;
let close: () => Promise<void>;
let page: Page;

beforeAll(async () => {
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-preview-'));
  const build = spawnSync(process.execPath, [require.resolve('webpack-cli/bin/cli.js'), '--config', 'webpack.config.js', '--config-name', 'preview', '--output-path', out], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: BUILD_TIMEOUT_MS,
  });
  if (build.status !== 0) throw new Error(`webpack failed (${build.status}):\n${build.stdout}\n${build.stderr}`);
  server = await serveDirectory(out);
  ({ browser, close } = await launchBrowser());
  page = await browser.newPage({ viewport: { width: 1100, height: 640 } });
  // The same alternate id every run (a seeded generator behind crypto.getRandomValues), so the
  // committed screenshots change only when the panel does.
  await page.addInitScript(() => {
    let seed = 7;
    crypto.getRandomValues = <T extends ArrayBufferView | null>(array: T): T => {
      const bytes = new Uint8Array((array as ArrayBufferView).buffer, (array as ArrayBufferView).byteOffset, (array as ArrayBufferView).byteLength);
      for (let i = 0; i < bytes.length; i++) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        bytes[i] = seed >>> 16;
      }
      return array;
    };
  });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  await page.goto(`http://127.0.0.1:${address.port}/`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  expect(errors).toEqual([]);
}, BUILD_TIMEOUT_MS + 60_000);

afterAll(async () => {
  await close?.();
  server?.close();
  if (out) fs.rmSync(out, { recursive: true, force: true });
});

/** Drags a marquee over `r` (image pixels) on the document canvas. */
async function marquee(r: { x: number; y: number; w: number; h: number }, shape: 'rectangle' | 'ellipse'): Promise<void> {
  await page.getByTestId(`marquee-${shape}`).check();
  const canvas = page.getByTestId('document-canvas');
  const box = await canvas.boundingBox();
  const size = await canvas.evaluate((c: HTMLCanvasElement) => ({ w: c.width, h: c.height }));
  if (!box) throw new Error('no canvas');
  const at = (x: number, y: number) => ({ x: box.x + (x * box.width) / size.w, y: box.y + (y * box.height) / size.h });
  const from = at(r.x, r.y);
  const to = at(r.x + r.w, r.y + r.h);
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2);
  await page.mouse.move(to.x, to.y);
  await page.mouse.up();
}

async function tab(id: string): Promise<void> {
  await page.getByTestId(`tab-${id}`).click();
  await page.getByTestId(`panel-${id}`).waitFor();
}

/** Without hover, focus rings or transitions in flight, so the same panel gives the same image. */
async function shoot(name: string): Promise<void> {
  await page.mouse.move(1, 1);
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const shot = await page.screenshot({ animations: 'disabled', caret: 'hide' });
  const file = path.join(IMG, `preview-${name}.png`);
  // A few anti-aliased edge pixels vary between runs; the committed image is kept unless the
  // panel really changed (more than 0.1% of the pixels), so a test run leaves no churn.
  if (fs.existsSync(file) && (await differingPixels(file, shot)) <= SCREENSHOT_NOISE * 1100 * 640) return;
  fs.writeFileSync(file, shot);
}

async function differingPixels(file: string, png: Buffer): Promise<number> {
  const [a, b] = await Promise.all([sharp(file).raw().toBuffer({ resolveWithObject: true }), sharp(png).raw().toBuffer({ resolveWithObject: true })]);
  if (a.info.width !== b.info.width || a.info.height !== b.info.height) return Infinity;
  let n = 0;
  for (let i = 0; i < a.data.length; i += a.info.channels) if (a.data.compare(b.data, i, i + a.info.channels, i, i + a.info.channels) !== 0) n++;
  return n;
}

/** How many pixels of `r` differ from the photograph as it was first shown. */
async function changedIn(r: { x: number; y: number; w: number; h: number }, before: number[]): Promise<number> {
  const now = await pixels(r);
  return now.filter((v, i) => v !== before[i]).length / 4;
}

async function pixels(r: { x: number; y: number; w: number; h: number }): Promise<number[]> {
  return page.getByTestId('document-canvas').evaluate((c: HTMLCanvasElement, rect) => Array.from((c.getContext('2d') as CanvasRenderingContext2D).getImageData(rect.x, rect.y, rect.w, rect.h).data), r);
}

test('clicking through Start, Obscure, Crop, Finish and Checklist in the preview', async () => {
  page.setDefaultTimeout(20_000);
  await page.getByTestId('start').click();
  await expect(page.getByTestId('start-result').textContent()).resolves.toMatch(/[A-Z0-9]/);
  await page.getByTestId('document-title').filter({ hasText: '(640x480)' }).waitFor();
  await shoot('start');

  // Obscure: a mosaic over the face (rectangle), an overlay over the badge (ellipse).
  const faceBefore = await pixels(FACE);
  const outside = { x: 20, y: 20, w: 100, h: 40 };
  const outsideBefore = await pixels(outside);
  await tab('obscure');
  await marquee(FACE, 'rectangle');
  await page.getByTestId('check-selection').click();
  await page.getByTestId('obscure-preview').waitFor();
  await page.getByTestId('method-pixelate').click();
  await page.getByTestId('mosaic-choice').waitFor();
  await page.getByTestId('apply-obscure').click();
  await page.getByTestId('obscure-result').waitFor();
  expect(await changedIn(FACE, faceBefore)).toBeGreaterThan(FACE.w * FACE.h * 0.5);
  await marquee(BADGE, 'ellipse');
  await page.getByTestId('kind-text').click();
  await page.getByTestId('check-selection').click();
  await page.getByTestId('overlay-only').waitFor();
  await page.getByTestId('apply-obscure').click();
  await page.getByTestId('obscure-result').filter({ hasText: /overlay/i }).waitFor();
  expect(await changedIn(outside, outsideBefore)).toBe(0);
  await shoot('obscure');

  await tab('crop');
  await marquee(KEEP, 'rectangle');
  await page.getByTestId('crop').click();
  // The marquee is drawn on a scaled canvas: its size comes back within a pixel or two.
  await page.getByTestId('document-title').filter({ hasNotText: '(640x480)' }).waitFor();
  const size = /(\d+) x (\d+) px/.exec((await page.getByTestId('crop-size').textContent()) ?? '');
  expect(Math.abs(Number(size?.[1]) - KEEP.w)).toBeLessThanOrEqual(2);
  expect(Math.abs(Number(size?.[2]) - KEEP.h)).toBeLessThanOrEqual(2);
  await shoot('crop');

  await tab('finish');
  await page.getByTestId('choose-folder').click();
  await page.getByTestId('folder-name').filter({ hasText: 'Folder: Exports' }).waitFor();
  await page.getByTestId('format-png').click();
  await page.getByTestId('finish').click();
  await page.getByTestId('finish-written').waitFor();
  const files = await page.getByTestId('export-files').locator('a').allTextContents();
  expect(files.map((f) => f.replace(/^[A-Z0-9-]+/, 'ID')).sort()).toEqual(['ID.deid.json', 'ID.png']);
  await shoot('finish');

  await tab('review');
  await page.getByTestId('list-sidecars').click();
  await page.getByTestId('open-review').click();
  await page.getByTestId('review-clean').waitFor();
  // Finding 9: the panel's root scrolls when the checklist is longer than the panel.
  const root = await page.locator('.deid-root').evaluate((el) => ({
    overflow: getComputedStyle(el).overflowY, scroll: el.scrollHeight, client: el.clientHeight, scrollWidth: el.scrollWidth, clientWidth: el.clientWidth,
  }));
  expect(root.overflow).toBe('auto');
  expect(root.scroll).toBeGreaterThan(root.client);
  // ... and nothing in it is wider than the 300 px panel.
  expect(root.scrollWidth).toBeLessThanOrEqual(root.clientWidth);
  await shoot('checklist');
}, 120_000);
