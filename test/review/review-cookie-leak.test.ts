import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ReviewServer } from '../../src/cli/review/server';
import { launchBrowser } from '../helpers/browser';
import { applySample, buildReviewPage, MANUAL, rawRequest, snapshot, serveFolder } from '../helpers/review';

/**
 * Cookies are scoped by host, not port (RFC 6265 section 8.5): the reviewer's browser sends the
 * review session cookie to every other server on 127.0.0.1 it visits, and any local user can run
 * one. A cookie so taken must read nothing (no list, sidecar, image or residual check) and must not
 * be enough to sign off with the reviewer's key.
 */

let tmp: string;
let server: ReviewServer | undefined;
let other: http.Server | undefined;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-review-cookie-'));
});
afterAll(async () => {
  await server?.close();
  other?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('a session cookie the browser hands to another server on 127.0.0.1 reads nothing and cannot sign off', async () => {
  const assets = path.join(tmp, 'assets');
  buildReviewPage(assets);
  const folder = path.join(tmp, 'exports');
  const exp = await applySample(folder);
  server = await serveFolder(folder, { assetsDir: assets, detectors: async () => ({ detect: async () => [] }) });
  const taken: string[] = [];
  other = http.createServer((req, res) => {
    taken.push(req.headers.cookie ?? '');
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end('<!doctype html><title>some other local page</title>');
  });
  await new Promise<void>((resolve) => other!.listen(0, '127.0.0.1', () => resolve()));
  const { browser, close } = await launchBrowser();
  let pageToken = '';
  try {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.getByTestId(`row-${exp.id}`).waitFor();
    // What only the reviewer's tab holds (read here for the control requests below).
    pageToken = await page.evaluate(() => window.sessionStorage.getItem('deid-review.csrf') ?? '');
    // The reviewer looks at something else served on this machine.
    await page.goto(`http://127.0.0.1:${(other.address() as AddressInfo).port}/`);
  } finally {
    await close();
  }
  const cookie = /deid_review_\d+=[^;\s]+/.exec(taken.join('; '))?.[0];
  // The browser does hand it over (that is the premise; nothing the server can change).
  expect(cookie).toBeDefined();
  expect(pageToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
  // The other server's owner replays it with whatever headers they like.
  const host = `127.0.0.1:${server.port}`;
  const before = snapshot(folder);
  const reads = ['/api/items', `/api/items/${exp.id}`, `/api/items/${exp.id}/image`, `/api/items/${exp.id}/pixels`];
  for (const p of reads) {
    const r = await rawRequest(server.port, { path: p, headers: { Host: host, Cookie: cookie!, Origin: `http://${host}`, Referer: `http://${host}/` } });
    expect([p, r.status]).toEqual([p, 403]);
    expect(r.body).not.toContain(exp.id);
    // The same cookie with the page's token reads it: the refusal is the missing token, not a dead session.
    expect([p, (await rawRequest(server.port, { path: p, headers: { Host: host, Cookie: cookie!, 'X-Deid-CSRF': pageToken } })).status]).toEqual([p, 200]);
  }
  // What the cookie alone does get: the page's own code, which holds no token.
  const pageHtml = await rawRequest(server.port, { path: '/', headers: { Host: host, Cookie: cookie! } });
  expect(pageHtml.status).toBe(200);
  expect(pageHtml.body).not.toContain(pageToken);
  expect((await rawRequest(server.port, { path: '/assets/review.js', headers: { Host: host, Cookie: cookie! } })).body).not.toContain(pageToken);
  // Even knowing the revision (it cannot read it), a sign-off without the page token is refused.
  const item = JSON.parse((await rawRequest(server.port, { path: `/api/items/${exp.id}`, headers: { Host: host, Cookie: cookie!, 'X-Deid-CSRF': pageToken } })).body) as { revision: string };
  const forged = await rawRequest(server.port, {
    method: 'POST',
    path: `/api/items/${exp.id}/sign-off`,
    headers: { Host: host, Cookie: cookie!, Origin: `http://${host}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ revision: item.revision, reviewer: 'Mallory', items: MANUAL.map((id) => ({ id, status: 'not-present' })), issues: [] }),
  });
  expect(forged.status).toBe(403);
  expect(snapshot(folder)).toEqual(before);
}, 240_000);
