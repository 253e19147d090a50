import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DeidError } from '../core/errors';
import { formatFingerprint, keyFingerprint, type ReviewerKey } from '../core/signature/keys';
import type { Io } from './io';
import { readPolicy } from './options';
import { defaultKeyPath, loadOrCreateReviewerKey } from './review/keys';
import { DEFAULT_ASSETS, startReviewServer } from './review/server';
import { ioReason } from './io-reason';
import { isBlank } from './output-paths';

export interface ReviewOptions {
  port?: string;
  open?: boolean;
  key?: string;
  policy?: string;
  idleMinutes?: string;
}

const DEFAULT_IDLE_MINUTES = 30;

function parsePort(value: string | undefined): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new DeidError('usage', `--port must be a whole number from 0 to 65535, not "${value}"`);
  return n;
}

function parseMinutes(value: string | undefined): number {
  if (value === undefined) return DEFAULT_IDLE_MINUTES;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 24 * 60) throw new DeidError('usage', `--idle-minutes must be more than 0 and at most 1440 (a day), not "${value}"`);
  return n;
}

/** Why a key file could not be created at `file` (its nearest existing folder), or null. */
function keyPlaceProblem(file: string): string | null {
  let at = path.dirname(file);
  while (!fs.existsSync(at)) {
    const parent = path.dirname(at);
    if (parent === at) return null;
    at = parent;
  }
  if (!fs.statSync(at).isDirectory()) return `${at} is a file, not a folder`;
  try {
    fs.accessSync(at, fs.constants.W_OK);
    return null;
  } catch (e) {
    return `${at} cannot be written (${ioReason(e)})`;
  }
}

/** The platform's "open this URL" command; a failure only means the reviewer opens it by hand. */
function openBrowser(url: string): void {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // Printed URL is the fallback.
  }
}

/**
 * A page that sends the browser on to `url`, in a folder only this user can read (mkdtemp: 0700;
 * the file 0600). The browser is opened on this file, not on the URL: a command's arguments can
 * be read by every user of the machine (ps, /proc/<pid>/cmdline), and a browser that xdg-open
 * starts keeps its URL there as long as it runs, token and all; any local user can connect to
 * 127.0.0.1. Jupyter's use_redirect_file (notebook 5.7.2) does the same for the same reason.
 */
function writeRedirectFile(url: string): { file: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-review-'));
  const file = path.join(dir, 'open.html');
  const href = url.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  fs.writeFileSync(file, `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${href}"><title>deid review</title></head>\n<body><p><a href="${href}">Open deid review</a></p></body></html>\n`, { mode: 0o600, flag: 'wx' });
  return { file, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * `deid review <folder>`: serves the review page on 127.0.0.1 until Ctrl-C or the idle timeout.
 * The exit code is 0 when it ends either way, 2 for a usage problem.
 */
export async function reviewCommand(folder: string, opts: ReviewOptions, io: Io): Promise<number> {
  const root = path.resolve(folder);
  let st: fs.Stats;
  try {
    st = fs.statSync(root);
  } catch {
    throw new DeidError('usage', `${folder} does not exist`);
  }
  if (!st.isDirectory()) throw new DeidError('usage', `${folder} is not a folder`);
  const policy = await readPolicy(opts.policy);
  const port = parsePort(opts.port);
  const idleMinutes = parseMinutes(opts.idleMinutes);
  if (opts.key !== undefined && isBlank(opts.key)) throw new DeidError('usage', '--key is empty: name your signing key file, or leave --key out for the default one');
  const keyFile = opts.key !== undefined ? path.resolve(opts.key) : defaultKeyPath();
  let key: ReviewerKey | null = null;
  const loadKey = (): ReviewerKey => {
    if (!key) {
      const loaded = loadOrCreateReviewerKey(keyFile);
      key = loaded.key;
      io.out(`${loaded.created ? 'created' : 'using'} your signing key ${loaded.path} (fingerprint ${formatFingerprint(keyFingerprint(key.publicKey))})`);
    }
    return key;
  };
  // A key that is already there is read now: a key others can read, or a file that is not a key,
  // is refused before the reviewer spends an hour on checklists, and its fingerprint is printed
  // for the study's trusted list. A reviewer without one gets it at the first sign-off.
  if (fs.existsSync(keyFile)) loadKey();
  else {
    // Made at the first sign-off: a place it cannot be made is said now, not after an hour of
    // checklists (the sign-off would fail with the reviewer's work unsaved).
    const problem = keyPlaceProblem(keyFile);
    if (problem) throw new DeidError('usage', `cannot make your signing key at ${keyFile}: ${problem}; give --key a place you can write`);
  }
  let done: (why: string) => void = () => undefined;
  const ended = new Promise<string>((resolve) => {
    done = resolve;
  });
  const server = await startReviewServer({ folder: root, policy, port, idleMs: idleMinutes * 60_000, key: loadKey, onStop: (why) => done(why) });
  const onSignal = (): void => void server.close();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const assets = process.env.DEID_REVIEW_ASSETS ?? DEFAULT_ASSETS;
  if (!fs.existsSync(path.join(assets, 'review.js'))) io.err(`deid review: the page is not built (${assets}); run \`npm run build\` first`);
  io.out(`deid review: serving ${root}`);
  io.out(`open ${server.url}`);
  io.out(`(only this machine can connect; Ctrl-C stops it, as does ${idleMinutes} minutes without use)`);
  let redirect: { file: string; remove: () => void } | null = null;
  if (opts.open !== false) {
    try {
      redirect = writeRedirectFile(`${server.url}&via=file`);
      openBrowser(pathToFileURL(redirect.file).href);
    } catch {
      // No private file could be written: the reviewer opens the printed URL by hand.
      io.err('deid review: could not open the browser; open the URL above');
    }
  }
  const why = await ended;
  redirect?.remove();
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  io.out(why === 'idle' ? 'deid review: stopped after the idle timeout' : 'deid review: stopped');
  return 0;
}
