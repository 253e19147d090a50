import * as fs from 'node:fs';
import * as path from 'node:path';
import { detectContainer } from '../../core/metadata/registry';
import { isAlternateId } from '../../core/sidecar/alternate-id';

/** One export found under the folder: its sidecar and the image beside it. */
export interface IndexedExport {
  id: string;
  sidecarPath: string;
  /** Null when no `<id>.jpg` / `<id>.png` is beside the sidecar. */
  imagePath: string | null;
}

const SIDECAR_SUFFIX = '.deid.json';
/** An image deid reads whatever its name (a JPEG called scan.gif, IMG_0002 with no extension). */
function isImageByContent(file: string): boolean {
  try {
    const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | fs.constants.O_NONBLOCK);
    try {
      const head = Buffer.alloc(64);
      const n = fs.readSync(fd, head, 0, head.length, 0);
      return detectContainer(new Uint8Array(head.buffer, head.byteOffset, n)) !== null;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}

/** A file named as an image of a kind deid reads: one without a sidecar is not documented. */
const IMAGE_NAME = /\.(jpe?g|png|tiff?|webp|hei[cf]|avif)$/i;
/** A folder of exports is flat or a few levels deep; this only stops a pathological tree. */
const MAX_DEPTH = 16;

/**
 * Every `<alternateId>.deid.json` under `root` (recursively), in a stable order, and the image
 * files no sidecar documents (a lost sidecar, or a photo that never went through deid), and the
 * images in hidden places (`hidden`), and the folders that could not be listed. Symbolic links
 * are never followed, neither to folders nor to files: what is served and written stays inside
 * the folder the reviewer named. The page addresses exports by alternate id only, so no path from
 * a request ever reaches the file system.
 */
export function indexFolder(root: string): { exports: IndexedExport[]; duplicates: string[]; undocumented: string[]; links: string[]; hidden: string[]; unlisted: string[] } {
  const found = new Map<string, IndexedExport>();
  const duplicates: string[] = [];
  const images: string[] = [];
  const copies = new Set<string>();
  const links: string[] = [];
  const hidden: string[] = [];
  /** Folders that could not be listed (permissions): what they hold is not covered either. */
  const unlisted: string[] = [];
  const listed = (dir: string): fs.Dirent[] | null => {
    try {
      return fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch {
      unlisted.push(dir);
      return null;
    }
  };
  /**
   * Hidden files and folders (a leading dot) are not part of the record, as a batch passes them
   * over (inputs.ts), but an image in one is still on the disk that is handed on: a deleted
   * export in a Mac volume's .Trashes, a copy someone tucked into `.old/`. They are looked
   * through for images by content only: the names there are system files' (AppleDouble `._x.jpg`
   * is no JPEG), and .git or .fseventsd hold none.
   */
  const lookForHidden = (dir: string, depth: number): void => {
    const entries = depth > MAX_DEPTH ? null : listed(dir);
    if (entries === null) return;
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) lookForHidden(full, depth + 1);
      else if (e.isFile() && isImageByContent(full)) hidden.push(full);
    }
  };
  const walk = (dir: string, depth: number): void => {
    const entries = depth > MAX_DEPTH ? null : listed(dir);
    if (entries === null) return;
    const names = new Set(entries.filter((e) => e.isFile()).map((e) => e.name));
    for (const e of entries) {
      if (e.name.startsWith('.')) {
        if (e.isDirectory()) lookForHidden(path.join(dir, e.name), depth + 1);
        else if (e.isFile() && isImageByContent(path.join(dir, e.name))) hidden.push(path.join(dir, e.name));
        continue;
      }
      // Dirent types come from lstat-like data: a symlink is neither isFile() nor isDirectory().
      if (e.isDirectory()) walk(path.join(dir, e.name), depth + 1);
      if (e.isFile() && !e.name.endsWith(SIDECAR_SUFFIX) && (IMAGE_NAME.test(e.name) || isImageByContent(path.join(dir, e.name)))) images.push(path.join(dir, e.name));
      // Links are never followed (see above); one in an export folder is named, not passed over.
      if (e.isSymbolicLink()) links.push(path.join(dir, e.name));
      if (!e.isFile() || !e.name.endsWith(SIDECAR_SUFFIX)) continue;
      const id = e.name.slice(0, -SIDECAR_SUFFIX.length);
      if (!isAlternateId(id)) continue;
      const image = ['jpg', 'png'].map((ext) => `${id}.${ext}`).find((n) => names.has(n));
      if (found.has(id)) {
        // A second copy of an export: its image has a sidecar, it is reported as a duplicate.
        duplicates.push(id);
        if (image) copies.add(path.join(dir, image));
        continue;
      }
      found.set(id, { id, sidecarPath: path.join(dir, e.name), imagePath: image ? path.join(dir, image) : null });
    }
  };
  walk(root, 0);
  const documented = new Set([...found.values()].map((x) => x.imagePath));
  return { exports: [...found.values()].sort((a, b) => (a.id < b.id ? -1 : 1)), duplicates, undocumented: images.filter((f) => !documented.has(f) && !copies.has(f)), links, hidden, unlisted };
}

/**
 * Reads a file that must be a regular file and not a symbolic link (O_NOFOLLOW), so a link
 * swapped in after the folder was listed is refused rather than followed.
 */
export function readRegularFile(file: string, maxBytes: number): Buffer {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > maxBytes) throw new Error(`larger than ${maxBytes} bytes`);
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < st.size) {
      const n = fs.readSync(fd, buf, off, st.size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    fs.closeSync(fd);
  }
}
