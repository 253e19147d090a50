/**
 * Helpers every container test shares: reading findings out of a walk, the "DeidError or
 * nothing" rule (src/core/errors.ts), the planted-metadata check that works for any
 * ContainerFormat with a strip, and the byte mutations the fast-check properties apply.
 */
import fc from 'fast-check';
import { DeidError } from '../../src/core/errors';
import type { ContainerFormat, Finding, FindingKind, Part, StripResult } from '../../src/core/metadata/types';
import { concatBytes } from './plant';

/** The findings of a walk, in part order (allowlisted parts carry none). */
export function findingsOf(parts: Part[]): Finding[] {
  return parts.flatMap((p) => (p.finding ? [p.finding] : []));
}

/** The distinct finding kinds of a walk. */
export function kindsOf(parts: Part[]): Set<FindingKind> {
  return new Set(findingsOf(parts).map((f) => f.kind));
}

/** The distinct finding kinds of a walk, sorted (for toEqual on a list). */
export function sortedKindsOf(parts: Part[]): FindingKind[] {
  return [...kindsOf(parts)].sort();
}

/**
 * Runs `fn`; a DeidError is an allowed refusal, anything else escaping is a bug and fails the
 * test with its cause. Says which happened, so properties can check both outcomes occur.
 */
export function returnsOrDeidError(fn: () => unknown): 'returned' | 'refused' {
  try {
    fn();
    return 'returned';
  } catch (e) {
    if (!(e instanceof DeidError)) throw e;
    return 'refused';
  }
}

/** The strip of a format that has one (fails the test, not the type checker, otherwise). */
export function stripOf(format: ContainerFormat): NonNullable<ContainerFormat['strip']> {
  const strip = format.strip;
  if (!strip) throw new Error(`format ${format.formats.join('/')} has no strip`);
  return strip.bind(format);
}

/** strip(strip(x)) is strip(x), byte for byte. */
export function expectIdempotent(format: ContainerFormat, once: Uint8Array): void {
  expect(Buffer.from(stripOf(format)(once).bytes).equals(Buffer.from(once))).toBe(true);
}

/**
 * The walk finds each of `kinds` (and never echoes `secret`); strip removes them, its notes and
 * output bytes hold no `secret`, its output walks clean and strips to itself. `secret` null:
 * the planted values differ per tag, so only the kinds and the clean re-walk are checked.
 * Returns the strip result for format-specific checks (exiftool, pixels, sizes).
 */
export function expectFoundAndStripped(
  format: ContainerFormat,
  name: string,
  bytes: Uint8Array,
  kinds: readonly FindingKind[],
  secret: string | null,
): StripResult {
  const parts = format.walk(bytes);
  const found = kindsOf(parts);
  for (const kind of kinds) expect({ name, kind, found: found.has(kind) }).toEqual({ name, kind, found: true });
  if (secret !== null) expect(JSON.stringify(parts)).not.toContain(secret);

  const result = stripOf(format)(bytes);
  for (const kind of kinds) expect({ name, removed: result.removed }).toEqual({ name, removed: expect.arrayContaining([kind]) });
  if (secret !== null) {
    expect(JSON.stringify(result.notes)).not.toContain(secret);
    expect(Buffer.from(result.bytes).includes(secret)).toBe(false);
  }
  expect({ name, findings: findingsOf(format.walk(result.bytes)) }).toEqual({ name, findings: [] });
  expectIdempotent(format, result.bytes);
  return result;
}

export type Mutation =
  | { op: 'flip'; at: number; value: number }
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; bytes: Uint8Array };

/**
 * One byte-level damage. Flips weigh more: truncation and insertion nearly always break a
 * container's walk, flips often land in parts strip drops and leave a file strip accepts, so
 * both outcomes of the mutation properties occur.
 */
export const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }) },
);

/** `bytes` with one mutation applied (positions taken modulo the length; input untouched). */
export function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  if (bytes.length === 0) return bytes;
  const at = m.at % bytes.length;
  if (m.op === 'flip') {
    const out = bytes.slice();
    out[at] = m.value;
    return out;
  }
  if (m.op === 'truncate') return bytes.subarray(0, at);
  return concatBytes(bytes.subarray(0, at), m.bytes, bytes.subarray(at));
}

/** A seed picked by `pick` with every mutation applied in order. */
export function mutateAll(seeds: readonly Uint8Array[], pick: number, mutations: readonly Mutation[]): Uint8Array {
  return mutations.reduce(mutate, seeds[pick % seeds.length]);
}

/**
 * The by-need contract on one file (property tests of each container): when the walk finds
 * nothing, strip returns the file unchanged; when it finds something, strip changes it or refuses;
 * whatever strip writes walks clean and strips to itself. Files the walk refuses are not counted;
 * strip's refusals of walkable files are, when `outcomes.refused` is given.
 */
export function expectWalkAndStripAgree(format: ContainerFormat, bytes: Uint8Array, outcomes: { clean: number; found: number; refused?: number }): void {
  const strip = format.strip as NonNullable<ContainerFormat['strip']>;
  const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
  let found;
  try {
    found = findingsOf(format.walk(bytes));
  } catch (e) {
    if (!(e instanceof DeidError)) throw e;
    return;
  }
  let out: Uint8Array | null = null;
  try {
    out = strip(bytes).bytes;
  } catch (e) {
    if (!(e instanceof DeidError)) throw e;
    if (outcomes.refused !== undefined) outcomes.refused++;
  }
  if (found.length === 0) {
    outcomes.clean++;
    expect(out !== null && same(out, bytes)).toBe(true);
  } else {
    outcomes.found++;
    expect(out !== null && same(out, bytes)).toBe(false);
  }
  if (out) {
    expect(findingsOf(format.walk(out))).toEqual([]);
    expect(same(strip(out).bytes, out)).toBe(true);
  }
}
