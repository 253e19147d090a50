/** @jest-environment jsdom */
import './jsdom-polyfills';
import { cleanup, render, screen } from '@testing-library/react';
import { SpDropdown } from '../../src/panels/widgets/SpDropdown';
import { SpRadioGroup } from '../../src/panels/widgets/SpRadioGroup';
import { SpTextField } from '../../src/panels/widgets/SpTextField';
import { spPick, spPickByValue } from './spectrum-events';

afterEach(cleanup);

const OPTIONS = [
  { value: 'a', label: 'First' },
  { value: 'b', label: 'Second' },
  { value: 'c', label: 'Third' },
] as const;

describe('Spectrum UXP widgets (issue 7 findings 4 and 9)', () => {
  test('the drop-down is the documented sp-dropdown, with an explicit width', () => {
    render(<SpDropdown value={null} options={OPTIONS} onChange={() => undefined} testId="dd" width="100%" />);
    const el = screen.getByTestId('dd');
    expect(el.tagName.toLowerCase()).toBe('sp-dropdown');
    expect(el.style.width).toBe('100%');
    expect(el.querySelector('sp-menu[slot="options"]')?.children).toHaveLength(3);
  });

  test('the drop-down understands the documented event (selectedIndex only) and the SWC one (value only)', async () => {
    const picked: string[] = [];
    render(<SpDropdown value={null} options={OPTIONS} onChange={(v) => picked.push(v)} testId="dd" width="100%" />);
    await spPick(screen.getByTestId('dd'), 'c');
    await spPickByValue(screen.getByTestId('dd'), 'b');
    expect(picked).toEqual(['c', 'b']);
  });

  test('radio groups are laid out as a column (long labels)', () => {
    render(<SpRadioGroup value="a" options={OPTIONS} onChange={() => undefined} testId="rg" />);
    expect(screen.getByTestId('rg').hasAttribute('column')).toBe(true);
  });

  test('text fields are plain text fields, never the numeric sp-textfield', () => {
    render(<SpTextField value="12" onInput={() => undefined} testId="tf" />);
    expect(screen.getByTestId('tf').getAttribute('type')).toBe('text');
  });
});
