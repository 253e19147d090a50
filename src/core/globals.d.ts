// The core runs in UXP, browsers and Node, so it compiles against ES2020 alone (tsconfig.core.json).
// These are the few host globals every one of those runtimes provides.
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: ArrayBufferView | ArrayBuffer): string;
}
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare const crypto: { getRandomValues<T extends ArrayBufferView>(array: T): T } | undefined;
