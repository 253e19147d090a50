import { DeidError } from '../errors';

/**
 * RFC 8785 (JSON Canonicalization Scheme): the exact bytes a signature is computed over.
 * - Numbers: ECMAScript's Number-to-String (RFC 8785 section 3.2.2.3), which is what String()
 *   does; NaN and Infinity have no JSON form and are refused.
 * - Strings: ECMAScript's JSON.stringify escaping (section 3.2.2.2); lone surrogates are not
 *   I-JSON (RFC 7493 section 2.1) and are refused.
 * - Object members sorted by their names' UTF-16 code units (section 3.2.3), which is what
 *   comparing JS strings with < does.
 * Properties whose value is `undefined` are left out, as JSON.stringify leaves them out: the
 * sidecar writer omits them too, so the in-memory object and the file canonicalise alike.
 */
export function canonicalJson(value: unknown): string {
  return write(value, '$');
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function writeString(s: string, where: string): string {
  if (LONE_SURROGATE.test(s)) throw new DeidError('schema', `canonical JSON: ${where} holds a lone surrogate (not I-JSON, RFC 7493 2.1)`);
  return JSON.stringify(s);
}

function write(value: unknown, where: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new DeidError('schema', `canonical JSON: ${where} is ${String(value)}, which JSON cannot hold`);
      // String(-0) is "0", as RFC 8785 Appendix B wants.
      return String(value);
    case 'string':
      return writeString(value, where);
    case 'object': {
      if (Array.isArray(value)) {
        return `[${value.map((v, i) => {
          if (v === undefined) throw new DeidError('schema', `canonical JSON: ${where}[${i}] is undefined`);
          return write(v, `${where}[${i}]`);
        }).join(',')}]`;
      }
      const keys = Object.keys(value as object).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${keys.map((k) => `${writeString(k, where)}:${write((value as Record<string, unknown>)[k], `${where}.${k}`)}`).join(',')}}`;
    }
    default:
      throw new DeidError('schema', `canonical JSON: ${where} is a ${typeof value}, which JSON cannot hold`);
  }
}
