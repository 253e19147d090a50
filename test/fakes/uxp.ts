/**
 * A faithful fake of UXP's `storage` (localFileSystem, entries, formats) over a REAL temporary
 * directory, for the Photoshop adapter's tests. Test controls live in `fakeUxp`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LocalFileSystem, SecureStorage, UxpEntry, UxpFile, UxpFolder, UxpStorage } from '../../src/photoshop/uxp-types';
import { strict } from './strict';

const formats = { binary: Symbol('binary'), utf8: Symbol('utf8') };

interface Controls {
  root: string;
  pickedFolder: string | null;
  saveFile: string | null;
  failWriteWhen: ((name: string) => boolean) | null;
  tokens: Map<string, string>;
  writes: number;
}

const controls: Controls = { root: '', pickedFolder: null, saveFile: null, failWriteWhen: null, tokens: new Map(), writes: 0 };

// The fake lives as long as one test file: leave no temporary folder behind.
afterAll(() => {
  if (controls.root) fs.rmSync(controls.root, { recursive: true, force: true });
  controls.root = '';
});

function root(): string {
  if (!controls.root) controls.root = fs.mkdtempSync(path.join(os.tmpdir(), 'deid-fake-uxp-'));
  return controls.root;
}

function sub(name: string): string {
  const dir = path.join(root(), name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function notFound(p: string): Error {
  return new Error(`Could not find an entry of '${p}'`);
}

class FakeEntry implements UxpEntry {
  constructor(readonly nativePath: string) {}
  get name(): string {
    return path.basename(this.nativePath);
  }
  get isFile(): boolean {
    return fs.existsSync(this.nativePath) && fs.statSync(this.nativePath).isFile();
  }
  get isFolder(): boolean {
    return fs.existsSync(this.nativePath) && fs.statSync(this.nativePath).isDirectory();
  }
  /** Entry.md "delete": "If the entry is a folder, it must be empty before deletion"; resolves 0. */
  async delete(): Promise<unknown> {
    if (!fs.existsSync(this.nativePath)) throw notFound(this.nativePath);
    if (fs.statSync(this.nativePath).isDirectory() && fs.readdirSync(this.nativePath).length > 0) throw new Error(`Folder is not empty: ${this.nativePath}`);
    fs.rmSync(this.nativePath, { recursive: true });
    return 0;
  }
  async moveTo(folder: UxpFolder, options: { newName?: string; overwrite?: boolean }): Promise<unknown> {
    const target = path.join(folder.nativePath, options.newName ?? this.name);
    if (fs.existsSync(target) && !options.overwrite) throw new Error(`File already exists: ${target}`);
    fs.renameSync(this.nativePath, target);
    return undefined;
  }
}

class FakeFile extends FakeEntry implements UxpFile {
  override get isFile(): boolean {
    return true;
  }
  override get isFolder(): boolean {
    return false;
  }
  /** File.md "read": options.format "Default formats.utf8" (so no format gives a string). */
  async read(options: { format?: symbol } = {}): Promise<ArrayBuffer | string> {
    if (!fs.existsSync(this.nativePath)) throw notFound(this.nativePath);
    const buf = fs.readFileSync(this.nativePath);
    if ((options.format ?? formats.utf8) === formats.utf8) return buf.toString('utf8');
    return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  }
  async write(data: ArrayBuffer | string, options: { format: symbol }): Promise<unknown> {
    controls.writes++;
    if (controls.failWriteWhen?.(this.name)) throw new Error(`Disk full writing ${this.name}`);
    if (typeof data === 'string') {
      if (options.format !== formats.utf8) throw new Error('fake uxp: a string needs formats.utf8');
      fs.writeFileSync(this.nativePath, data, 'utf8');
    } else {
      if (!(data instanceof ArrayBuffer)) throw new Error('fake uxp: binary data must be an ArrayBuffer');
      fs.writeFileSync(this.nativePath, new Uint8Array(data));
    }
    return undefined;
  }
}

class FakeFolder extends FakeEntry implements UxpFolder {
  override get isFile(): boolean {
    return false;
  }
  override get isFolder(): boolean {
    return true;
  }
  async getEntries(): Promise<UxpEntry[]> {
    if (!fs.existsSync(this.nativePath)) throw notFound(this.nativePath);
    return fs.readdirSync(this.nativePath).map((n) => entryAt(path.join(this.nativePath, n)));
  }
  async getEntry(name: string): Promise<UxpEntry> {
    const p = path.join(this.nativePath, name);
    if (!fs.existsSync(p)) throw notFound(p);
    return entryAt(p);
  }
  /**
   * Folder.md "createFile": "this method just create a file entry object and not the actual
   * file on the disk. The file actually gets created when you call for eg: write method";
   * overwrite "Default false". So nothing is on disk until a write (or Photoshop's saveAs).
   */
  async createFile(name: string, options: { overwrite?: boolean } = {}): Promise<UxpFile> {
    const p = path.join(this.nativePath, name);
    if (fs.existsSync(p) && !options.overwrite) throw new Error(`File already exists: ${p}`);
    return strict(new FakeFile(p), 'File', 'uxp');
  }
}

function entryAt(p: string): UxpEntry {
  return fs.statSync(p).isDirectory() ? strict(new FakeFolder(p), 'Folder', 'uxp') : strict(new FakeFile(p), 'File', 'uxp');
}

