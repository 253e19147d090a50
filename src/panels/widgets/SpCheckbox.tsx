import { useRef, type ReactNode } from 'react';
import { eventChecked, useSpEvent } from '../use-sp-event';

export interface SpCheckboxProps {
  checked: boolean;
  onChange(checked: boolean): void;
  children: ReactNode;
  disabled?: boolean;
  testId?: string;
}

export function SpCheckbox({ checked, onChange, children, disabled, testId }: SpCheckboxProps): JSX.Element {
  const ref = useRef<HTMLElement>(null);
  useSpEvent(ref, 'change', (e) => onChange(eventChecked(e)));
  return (
    <sp-checkbox ref={ref} checked={checked ? true : undefined} disabled={disabled ? true : undefined} data-testid={testId}>
      {children}
    </sp-checkbox>
  );
}
