import * as fs from 'node:fs';
import * as path from 'node:path';
import { escapeText } from './escape';
import { emptyPathProblem, isInside, parentProblem, pathKind, realTarget } from './output-paths';
import { readHead } from './read-input';

/**
 * The transfer log (`bag create/verify --log`): one JSON line per event, appended, so a study
 * keeps one file of every transfer and receipt. It is checked before the bag is made or read,
 * opened before anything is written, and written last; a record that cannot be written after
 * the bag exists is said to be missing, never reported as "nothing written".
 */

/** How every record starts: JSON.stringify keeps key order and `event` is the first key. */
const RECORD_START = '{"event":"bag-';

/**
 * The usage problem with appending to `file`, or null. Refused: an empty path, a path inside the
 * bag (a bag is never modified; a new file there makes it invalid), a folder or device, an
 * existing file that is not a deid log (a photo or a sidecar given by mistake would be
 * corrupted), a folder that does not exist (a mistyped path would start a second log), and a
 * place this process cannot write to.
 */
export function logProblem(file: string, bag: string): string | null {
  const empty = emptyPathProblem('--log', file);
  if (empty) return empty;
  const shown = `--log ${escapeText(file)}`;
  if (isInside(realTarget(file), realTarget(bag))) return `${shown} is inside the bag; a bag is never modified: keep the log outside it`;
  const kind = pathKind(file);
  if (kind === 'folder') return `${shown} is a folder; name the log file`;
  if (kind === 'other') return `${shown} is not a regular file`;
  if (kind === 'file') return existingLogProblem(file, shown);
  const parent = parentProblem(file);
  if (parent) return `${shown}: ${parent}`;
  const dir = path.dirname(path.resolve(file));
  if (pathKind(dir) === 'missing') return `${shown}: the folder ${escapeText(dir)} does not exist; create it first`;
  return writable(dir) ? null : `${shown}: cannot create a file in ${escapeText(dir)} (${accessCode(dir)})`;
}

function existingLogProblem(file: string, shown: string): string | null {
  const head = Buffer.from(readHead(file, RECORD_START.length)).toString('latin1');
  if (head.length > 0 && head !== RECORD_START) return `${shown} is not a deid transfer log (its first line is not a deid record); choose another file`;
  return writable(file) ? null : `${shown} cannot be appended to (${accessCode(file)})`;
}

function writable(p: string): boolean {
  return accessCode(p) === null;
}

/** access(2) answers EROFS for a read-only file system even to root, and EACCES to others. */
function accessCode(p: string): string | null {
  try {
    fs.accessSync(p, fs.constants.W_OK);
    return null;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? String(e);
  }
}

/** A log opened for appending before the bag is written, and whether this run created it. */
export interface OpenLog {
  file: string;
  fd: number;
  created: boolean;
}

/** Opens (or creates) the log for appending; throws what the open met (EROFS, EACCES, EISDIR). */
export function openLog(file: string): OpenLog {
  const created = pathKind(file) === 'missing';
  return { file, fd: fs.openSync(file, 'a'), created };
}

/** One record as the line the log holds. */
export function logLine(record: object): string {
  return `${JSON.stringify(record)}\n`;
}

/**
 * Appends one line and closes the log; throws if the whole line did not go in (ENOSPC, EFBIG,
 * EIO). A write that fails part way has put a fragment with no newline at the end, onto which the
 * next record would be glued (two records unreadable): the log is cut back to the size it had,
 * so it only ever holds whole lines. Only when nothing but that fragment was added since: a
 * record another run appended meanwhile is never cut (the error then says a fragment may remain).
 */
export function appendLine(log: OpenLog, line: string): void {
  try {
    const bytes = Buffer.from(line);
    const before = fs.fstatSync(log.fd).size;
    let written = 0;
    try {
      while (written < bytes.length) written += fs.writeSync(log.fd, bytes, written);
    } catch (e) {
      if (written > 0 && !cutBack(log.fd, before, written) && e instanceof Error) e.message += `; part of the line may be at the end of ${log.file}`;
      throw e;
    }
    // Another run that created this log and stopped before its record removes it while it is
    // still empty (abandonLog), which can be after this run opened it: the line just written then
    // sits in a file no path reaches, and the study's log has no record of this bag. Append it
    // again at the path (a new log if none is there now).
    if (!stillAtPath(log)) appendAtPath(log.file, bytes);
  } finally {
    fs.closeSync(log.fd);
  }
}

function stillAtPath(log: OpenLog): boolean {
  try {
    const open = fs.fstatSync(log.fd);
    const named = fs.statSync(log.file);
    return open.dev === named.dev && open.ino === named.ino;
  } catch {
    return false;
  }
}

function appendAtPath(file: string, bytes: Buffer): void {
  const fd = fs.openSync(file, 'a');
  try {
    let written = 0;
    while (written < bytes.length) written += fs.writeSync(fd, bytes, written);
  } finally {
    fs.closeSync(fd);
  }
}

/** Truncates the log to `before` if it is exactly `before` plus our `written` bytes; true if it did. */
function cutBack(fd: number, before: number, written: number): boolean {
  try {
    if (fs.fstatSync(fd).size !== before + written) return false;
    fs.ftruncateSync(fd, before);
    return true;
  } catch {
    return false;
  }
}

/** The run stopped before its record: close the log, and remove it if this run created it and it is still empty. */
export function abandonLog(log: OpenLog): void {
  try {
    if (log.created && fs.fstatSync(log.fd).size === 0) fs.rmSync(log.file, { force: true });
  } finally {
    fs.closeSync(log.fd);
  }
}
