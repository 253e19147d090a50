import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bagIdentity, bagSize, buildTagFiles, isCalendarDate, payloadOxum, validateBag, valuesOf, type BagReport, type PayloadEntry } from '../core/bagit';
import { isDeidError } from '../core/errors';
import { detectContainer } from '../core/metadata/registry';
import type { Policy } from '../core/policy/types';
import { parseSidecar } from '../core/sidecar/schema';
import type { Sidecar } from '../core/sidecar/types';
import { abandonLog, appendLine, logLine, logProblem, openLog, type OpenLog } from './bag-log';
import { folderStore, digestFile } from './bag-store';
import { verifyFile } from './tasks/verify-file';
import { escapeText } from './escape';
import type { Io } from './io';
import { emptyPathProblem, isBlank, isInside, newFileProblem, realTarget, writeNewFile } from './output-paths';
import { TOOL_VERSION } from './version';
import { HOST, pidAlive } from './atomic';
import { identicalGroups } from './identical-exports';


const SIDECAR_SUFFIX = '.deid.json';
const DEID_METHOD = 'deid-photo: identifiers obscured at the enforced minimum strength, metadata removed, each image bound to its sidecar by SHA-256 and re-verified before bagging';

export interface BagCreateOptions {
  out: string;
  recipient: string;
  method: string;
  contact?: string;
  sourceOrganization?: string;
  description?: string;
  transferDate?: string;
  allowUnsigned?: boolean;
  /** Pack exports whose image another export also is (recorded in bag-info.txt). */
  allowIdentical?: boolean;
  log?: string;
  json?: boolean;
  policy: Policy;
  /** `--trusted-reviewers`: only sign-offs by these keys count (absent: any valid signature), as in verify. */
  trustedReviewers?: string[];
  /** Clock for Bagging-Date / the log (tests pin it). */
  now?: Date;
}

interface Export {
  sidecarPath: string;
  imagePath: string;
  sidecar: Sidecar;
  /** The sidecar as read and checked: the copy in the bag must be exactly this. */
  sidecarBytes: Buffer;
}

/**
 * An export or sidecar whose copy in the bag is not what was verified: the folder changed
 * between the check and the copy (a colleague re-exporting, a sync client, an original copied
 * over an export). The bag is not written.
 */
class ChangedSinceCheck extends Error {
  constructor(readonly file: string) {
    super(`${escapeText(file)}: changed after it was verified (while the other exports were checked or copied); nothing is packed that was not checked: run bag create again`);
  }
}

interface Refusal {
  path: string;
  reason: string;
}

const NO_SIDECAR = 'an image with no <id>.deid.json sidecar beside it';

/**
 * Why an image without a sidecar is never packed, and the way on (DESIGN.md "The whole workflow":
 * de-identify in the panel or with deid apply, validate in deid review, then transfer). A folder
 * of `deid strip` copies meets this first: strip removes metadata but writes no sidecar, so
 * there is no checklist or sign-off to carry, and the rule stays.
 */
const WHY_EXPORTS = 'a bag carries each photo\'s review record with it (its <id>.deid.json sidecar: the obscured regions, the checklist and the reviewer\'s sign-off), which deid strip does not write';
const WAY_ON = 'make exports instead: obscure and export each photo in the Photoshop panel, or replay a recipe with `deid apply <recipe.json> <image> --out <folder>`; sign them off in `deid review <folder>`, then bag that folder';

/** Where the calendar day is latest (UTC-12), a day ends this long after its UTC midnight. */
const LATEST_DAY_END_MS = (24 + 12) * 3600 * 1000;

/**
 * Whether an export made at `createdAt` (the sidecar's ISO 8601 time) was made after `day`
 * (YYYY-MM-DD, a calendar date) had ended in every time zone: such a --transfer-date is a typo
 * (0024 for 2024) or a wrong record, never the day these exports were handed over.
 */
function madeAfterDay(createdAt: string, day: string): boolean {
  const made = Date.parse(createdAt);
  const start = new Date(0);
  start.setUTCFullYear(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10)));
  return Number.isFinite(made) && made > start.getTime() + LATEST_DAY_END_MS;
}

