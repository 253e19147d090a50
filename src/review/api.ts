import type { ItemResponse, ListResponse, PixelsResponse, SignOffBody } from './api-types';

const CSRF_STORAGE = 'deid-review.csrf';
const CSRF_FRAGMENT = '#csrf=';
let memoryToken = '';

/**
 * The CSRF token arrives once, in the fragment of the sign-in redirect (`/#csrf=...`): never in
 * anything the server serves for the session cookie alone, which the browser also hands to other
 * servers on 127.0.0.1 (src/cli/review/server.ts). It is kept for this tab (a reload keeps it) and
 * taken out of the address bar.
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

async function answer<T>(r: Response): Promise<T> {
  const body = (await r.json().catch(() => ({}))) as { error?: string };
  if (!r.ok) throw new ApiError(r.status, body.error ?? `the server answered ${r.status}`);
  return body as T;
}

export function fetchList(): Promise<ListResponse> {
  return fetch('/api/items', { cache: 'no-store' }).then((r) => answer<ListResponse>(r));
}

export function fetchItem(id: string): Promise<ItemResponse> {
  return fetch(`/api/items/${encodeURIComponent(id)}`, { cache: 'no-store' }).then((r) => answer<ItemResponse>(r));
}

/** The residual check of one revision (the server refuses another), as imageUrl. */
export function fetchPixels(id: string, revision: string): Promise<PixelsResponse> {
  return fetch(`/api/items/${encodeURIComponent(id)}/pixels?rev=${encodeURIComponent(revision)}`, { cache: 'no-store' }).then((r) => answer<PixelsResponse>(r));
}

/**
 * The image of one revision: a reload gets a new address (the <img> fetches again, instead of
 * keeping the image of the revision before), and the server refuses bytes of any other revision.
 */
export function imageUrl(id: string, revision: string): string {
  return `/api/items/${encodeURIComponent(id)}/image?rev=${encodeURIComponent(revision)}`;
}

export function postSignOff(id: string, body: SignOffBody): Promise<ItemResponse> {
  return fetch(`/api/items/${encodeURIComponent(id)}/sign-off`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Deid-CSRF': csrfToken() },
    body: JSON.stringify(body),
  }).then((r) => answer<ItemResponse>(r));
}
