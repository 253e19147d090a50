/**
 * Text as JSON.parse needs it: without the UTF-8 byte-order mark that Windows Notepad writes at
 * the start of a saved file (a recipe, a policy, a sidecar), which is not part of the JSON.
 */
export function withoutByteOrderMark(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