const localFileSystem = {
  async getFolder(): Promise<UxpFolder | null> {
    return controls.pickedFolder ? strict(new FakeFolder(controls.pickedFolder), 'Folder', 'uxp') : null;
  },
  /**
   * FileSystemProvider.md "getFileForSaving": types are "Allowed file extensions, with no "."
   * prefix"; "returns the selected file, or `null` if no file were selected".
   */
  async getFileForSaving(suggestedName: string, options: { types?: string[] } = {}): Promise<UxpFile | null> {
    if (options.types?.some((t) => t.startsWith('.'))) throw new Error('getFileForSaving: types are extensions with no "." prefix');
    if (!controls.saveFile) return null;
    const p = fs.statSync(controls.saveFile, { throwIfNoEntry: false })?.isDirectory() ? path.join(controls.saveFile, suggestedName) : controls.saveFile;
    return strict(new FakeFile(p), 'File', 'uxp');
  },
  async getTemporaryFolder(): Promise<UxpFolder> {
    return strict(new FakeFolder(sub('plugin-temp')), 'Folder', 'uxp');
  },
  async getDataFolder(): Promise<UxpFolder> {
    return strict(new FakeFolder(sub('plugin-data')), 'Folder', 'uxp');
  },
  async createPersistentToken(entry: UxpEntry): Promise<string> {
    const token = `persistent-${controls.tokens.size + 1}`;
    controls.tokens.set(token, entry.nativePath);
    return token;
  },
  /**
   * AdobeDocs/uxp reference-js/Modules/uxp/Persistent File Storage/FileSystemProvider.md
   * "getEntryForPersistentToken": an unknown token throws ("Reference Error: token is not
   * defined"); for a known one, "retrieving an entry ... does not guarantee that the entry is
   * valid for use": an entry whose folder is gone is still returned, and fails when used.
   */
  async getEntryForPersistentToken(token: string): Promise<UxpEntry> {
    const p = controls.tokens.get(token);
    if (!p) throw new Error('Reference Error: token is not defined');
    if (!fs.existsSync(p)) return strict(new FakeFolder(p), 'Folder', 'uxp');
    return entryAt(p);
  },
  createSessionToken(entry: UxpEntry): string {
    return `session:${entry.nativePath}`;
  },
} satisfies LocalFileSystem;

/**
 * AdobeDocs/uxp src/pages/uxp-api/reference-js/Modules/uxp/Key-Value Storage/SecureStorage.md:
 * setItem takes a string, ArrayBuffer or TypedArray (TypeError otherwise) and rejects an empty
 * value; getItem resolves a Uint8Array. Where the page is silent, the least convenient plausible
 * choice: a key never set resolves undefined, a string comes back as its UTF-8 bytes, and the
 * Uint8Array returned is a view in the middle of a larger buffer (code reading `.buffer` breaks).
 * In memory for one test file.
 */
const secureItems = new Map<string, Uint8Array>();
const secureStorage = {
  setItem(key: string, value: string | Uint8Array): Promise<void> {
    if (typeof key !== 'string') throw new TypeError('secureStorage.setItem: key must be a string');
    let bytes: Uint8Array;
    if (typeof value === 'string') bytes = new TextEncoder().encode(value);
    else if (ArrayBuffer.isView(value)) bytes = new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
    else if ((value as unknown) instanceof ArrayBuffer) bytes = new Uint8Array((value as ArrayBuffer).slice(0));
    else throw new TypeError('secureStorage.setItem: value must be a string, ArrayBuffer or TypedArray');
    if (bytes.length === 0) return Promise.reject(new Error('secureStorage.setItem: the value is empty'));
    secureItems.set(key, bytes);
    return Promise.resolve();
  },
  getItem(key: string): Promise<Uint8Array | undefined> {
    if (typeof key !== 'string') throw new TypeError('secureStorage.getItem: key must be a string');
    const bytes = secureItems.get(key);
    if (!bytes) return Promise.resolve(undefined);
    const padded = new Uint8Array(bytes.length + 16).fill(0xa5);
    padded.set(bytes, 8);
    return Promise.resolve(padded.subarray(8, 8 + bytes.length));
  },
} satisfies SecureStorage;

export const storage: UxpStorage = strict({ localFileSystem: strict(localFileSystem, 'storage.localFileSystem', 'uxp'), formats, secureStorage: strict(secureStorage, 'storage.secureStorage', 'uxp') }, 'storage', 'uxp');

/** Test controls (not part of UXP). */
export const fakeUxp = {
  formats,
  /** A fresh root directory and default settings. */
  reset(): void {
    if (controls.root) fs.rmSync(controls.root, { recursive: true, force: true });
    Object.assign(controls, { root: '', pickedFolder: null, saveFile: null, failWriteWhen: null, writes: 0 });
    controls.tokens = new Map();
    secureItems.clear();
  },
  root,
  /** A real directory under the fake's root (e.g. the user's export folder). */
  folder(name: string): string {
    return sub(name);
  },
  tempDir: (): string => sub('plugin-temp'),
  /** What secure storage holds under `key`, as text (null: nothing). */
  secureItem: (key: string): string | null => {
    const v = secureItems.get(key);
    return v ? new TextDecoder().decode(v) : null;
  },
  /** What the next folder picker returns (null: the user cancels). */
  pickFolder(p: string | null): void {
    controls.pickedFolder = p;
  },
  /** What the next save dialog returns: a file path, a folder (suggested name kept), or null. */
  pickSaveFile(p: string | null): void {
    controls.saveFile = p;
  },
  failWrites(when: ((name: string) => boolean) | null): void {
    controls.failWriteWhen = when;
  },
  /** Every persistent token handed out so far stops working. */
  makeTokensStale(): void {
    controls.tokens.clear();
  },
  /** A UXP file entry for a real path (to hand to app.open in tests). */
  fileEntry(p: string): UxpFile {
    return strict(new FakeFile(p), 'File', 'uxp');
  },
};
