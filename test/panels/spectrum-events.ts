import { act } from '@testing-library/react';

/**
 * Drives Spectrum UXP widgets the way UXP does: plain DOM events on the `sp-*` element (React's
 * synthetic handlers are not involved), with the widget's `value`/`checked` set as properties.
 */

async function dispatch(el: Element, type: string): Promise<void> {
  await act(async () => {
    el.dispatchEvent(new Event(type, { bubbles: true }));
  });
}

export async function spClick(el: Element): Promise<void> {
  expect(el.tagName.toLowerCase()).toMatch(/^sp-/);
  await dispatch(el, 'click');
}

/** Types into an sp-textfield: UXP sets `value` and fires `input`. */
export async function spInput(el: Element, value: string): Promise<void> {
  expect(el.tagName.toLowerCase()).toBe('sp-textfield');
  (el as Element & { value: string }).value = value;
  await dispatch(el, 'input');
}

/**
 * Picks an option of an sp-dropdown the way UXP documents it (sp-dropdown.md "Responding to
 * events": the change event's target exposes `selectedIndex`); no `value` is set.
 */
export async function spPick(el: Element, value: string): Promise<void> {
  expect(el.tagName.toLowerCase()).toBe('sp-dropdown');
  const items = Array.from(el.querySelectorAll('sp-menu-item'));
  const index = items.findIndex((i) => i.getAttribute('value') === value);
  expect(index).toBeGreaterThanOrEqual(0);
  (el as Element & { selectedIndex: number }).selectedIndex = index;
  await dispatch(el, 'change');
}

/** The Spectrum Web Components shape (the preview): the change event's target has `value` only. */
export async function spPickByValue(el: Element, value: string): Promise<void> {
  (el as Element & { value: string }).value = value;
  await dispatch(el, 'change');
}

/** Checks one sp-radio of a group: the change event comes from the radio and bubbles to the group. */
export async function spRadio(el: Element): Promise<void> {
  expect(el.tagName.toLowerCase()).toBe('sp-radio');
  await dispatch(el, 'change');
}

export function isDisabled(el: Element): boolean {
  return el.hasAttribute('disabled');
}

/** Ticks or clears an sp-checkbox (sets `checked`, fires `change`). */
export async function spCheck(el: Element, checked: boolean): Promise<void> {
  expect(el.tagName.toLowerCase()).toBe('sp-checkbox');
  (el as Element & { checked: boolean }).checked = checked;
  await dispatch(el, 'change');
}
