import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { keyFingerprint, parseReviewerKey } from '../../src/core/signature/keys';
import { parseSidecar } from '../../src/core/sidecar/schema';
import { deid } from '../cli/run';
import { launchBrowser } from '../helpers/browser';
import { REPO } from '../helpers/paths';
import { distinctRecipe } from '../helpers/distinct-recipe';
import sharp from 'sharp';
import { applySample, buildReviewPage, differenceFromFile, MANUAL, paintRegionBack, shownImage, snapshot, startDeidReview, type RunningReview } from '../helpers/review';

/**
 * A reviewer without Photoshop: `deid review` (the real CLI) on a folder made by `deid apply`,
 * driven in Debian's chromium. One browser for the whole file.
 */
/**
 * The docs' screenshots come from this run. They are written into docs/img when missing or when
 * UPDATE_DOCS_IMG=1 (alternate ids are random, so rewriting them on every run would leave every
 * checkout dirty); otherwise into the test's temporary folder, and checked there.
 */
const DOCS_IMG = path.join(REPO, 'docs', 'img');
function screenshotPath(name: string): string {
  const docs = path.join(DOCS_IMG, name);
  return process.env.UPDATE_DOCS_IMG === '1' || !fs.existsSync(docs) ? docs : path.join(tmp, name);
}
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
function expectPng(file: string): void {
  expect(fs.readFileSync(file).subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
}

let tmp: string;
let assets: string;
let folder: string;
let keyFile: string;
let exportsMade: { id: string; image: string; sidecar: string }[];
let painted: { id: string; image: string; sidecar: string };
let browser: Browser;
let closeBrowser: () => Promise<void>;
let review: RunningReview;
let page: Page;
/** What chromium reports against the page's Content-Security-Policy (console and securitypolicyviolation). */
const cspViolations: string[] = [];

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-review-page-'));
  assets = path.join(tmp, 'assets');
  folder = path.join(tmp, 'exports');
  keyFile = path.join(tmp, 'config', 'reviewer-key.json');
  buildReviewPage(assets);
  // Each its own image: one image under several alternate ids is a problem the report names (exit 1).
  exportsMade = [await applySample(folder, distinctRecipe(tmp, 1)), await applySample(path.join(folder, 'day-2'), distinctRecipe(tmp, 2)), await applySample(folder, distinctRecipe(tmp, 3))];
  painted = await applySample(path.join(folder, 'day-2'));
  await paintRegionBack(painted);
  ({ browser, close: closeBrowser } = await launchBrowser());
  review = await startDeidReview([folder, '--no-open', '--key', keyFile], { DEID_REVIEW_ASSETS: assets });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
}, 240_000);

/** Whether the page can still load `url` as an image (a revoked object URL cannot). */
function loadsAsImage(url: string): Promise<boolean> {
  return page.evaluate((u) => new Promise<boolean>((resolve) => {
    const img = new Image();
    img.onload = () => resolve(true);
    img.onerror = () => resolve(false);
    img.src = u;
  }), url);
}

