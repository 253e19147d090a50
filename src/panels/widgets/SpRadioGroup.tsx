import { useRef } from 'react';
import { eventValue, useSpEvent } from '../use-sp-event';

export interface RadioOption<V extends string> {
  value: V;
  label: string;
}

export interface SpRadioGroupProps<V extends string> {
  value: V;
  options: readonly RadioOption<V>[];
  onChange(value: V): void;
  disabled?: boolean;
  testId?: string;
}

/**
 * A choice among a few options; a value outside `options` (never expected) is ignored. Laid out
 * as a column: AdobeDocs/uxp sp-radio-group.md "Layout", "By default, radio groups are laid out
 * horizontally. If you add the `column` attribute, the radio group will be laid out vertically"
 * (our labels are long).
 */
export function SpRadioGroup<V extends string>({ value, options, onChange, disabled, testId }: SpRadioGroupProps<V>): JSX.Element {
  const ref = useRef<HTMLElement>(null);
  useSpEvent(ref, 'change', (e) => {
    const picked = options.find((o) => o.value === eventValue(e));
    if (picked) onChange(picked.value);
  });
  return (
    <sp-radio-group ref={ref} column value={value} disabled={disabled ? true : undefined} data-testid={testId}>
      {options.map((o) => (
        <sp-radio key={o.value} value={o.value} checked={o.value === value ? true : undefined} data-testid={testId ? `${testId}-${o.value}` : undefined}>
          {o.label}
        </sp-radio>
      ))}
    </sp-radio-group>
  );
}
