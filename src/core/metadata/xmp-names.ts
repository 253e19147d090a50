/**
 * The names of the properties an XMP packet sets, without their values: what a finding on a file
 * the walk has already failed says it "reveals". exifr reads the same packet to the same end
 * (its values included) at about ten times the cost, which was an eighth of `deid verify` over a
 * folder of camera JPEGs (issue 12); test/core/xmp-names.test.ts and readable-scope.test.ts hold
 * this reader to exifr's answers on every corpus file, on random JPEGs and on hand-built packets.
 *
 * What counts as a property follows exifr 7.1.3 (src/segment-parsers/xmp.mjs), which names them
 * so in its output: the namespaced attributes and child elements of each outermost
 * rdf:Description (XMP Part 1 §7.9.2.2-§7.9.2.3), or, in a packet without one, its outermost
 * namespaced elements. A property has a value when it, or anything inside it, holds text or a
 * namespaced attribute other than empty, blank, "null" or "undefined" (exifr's isUndefinable).
 * Comments, CDATA sections and processing instructions are read as text, as exifr reads them: a
 * property written inside a comment is named. Where an XML reader and exifr's regular
 * expressions part ways (a '>' inside an attribute value, spaces around '=', unclosed elements),
 * this reader keeps the property: on a failed file a name too many in the detail is harmless, a
 * name missing is not.
 *
 * It reads the UTF-8 bytes as they are, one pass with no regular expression and no string per
 * tag: names are ASCII (XML 1.0 §2.3 allows more, which exifr's [\w-] does not match either),
 * and only a value's emptiness is needed, which is decoded only when it has non-ASCII bytes.
 */

export interface XmpProperty {
  /** The namespace prefix as written ("dc", "photoshop", "exif"), which exifr groups by. */
  prefix: string;
  /** The local name ("creator", "City"), exifr's output key. */
  name: string;
}

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const COLON = 0x3a;
const EQUALS = 0x3d;
const DQUOTE = 0x22;
const SQUOTE = 0x27;

/** JavaScript's trim() removes these ASCII bytes (and more, non-ASCII: see holdsValue). */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** [\w.-]: what exifr's patterns take for a prefix or local name. */
function isNameByte(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2d || c === 0x2e;
}

const NULL = [0x6e, 0x75, 0x6c, 0x6c];
const UNDEFINED = [0x75, 0x6e, 0x64, 0x65, 0x66, 0x69, 0x6e, 0x65, 0x64];
const utf8 = new TextDecoder('utf-8');

/**
 * Where `value` next occurs in b[from, end), or -1. A loop of our own, not indexOfByte: a packet
 * asks once per tag and per attribute, hundreds of times in a few KB, where a call into the host's
 * search costs more than the bytes it looks at.
 */
function find(b: Uint8Array, value: number, from: number, end: number): number {
  for (let i = from; i < end; i++) if (b[i] === value) return i;
  return -1;
}

/** exifr's isUndefinable, negated, on bytes[start, end): not empty, blank, "null" or "undefined". */
function holdsValue(b: Uint8Array, start: number, end: number): boolean {
  while (start < end && isSpace(b[start])) start++;
  while (end > start && isSpace(b[end - 1])) end--;
  if (start === end) return false;
  for (let i = start; i < end; i++) {
    if (b[i] >= 0x80) {
      // Non-ASCII: trim() also removes U+00A0, U+2000-U+200A, U+3000, U+FEFF... decode to ask it.
      const t = utf8.decode(b.subarray(start, end)).trim();
      return t !== '' && t !== 'null' && t !== 'undefined';
    }
  }
  return !(equalsAscii(b, start, end, NULL) || equalsAscii(b, start, end, UNDEFINED));
}

function equalsAscii(b: Uint8Array, start: number, end: number, word: readonly number[]): boolean {
  if (end - start !== word.length) return false;
  for (let k = 0; k < word.length; k++) if (b[start + k] !== word[k]) return false;
  return true;
}

function ascii(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]);
  return s;
}

interface Open {
  prefix: string;
  name: string;
  /** True when this element or anything read inside it so far holds a value. */
  valued: boolean;
  /** A property of an outermost rdf:Description (or, without one, an outermost element). */
  property: boolean;
  description: boolean;
}

/** One tag read at '<': where it ends, or -1 when the bytes there are not a tag exifr could match. */
interface Tag {
  next: number;
  closing: boolean;
  selfClosing: boolean;
  prefix: string;
  name: string;
  /** Prefixed attributes holding a value, as [prefix, name]. */
  attributes: Array<[string, string]>;
}

function readName(b: Uint8Array, at: number, end: number): number {
  while (at < end && isNameByte(b[at])) at++;
  return at;
}

