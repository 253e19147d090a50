import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { launchBrowser } from '../helpers/browser';
import { applySample, buildReviewPage, startDeidReview } from '../helpers/review';

/**
 * How `deid review` opens the browser. A command's arguments can be read by every user of the
 * machine (ps, /proc/<pid>/cmdline), and a browser started by xdg-open keeps its URL there for
 * as long as it runs: the token must not travel that way (Jupyter's use_redirect_file, notebook
 * 5.7.2, for the same reason). Any local user can connect to 127.0.0.1, so the token is all that
 * stands between them and the reviewer's signing key and the patients' images.
 */
let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-review-open-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('the browser is opened on a private redirect file: the token is not in any command line', async () => {
  const assets = path.join(tmp, 'assets');
  buildReviewPage(assets);
  const folder = path.join(tmp, 'exports');
  const exp = await applySample(folder);
  // A stand-in for xdg-open that records what it was given, as ps would show it to anyone.
  const bin = path.join(tmp, 'bin');
  fs.mkdirSync(bin);
  const argsFile = path.join(tmp, 'xdg-open-args');
  fs.writeFileSync(path.join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}'\n`, { mode: 0o755 });
  const review = await startDeidReview([folder, '--key', path.join(tmp, 'key.json')], { DEID_REVIEW_ASSETS: assets, PATH: `${bin}:${process.env.PATH ?? ''}` });
  const { browser, close } = await launchBrowser();
  try {
    const token = new URL(review.url).searchParams.get('token')!;
    for (let i = 0; i < 100 && !fs.existsSync(argsFile); i++) await new Promise((r) => setTimeout(r, 50));
    const given = fs.readFileSync(argsFile, 'utf8').trim();
    expect(given).not.toContain(token);
    expect(given).toMatch(/^file:\/\//);
    const file = new URL(given);
    const redirect = decodeURIComponent(file.pathname);
    // Only the reviewer can read it: the file 0600, in a folder of their own (0700).
    expect(fs.statSync(redirect).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(redirect)).mode & 0o777).toBe(0o700);
    // Opening it signs the browser in, as the printed URL does.
    const page = await browser.newPage();
    await page.goto(given);
    await page.waitForURL(`${new URL(review.url).origin}/`);
    await page.getByTestId(`row-${exp.id}`).waitFor();
    review.child.kill('SIGINT');
    expect(await review.exited).toBe(0);
    // Gone with the server: a token left on disk would outlive nothing, but nothing is left behind.
    expect(fs.existsSync(path.dirname(redirect))).toBe(false);
  } finally {
    if (review.child.exitCode === null) review.child.kill('SIGINT');
    await close();
  }
}, 240_000);
