import { isRfcVersion, parseDeclaration, type BagDeclaration } from './declaration';
import { type Algorithm, isAlgorithm, manifestName, outOfScope, parseManifest } from './manifest';
import { parseTagFile, valuesOf, type TagFileResult } from './tag-file';
import { decodeTagText, splitLines } from './text';

/** What a validator needs from wherever the bag lies (a folder on disk in the CLI). */
export interface BagStore {
  /** Every entry under the bag, '/'-separated relative paths; `kind` other than file/dir is refused. */
  list(): Promise<Array<{ path: string; kind: 'file' | 'dir' | 'other'; size: number }>>;
  /** A tag file's bytes (tag files are small; payload files are only ever digested). */
  read(path: string): Promise<Uint8Array>;
  /** Hex digests of one file, every algorithm from one read. */
  digest(path: string, algorithms: readonly Algorithm[]): Promise<Record<string, string>>;
}

export interface BagReport {
  valid: boolean;
  version: string | null;
  errors: string[];
  warnings: string[];
  info: TagFileResult['elements'];
  payload: { files: number; bytes: number };
  algorithms: string[];
}

const SYSTEM_FILES = /(^|\/)(\.DS_Store|Thumbs\.db|desktop\.ini|\._[^/]*)$/i;

/**
 * Validates a bag as RFC 8493 §3 defines it: complete (bagit.txt, at least one payload manifest,
 * every payload file in every payload manifest, every listed file present, fetch.txt fulfilled)
 * and valid (every checksum in every manifest and tag manifest matches). Pre-RFC 0.9x bags are
 * read by their draft's looser text rules. Errors say why; warnings do not make a bag invalid.
 */
export async function validateBag(store: BagStore, onFile?: (done: number, total: number) => void): Promise<BagReport> {
  const report: BagReport = { valid: false, version: null, errors: [], warnings: [], info: [], payload: { files: 0, bytes: 0 }, algorithms: [] };
  const { errors, warnings } = report;
  const entries = await store.list();
  const files = new Map(entries.filter((e) => e.kind === 'file').map((e) => [e.path, e.size]));
  for (const e of entries) if (e.kind === 'other') errors.push(`${e.path}: not a regular file or folder (links and devices are not allowed in a bag here)`);

  if (!files.has('bagit.txt')) {
    errors.push('bagit.txt is missing (RFC 8493 §2.1.1)');
    return report;
  }
  const decl = parseDeclaration(await store.read('bagit.txt'));
  if (typeof decl === 'string') {
    errors.push(decl);
    return report;
  }
  report.version = decl.version;
  const strict = isRfcVersion(decl);
  if (!entries.some((e) => e.path === 'data' && e.kind === 'dir')) errors.push('the payload folder data/ is missing (RFC 8493 §2.1.2)');

  const readText = async (name: string): Promise<string | null> => {
    try {
      return decodeTagText(await store.read(name), decl.encoding);
    } catch {
      errors.push(`${name}: not readable as ${decl.encoding} text (the encoding bagit.txt declares)`);
      return null;
    }
  };

  if (files.has('bag-info.txt')) {
    const text = await readText('bag-info.txt');
    if (text !== null) {
      const parsed = parseTagFile(text, 'bag-info.txt', strict);
      report.info = parsed.elements;
      errors.push(...parsed.errors);
      warnings.push(...parsed.warnings);
    }
  }

  const payloadFiles = [...files.keys()].filter((p) => p.startsWith('data/')).sort();
  report.payload = { files: payloadFiles.length, bytes: payloadFiles.reduce((s, p) => s + (files.get(p) ?? 0), 0) };
  checkOxum(report, decl);

  const fetched = files.has('fetch.txt') ? await readFetch(await readText('fetch.txt'), errors) : new Set<string>();

  // Manifests at the top level only (§2.1.3, §2.2.1).
  const topLevel = [...files.keys()].filter((p) => !p.includes('/'));
  const manifests: Array<{ name: string; kind: 'payload' | 'tag'; algorithm: Algorithm; entries: Map<string, string> }> = [];
  for (const name of topLevel.sort()) {
    const m = manifestName(name);
    if (!m) continue;
    if (!isAlgorithm(m.algorithm)) {
      errors.push(`${name}: checksum algorithm "${m.algorithm}" is not supported here (md5, sha1, sha224, sha256, sha384, sha512)`);
      continue;
    }
    const text = await readText(name);
    if (text === null) continue;
    const parsed = parseManifest(text, name, m.algorithm, m.kind, strict);
    errors.push(...parsed.errors);
    warnings.push(...parsed.warnings);
    manifests.push({ name, kind: m.kind, algorithm: m.algorithm, entries: parsed.entries });
  }
  const payloadManifests = manifests.filter((m) => m.kind === 'payload');
  if (payloadManifests.length === 0 && !topLevel.some((n) => manifestName(n)?.kind === 'payload')) {
    errors.push('no payload manifest (manifest-<algorithm>.txt) (RFC 8493 §2.1.3)');
  }
  report.algorithms = [...new Set(payloadManifests.map((m) => m.algorithm))];

  // Completeness (§3): every payload file in every payload manifest, every listed file present.
  for (const m of payloadManifests) {
    for (const p of payloadFiles) if (!m.entries.has(p)) errors.push(`${p}: present in data/ but not listed in ${m.name}`);
  }
  for (const m of manifests) {
    for (const p of m.entries.keys()) {
      if (files.has(p)) continue;
      errors.push(fetched.has(p) ? `${p}: listed in fetch.txt but not fetched (this validator never downloads)` : `${p}: listed in ${m.name} but missing`);
    }
  }
  warnAboutNames(payloadFiles, [...new Set(manifests.flatMap((m) => [...m.entries.keys()]))], warnings);

  // Validity (§3): every checksum matches. One read per file for all of its algorithms.
  const wanted = new Map<string, Set<Algorithm>>();
  for (const m of manifests) for (const p of m.entries.keys()) if (files.has(p)) (wanted.get(p) ?? wanted.set(p, new Set()).get(p)!).add(m.algorithm);
  const list = [...wanted.keys()].sort();
  let done = 0;
  for (const p of list) {
    const digests = await store.digest(p, [...wanted.get(p)!]);
    for (const m of manifests) {
      const expected = m.entries.get(p);
      if (expected !== undefined && digests[m.algorithm] !== expected) errors.push(`${p}: ${m.algorithm} checksum does not match ${m.name}`);
    }
    onFile?.(++done, list.length);
  }
  report.valid = errors.length === 0;
  return report;
}

