import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startReviewServer, type ReviewServer } from '../../src/cli/review/server';
import { DEFAULT_POLICY } from '../../src/core/policy/policy';
import { generateReviewerKey } from '../../src/core/signature/keys';
import { applySample, rawRequest, snapshot, type RawResponse } from '../helpers/review';

/**
 * Attacks on the running review server (src/cli/review/server.ts), each refused with nothing
 * written. The model is Jupyter's: token -> HttpOnly SameSite=Strict cookie, Host allowlist
 * against DNS rebinding, CSRF header + same-origin Origin on writes.
 */
let tmp: string;
let folder: string;
let outside: string;
let server: ReviewServer;
let ids: string[];
let outsideId: string;
let host: string;
let cookie: string;
let csrf: string;
let before: Record<string, string>;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-review-sec-'));
  folder = path.join(tmp, 'exports');
  outside = path.join(tmp, 'elsewhere');
  ids = [(await applySample(folder)).id, (await applySample(folder)).id];
  const out = await applySample(outside);
  outsideId = out.id;
  // Links that point out of the folder: a folder link and file links with an export's names.
  fs.symlinkSync(outside, path.join(folder, 'linked-folder'));
  fs.mkdirSync(path.join(folder, 'sub'));
  fs.symlinkSync(out.sidecar, path.join(folder, 'sub', `${outsideId}.deid.json`));
  fs.symlinkSync(out.image, path.join(folder, 'sub', path.basename(out.image)));
  fs.writeFileSync(path.join(tmp, 'secret.txt'), 'SECRET-OUTSIDE-THE-FOLDER');
  const key = generateReviewerKey();
  server = await startReviewServer({ folder, policy: DEFAULT_POLICY, key: () => key, idleMs: 600_000 });
  await server.verified;
  host = `127.0.0.1:${server.port}`;
  const token = new URL(server.url).searchParams.get('token')!;
  const login = await rawRequest(server.port, { path: `/?token=${token}`, headers: { Host: host } });
  expect(login.status).toBe(303);
  cookie = String(login.headers['set-cookie']).split(';')[0];
  // The CSRF token reaches the page only in the redirect's fragment, never in what the cookie fetches.
  csrf = /^\/#csrf=([A-Za-z0-9_-]+)$/.exec(String(login.headers.location))![1];
  before = { ...snapshot(folder), ...snapshot(outside) };
});

