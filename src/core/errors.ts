/**
 * The one error type the core throws on purpose. Anything else escaping the core is a bug
 * (property tests assert this on random and mutated bytes).
 */
export type DeidErrorCode =
  | 'malformed' // bytes do not follow the container's spec
  | 'truncated' // bytes end before a structure they announce
  | 'unsupported' // a valid file we do not handle (format, variant)
  | 'not-clean' // strip could not reach a clean result
  | 'policy' // a step the strength policy forbids
  | 'schema' // a sidecar/recipe/policy that does not validate
  | 'usage' // bad arguments from a caller
  | 'needs-conversion'; // an ICC profile (LUT, CMYK) whose colours only a pixel conversion keeps (icc.ts)

export class DeidError extends Error {
  readonly code: DeidErrorCode;
  constructor(code: DeidErrorCode, message: string) {
    super(message);
    this.name = 'DeidError';
    this.code = code;
  }
}

export function isDeidError(e: unknown): e is DeidError {
  return e instanceof DeidError;
}
