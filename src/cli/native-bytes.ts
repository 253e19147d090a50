import { useByteSearch } from '../core/bytes';

/**
 * Node's Buffer search for core's indexOfByte: memchr in C++ (node_buffer.cc IndexOfNumber),
 * called on the typed array as it is, with no copy. It takes any Uint8Array view and gives the
 * typed array's answers for values 0-255 and offsets >= 0 (test/cli/native-bytes.test.ts holds it
 * to Uint8Array.prototype.indexOf), except past 2^31 - 1: Node 20 returns a match there as a
 * negative 32-bit number, so arrays that long keep the typed array's own search.
 * Each thread installs it once: a worker loads its own core.
 */
const NATIVE_LIMIT = 0x7fffffff;

export function installNativeByteSearch(): void {
  const search = Buffer.prototype.indexOf;
  useByteSearch((bytes, value, from) => (bytes.length > NATIVE_LIMIT ? Uint8Array.prototype.indexOf.call(bytes, value, from) : search.call(bytes, value, from)));
}
