import { useRef } from 'react';
import { eventValue, useSpEvent } from '../use-sp-event';

export interface SpTextFieldProps {
  value: string;
  onInput(value: string): void;
  placeholder?: string;
  /** "number" limits input to +-214,748.36 in UXP; fine for pixel sizes. */
  type?: 'text' | 'number';
  invalid?: boolean;
  disabled?: boolean;
  testId?: string;
  label?: string;
}

export function SpTextField({ value, onInput, placeholder, type = 'text', invalid, disabled, testId, label }: SpTextFieldProps): JSX.Element {
  const ref = useRef<HTMLElement>(null);
  useSpEvent(ref, 'input', (e) => onInput(eventValue(e)));
  return (
    <sp-textfield
      ref={ref}
      value={value}
      type={type}
      placeholder={placeholder}
      invalid={invalid ? true : undefined}
      disabled={disabled ? true : undefined}
      data-testid={testId}
    >
      {label ? <sp-label slot="label">{label}</sp-label> : null}
    </sp-textfield>
  );
}
