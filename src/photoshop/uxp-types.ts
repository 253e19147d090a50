import { storage as untypedStorage } from 'uxp';

/**
 * The parts of UXP's file system the adapter uses, from Adobe's UXP reference
 * (storage.localFileSystem, Entry, File, Folder). The type packages do not declare
 * `localFileSystem` (research/photoshop-uxp.md "Types"), so `storage` is cast to this ONCE,
 * here. Methods are called on their objects, never destructured: they lose `this`.
 */
export interface UxpEntry {
  readonly name: string;
  readonly nativePath: string;
  readonly isFile: boolean;
  readonly isFolder: boolean;
  delete(): Promise<unknown>;
  moveTo(folder: UxpFolder, options: { newName?: string; overwrite?: boolean }): Promise<unknown>;
}

export interface UxpFile extends UxpEntry {
  read(options: { format: symbol }): Promise<ArrayBuffer | string>;
  write(data: ArrayBuffer | string, options: { format: symbol }): Promise<unknown>;
}

export interface UxpFolder extends UxpEntry {
  getEntries(): Promise<UxpEntry[]>;
  /** Rejects when there is no such entry. */
  getEntry(name: string): Promise<UxpEntry>;
  createFile(name: string, options: { overwrite?: boolean }): Promise<UxpFile>;
}

export interface LocalFileSystem {
  /** Resolves null (or an empty value) when the user cancels. */
  getFolder(options?: object): Promise<UxpFolder | null>;
  getFileForSaving(suggestedName: string, options: { types: string[] }): Promise<UxpFile | null>;
  getTemporaryFolder(): Promise<UxpFolder>;
  getDataFolder(): Promise<UxpFolder>;
  createPersistentToken(entry: UxpEntry): Promise<string>;
  /** Rejects when the token is stale (entry moved, permission gone). */
  getEntryForPersistentToken(token: string): Promise<UxpEntry>;
  createSessionToken(entry: UxpEntry): string;
}

/**
 * storage.secureStorage (UXP reference "SecureStorage"): values are encrypted per plugin under
 * the user's account; getItem resolves the bytes stored. What it does for a key never stored is
 * not documented, so callers treat a rejection and an empty result alike as "nothing stored".
 */
export interface SecureStorage {
  getItem(key: string): Promise<Uint8Array | undefined>;
  setItem(key: string, value: string | Uint8Array): Promise<void>;
}

export interface UxpStorage {
  localFileSystem: LocalFileSystem;
  formats: { binary: symbol; utf8: symbol };
  secureStorage: SecureStorage;
}

export const uxpStorage = untypedStorage as UxpStorage;

export function isUxpFolder(e: UxpEntry | null | undefined): e is UxpFolder {
  return !!e && e.isFolder;
}

export function isUxpFile(e: UxpEntry | null | undefined): e is UxpFile {
  return !!e && e.isFile;
}
