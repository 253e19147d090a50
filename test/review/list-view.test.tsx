/** @jest-environment jsdom */
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import type { ListResponse, ListRow } from '../../src/review/api-types';
import { ListView } from '../../src/review/ListView';

/**
 * The list's logic on crafted states the real folder rarely shows at once (half-verified, a bad
 * signature); the real browser test (review-page.test.ts) covers the same view against the server.
 */
const row = (id: string, extra: Partial<ListRow>): ListRow => ({ id, verify: 'clean', problemCount: 0, openItems: 0, signedOff: false, signature: 'unsigned', ...extra });

const LIST: ListResponse = {
  total: 5,
  verified: 3,
  items: [
    row('DEID-0000-0000-0001', { signedOff: true, signature: 'valid', reviewer: 'A', reviewedAt: '2026-01-01T10:00:00.000Z' }),
    row('DEID-0000-0000-0002', { verify: 'findings', problemCount: 2, openItems: 8 }),
    row('DEID-0000-0000-0003', { signedOff: true, signature: 'invalid' }),
    row('DEID-0000-0000-0004', { verify: 'pending' }),
    row('DEID-0000-0000-0005', { verify: 'pending' }),
  ],
};

beforeAll(() => {
  // jsdom does no layout, so it has no scrollIntoView; the browser test exercises the real one.
  Element.prototype.scrollIntoView = function scrollIntoView(): void {};
});
afterEach(cleanup);

function renderList(selected = 0): { selectedNow: () => number; opened: string[] } {
  let current = selected;
  const opened: string[] = [];
  const view = (): JSX.Element => <ListView list={LIST} selected={current} onSelect={(i) => { current = i; rerender(view()); }} onOpen={(id) => opened.push(id)} />;
  const { rerender } = render(view());
  return { selectedNow: () => current, opened };
}

test('progress while the folder is re-verified, the signed count, and the states in words', () => {
  renderList();
  expect(screen.getByTestId('progress').textContent).toBe('Re-verifying the folder: 3 of 5 checked');
  // A sign-off whose signature does not hold is not counted as signed.
  expect(screen.getByTestId('signed-count').textContent).toBe('1 of 5 signed');
  expect(screen.getByTestId('row-DEID-0000-0000-0002').textContent).toContain('2 findings');
  expect(screen.getByTestId('signed-DEID-0000-0000-0003').textContent).toBe('Signature invalid');
  expect(screen.getByTestId('row-DEID-0000-0000-0004').textContent).toContain('Checking...');
});

test('filters narrow the rows and show their counts', () => {
  renderList();
  expect(screen.getByTestId('filter-needs-review').textContent).toBe('Needs review (4)');
  expect(screen.getByTestId('filter-has-findings').textContent).toBe('Has findings (2)');
  expect(screen.getByTestId('filter-signed').textContent).toBe('Signed (1)');
  fireEvent.click(screen.getByTestId('filter-has-findings'));
  expect(screen.queryAllByTestId(/^row-/).map((r) => r.getAttribute('data-testid'))).toEqual(['row-DEID-0000-0000-0002', 'row-DEID-0000-0000-0003']);
});

test('keys: j/k move, n jumps to the next unsigned, Enter opens', () => {
  const s = renderList(0);
  act(() => void fireEvent.keyDown(window, { key: 'n' }));
  expect(s.selectedNow()).toBe(1);
  act(() => void fireEvent.keyDown(window, { key: 'j' }));
  act(() => void fireEvent.keyDown(window, { key: 'ArrowDown' }));
  expect(s.selectedNow()).toBe(3);
  act(() => void fireEvent.keyDown(window, { key: 'k' }));
  expect(s.selectedNow()).toBe(2);
  act(() => void fireEvent.keyDown(window, { key: 'Enter' }));
  expect(s.opened).toEqual(['DEID-0000-0000-0003']);
});
