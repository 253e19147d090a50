import { createRoot, type Root } from 'react-dom/client';
import type { Host } from '../actions';
import type { Policy } from '../core/policy/types';
import { App } from './App';
import { createPanelCommands, type PanelCommands } from './commands';

import { MENU_ITEMS, MENU_SELF_TEST } from './panel-ids';

export { MENU_SELF_TEST, PANEL_ID } from './panel-ids';

export interface PanelOptions {
  /** Made lazily at first create, so a failing host never breaks registration. */
  makeHost(): Host;
  policy: Policy;
  toolVersion: string;
}

export interface PanelController {
  commands: PanelCommands;
  menuItems: { id: string; label: string }[];
  create(rootNode: HTMLElement): void;
  show(rootNode: HTMLElement): void;
  destroy(): void;
  invokeMenu(id: string): void;
}

/**
 * The UXP panel lifecycle around React: create/show mount the App into a node of its own inside
 * the panel's root (once; UXP calls show every time the panel appears), destroy unmounts. These
 * callbacks must return within 300 ms, so they only start React's render.
 */
export function createPanelController(options: PanelOptions): PanelController {
  const commands = createPanelCommands();
  let root: Root | null = null;
  let container: HTMLElement | null = null;
  const mount = (rootNode: HTMLElement): void => {
    if (root) return;
    container = document.createElement('div');
    rootNode.appendChild(container);
    root = createRoot(container);
    root.render(<App host={options.makeHost()} policy={options.policy} toolVersion={options.toolVersion} commands={commands} />);
  };
  return {
    commands,
    menuItems: MENU_ITEMS,
    create: mount,
    show: mount,
    destroy() {
      root?.unmount();
      container?.remove();
      root = null;
      container = null;
    },
    invokeMenu(id) {
      if (id === MENU_SELF_TEST) commands.emit('run-self-test');
    },
  };
}
