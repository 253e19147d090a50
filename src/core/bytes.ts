/** Unchecked big- and little-endian reads: callers bounds-check first (each container's walk does). */
export function u16be(b: Uint8Array, at: number): number {
  return (b[at] << 8) | b[at + 1];
}

export function u16le(b: Uint8Array, at: number): number {
  return b[at] | (b[at + 1] << 8);
}

export function u32be(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

export function u32le(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

/** Where `value` next occurs in `bytes` at or after `from` (0-255; `from` >= 0), or -1. */
export type ByteSearch = (bytes: Uint8Array, value: number, from: number) => number;

const typedArraySearch: ByteSearch = (bytes, value, from) => bytes.indexOf(value, from);
let byteSearch: ByteSearch = typedArraySearch;

/**
 * Uint8Array.prototype.indexOf's answer, through the host's fastest search. The JPEG walk asks
 * once per 0xFF in the scan data (about 4,000 times per MB of camera JPEG), and V8's typed-array
 * indexOf is a plain loop: Node's Buffer search (memchr) does the same in a third of the time,
 * so the command line installs it with useByteSearch (cli/native-bytes.ts). Core stays free of
 * host imports; the panel keeps the typed-array search.
 */
export function indexOfByte(bytes: Uint8Array, value: number, from: number): number {
  return byteSearch(bytes, value, from);
}

/** Installs a faster search with indexOfByte's exact answers (property-tested against it). */
export function useByteSearch(search: ByteSearch | null): void {
  byteSearch = search ?? typedArraySearch;
}

/**
 * The same memory as a plain Uint8Array. A Node Buffer (a Uint8Array subclass) answers slice()
 * with a view, not a copy, so a walk that copies with slice() and then writes would write into
 * its caller's bytes: scan.ts hands every walk and strip its input through this.
 */
export function plainBytes(bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A copy of bytes[start, end) in memory of its own, whatever subclass `bytes` is (see plainBytes). */
export function copyBytes(bytes: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(bytes.subarray(start, end));
}

/** Four bytes as Latin-1 text: RIFF chunk ids, ISO-BMFF box types, PNG chunk types. */
export function fourcc(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);
}

/**
 * Whether `pieces`, joined, are exactly `bytes`: the same answer as joining them and comparing,
 * without the copy. A piece that is `bytes` itself at the place it would land (a kept segment of
 * an already-clean file) is equal by identity, so only rewritten or moved pieces are compared
 * byte by byte; this keeps the "a clean file is exactly what strip writes" check of every walk
 * from costing a full copy and compare of the image data.
 */
export function joinsTo(pieces: readonly Uint8Array[], bytes: Uint8Array): boolean {
  let at = 0;
  for (const p of pieces) {
    if (at + p.length > bytes.length) return false;
    const inPlace = p.buffer === bytes.buffer && p.byteOffset === bytes.byteOffset + at;
    if (!inPlace) {
      for (let i = 0; i < p.length; i++) if (p[i] !== bytes[at + i]) return false;
    }
    at += p.length;
  }
  return at === bytes.length;
}

/** The pieces as one new array. */
export function joinBytes(pieces: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of pieces) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
