import type { ItemResponse, ListResponse, PixelsResponse, SignOffBody } from './api-types';

const CSRF_STORAGE = 'deid-review.csrf';
const CSRF_FRAGMENT = '#csrf=';
let memoryToken = '';

/**
 * The page token (the CSRF token) arrives once, in the fragment of the sign-in redirect
 * (`/#csrf=...`): never in anything the server serves for the session cookie alone, which the
 * browser also hands to other servers on 127.0.0.1 (src/cli/review/server.ts). It is kept for this
 * tab (a reload keeps it) and taken out of the address bar. Every request to /api carries it: the
 * cookie alone reads nothing there.
 */
export function takeCsrfFromUrl(): void {
  if (!window.location.hash.startsWith(CSRF_FRAGMENT)) return;
  try {
    window.sessionStorage.setItem(CSRF_STORAGE, window.location.hash.slice(CSRF_FRAGMENT.length));
  } catch {
    // Storage refused: held in memory for this page instead.
  }
  memoryToken = window.location.hash.slice(CSRF_FRAGMENT.length);
  window.history.replaceState(null, '', window.location.pathname);
}
function csrfToken(): string {
  try {
    return window.sessionStorage.getItem(CSRF_STORAGE) ?? memoryToken;
  } catch {
    return memoryToken;
  }
}

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

async function errorOf(r: Response): Promise<ApiError> {
  const body = (await r.json().catch(() => ({}))) as { error?: string };
  return new ApiError(r.status, body.error ?? `the server answered ${r.status}`);
}

async function answer<T>(r: Response): Promise<T> {
  if (!r.ok) throw await errorOf(r);
  return (await r.json()) as T;
}

/** A GET of the API, with the page token (server.ts refuses the session cookie alone, 403). */
function get(route: string): Promise<Response> {
  return fetch(route, { cache: 'no-store', headers: { 'X-Deid-CSRF': csrfToken() } });
}

export function fetchList(): Promise<ListResponse> {
  return get('/api/items').then((r) => answer<ListResponse>(r));
}

export function fetchItem(id: string): Promise<ItemResponse> {
  return get(`/api/items/${encodeURIComponent(id)}`).then((r) => answer<ItemResponse>(r));
}

/** The residual check of one revision (the server refuses another), as fetchImage. */
export function fetchPixels(id: string, revision: string): Promise<PixelsResponse> {
  return get(`/api/items/${encodeURIComponent(id)}/pixels?rev=${encodeURIComponent(revision)}`).then((r) => answer<PixelsResponse>(r));
}

/**
 * The image of one revision, as bytes for an object URL: an <img> cannot send the page token,
 * so the page fetches the image itself (the CSP allows `img-src blob:` for it). The server
 * refuses bytes of any other revision (409): the reviewer signs the image they saw.
 */
export async function fetchImage(id: string, revision: string): Promise<Blob> {
  const r = await get(`/api/items/${encodeURIComponent(id)}/image?rev=${encodeURIComponent(revision)}`);
  if (!r.ok) throw await errorOf(r);
  return r.blob();
}

export function postSignOff(id: string, body: SignOffBody): Promise<ItemResponse> {
  return fetch(`/api/items/${encodeURIComponent(id)}/sign-off`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Deid-CSRF': csrfToken() },
    body: JSON.stringify(body),
  }).then((r) => answer<ItemResponse>(r));
}
