/** @jest-environment jsdom */
import './jsdom-polyfills';
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import type { PixelBuffer } from '../../src/core/pixels/types';
import { DEFAULT_POLICY } from '../../src/core/policy/policy';
import { App } from '../../src/panels/App';
import { createPanelCommands } from '../../src/panels/commands';
import { observeProgress } from '../../src/panels/progress-host';
import { FakeHost, gradient } from './fake-host';
import { isDisabled, spClick } from './spectrum-events';

/** A host whose pixel writes wait until the test lets them finish (the step is mid-flight). */
class GatedHost extends FakeHost {
  gated = false;
  release: () => void = () => undefined;
  override async writePixels(docId: number, pixels: PixelBuffer, at: { x: number; y: number }): Promise<void> {
    if (this.gated) {
      await new Promise<void>((resolve) => {
        this.release = resolve;
      });
    }
    return super.writePixels(docId, pixels, at);
  }
}

afterEach(cleanup);

test('a long step shows its label and progress, and buttons stay disabled until it ends', async () => {
  const host = new GatedHost();
  host.open('photo.jpg', gradient(120, 90));
  render(<App host={host} policy={DEFAULT_POLICY} toolVersion="0.1.0" commands={createPanelCommands()} initialTab="start" />);
  await spClick(screen.getByTestId('start'));
  await screen.findByTestId('start-result');
  await spClick(screen.getByTestId('tab-obscure'));
  host.select({ x: 10, y: 10, w: 60, h: 40 });
  await spClick(screen.getByTestId('check-selection'));
  await screen.findByTestId('obscure-preview');
  host.gated = true;
  await spClick(screen.getByTestId('apply-obscure'));
  // The paint reported its progress; the write back is still waiting.
  await waitFor(() => expect(screen.getByTestId('status-progress').getAttribute('value')).toBe('100'));
  expect(screen.getByTestId('status-busy').textContent).toContain('Applying the overlay...');
  expect(isDisabled(screen.getByTestId('apply-obscure'))).toBe(true);
  expect(isDisabled(screen.getByTestId('check-selection'))).toBe(true);
  // A click while busy starts nothing.
  const steps = host.stepNames.length;
  await spClick(screen.getByTestId('check-selection'));
  expect(host.stepNames).toHaveLength(steps);
  host.release();
  await screen.findByTestId('obscure-result');
  expect(screen.queryByTestId('status-busy')).toBeNull();
  expect(isDisabled(screen.getByTestId('check-selection'))).toBe(false);
});

test('observeProgress forwards progress to the host and the listener and keeps every other method', async () => {
  const host = new FakeHost();
  const seen: number[] = [];
  const observed = observeProgress(host, (f) => seen.push(f));
  const value = await observed.runStep('x', async (ctx) => {
    ctx.reportProgress(0.25);
    ctx.reportProgress(1);
    return ctx.isCancelled ? 'cancelled' : 'done';
  });
  expect(value).toBe('done');
  expect(seen).toEqual([0.25, 1]);
  expect(host.progress).toEqual([0.25, 1]);
  host.open('a.jpg', gradient(4, 4));
  expect((await observed.activeDocument())?.title).toBe('a.jpg');
});
