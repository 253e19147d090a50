/** @jest-environment jsdom */
import './jsdom-polyfills';
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import { DeidHostError } from '../../src/actions';
import { DEFAULT_POLICY } from '../../src/core/policy/policy';
import { parseSidecar } from '../../src/core/sidecar/schema';
import { App, type TabId } from '../../src/panels/App';
import { createPanelCommands, type PanelCommands } from '../../src/panels/commands';
import { FakeHost, gradient, makeFolder } from './fake-host';
import { isDisabled, spCheck, spClick, spInput, spPick, spRadio } from './spectrum-events';

const VERSION = '0.1.0';
/** A face-sized selection: 60 px on its shorter side -> policy minimum ceil(60 / 5) = 12 px cells. */
const FACE = { x: 20, y: 10, w: 80, h: 60 };
const FACE_MIN_CELL = 12;
const BADGE = { x: 110, y: 90, w: 40, h: 16 };

function setup(tab: TabId = 'start'): { host: FakeHost; commands: PanelCommands } {
  const host = new FakeHost();
  host.open('IMG_0042 Jane Doe.jpg', gradient(160, 120));
  const commands = createPanelCommands();
  render(<App host={host} policy={DEFAULT_POLICY} toolVersion={VERSION} commands={commands} initialTab={tab} />);
  return { host, commands };
}

async function start(): Promise<void> {
  await spClick(screen.getByTestId('start'));
  await screen.findByTestId('start-result');
}

async function goTo(tab: TabId): Promise<void> {
  await spClick(screen.getByTestId(`tab-${tab}`));
}

async function checkSelection(kind: 'face' | 'text' | 'mark' | 'other'): Promise<void> {
  await spRadio(screen.getByTestId(`kind-${kind}`));
  await spClick(screen.getByTestId('check-selection'));
  await screen.findByTestId('obscure-preview');
}

afterEach(cleanup);

test('Start makes a working copy named by an alternate id and leaves the original untouched', async () => {
  const { host } = setup();
  const original = host.activePixels().data.slice();
  await start();
  const text = screen.getByTestId('start-result').textContent ?? '';
  expect(text).toMatch(/^Working copy DEID(-[0-9A-Z]{4}){3}: 160 x 120 px/);
  const doc = await host.activeDocument();
  expect(doc?.title).toMatch(/^DEID-/);
  expect(host.docs.size).toBe(2);
  expect(host.docs.get(1)?.pixels.data).toEqual(original);
  expect(screen.getByTestId('session-id').textContent).toContain(doc?.title);
});

test('Obscure with mosaic shows the enforced cell size, refuses a finer one, and goes only coarser', async () => {
  const { host } = setup();
  await start();
  await goTo('obscure');
  host.select(FACE);
  await checkSelection('face');
  expect(screen.getByTestId('selection-bounds').textContent).toContain('80 x 60 px at (20, 10)');
  expect(screen.getByTestId('mosaic-enforced').textContent).toBe(`Policy minimum: ${FACE_MIN_CELL} px cells, 5 across the shorter side.`);
  // Overlay is the default; mosaic is offered for a face.
  expect(screen.getByTestId('apply-obscure').textContent).toBe('Apply overlay');
  await spRadio(screen.getByTestId('method-pixelate'));
  expect(screen.getByTestId('mosaic-choice').textContent).toBe(`Will use ${FACE_MIN_CELL} px cells, 5 across the shorter side.`);

  await spInput(screen.getByTestId('cell-size'), '6');
  expect(screen.getByTestId('mosaic-refused').textContent).toMatch(/^Refused: mosaic cells of 6 px are too fine.*at least 12 px/);
  expect(isDisabled(screen.getByTestId('apply-obscure'))).toBe(true);
  await spClick(screen.getByTestId('apply-obscure'));
  expect(host.stepNames.filter((n) => n.includes('mosaic'))).toEqual([]);

  await spClick(screen.getByTestId('minimum'));
  await spClick(screen.getByTestId('coarser'));
  // One cell fewer across the 60 px side: ceil(60 / 4) = 15 px.
  expect(screen.getByTestId('mosaic-choice').textContent).toBe('Will use 15 px cells, 4 across the shorter side.');
  expect(isDisabled(screen.getByTestId('apply-obscure'))).toBe(false);

  const before = host.activePixels().data.slice();
  await spClick(screen.getByTestId('apply-obscure'));
  expect((await screen.findByTestId('obscure-result')).textContent).toContain('mosaic of 15 px cells over 1 region(s)');
  const after = host.activePixels();
  expect(after.data).not.toEqual(before);
  // The first 15x15 cell at the selection's corner is one colour.
  const px = (x: number, y: number): number[] => Array.from(after.data.subarray((y * after.width + x) * 3, (y * after.width + x) * 3 + 3));
  expect(px(FACE.x + 14, FACE.y + 14)).toEqual(px(FACE.x, FACE.y));
  expect(host.progress.length).toBeGreaterThan(0);
});