afterAll(async () => {
  if (review && review.child.exitCode === null) review.child.kill('SIGINT');
  await closeBrowser?.();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const byId = (id: string): { id: string; image: string; sidecar: string } => [...exportsMade, painted].find((e) => e.id === id)!;
const readBytes = (p: string): Buffer => fs.readFileSync(p);

async function openFromList(id: string): Promise<void> {
  await page.getByTestId(`row-${id}`).getByRole('button').click();
  await page.getByTestId('reverification').waitFor();
}

/** Presses n (next unsigned) until `id` is open; the painted export may come first in list order. */
async function nextUnsignedUntil(id: string): Promise<void> {
  for (let tries = 0; tries < 5; tries++) {
    const current = await page.locator('h1').textContent();
    await page.keyboard.press('n');
    await page.waitForFunction((prev) => document.querySelector('h1')?.textContent !== prev && document.querySelector('[data-testid=reverification]') !== null, current);
    if ((await page.locator('h1').textContent()) === id) return;
  }
  throw new Error(`next unsigned never reached ${id}`);
}

async function tickAll(): Promise<void> {
  for (const item of MANUAL) await page.getByTestId(`status-${item}`).selectOption('not-present');
}

test('the token URL signs the browser in and is replaced by the bare address', async () => {
  await page.goto(review.url);
  expect(page.url()).toBe(`${new URL(review.url).origin}/`);
  await page.getByTestId('verified-all').waitFor();
  expect(await page.getByTestId('signed-count').textContent()).toBe('0 of 4 signed');
});

test('the list: states at a glance, filters with counts, keyboard navigation', async () => {
  await expect(page.getByTestId(`row-${painted.id}`).textContent()).resolves.toMatch(/1 finding/);
  for (const e of exportsMade) await expect(page.getByTestId(`row-${e.id}`).textContent()).resolves.toMatch(/Clean.*7 open.*Not signed/);
  expect(await page.getByTestId('filter-has-findings').textContent()).toBe('Has findings (1)');
  expect(await page.getByTestId('filter-needs-review').textContent()).toBe('Needs review (4)');
  await page.getByTestId('filter-has-findings').click();
  expect(await page.locator('tbody tr').count()).toBe(1);
  await page.getByTestId('filter-all').click();
  fs.mkdirSync(DOCS_IMG, { recursive: true });
  const listShot = screenshotPath('review-list.png');
  await page.screenshot({ path: listShot });
  expectPng(listShot);
  // Keys: j moves down, k up, Enter opens the highlighted export.
  const first = await page.locator('tbody tr').nth(0).getAttribute('data-testid');
  await page.keyboard.press('j');
  await page.keyboard.press('k');
  expect(await page.locator('tbody tr.selected').getAttribute('data-testid')).toBe(first);
  await page.keyboard.press('Enter');
  await page.getByTestId('reverification').waitFor();
  expect(await page.locator('h1').textContent()).toBe(first!.replace(/^row-/, ''));
  await page.keyboard.press('Escape');
  await page.getByTestId('signed-count').waitFor();
});

test('a reviewer works through three exports: refusal while open, then signed sidecars; images untouched', async () => {
  const images = new Map(exportsMade.map((e) => [e.id, readBytes(e.image)]));
  const order = [...exportsMade].sort((a, b) => (a.id < b.id ? -1 : 1)).map((e) => e.id);
  await openFromList(order[0]);
  expect(await page.getByTestId('review-clean').textContent()).toMatch(/nothing wrong found/);
  expect(await page.getByTestId('check-hash').textContent()).toMatch(/SHA-256 matches/);
  expect(await page.getByTestId('check-region-1').textContent()).toMatch(/Region 1 \(face.*Obscured as recorded: mosaic of 40 px cells/);
  expect(await page.getByTestId('check-region-2').textContent()).toMatch(/Region 2 \(text or number.*solid overlay/);
  // Outlines are drawn over the image and can be hidden.
  expect(await page.locator('[data-testid=outlines] rect').count()).toBe(2);
  expect(await page.locator('[data-testid=outlines] text').first().textContent()).toBe('1 · face · mosaic 40 px');
  await page.getByTestId('toggle-outlines').uncheck();
  expect(await page.getByTestId('outlines').count()).toBe(0);
  await page.getByTestId('toggle-outlines').check();
  // The image chromium shows is the export on disk: its size, and its pixels as libvips decodes
  // the same file. It came through an object URL of bytes the page fetched with its token.
  const firstImage = byId(order[0]).image;
  const meta = await sharp(firstImage).metadata();
  const first = await shownImage(page);
  expect(first.src).toMatch(new RegExp(`^blob:${new URL(review.url).origin}/[0-9a-f-]{36}$`));
  expect([first.width, first.height]).toEqual([meta.width, meta.height]);
  expect(await differenceFromFile(first, firstImage)).toBeLessThan(0.5);
  // Zoom: fit, then 100% shows the image at its own size.
  await page.getByTestId('zoom-100').click();
  expect(await page.getByTestId('image').evaluate((img: HTMLImageElement) => [img.width, img.naturalWidth])).toEqual([640, 640]);
  await page.getByTestId('zoom-fit').click();

  // Sign-off refused while anything is open, with the reasons; the sidecar stays as it was.
  const untouched = readBytes(byId(order[0]).sidecar);
  await page.getByTestId('reviewer').fill('Dr R. Viewer');
  await page.getByTestId('sign-off').click();
  const refusal = await page.getByTestId('refused').textContent();
  expect(refusal).toMatch(/^cannot sign off while these are open/);
  expect(refusal).toContain('not checked: Faces, including partial faces');
  expect(readBytes(byId(order[0]).sidecar).equals(untouched)).toBe(true);

  await page.getByTestId('status-faces').selectOption('ok');
  await page.getByTestId('issue-text').fill('Reflection in the window: checked, nothing visible');
  await page.getByTestId('add-issue').click();
  await page.locator('aside.side').evaluate((el) => el.scrollTo(0, 0));
  const imageShot = screenshotPath('review-image.png');
  await page.screenshot({ path: imageShot });
  expectPng(imageShot);
  await page.getByTestId('resolve-0').click();
  await tickAll();
  await page.getByTestId('sign-off').click();
  expect(await page.getByTestId('signed').textContent()).toMatch(/^Signed off by Dr R\. Viewer on \d{4}-/);

  // The reviewer's name is remembered; "next unsigned" moves on. Two more, by keyboard.
  expect(await loadsAsImage(first.src)).toBe(true);
  for (const id of order.slice(1)) {
    await nextUnsignedUntil(id);
    // Each export shows its own image; the one before is no longer addressable (revoked).
    const shown = await shownImage(page);
    expect(await differenceFromFile(shown, byId(id).image)).toBeLessThan(0.5);
    expect(await loadsAsImage(shown.src)).toBe(true);
    expect(await loadsAsImage(first.src)).toBe(false);
    expect(await page.getByTestId('reviewer').inputValue()).toBe('Dr R. Viewer');
    await tickAll();
    await page.getByTestId('sign-off').click();
    await page.getByTestId('signed').waitFor();
  }

  const key = parseReviewerKey(fs.readFileSync(keyFile, 'utf8'));
  expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
  for (const e of exportsMade) {
    const s = parseSidecar(fs.readFileSync(e.sidecar, 'utf8'));
    expect(s.checklist).toMatchObject({ signedOff: true, reviewer: 'Dr R. Viewer' });
    expect(s.signature?.fingerprint).toBe(keyFingerprint(key.publicKey));
    expect(readBytes(e.image).equals(images.get(e.id)!)).toBe(true);
  }
  expect(parseSidecar(fs.readFileSync(byId(order[0]).sidecar, 'utf8')).checklist.issues).toEqual([{ description: 'Reflection in the window: checked, nothing visible', resolved: true }]);
  const verify = await deid('verify', ...exportsMade.map((e) => e.image));
  expect(verify.stdout).toMatch(/3 files: 3 clean, 0 with findings, 0 errors/);
  expect(verify.code).toBe(0);

  await page.getByTestId('back').click();
  // The list reloads its states on the way back: wait for that (under load it takes a moment),
  // then read what it shows.
  await page.waitForFunction(() => document.querySelector('[data-testid=signed-count]')?.textContent === '3 of 4 signed', null, { timeout: 10_000 }).catch(() => undefined);
  expect(await page.getByTestId('signed-count').textContent()).toBe('3 of 4 signed');
});

test('an export whose region was painted back: shown in plain words, sign-off refused', async () => {
  const before = readBytes(painted.sidecar);
  await openFromList(painted.id);
  expect(await page.getByTestId('review-findings').textContent()).toMatch(/1 problem\. This export cannot be signed off/);
  expect(await page.getByTestId('check-region-1').textContent()).toMatch(/NOT obscured/);
  // The painted-back face is what the reviewer sees: the page shows the file as it is now.
  expect(await differenceFromFile(await shownImage(page), painted.image)).toBeLessThan(0.5);
  expect(cspViolations).toEqual([]);
  expect(await page.getByTestId('check-hash').textContent()).toMatch(/SHA-256 matches/);
  expect(await page.getByTestId('status-regions-meet-policy').textContent()).toBe('Failed');
  await tickAll();
  await page.getByTestId('sign-off').click();
  expect(await page.getByTestId('refused').textContent()).toMatch(/cannot sign off while these are open[\s\S]*issue: Every obscured region meets the strength policy/);
  expect(readBytes(painted.sidecar).equals(before)).toBe(true);
  await page.getByTestId('back').click();
});

test('a sidecar changed on disk while open is not overwritten; reload shows the change', async () => {
  // A fresh export, opened, then changed by "someone else" before this reviewer signs.
  const late = await applySample(folder, distinctRecipe(tmp, 4));
  await review.child.kill('SIGINT');
  expect(await review.exited).toBe(0);
  expect(review.output()).toMatch(/deid review: stopped/);
  review = await startDeidReview([folder, '--no-open', '--key', keyFile], { DEID_REVIEW_ASSETS: assets });
  await page.goto(review.url);
  await page.getByTestId('verified-all').waitFor();
  await openFromList(late.id);
  await page.getByTestId('reviewer').fill('Dr R. Viewer');
  await tickAll();
  const theirs = JSON.parse(fs.readFileSync(late.sidecar, 'utf8'));
  theirs.checklist.issues.push({ description: 'Second opinion requested', resolved: false });
  fs.writeFileSync(late.sidecar, `${JSON.stringify(theirs, null, 2)}\n`);
  const written = readBytes(late.sidecar);
  const everything = snapshot(folder);
  await page.getByTestId('sign-off').click();
  expect(await page.getByTestId('refused').textContent()).toMatch(/changed on disk since you opened it[\s\S]*Nothing was written/);
  expect(readBytes(late.sidecar).equals(written)).toBe(true);
  expect(snapshot(folder)).toEqual(everything);
  await page.getByTestId('reload').click();
  expect(await page.getByTestId('issue-0').locator('span').textContent()).toBe('Open: Second opinion requested');
});

test('the report lists what was signed, by whom, with the key and its validity, and no file names', async () => {
  const html = path.join(tmp, 'report.html');
  const csv = path.join(tmp, 'report.csv');
  const r = await deid('report', folder, '--out', html, '--csv', csv);
  expect(r.code).toBe(0);
  const key = parseReviewerKey(fs.readFileSync(keyFile, 'utf8'));
  const text = fs.readFileSync(html, 'utf8');
  for (const leak of ['patient-photo', 'day-2', tmp]) expect(text).not.toContain(leak);
  expect(text).not.toMatch(/<script/i);
  const report = await browser.newPage();
  await report.goto(`file://${html}`);
  expect(await report.locator('[data-total="Signed off, signature valid"]').textContent()).toBe('3');
  expect(await report.locator('[data-total="Exports"]').textContent()).toBe('5');
  for (const e of exportsMade) {
    const row = await report.locator(`tr[data-id="${e.id}"]`).textContent();
    expect(row).toContain('Dr R. Viewer');
    expect(row).toContain(`valid${keyFingerprint(key.publicKey)}`);
  }
  expect(await report.locator(`tr[data-id="${painted.id}"]`).textContent()).toMatch(/1 problem\(s\).*not obscured/);
  await report.emulateMedia({ media: 'print' });
  expect(await report.locator('thead').first().evaluate((el) => getComputedStyle(el).display)).toBe('table-header-group');
  await report.close();
  const lines = fs.readFileSync(csv, 'utf8').trim().split('\r\n');
  expect(lines).toHaveLength(6);
  const signedRows = lines.filter((l) => l.includes(',true,Dr R. Viewer,'));
  expect(signedRows.map((l) => l.split(',')[0]).sort()).toEqual(exportsMade.map((e) => e.id).sort());
});

test('the server ends itself after the idle timeout', async () => {
  await review.child.kill('SIGINT');
  await review.exited;
  const idle = await startDeidReview([folder, '--no-open', '--key', keyFile, '--idle-minutes', '0.001'], { DEID_REVIEW_ASSETS: assets });
  expect(await idle.exited).toBe(0);
  expect(idle.output()).toMatch(/stopped after the idle timeout/);
});