function readTag(b: Uint8Array, lt: number, end: number): Tag | null {
  let at = lt + 1;
  const closing = at < end && b[at] === SLASH;
  if (closing) at++;
  const prefixEnd = readName(b, at, end);
  if (prefixEnd === at || prefixEnd >= end || b[prefixEnd] !== COLON) return null;
  const nameEnd = readName(b, prefixEnd + 1, end);
  if (nameEnd === prefixEnd + 1) return null;
  const tag: Tag = { next: -1, closing, selfClosing: false, prefix: ascii(b, at, prefixEnd), name: ascii(b, prefixEnd + 1, nameEnd), attributes: [] };
  at = nameEnd;
  for (;;) {
    const spaced = at < end && isSpace(b[at]);
    while (at < end && isSpace(b[at])) at++;
    if (at >= end) return null;
    if (b[at] === GT) {
      tag.next = at + 1;
      return tag;
    }
    if (b[at] === SLASH && !closing) {
      if (at + 1 < end && b[at + 1] === GT) {
        tag.selfClosing = true;
        tag.next = at + 2;
        return tag;
      }
      return null;
    }
    // An attribute: name, '=', a quoted value (XML 1.0 §3.1), after white space.
    if (closing || !spaced) return null;
    const nameStart = at;
    let colon = -1;
    while (at < end && !isSpace(b[at]) && b[at] !== EQUALS && b[at] !== SLASH && b[at] !== GT) {
      if (b[at] === COLON && colon < 0) colon = at;
      at++;
    }
    const attrEnd = at;
    while (at < end && isSpace(b[at])) at++;
    if (at >= end || b[at] !== EQUALS || attrEnd === nameStart) return null;
    at++;
    while (at < end && isSpace(b[at])) at++;
    if (at >= end || (b[at] !== DQUOTE && b[at] !== SQUOTE)) return null;
    const close = find(b, b[at], at + 1, end);
    if (close < 0) return null;
    // exifr reads only prefixed attributes ([\w-]+:[\w-]+="..."); xml:lang counts, as there.
    if (colon > nameStart && colon + 1 < attrEnd && holdsValue(b, at + 1, close)) {
      tag.attributes.push([ascii(b, nameStart, colon), ascii(b, colon + 1, attrEnd)]);
    }
    at = close + 1;
  }
}

const DESCRIPTION = Array.from('<rdf:Description', (c) => c.charCodeAt(0));

/** Whether the packet has an rdf:Description start tag at all (else exifr reads it as one). */
function hasDescription(b: Uint8Array, start: number, end: number): boolean {
  for (let at = find(b, LT, start, end); at >= 0; at = find(b, LT, at + 1, end)) {
    const after = at + DESCRIPTION.length;
    if (after < end && equalsAscii(b, at, after, DESCRIPTION) && (isSpace(b[after]) || b[after] === SLASH || b[after] === GT)) return true;
  }
  return false;
}

/**
 * Every property of the packet in bytes[start, end) that holds a value, in document order,
 * repeats included. Linear in the packet's length.
 */
export function xmpProperties(b: Uint8Array, start = 0, end = b.length): XmpProperty[] {
  const withDescription = hasDescription(b, start, end);
  const found: XmpProperty[] = [];
  const stack: Open[] = [];
  let descriptions = 0;

  const close = (el: Open): void => {
    if (el.description) descriptions--;
    if (el.property && el.valued) found.push({ prefix: el.prefix, name: el.name });
    const parent = stack[stack.length - 1];
    if (parent && el.valued) parent.valued = true;
  };
  const text = (from: number, to: number): void => {
    const top = stack[stack.length - 1];
    if (top && !top.valued && to > from && holdsValue(b, from, to)) top.valued = true;
  };

  let at = start;
  while (at < end) {
    const lt = find(b, LT, at, end);
    if (lt < 0) break;
    const tag = readTag(b, lt, end);
    if (tag === null) {
      // Not a tag exifr could match: the '<' is text, up to the next one.
      text(at, lt + 1);
      at = lt + 1;
      continue;
    }
    text(at, lt);
    at = tag.next;
    if (tag.closing) {
      // An end tag closes its element and any left open inside it; one that matches nothing open is ignored.
      let k = stack.length - 1;
      while (k >= 0 && !(stack[k].prefix === tag.prefix && stack[k].name === tag.name)) k--;
      if (k >= 0) while (stack.length > k) close(stack.pop()!);
      continue;
    }
    const isDescription = tag.prefix === 'rdf' && tag.name === 'Description';
    const parent = stack[stack.length - 1];
    const property = withDescription ? parent !== undefined && parent.description && descriptions === 1 : stack.length === 0;
    // The attributes of an outermost rdf:Description are properties themselves (XMP Part 1 §7.9.2.2).
    if (isDescription && descriptions === 0) for (const [prefix, name] of tag.attributes) found.push({ prefix, name });
    const el: Open = { prefix: tag.prefix, name: tag.name, valued: tag.attributes.length > 0, property, description: isDescription };
    if (isDescription) descriptions++;
    if (tag.selfClosing) close(el);
    else stack.push(el);
  }
  text(at, end);
  while (stack.length > 0) close(stack.pop()!);
  return found;
}
