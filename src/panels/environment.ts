/**
 * Globals the panel (React, the JSON-schema validator, sidecar text) uses that UXP's reference
 * does not list among its global members (AdobeDocs/uxp src/pages/uxp-api/reference-js/
 * Global Members: Crypto, Data Storage, Data Transfers, HTML DOM, HTML Elements, HTML Events,
 * ImageBlob, Path, Streams). Photoshop's UXP has provided them in practice, but nothing
 * promises it, so the panel checks for them when it is created and says which are missing
 * instead of failing silently (UXP drops uncaught errors).
 */
export const UNDOCUMENTED_GLOBALS = [
  // React's scheduler (the panel cannot render without it)
  'setTimeout',
  'clearTimeout',
  // React DOM's commit phase tests `element instanceof window.HTMLIFrameElement`
  'HTMLIFrameElement',
  // sidecar text (src/actions/text.ts)
  'TextEncoder',
  'TextDecoder',
  // @cfworker/json-schema builds a base URL when it loads
  'URL',
] as const;

export function missingGlobals(scope: object = globalThis): string[] {
  const record = scope as Record<string, unknown>;
  return UNDOCUMENTED_GLOBALS.filter((name) => typeof record[name] !== 'function');
}

/**
 * Shows a problem in the panel with nothing but documented DOM calls (createElement,
 * textContent, appendChild), so it works even when React could not load.
 */
export function showProblem(rootNode: HTMLElement, message: string): void {
  const box = document.createElement('div');
  box.className = 'deid-error';
  box.setAttribute('data-testid', 'panel-problem');
  box.textContent = message;
  rootNode.appendChild(box);
}
