import { useRef, type ReactNode } from 'react';
import { useSpEvent } from '../use-sp-event';

/**
 * A button that opens a system picker can receive a burst of click events in UXP (the dialog
 * steals focus mid-click); clicks closer together than this are one click.
 */
export const PICKER_DEBOUNCE_MS = 800;

export interface SpButtonProps {
  onClick(): void;
  children: ReactNode;
  variant?: 'cta' | 'primary' | 'secondary' | 'warning';
  quiet?: boolean;
  disabled?: boolean;
  /** Ignore repeated clicks for PICKER_DEBOUNCE_MS (buttons that open file/folder pickers). */
  debounce?: boolean;
  testId?: string;
}

export function SpButton({ onClick, children, variant = 'primary', quiet, disabled, debounce, testId }: SpButtonProps): JSX.Element {
  const ref = useRef<HTMLElement>(null);
  const lastClick = useRef(-Infinity);
  useSpEvent(ref, 'click', () => {
    // UXP still dispatches click on a disabled sp-button in some versions.
    if (disabled) return;
    const now = Date.now();
    if (debounce && now - lastClick.current < PICKER_DEBOUNCE_MS) return;
    lastClick.current = now;
    onClick();
  });
  return (
    <sp-button ref={ref} variant={variant} quiet={quiet ? true : undefined} disabled={disabled ? true : undefined} data-testid={testId}>
      {children}
    </sp-button>
  );
}
