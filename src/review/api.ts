import type { ItemResponse, ListResponse, PixelsResponse, SignOffBody } from './api-types';

/** The server puts the CSRF token in a meta tag (CSP allows no inline script). */
function csrfToken(): string {
  return document.querySelector('meta[name="deid-csrf"]')?.getAttribute('content') ?? '';
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

export function fetchPixels(id: string): Promise<PixelsResponse> {
  return fetch(`/api/items/${encodeURIComponent(id)}/pixels`, { cache: 'no-store' }).then((r) => answer<PixelsResponse>(r));
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
