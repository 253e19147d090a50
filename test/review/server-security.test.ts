import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startReviewServer, type ReviewServer } from '../../src/cli/review/server';
import { DEFAULT_POLICY } from '../../src/core/policy/policy';
import { generateReviewerKey } from '../../src/core/signature/keys';
import { sha256Hex } from '../../src/core/hash';
import type { DetectorRunner } from '../../src/core/detect/residual';
import { applySample, rawRequest, signIn, snapshot, type RawResponse, serveFolder } from '../helpers/review';

/**
 * Attacks on the running review server (src/cli/review/server.ts), each refused with nothing
 * written. The model is Jupyter's: token -> HttpOnly SameSite=Strict cookie, Host allowlist
 * against DNS rebinding, CSRF header + same-origin Origin on writes; and the session cookie alone
 * reads nothing but the page's own files, since the browser hands it to other servers on
 * 127.0.0.1 (every API request needs the page token too).
 */
/** The residual check's detectors, standing in: these tests are about who may ask, not what is found. */
const noDetections: DetectorRunner = { detect: async () => [] };
/** What a request with the session cookie but without the page token gets from every API path. */
const NO_PAGE_TOKEN = { status: 403, body: JSON.stringify({ error: 'missing or wrong page token: open the URL deid review printed' }) };
let tmp: string;
let folder: string;
let outside: string;
let server: ReviewServer;
let ids: string[];
let outsideId: string;
let host: string;
let cookie: string;
let csrf: string;
let token: string;
let revision: string;
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
  // The page's files, standing in for the built page: what matters here is who may fetch them.
  const assetsDir = path.join(tmp, 'assets');
  fs.mkdirSync(assetsDir);
  fs.writeFileSync(path.join(assetsDir, 'review.js'), '/* page */\n');
  fs.writeFileSync(path.join(assetsDir, 'review.css'), '/* styles */\n');
  server = await serveFolder(folder, { assetsDir, detectors: async () => noDetections });
  token = new URL(server.url).searchParams.get('token')!;
  // The CSRF token reaches the page only in the redirect's fragment, never in what the cookie fetches.
  ({ host, cookie, csrf } = await signIn(server.url));
  revision = (JSON.parse((await rawRequest(server.port, { path: `/api/items/${ids[0]}`, headers: reader() })).body) as { revision: string }).revision;
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

/** The page's own files: no data, no secret; the session cookie alone fetches them. */
const PAGE_ROUTES = ['/', '/assets/review.js', '/assets/review.css'];
/** Every read the API answers: the list, one export (its sidecar), its image and its residual check, with and without ?rev=. */
function apiRoutes(): string[] {
  const id = ids[0];
  return ['/api/items', `/api/items/${id}`, `/api/items/${id}/image`, `/api/items/${id}/image?rev=${revision}`, `/api/items/${id}/pixels`, `/api/items/${id}/pixels?rev=${revision}`];
}
function routes(): string[] {
  return [...PAGE_ROUTES, ...apiRoutes()];
}
/** What the page sends with every read: the session cookie and the page token. */
const reader = (): Record<string, string> => ({ Host: host, Cookie: cookie, 'X-Deid-CSRF': csrf });

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

test('every response carries the security headers, served or refused', async () => {
  const responses: RawResponse[] = [];
  for (const p of routes()) {
    responses.push(await rawRequest(server.port, { path: p, headers: reader() }));
    responses.push(await rawRequest(server.port, { path: p, headers: { Host: host, Cookie: cookie } }));
  }
  responses.push(await rawRequest(server.port, { path: '/api/items', headers: { Host: 'evil.example' } }));
  for (const r of responses) {
    // Images only through the page's object URLs (blob:); everything else from the page's own origin.
    expect(r.headers['content-security-policy']).toBe("default-src 'self'; img-src blob:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    // Nothing kept by the browser's or any proxy's cache for a later reader of the profile.
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['cross-origin-resource-policy']).toBe('same-origin');
  }
});

