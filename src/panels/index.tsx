/**
 * The plugin's entry (webpack bundles from here). It registers the panel at module load, as UXP
 * requires (one entrypoints.setup call while the script is first evaluated), importing nothing
 * but the registration and a few constants. The rest of the panel is loaded inside `create`
 * behind a try/catch, so a failure there shows up IN the panel instead of leaving it empty.
 */
import { registerPanel } from '../photoshop/entrypoints';
import { missingGlobals, showProblem } from './environment';
import type { PanelController } from './panel-controller';
import { MENU_ITEMS, PANEL_ID } from './panel-ids';

let controller: PanelController | null = null;

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

async function create(rootNode: HTMLElement): Promise<void> {
  const missing = missingGlobals();
  if (missing.length > 0) {
    // Mounting anyway would fail later, outside any try/catch, and UXP would drop the error.
    showProblem(rootNode, `The panel cannot run in this version of Photoshop: its UXP lacks ${missing.join(', ')}. Update Photoshop.`);
    return;
  }
  try {
    // Eager: bundled into the one script (UXP loads no chunks), evaluated only now.
    const main = await import(/* webpackMode: "eager" */ './panel-main');
    controller = controller ?? main.createPanel();
    controller.create(rootNode);
  } catch (e) {
    showProblem(rootNode, `The panel could not start: ${describe(e)}`);
  }
}

registerPanel(PANEL_ID, {
  create,
  show: (rootNode) => controller?.show(rootNode),
  destroy: () => controller?.destroy(),
  invokeMenu: (id) => controller?.invokeMenu(id),
  menuItems: MENU_ITEMS,
});
