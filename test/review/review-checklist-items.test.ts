import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import type { ReviewServer } from '../../src/cli/review/server';
import { launchBrowser } from '../helpers/browser';
import { applySample, buildReviewPage, MANUAL, serveFolder } from '../helpers/review';

/**
 * The checklist's items are the core's (sidecar/checklist.ts): which are the tool's own checks
 * and what each asks is fixed by its id. A sidecar that says otherwise (a reviewer's item marked
 * automatic and ticked, or labels swapped) must not make the page tell the reviewer the tool
 * checked something it never did, nor get that signed.
 */

let tmp: string;
let assets: string;
let browser: Browser;
let closeBrowser: () => Promise<void>;
let server: ReviewServer | undefined;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-review-items-'));
  assets = path.join(tmp, 'assets');
  buildReviewPage(assets);
  ({ browser, close: closeBrowser } = await launchBrowser());
}, 240_000);

afterAll(async () => {
  await server?.close();
  await closeBrowser?.();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function editItems(sidecarPath: string, edit: (items: { id: string; label: string; status: string; auto: boolean }[]) => void): void {
  const sidecar = JSON.parse(fs.readFileSync(sidecarPath, 'utf8'));
  edit(sidecar.checklist.items);
  fs.writeFileSync(sidecarPath, `${JSON.stringify(sidecar, null, 2)}\n`);
}

test('a reviewer\'s item the sidecar marks automatic (faces, "Passed") or relabels cannot be signed off unseen', async () => {
  const folder = path.join(tmp, 'exports');
  const autoFaces = await applySample(folder);
  editItems(autoFaces.sidecar, (items) => {
    const faces = items.find((i) => i.id === 'faces')!;
    faces.auto = true;
    faces.status = 'ok';
  });
  const swapped = await applySample(folder);
  editItems(swapped.sidecar, (items) => {
    const faces = items.find((i) => i.id === 'faces')!;
    const dates = items.find((i) => i.id === 'dates')!;
    [faces.label, dates.label] = [dates.label, faces.label];
  });
  const before = { auto: fs.readFileSync(autoFaces.sidecar, 'utf8'), swapped: fs.readFileSync(swapped.sidecar, 'utf8') };
  server = await serveFolder(folder, { assetsDir: assets });
  const page = await browser.newPage();
  try {
    await page.goto(server.url);
    for (const exp of [autoFaces, swapped]) {
      await page.getByTestId(`row-${exp.id}`).getByRole('button').click();
      await page.getByTestId('reverification').waitFor();
      // The reviewer does everything the page offers: every control left, a name, Sign off.
      for (const item of MANUAL) {
        const control = page.locator(`select[data-testid=status-${item}]`);
        if ((await control.count()) > 0) await control.selectOption('not-present');
      }
      await page.getByTestId('reviewer').fill('Dr R. Viewer');
      await page.getByTestId('sign-off').click();
      await page.locator('[data-testid=signed],[data-testid=refused]').first().waitFor();
      expect([exp.id, await page.getByTestId('signed').count()]).toEqual([exp.id, 0]);
      expect(await page.getByTestId('review-findings').textContent()).toMatch(/[12] problems?\./);
      expect(await page.getByTestId('refused').textContent()).toMatch(/the checklist (marks "Faces, including partial faces and reflections \(mirrors, glasses, screens\)" automatic, but it is the reviewer's to check|labels item "faces" "Dates burned into the picture")/);
      await page.getByTestId('back').click();
      await page.getByTestId('signed-count').waitFor();
    }
    expect(fs.readFileSync(autoFaces.sidecar, 'utf8')).toBe(before.auto);
    expect(fs.readFileSync(swapped.sidecar, 'utf8')).toBe(before.swapped);
  } finally {
    await page.close();
  }
});