test('the session cookie alone gets the page\'s own files and nothing under /api (403, one answer for every path)', async () => {
  for (const p of PAGE_ROUTES) {
    expect([p, (await rawRequest(server.port, { path: p, headers: { Host: host, Cookie: cookie } })).status]).toEqual([p, 200]);
  }
  const fake = 'A'.repeat(ids[0].length);
  const probes = [
    ...apiRoutes(), '/api', '/api/', '/api/items/', `/api/items/${fake}`, `/api/items/${fake}/image`, `/api/items/${ids[0]}/nothing`, `/api/items/${outsideId}`,
    '/favicon.ico', '/assets/', '/assets/other.js', '/assets/review.js/', '//api/items', '/API/items', `/api/items/${ids[0]}/image?rev=${revision}&token=${token}`,
  ];
  const wrongTokens = [undefined, '', 'nope', `${csrf}x`, csrf.slice(1), csrf.toLowerCase() === csrf ? csrf.toUpperCase() : csrf.toLowerCase(), cookie.split('=')[1], token, `${csrf}, ${csrf}`];
  for (const p of probes) {
    for (const given of wrongTokens) {
      for (const method of ['GET', 'HEAD']) {
        const headers: Record<string, string> = { Host: host, Cookie: cookie };
        if (given !== undefined) headers['X-Deid-CSRF'] = given;
        const r = await rawRequest(server.port, { method, path: p, headers });
        // The same status and body whether the export exists or not: not even the ids are learnt.
        expect([p, given, method, r.status]).toEqual([p, given, method, NO_PAGE_TOKEN.status]);
        if (method === 'GET') expect([p, given, r.body]).toEqual([p, given, NO_PAGE_TOKEN.body]);
      }
    }
  }
  // The page token as a query parameter or a cookie is no header: still refused.
  for (const p of [`/api/items?csrf=${csrf}`, `/api/items?x-deid-csrf=${csrf}`]) {
    expect((await rawRequest(server.port, { path: p, headers: { Host: host, Cookie: cookie } })).status).toBe(403);
  }
  expect((await rawRequest(server.port, { path: '/api/items', headers: { Host: host, Cookie: `${cookie}; x-deid-csrf=${csrf}; csrf=${csrf}` } })).status).toBe(403);
  // The page token without the session cookie is no session either.
  for (const p of apiRoutes()) expect((await rawRequest(server.port, { path: p, headers: { Host: host, 'X-Deid-CSRF': csrf } })).status).toBe(401);
});

test('with the session cookie and the page token every read works, and serves what is on disk', async () => {
  const list = await rawRequest(server.port, { path: '/api/items', headers: reader() });
  expect(list.status).toBe(200);
  expect((JSON.parse(list.body) as { items: { id: string }[] }).items.map((i) => i.id).sort()).toEqual([...ids].sort());
  const item = await rawRequest(server.port, { path: `/api/items/${ids[0]}`, headers: reader() });
  expect(item.status).toBe(200);
  const sidecarPath = Object.keys(before).find((f) => f.endsWith(`${ids[0]}.deid.json`))!;
  const onDisk = JSON.parse(fs.readFileSync(sidecarPath, 'utf8')) as { image: { sha256: string } };
  expect((JSON.parse(item.body) as { image: { sha256: string } }).image.sha256).toBe(onDisk.image.sha256);
  for (const p of [`/api/items/${ids[0]}/image`, `/api/items/${ids[0]}/image?rev=${revision}`]) {
    const image = await rawRequest(server.port, { path: p, headers: reader() });
    expect([p, image.status, image.headers['content-type']]).toEqual([p, 200, 'image/jpeg']);
    expect(sha256Hex(image.bytes)).toBe(onDisk.image.sha256);
  }
  for (const p of [`/api/items/${ids[0]}/pixels`, `/api/items/${ids[0]}/pixels?rev=${revision}`]) {
    const pixels = await rawRequest(server.port, { path: p, headers: reader() });
    expect([p, pixels.status]).toEqual([p, 200]);
    expect((JSON.parse(pixels.body) as { uncovered: unknown[] }).uncovered).toEqual([]);
  }
  // The residual check and the image of another revision are still refused (409), now behind both secrets.
  expect((await rawRequest(server.port, { path: `/api/items/${ids[0]}/image?rev=${'0'.repeat(64)}`, headers: reader() })).status).toBe(409);
});

