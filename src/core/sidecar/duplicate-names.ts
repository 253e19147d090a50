/**
 * Whether some object in a JSON text repeats a member name. I-JSON (RFC 7493 §2.3) forbids it,
 * and RFC 8259 §4 says what a reader then sees is unpredictable: JSON.parse keeps the last, other
 * readers the first, so a sidecar with a repeated name says one thing to the signature check here
 * and another to the next tool. Names are compared as decoded ("a" and "\u0061" are one name).
 *
 * `text` must already be valid JSON (JSON.parse accepted it). One pass over the text with an
 * explicit stack, no recursion, so a document nested 100,000 deep costs memory, not the call stack.
 */
export function hasDuplicateName(text: string): boolean {
  // One entry per open container: the names seen so far in an object, null for an array.
  const open: (Set<string> | null)[] = [];
  let expectName = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      let end = i + 1;
      while (text.charCodeAt(end) !== QUOTE) end += text.charCodeAt(end) === BACKSLASH ? 2 : 1;
      if (expectName) {
        // A flat string literal: JSON.parse decodes its escapes exactly as it did for the document.
        const name = JSON.parse(text.slice(i, end + 1)) as string;
        const names = open[open.length - 1]!;
        if (names.has(name)) return true;
        names.add(name);
        expectName = false;
      }
      i = end;
    } else if (c === OPEN_BRACE) {
      open.push(new Set());
      expectName = true;
    } else if (c === OPEN_BRACKET) {
      open.push(null);
      expectName = false;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      open.pop();
      expectName = false;
    } else if (c === COMMA) {
      expectName = open.length > 0 && open[open.length - 1] !== null;
    }
  }
  return false;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
