import * as fs from 'node:fs';
import type { StripFileResult } from './tasks/types';

/** Identity of a file whatever path reaches it (symlinks, `..`, hard links). */
function identity(stat: fs.Stats): string {
  return `${stat.dev}:${stat.ino}`;
}

/**
 * Puts each staged output in place the moment its input's turn comes (the pool hands results on
 * in input order), from the main thread only, so a killed run keeps every output finished before
 * the kill (issue 13.2). Refused (staged file removed, an error on the result): an output that
 * would replace its own input (compared by device and inode, so a symlinked --out cannot fool
 * it; other inputs cannot sit under --out, inputs.ts refuses them), and a second input mapping to
 * an output already written in this run (photo.tif and photo.png both becoming photo.png). An
 * older output of an earlier run is replaced: that is what re-running means.
 */
export class Committer {
  /** Outputs of this run (path and identity -> the input that wrote it). Grows with the batch:
   *  about 100 bytes per output, the price of catching every collision. */
  private readonly written = new Map<string, string>();
  /** Staged files not yet committed: removed if the run is interrupted. */
  private readonly staged = new Set<string>();

  commit(r: StripFileResult): void {
    const { staged, output } = r;
    delete r.staged;
    if (!output) return;
    if (!staged) {
      // --resume kept an existing output: it still claims its name.
      this.written.set(output, r.input);
      return;
    }
    const refuse = (why: string) => {
      fs.rmSync(staged, { force: true });
      delete r.output;
      r.error = `refused, nothing written: ${why}`;
    };
    try {
      let existing: fs.Stats | null = null;
      try {
        existing = fs.lstatSync(output);
      } catch {
        existing = null;
      }
      const key = existing ? identity(existing) : output;
      if (existing && this.isInput(r.input, existing)) {
        refuse(`the output ${output} is an input file`);
      } else if (this.written.has(output) || this.written.has(key)) {
        refuse(`${this.written.get(output) ?? this.written.get(key)} already wrote ${output} in this run`);
      } else {
        try {
          fs.renameSync(staged, output);
          this.written.set(output, r.input);
          this.written.set(identity(fs.lstatSync(output)), r.input);
        } catch (e) {
          refuse(`write failed: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    } finally {
      this.staged.delete(staged);
    }
  }

  /** A result arrived (perhaps ahead of its turn): its staged file is ours to clean up. */
  track(r: StripFileResult): void {
    if (r.staged) this.staged.add(r.staged);
  }

  private isInput(input: string, existing: fs.Stats): boolean {
    try {
      return identity(fs.statSync(input)) === identity(existing);
    } catch {
      return false;
    }
  }

  /** A result that will never be committed (the run failed or was interrupted). */
  discard(r: StripFileResult): void {
    if (r.staged) {
      fs.rmSync(r.staged, { force: true });
      this.staged.delete(r.staged);
    }
    delete r.staged;
  }

  /** Removes every staged file not yet in place (on SIGINT/SIGTERM). */
  abandon(): void {
    for (const s of this.staged) fs.rmSync(s, { force: true });
    this.staged.clear();
  }
}
