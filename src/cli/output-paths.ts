import * as fs from 'node:fs';
import * as path from 'node:path';
import { stageFile } from './atomic';
import { escapeText } from './escape';

/**
 * Checks for the single files detect, report and bag write beside the batch outputs (a draft
 * recipe, an audit report, a receipt, a transfer log). Each is checked before any work is done,
 * so a mistyped path costs a message, not a patient photo or a signed sidecar.
 */

/** What is at a path now: a final symbolic link is followed (it is what a write would reach). */
export type PathKind = 'missing' | 'file' | 'folder' | 'other';

export function pathKind(p: string): PathKind {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // ENOTDIR: a parent is a file; parentProblem() names it.
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    throw e;
  }
  if (st.isDirectory()) return 'folder';
  return st.isFile() ? 'file' : 'other';
}

/** `child` is `parent` or lies under it (both absolute and normalised). */
export function isInside(child: string, parent: string): boolean {
  return child === parent || child.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);
}

/**
 * The real path `p` would have once written: links in the part that exists are resolved, so a
 * link (or `..`) cannot hide that an output lands inside a folder that must not be touched.
 */
export function realTarget(p: string): string {
  const rest: string[] = [];
  let at = path.resolve(p);
  for (;;) {
    try {
      return path.join(fs.realpathSync(at), ...rest.reverse());
    } catch {
      const parent = path.dirname(at);
      if (parent === at) return path.resolve(p);
      rest.push(path.basename(at));
      at = parent;
    }
  }
}

/** The deepest part of `p`'s parent path that exists, when it is not a folder (a write would fail there). */
export function parentProblem(p: string): string | null {
  let at = path.dirname(path.resolve(p));
  for (;;) {
    const kind = pathKind(at);
    if (kind === 'folder') return null;
    if (kind !== 'missing') return `${escapeText(at)} is not a folder`;
    const parent = path.dirname(at);
    if (parent === at) return null;
    at = parent;
  }
}

/** A flag's value is a path; commander passes `--out ""` through as an empty string. */
export function emptyPathProblem(flag: string, p: string): string | null {
  return isBlank(p) ? `${flag} needs a path; an empty one was given` : null;
}

/** An empty or whitespace-only path or value: an unset variable, never a name anyone means. */
export function isBlank(p: string): boolean {
  return p.trim() === '';
}

/**
 * The usage problem with writing a new file at `p` (for --recipe and --receipt, which never
 * replace anything), or null: an empty path, a folder, any existing file, a parent that is a file.
 */
export function newFileProblem(flag: string, p: string): string | null {
  const empty = emptyPathProblem(flag, p);
  if (empty) return empty;
  const kind = pathKind(p);
  if (kind === 'folder') return `${flag} ${escapeText(p)} is a folder; name the file to write`;
  if (kind !== 'missing') return `${flag} ${escapeText(p)} already exists and is never written over; choose another name or remove it`;
  const parent = parentProblem(p);
  return parent ? `${flag} ${escapeText(p)}: ${parent}` : null;
}

/** link(2) errors of file systems without hard links (FAT, exFAT, some network shares). */
export const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK']);

/**
 * Writes a file that must not exist: staged under a temporary name, then hard-linked into place.
 * link(2) fails with EEXIST where rename(2) would replace, so a file that appeared since the
 * check is still never written over, and a reader never sees half a file. File systems without
 * hard links (FAT and exFAT, as on a USB drive for a transfer) get an exclusive copy instead:
 * still never over a file, though a crash could leave part of one.
 */
export function writeNewFile(file: string, bytes: Uint8Array | string): void {
  const tmp = stageFile(file, typeof bytes === 'string' ? Buffer.from(bytes) : bytes);
  try {
    fs.linkSync(tmp, file);
  } catch (e) {
    if (!NO_HARD_LINKS.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
    copyExclusive(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function copyExclusive(from: string, to: string): void {
  try {
    fs.copyFileSync(from, to, fs.constants.COPYFILE_EXCL);
  } catch (e) {
    // EEXIST: someone else's file, left alone; anything else: the part we wrote goes.
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') fs.rmSync(to, { force: true });
    throw e;
  }
}
