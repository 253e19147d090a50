import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { TEMP_PATTERN } from './what-is';

/**
 * Temporary files are named `.<final name>.deid-tmp-<host>-<pid>-<random>`: hidden (a walk reports
 * them as "temporary", never as an image, so a resumed run cannot take one for an output), and
 * tagged with this machine and process so a later run can tell a dead run's leftovers from a
 * live run's work in progress (shards of one job may write into the same --out at once).
 */
/** This machine, as our temporary names carry it (bag.ts tags its partial bags the same way). */
export const HOST = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);

/** Six random bytes (12 hex digits) per temporary name, drawn 6 KB at a time: one system call per 1,024 names. */
let randomPool = Buffer.alloc(0);
let randomAt = 0;

function randomSuffix(): string {
  if (randomAt + 6 > randomPool.length) {
    randomPool = randomBytes(6 * 1024);
    randomAt = 0;
  }
  randomAt += 6;
  return randomPool.toString('hex', randomAt - 6, randomAt);
}

function stagedName(finalPath: string): string {
  return path.join(path.dirname(finalPath), `.${path.basename(finalPath)}.deid-tmp-${HOST}-${process.pid}-${randomSuffix()}`);
}

/** Whether process `pid` of this machine still runs (EPERM: it does, as another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temporary files of ours that a killed run left in `dir`: written on this host by a
 * process that no longer exists. Another machine's are left alone (we cannot know whether that
 * run is alive); they stay hidden and are never read as input or taken for outputs.
 */
export function sweepStaleTemps(dir: string): number {
  return removeTemps(dir, (pid) => pid !== process.pid && !pidAlive(pid));
}

/**
 * Removes this process's own temporary files in `dir` (any thread's: workers share the pid), for
 * a run that ends early (stopped, or failed) once its workers are terminated: a file a worker
 * staged whose result never reached the main thread is known by its folder alone. Only such a
 * run may call it: any temporary file of ours there is then one nobody will commit.
 */
export function removeOwnTemps(dir: string): number {
  return removeTemps(dir, (pid) => pid === process.pid);
}

/** Removes the temporary files of this host in `dir` whose writer's pid `remove` accepts. */
function removeTemps(dir: string, remove: (pid: number) => boolean): number {
  let removed = 0;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    const m = TEMP_PATTERN.exec(name);
    if (!m || m[1] !== HOST || !remove(Number(m[2]))) continue;
    try {
      fs.rmSync(path.join(dir, name), { force: true });
      removed++;
    } catch {
      // Gone already (another run swept it) or not ours to remove: it stays hidden either way.
    }
  }
  return removed;
}

/**
 * `mkdir -p` that always ends: Node's own recursive mkdir loops forever on some paths (under
 * /proc, where mkdir answers ENOENT for a parent that exists), so each missing level is made
 * in turn, from the deepest existing one down, and any error stops it.
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  let at = path.resolve(dir);
  for (;;) {
    try {
      if (fs.statSync(at).isDirectory()) break;
      throw Object.assign(new Error(`${at} exists and is not a folder`), { code: 'ENOTDIR' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    missing.push(at);
    const parent = path.dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (let i = missing.length - 1; i >= 0; i--) {
    try {
      fs.mkdirSync(missing[i]!);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/** Directories this thread already made (and swept): batches write thousands of files into few folders. */
const madeDirs = new Set<string>();
const sweptDirs = new Set<string>();

function remember(set: Set<string>, dir: string): void {
  if (set.size > 10000) set.clear();
  set.add(dir);
}

/** Sweeps a folder of the output tree once per run and thread (a --resume run that writes
 *  nothing new still clears what a killed run left). */
export function sweepOnce(dir: string): void {
  if (sweptDirs.has(dir)) return;
  sweepStaleTemps(dir);
  remember(sweptDirs, dir);
}

function ensureDir(dir: string): void {
  if (madeDirs.has(dir)) return;
  makeDirs(dir);
  sweepOnce(dir);
  remember(madeDirs, dir);
}

/**
 * Writes a new file and removes it again if the write fails part way (ENOSPC, EIO, EDQUOT). A
 * name that is already taken (EEXIST) is someone else's file: it is left alone.
 */
function writeNew(tmp: string, bytes: Uint8Array | string): void {
  try {
    fs.writeFileSync(tmp, bytes, { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** Writes `bytes` to a new temporary file beside `finalPath` and returns its path. */
export function stageFile(finalPath: string, bytes: Uint8Array): string {
  ensureDir(path.dirname(finalPath));
  const tmp = stagedName(finalPath);
  writeNew(tmp, bytes);
  return tmp;
}

/**
 * Writes each file to a temporary name in the target directory, then renames it into place
 * (rename is atomic within one file system), so a reader never sees half a file. If any write
 * fails, every temporary file and every file already renamed by this call is removed again:
 * an export and its sidecar appear together or not at all.
 *
 * The calls are synchronous on purpose: each worker thread handles one file at a time, and
 * sync calls skip the round trips through libuv's small thread pool that made a batch of small
 * files wait on I/O scheduling rather than on the disk (measured in `npm run bench`).
 */
export async function writeFilesAtomically(files: ReadonlyArray<{ path: string; bytes: Uint8Array | string }>): Promise<void> {
  const staged: Array<{ tmp: string; final: string }> = [];
  const placed: string[] = [];
  try {
    for (const f of files) {
      ensureDir(path.dirname(f.path));
      const tmp = stagedName(f.path);
      staged.push({ tmp, final: f.path });
      writeNew(tmp, f.bytes);
    }
    for (const s of staged) {
      fs.renameSync(s.tmp, s.final);
      placed.push(s.final);
    }
  } catch (e) {
    for (const p of [...staged.map((s) => s.tmp), ...placed]) fs.rmSync(p, { force: true });
    throw e;
  }
}
