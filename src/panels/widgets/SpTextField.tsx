import { useRef } from 'react';
import { eventValue, useSpEvent } from '../use-sp-event';

export interface SpTextFieldProps {
  value: string;
  onInput(value: string): void;
  placeholder?: string;
  invalid?: boolean;
  disabled?: boolean;
  testId?: string;
  label?: string;
}

/**
 * A plain text field, also for numbers: AdobeDocs/uxp src/pages/uxp-api/known-issues.md, "The
 * numeric sp-textfield can trigger numeric validation errors, even when the entered value would
 * seem to be correct" (PS-57698). Callers parse and validate the text themselves.
 */
export function SpTextField({ value, onInput, placeholder, invalid, disabled, testId, label }: SpTextFieldProps): JSX.Element {
  const ref = useRef<HTMLElement>(null);
  useSpEvent(ref, 'input', (e) => onInput(eventValue(e)));
  return (
    <sp-textfield
      ref={ref}
      value={value}
      type="text"
      placeholder={placeholder}
      invalid={invalid ? true : undefined}
      disabled={disabled ? true : undefined}
      data-testid={testId}
    >
      {label ? <sp-label slot="label">{label}</sp-label> : null}
    </sp-textfield>
  );
}
