/**
 * Makes a string from a file (a path, a checklist label, a note) safe to print on a terminal:
 * C0/C1 controls and DEL (ECMA-48 escape and control sequences: clear screen, cursor moves,
 * OSC titles and hyperlinks) and the Unicode bidirectional formatting characters (UAX #9: they
 * reorder what a reader sees, "Trojan Source") are shown as \xNN / \uNNNN. A backslash is doubled
 * so an escaped ESC and a file literally named "\x1b" print differently. JSON output does not use
 * this: JSON.stringify already escapes controls and stays parseable.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\\\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

export function escapeText(text: string): string {
  return text.replace(UNSAFE, (c) => {
    if (c === '\\') return '\\\\';
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
