import { TextDecoder as NodeTextDecoder, TextEncoder as NodeTextEncoder } from 'node:util';

/**
 * jsdom (jest-environment-jsdom 29) has no TextEncoder/TextDecoder, which UXP and the core rely on.
 * Import this FIRST in a panel test. The encoder's output is copied into this realm's Uint8Array
 * so `instanceof Uint8Array` checks in the core and @noble/hashes hold.
 */
class RealmTextEncoder {
  private readonly inner = new NodeTextEncoder();
  readonly encoding = 'utf-8';
  encode(input = ''): Uint8Array {
    return new Uint8Array(this.inner.encode(input));
  }
}

const g = globalThis as Record<string, unknown>;
if (typeof g.TextEncoder === 'undefined') g.TextEncoder = RealmTextEncoder;
if (typeof g.TextDecoder === 'undefined') g.TextDecoder = NodeTextDecoder;