function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/**
 * Finds every export under `folder`: a `<id>.deid.json` sidecar and the image it names beside it.
 * Links are not followed. Images with no sidecar are refused (an export without its record cannot
 * be transferred); other files (a linkage file, notes) are never packed and are counted.
 */
function findExports(folder: string): { exports: Export[]; refused: Refusal[]; ignored: number } {
  const exports: Export[] = [];
  const refused: Refusal[] = [];
  const claimed = new Set<string>();
  const images: string[] = [];
  let ignored = 0;
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const st = fs.lstatSync(full);
      if (st.isSymbolicLink()) {
        refused.push({ path: full, reason: 'a symbolic link (not followed; copy the export itself into the folder)' });
        continue;
      }
      if (st.isDirectory()) {
        walk(full);
        continue;
      }
      if (!st.isFile()) {
        ignored++;
        continue;
      }
      if (name.endsWith(SIDECAR_SUFFIX)) {
        let sidecar: Sidecar;
        let sidecarBytes: Buffer;
        try {
          sidecarBytes = fs.readFileSync(full);
          sidecar = parseSidecar(sidecarBytes.toString('utf8'));
        } catch (e) {
          refused.push({ path: full, reason: `the sidecar does not validate (${isDeidError(e) ? e.code : 'not JSON'})` });
          continue;
        }
        const fileName = sidecar.image.fileName;
        const ext = path.extname(fileName);
        if (fileName.includes('/') || fileName.includes('\\') || `${sidecar.alternateId}${ext}` !== fileName || `${sidecar.alternateId}${SIDECAR_SUFFIX}` !== name) {
          // Only files named by their alternate id go into a bag: any other name may be an original one.
          refused.push({ path: full, reason: 'the export and its sidecar are not both named by the alternate id' });
          continue;
        }
        const imagePath = path.join(dir, fileName);
        claimed.add(imagePath);
        exports.push({ sidecarPath: full, imagePath, sidecar, sidecarBytes });
        continue;
      }
      const head = Buffer.alloc(64);
      const fd = fs.openSync(full, 'r');
      let n = 0;
      try {
        n = fs.readSync(fd, head, 0, 64, 0);
      } finally {
        fs.closeSync(fd);
      }
      if (detectContainer(head.subarray(0, n))) images.push(full);
      else ignored++;
    }
  };
  walk(folder);
  for (const image of images) if (!claimed.has(image)) refused.push({ path: image, reason: NO_SIDECAR });
  return { exports, refused, ignored };
}

