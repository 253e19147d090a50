import * as fs from 'node:fs';
import * as path from 'node:path';
import { scanStructure } from '../core/metadata/scan';
import { sidecarPathFor } from './inputs';
import { ioReason } from './io-reason';
import { NO_HARD_LINKS } from './output-paths';
import { readInputFile } from './read-input';
import type { StripFileResult } from './tasks/types';

/** Larger than any file strip writes from an input it accepts (read-input.ts DEFAULT_MAX_FILE_BYTES is 1 GB). */
const EXISTING_READ_LIMIT = 1024 * 1024 * 1024;

/**
 * Why a file already at an output's name cannot be an earlier output of strip, or null when it
 * can (a clean image: the only thing strip ever writes). An earlier run's output is replaced,
 * as re-running means; anything else (an original photo, when --out names a folder of
 * originals) is not, for a replaced original is lost for good.
 */
function notAnOutput(file: string, existing: fs.Stats): string | null {
  if (!existing.isFile()) return 'it is not a regular file';
  // An export of deid apply or the panel is clean too, but its sidecar beside it says what it is.
  if (fs.existsSync(sidecarPathFor(file))) return 'it is a de-identified export (its sidecar is beside it)';
  if (existing.size > EXISTING_READ_LIMIT) return 'it is larger than anything strip writes';
  let bytes: Uint8Array;
  try {
    bytes = readInputFile(file, EXISTING_READ_LIMIT);
  } catch {
    return 'it cannot be read';
  }
  try {
    return scanStructure(bytes).findings.length > 0 ? 'it carries metadata' : null;
  } catch {
    return 'it is not an image strip writes';
  }
}

/** Identity of a file whatever path reaches it (symlinks, `..`, hard links). */
function identity(stat: fs.Stats): string {
  return `${stat.dev}:${stat.ino}`;
}

/** Whether two files hold the same bytes (sizes first: most differing outputs stop there). */
function sameBytes(a: string, b: string): boolean {
  try {
    const size = fs.statSync(a).size;
    if (size !== fs.statSync(b).size || size > EXISTING_READ_LIMIT) return false;
    return fs.readFileSync(a).equals(fs.readFileSync(b));
  } catch {
    return false;
  }
}

/**
 * Puts `staged` at `output`, which nothing held when checked: false when something does now.
 * link(2) fails with EEXIST where rename(2) would replace (POSIX link, rename), so a file another
 * process puts there between the check and now is never written over. File systems without hard
 * links (FAT, exFAT) get the rename, and the moment between check and rename stays open there.
 */
function linkNew(staged: string, output: string): boolean {
  try {
    fs.linkSync(staged, output);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (!NO_HARD_LINKS.has(code)) throw e;
    fs.renameSync(staged, output);
    return true;
  }
  try {
    fs.rmSync(staged, { force: true });
  } catch {
    // The output is in place; the staged name left behind is hidden and swept by the next run.
  }
  return true;
}

/**
 * Puts each staged output in place the moment its input's turn comes (the pool hands results on
 * in input order), from the main thread only, so a killed run keeps every output finished before
 * the kill (issue 13.2). Refused (staged file removed, an error on the result): an output that
 * would replace its own input (compared by device and inode, so a symlinked --out cannot fool
 * it; other inputs cannot sit under --out, inputs.ts refuses them), a second input mapping to
 * an output already written in this run (photo.tif and photo.png both becoming photo.png), and a
 * file at the output's name that strip cannot have written (notAnOutput: an original photo).
 *
 * A clean image already at the output's name, from an earlier run, is replaced only when nothing
 * is lost by it: when it holds exactly the bytes strip writes now (the same photo stripped
 * again), or when the user chose --replace. Otherwise it is kept and the input refused: strip
 * writes no record of which input an output came from, so a different earlier output may be
 * another photo's (a/x.jpg then b/x.jpg into one --out, a second camera card reusing
 * IMG_0001.JPG, X.JPG and x.jpg or an NFC and an NFD name on a case- or normalization-
 * insensitive disk, where lstat reaches the one file both names mean), and replacing it would
 * lose that photo's only clean copy without anyone choosing it. A new name is taken with link(2)
 * (linkNew), so a file another shard puts there after the check is judged too, not replaced; and
 * a --resume claim is refused when another input of this run has since written that name.
 */
