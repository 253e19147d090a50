/**
 * Loads the BUILT panel bundle the way UXP does: one script evaluated in a fresh context that
 * holds only what UXP documents as global members (AdobeDocs/uxp src/pages/uxp-api/
 * reference-js/Global Members: each page is titled `window.<name>`), ECMAScript's own built-ins,
 * and `require` for the host modules. The globals the panel uses WITHOUT a documented source
 * (src/panels/environment.ts) are added on top, or left out one at a time.
 */
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { TextDecoder, TextEncoder } from 'node:util';
import { JSDOM } from 'jsdom';

/** Global Members index pages (HTML DOM, HTML Elements, HTML Events, Data Transfers, ...). */
export const DOCUMENTED_GLOBALS = [
  // HTML DOM
  'document', 'AbortController', 'AbortSignal', 'alert', 'Attr', 'CanvasGradient', 'CanvasRenderingContext2D', 'CharacterData', 'Comment',
  'customElements', 'Document', 'DocumentFragment', 'DOMTokenList', 'Element', 'HTMLCollection', 'IntersectionObserver', 'NamedNodeMap', 'Node',
  'NodeFilter', 'NodeList', 'Path2D', 'ResizeObserver', 'ShadowRoot', 'Text', 'TreeWalker', 'confirm', 'prompt', 'getComputedStyle',
  // HTML Elements
  'HTMLAnchorElement', 'HTMLBodyElement', 'HTMLButtonElement', 'HTMLCanvasElement', 'HTMLDialogElement', 'HTMLElement', 'HTMLHeadElement',
  'HTMLHtmlElement', 'HTMLImageElement', 'HTMLInputElement', 'HTMLLabelElement', 'HTMLLinkElement', 'HTMLMenuElement', 'HTMLOptionElement',
  'HTMLProgressElement', 'HTMLScriptElement', 'HTMLSelectElement', 'HTMLSlotElement', 'HTMLStyleElement', 'HTMLTemplateElement',
  'HTMLTextAreaElement', 'HTMLVideoElement',
  // HTML Events
  'CloseEvent', 'DragEvent', 'ErrorEvent', 'Event', 'EventTarget', 'KeyboardEvent', 'MessageEvent', 'PointerEvent', 'ProgressEvent',
  // Data Transfers, Crypto, Data Storage, Streams
  'Blob', 'fetch', 'FormData', 'Headers', 'Request', 'Response', 'WebSocket', 'XMLHttpRequest', 'crypto', 'localStorage', 'sessionStorage',
  'ReadableStream', 'WritableStream', 'TransformStream', 'CountQueuingStrategy',
] as const;

export interface LoadResult {
  setupCalls: Array<{ panels: Record<string, { create(root: unknown): unknown; menuItems?: unknown }> }>;
  window: Record<string, unknown>;
  document: Document;
  error: unknown;
}

/**
 * Runs `bundle` with the documented globals plus every name of `undocumented` except those in
 * `omit` (taken from Node, or from jsdom for DOM classes).
 */
export function loadBundle(bundleFile: string, undocumented: readonly string[], omit: readonly string[] = []): LoadResult {
  const dom = new JSDOM('<!DOCTYPE html><html><body></body></html>', { pretendToBeVisual: true, url: 'https://uxp.invalid/' });
  const win = dom.window as unknown as Record<string, unknown>;
  const sandbox: Record<string, unknown> = {};
  for (const name of DOCUMENTED_GLOBALS) if (name in win) sandbox[name] = win[name];
  const fromNode: Record<string, unknown> = { setTimeout, clearTimeout, TextEncoder, TextDecoder, URL };
  for (const name of undocumented) {
    if (omit.includes(name)) continue;
    const value = name in fromNode ? fromNode[name] : win[name];
    if (value === undefined) throw new Error(`the test has no ${name} to grant`);
    sandbox[name] = value;
  }
  const setupCalls: LoadResult['setupCalls'] = [];
  const uxp = {
    entrypoints: { setup: (config: LoadResult['setupCalls'][number]) => setupCalls.push(config) },
    storage: { localFileSystem: {}, formats: { binary: Symbol('binary'), utf8: Symbol('utf8') } },
  };
  sandbox.require = (name: string): unknown => {
    if (name === 'uxp') return uxp;
    if (name === 'photoshop') return { app: {}, core: {}, action: {}, imaging: {}, constants: {} };
    throw new Error(`Cannot find module '${name}'`);
  };
  const context = vm.createContext(sandbox);
  // window.X: the context's global is the window.
  sandbox.window = vm.runInContext('this', context);
  let error: unknown = null;
  try {
    vm.runInContext(fs.readFileSync(bundleFile, 'utf8'), context, { filename: path.basename(bundleFile) });
  } catch (e) {
    error = e;
  }
  return { setupCalls, window: sandbox, document: win.document as Document, error };
}
