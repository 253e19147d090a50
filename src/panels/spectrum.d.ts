/**
 * JSX types for the Spectrum UXP widgets built into Photoshop (research/photoshop-uxp.md
 * "Runtime, React, build"). React treats them as custom elements: it sets attributes, wires none
 * of their events (see use-sp-event.ts) and, for a custom element, writes `false` as the string
 * "false", which a boolean attribute reads as true; pass booleans as `x ? true : undefined`.
 * The class attribute is spelled `class` on them.
 */
import type { DetailedHTMLProps, HTMLAttributes } from 'react';

interface SpAttributes extends DetailedHTMLProps<HTMLAttributes<HTMLElement>, HTMLElement> {
  class?: string;
  variant?: string;
  quiet?: true;
  disabled?: true;
  checked?: true;
  selected?: true;
  invalid?: true;
  column?: true;
  value?: string | number;
  placeholder?: string;
  type?: string;
  size?: string;
  max?: number;
  min?: number;
  label?: string;
  slot?: string;
}

declare module 'react' {
  namespace JSX {
    interface IntrinsicElements {
      'sp-button': SpAttributes;
      'sp-action-button': SpAttributes;
      'sp-checkbox': SpAttributes;
      'sp-textfield': SpAttributes;
      'sp-textarea': SpAttributes;
      'sp-dropdown': SpAttributes;
      'sp-menu': SpAttributes;
      'sp-menu-item': SpAttributes;
      'sp-radio-group': SpAttributes;
      'sp-radio': SpAttributes;
      'sp-progressbar': SpAttributes;
      'sp-heading': SpAttributes;
      'sp-body': SpAttributes;
      'sp-detail': SpAttributes;
      'sp-label': SpAttributes;
      'sp-divider': SpAttributes;
    }
  }
}
