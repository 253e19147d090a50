/** @jest-environment jsdom */
import './jsdom-polyfills';
import { cleanup, render, screen } from '@testing-library/react';
import { DEFAULT_POLICY } from '../../src/core/policy/policy';
import { App, type TabId } from '../../src/panels/App';
import { createPanelCommands } from '../../src/panels/commands';
import { FakeHost, gradient, makeFolder } from './fake-host';
import { spClick } from './spectrum-events';

function setup(tab: TabId = 'start'): FakeHost {
  const host = new FakeHost();
  host.open('Ward 7 patient.jpg', gradient(100, 80));
  render(<App host={host} policy={DEFAULT_POLICY} toolVersion="0.1.0" commands={createPanelCommands()} initialTab={tab} />);
  return host;
}

async function start(): Promise<void> {
  await spClick(screen.getByTestId('tab-start'));
  await spClick(screen.getByTestId('start'));
  await screen.findByTestId('start-result');
}

afterEach(cleanup);

test('steps that need the working copy say so before Start', async () => {
  setup('obscure');
  expect(screen.getByTestId('needs-session').textContent).toMatch(/^Press Start first/);
  for (const tab of ['crop', 'finish', 'linkage'] as const) {
    await spClick(screen.getByTestId(`tab-${tab}`));
    expect(screen.getByTestId('needs-session')).toBeTruthy();
  }
});

test('Crop to selection crops the working copy and shows its new size', async () => {
  const host = setup();
  await start();
  await spClick(screen.getByTestId('tab-crop'));
  host.select({ x: 10, y: 5, w: 60, h: 50 });
  await spClick(screen.getByTestId('crop'));
  await screen.findByText('Working copy is 60 x 50 px.');
  expect(host.activePixels().width).toBe(60);
  expect(host.docs.get(1)?.pixels.width).toBe(100);
});

test('Crop with no selection shows why nothing happened', async () => {
  setup();
  await start();
  await spClick(screen.getByTestId('tab-crop'));
  await spClick(screen.getByTestId('crop'));
  expect((await screen.findByTestId('status-error')).textContent).toMatch(/^Select the part of the photograph to keep/);
  expect(screen.getByTestId('crop-size').textContent).toBe('Working copy is 100 x 80 px.');
});

test('the linkage record goes only to a separate file the user chose, never the export folder', async () => {
  const host = setup();
  const exports = makeFolder('Exports');
  host.folderChoice = exports;
  await start();
  await spClick(screen.getByTestId('tab-finish'));
  await spClick(screen.getByTestId('choose-folder'));
  await screen.findByText('Folder: Exports');
  await spClick(screen.getByTestId('tab-linkage'));

  host.saveChoice = { name: 'linkage.json', folder: exports };
  await spClick(screen.getByTestId('save-linkage'));
  expect((await screen.findByTestId('status-error')).textContent).toMatch(/must not be saved in the export folder/);
  expect(host.saved.size).toBe(0);

  host.saveChoice = { name: 'linkage.json', folder: makeFolder('Protected') };
  // Past the picker debounce window.
  await new Promise((r) => setTimeout(r, 900));
  await spClick(screen.getByTestId('save-linkage'));
  expect((await screen.findByTestId('linkage-saved')).textContent).toBe('Linkage record saved as linkage.json.');
  const record = JSON.parse(new TextDecoder().decode(host.saved.get('linkage.json')));
  expect(record.originalDocument).toBe('Ward 7 patient.jpg');
  expect(record.alternateId).toMatch(/^DEID-/);
});

test('a cancelled linkage dialog saves nothing and says so', async () => {
  const host = setup();
  await start();
  await spClick(screen.getByTestId('tab-linkage'));
  host.saveChoice = null;
  await spClick(screen.getByTestId('save-linkage'));
  await screen.findByTestId('linkage-cancelled');
  expect(host.saved.size).toBe(0);
});

test('Finish that cannot meet the policy shows why nothing was written', async () => {
  const host = setup();
  const exports = makeFolder('Exports');
  host.folderChoice = exports;
  await start();
  await spClick(screen.getByTestId('tab-obscure'));
  host.select({ x: 10, y: 10, w: 40, h: 40 });
  await spClick(screen.getByTestId('check-selection'));
  await spClick(await screen.findByTestId('apply-obscure'));
  await screen.findByTestId('obscure-result');
  // Someone paints over the overlay by hand before Finish: the region is no longer obscured.
  host.activePixels().data.set(gradient(100, 80).data);
  await spClick(screen.getByTestId('tab-finish'));
  await spClick(screen.getByTestId('choose-folder'));
  await screen.findByText('Folder: Exports');
  await spClick(screen.getByTestId('finish'));
  expect((await screen.findByTestId('finish-refused')).textContent).toMatch(/^Nothing was written: 1 obscured region/);
  expect(exports.files.size).toBe(0);
});

test('a non-rectangular selection is previewed as such and painted only through its shape', async () => {
  const host = setup();
  await start();
  await spClick(screen.getByTestId('tab-obscure'));
  // A 16x16 selection whose top-left 8x8 quarter is not selected.
  const data = new Uint8Array(16 * 16).fill(255);
  for (let y = 0; y < 8; y++) data.fill(0, y * 16, y * 16 + 8);
  host.selectMask({ data, bounds: { x: 40, y: 40, w: 16, h: 16 } });
  await spClick(screen.getByTestId('check-selection'));
  expect((await screen.findByTestId('selection-bounds')).textContent).toContain('not a rectangle, so only its shape is painted');
  const before = host.activePixels().data.slice();
  await spClick(screen.getByTestId('apply-obscure'));
  await screen.findByTestId('obscure-result');
  const px = (x: number, y: number, buf: ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> }): number[] => Array.from(buf.subarray((y * 100 + x) * 3, (y * 100 + x) * 3 + 3));
  expect(px(42, 42, host.activePixels().data)).toEqual(px(42, 42, before));
  expect(px(50, 50, host.activePixels().data)).toEqual([0, 0, 0]);
});