/** Anything at the path, a dangling link included: a bag is renamed into place over nothing. */
function occupied(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** The usage problem with a bag create run, or null: checked before any export is read. */
function createUsageProblem(folder: string, opts: BagCreateOptions): string | null {
  let st: fs.Stats;
  try {
    st = fs.statSync(folder);
  } catch {
    return `cannot read ${escapeText(folder)}`;
  }
  if (!st.isDirectory()) return `${escapeText(folder)} is not a folder`;
  // An empty --out would resolve to the current folder (" already exists", or a bag renamed there).
  const emptyOut = emptyPathProblem('--out', opts.out);
  if (emptyOut) return emptyOut;
  if (occupied(opts.out)) return `${escapeText(opts.out)} already exists; a bag is never written over anything`;
  if (isInside(realTarget(opts.out), fs.realpathSync(folder))) return '--out must not be inside the folder being bagged';
  for (const [flag, value] of [['--recipient', opts.recipient], ['--method', opts.method], ['--contact', opts.contact], ['--source-org', opts.sourceOrganization], ['--description', opts.description]] as const) {
    // A bag-info element with no value records nothing (`Recipient-Organization:`); commander passes "" through.
    if (value !== undefined && isBlank(value)) return `${flag} needs a value; an empty one was given`;
  }
  if (opts.transferDate !== undefined && !isCalendarDate(opts.transferDate)) return `--transfer-date ${escapeText(opts.transferDate)} is not a date on the calendar; give it as YYYY-MM-DD`;
  return opts.log === undefined ? null : logProblem(opts.log, opts.out);
}

/** What checkExports found beyond the refusals. */
interface Checked {
  /** Exports packed unsigned under --allow-unsigned. */
  unsigned: number;
  /** Alternate ids of exports that are one image (identical-exports.ts), each group in folder order. */
  identical: string[][];
}

/**
 * Re-verifies every export (refusals are added to `refused`), counts those packed unsigned
 * under --allow-unsigned, and finds exports that are one image under several alternate ids:
 * refused, unless --allow-identical.
 */
async function checkExports(exports: readonly Export[], refused: Refusal[], opts: BagCreateOptions): Promise<Checked> {
  const byName = new Map<string, string>();
  const named: Export[] = [];
  let unsigned = 0;
  for (const ex of exports) {
    const taken = byName.get(ex.sidecar.image.fileName);
    if (taken) {
      refused.push({ path: ex.sidecarPath, reason: `the same alternate id as ${taken}` });
      continue;
    }
    byName.set(ex.sidecar.image.fileName, ex.sidecarPath);
    named.push(ex);
    if (opts.transferDate !== undefined && madeAfterDay(ex.sidecar.createdAt, opts.transferDate)) {
      refused.push({ path: ex.sidecarPath, reason: `exported ${escapeText(ex.sidecar.createdAt)}, after the --transfer-date ${opts.transferDate}: a transfer cannot precede its exports` });
      continue;
    }
    // The transfer gate reads scan data too (WalkOptions.scanData): a handful of exports, whose bytes leave the institution.
    const result = await verifyFile({ type: 'verify', file: { path: ex.imagePath, rel: path.basename(ex.imagePath), explicit: true }, requireSidecar: true, policy: opts.policy, scanData: true, trustedReviewers: opts.trustedReviewers });
    if (result.error) {
      refused.push({ path: ex.imagePath, reason: result.error });
      continue;
    }
    // Signed off as report and deid review count it (core/signature/signed-off.ts), not by the
    // sidecar's own flag: a flag a script set without re-verifying is not a sign-off.
    const signedOff = result.signedOff === true;
    const blocking = result.findings.filter((f) => !(opts.allowUnsigned && f.kind === 'checklist-incomplete'));
    if (blocking.length > 0) {
      const kinds = [...new Set(blocking.map((f) => f.kind))];
      // An unfinished checklist is the one refusal every first bag meets (README "Transfers"):
      // the bare kind named neither way out.
      refused.push({
        path: ex.imagePath,
        reason: kinds.length === 1 && kinds[0] === 'checklist-incomplete'
          ? 'the checklist is not complete and signed off (checklist-incomplete): finish it in deid review, or pack it unsigned with --allow-unsigned (recorded in bag-info.txt)'
          : `does not verify clean: ${kinds.join(', ')}`,
      });
      continue;
    }
    if (!signedOff) {
      if (!opts.allowUnsigned) {
        refused.push({ path: ex.imagePath, reason: 'the checklist is not signed off by a reviewer' });
        continue;
      }
      unsigned++;
    }
  }
  // By the SHA-256 the sidecars record: an export whose image does not match its own was refused
  // above, and writeBag checks every copy against it.
  const groups = identicalGroups(named, (ex) => ex.sidecar.image.sha256);
  if (!opts.allowIdentical) {
    for (const g of groups) {
      const ids = g.map((ex) => ex.sidecar.alternateId);
      refused.push({
        path: g[0]!.imagePath,
        reason: `the same image, byte for byte, as ${g.slice(1).map((ex) => ex.imagePath).join(', ')}: alternate ids ${ids.join(', ')} are one photo, which the recipient would count ${g.length} times; keep one (move the others and their sidecars out of the folder), or pack them all with --allow-identical (recorded in bag-info.txt)`,
      });
    }
  }
  return { unsigned, identical: groups.map((g) => g.map((ex) => ex.sidecar.alternateId)) };
}

type InfoElement = { label: string; value: string };

/** The bag-info element recording --allow-identical; bag verify reads it as it reads Unsigned-Exports-Allowed. */
const IDENTICAL_ALLOWED = 'Identical-Exports-Allowed';

function bagInfo(opts: BagCreateOptions, now: Date, payload: readonly PayloadEntry[], exports: number, checked: Checked): InfoElement[] {
  const { unsigned, identical } = checked;
  const info: InfoElement[] = [];
  if (opts.sourceOrganization) info.push({ label: 'Source-Organization', value: opts.sourceOrganization });
  if (opts.contact) info.push({ label: 'Contact-Name', value: opts.contact });
  info.push(
    { label: 'External-Description', value: opts.description ?? `${exports} de-identified photograph(s), each with its deid-photo sidecar (<id>.deid.json)` },
    { label: 'Bagging-Date', value: isoDate(now) },
    { label: 'Payload-Oxum', value: payloadOxum(payload) },
    { label: 'Bag-Size', value: bagSize(payload.reduce((s, p) => s + p.size, 0)) },
    { label: 'Recipient-Organization', value: opts.recipient },
    { label: 'Transfer-Method', value: opts.method },
    { label: 'Transfer-Date', value: opts.transferDate ?? isoDate(now) },
    { label: 'Deidentification-Method', value: DEID_METHOD },
    { label: 'Bag-Software-Agent', value: `deid-photo ${TOOL_VERSION}` },
  );
  if (opts.allowUnsigned) info.push({ label: 'Unsigned-Exports-Allowed', value: `yes (--allow-unsigned): ${unsigned} of ${exports} export(s) not signed off by a reviewer` });
  if (opts.allowIdentical) {
    const shared = identical.reduce((n, g) => n + g.length, 0);
    info.push({
      label: IDENTICAL_ALLOWED,
      value: `yes (--allow-identical): ${shared} of ${exports} export(s) are the same image as another${identical.length > 0 ? ` (${identical.map((g) => g.join(' = ')).join('; ')})` : ''}`,
    });
  }
  return info;
}

/**
 * The bag is built as `.<out name>.<host>-<pid>-<random>.partial` beside --out, tagged with this
 * machine and process as atomic.ts tags its temporary files, so a later run can tell a dead run's
 * leftover (a hidden full copy of the exports, which would travel along on a transfer drive) from
 * a live run's work in progress.
 */
const PARTIAL_TAIL = /^([0-9a-f]{8})-(\d+)-[0-9a-f]{12}\.partial$/;

function partialPath(out: string): string {
  return path.join(path.dirname(out), `.${path.basename(out)}.${HOST}-${process.pid}-${randomBytes(6).toString('hex')}.partial`);
}

/**
 * Removes partial bags of this --out name that a killed run on this host left: another host's,
 * a live process's, and anything not named as ours are left alone.
 */
function sweepStalePartials(out: string): void {
  const prefix = `.${path.basename(out)}.`;
  let names: string[];
  try {
    names = fs.readdirSync(path.dirname(out));
  } catch {
    return;
  }
  for (const name of names) {
    const m = name.startsWith(prefix) ? PARTIAL_TAIL.exec(name.slice(prefix.length)) : null;
    if (!m || m[1] !== HOST) continue;
    const pid = Number(m[2]);
    if (pid === process.pid || pidAlive(pid)) continue;
    try {
      fs.rmSync(path.join(path.dirname(out), name), { recursive: true, force: true });
    } catch {
      // Not ours to remove after all (permissions): it stays, hidden, as before.
    }
  }
}

/**
 * Builds the bag in `tmp` (a partialPath beside the target) and renames it into place, so a bag
 * either exists complete or not at all. Returns its identity and payload size.
 */
async function writeBag(out: string, tmp: string, exports: readonly Export[], info: (payload: readonly PayloadEntry[]) => InfoElement[]): Promise<{ identity: string; bytes: number }> {
  try {
    fs.mkdirSync(path.join(tmp, 'data'), { recursive: true });
    const payload: PayloadEntry[] = [];
    for (const ex of exports) {
      for (const src of [ex.imagePath, ex.sidecarPath]) {
        const rel = `data/${path.basename(src)}`;
        fs.copyFileSync(src, path.join(tmp, rel), fs.constants.COPYFILE_EXCL);
        // Hash the copy, not the source: the manifest vouches for what is in the bag.
        const d = await digestFile(path.join(tmp, rel), ['sha256', 'sha512']);
        // And the copy must be what was verified: the image the sidecar's SHA-256 names, and the
        // sidecar as read. Copies are made after every export was checked, so a file changed in
        // between (an export swapped for its original photo) would otherwise travel unchecked.
        const expected = src === ex.imagePath ? ex.sidecar.image.sha256 : createHash('sha256').update(ex.sidecarBytes).digest('hex');
        if (d.sha256 !== expected) throw new ChangedSinceCheck(src);
        payload.push({ path: rel, size: fs.statSync(path.join(tmp, rel)).size, sha256: d.sha256, sha512: d.sha512 });
      }
    }
    const built = buildTagFiles(payload, info(payload));
    for (const f of built.files) fs.writeFileSync(path.join(tmp, f.name), f.bytes, { flag: 'wx' });
    fs.renameSync(tmp, out);
    return { identity: built.identity, bytes: payload.reduce((s, p) => s + p.size, 0) };
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

function messageOf(e: unknown): string {
  return escapeText(e instanceof Error ? e.message : String(e));
}

/** `deid bag create`: a BagIt 1.0 bag of verified, signed-off exports with the transfer record. */
export async function bagCreateCommand(folder: string, opts: BagCreateOptions, io: Io): Promise<number> {
  const now = opts.now ?? new Date();
  const usage = createUsageProblem(folder, opts);
  if (usage) {
    io.err(`deid bag create: ${usage}`);
    return 2;
  }
  const out = path.resolve(opts.out);
  sweepStalePartials(out);
  const tmp = partialPath(out);
  let log: OpenLog | null = null;
  // Ctrl-C or SIGTERM before the bag is in place: the partial copy goes, and a line says so.
  // The copies are synchronous, so this runs between files, never while tmp is being renamed.
  const onSignal = (signal: NodeJS.Signals): void => {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (log) abandonLog(log);
    io.err(`deid bag create: stopped by ${signal}: nothing written (no bag at ${escapeText(out)}, and no partial copy left beside it)`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let bag: { identity: string; bytes: number };
  let found: ReturnType<typeof findExports>;
  let checked: Checked;
  try {
    found = findExports(folder);
    checked = await checkExports(found.exports, found.refused, opts);
    const early = refusedOrEmpty(folder, found, io);
    if (early !== null) return early;
    // The log is opened before the bag is written: a log that cannot take the record stops the
    // run while nothing exists yet, instead of leaving a bag whose transfer no log records.
    try {
      if (opts.log !== undefined) log = openLog(opts.log);
    } catch (e) {
      io.err(`deid bag create: nothing written: cannot append to --log ${escapeText(opts.log ?? '')}: ${messageOf(e)}`);
      return 2;
    }
    try {
      const n = found.exports.length;
      const c = checked;
      bag = await writeBag(out, tmp, found.exports, (payload) => bagInfo(opts, now, payload, n, c));
    } catch (e) {
      if (log) abandonLog(log);
      if (e instanceof ChangedSinceCheck) {
        // A refusal like a file that does not verify (exit 1), found while copying.
        io.err(`deid bag create: nothing written; 1 problem(s):`);
        io.err(`  ${e.message}`);
        return 1;
      }
      io.err(`deid bag create: nothing written: ${messageOf(e)}`);
      return 2;
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  const { exports, ignored } = found;
  const { unsigned, identical } = checked;
  if (opts.json) io.out(JSON.stringify({ bag: out, identity: bag.identity, exports: exports.length, unsigned, identical, bytes: bag.bytes, ignored }, null, 2));
  else {
    io.out(`wrote bag ${escapeText(out)}: ${exports.length} export(s) with their sidecars, ${bagSize(bag.bytes)}, identity ${bag.identity}`);
    if (ignored > 0) io.out(`${ignored} other file(s) in the folder were not packed (only exports and their sidecars go into a bag)`);
    if (unsigned > 0) io.out(`${unsigned} export(s) not signed off were packed because of --allow-unsigned (recorded in bag-info.txt)`);
    for (const g of identical) io.out(`the same image under ${g.length} alternate ids, packed because of --allow-identical (recorded in bag-info.txt): ${g.join(', ')}`);
  }
  if (!log) return 0;
  const record = { event: 'bag-create', date: now.toISOString(), bag: out, bagIdentity: bag.identity, recipient: opts.recipient, method: opts.method, transferDate: opts.transferDate ?? isoDate(now), exports: exports.length, unsigned, identical: identical.reduce((n, g) => n + g.length, 0), bytes: bag.bytes, tool: `deid-photo ${TOOL_VERSION}` };
  return logRecord(log, record, `deid bag create: the bag was written to ${escapeText(out)} (complete; identity ${bag.identity}) but NOT logged`, io, !opts.json);
}

/** Exit 1 with the refusals, or with "no exports"; null when there is something to bag. */
function refusedOrEmpty(folder: string, found: ReturnType<typeof findExports>, io: Io): number | null {
  const bare = found.refused.filter((r) => r.reason === NO_SIDECAR).length;
  if (bare > 0 && bare === found.refused.length && found.exports.length === 0) {
    // Nothing here is an export (a folder of strip copies): the reason once, not once per photo.
    io.err(`deid bag create: nothing written: ${escapeText(folder)} holds ${bare} image(s) and no sidecar (<id>.deid.json), so no exports (copies made by deid strip, or photos that never went through deid): ${WHY_EXPORTS}.`);
    io.err(`  To transfer these photos, ${WAY_ON}.`);
    return 1;
  }
  if (found.refused.length > 0) {
    io.err(`deid bag create: nothing written; ${found.refused.length} problem(s):`);
    for (const r of found.refused) io.err(`  ${escapeText(r.path)}: ${escapeText(r.reason)}`);
    if (bare > 0) io.err(`  An image with no sidecar is never packed: ${WHY_EXPORTS}; ${WAY_ON}, or move it out of the folder.`);
    return 1;
  }
  if (found.exports.length === 0) {
    io.err(`deid bag create: nothing written; no exports (<id>.<ext> with <id>.deid.json) under ${escapeText(folder)}`);
    return 1;
  }
  return null;
}

/**
 * Appends the record; if that fails once the bag or receipt exists, says so (never "nothing
 * written") and prints the line for the study's log, with exit 2.
 */
function logRecord(log: OpenLog, record: object, whatWasWritten: string, io: Io, say: boolean): number {
  const line = logLine(record);
  try {
    appendLine(log, line);
    // Said, so the person keeping the study's log sees the record went where they meant.
    if (say) io.out(`recorded in --log ${escapeText(path.resolve(log.file))}`);
    return 0;
  } catch (e) {
    io.err(`${whatWasWritten}: cannot append to --log ${escapeText(log.file)}: ${messageOf(e)}. Add this line to the log yourself:`);
    io.err(line);
    return 2;
  }
}

export interface BagVerifyOptions {
  receipt?: string;
  receiver?: string;
  log?: string;
  json?: boolean;
  policy: Policy;
  /** `--trusted-reviewers`: the receiver's own list of reviewer keys whose sign-offs count. */
  trustedReviewers?: string[];
  now?: Date;
}

/** The usage problem with a bag verify run, or null: checked before the bag is read. */
function verifyUsageProblem(bag: string, opts: BagVerifyOptions): string | null {
  if (opts.receipt !== undefined && !opts.receiver?.trim()) return '--receipt needs --receiver "<who received the bag>"';
  let st: fs.Stats;
  try {
    st = fs.statSync(bag);
  } catch {
    return `cannot read ${escapeText(bag)}`;
  }
  if (!st.isDirectory()) return `${escapeText(bag)} is not a folder (serialized bags are not read here; unpack it first)`;
  const receipt = opts.receipt === undefined ? null : receiptProblem(opts.receipt, bag);
  if (receipt) return receipt;
  const log = opts.log === undefined ? null : logProblem(opts.log, bag);
  if (log) return log;
  if (opts.receipt !== undefined && opts.log !== undefined && realTarget(opts.receipt) === realTarget(opts.log)) return '--receipt and --log name the same file; give each its own';
  return null;
}

/** A receipt is a new file outside the bag: it never replaces anything (a log, another receipt). */
function receiptProblem(receipt: string, bag: string): string | null {
  if (receipt !== '' && isInside(realTarget(receipt), realTarget(bag))) return 'the receipt must be written outside the bag (a bag is never modified)';
  return newFileProblem('--receipt', receipt);
}

/**
 * `deid bag verify`: RFC 8493 validation, then, in a bag deid made (bag-info names a
 * Deidentification-Method), every image re-verified against its sidecar. Reads only; a receipt
 * and a log line go to files outside the bag, checked before the bag is read.
 */
export async function bagVerifyCommand(bag: string, opts: BagVerifyOptions, io: Io): Promise<number> {
  const now = opts.now ?? new Date();
  const usage = verifyUsageProblem(bag, opts);
  if (usage) {
    io.err(`deid bag verify: ${usage}`);
    return 2;
  }
  const root = path.resolve(bag);
  let report: BagReport;
  try {
    report = await validateBag(folderStore(root));
  } catch (e) {
    io.err(`deid bag verify: cannot read the bag: ${messageOf(e)}`);
    return 2;
  }
  const images = { checked: 0, clean: 0 };
  if (report.errors.length === 0 && valuesOf(report.info, 'Deidentification-Method').length > 0) {
    await reverifyImages(root, report, images, opts.policy, opts.trustedReviewers);
  }
  for (const w of report.warnings) io.err(`warning: ${escapeText(w)}`);
  const valid = report.errors.length === 0;
  const manifests = fs.readdirSync(root).filter((n) => /^(tag)?manifest-[a-z0-9]+\.txt$/.test(n)).map((name) => ({ name, bytes: fs.readFileSync(path.join(root, name)) }));
  const id = bagIdentity(manifests);
  const transferMethod = valuesOf(report.info, 'Transfer-Method')[0] ?? null;
  const receipt = {
    receipt: 'deid-photo transfer receipt',
    bag: { identity: id?.identity ?? null, identityBasis: id?.basis ?? null, bagItVersion: report.version, payloadOxum: `${report.payload.bytes}.${report.payload.files}` },
    receiver: opts.receiver ?? null,
    date: now.toISOString(),
    transferMethod,
    recipientOrganization: valuesOf(report.info, 'Recipient-Organization')[0] ?? null,
    counts: { payloadFiles: report.payload.files, payloadBytes: report.payload.bytes, images: images.checked, imagesClean: images.clean },
    result: valid ? 'valid' : 'invalid',
    problems: report.errors,
    tool: `deid-photo ${TOOL_VERSION}`,
  };
  // Opened before the receipt is written, as bag create opens it before the bag.
  let log: OpenLog | null = null;
  try {
    if (opts.log !== undefined) log = openLog(opts.log);
  } catch (e) {
    io.err(`deid bag verify: nothing written: cannot append to --log ${escapeText(opts.log ?? '')}: ${messageOf(e)}`);
    return 2;
  }
  if (opts.receipt !== undefined) {
    try {
      // Never over a file, even one that appeared since the check.
      writeNewFile(opts.receipt, `${JSON.stringify(receipt, null, 2)}\n`);
    } catch (e) {
      if (log) abandonLog(log);
      io.err(`deid bag verify: cannot write the receipt: ${messageOf(e)}`);
      return 2;
    }
  }
  if (opts.json) io.out(JSON.stringify({ valid, version: report.version, errors: report.errors, warnings: report.warnings, payload: report.payload, images, identity: receipt.bag.identity }, null, 2));
  else {
    for (const e of report.errors) io.out(`invalid   ${escapeText(e)}`);
    io.out(valid
      ? `valid BagIt ${report.version} bag: ${report.payload.files} payload file(s), ${report.payload.bytes} bytes${images.checked ? `, ${images.clean} of ${images.checked} image(s) re-verified clean against their sidecars` : ''}`
      : `INVALID bag: ${report.errors.length} problem(s)`);
    if (opts.receipt !== undefined) io.out(`wrote the receipt ${escapeText(path.resolve(opts.receipt))} (result: ${receipt.result})`);
  }
  const code = valid ? 0 : 1;
  if (!log) return code;
  const record = { event: opts.receipt !== undefined ? 'bag-receipt' : 'bag-verify', date: receipt.date, bag: root, bagIdentity: receipt.bag.identity, receiver: receipt.receiver, method: transferMethod, result: receipt.result, payloadFiles: report.payload.files, images: images.checked, tool: receipt.tool };
  const written = opts.receipt !== undefined ? `the receipt was written to ${escapeText(path.resolve(opts.receipt))}` : 'the bag was checked';
  const logged = logRecord(log, record, `deid bag verify: ${written} but NOT logged`, io, !opts.json);
  return logged !== 0 ? logged : code;
}

/** What deid writes at the top of a bag (core/bagit/build.ts). */
const DEID_TOP_LEVEL = /^(bagit\.txt|bag-info\.txt|(tag)?manifest-(sha256|sha512)\.txt|data)$/;

async function reverifyImages(root: string, report: BagReport, images: { checked: number; clean: number }, policy: Policy, trustedReviewers?: string[]): Promise<void> {
  // RFC 8493 lets a bag carry other tag files; a bag deid made has none, so anything else at
  // its top (an original photo copied in later) travels with the bag unchecked: refused.
  for (const name of fs.readdirSync(root).sort()) {
    if (!DEID_TOP_LEVEL.test(name)) report.errors.push(`${name}: a file outside data/ that deid's bags never hold (added after the bag was made; it would travel with the bag unchecked)`);
  }
  const dataDir = path.join(root, 'data');
  const names = fs.readdirSync(dataDir).sort();
  const sidecars = new Set(names.filter((n) => n.endsWith(SIDECAR_SUFFIX)));
  const used = new Set<string>();
  const hashed: { name: string; sha256: string }[] = [];
  for (const name of names) {
    const full = path.join(dataDir, name);
    if (!fs.lstatSync(full).isFile()) {
      // writeBag puts every export at data/<name>: a folder was added later, and what it holds
      // (an original photo) would travel unverified, listed in manifests anyone can recompute.
      report.errors.push(`data/${name}: a folder inside data/ that deid's bags never hold (added after the bag was made; what it holds would travel unverified)`);
      continue;
    }
    if (name.endsWith(SIDECAR_SUFFIX)) continue;
    const bytes = fs.readFileSync(full);
    const head = bytes.subarray(0, 64);
    hashed.push({ name, sha256: createHash('sha256').update(bytes).digest('hex') });
    if (!detectContainer(head)) {
      report.errors.push(`data/${name}: not an image or a sidecar (a deid bag holds only exports and their sidecars)`);
      continue;
    }
    images.checked++;
    const sidecarName = `${path.basename(name, path.extname(name))}${SIDECAR_SUFFIX}`;
    used.add(sidecarName);
    if (!sidecars.has(sidecarName)) {
      // Said here, not left to verifyFile: it reports a missing sidecar as checklist-incomplete,
      // which Unsigned-Exports-Allowed waives; the allowance waives the sign-off, never the record.
      report.errors.push(`data/${name}: an image with no sidecar (${sidecarName}) beside it, so nothing vouches for its pixels`);
      continue;
    }
    const result = await verifyFile({ type: 'verify', file: { path: full, rel: name, explicit: true }, requireSidecar: true, policy, scanData: true, trustedReviewers });
    if (result.error) report.errors.push(`data/${name}: ${result.error}`);
    else if (result.findings.length > 0) {
      const allowedUnsigned = valuesOf(report.info, 'Unsigned-Exports-Allowed').length > 0;
      const blocking = result.findings.filter((f) => !(allowedUnsigned && f.kind === 'checklist-incomplete'));
      if (blocking.length > 0) report.errors.push(`data/${name}: does not re-verify: ${blocking.map((f) => `${f.kind} (${f.where}: ${f.detail})`).join('; ')}`);
      else images.clean++;
    } else images.clean++;
  }
  for (const s of sidecars) if (!used.has(s)) report.errors.push(`data/${s}: a sidecar with no image`);
  // One image under several alternate ids: the bag is intact and each export verifies, so it is
  // said, not failed (bags made before bag create refused it stay valid); a bag made with
  // --allow-identical declares it in bag-info.txt, and then nothing more is said.
  if (valuesOf(report.info, IDENTICAL_ALLOWED).length === 0) {
    for (const g of identicalGroups(hashed, (h) => h.sha256)) {
      report.warnings.push(`${g.map((h) => `data/${h.name}`).join(', ')}: the same image under ${g.length} alternate ids (a study would count this photo ${g.length} times), and bag-info.txt does not declare it (${IDENTICAL_ALLOWED})`);
    }
  }
  report.valid = report.errors.length === 0;
}
