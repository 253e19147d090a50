import { useRef } from 'react';
import { eventValue, useSpEvent } from '../use-sp-event';
import type { RadioOption } from './SpRadioGroup';

export interface SpDropdownProps<V extends string> {
  value: V | null;
  options: readonly RadioOption<V>[];
  onChange(value: V): void;
  placeholder?: string;
  disabled?: boolean;
  testId?: string;
  /** CSS width; the known-issues page asks for an explicit one (else it sizes to the selected item). */
  width: string;
}

/**
 * A drop-down, as `sp-dropdown`: the element AdobeDocs/uxp documents for UXP 4.1+ (src/pages/
 * uxp-api/reference-spectrum/Spectrum UXP Widgets/User Interface/sp-dropdown.md; Photoshop 25
 * runs UXP 7). `sp-picker` appears there only in the "Spectrum to SWC Mapping" table. The
 * documented change event exposes `evt.target.selectedIndex` ("Responding to events"); Spectrum
 * Web Components' picker (the preview) reports `value`: a value naming one of the options wins,
 * else the index.
 * known-issues.md: "make sure sp-dropdown elements have a width set".
 */
export function SpDropdown<V extends string>({ value, options, onChange, placeholder, disabled, testId, width }: SpDropdownProps<V>): JSX.Element {
  const ref = useRef<HTMLElement>(null);
  useSpEvent(ref, 'change', (e) => {
    const index = (e.target as { selectedIndex?: unknown } | null)?.selectedIndex;
    const byValue = options.find((o) => o.value === eventValue(e));
    const picked = byValue ?? (typeof index === 'number' && index >= 0 ? options[index] : undefined);
    if (picked) onChange(picked.value);
  });
  return (
    <sp-dropdown ref={ref} placeholder={placeholder} disabled={disabled ? true : undefined} data-testid={testId} style={{ width, flex: 'none' }}>
      <sp-menu slot="options">
        {options.map((o) => (
          <sp-menu-item key={o.value} value={o.value} selected={o.value === value ? true : undefined}>
            {o.label}
          </sp-menu-item>
        ))}
      </sp-menu>
    </sp-dropdown>
  );
}
