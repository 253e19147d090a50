import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { DeidError } from '../core/errors';
import { escapeText } from './escape';
import { EXIT_USAGE, type Io } from './io';
import { readPolicy } from './options';
import { emptyPathProblem, isInside, parentProblem, pathKind, realTarget } from './output-paths';
import { readHead } from './read-input';
import { auditCsv, isAuditCsv } from './report-csv';
import { auditHtml, isAuditHtml } from './report-html';
import { auditRow, auditTotals, describePolicy, type DetectorNote } from './report-model';
import { createProgress } from './progress';
import { loadInstalledDetectors, PixelChecker } from './review/pixel-check';
import { writeFilesAtomically } from './atomic';
import { indexFolder, readRegularFile, type IndexedExport } from './review/folder-index';
import { identicalGroups } from './identical-exports';
import { MAX_IMAGE_BYTES, reverifyExport } from './review/reverify';
import { TOOL_VERSION } from './version';

export interface ReportOptions {
  out: string;
  csv?: string;
  thumbnails?: boolean;
  policy?: string;
  /** Also run the face and text detectors on every export (the review page's residual check). */
  pixels?: boolean;
}

/** Small enough to keep a report of hundreds of exports printable and mailable. */
const THUMB_PX = 160;

/** Enough of an existing file to recognise an earlier report by its first line or its <title>. */
const REPORT_HEAD_BYTES = 2048;

/**
 * Where one report file may go: outside the folder reported on (inside, it could replace a signed
 * export or sidecar, and the next report or bag would read it as part of the folder), and over an
 * existing file only when that file is an earlier report of ours (`ours` recognises its start).
 */
function reportTargetProblem(flag: string, target: string, folderReal: string, ours: (head: string) => boolean): string | null {
  const empty = emptyPathProblem(flag, target);
  if (empty) return empty;
  const shown = `${flag} ${escapeText(target)}`;
  if (isInside(realTarget(target), folderReal)) return `${shown} is inside the folder being reported; write the report outside it`;
  const kind = pathKind(target);
  if (kind === 'folder') return `${shown} is a folder; name the file to write`;
  if (kind !== 'missing' && !(kind === 'file' && ours(Buffer.from(readHead(target, REPORT_HEAD_BYTES)).toString('utf8')))) {
    return `${shown} already exists and is not a report deid wrote; choose another name or remove it (only an earlier report is replaced)`;
  }
  const parent = parentProblem(target);
  return parent ? `${shown}: ${parent}` : null;
}

/** Both targets checked before anything is re-verified, and never one file for both. */
function reportTargetsProblem(folderReal: string, opts: ReportOptions): string | null {
  const problem = reportTargetProblem('--out', opts.out, folderReal, isAuditHtml) ?? (opts.csv === undefined ? null : reportTargetProblem('--csv', opts.csv, folderReal, isAuditCsv));
  if (problem) return problem;
  if (opts.csv !== undefined && realTarget(opts.out) === realTarget(opts.csv)) return '--out and --csv name the same file; give each its own';
  return null;
}

/**
 * `deid report <folder> --out report.html [--csv report.csv] [--thumbnails]`: the audit record
 * of a batch, re-verified now. No patient pixels unless --thumbnails; never a file name.
 * Written outside the folder, over nothing but an earlier report (reportTargetProblem).
 * Exit 0 when written (the report itself states any problems), 2 for a usage problem.
 */
