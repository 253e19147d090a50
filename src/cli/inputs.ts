import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** One file to work on, and where it sits relative to the argument that named it. */
export interface InputFile {
  path: string;
  /** Path relative to the directory argument, or the bare name for a file argument. */
  rel: string;
  /** Named on the command line itself (an unreadable or non-image file is then an error,
   *  where inside a directory it is just skipped). */
  explicit: boolean;
}

export interface InputProblem {
  path: string;
  error: string;
}

const SIDECAR_SUFFIX = '.deid.json';

/**
 * Expands file and directory arguments (directories recursively, in a stable sorted order).
 * Symlinked directories are not followed, so a link loop cannot make the walk endless.
 */
export async function expandInputs(args: readonly string[]): Promise<{ files: InputFile[]; problems: InputProblem[] }> {
  const files: InputFile[] = [];
  const problems: InputProblem[] = [];
  for (const arg of args) {
    let stat;
    try {
      stat = await fs.stat(arg);
    } catch (e) {
      problems.push({ path: arg, error: `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}` });
      continue;
    }
    if (stat.isDirectory()) await walk(arg, arg, files, problems);
    else files.push({ path: arg, rel: path.basename(arg), explicit: true });
  }
  return { files, problems };
}

async function walk(root: string, dir: string, files: InputFile[], problems: InputProblem[]): Promise<void> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (e) {
    problems.push({ path: dir, error: `cannot list: ${(e as NodeJS.ErrnoException).code ?? String(e)}` });
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await walk(root, full, files, problems);
    else if (entry.isFile() && !entry.name.endsWith(SIDECAR_SUFFIX) && !entry.name.startsWith('.')) {
      files.push({ path: full, rel: path.relative(root, full), explicit: false });
    }
  }
}

/** `<dir>/<stem>.deid.json` for an exported `<stem>.<ext>`. */
export function sidecarPathFor(imagePath: string): string {
  const ext = path.extname(imagePath);
  return path.join(path.dirname(imagePath), `${path.basename(imagePath, ext)}${SIDECAR_SUFFIX}`);
}
