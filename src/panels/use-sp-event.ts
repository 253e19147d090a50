import { useEffect, useRef, type RefObject } from 'react';

export type SpEventName = 'click' | 'change' | 'input';

/**
 * Listens to a DOM event on a Spectrum UXP widget. React's synthetic events are not wired to
 * `sp-*` elements in UXP, so `onClick`/`onChange` props would never fire there; a listener added
 * on the element itself does. The latest handler is used without re-subscribing.
 */
export function useSpEvent(ref: RefObject<HTMLElement>, name: SpEventName, handler: (event: Event) => void): void {
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    const el = ref.current;
    if (!el) return undefined;
    const listener = (event: Event): void => latest.current(event);
    el.addEventListener(name, listener);
    return () => el.removeEventListener(name, listener);
  }, [ref, name]);
}

/**
 * The value a Spectrum widget reports in an event. UXP widgets expose `value` as a property;
 * a change event from an `sp-radio` inside a group comes from the radio, whose own value
 * attribute names the choice.
 */
export function eventValue(event: Event): string {
  const target = event.target as (EventTarget & { value?: unknown; getAttribute?: (n: string) => string | null }) | null;
  if (!target) return '';
  if (target.value !== undefined && target.value !== null) return String(target.value);
  return target.getAttribute?.('value') ?? '';
}

/** Whether a checkbox event left the box ticked. */
export function eventChecked(event: Event): boolean {
  return (event.target as { checked?: unknown } | null)?.checked === true;
}
