/**
 * The plugin's entry (webpack bundles from here). Registers the panel with UXP at module load,
 * which UXP requires; React mounts when Photoshop creates the panel.
 */
import { DEFAULT_POLICY } from '../core/policy/policy';
import { createPhotoshopHost } from '../photoshop';
import { registerPanel } from '../photoshop/entrypoints';
import { PLUGIN_VERSION } from './build-info';
import { PANEL_ID, createPanelController } from './panel-controller';

const controller = createPanelController({ makeHost: createPhotoshopHost, policy: DEFAULT_POLICY, toolVersion: PLUGIN_VERSION });

registerPanel(PANEL_ID, {
  create: (rootNode) => controller.create(rootNode),
  show: (rootNode) => controller.show(rootNode),
  destroy: () => controller.destroy(),
  invokeMenu: (id) => controller.invokeMenu(id),
  menuItems: controller.menuItems,
});