export class Committer {
  constructor(private readonly options: { replace?: boolean } = {}) {}

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
      // --resume kept an existing output, as its worker saw it. Another input may have written
      // that name since, in this run (--replace): then it is that input's output, not this one's.
      const by = this.writtenBy(output);
      if (by !== undefined && by !== r.input) {
        delete r.output;
        delete r.resumed;
        r.error = `refused, nothing written: ${by} already wrote ${output} in this run`;
        return;
      }
      this.claim(output, r.input);
      return;
    }
    try {
      this.place(r, staged, output, true);
    } finally {
      this.staged.delete(staged);
    }
  }

  /** The input this run wrote `output` for (by path, or by identity through another name). */
  private writtenBy(output: string): string | undefined {
    const byPath = this.written.get(output);
    if (byPath !== undefined) return byPath;
    try {
      return this.written.get(identity(fs.lstatSync(output)));
    } catch {
      return undefined;
    }
  }

  private claim(output: string, input: string): void {
    this.written.set(output, input);
    try {
      this.written.set(identity(fs.lstatSync(output)), input);
    } catch {
      // Gone meanwhile: the path alone still claims the name.
    }
  }

  /**
   * Decides and puts one staged output in place. `again`: a file that appears at the name after
   * the check (another shard writing into the same --out, docs/scale.md) is judged like one that
   * was there before, once.
   */
  private place(r: StripFileResult, staged: string, output: string, again: boolean): void {
    const refuse = (why: string) => {
      fs.rmSync(staged, { force: true });
      delete r.output;
      r.error = `refused, nothing written: ${why}`;
    };
    let existing: fs.Stats | null = null;
    try {
      existing = fs.lstatSync(output);
    } catch {
      existing = null;
    }
    const key = existing ? identity(existing) : output;
    const earlier = existing !== null && !this.written.has(output) && !this.written.has(key);
    const foreign = earlier ? notAnOutput(output, existing!) : null;
    // An earlier output that is exactly this one: replacing it loses nothing.
    const same = earlier && foreign === null && sameBytes(output, staged);
    if (existing && this.isInput(r.input, existing)) {
      refuse(`the output ${output} is an input file`);
    } else if (this.written.has(output) || this.written.has(key)) {
      refuse(`${this.written.get(output) ?? this.written.get(key)} already wrote ${output} in this run`);
    } else if (foreign) {
      refuse(`a file is already at ${output} and ${foreign}, so it is not an earlier output of deid strip; it was left as it is (is --out the right folder?)`);
    } else if (existing && !same && !this.options.replace) {
      refuse(`an earlier output is already at ${output} and differs from this one (another photo with the same name, from another folder or card, or this photo before it changed); it was kept. To replace it, run again with --replace; to keep both, strip into another --out`);
    } else {
      try {
        if (existing) fs.renameSync(staged, output);
        else if (!linkNew(staged, output)) {
          // Taken since the check: rename(2) would have replaced it unseen (link(2) never does).
          if (again) return this.place(r, staged, output, false);
          refuse(`a file appeared at ${output} while it was being written (another run writing into the same --out?); it was left as it is`);
          return;
        }
      } catch (e) {
        refuse(`write failed: cannot write ${output} (in ${path.dirname(output)}): ${ioReason(e)}`);
        return;
      }
      if (existing && !same) {
        r.notice = r.notice ? `${r.notice}; replaced the earlier output there (--replace)` : 'replaced the earlier output there (--replace)';
        r.replaced = true;
      }
      this.claim(output, r.input);
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
