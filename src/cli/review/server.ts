import * as fs from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { Policy } from '../../core/policy/types';
import type { ReviewerKey } from '../../core/signature/keys';
import { indexFolder, type IndexedExport } from './folder-index';
import { PixelChecker, type DetectorLoader } from './pixel-check';
import { readRevision, reverifyExport, type ExportReport } from './reverify';
import {
  CSRF_FRAGMENT, CSRF_HEADER, HttpError, SECURITY_HEADERS, allowedHosts, cookieValue, newSecret, readJsonBody, sameSecret, send, sendJson, sessionCookieName,
} from './security';
import { parseSignOffRequest, signOffExport } from './sign-off';
import { listRow, itemView } from './views';

/** The built page (webpack.review.js); DEID_REVIEW_ASSETS points elsewhere (tests build into a temporary folder). */
export const DEFAULT_ASSETS = path.resolve(__dirname, '../../../dist-review');
/** A sign-off is a checklist of a dozen items and some notes: far below this. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface ReviewServerOptions {
  folder: string;
  policy: Policy;
  /** Loads (or creates) the reviewer's key at the first sign-off. */
  key: () => ReviewerKey;
  port?: number;
  /** Ends the server after this long without an authenticated request. */
  idleMs: number;
  assetsDir?: string;
  now?: () => Date;
  /** Loads the face and text detectors at the first residual check (default: the installed packages). */
  detectors?: DetectorLoader;
  /** Called once when the server stops, with why. */
  onStop?: (why: 'idle' | 'closed') => void;
}

export interface ReviewServer {
  url: string;
  port: number;
  close: () => Promise<void>;
  /** Resolves when the first re-verification of the whole folder has finished. */
  verified: Promise<void>;
}

const ASSETS: Readonly<Record<string, { file: string; type: string }>> = {
  '/assets/review.js': { file: 'review.js', type: 'text/javascript; charset=utf-8' },
  '/assets/review.css': { file: 'review.css', type: 'text/css; charset=utf-8' },
};
const IMAGE_TYPES = { jpeg: 'image/jpeg', png: 'image/png' } as const;
const ITEM_ROUTE = /^\/api\/items\/([^/]+)$/;
const IMAGE_ROUTE = /^\/api\/items\/([^/]+)\/image$/;
const SIGN_ROUTE = /^\/api\/items\/([^/]+)\/sign-off$/;
const PIXELS_ROUTE = /^\/api\/items\/([^/]+)\/pixels$/;
/**
 * What the session cookie alone may fetch: the page's HTML, script and styles, which hold no
 * patient data and no secret. Every other path (the list, the sidecars, the images, the residual
 * check, and any path not known) also needs the page token in CSRF_HEADER: cookies are scoped by
 * host, not port (RFC 6265 section 8.5), so the browser hands the session cookie to any other
 * server on 127.0.0.1 the reviewer visits, and that cookie must read nothing (docs/review.md,
 * "Security of the local server").
 */
const COOKIE_ONLY_ROUTES: ReadonlySet<string> = new Set(['/', ...Object.keys(ASSETS)]);

/**
 * The page carries no secret. The CSRF token used to be in a meta tag here, so the session cookie
 * alone was enough to sign off: and cookies are scoped by host, not port (RFC 6265 section 8.5),
 * so the browser hands this one to any other server on 127.0.0.1 it visits, which any local user
 * can run. The token now reaches the page only in the fragment of the sign-in redirect, which
 * browsers never send to a server (see CSRF_FRAGMENT and src/review/api.ts).
 */
function pageHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>deid review</title>
<link rel="stylesheet" href="/assets/review.css">
</head>
<body>
<div id="root"></div>
<script src="/assets/review.js"></script>
</body>
</html>
`;
}

/**
 * `deid review`'s server: node:http on 127.0.0.1 only, for one reviewer on their own machine.
 * The security model follows Jupyter's (jupyter_server auth): a 256-bit token in the printed
 * URL, exchanged once for an HttpOnly SameSite=Strict session cookie; every request's Host must
 * be this loopback address and port (DNS rebinding); every API request, read or write, also needs
 * the page token (the CSRF token, which only the page holds) in a header, and writes a
 * same-origin Origin. Exports are addressed by alternate id from the server's own
 * listing of the folder: no path from a request reaches the file system.
 */
export async function startReviewServer(opts: ReviewServerOptions): Promise<ReviewServer> {
  const token = newSecret();
  const session = newSecret();
  const csrf = newSecret();
  const assetsDir = opts.assetsDir ?? process.env.DEID_REVIEW_ASSETS ?? DEFAULT_ASSETS;
  const now = opts.now ?? (() => new Date());
  // Not named `exports`: tsc's CommonJS output reads this module's own constants (DEFAULT_ASSETS,
  // MAX_BODY_BYTES) as `exports.X`, which a local of that name would shadow.
  const listed = indexFolder(opts.folder).exports;
  const byId = new Map<string, IndexedExport>(listed.map((e) => [e.id, e]));
  const reports = new Map<string, ExportReport>();
  const pixelChecker = new PixelChecker(opts.detectors);
  let port = 0;
  let hosts = new Set<string>();
  let stopped = false;

  const verified = (async () => {
    for (const e of listed) {
      if (stopped) return;
      if (!reports.has(e.id)) reports.set(e.id, await reverifyExport(e, opts.policy));
      // Lets requests in between files: the page shows progress while the folder is checked.
      await new Promise((r) => setImmediate(r));
    }
  })();

  let idleTimer: NodeJS.Timeout | null = null;
  const touch = (): void => {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = setTimeout(() => void stop('idle'), opts.idleMs);
    idleTimer.unref();
  };

  const lookup = (raw: string): IndexedExport => {
    // Ids come from the listing; anything else (../, %2e%2e, a path) is simply not found.
    const entry = byId.get(raw);
    if (!entry) throw new HttpError(404, 'no such export in this folder');
    return entry;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const host = req.headers.host ?? '';
    if (!hosts.has(host)) throw new HttpError(403, 'wrong Host header');
    const url = new URL(req.url ?? '/', `http://${host}`);
    const route = url.pathname;
    if (req.method === 'GET' && route === '/' && url.searchParams.has('token')) {
      if (!sameSecret(url.searchParams.get('token') ?? undefined, token)) throw new HttpError(403, 'wrong token: open the URL deid review printed');
      touch();
      const cookie = `${sessionCookieName(port)}=${session}; HttpOnly; SameSite=Strict; Path=/`;
      const landing = `/#${CSRF_FRAGMENT}${csrf}`;
      if (url.searchParams.get('via') === 'file') {
        // Opened from the private redirect file (review.ts): a navigation that began on file:// is
        // cross-site all along its redirects, so the browser would not send the SameSite=Strict
        // cookie on a 303's next request. This page sends it on from this origin instead.
        send(res, 200, `<!doctype html>\n<meta http-equiv="refresh" content="0;url=${landing}"><title>deid review</title>\n`, 'text/html; charset=utf-8', { 'Set-Cookie': cookie });
        return;
      }
      // The token leaves the address bar (and history) at once; the cookie carries the session.
      res.writeHead(303, { ...SECURITY_HEADERS, Location: landing, 'Set-Cookie': cookie, 'Content-Length': '0' });
      res.end();
      return;
    }
    if (!sameSecret(cookieValue(req, sessionCookieName(port)), session)) throw new HttpError(401, 'not signed in: open the URL deid review printed');
    if (!COOKIE_ONLY_ROUTES.has(route)) {
      // Checked before the route is even looked at: the same refusal, word for word, whether an
      // export id exists or not, so a leaked cookie cannot even learn which ids there are.
      const given = req.headers[CSRF_HEADER];
      if (!sameSecret(Array.isArray(given) ? given[0] : given, csrf)) throw new HttpError(403, 'missing or wrong page token: open the URL deid review printed');
      // Only requests that carry both secrets keep the server alive: a leaked cookie replayed
      // every minute must not hold it open past --idle-minutes.
      touch();
    }
    if (req.method === 'POST') {
      const origin = req.headers.origin;
      if (origin !== `http://${host}`) throw new HttpError(403, 'cross-origin request refused');
      const given = req.headers[CSRF_HEADER];
      if (!sameSecret(Array.isArray(given) ? given[0] : given, csrf)) throw new HttpError(403, 'missing or wrong CSRF token: open the URL deid review printed');
      const m = SIGN_ROUTE.exec(route);
      if (!m) throw new HttpError(404, 'not found');
      const entry = lookup(m[1]);
      const body = parseSignOffRequest(await readJsonBody(req, MAX_BODY_BYTES));
      const report = await signOffExport(entry, body, opts.policy, opts.key, now);
      reports.set(entry.id, report);
      sendJson(res, 200, itemView(report));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'method not allowed');
    if (route === '/') {
      send(res, 200, pageHtml(), 'text/html; charset=utf-8');
      return;
    }
    const asset = ASSETS[route];
    if (asset) {
      let bytes: Buffer;
      try {
        bytes = fs.readFileSync(path.join(assetsDir, asset.file));
      } catch {
        throw new HttpError(503, 'the review page is not built: run `npm run build` first');
      }
      send(res, 200, bytes, asset.type);
      return;
    }
    if (route === '/api/items') {
      sendJson(res, 200, {
        total: listed.length,
        verified: listed.filter((e) => reports.has(e.id)).length,
        items: listed.map((e) => listRow(e.id, reports.get(e.id))),
      });
      return;
    }
    let m = IMAGE_ROUTE.exec(route);
    if (m) {
      const entry = lookup(m[1]);
      const report = reports.get(entry.id) ?? (await reverifyExport(entry, opts.policy));
      if (!entry.imagePath || !report.sidecar) throw new HttpError(404, 'no image for this export');
      let current: { revision: string; image: Buffer | null };
      try {
        current = readRevision(entry);
      } catch {
        throw new HttpError(404, 'the sidecar cannot be read');
      }
      if (!current.image) throw new HttpError(404, 'the image cannot be read');
      // The page asks for the image of the revision it shows and signs (?rev=): other bytes (a
      // re-export, a swap between the page's requests) are refused, never shown in its place.
      const rev = url.searchParams.get('rev');
      if (rev !== null && rev !== current.revision) throw new HttpError(409, 'the export changed on disk since the page read it: reload it');
      send(res, 200, current.image, IMAGE_TYPES[report.sidecar.image.format]);
      return;
    }
    m = PIXELS_ROUTE.exec(route);
    if (m) {
      // The residual check (issue 11): advice shown beside the checklist, never part of it.
      sendJson(res, 200, await pixelChecker.check(lookup(m[1]), url.searchParams.get('rev') ?? undefined));
      return;
    }
    m = ITEM_ROUTE.exec(route);
    if (m) {
      const entry = lookup(m[1]);
      // Opening an export re-verifies it now: the file may have changed since the list was made.
      const report = await reverifyExport(entry, opts.policy);
      reports.set(entry.id, report);
      sendJson(res, 200, itemView(report));
      return;
    }
    throw new HttpError(404, 'not found');
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      const message = e instanceof HttpError ? e.message : 'internal error';
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // A refused upload is not read to its end: the connection is closed after the answer.
      send(res, status, JSON.stringify({ error: message }), 'application/json; charset=utf-8', status === 413 ? { Connection: 'close' } : {});
    });
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;

  let stopping: Promise<void> | null = null;
  const stop = (why: 'idle' | 'closed'): Promise<void> => {
    if (stopping) return stopping;
    stopped = true;
    if (idleTimer) clearTimeout(idleTimer);
    stopping = new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }).then(() => opts.onStop?.(why));
    return stopping;
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  hosts = allowedHosts(port);
  touch();
  return { url: `http://127.0.0.1:${port}/?token=${token}`, port, close: () => stop('closed'), verified };
}
