import { splitLines } from './text';

export interface TagFileResult {
  /** Elements in file order; labels as written (comparisons are case-insensitive). */
  elements: Array<{ label: string; value: string }>;
  errors: string[];
  warnings: string[];
}

/**
 * bag-info.txt (RFC 8493 §2.2.2): `Label: value` lines, a value continued on lines that start with
 * linear whitespace. RFC bags (1.0) must put exactly one space or tab after the colon and no
 * whitespace around the label; pre-RFC drafts were read loosely by the tools of their day (the
 * conformance suite's v0.97 "uncommon-metadata-separators" bag is valid), so there it is a warning.
 */
export function parseTagFile(text: string, name: string, strict: boolean): TagFileResult {
  const elements: TagFileResult['elements'] = [];
  const errors: string[] = [];
  const warnings: string[] = [];
  const lines = splitLines(text);
  lines.forEach((line, i) => {
    const at = `${name} line ${i + 1}`;
    if (/^[ \t]/.test(line)) {
      const last = elements[elements.length - 1];
      if (!last) errors.push(`${at}: a continuation line before any element`);
      else last.value = `${last.value} ${line.trim()}`;
      return;
    }
    if (line.trim() === '') {
      (strict ? errors : warnings).push(`${at}: empty line`);
      return;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      errors.push(`${at}: not "Label: value"`);
      return;
    }
    const rawLabel = line.slice(0, colon);
    const rest = line.slice(colon + 1);
    const label = rawLabel.trim();
    const canonical = rawLabel === label && /^[ \t][^ \t]/.test(rest) || (rawLabel === label && /^[ \t]$/.test(rest));
    if (!canonical) (strict ? errors : warnings).push(`${at}: label and value must be separated by ": " exactly (RFC 8493 §2.2.2)`);
    if (label === '') {
      errors.push(`${at}: empty label`);
      return;
    }
    elements.push({ label, value: rest.trim() });
  });
  return { elements, errors, warnings };
}

/** Values of one label, compared case-insensitively (§2.2.2: labels are case-insensitive). */
export function valuesOf(elements: TagFileResult['elements'], label: string): string[] {
  const wanted = label.toLowerCase();
  return elements.filter((e) => e.label.toLowerCase() === wanted).map((e) => e.value);
}

/** Writes elements as bag-info.txt: one element a line, LF endings, no folding. */
export function formatTagFile(elements: ReadonlyArray<{ label: string; value: string }>): string {
  return elements
    .map(({ label, value }) => {
      if (/[:\r\n]/.test(label) || label.trim() !== label || label === '') throw new Error(`not a valid bag-info label: ${JSON.stringify(label)}`);
      // Newlines in a value would start a new element: fold them into spaces.
      return `${label}: ${value.replace(/[\r\n]+/g, ' ').trim()}\n`;
    })
    .join('');
}