export async function reportCommand(folder: string, opts: ReportOptions, io: Io): Promise<number> {
  const root = path.resolve(folder);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new DeidError('usage', `${folder} is not a folder`);
  const targetProblem = reportTargetsProblem(fs.realpathSync(root), opts);
  if (targetProblem) {
    io.err(`deid report: ${targetProblem}`);
    return EXIT_USAGE;
  }
  const policy = await readPolicy(opts.policy);
  // Loaded before anything is re-verified: without the optional packages this stops here with
  // the "detection is not available" reason (exit 2), not with a record that silently lacks it.
  const detectors = opts.pixels ? await loadInstalledDetectors() : null;
  const checker = detectors ? new PixelChecker(() => Promise.resolve(detectors)) : null;
  const { exports, undocumented, duplicates, links, hidden, unlisted } = indexFolder(root);
  const rows = [];
  const thumbnails = new Map<string, string>();
  // Detection takes seconds per photo: a bar on a terminal (progress.ts) for a batch of them.
  const progress = checker ? createProgress(exports.length, 'report --pixels') : null;
  for (const [done, entry] of exports.entries()) {
    const report = await reverifyExport(entry, policy);
    // Under --pixels every export gets a note: one whose sidecar or image cannot be read says so.
    rows.push(auditRow(report, checker ? await detectorNote(checker, entry) : null));
    progress?.update(done + 1);
    if (opts.thumbnails && entry.imagePath && report.sidecar) {
      try {
        const jpeg = await sharp(readRegularFile(entry.imagePath, MAX_IMAGE_BYTES)).resize(THUMB_PX, THUMB_PX, { fit: 'inside' }).jpeg({ quality: 70 }).toBuffer();
        thumbnails.set(entry.id, `data:image/jpeg;base64,${jpeg.toString('base64')}`);
      } catch {
        // An image that cannot be decoded is already a problem in its row.
      }
    }
  }
  progress?.stop();
  // By the SHA-256 each sidecar records (a file that no longer matches it is a problem of its own row).
  const identical = identicalGroups(rows, (r) => r.sha256);
  for (const group of identical) for (const r of group) r.identicalTo = group.filter((o) => o !== r).map((o) => o.id);
  const totals = { ...auditTotals(rows), undocumented: undocumented.length, hidden: hidden.length, identical: identical.reduce((n, g) => n + g.length, 0) };
  const html = auditHtml({ rows, totals, policy: describePolicy(policy), generatedAt: new Date().toISOString(), toolVersion: TOOL_VERSION, thumbnails: opts.thumbnails ? thumbnails : undefined });
  const files: { path: string; bytes: string }[] = [{ path: path.resolve(opts.out), bytes: html }];
  if (opts.csv !== undefined) files.push({ path: path.resolve(opts.csv), bytes: auditCsv(rows) });
  await writeFilesAtomically(files);
  const flagged = totals.detectorFlagged === undefined ? '' : `, ${totals.detectorFlagged} where the detectors found a face or text no region covers (or could not check)`;
  io.out(`wrote ${files.map((f) => f.path).join(' and ')}: ${totals.exports} export(s), ${totals.signedValid} signed off with a valid signature, ${totals.withProblems} with problems now${flagged}${totals.identical > 0 ? `, ${totals.identical} whose image another export also is` : ''}`);
  // Images with no sidecar have no alternate id, and their names may be the originals' (names,
  // dates): listed here for the person running the report, counted but not named in the record.
  for (const f of undocumented) io.err(`no sidecar   ${escapeText(path.relative(root, f))}`);
  // A second sidecar with an export's alternate id: a copy, or a clash; the record holds one.
  for (const id of duplicates) io.err(`duplicate    ${id}: more than one sidecar under the folder has this alternate id; the record lists the first`);
  for (const g of identical) io.err(`identical    ${g.map((r) => r.id).join(', ')}: the same image (SHA-256 ${g[0]!.sha256.slice(0, 12)}...) under ${g.length} alternate ids; a study would count this photo ${g.length} times (keep one export)`);
  for (const l of links) io.err(`not followed ${escapeText(path.relative(root, l))}: a symbolic link (the record covers only files in the folder)`);
  for (const h of hidden) io.err(`hidden       ${escapeText(path.relative(root, h))}: an image in a hidden place, not in the record`);
  for (const d of unlisted) io.err(`cannot list  ${escapeText(path.relative(root, d) || '.')}: a folder that could not be read, so the record does not cover it`);
  const problems = [
    undocumented.length > 0 ? `${undocumented.length} image(s) in ${escapeText(folder)} have no sidecar, so the record does not cover them (a lost sidecar, or a photo that never went through deid)` : '',
    duplicates.length > 0 ? `${duplicates.length} alternate id(s) appear more than once` : '',
    identical.length > 0 ? `${identical.length} image(s) exported more than once under different alternate ids (${totals.identical} exports)` : '',
    links.length > 0 ? `${links.length} symbolic link(s) not followed` : '',
    hidden.length > 0 ? `${hidden.length} image(s) in hidden places not covered` : '',
    unlisted.length > 0 ? `${unlisted.length} folder(s) could not be read` : '',
  ].filter(Boolean);
  if (problems.length > 0) {
    io.err(`deid report: exit 1: ${problems.join('; ')}`);
    return 1;
  }
  return 0;
}

/**
 * The review page's residual check (review/pixel-check.ts) of one export: faces and text the
 * detectors find that no obscured region of its sidecar covers. Advice, as on the page: it does
 * not change the re-verification verdict or the exit code; an export that cannot be checked says
 * why instead.
 */
async function detectorNote(checker: PixelChecker, entry: IndexedExport): Promise<DetectorNote> {
  try {
    const answer = await checker.check(entry);
    const faces = answer.uncovered.filter((u) => u.kind === 'face').length;
    const text = answer.uncovered.length - faces;
    return faces + text === 0
      ? { clear: true, summary: `nothing found outside the obscured regions (${answer.found.faces} face(s), ${answer.found.text} text region(s) found, all covered)`, uncovered: [] }
      : { clear: false, summary: `${faces} possible face(s), ${text} possible text region(s) no obscured region covers`, uncovered: answer.uncovered.map((u) => u.detail) };
  } catch (e) {
    return { clear: false, summary: `not checked: ${e instanceof Error ? e.message : String(e)}`, uncovered: [] };
  }
}
