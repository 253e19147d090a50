import { entrypoints } from 'uxp';

/**
 * The panel's wiring into UXP's `entrypoints.setup` (the one place that touches it, so the panel
 * code stays free of host modules). Owned by the panel side; see research/photoshop-uxp.md.
 */
declare module 'uxp' {
  /** Typed here as unknown and narrowed below: @adobe/cc-ext-uxp-types declares `panels` as
   *  an array with every callback required, which is not what UXP accepts. */
  export const entrypoints: unknown;
}

/** One item of a panel's fly-out menu. */
export interface PanelMenuItem {
  id: string;
  label: string;
  enabled?: boolean;
  checked?: boolean;
}

/**
 * Manifest v5 panel callbacks: `create(rootNode)`, `show(rootNode, data)`, ... Each may return a
 * promise and times out after 300 ms, so mounting must be quick.
 */
export interface PanelHandlers {
  create(rootNode: HTMLElement): void | Promise<void>;
  show?(rootNode: HTMLElement, data?: unknown): void | Promise<void>;
  hide?(rootNode: HTMLElement, data?: unknown): void | Promise<void>;
  destroy?(rootNode: HTMLElement): void | Promise<void>;
  invokeMenu?(id: string): void | Promise<void>;
  menuItems?: PanelMenuItem[];
}

interface EntrypointsApi {
  setup(config: { panels: Record<string, PanelHandlers> }): void;
}

function isEntrypointsApi(value: unknown): value is EntrypointsApi {
  return typeof value === 'object' && value !== null && typeof (value as { setup?: unknown }).setup === 'function';
}

/**
 * Registers the panel. UXP allows ONE `setup` call per plugin and it must happen while the
 * script is first evaluated (a later call misses the panel's create), so call this at module load.
 */
export function registerPanel(panelId: string, handlers: PanelHandlers): void {
  if (!isEntrypointsApi(entrypoints)) {
    throw new Error('uxp.entrypoints.setup is not available: this bundle must run inside Photoshop (UXP)');
  }
  entrypoints.setup({ panels: { [panelId]: handlers } });
}
