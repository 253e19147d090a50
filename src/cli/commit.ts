import * as fs from 'node:fs';
import type { StripFileResult } from './tasks/types';

/** Identity of a file whatever path reaches it (symlinks, `..`, hard links). */
function identity(stat: fs.Stats): string {
  return `${stat.dev}:${stat.ino}`;
}

export function inputIdentities(paths: readonly string[]): Set<string> {
  const ids = new Set<string>();
  for (const p of paths) {
    try {
      ids.add(identity(fs.statSync(p)));
    } catch {
      // An unreadable input is reported by its own task.
    }
  }
  return ids;
}

/**
 * Puts staged outputs in place, in input order, from the main thread only. Refused (staged file
 * removed, an error on the result): an output that would land on an input file (compared by
 * device and inode, so a symlinked --out or a link inside it cannot fool it), and a second
 * input mapping to an output already written in this run (photo.tif and photo.png both becoming
 * photo.png). An older output of an earlier run is replaced: that is what re-running means.
 */
export function commitStagedOutputs(results: StripFileResult[], inputs: ReadonlySet<string>): void {
  const written = new Map<string, string>();
  for (const r of results) {
    const { staged, output } = r;
    if (!staged || !output) continue;
    delete r.staged;
    const refuse = (why: string) => {
      fs.rmSync(staged, { force: true });
      delete r.output;
      r.error = `refused, nothing written: ${why}`;
    };
    let existing: fs.Stats | null = null;
    try {
      existing = fs.statSync(output);
    } catch {
      existing = null;
    }
    const key = existing ? identity(existing) : output;
    if (existing && inputs.has(identity(existing))) {
      refuse(`the output ${output} is an input file`);
    } else if (written.has(output) || written.has(key)) {
      refuse(`${written.get(output) ?? written.get(key)} already wrote ${output} in this run`);
    } else {
      try {
        fs.renameSync(staged, output);
        written.set(output, r.input);
        written.set(identity(fs.statSync(output)), r.input);
      } catch (e) {
        refuse(`write failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
}
