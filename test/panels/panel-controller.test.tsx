/** @jest-environment jsdom */
import './jsdom-polyfills';
import { act, screen, waitFor } from '@testing-library/react';
import { DEFAULT_POLICY } from '../../src/core/policy/policy';
import { createPanelCommands } from '../../src/panels/commands';
import { MENU_SELF_TEST, PANEL_ID, createPanelController } from '../../src/panels/panel-controller';
import { registerPanel } from '../../src/photoshop/entrypoints';
import { FakeHost, gradient } from './fake-host';

// Independent of the faithful uxp fake: only entrypoints.setup matters here.
jest.mock('uxp', () => ({ entrypoints: { setup: jest.fn() } }));

function controller(host = new FakeHost()): { host: FakeHost; panel: ReturnType<typeof createPanelController>; makeHost: jest.Mock } {
  const makeHost = jest.fn(() => host);
  return { host, panel: createPanelController({ makeHost, policy: DEFAULT_POLICY, toolVersion: '0.1.0' }), makeHost };
}

afterEach(() => {
  document.body.innerHTML = '';
});

test('create mounts the panel once into the root node; show does not mount it again', async () => {
  const { panel, makeHost } = controller();
  const root = document.createElement('div');
  document.body.appendChild(root);
  await act(async () => panel.create(root));
  await act(async () => panel.show(root));
  expect(root.children).toHaveLength(1);
  expect(makeHost).toHaveBeenCalledTimes(1);
  expect(screen.getByTestId('tab-start').tagName).toBe('SP-BUTTON');
  expect(screen.getByText('deid-photo 0.1.0')).toBeTruthy();
  await act(async () => panel.destroy());
  expect(root.children).toHaveLength(0);
});

test('the "Run self-test" menu item runs the self-test in the panel', async () => {
  const { panel, host } = controller();
  host.open('anything.jpg', gradient(32, 32));
  expect(panel.menuItems).toEqual([{ id: MENU_SELF_TEST, label: 'Run self-test' }]);
  const root = document.createElement('div');
  document.body.appendChild(root);
  await act(async () => panel.create(root));
  await act(async () => panel.invokeMenu(MENU_SELF_TEST));
  await waitFor(() => expect(screen.getByTestId('self-test-summary').textContent).toMatch(/^All \d+ steps passed\.$/), { timeout: 10000 });
  expect(host.stepNames).toContain('De-identify: self-test document');
  await act(async () => panel.destroy());
});

test('a menu command sent before the panel mounted is delivered when it mounts', () => {
  const commands = createPanelCommands();
  commands.emit('run-self-test');
  const seen: string[] = [];
  const unsubscribe = commands.subscribe((c) => seen.push(c));
  expect(seen).toEqual(['run-self-test']);
  commands.emit('run-self-test');
  unsubscribe();
  commands.emit('run-self-test');
  expect(seen).toEqual(['run-self-test', 'run-self-test']);
});

test('registerPanel hands UXP one setup call with the panel id, callbacks and menu', () => {
  const uxp = jest.requireMock('uxp') as { entrypoints: { setup: jest.Mock } };
  const { panel } = controller();
  registerPanel(PANEL_ID, { create: panel.create, invokeMenu: panel.invokeMenu, menuItems: panel.menuItems });
  expect(uxp.entrypoints.setup).toHaveBeenCalledTimes(1);
  const config = uxp.entrypoints.setup.mock.calls[0][0];
  expect(Object.keys(config.panels)).toEqual(['deidPanel']);
  expect(config.panels.deidPanel.menuItems).toEqual([{ id: 'runSelfTest', label: 'Run self-test' }]);
  expect(typeof config.panels.deidPanel.create).toBe('function');
});