test('nothing the session cookie alone can send makes the server answer with a secret', async () => {
  const session = cookie.split('=')[1]!;
  const secrets = { csrf, token, session };
  const page = (await rawRequest(server.port, { path: '/', headers: { Host: host, Cookie: cookie } })).body;
  const paths = ['/', '/?token=', `/?token=${token.slice(0, -1)}`, `/?token=${token.slice(0, -1)}&via=file`, '/?via=file', `/?token=${session}`, `/?token=${csrf}`, '/#csrf=x', '/?csrf=1', '/api/items', `/api/items/${ids[0]}`, '/nothing'];
  const methods = ['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE', 'PATCH', 'POST'];
  for (const p of paths) {
    for (const method of methods) {
      // Whatever else a caller may add: the cookie, a same-origin Origin, headers a server might reflect.
      const r = await rawRequest(server.port, {
        method,
        path: p,
        headers: { Host: host, Cookie: cookie, Origin: `http://${host}`, Referer: `http://${host}/#csrf=${'x'.repeat(43)}`, 'X-Forwarded-Host': host, 'Content-Type': 'application/json' },
        body: method === 'POST' || method === 'PUT' || method === 'PATCH' ? '{}' : undefined,
      });
      const all = `${JSON.stringify(r.headers)}\n${r.body}`;
      for (const [name, value] of Object.entries(secrets)) expect([method, p, name, all.includes(value)]).toEqual([method, p, name, false]);
      // No new session either, and no redirect that a browser would follow with a fragment.
      expect([method, p, r.headers['set-cookie'], r.headers.location]).toEqual([method, p, undefined, undefined]);
      expect(r.headers['cache-control']).toBe('no-store');
      // Anything answered at all is the page itself (no data, no secret); the rest is refused.
      if (r.status < 400) expect([method, p, r.status, r.body === page || (method === 'HEAD' && r.body === '')]).toEqual([method, p, 200, true]);
    }
  }
});

test('a wrong Host header is refused on every route, even with a valid cookie and page token (DNS rebinding)', async () => {
  for (const h of [`evil.example:${server.port}`, 'evil.example', `127.0.0.1:${server.port + 1}`, `127.0.0.2:${server.port}`, '']) {
    for (const p of [...routes(), `/?token=${token}`]) {
      const r = await rawRequest(server.port, { path: p, headers: { ...reader(), Host: h } });
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
    expect((await rawRequest(server.port, { path: p, headers: { Host: host, Cookie: `deid_review_${server.port}=guess`, 'X-Deid-CSRF': csrf } })).status).toBe(401);
  }
  const wrong = await rawRequest(server.port, { path: '/?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', headers: { Host: host } });
  expect(wrong.status).toBe(403);
  expect(wrong.headers['set-cookie']).toBeUndefined();
  const listing = await rawRequest(server.port, { path: '/api/items', headers: { Host: host, Cookie: 'x=1', 'X-Deid-CSRF': csrf } });
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
    const r = await rawRequest(server.port, { path: p, headers: reader() });
    expect([p, r.status === 404 || r.status === 400]).toEqual([p, true]);
    expect(r.body).not.toContain('SECRET-OUTSIDE');
    expect(r.body).not.toContain('"devDependencies"');
    const w = await post(`${p.replace(/\/image$/, '')}/sign-off`, ok());
    expect([p, w.status === 404 || w.status === 400]).toEqual([p, true]);
  }
});

test('a symlink in the folder pointing outside it is neither listed nor served', async () => {
  const list = await rawRequest(server.port, { path: '/api/items', headers: reader() });
  const listed = (JSON.parse(list.body) as { items: { id: string }[] }).items.map((i) => i.id).sort();
  expect(listed).toEqual([...ids].sort());
  expect((await rawRequest(server.port, { path: `/api/items/${outsideId}`, headers: reader() })).status).toBe(404);
  expect((await rawRequest(server.port, { path: `/api/items/${outsideId}/image`, headers: reader() })).status).toBe(404);
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
  const item = JSON.parse((await rawRequest(server.port, { path: `/api/items/${ids[0]}`, headers: reader() })).body) as { revision: string };
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

test('requests with the session cookie alone do not keep the server from stopping when idle', async () => {
  // A leaked cookie replayed on a timer must not hold the server (and the reviewer's key) open past
  // --idle-minutes: only requests that carry the page token count as use.
  const idleFolder = path.join(tmp, 'idle');
  await applySample(idleFolder);
  let stoppedWhy: string | null = null;
  const idle = await startReviewServer({ folder: idleFolder, policy: DEFAULT_POLICY, key: () => generateReviewerKey(), idleMs: 1000, onStop: (why) => (stoppedWhy = why) });
  try {
    const leaked = (await signIn(idle.url)).cookie;
    const at = { Host: `127.0.0.1:${idle.port}`, Cookie: leaked };
    // Ten times a second for up to a minute; the server should stop about a second in. No time is
    // asserted: a loaded machine only makes it take longer.
    for (let i = 0; i < 600 && stoppedWhy === null; i++) {
      for (const p of ['/', '/api/items', `/api/items/x/image`]) await rawRequest(idle.port, { path: p, headers: at }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(stoppedWhy).toBe('idle');
  } finally {
    await idle.close();
  }
}, 120_000);
