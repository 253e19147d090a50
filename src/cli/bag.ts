import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bagIdentity, bagSize, buildTagFiles, payloadOxum, validateBag, valuesOf, type BagReport, type PayloadEntry } from '../core/bagit';
import { isDeidError } from '../core/errors';
import { detectContainer } from '../core/metadata/registry';
import type { Policy } from '../core/policy/types';
import { parseSidecar } from '../core/sidecar/schema';
import type { Sidecar } from '../core/sidecar/types';
import { folderStore, digestFile } from './bag-store';
import { verifyFile } from './tasks/verify-file';
import { escapeText } from './escape';
import type { Io } from './io';
import { TOOL_VERSION } from './version';


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
  log?: string;
  json?: boolean;
  policy: Policy;
  /** Clock for Bagging-Date / the log (tests pin it). */
  now?: Date;
}

interface Export {
  sidecarPath: string;
  imagePath: string;
  sidecar: Sidecar;
}

interface Refusal {
  path: string;
  reason: string;
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
        try {
          sidecar = parseSidecar(fs.readFileSync(full, 'utf8'));
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
        exports.push({ sidecarPath: full, imagePath, sidecar });
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
  for (const image of images) if (!claimed.has(image)) refused.push({ path: image, reason: 'an image with no <id>.deid.json sidecar beside it' });
  return { exports, refused, ignored };
}

/** `deid bag create`: a BagIt 1.0 bag of verified, signed-off exports with the transfer record. */
export async function bagCreateCommand(folder: string, opts: BagCreateOptions, io: Io): Promise<number> {
  const now = opts.now ?? new Date();
  let st: fs.Stats;
  try {
    st = fs.statSync(folder);
  } catch {
    io.err(`deid bag create: cannot read ${escapeText(folder)}`);
    return 2;
  }
  if (!st.isDirectory()) {
    io.err(`deid bag create: ${escapeText(folder)} is not a folder`);
    return 2;
  }
  const out = path.resolve(opts.out);
  if (fs.existsSync(out)) {
    io.err(`deid bag create: ${escapeText(opts.out)} already exists; a bag is never written over anything`);
    return 2;
  }
  const root = path.resolve(folder);
  if (out === root || out.startsWith(root + path.sep)) {
    io.err('deid bag create: --out must not be inside the folder being bagged');
    return 2;
  }
  if (opts.transferDate !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(opts.transferDate)) {
    io.err('deid bag create: --transfer-date must be YYYY-MM-DD');
    return 2;
  }

  const { exports, refused, ignored } = findExports(folder);
  const byName = new Map<string, string>();
  let unsigned = 0;
  for (const ex of exports) {
    const taken = byName.get(ex.sidecar.image.fileName);
    if (taken) {
      refused.push({ path: ex.sidecarPath, reason: `the same alternate id as ${taken}` });
      continue;
    }
    byName.set(ex.sidecar.image.fileName, ex.sidecarPath);
    const result = await verifyFile({ type: 'verify', file: { path: ex.imagePath, rel: path.basename(ex.imagePath), explicit: true }, requireSidecar: true, policy: opts.policy });
    if (result.error) {
      refused.push({ path: ex.imagePath, reason: result.error });
      continue;
    }
    const signedOff = ex.sidecar.checklist.signedOff;
    const blocking = result.findings.filter((f) => !(opts.allowUnsigned && f.kind === 'checklist-incomplete'));
    if (blocking.length > 0) {
      refused.push({ path: ex.imagePath, reason: `does not verify clean: ${[...new Set(blocking.map((f) => f.kind))].join(', ')}` });
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
  if (refused.length > 0) {
    io.err(`deid bag create: nothing written; ${refused.length} problem(s):`);
    for (const r of refused) io.err(`  ${escapeText(r.path)}: ${escapeText(r.reason)}`);
    return 1;
  }
  if (exports.length === 0) {
    io.err(`deid bag create: nothing written; no exports (<id>.<ext> with <id>.deid.json) under ${escapeText(folder)}`);
    return 1;
  }

  // Built under a temporary name beside the target and renamed into place, so a bag either
  // exists complete or not at all.
  const tmp = path.join(path.dirname(out), `.${path.basename(out)}.${randomBytes(6).toString('hex')}.partial`);
  try {
    fs.mkdirSync(path.join(tmp, 'data'), { recursive: true });
    const payload: PayloadEntry[] = [];
    for (const ex of exports) {
      for (const src of [ex.imagePath, ex.sidecarPath]) {
        const rel = `data/${path.basename(src)}`;
        fs.copyFileSync(src, path.join(tmp, rel), fs.constants.COPYFILE_EXCL);
        // Hash the copy, not the source: the manifest vouches for what is in the bag.
        const d = await digestFile(path.join(tmp, rel), ['sha256', 'sha512']);
        payload.push({ path: rel, size: fs.statSync(path.join(tmp, rel)).size, sha256: d.sha256, sha512: d.sha512 });
      }
    }
    const total = payload.reduce((s, p) => s + p.size, 0);
    const info: Array<{ label: string; value: string }> = [];
    if (opts.sourceOrganization) info.push({ label: 'Source-Organization', value: opts.sourceOrganization });
    if (opts.contact) info.push({ label: 'Contact-Name', value: opts.contact });
    info.push(
      { label: 'External-Description', value: opts.description ?? `${exports.length} de-identified photograph(s), each with its deid-photo sidecar (<id>.deid.json)` },
      { label: 'Bagging-Date', value: isoDate(now) },
      { label: 'Payload-Oxum', value: payloadOxum(payload) },
      { label: 'Bag-Size', value: bagSize(total) },
      { label: 'Recipient-Organization', value: opts.recipient },
      { label: 'Transfer-Method', value: opts.method },
      { label: 'Transfer-Date', value: opts.transferDate ?? isoDate(now) },
      { label: 'Deidentification-Method', value: DEID_METHOD },
      { label: 'Bag-Software-Agent', value: `deid-photo ${TOOL_VERSION}` },
    );
    if (opts.allowUnsigned) info.push({ label: 'Unsigned-Exports-Allowed', value: `yes (--allow-unsigned): ${unsigned} of ${exports.length} export(s) not signed off by a reviewer` });
    const built = buildTagFiles(payload, info);
    for (const f of built.files) fs.writeFileSync(path.join(tmp, f.name), f.bytes, { flag: 'wx' });
    fs.renameSync(tmp, out);
    const record = { event: 'bag-create', date: now.toISOString(), bag: out, bagIdentity: built.identity, recipient: opts.recipient, method: opts.method, transferDate: opts.transferDate ?? isoDate(now), exports: exports.length, unsigned, bytes: total, tool: `deid-photo ${TOOL_VERSION}` };
    if (opts.log) appendLog(opts.log, record);
    if (opts.json) io.out(JSON.stringify({ bag: out, identity: built.identity, exports: exports.length, unsigned, bytes: total, ignored }, null, 2));
    else {
      io.out(`wrote bag ${escapeText(out)}: ${exports.length} export(s) with their sidecars, ${bagSize(total)}, identity ${built.identity}`);
      if (ignored > 0) io.out(`${ignored} other file(s) in the folder were not packed (only exports and their sidecars go into a bag)`);
      if (unsigned > 0) io.out(`${unsigned} export(s) not signed off were packed because of --allow-unsigned (recorded in bag-info.txt)`);
    }
    return 0;
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    io.err(`deid bag create: nothing written: ${escapeText(e instanceof Error ? e.message : String(e))}`);
    return 2;
  }
}

/** One JSON line per event, appended: a study keeps one file of every transfer and receipt. */
function appendLog(file: string, record: object): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.appendFileSync(file, `${JSON.stringify(record)}\n`);
}

export interface BagVerifyOptions {
  receipt?: string;
  receiver?: string;
  log?: string;
  json?: boolean;
  policy: Policy;
  now?: Date;
}

/**
 * `deid bag verify`: RFC 8493 validation, then, in a bag deid made (bag-info names a
 * Deidentification-Method), every image re-verified against its sidecar. Reads only; a receipt
 * goes to a separate file.
 */
export async function bagVerifyCommand(bag: string, opts: BagVerifyOptions, io: Io): Promise<number> {
  const now = opts.now ?? new Date();
  if (opts.receipt && !opts.receiver) {
    io.err('deid bag verify: --receipt needs --receiver "<who received the bag>"');
    return 2;
  }
  let st: fs.Stats;
  try {
    st = fs.statSync(bag);
  } catch {
    io.err(`deid bag verify: cannot read ${escapeText(bag)}`);
    return 2;
  }
  if (!st.isDirectory()) {
    io.err(`deid bag verify: ${escapeText(bag)} is not a folder (serialized bags are not read here; unpack it first)`);
    return 2;
  }
  const root = path.resolve(bag);
  if (opts.receipt) {
    const r = path.resolve(opts.receipt);
    if (r.startsWith(root + path.sep)) {
      io.err('deid bag verify: the receipt must be written outside the bag (a bag is never modified)');
      return 2;
    }
  }
  let report: BagReport;
  try {
    report = await validateBag(folderStore(root));
  } catch (e) {
    io.err(`deid bag verify: cannot read the bag: ${escapeText(e instanceof Error ? e.message : String(e))}`);
    return 2;
  }
  const images = { checked: 0, clean: 0 };
  if (report.errors.length === 0 && valuesOf(report.info, 'Deidentification-Method').length > 0) {
    await reverifyImages(root, report, images, opts.policy);
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
  if (opts.receipt) {
    const target = path.resolve(opts.receipt);
    const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(tmp, `${JSON.stringify(receipt, null, 2)}\n`, { flag: 'wx' });
      fs.renameSync(tmp, target);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      io.err(`deid bag verify: cannot write the receipt: ${escapeText(e instanceof Error ? e.message : String(e))}`);
      return 2;
    }
  }
  if (opts.log) appendLog(opts.log, { event: opts.receipt ? 'bag-receipt' : 'bag-verify', date: receipt.date, bag: root, bagIdentity: receipt.bag.identity, receiver: receipt.receiver, method: transferMethod, result: receipt.result, payloadFiles: report.payload.files, images: images.checked, tool: receipt.tool });
  if (opts.json) io.out(JSON.stringify({ valid, version: report.version, errors: report.errors, warnings: report.warnings, payload: report.payload, images, identity: receipt.bag.identity }, null, 2));
  else {
    for (const e of report.errors) io.out(`invalid   ${escapeText(e)}`);
    io.out(valid
      ? `valid BagIt ${report.version} bag: ${report.payload.files} payload file(s), ${report.payload.bytes} bytes${images.checked ? `, ${images.clean} of ${images.checked} image(s) re-verified clean against their sidecars` : ''}`
      : `INVALID bag: ${report.errors.length} problem(s)`);
  }
  return valid ? 0 : 1;
}

async function reverifyImages(root: string, report: BagReport, images: { checked: number; clean: number }, policy: Policy): Promise<void> {
  const dataDir = path.join(root, 'data');
  const names = fs.readdirSync(dataDir).sort();
  const sidecars = new Set(names.filter((n) => n.endsWith(SIDECAR_SUFFIX)));
  const used = new Set<string>();
  for (const name of names) {
    if (name.endsWith(SIDECAR_SUFFIX)) continue;
    const full = path.join(dataDir, name);
    if (!fs.lstatSync(full).isFile()) continue;
    const head = fs.readFileSync(full).subarray(0, 64);
    if (!detectContainer(head)) {
      report.errors.push(`data/${name}: not an image or a sidecar (a deid bag holds only exports and their sidecars)`);
      continue;
    }
    images.checked++;
    const result = await verifyFile({ type: 'verify', file: { path: full, rel: name, explicit: true }, requireSidecar: true, policy });
    used.add(`${path.basename(name, path.extname(name))}${SIDECAR_SUFFIX}`);
    if (result.error) report.errors.push(`data/${name}: ${result.error}`);
    else if (result.findings.length > 0) {
      const allowedUnsigned = valuesOf(report.info, 'Unsigned-Exports-Allowed').length > 0;
      const blocking = result.findings.filter((f) => !(allowedUnsigned && f.kind === 'checklist-incomplete'));
      if (blocking.length > 0) report.errors.push(`data/${name}: does not re-verify: ${blocking.map((f) => `${f.kind} (${f.where}: ${f.detail})`).join('; ')}`);
      else images.clean++;
    } else images.clean++;
  }
  for (const s of sidecars) if (!used.has(s)) report.errors.push(`data/${s}: a sidecar with no image`);
  report.valid = report.errors.length === 0;
}
