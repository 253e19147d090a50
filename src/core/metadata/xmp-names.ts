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
 * namespaced elements; whether one has a value follows exifr's XmlTag.serialize (holdsAny).
 * Comments, CDATA sections and processing instructions are read as text, as exifr reads them: a
 * property written inside a comment is named. exifr finds elements with regular expressions, not
 * as an XML reader does; on the packets where the two part ways (an element never closed, one
 * inside another of its name, spaces around '=', a no-break space inside a tag...: see
 * xmpProperties) an answer of our own could name less than exifr, so this reader gives none and
 * exifr is asked. test/core/xmp-names-fuzz.test.ts holds the two to the same names on random
 * packets.
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

/** [\w-]: what exifr's tag pattern takes for a prefix or local name (no '.', unlike XML's names). */
function isNameByte(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2d;
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

/**
 * exifr's isUndefinable, negated, on bytes[start, end): not empty, blank, or exactly "null" or
 * "undefined" (untrimmed there: " null" is a value).
 */
function holdsValue(b: Uint8Array, start: number, end: number): boolean {
  if (equalsAscii(b, start, end, NULL) || equalsAscii(b, start, end, UNDEFINED)) return false;
  while (start < end && isSpace(b[start])) start++;
  while (end > start && isSpace(b[end - 1])) end--;
  if (start === end) return false;
  for (let i = start; i < end; i++) {
    // Non-ASCII: trim() also removes U+00A0, U+2000-U+200A, U+3000, U+FEFF... decode to ask it.
    if (b[i] >= 0x80) return utf8.decode(b.subarray(start, end)).trim() !== '';
  }
  return true;
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
  /** Which of exifr's numbered rdf tags this is (NUMBERED index), or -1. */
  numbered: number;
  /** Namespaced attributes of its own (exifr's XmlAttr matches), and whether one holds a value. */
  attributes: number;
  attributeValued: boolean;
  /** Its text (read only when it has no child element, as exifr reads it) holds a value. */
  textValued: boolean;
  /** A child element holds a value. */
  childValued: boolean;
  children: number;
  /** Its one child element is an rdf:Seq, Bag or Alt. */
  childIsList: boolean;
  /** A property of an outermost rdf:Description (or, without one, an outermost element). */
  property: boolean;
  description: boolean;
}

/** One tag read at '<'. */
interface Tag {
  next: number;
  closing: boolean;
  selfClosing: boolean;
  prefix: string;
  name: string;
  /** Prefixed attributes holding a value, as [prefix, name]. */
  attributes: Array<[string, string]>;
  /** Prefixed attributes, with a value or not. */
  prefixed: number;
}

/** readTag's answer where exifr's patterns and an XML reader could part ways: leave the packet to exifr. */
const IRREGULAR = 'irregular';

function readName(b: Uint8Array, at: number, end: number, colon: boolean): number {
  while (at < end && (isNameByte(b[at]) || (colon && b[at] === COLON))) at++;
  return at;
}

/** An attribute name XmlAttr's /([a-zA-Z0-9-]+):([a-zA-Z0-9-]+)=/ reads whole: one colon, no '_'. */
function plainAttributeName(b: Uint8Array, start: number, end: number): number {
  let colon = -1;
  for (let i = start; i < end; i++) {
    if (b[i] === COLON) {
      if (colon >= 0 || i === start || i === end - 1) return -2;
      colon = i;
    } else if (b[i] === 0x5f) {
      return -2;
    }
  }
  return colon;
}

/**
 * The tag at '<' as exifr's XmlTag pattern reads one: `<P:N` (P and N [\w-]+), then attributes
 * each after white space, `name="value"` or `name='value'` with no space around '=', then
 * optional white space and '>' or '/>'; an end tag is exactly `</P:N>`. null: not a tag, for
 * exifr either (it reads the bytes as text). IRREGULAR: a shape where the two could part ways
 * (a non-ASCII byte where JavaScript's \s would match, exifr's own "#id" suffix, an attribute
 * XmlAttr would read a piece of, a '<' inside a value where exifr's lazy search for the end tag
 * could stop).
 */
function readTag(b: Uint8Array, lt: number, end: number): Tag | null | typeof IRREGULAR {
  let at = lt + 1;
  const closing = at < end && b[at] === SLASH;
  if (closing) at++;
  const prefixEnd = readName(b, at, end, false);
  if (prefixEnd === at || prefixEnd >= end || b[prefixEnd] !== COLON) return null;
  const nameEnd = readName(b, prefixEnd + 1, end, false);
  if (nameEnd === prefixEnd + 1) return null;
  if (nameEnd < end && (b[nameEnd] === HASH || b[nameEnd] >= 0x80)) return IRREGULAR;
  const tag: Tag = { next: -1, closing, selfClosing: false, prefix: ascii(b, at, prefixEnd), name: ascii(b, prefixEnd + 1, nameEnd), attributes: [], prefixed: 0 };
  at = nameEnd;
  if (closing) {
    if (at >= end || b[at] !== GT) return null;
    tag.next = at + 1;
    return tag;
  }
  for (;;) {
    const spaceStart = at;
    while (at < end && isSpace(b[at])) at++;
    if (at >= end) return null;
    if (b[at] >= 0x80) return IRREGULAR;
    if (b[at] === GT) {
      tag.next = at + 1;
      return tag;
    }
    if (b[at] === SLASH) {
      if (at + 1 < end && b[at + 1] === GT) {
        tag.selfClosing = true;
        tag.next = at + 2;
        return tag;
      }
      return null;
    }
    // An attribute: [\w-:]+, '=', a quoted value, after white space.
    if (at === spaceStart) return null;
    const nameStart = at;
    at = readName(b, at, end, true);
    if (at === nameStart || at + 1 >= end || b[at] !== EQUALS || (b[at + 1] !== DQUOTE && b[at + 1] !== SQUOTE)) return null;
    const attrEnd = at;
    const quote = b[at + 1];
    let close = -1;
    let lt = false;
    let equals = false;
    for (let i = at + 2; i < end; i++) {
      const c = b[i];
      if (c === quote) {
        close = i;
        break;
      }
      if (c === LT) lt = true;
      else if (c === EQUALS) equals = true;
    }
    if (close < 0) return null;
    const colon = plainAttributeName(b, nameStart, attrEnd);
    if (colon === -2 || lt || (colon < 0 && equals)) return IRREGULAR;
    // exifr reads only prefixed attributes; xml:lang and xmlns:* count, as there.
    if (colon > 0) tag.prefixed++;
    if (colon > 0 && holdsValue(b, at + 2, close)) tag.attributes.push([ascii(b, nameStart, colon), ascii(b, colon + 1, attrEnd)]);
    at = close + 1;
  }
}

const HASH = 0x23;
const RDF = Array.from('rdf:', (c) => c.charCodeAt(0));
/** The rdf tags exifr numbers before it matches tags (xmp.mjs idNestedTags), in its pattern's order. */
const NUMBERED = ['li', 'Seq', 'Bag', 'Alt', 'Description'];
const NUMBERED_BYTES = NUMBERED.map((n) => Array.from(n, (c) => c.charCodeAt(0)));
const DESCRIPTION = NUMBERED.indexOf('Description');
const LISTS = new Set(['Seq', 'Bag', 'Alt']);
const DESCRIPTION_TAG = Array.from('<rdf:Description', (c) => c.charCodeAt(0));

/**
 * How often exifr's idNestedTags finds each numbered tag after '<' (opens) and after '/'
 * (closes) anywhere in the text, attribute values and comments included, and "rdf:lipstick"
 * counted as an "rdf:li": [opens..., closes...].
 */
function numberedMarks(b: Uint8Array, start: number, end: number): number[] {
  const counts = new Array<number>(NUMBERED.length * 2).fill(0);
  for (let i = start; i + RDF.length < end; i++) {
    if ((b[i] !== LT && b[i] !== SLASH) || !equalsAscii(b, i + 1, i + 1 + RDF.length, RDF)) continue;
    const at = i + 1 + RDF.length;
    let k = 0;
    while (k < NUMBERED_BYTES.length && !equalsAscii(b, at, Math.min(end, at + NUMBERED_BYTES[k].length), NUMBERED_BYTES[k])) k++;
    if (k < NUMBERED_BYTES.length) {
      counts[k + (b[i] === SLASH ? NUMBERED.length : 0)]++;
      i = at + NUMBERED_BYTES[k].length - 1;
    }
  }
  return counts;
}

function isList(el: Open): boolean {
  return el.numbered >= 0 && LISTS.has(el.name);
}

/**
 * Whether exifr's XmlTag.serialize gives the element a value (xmp.mjs): its text only when it has
 * no attribute and no child element; the one list it wraps, whatever its own attributes; a list's
 * items, as an array (of nothing, or of two or more, a value all the same); else an object of its
 * attributes and children, with its text when it has no child.
 */
function holdsAny(el: Open): boolean {
  if (el.attributes === 0 && el.children === 0) return el.textValued;
  if (el.children === 1 && el.childIsList) return el.childValued;
  if (isList(el)) return el.children !== 1 || el.childValued;
  return el.attributeValued || el.childValued || (el.children === 0 && el.textValued);
}

/**
 * Every property of the packet in bytes[start, end) that holds a value, in document order,
 * repeats included; or null when the packet is not one this reader answers for exactly as exifr
 * does, and exifr itself has to read it.
 *
 * exifr finds an element with a regular expression that takes the first `</P:N>` after its start
 * tag as its end, and when there is none the start tag is skipped and what it held is read as if
 * it stood where the element does (a property's fields become properties). It numbers rdf:li,
 * Seq, Bag, Alt and Description occurrences (start tags, end tags, and the same words anywhere in
 * the text) to match their ends. On a packet an XML reader reads as well nested - every end tag
 * closes the innermost open element, nothing is left open, no element inside one of the same
 * name, those rdf words only in tags, and no self-closing one inside an open one of its kind -
 * the two find the same elements; on any other (none from a camera or editor we know) this
 * reader gives way rather than guess. Linear in the packet's length.
 */
export function xmpProperties(b: Uint8Array, start = 0, end = b.length): XmpProperty[] | null {
  // Whether exifr finds an rdf:Description (else it reads the whole packet as one).
  let withDescription = false;
  for (let at = find(b, LT, start, end); at >= 0 && !withDescription; at = find(b, LT, at + 1, end)) {
    if (!equalsAscii(b, at, Math.min(end, at + DESCRIPTION_TAG.length), DESCRIPTION_TAG)) continue;
    const tag = readTag(b, at, end);
    if (tag === IRREGULAR) return null;
    withDescription = tag !== null && tag.name === 'Description';
  }
  const found: XmpProperty[] = [];
  const stack: Open[] = [];
  const openNames = new Map<string, number>();
  const marks = new Array<number>(NUMBERED.length * 2).fill(0);
  let descriptions = 0;

  const close = (el: Open): void => {
    if (el.description) descriptions--;
    const valued = holdsAny(el);
    if (el.property && valued) found.push({ prefix: el.prefix, name: el.name });
    const parent = stack[stack.length - 1];
    if (parent) {
      parent.children++;
      parent.childIsList = isList(el);
      if (valued) parent.childValued = true;
    }
  };
  const text = (from: number, to: number): void => {
    const top = stack[stack.length - 1];
    if (top && !top.textValued && to > from && holdsValue(b, from, to)) top.textValued = true;
  };

  let at = start;
  while (at < end) {
    const lt = find(b, LT, at, end);
    if (lt < 0) break;
    const tag = readTag(b, lt, end);
    if (tag === IRREGULAR) return null;
    if (tag === null) {
      text(at, lt + 1);
      at = lt + 1;
      continue;
    }
    text(at, lt);
    at = tag.next;
    const numbered = tag.prefix === 'rdf' ? NUMBERED.indexOf(tag.name) : -1;
    const key = `${tag.prefix}:${tag.name}`;
    if (tag.closing) {
      const top = stack[stack.length - 1];
      if (!top || top.prefix !== tag.prefix || top.name !== tag.name) return null;
      if (numbered >= 0) marks[numbered + NUMBERED.length]++;
      stack.pop();
      openNames.set(key, openNames.get(key)! - 1);
      close(top);
      continue;
    }
    const open = openNames.get(key) ?? 0;
    if (numbered >= 0) {
      marks[numbered]++;
      if (tag.selfClosing && open > 0) return null;
    } else if (open > 0) {
      return null;
    }
    const isDescription = numbered === DESCRIPTION;
    const parent = stack[stack.length - 1];
    const property = withDescription ? parent !== undefined && parent.description && descriptions === 1 : stack.length === 0;
    // The attributes of an outermost rdf:Description are properties themselves (XMP Part 1 §7.9.2.2).
    if (isDescription && descriptions === 0) for (const [prefix, name] of tag.attributes) found.push({ prefix, name });
    const el: Open = { prefix: tag.prefix, name: tag.name, numbered, attributes: tag.prefixed, attributeValued: tag.attributes.length > 0, textValued: false, childValued: false, children: 0, childIsList: false, property, description: isDescription };
    if (isDescription) descriptions++;
    if (tag.selfClosing) {
      close(el);
    } else {
      stack.push(el);
      openNames.set(key, open + 1);
    }
  }
  text(at, end);
  if (stack.length > 0) return null;
  const textual = numberedMarks(b, start, end);
  return textual.every((n, k) => n === marks[k]) ? found : null;
}
