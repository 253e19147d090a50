/**
 * Spectrum Web Components (npm @spectrum-web-components/*) standing in for the Spectrum UXP
 * widgets Photoshop builds in. Where a UXP element has no SWC element of its name, or a UXP
 * behaviour the panel relies on differs, a small adapter below makes the SWC element behave as
 * AdobeDocs/uxp documents the UXP one (reference-spectrum/Spectrum UXP Widgets/...). The
 * "Spectrum to SWC Mapping" page of the same reference lists the correspondences.
 */
import '@spectrum-web-components/theme/sp-theme.js';
import '@spectrum-web-components/theme/theme-dark.js';
import '@spectrum-web-components/theme/scale-medium.js';
import '@spectrum-web-components/button/sp-button.js';
import '@spectrum-web-components/checkbox/sp-checkbox.js';
import '@spectrum-web-components/textfield/sp-textfield.js';
import '@spectrum-web-components/picker/sp-picker.js';
import '@spectrum-web-components/menu/sp-menu.js';
import '@spectrum-web-components/menu/sp-menu-item.js';
import '@spectrum-web-components/radio/sp-radio.js';
import '@spectrum-web-components/divider/sp-divider.js';
import '@spectrum-web-components/field-label/sp-field-label.js';
import { ProgressBar } from '@spectrum-web-components/progress-bar';
import { RadioGroup } from '@spectrum-web-components/radio/src/RadioGroup.js';
import { Textfield } from '@spectrum-web-components/textfield';

/**
 * sp-radio-group: UXP lays it out as a column with the `column` attribute and reports the choice
 * as `evt.target.value` (sp-radio-group.md "Layout", "Responding to events"); SWC uses `vertical`
 * and `selected`.
 */
class UxpRadioGroup extends RadioGroup {
  override connectedCallback(): void {
    super.connectedCallback();
    this.vertical = this.hasAttribute('column');
  }
  get value(): string {
    return this.selected;
  }
}
customElements.define('sp-radio-group', UxpRadioGroup);

/** sp-progressbar (UXP) is SWC's sp-progress-bar; UXP takes `value` and `max`. */
class UxpProgressBar extends ProgressBar {
  static override get observedAttributes(): string[] {
    return [...super.observedAttributes, 'value', 'max'];
  }
  override attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    super.attributeChangedCallback(name, old, value);
    if (name === 'value' || name === 'max') {
      const max = Number(this.getAttribute('max') ?? 100) || 100;
      this.progress = (Number(this.getAttribute('value') ?? 0) * 100) / max;
    }
  }
}
customElements.define('sp-progressbar', UxpProgressBar);

/** sp-textarea (UXP) is SWC's multiline sp-textfield. */
class UxpTextarea extends Textfield {
  constructor() {
    super();
    this.multiline = true;
  }
}
customElements.define('sp-textarea', UxpTextarea);

/**
 * sp-dropdown (UXP, sp-dropdown.md): `<sp-menu slot="options">` of `sp-menu-item`s inside, and a
 * change event whose target has `selectedIndex`. SWC's sp-picker takes the items as direct
 * children and reports `value`: this element shows an sp-picker built from its own items and
 * reports both.
 */
class UxpDropdown extends HTMLElement {
  selectedIndex = -1;
  value = '';
  private readonly picker: HTMLElement & { value: string };
  private readonly observer = new MutationObserver(() => this.sync());

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    this.picker = document.createElement('sp-picker') as HTMLElement & { value: string };
    this.picker.style.width = '100%';
    this.picker.addEventListener('change', (e) => {
      e.stopPropagation();
      const items = this.items();
      this.value = this.picker.value;
      this.selectedIndex = items.findIndex((i) => i.getAttribute('value') === this.value);
      this.dispatchEvent(new Event('change', { bubbles: true }));
    });
    root.appendChild(this.picker);
  }

  private items(): Element[] {
    return Array.from(this.querySelectorAll('sp-menu-item'));
  }

  connectedCallback(): void {
    this.observer.observe(this, { childList: true, subtree: true, attributes: true, characterData: true });
    this.sync();
  }

  disconnectedCallback(): void {
    this.observer.disconnect();
  }

  private sync(): void {
    const items = this.items();
    this.picker.replaceChildren(
      ...items.map((item) => {
        const copy = document.createElement('sp-menu-item');
        copy.setAttribute('value', item.getAttribute('value') ?? '');
        copy.textContent = item.textContent;
        return copy;
      }),
    );
    const selected = items.find((i) => i.hasAttribute('selected'));
    this.picker.value = selected?.getAttribute('value') ?? '';
    this.picker.setAttribute('label', this.getAttribute('placeholder') ?? '');
    if (this.hasAttribute('disabled')) this.picker.setAttribute('disabled', '');
    else this.picker.removeAttribute('disabled');
  }
}
customElements.define('sp-dropdown', UxpDropdown);

/** Spectrum typography: classes in SWC, elements in UXP (sp-heading, sp-body, sp-detail, sp-label). */
const TYPOGRAPHY: Record<string, string> = {
  'sp-heading': 'display:block;font-size:var(--spectrum-font-size-300,18px);font-weight:700;margin:4px 0;',
  'sp-body': 'display:block;font-size:var(--spectrum-font-size-100,14px);line-height:1.4;margin:4px 0;',
  'sp-detail': 'display:block;font-size:var(--spectrum-font-size-75,12px);letter-spacing:0.04em;margin:2px 0;',
  'sp-label': 'display:inline-block;font-size:var(--spectrum-font-size-75,12px);margin-right:6px;',
};
for (const [name, style] of Object.entries(TYPOGRAPHY)) {
  customElements.define(
    name,
    class extends HTMLElement {
      constructor() {
        super();
        const root = this.attachShadow({ mode: 'open' });
        root.innerHTML = `<style>:host{${style}color:var(--spectrum-neutral-content-color-default,#ddd);}</style><slot></slot>`;
      }
    },
  );
}