test('a text region is offered overlay only, never mosaic', async () => {
  const { host } = setup();
  await start();
  await goTo('obscure');
  host.select(BADGE);
  await checkSelection('text');
  expect(screen.getByTestId('overlay-only').textContent).toMatch(/^Overlay only: pixelated text/);
  expect(screen.queryByTestId('method')).toBeNull();
  expect(screen.queryByTestId('cell-size')).toBeNull();
  expect(screen.queryByTestId('mosaic-enforced')).toBeNull();
  await spClick(screen.getByTestId('apply-obscure'));
  expect((await screen.findByTestId('obscure-result')).textContent).toContain('overlay in #000000');
  const pixels = host.activePixels();
  const at = ((BADGE.y + 5) * pixels.width + BADGE.x + 5) * 3;
  expect(Array.from(pixels.data.subarray(at, at + 3))).toEqual([0, 0, 0]);
});

test('Finish shows the files written, and they are the stripped image and its sidecar', async () => {
  const { host } = setup();
  await start();
  await goTo('obscure');
  host.select(FACE);
  await checkSelection('face');
  await spClick(screen.getByTestId('apply-obscure'));
  await screen.findByTestId('obscure-result');
  await goTo('finish');
  expect(isDisabled(screen.getByTestId('finish'))).toBe(true);
  await spClick(screen.getByTestId('choose-folder'));
  // A second click right after is the same click (pickers produce bursts in UXP).
  await spClick(screen.getByTestId('choose-folder'));
  expect(host.pickerOpens).toBe(1);
  await waitFor(() => expect(screen.getByTestId('folder-name').textContent).toBe('Folder: Exports'));
  await spClick(screen.getByTestId('finish'));
  const written = await screen.findByTestId('finish-written');
  const id = (await host.activeDocument())?.title as string;
  expect(written.textContent).toContain(`${id}.jpg`);
  expect(written.textContent).toContain(`${id}.deid.json`);
  expect(written.textContent).toContain('Metadata removed: exif');
  const folder = host.folderChoice as ReturnType<typeof makeFolder>;
  expect([...folder.files.keys()].sort()).toEqual([`${id}.deid.json`, `${id}.jpg`]);
  const image = folder.files.get(`${id}.jpg`) as Uint8Array;
  expect(Buffer.from(image).includes(Buffer.from('Dr Example'))).toBe(false);
  const sidecar = parseSidecar(new TextDecoder().decode(folder.files.get(`${id}.deid.json`)));
  expect(sidecar.alternateId).toBe(id);
  expect(sidecar.tool.version).toBe(VERSION);
  expect(sidecar.steps.map((s) => s.op)).toEqual(['overlay', 'flatten', 'export', 'strip']);
  expect(JSON.stringify(sidecar)).not.toContain('Jane Doe');
});

test('an action error is shown in the panel, and cleared by the next action', async () => {
  const { host } = setup();
  host.failNextStep = new DeidHostError('busy', 'Photoshop is busy with another plugin or dialog; try again when it is done.');
  await spClick(screen.getByTestId('start'));
  expect((await screen.findByTestId('status-error')).textContent).toBe('Photoshop is busy with another plugin or dialog; try again when it is done.');
  expect(screen.queryByTestId('start-result')).toBeNull();
  await start();
  expect(screen.queryByTestId('status-error')).toBeNull();
});

test('Obscure without a selection says what to do', async () => {
  setup();
  await start();
  await goTo('obscure');
  await spClick(screen.getByTestId('check-selection'));
  expect((await screen.findByTestId('status-error')).textContent).toMatch(/^Select the area to obscure first/);
});

