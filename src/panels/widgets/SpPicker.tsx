import { useRef } from 'react';
import { eventValue, useSpEvent } from '../use-sp-event';
import type { RadioOption } from './SpRadioGroup';

export interface SpPickerProps<V extends string> {
  value: V | null;
  options: readonly RadioOption<V>[];
  onChange(value: V): void;
  placeholder?: string;
  disabled?: boolean;
  testId?: string;
}

/**
 * A drop-down. UXP's sp-picker reports the chosen item through `value` on some versions and only
 * through `selectedIndex` on others: both are read.
 */
export function SpPicker<V extends string>({ value, options, onChange, placeholder, disabled, testId }: SpPickerProps<V>): JSX.Element {
  const ref = useRef<HTMLElement>(null);
  useSpEvent(ref, 'change', (e) => {
    const byValue = options.find((o) => o.value === eventValue(e));
    const index = (e.target as { selectedIndex?: unknown } | null)?.selectedIndex;
    const picked = byValue ?? (typeof index === 'number' ? options[index] : undefined);
    if (picked) onChange(picked.value);
  });
  return (
    <sp-picker ref={ref} placeholder={placeholder} disabled={disabled ? true : undefined} data-testid={testId}>
      <sp-menu slot="options">
        {options.map((o) => (
          <sp-menu-item key={o.value} value={o.value} selected={o.value === value ? true : undefined}>
            {o.label}
          </sp-menu-item>
        ))}
      </sp-menu>
    </sp-picker>
  );
}
