import { DeidError } from '../errors';

/**
 * Alternate identifiers: "DEID-7KQ2-M9XH-3TRA". Twelve symbols of Crockford's base32 (no I, L,
 * O or U, so nothing is misread as 1 or 0 and nothing spells words) carry 60 random bits, in
 * groups of four so people can read them aloud. They come from a cryptographic random source
 * and are NEVER derived from any input: an id computed from a name or a file could be
 * recomputed by anyone holding that name or file.
 */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const PREFIX = 'DEID';
const GROUPS = 3;
const GROUP_LENGTH = 4;
const SYMBOLS = GROUPS * GROUP_LENGTH;
const BITS_PER_SYMBOL = 5;
/** 60 bits fit in 8 bytes; the extra 4 bits are dropped, so every symbol stays uniform. */
const RANDOM_BYTES = Math.ceil((SYMBOLS * BITS_PER_SYMBOL) / 8);

export const ALTERNATE_ID_PATTERN = /^DEID(-[0-9A-HJKMNP-TV-Z]{4}){3}$/;

export type RandomBytes = (length: number) => Uint8Array;

function cryptoRandomBytes(length: number): Uint8Array {
  if (typeof crypto === 'undefined' || typeof crypto.getRandomValues !== 'function') {
    throw new DeidError('unsupported', 'no cryptographic random source (crypto.getRandomValues) in this runtime');
  }
  return crypto.getRandomValues(new Uint8Array(length));
}

/** A new alternate id. `randomBytes` is for tests; it must return `length` random bytes. */
export function newAlternateId(randomBytes: RandomBytes = cryptoRandomBytes): string {
  const bytes = randomBytes(RANDOM_BYTES);
  if (bytes.length < RANDOM_BYTES) {
    throw new DeidError('usage', `random source returned ${bytes.length} bytes, ${RANDOM_BYTES} needed`);
  }
  let symbols = '';
  let acc = 0;
  let accBits = 0;
  let next = 0;
  while (symbols.length < SYMBOLS) {
    if (accBits < BITS_PER_SYMBOL) {
      acc = (acc << 8) | bytes[next++];
      accBits += 8;
    }
    accBits -= BITS_PER_SYMBOL;
    symbols += CROCKFORD[(acc >> accBits) & 0x1f];
    acc &= (1 << accBits) - 1;
  }
  const groups: string[] = [];
  for (let i = 0; i < SYMBOLS; i += GROUP_LENGTH) groups.push(symbols.slice(i, i + GROUP_LENGTH));
  return [PREFIX, ...groups].join('-');
}

/** Exactly the canonical form (what file names and sidecars hold). */
export function isAlternateId(s: unknown): s is string {
  return typeof s === 'string' && ALTERNATE_ID_PATTERN.test(s);
}

/**
 * Reads an id as a person typed or heard it: any case, spaces or hyphens anywhere, and
 * Crockford's look-alikes (O -> 0, I and L -> 1). Returns the canonical form, or throws
 * DeidError('usage').
 */
export function parseAlternateId(input: string): string {
  const compact = input.toUpperCase().replace(/[\s-]/g, '');
  const body = compact.startsWith(PREFIX) ? compact.slice(PREFIX.length) : compact;
  const normalised = body.replace(/O/g, '0').replace(/[IL]/g, '1');
  if (normalised.length !== SYMBOLS || [...normalised].some((ch) => !CROCKFORD.includes(ch))) {
    throw new DeidError('usage', `"${input}" is not an alternate id (expected e.g. DEID-7KQ2-M9XH-3TRA)`);
  }
  const groups: string[] = [];
  for (let i = 0; i < SYMBOLS; i += GROUP_LENGTH) groups.push(normalised.slice(i, i + GROUP_LENGTH));
  return [PREFIX, ...groups].join('-');
}
