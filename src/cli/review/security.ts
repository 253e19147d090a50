import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** 256-bit random secrets, URL-safe (as Jupyter's token). */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function sameSecret(given: string | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Cookies are scoped by host, not port (RFC 6265 section 8.5): two review servers on one machine
 * would overwrite each other's session under one name, so the port is part of it.
 */
export function sessionCookieName(port: number): string {
  return `deid_review_${port}`;
}
/** The page token (also the CSRF token): needed on every request but the page's own files (server.ts COOKIE_ONLY_ROUTES). */
export const CSRF_HEADER = 'x-deid-csrf';
/** The sign-in redirect goes to `/#csrf=<token>`: the page keeps it in sessionStorage (src/review/api.ts). */
export const CSRF_FRAGMENT = 'csrf=';

/**
 * Sent with every response. CSP `default-src 'self'` keeps the page to its own script, styles
 * and requests (no inline script; the CSRF token travels in the sign-in redirect's fragment).
 * Images only from `blob:`: the page fetches each image with the page token in a header (an <img>
 * cannot send one; server.ts COOKIE_ONLY_ROUTES) and shows the bytes through an object URL, and
 * the server has no other image to show. The rest stop framing, referrers (the URL once held the
 * token), caching of patient images and MIME sniffing (OWASP HTTP Headers Cheat Sheet).
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy': "default-src 'self'; img-src blob:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
});

/** The Host values a browser sends for this server; anything else is DNS rebinding or a stray client. */
export function allowedHosts(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
}

export function cookieValue(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function send(res: ServerResponse, status: number, body: string | Uint8Array, type: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), ...extra });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), 'application/json; charset=utf-8');
}

export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Reads a JSON body of at most `limit` bytes; more is refused before it is buffered (413). */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new HttpError(413, `request body larger than ${limit} bytes`);
  const type = String(req.headers['content-type'] ?? '');
  if (!/^application\/json(\s*;|$)/i.test(type)) throw new HttpError(415, 'send application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `request body larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'the body is not JSON');
  }
}
