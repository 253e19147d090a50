import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileTypeName } from './read-input';
import { type SkipKind, TEMP_PATTERN } from './what-is';
import { ioReason } from './io-reason';
import { isInside } from './output-paths';

/** One file to work on, and where it sits relative to the argument that named it. */
export interface InputFile {
  path: string;
  /** Path relative to the directory argument, or the bare name for a file argument. */
  rel: string;
  /** Named on the command line itself (an unreadable or non-image file is then an error,
   *  where inside a directory it is skipped with a reason). */
  explicit: boolean;
}

/** Everything an argument expands to: every entry is reported, none is dropped silently. */
export type InputEntry =
  | { kind: 'file'; file: InputFile }
  | { kind: 'skip'; path: string; rel: string; skip: SkipKind; reason: string }
  | { kind: 'problem'; path: string; rel: string; error: string; insideOut?: true };

export interface ExpandOptions {
  /** The real path of strip's --out: never read as input, wherever it sits. */
  outReal?: string;
}

/** A path from the command line, or from --files-from (`fromList`): a relative path read from a
 *  list keeps its folders in `rel`, so `find . -type f | deid strip --files-from - --out o`
 *  mirrors the tree. */
export type InputArg = string | { path: string; fromList: boolean };

const SIDECAR_SUFFIX = '.deid.json';

/**
 * Expands file and directory arguments lazily (directories depth first, each one's entries in a
 * stable sorted order), so memory holds one directory listing at a time, not the whole tree.
 * Symlinks inside a directory are reported and not followed (a link loop cannot make the walk
 * endless, and a link out of the tree cannot pull in files nobody chose); a symlink named as an
 * argument is followed, since someone chose it. Nothing is opened here: types come from lstat
 * and directory entries, so a FIFO or device is named and refused without ever being read.
 */
export async function* expandInputs(args: Iterable<InputArg> | AsyncIterable<InputArg>, options: ExpandOptions = {}): AsyncGenerator<InputEntry> {
  const realDirs = new Map<string, string>();
  for await (const item of args) {
    const arg = typeof item === 'string' ? item : item.path;
    const fromList = typeof item !== 'string' && item.fromList;
    let stat: fs.Stats;
    try {
      stat = fs.statSync(arg);
    } catch (e) {
      yield { kind: 'problem', path: arg, rel: argRel(arg, fromList), error: notUtf8(arg) ?? `cannot read: ${ioReason(e)}` };
      continue;
    }
    if (stat.isDirectory()) {
      const real = fs.realpathSync(arg);
      if (options.outReal && isInside(real, options.outReal)) {
        yield { kind: 'problem', path: arg, rel: argRel(arg, fromList), error: 'refused: this folder is the --out folder or inside it, and outputs are never read as input: give --out a folder that does not hold the photos (a new one beside them)', insideOut: true };
        continue;
      }
      yield* walk(arg, real, options);
      continue;
    }
    const kind = fileTypeName(stat);
    if (kind) {
      yield { kind: 'problem', path: arg, rel: argRel(arg, fromList), error: `refused: ${kind}, not a regular file` };
      continue;
    }
    if (options.outReal) {
      const dir = path.dirname(path.resolve(arg));
      let real = realDirs.get(dir);
      if (real === undefined) {
        if (realDirs.size > 4096) realDirs.clear();
        real = fs.realpathSync(dir);
        realDirs.set(dir, real);
      }
      if (isInside(real, options.outReal)) {
        yield { kind: 'problem', path: arg, rel: argRel(arg, fromList), error: 'refused: this file is inside the --out directory; outputs are never read as input', insideOut: true };
        continue;
      }
    }
    yield { kind: 'file', file: { path: arg, rel: argRel(arg, fromList), explicit: true } };
  }
}

function argRel(arg: string, fromList: boolean): string {
  if (fromList && !path.isAbsolute(arg)) {
    const norm = path.normalize(arg);
    if (norm !== '..' && !norm.startsWith(`..${path.sep}`)) return norm;
  }
  return path.basename(arg);
}

function* walk(root: string, realRoot: string, options: ExpandOptions): Generator<InputEntry> {
  // Depth first with an explicit stack: no recursion for a deep tree to overflow.
  const stack: string[] = [''];
  while (stack.length > 0) {
    const relDir = stack.pop()!;
    const dir = relDir ? path.join(root, relDir) : root;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      yield { kind: 'problem', path: dir, rel: relDir || '.', error: `cannot list: ${ioReason(e)}` };
      continue;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subdirs: string[] = [];
    for (const entry of entries) {
      const rel = relDir ? path.join(relDir, entry.name) : entry.name;
      const full = path.join(root, rel);
      const skip = (kind: SkipKind, reason: string): InputEntry => ({ kind: 'skip', path: full, rel, skip: kind, reason });
      let type: fs.Dirent | fs.Stats = entry;
      if (!entry.isFile() && !entry.isDirectory() && !entry.isSymbolicLink() && !fileTypeName(entry)) {
        // Some file systems do not report types in directory listings (DT_UNKNOWN).
        try {
          type = fs.lstatSync(full);
        } catch (e) {
          yield { kind: 'problem', path: full, rel, error: `cannot read: ${ioReason(e)}` };
          continue;
        }
      }
      const badName = entry.name.includes('\ufffd') ? notUtf8(full) : null;
      if (badName) {
        yield { kind: 'problem', path: full, rel, error: badName };
        continue;
      }
      if (entry.name.startsWith('.')) {
        if (TEMP_PATTERN.test(entry.name)) yield skip('temporary', 'temporary file of an interrupted deid run, not an output');
        else yield skip('hidden', type.isDirectory() ? 'hidden folder, not searched' : 'hidden file');
      } else if (type.isSymbolicLink()) {
        yield skip('symlink', 'symbolic link, not followed');
      } else if (type.isDirectory()) {
        if (options.outReal && isInside(path.join(realRoot, rel), options.outReal)) continue;
        subdirs.push(rel);
      } else if (type.isFile()) {
        yield { kind: 'file', file: { path: full, rel, explicit: false } };
      } else {
        yield skip('not-regular', `${fileTypeName(type) ?? 'not a regular file'}, not read`);
      }
    }
    // Reverse onto the stack so subfolders come out in sorted order.
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]!);
  }
}

/**
 * A name with bytes that are not UTF-8 (Latin-1 from an old camera or Windows share) reaches us
 * with U+FFFD in their place, a path that opens nothing: without this it was refused as "no such
 * file", though the photo is there. Null when `p` has no U+FFFD or names a file as it is.
 */
function notUtf8(p: string): string | null {
  if (!p.includes('\ufffd')) return null;
  try {
    fs.lstatSync(p);
    return null;
  } catch {
    return 'cannot read: the file name is not valid UTF-8 (the bytes shown as \ufffd), so it cannot be opened by this name; rename it to UTF-8 (for example with convmv) and run again';
  }
}

/** `<dir>/<stem>.deid.json` for an exported `<stem>.<ext>`. */
export function sidecarPathFor(imagePath: string): string {
  const ext = path.extname(imagePath);
  return path.join(path.dirname(imagePath), `${path.basename(imagePath, ext)}${SIDECAR_SUFFIX}`);
}