function checkOxum(report: BagReport, decl: BagDeclaration): void {
  const oxums = valuesOf(report.info, 'Payload-Oxum');
  if (oxums.length > 1) report.errors.push('bag-info.txt: Payload-Oxum is given more than once');
  if (oxums.length === 0) return;
  const m = /^([0-9]+)\.([0-9]+)$/.exec(oxums[0]);
  if (!m) {
    report.errors.push('bag-info.txt: Payload-Oxum is not "octets.streams" (RFC 8493 §2.2.2)');
    return;
  }
  if (Number(m[1]) !== report.payload.bytes || Number(m[2]) !== report.payload.files) {
    report.errors.push(`bag-info.txt: Payload-Oxum says ${m[2]} files of ${m[1]} bytes, data/ holds ${report.payload.files} files of ${report.payload.bytes} bytes`);
  }
  void decl;
}

/** fetch.txt (RFC 8493 §2.2.3): `url length filepath`; a path must stay inside data/. */
async function readFetch(text: string | null, errors: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  if (text === null) return out;
  splitLines(text).forEach((line, i) => {
    const m = /^(\S+)[ \t]+(\d+|-)[ \t]+(.+)$/.exec(line);
    if (!m) {
      errors.push(`fetch.txt line ${i + 1}: not "url length filepath"`);
      return;
    }
    const p = m[3];
    const scope = outOfScope(p);
    if (scope) errors.push(`fetch.txt line ${i + 1}: ${scope}`);
    else if (!p.startsWith('data/')) errors.push(`fetch.txt line ${i + 1}: a fetched file must go under data/`);
    else out.add(p);
  });
  return out;
}

/** Names that are legal but will not survive a trip through other systems (suite "warning" bags). */
function warnAboutNames(payloadFiles: string[], listed: string[], warnings: string[]): void {
  for (const p of payloadFiles) if (SYSTEM_FILES.test(p)) warnings.push(`${p}: an operating-system file inside the payload`);
  const byFold = new Map<string, string>();
  for (const p of listed) {
    const fold = p.normalize('NFC').toLowerCase();
    const other = byFold.get(fold);
    if (other !== undefined && other !== p) {
      warnings.push(other.normalize('NFC') === p.normalize('NFC')
        ? `${p}: listed twice in different Unicode normalisations`
        : `${p}: differs from ${other} only in letter case (they collide on case-insensitive file systems)`);
    }
    byFold.set(fold, p);
  }
}
