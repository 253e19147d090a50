import { splitLines } from './text';

/** Algorithms a manifest may name (RFC 8493 §2.4 registry names) that validators here compute. */
export const ALGORITHMS = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];
const HEX_LENGTH: Record<Algorithm, number> = { md5: 32, sha1: 40, sha224: 56, sha256: 64, sha384: 96, sha512: 128 };

export function isAlgorithm(name: string): name is Algorithm {
  return (ALGORITHMS as readonly string[]).includes(name);
}

/** `manifest-<alg>.txt` / `tagmanifest-<alg>.txt` (RFC 8493 §2.1.3, §2.2.1). */
export function manifestName(name: string): { kind: 'payload' | 'tag'; algorithm: string } | null {
  const m = /^(tag)?manifest-([a-z0-9]+)\.txt$/.exec(name);
  return m ? { kind: m[1] ? 'tag' : 'payload', algorithm: m[2] } : null;
}

export interface ManifestResult {
  /** Bag-relative path (decoded) -> lower-case hex checksum. */
  entries: Map<string, string>;
  errors: string[];
  warnings: string[];
}

/**
 * One manifest (RFC 8493 §2.1.3): `checksum<whitespace>filepath` a line. In RFC bags only CR, LF
 * and % are percent-encoded in a filepath, and exactly those are decoded; older drafts encoded
 * nothing. A path must stay inside the bag: no absolute paths, no `..`, no `~` shortcuts (the
 * suite's out-of-scope bags), and a payload manifest lists only files under data/.
 */
export function parseManifest(text: string, name: string, algorithm: Algorithm, kind: 'payload' | 'tag', strict: boolean): ManifestResult {
  const entries = new Map<string, string>();
  const errors: string[] = [];
  const warnings: string[] = [];
  splitLines(text).forEach((line, i) => {
    const at = `${name} line ${i + 1}`;
    const m = /^([0-9A-Fa-f]+)[ \t]+(.+)$/.exec(line);
    if (!m) {
      errors.push(`${at}: not "checksum filepath"`);
      return;
    }
    const checksum = m[1].toLowerCase();
    if (checksum.length !== HEX_LENGTH[algorithm]) {
      errors.push(`${at}: a ${algorithm} checksum has ${HEX_LENGTH[algorithm]} hex digits, not ${checksum.length}`);
      return;
    }
    let raw = m[2];
    if (raw.startsWith('*')) {
      // md5sum's binary-mode marker: not part of BagIt, but the path after it is unambiguous.
      warnings.push(`${at}: a "*" before the path (written by md5sum-style tools)`);
      raw = raw.slice(1);
    }
    if (raw.startsWith('./')) {
      warnings.push(`${at}: path starts with "./"`);
      raw = raw.replace(/^(\.\/)+/, '');
    }
    const decoded = strict ? decodeRfcPath(raw) : raw;
    if (decoded === null) {
      errors.push(`${at}: a "%" that is not %25, %0A or %0D (RFC 8493 §2.1.3)`);
      return;
    }
    const scope = outOfScope(decoded);
    if (scope) {
      errors.push(`${at}: ${scope}`);
      return;
    }
    if (kind === 'payload' && !decoded.startsWith('data/')) {
      errors.push(`${at}: a payload manifest lists a file outside data/`);
      return;
    }
    if (kind === 'tag' && decoded.startsWith('data/')) {
      errors.push(`${at}: a tag manifest lists a payload file`);
      return;
    }
    const previous = entries.get(decoded);
    if (previous !== undefined) {
      if (previous !== checksum) errors.push(`${at}: the same file is listed twice with different checksums`);
      else (strict ? errors : warnings).push(`${at}: the same file is listed twice`);
      return;
    }
    entries.set(decoded, checksum);
  });
  return { entries, errors, warnings };
}

function decodeRfcPath(raw: string): string | null {
  let bad = false;
  const out = raw.replace(/%(..)?/g, (_, hex: string | undefined) => {
    const h = (hex ?? '').toUpperCase();
    if (h === '25') return '%';
    if (h === '0A') return '\n';
    if (h === '0D') return '\r';
    bad = true;
    return '';
  });
  return bad ? null : out;
}

/** Why a manifest or fetch path would reach outside the bag, or null when it stays inside. */
export function outOfScope(p: string): string | null {
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p) || p.startsWith('\\\\')) return 'an absolute path';
  if (p.startsWith('~')) return 'a home-directory shortcut';
  if (p.includes('\\')) return 'a backslash in a path';
  if (p.split('/').some((seg) => seg === '..')) return 'a ".." path segment';
  if (p.split('/').some((seg) => seg === '' || seg === '.')) return 'an empty or "." path segment';
  if (p.includes('\0')) return 'a NUL in a path';
  return null;
}

/** Encodes a bag-relative path for a manifest line (RFC 8493 §2.1.3). */
export function encodeRfcPath(p: string): string {
  return p.replace(/%/g, '%25').replace(/\n/g, '%0A').replace(/\r/g, '%0D');
}

export function formatManifest(entries: ReadonlyArray<{ path: string; checksum: string }>): string {
  return [...entries]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((e) => `${e.checksum}  ${encodeRfcPath(e.path)}\n`)
    .join('');
}