afterAll(async () => {
  await server?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

afterEach(() => {
  // Whatever a test threw at the server, no file changed anywhere.
  expect({ ...snapshot(folder), ...snapshot(outside) }).toEqual(before);
});

function routes(): string[] {
  return ['/', '/assets/review.js', '/assets/review.css', '/api/items', `/api/items/${ids[0]}`, `/api/items/${ids[0]}/image`];
}

function signOffBody(revision = 'x'.repeat(64)): string {
  return JSON.stringify({ revision, reviewer: 'Mallory', items: [], issues: [] });
}

function post(pathname: string, headers: Record<string, string>, body = signOffBody()): Promise<RawResponse> {
  return rawRequest(server.port, { method: 'POST', path: pathname, headers: { 'Content-Type': 'application/json', ...headers }, body });
}

const ok = (): Record<string, string> => ({ Host: host, Cookie: cookie, Origin: `http://${host}`, 'X-Deid-CSRF': csrf });

test('the token is exchanged for an HttpOnly SameSite=Strict cookie and leaves the URL', async () => {
  const token = new URL(server.url).searchParams.get('token')!;
  // 256 bits, base64url.
  expect(Buffer.from(token, 'base64url')).toHaveLength(32);
  const r = await rawRequest(server.port, { path: `/?token=${token}`, headers: { Host: host } });
  expect(r.status).toBe(303);
  // The bare address; the fragment (never sent to a server) carries the CSRF token to the page.
  expect(r.headers.location).toMatch(/^\/#csrf=[A-Za-z0-9_-]{43}$/);
  expect(r.headers.location).not.toContain(token);
  const set = String(r.headers['set-cookie']);
  expect(set).toMatch(/HttpOnly/);
  expect(set).toMatch(/SameSite=Strict/);
  expect(set).not.toContain(token);
});

test('every response carries the security headers', async () => {
  for (const p of routes()) {
    const r = await rawRequest(server.port, { path: p, headers: { Host: host, Cookie: cookie } });
    expect(r.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(r.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
  }
  const refused = await rawRequest(server.port, { path: '/api/items', headers: { Host: 'evil.example' } });
  expect(refused.headers['content-security-policy']).toMatch(/default-src 'self'/);
});

test('a wrong Host header is refused on every route, even with a valid cookie (DNS rebinding)', async () => {
  const token = new URL(server.url).searchParams.get('token')!;
  for (const h of [`evil.example:${server.port}`, 'evil.example', `127.0.0.1:${server.port + 1}`, `127.0.0.2:${server.port}`, '']) {
    for (const p of [...routes(), `/?token=${token}`]) {
      const r = await rawRequest(server.port, { path: p, headers: { Host: h, Cookie: cookie } });
      expect([p, h, r.status]).toEqual([p, h, 403]);
      expect(r.headers['set-cookie']).toBeUndefined();
    }
    const w = await post(`/api/items/${ids[0]}/sign-off`, { ...ok(), Host: h, Origin: `http://${h}` });
    expect(w.status).toBe(403);
  }
});

test('no cookie, a wrong cookie, or a wrong token gets nothing', async () => {
  for (const p of routes()) {
    expect((await rawRequest(server.port, { path: p, headers: { Host: host } })).status).toBe(401);
    expect((await rawRequest(server.port, { path: p, headers: { Host: host, Cookie: `deid_review_${server.port}=guess` } })).status).toBe(401);
  }
  const wrong = await rawRequest(server.port, { path: '/?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', headers: { Host: host } });
  expect(wrong.status).toBe(403);
  expect(wrong.headers['set-cookie']).toBeUndefined();
  const listing = await rawRequest(server.port, { path: '/api/items', headers: { Host: host, Cookie: 'x=1' } });
  expect(listing.body).not.toContain(ids[0]);
  expect((await post(`/api/items/${ids[0]}/sign-off`, { ...ok(), Cookie: '' })).status).toBe(401);
});

test('cross-origin and token-less writes are refused (CSRF)', async () => {
  const target = `/api/items/${ids[0]}/sign-off`;
  const cases: [string, Record<string, string>][] = [
    ['another origin', { ...ok(), Origin: 'http://evil.example' }],
    ['a look-alike origin', { ...ok(), Origin: `http://127.0.0.1:${server.port}.evil.example` }],
    ['the null origin', { ...ok(), Origin: 'null' }],
    ['no Origin', (({ Origin: _o, ...rest }) => rest)(ok())],
    ['no CSRF header', (({ 'X-Deid-CSRF': _c, ...rest }) => rest)(ok())],
    ['a wrong CSRF token', { ...ok(), 'X-Deid-CSRF': 'nope' }],
  ];
  for (const [what, headers] of cases) {
    const r = await post(target, headers);
    expect([what, r.status]).toEqual([what, 403]);
  }
});

test('path traversal, encoded or not, reaches nothing on any route', async () => {
  const probes = [
    '/../secret.txt', '/%2e%2e/secret.txt', '/assets/../../secret.txt', '/assets/..%2f..%2fsecret.txt', '/assets/%2e%2e%2f%2e%2e%2fpackage.json',
    '/assets/review.js/../../../secret.txt', '/api/items/..%2f..%2fsecret.txt', '/api/items/../../secret.txt', '/api/items/%2e%2e%2fsecret.txt/image',
    `/api/items/..%2F${ids[0]}`, `/api/items/${ids[0]}%2f..%2f..%2fsecret.txt/image`, `/api/items/sub%2f${outsideId}`, '/api/items/%252e%252e%252fsecret.txt',
    `/api/items/${ids[0]}/../../../secret.txt`, '/api/items/..%5c..%5csecret.txt/image', `/api/items/${encodeURIComponent(path.join(tmp, 'secret.txt'))}/image`,
  ];
  for (const p of probes) {
    const r = await rawRequest(server.port, { path: p, headers: { Host: host, Cookie: cookie } });
    expect([p, r.status === 404 || r.status === 400]).toEqual([p, true]);
    expect(r.body).not.toContain('SECRET-OUTSIDE');
    expect(r.body).not.toContain('"devDependencies"');
    const w = await post(`${p.replace(/\/image$/, '')}/sign-off`, ok());
    expect([p, w.status === 404 || w.status === 400]).toEqual([p, true]);
  }
});

test('a symlink in the folder pointing outside it is neither listed nor served', async () => {
  const list = await rawRequest(server.port, { path: '/api/items', headers: { Host: host, Cookie: cookie } });
  const listed = (JSON.parse(list.body) as { items: { id: string }[] }).items.map((i) => i.id).sort();
  expect(listed).toEqual([...ids].sort());
  expect((await rawRequest(server.port, { path: `/api/items/${outsideId}`, headers: { Host: host, Cookie: cookie } })).status).toBe(404);
  expect((await rawRequest(server.port, { path: `/api/items/${outsideId}/image`, headers: { Host: host, Cookie: cookie } })).status).toBe(404);
  expect((await post(`/api/items/${outsideId}/sign-off`, ok())).status).toBe(404);
});

test('an oversized body is refused before it is read, with or without Content-Length', async () => {
  const big = Buffer.alloc(2 * 1024 * 1024, 0x20);
  const declared = await post(`/api/items/${ids[0]}/sign-off`, ok(), big.toString());
  expect(declared.status).toBe(413);
  const chunked = await rawRequest(server.port, {
    method: 'POST',
    path: `/api/items/${ids[0]}/sign-off`,
    headers: { ...ok(), 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
    chunks: Array.from({ length: 32 }, () => Buffer.alloc(64 * 1024, 0x20)),
  });
  expect(chunked.status).toBe(413);
});

test('with a valid session the server still applies the checklist rules and the lost-update check', async () => {
  const item = JSON.parse((await rawRequest(server.port, { path: `/api/items/${ids[0]}`, headers: { Host: host, Cookie: cookie } })).body) as { revision: string };
  const open = await post(`/api/items/${ids[0]}/sign-off`, ok(), signOffBody(item.revision));
  expect(open.status).toBe(422);
  expect(JSON.parse(open.body).error).toMatch(/cannot sign off while these are open:[\s\S]*not checked: Faces/);
  const autoTicked = JSON.stringify({ revision: item.revision, reviewer: 'M', items: [{ id: 'flattened', status: 'unchecked' }], issues: [] });
  expect(JSON.parse((await post(`/api/items/${ids[0]}/sign-off`, ok(), autoTicked)).body).error).toMatch(/cannot be set by hand/);
  const stale = await post(`/api/items/${ids[0]}/sign-off`, ok(), signOffBody('0'.repeat(64)));
  expect(stale.status).toBe(409);
  const malformed = await post(`/api/items/${ids[0]}/sign-off`, ok(), '{"revision": 1}');
  expect(malformed.status).toBe(400);
  const notJson = await rawRequest(server.port, { method: 'POST', path: `/api/items/${ids[0]}/sign-off`, headers: { ...ok(), 'Content-Type': 'text/plain' }, body: signOffBody(item.revision) });
  expect(notJson.status).toBe(415);
});
