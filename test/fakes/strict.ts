/**
 * Wraps a fake so reading anything it does not implement throws instead of returning
 * undefined: a call the adapter makes that the fake does not model must fail the test loudly.
 * A few names that tooling probes (await's `then`, jest's printers) are let through.
 */
const PROBED = new Set(['then', 'toJSON', 'asymmetricMatch', 'nodeType', 'constructor', 'tagName', 'length', 'inspect', 'prototype']);

export function strict<T extends object>(target: T, label: string, owner = 'photoshop'): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      if (typeof prop === 'symbol' || prop in obj || PROBED.has(prop) || prop.startsWith('$$') || prop.startsWith('@@')) {
        return Reflect.get(obj, prop, receiver);
      }
      throw new Error(`fake ${owner}: ${label}.${prop} not implemented`);
    },
  });
}
