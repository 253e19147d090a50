import { escapeText } from './escape';
import type { StripFileResult, VerifyFileResult } from './tasks/types';
import { skipCountsAsUnchecked, type SkipKind } from './what-is';

/**
 * Counting and printing results one at a time (a million-file batch never holds them all), and
 * the exit codes. `deid summarize` feeds shard outputs through the same tallies, so a merged
 * summary and exit code are those of one run over all the files by construction.
 */

export interface VerifySummary {
  files: number;
  clean: number;
  withFindings: number;
  errors: number;
  /** Files under a directory that were not checked, with a reason (sidecars not included). */
  skipped: number;
  /** Our own sidecars met as files: checked with their images, not on their own. */
  sidecars: number;
}

export interface StripSummary {
  files: number;
  written: number;
  /** --resume: clean outputs already there, kept. */
  resumed: number;
  /** Written over a clean image already at the output's name (an earlier output). */
  replaced: number;
  errors: number;
  skipped: number;
  sidecars: number;
  /** Arguments that could not be read at all (missing, a FIFO, an unlistable folder). */
  unreadable: number;
  /** Arguments that are the --out folder or lie inside it: refused without being read. */
  insideOut: number;
}

function skipKind(r: { skipped?: true | SkipKind }): SkipKind | null {
  if (r.skipped === undefined) return null;
  return r.skipped === true ? 'unsupported' : r.skipped;
}

/** Counts a skipped input (unchecked, or a sidecar beside its image); false when it was not skipped. */
function tallySkip(r: VerifyFileResult | StripFileResult, s: { skipped: number; sidecars: number }): boolean {
  const kind = skipKind(r);
  if (!kind) return false;
  if (skipCountsAsUnchecked(kind)) s.skipped++;
  else s.sidecars++;
  return true;
}

export class VerifyTally {
  readonly summary: VerifySummary = { files: 0, clean: 0, withFindings: 0, errors: 0, skipped: 0, sidecars: 0 };

  add(r: VerifyFileResult): void {
    const s = this.summary;
    if (tallySkip(r, s)) return;
    s.files++;
    if (r.error !== undefined) s.errors++;
    else if (r.findings.length > 0) s.withFindings++;
    else if (r.clean) s.clean++;
  }
}

export class StripTally {
  readonly summary: StripSummary = { files: 0, written: 0, resumed: 0, replaced: 0, errors: 0, skipped: 0, sidecars: 0, unreadable: 0, insideOut: 0 };

  add(r: StripFileResult): void {
    const s = this.summary;
    if (tallySkip(r, s)) return;
    s.files++;
    if (r.unreadable) s.unreadable++;
    if (r.insideOut) s.insideOut++;
    if (r.error !== undefined) s.errors++;
    else if (r.resumed) s.resumed++;
    else if (r.output) {
      s.written++;
      if (r.replaced) s.replaced++;
    }
  }
}

/** Why a run did not pass, beyond findings (printed to stderr so a zero-file "pass" is visible). */
export function verifyExitCode(s: VerifySummary, allowSkipped: boolean): number {
  if (s.errors > 0) return 2;
  if (!allowSkipped && (s.skipped > 0 || s.clean + s.withFindings === 0)) return 2;
  return s.withFindings > 0 ? 1 : 0;
}

export function verifyExitReason(s: VerifySummary, allowSkipped: boolean): string | null {
  if (s.errors > 0) return `${s.errors} file${s.errors === 1 ? '' : 's'} could not be checked`;
  if (allowSkipped) return null;
  if (s.clean + s.withFindings === 0) return 'no image was checked (--allow-skipped accepts that)';
  if (s.skipped > 0) return `${s.skipped} file${s.skipped === 1 ? ' was' : 's were'} not checked (listed as skipped; --allow-skipped accepts that)`;
  return null;
}

/**
 * 0 all written, 1 some refused or not stripped, 2 an argument unreadable, an argument inside
 * --out (the command line contradicts itself: a usage error), or nothing to strip.
 */
export function stripExitCode(s: StripSummary, allowSkipped: boolean): number {
  if (s.unreadable > 0 || s.insideOut > 0) return 2;
  if (!allowSkipped && s.files === 0) return 2;
  if (s.errors > 0) return 1;
  if (!allowSkipped && s.skipped > 0) return 1;
  return 0;
}

