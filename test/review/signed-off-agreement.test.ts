import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { ItemResponse, ListResponse } from '../../src/review/api-types';
import { parseReviewerKey } from '../../src/core/signature/keys';
import { checkSidecarSignature, signSidecar } from '../../src/core/signature/sidecar-signature';
import { signOffSidecar } from '../../src/core/signature/sign-off';
import { setItemStatus } from '../../src/core/sidecar/checklist';
import { parseSidecar, serializeSidecar } from '../../src/core/sidecar/schema';
import { deid, json } from '../cli/run';
import { launchBrowser } from '../helpers/browser';
import { distinctRecipe } from '../helpers/distinct-recipe';
import { applySample, buildReviewPage, MANUAL, rawRequest, serveFolder, signIn, startDeidReview, type RunningReview } from '../helpers/review';
import { signOffSidecarFile, TEST_REVIEWER_KEY } from '../helpers/signoff';

/**
 * "Signed off" has one meaning for every command (core/signature/signed-off.ts): the reviewer's
 * signed sign-off over the checklist whose automatic items are what re-verification records now.
 * The oracle for what a real sign-off writes is the review page itself, driven in chromium.
 */
const REVIEWER = 'Dr Test Reviewer';

let tmp: string;
let assets: string;
let keyFile: string;
let browser: Browser;
let closeBrowser: () => Promise<void>;
let review: RunningReview;
let page: Page;
/** Signed on the page (first test). */
let pageFolder: string;
let onPage: { id: string; image: string; sidecar: string };
/** The same export as it was before the page signed it, for the test helper to sign. */
let helperCopy: { image: string; sidecar: string };

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-signed-off-'));
  assets = path.join(tmp, 'assets');
  keyFile = path.join(tmp, 'config', 'reviewer-key.json');
  buildReviewPage(assets);
  pageFolder = path.join(tmp, 'page');
  onPage = await applySample(pageFolder, distinctRecipe(tmp, 1));
  const helperFolder = path.join(tmp, 'helper');
  fs.mkdirSync(helperFolder);
  helperCopy = { image: path.join(helperFolder, path.basename(onPage.image)), sidecar: path.join(helperFolder, path.basename(onPage.sidecar)) };
  fs.copyFileSync(onPage.image, helperCopy.image);
  fs.copyFileSync(onPage.sidecar, helperCopy.sidecar);
  ({ browser, close: closeBrowser } = await launchBrowser());
  review = await startDeidReview([pageFolder, '--no-open', '--key', keyFile], { DEID_REVIEW_ASSETS: assets });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
}, 240_000);