test('sign-off is refused with a message while checklist items are open', async () => {
  const { host } = setup();
  await start();
  await goTo('finish');
  await spClick(screen.getByTestId('choose-folder'));
  await waitFor(() => expect(isDisabled(screen.getByTestId('finish'))).toBe(false));
  await spRadio(screen.getByTestId('format-png'));
  await spClick(screen.getByTestId('finish'));
  await screen.findByTestId('finish-written');
  const id = (await host.activeDocument())?.title as string;

  await goTo('review');
  await spClick(screen.getByTestId('list-sidecars'));
  await screen.findByTestId('sidecar-picker');
  await spPick(screen.getByTestId('sidecar-picker'), `${id}.deid.json`);
  await spClick(screen.getByTestId('open-review'));
  expect((await screen.findByTestId('review-clean')).textContent).toMatch(/^Re-verified/);
  await spInput(screen.getByTestId('reviewer'), 'A. Reviewer');
  await spClick(screen.getByTestId('sign-off'));
  const refusal = (await screen.findByTestId('status-error')).textContent ?? '';
  expect(refusal).toMatch(/^cannot sign off while these are open/);
  expect(refusal).toContain('not checked: Faces, including partial faces');
  expect(screen.queryByTestId('signed')).toBeNull();
  const onDisk = parseSidecar(new TextDecoder().decode((host.folderChoice as ReturnType<typeof makeFolder>).files.get(`${id}.deid.json`)));
  expect(onDisk.checklist.signedOff).toBe(false);

  // The filter narrows the list to what still needs the reviewer.
  await spCheck(screen.getByTestId('only-open'), true);
  expect(screen.queryByTestId('item-flattened')).toBeNull();
  expect(screen.getByTestId('item-faces')).toBeTruthy();
  await spCheck(screen.getByTestId('only-open'), false);
  expect(screen.getByTestId('item-flattened')).toBeTruthy();

  // Ticking every manual item lets the same reviewer sign off; the sidecar is rewritten.
  const manual = ['faces', 'marks', 'jewellery-clothing', 'text', 'codes', 'background', 'dates'];
  for (const item of manual) await spPick(screen.getByTestId(`status-${item}`), 'not-present');
  await spClick(screen.getByTestId('sign-off'));
  expect((await screen.findByTestId('signed')).textContent).toMatch(/^Signed off by A\. Reviewer on \d{4}-/);
  const signed = parseSidecar(new TextDecoder().decode((host.folderChoice as ReturnType<typeof makeFolder>).files.get(`${id}.deid.json`)));
  expect(signed.checklist.signedOff).toBe(true);
  expect(signed.checklist.reviewer).toBe('A. Reviewer');
});

test('an automatic checklist item cannot be ticked by hand', async () => {
  const { host } = setup();
  const folder = makeFolder('Exports');
  host.folderChoice = folder;
  await start();
  await goTo('finish');
  await spClick(screen.getByTestId('choose-folder'));
  await waitFor(() => expect(isDisabled(screen.getByTestId('finish'))).toBe(false));
  await spClick(screen.getByTestId('finish'));
  await screen.findByTestId('finish-written');
  await goTo('review');
  await spClick(screen.getByTestId('list-sidecars'));
  await spClick(await screen.findByTestId('open-review'));
  await screen.findByTestId('review');
  await spPick(screen.getByTestId('status-flattened'), 'unchecked');
  expect((await screen.findByTestId('status-error')).textContent).toMatch(/cannot be set by hand/);
});

test('the panel menu\'s "Run self-test" opens the self-test and lists pass/fail per step', async () => {
  const { commands } = setup();
  await spClick(screen.getByTestId('tab-obscure'));
  await act(async () => commands.emit('run-self-test'));
  expect(screen.getByTestId('panel-self-test')).toBeTruthy();
  const summary = await screen.findByTestId('self-test-summary', {}, { timeout: 15000 });
  const items = screen.getAllByTestId(/^self-test-\d+$/).map((li) => li.textContent ?? '');
  expect(items.length).toBeGreaterThanOrEqual(5);
  for (const item of items) expect(item).toMatch(/^(PASS|FAIL) \S/);
  const failed = items.filter((i) => i.startsWith('FAIL'));
  expect(summary.textContent).toBe(failed.length === 0 ? `All ${items.length} steps passed.` : `${failed.length} of ${items.length} steps failed.`);
  // Against this faithful in-memory host every step should pass; a failure names its step.
  expect(failed).toEqual([]);
});

test('the self-test shows a failing step as FAIL with the reason', async () => {
  const { host } = setup('self-test');
  host.failNextStep = new DeidHostError('host', 'putPixels is not available in this Photoshop');
  await spClick(screen.getByTestId('run-self-test'));
  await screen.findByTestId('self-test-summary');
  expect(screen.getByTestId('self-test-0').textContent).toBe('FAIL create test document (8-bit sRGB): putPixels is not available in this Photoshop');
  expect(screen.getByTestId('self-test-summary').textContent).toMatch(/^\d+ of \d+ steps failed\.$/);
});
