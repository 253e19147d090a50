/**
 * Everything the panel needs beyond registration: React, the actions, the core and the Photoshop
 * adapter. index.tsx loads this module only inside the panel's `create`, AFTER the panel is
 * registered, so a module that fails at load time (a missing global) cannot stop registration.
 */
import { DEFAULT_POLICY } from '../core/policy/policy';
import { createPhotoshopHost } from '../photoshop';
import { PLUGIN_VERSION } from './build-info';
import { createPanelController, type PanelController } from './panel-controller';

export function createPanel(): PanelController {
  return createPanelController({ makeHost: createPhotoshopHost, policy: DEFAULT_POLICY, toolVersion: PLUGIN_VERSION });
}