afterAll(async () => {
  if (review && review.child.exitCode === null) review.child.kill('SIGINT');
  await closeBrowser?.();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** What each command says about the one export in `folder`. */
async function verdicts(folder: string, image: string, name: string): Promise<{ report: string; html: string; verify: { code: number; details: string[] }; bag: { code: number; stderr: string; written: boolean }; unsignedInfo: string; review: boolean; reviewSays: string[] }> {
  const html = path.join(tmp, `${name}.html`);
  const report = await deid('report', folder, '--out', html);
  expect(report.code).toBe(0);
  const verify = await deid('verify', '--require-sidecar', '--json', image);
  const bagOut = path.join(tmp, `${name}.bag`);
  const bag = await deid('bag', 'create', folder, '--out', bagOut, '--recipient', 'Example Research Unit', '--method', 'encrypted USB drive');
  // With --allow-unsigned the bag records how many exports it packs unsigned: the same count.
  const loose = path.join(tmp, `${name}.loose-bag`);
  expect((await deid('bag', 'create', folder, '--out', loose, '--recipient', 'Example Research Unit', '--method', 'encrypted USB drive', '--allow-unsigned')).code).toBe(0);
  const unsignedInfo = /^Unsigned-Exports-Allowed: (.*)$/m.exec(fs.readFileSync(path.join(loose, 'bag-info.txt'), 'utf8'))![1]!;
  const server = await serveFolder(folder);
  try {
    const signed = await signIn(server.url);
    const list = JSON.parse((await rawRequest(server.port, { path: '/api/items', headers: signed.headers })).body) as ListResponse;
    const item = JSON.parse((await rawRequest(server.port, { path: `/api/items/${list.items[0]!.id}`, headers: signed.headers })).body) as ItemResponse;
    return {
      report: report.stdout,
      html: fs.readFileSync(html, 'utf8'),
      verify: { code: verify.code, details: json<{ files: { findings: { kind: string; detail: string }[] }[] }>(verify.stdout).files[0]!.findings.map((f) => `${f.kind}: ${f.detail}`) },
      bag: { code: bag.code, stderr: bag.stderr, written: fs.existsSync(bagOut) },
      unsignedInfo,
      review: list.items[0]!.signedOff,
      reviewSays: item.signOffProblems,
    };
  } finally {
    await server.close();
  }
}

test('the test helper writes, for the same export, byte for byte the sidecar the review page writes', async () => {
  await page.goto(review.url);
  await page.getByTestId('verified-all').waitFor();
  await page.getByTestId(`row-${onPage.id}`).getByRole('button').click();
  await page.getByTestId('reverification').waitFor();
  for (const item of MANUAL) await page.getByTestId(`status-${item}`).selectOption('ok');
  await page.getByTestId('reviewer').fill(REVIEWER);
  await page.getByTestId('sign-off').click();
  await page.getByTestId('signed').waitFor();
  const written = fs.readFileSync(onPage.sidecar, 'utf8');
  const signed = parseSidecar(written);
  expect(signed.checklist.signedOff).toBe(true);
  // Ed25519 signatures are deterministic (RFC 8032 5.1.6): same key, same content, same bytes.
  await signOffSidecarFile(helperCopy.sidecar, REVIEWER, signed.checklist.reviewedAt, parseReviewerKey(fs.readFileSync(keyFile, 'utf8')));
  expect(fs.readFileSync(helperCopy.sidecar, 'utf8')).toBe(written);
});

test('signed off on the review page: report, bag create and verify, bag verify and the review list all count it signed off', async () => {
  const said = await verdicts(pageFolder, onPage.image, 'page');
  expect(said.report).toMatch(/: 1 export\(s\), 1 signed off with a valid signature, 0 with problems now\n$/);
  expect(said.verify).toEqual({ code: 0, details: [] });
  expect(said.bag.code).toBe(0);
  expect(said.unsignedInfo).toBe('yes (--allow-unsigned): 0 of 1 export(s) not signed off by a reviewer');
  expect(said.review).toBe(true);
  expect(said.reviewSays).toEqual([]);
  expect((await deid('bag', 'verify', path.join(tmp, 'page.bag'))).code).toBe(0);
  // And the page that signed it says so in its list.
  await page.getByTestId('back').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=signed-count]')?.textContent === '1 of 1 signed', null, { timeout: 10_000 }).catch(() => undefined);
  expect(await page.getByTestId('signed-count').textContent()).toBe('1 of 1 signed');
});

/** Edits a sidecar as a script would, and signs it again with the reviewer's own key. */
function editAndResign(file: string, edit: (items: { id: string; note?: string }[]) => void): void {
  const s = parseSidecar(fs.readFileSync(file, 'utf8'));
  edit(s.checklist.items);
  fs.writeFileSync(file, serializeSidecar(signSidecar(s, TEST_REVIEWER_KEY)));
}

const notCovering: [string, (exp: { sidecar: string }) => Promise<void>][] = [
  ['signed over the automatic items as the export wrote them (their notes), not as re-verification records them', async (exp) => {
    // What test/helpers/signoff.ts did before: tick the open items, sign, never re-verify.
    const s = parseSidecar(fs.readFileSync(exp.sidecar, 'utf8'));
    let c = s.checklist;
    for (const item of c.items) if (item.status === 'unchecked') c = setItemStatus(c, item.id, 'ok');
    fs.writeFileSync(exp.sidecar, serializeSidecar(signOffSidecar(s, c, REVIEWER, new Date().toISOString(), TEST_REVIEWER_KEY)));
  }],
  ['signed off in review, then an automatic item\'s note written by a script that signs again with the reviewer\'s key', async (exp) => {
    await signOffSidecarFile(exp.sidecar);
    editAndResign(exp.sidecar, (items) => {
      items.find((i) => i.id === 'regions-meet-policy')!.note = 'checked by hand';
    });
  }],
  ['signed off in review, then an automatic item\'s note changed (the export\'s own note put back) and signed again', async (exp) => {
    const exported = parseSidecar(fs.readFileSync(exp.sidecar, 'utf8')).checklist.items.find((i) => i.id === 'metadata-removed')!.note!;
    await signOffSidecarFile(exp.sidecar);
    editAndResign(exp.sidecar, (items) => {
      items.find((i) => i.id === 'metadata-removed')!.note = exported;
    });
  }],
];

test.each(notCovering)('%s: refused by report, bag create, verify and the review list alike', async (_what, make) => {
  const folder = fs.mkdtempSync(path.join(tmp, 'case-'));
  const exp = await applySample(folder, distinctRecipe(tmp, 2));
  await make(exp);
  // The premise: a sign-off with a signature that holds over the sidecar's content.
  const made = parseSidecar(fs.readFileSync(exp.sidecar, 'utf8'));
  expect(made.checklist.signedOff).toBe(true);
  expect(checkSidecarSignature(made).state).toBe('valid');
  const said = await verdicts(folder, exp.image, path.basename(folder));
  expect(said.report).toMatch(/: 1 export\(s\), 0 signed off with a valid signature, 0 with problems now\n$/);
  expect(said.review).toBe(false);
  // The page says why (Reverification.tsx shows it in place of "Signed off with a valid signature").
  expect(said.reviewSays).toEqual([expect.stringMatching(/^signed off over automatic checks that are not what re-verification records now/)]);
  expect(said.bag).toEqual({ code: 1, stderr: expect.stringMatching(/checklist-incomplete/), written: false });
  expect(said.unsignedInfo).toBe('yes (--allow-unsigned): 1 of 1 export(s) not signed off by a reviewer');
  expect(said.verify.code).toBe(1);
  // Why, in words, without quoting the notes (verify output goes to logs).
  expect(said.verify.details).toEqual([expect.stringMatching(/^checklist-incomplete: signed off over automatic checks that are not what re-verification records now/)]);
  expect(said.html).toMatch(/<span class="fail">not signed off<\/span>: signed off over automatic checks that are not what re-verification records now/);
}, 120_000);
