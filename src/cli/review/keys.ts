import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DeidError } from '../../core/errors';
import { generateReviewerKey, parseReviewerKey, serializeReviewerKey, type ReviewerKey } from '../../core/signature/keys';
import { parseTrustedReviewers } from '../../core/signature/sidecar-signature';
import { isBlank } from '../output-paths';

/** The per-user configuration directory each platform documents for application settings. */
function configDir(): string {
  if (process.platform === 'win32' && process.env.APPDATA) return process.env.APPDATA;
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support');
  // XDG Base Directory Specification: $XDG_CONFIG_HOME, default ~/.config.
  return process.env.XDG_CONFIG_HOME && path.isAbsolute(process.env.XDG_CONFIG_HOME) ? process.env.XDG_CONFIG_HOME : path.join(os.homedir(), '.config');
}

export function defaultKeyPath(): string {
  return path.join(configDir(), 'deid-photo', 'reviewer-key.json');
}

export interface LoadedKey {
  key: ReviewerKey;
  path: string;
  created: boolean;
}

/**
 * The reviewer's key pair: read from `file` (default: the user's config directory), or created
 * there on first use with mode 0600 (exclusive create, so two processes cannot both write one).
 * A key file that others can read is refused, as ssh refuses such a private key: the signature
 * is only worth what the secrecy of this file is worth.
 */
export function loadOrCreateReviewerKey(file = defaultKeyPath()): LoadedKey {
  let text: string | null = null;
  try {
    const st = fs.statSync(file);
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      throw new DeidError('usage', `the reviewer key ${file} can be read by other users (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`);
    }
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      if (e instanceof DeidError) throw e;
      throw new DeidError('usage', `cannot read the reviewer key ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }
  if (text !== null) return { key: parseReviewerKey(text), path: file, created: false };
  const key = generateReviewerKey();
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    fs.writeFileSync(file, serializeReviewerKey(key), { flag: 'wx', mode: 0o600 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateReviewerKey(file);
    throw new DeidError('usage', `cannot create the reviewer key ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return { key, path: file, created: true };
}

/** `--trusted-reviewers <file>`: the fingerprints, as an array (verify tasks cross to worker threads). */
export async function readTrustedReviewers(file: string): Promise<string[]> {
  if (isBlank(file)) throw new DeidError('usage', '--trusted-reviewers is empty: name the file of trusted key fingerprints');
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (e) {
    throw new DeidError('usage', `cannot read the trusted reviewers list ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return [...parseTrustedReviewers(text)];
}