export function stripExitReason(s: StripSummary, allowSkipped: boolean): string | null {
  const reasons = [
    s.unreadable > 0 ? `${s.unreadable} input${s.unreadable === 1 ? '' : 's'} could not be read` : '',
    s.insideOut > 0 ? `${insideOutText(s.insideOut)} (refused unread: outputs are never read as input); give --out a new folder beside the photos` : '',
  ].filter(Boolean);
  if (reasons.length > 0) return reasons.join('; ');
  if (!allowSkipped && s.files === 0) return 'no image to strip (--allow-skipped accepts that)';
  if (!allowSkipped && s.errors === 0 && s.skipped > 0) return `${s.skipped} file${s.skipped === 1 ? ' was' : 's were'} not stripped (listed as skipped; --allow-skipped accepts that)`;
  return null;
}

/** Human lines for one verify result; every string that came from a file is escaped. */
export function verifyHumanLines(f: VerifyFileResult): string[] {
  const p = escapeText(f.path);
  const kind = skipKind(f);
  if (kind === 'sidecar') return [];
  if (kind) return [`skipped   ${p}: ${escapeText(f.reason ?? 'not an image')}`];
  const lines: string[] = [];
  if (f.error) lines.push(`ERROR     ${p}: ${escapeText(f.error)}`);
  if (f.findings.length === 0 && !f.error) lines.push(`clean     ${p} (${f.format})`);
  for (const finding of f.findings) lines.push(`${finding.kind.padEnd(9)} ${p}: ${escapeText(finding.where)}: ${escapeText(finding.detail)}`);
  return lines;
}

export function verifySummaryLine(s: VerifySummary): string {
  let line = `${s.files} files: ${s.clean} clean, ${s.withFindings} with findings, ${s.errors} errors`;
  if (s.skipped > 0) line += `, ${s.skipped} skipped`;
  if (s.sidecars > 0) line += ` (+${s.sidecars} sidecar${s.sidecars === 1 ? '' : 's'})`;
  return line;
}

export function stripHumanLines(f: StripFileResult): string[] {
  const input = escapeText(f.input);
  const kind = skipKind(f);
  if (kind === 'sidecar') return [];
  if (kind) return [`skipped   ${input}: ${escapeText(f.reason ?? 'not an image')}`];
  if (f.error) return [`REFUSED   ${input}: ${escapeText(f.error)}`];
  if (f.resumed) return [`kept      ${input} -> ${escapeText(f.output ?? '')} (--resume: already there, newer than the input and exactly what strip writes)`];
  const said = [f.removed && f.removed.length > 0 ? `removed ${f.removed.join(', ')}` : '', f.notice ? escapeText(f.notice) : ''].filter(Boolean).join('; ');
  return [`${f.lossless ? 'stripped ' : 're-encoded'} ${input} -> ${escapeText(f.output ?? '')}${said ? ` (${said})` : ''}`];
}

function insideOutText(n: number): string {
  return `${n} input${n === 1 ? ' is' : 's are'} the --out folder or inside it`;
}

export function stripSummaryLine(s: StripSummary): string {
  // Of the refused, say which were never read, and why: a missing path is not a refusal by rule.
  const unread = [s.unreadable > 0 ? `${s.unreadable} could not be read` : '', s.insideOut > 0 ? insideOutText(s.insideOut) : ''].filter(Boolean);
  let line = `${s.files} files: ${s.written} written${s.replaced > 0 ? ` (${s.replaced} over earlier outputs)` : ''}, ${s.errors} refused${unread.length > 0 ? ` (${unread.join(', ')})` : ''}`;
  if (s.resumed > 0) line += `, ${s.resumed} kept (--resume)`;
  if (s.skipped > 0) line += `, ${s.skipped} skipped`;
  if (s.sidecars > 0) line += ` (+${s.sidecars} sidecar${s.sidecars === 1 ? '' : 's'})`;
  return line;
}

export const summaryLineFor = { verify: verifySummaryLine, strip: stripSummaryLine };
