import { DeidHostError, type FileToWrite, type OutputFolder, type SaveTarget } from '../actions/host';
import { isUxpFile, isUxpFolder, uxpStorage, type UxpFile, type UxpFolder } from './uxp-types';

/** Where the remembered output folder's persistent token is kept (plugin-data folder). */
const SETTINGS_FILE = 'settings.json';

interface Settings {
  outputFolderToken?: string;
}

/**
 * The real UXP entries behind the opaque handles actions hold. A WeakMap keeps entries out of
 * the actions layer (which never imports UXP) without a cast.
 */
const folders = new WeakMap<OutputFolder, UxpFolder>();
const saveTargets = new WeakMap<SaveTarget, UxpFile>();

function wrapFolder(entry: UxpFolder): OutputFolder {
  const handle: OutputFolder = { name: entry.name };
  folders.set(handle, entry);
  return handle;
}

export function folderEntry(folder: OutputFolder): UxpFolder {
  const entry = folders.get(folder);
  if (!entry) throw new DeidHostError('folder-unavailable', 'That folder is no longer available. Choose the folder again.');
  return entry;
}

/** Exactly these bytes in a buffer of their own (a view's .buffer can be larger). */
function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return new Uint8Array(bytes).buffer as ArrayBuffer;
}

function randomSuffix(): string {
  return Math.random().toString(36).slice(2, 10);
}

async function readSettings(): Promise<Settings> {
  try {
    const data = await uxpStorage.localFileSystem.getDataFolder();
    const entry = await data.getEntry(SETTINGS_FILE);
    if (!isUxpFile(entry)) return {};
    const text = await entry.read({ format: uxpStorage.formats.utf8 });
    const parsed: unknown = JSON.parse(typeof text === 'string' ? text : new TextDecoder().decode(text));
    return typeof parsed === 'object' && parsed !== null ? (parsed as Settings) : {};
  } catch {
    // No settings yet, or unreadable: behave as on first use.
    return {};
  }
}

async function writeSettings(settings: Settings): Promise<void> {
  const data = await uxpStorage.localFileSystem.getDataFolder();
  const file = await data.createFile(SETTINGS_FILE, { overwrite: true });
  await file.write(JSON.stringify(settings), { format: uxpStorage.formats.utf8 });
}

export async function chooseOutputFolder(): Promise<OutputFolder | null> {
  const picked = await uxpStorage.localFileSystem.getFolder();
  if (!isUxpFolder(picked)) return null;
  try {
    const token = await uxpStorage.localFileSystem.createPersistentToken(picked);
    await writeSettings({ ...(await readSettings()), outputFolderToken: token });
  } catch {
    // Remembering is a convenience: the folder works for this session regardless.
  }
  return wrapFolder(picked);
}

/** The remembered folder, or null when there is none or its token has gone stale. */
export async function rememberedOutputFolder(): Promise<OutputFolder | null> {
  const { outputFolderToken } = await readSettings();
  if (!outputFolderToken) return null;
  try {
    const entry = await uxpStorage.localFileSystem.getEntryForPersistentToken(outputFolderToken);
    if (!isUxpFolder(entry)) return null;
    // FileSystemProvider.md "getEntryForPersistentToken": the entry returned for a token "does
    // not guarantee that the entry is valid for use"; listing it proves it is.
    await entry.getEntries();
    return wrapFolder(entry);
  } catch {
    // Stale token (folder moved or deleted, permission withdrawn): the panel asks again.
    return null;
  }
}

export async function temporaryFolder(): Promise<OutputFolder> {
  return wrapFolder(await uxpStorage.localFileSystem.getTemporaryFolder());
}

async function findFile(folder: UxpFolder, name: string): Promise<UxpFile | null> {
  try {
    const entry = await folder.getEntry(name);
    return isUxpFile(entry) ? entry : null;
  } catch {
    return null;
  }
}

async function removeQuietly(entry: UxpFile | null): Promise<void> {
  if (!entry) return;
  try {
    await entry.delete();
  } catch {
    // Best effort during clean-up; the original failure is what gets reported.
  }
}

/**
 * Every file is written to a hidden temporary name first, then renamed into place, so a
 * reader never sees half a file. If anything fails, every temporary file and every file this
 * call renamed into place (that did not exist before) is removed, and nothing is left that
 * carries the alternate id.
 */
export async function writeFilesAtomically(folder: OutputFolder, files: FileToWrite[]): Promise<void> {
  const dir = folderEntry(folder);
  const temps: Array<{ file: FileToWrite; entry: UxpFile | null; existed: boolean }> = files.map((file) => ({ file, entry: null, existed: false }));
  const placed: UxpFile[] = [];
  try {
    for (const t of temps) {
      t.existed = (await findFile(dir, t.file.name)) !== null;
      t.entry = await dir.createFile(`.${t.file.name}.${randomSuffix()}.tmp`, { overwrite: true });
      await t.entry.write(toArrayBuffer(t.file.bytes), { format: uxpStorage.formats.binary });
    }
    for (const t of temps) {
      await (t.entry as UxpFile).moveTo(dir, { newName: t.file.name, overwrite: true });
      if (!t.existed) placed.push((await findFile(dir, t.file.name)) as UxpFile);
      t.entry = null;
    }
  } catch (e) {
    for (const t of temps) await removeQuietly(t.entry);
    for (const p of placed) await removeQuietly(p);
    const why = e instanceof Error ? e.message : String(e);
    throw new DeidHostError('write-failed', `Could not write to "${folder.name}" (${why}). Nothing was saved; check the folder and try again.`, why);
  }
}

export async function readFile(folder: OutputFolder, name: string): Promise<Uint8Array | null> {
  const file = await findFile(folderEntry(folder), name);
  if (!file) return null;
  const data = await file.read({ format: uxpStorage.formats.binary });
  return typeof data === 'string' ? new TextEncoder().encode(data) : new Uint8Array(data);
}

export async function removeFile(folder: OutputFolder, name: string): Promise<void> {
  await removeQuietly(await findFile(folderEntry(folder), name));
}

export async function listFiles(folder: OutputFolder): Promise<string[]> {
  const entries = await folderEntry(folder).getEntries();
  return entries.filter((e) => e.isFile).map((e) => e.name);
}

export async function chooseFileToSave(suggestedName: string): Promise<SaveTarget | null> {
  const file = await uxpStorage.localFileSystem.getFileForSaving(suggestedName, { types: ['json'] });
  if (!isUxpFile(file)) return null;
  const target: SaveTarget = { name: file.name };
  saveTargets.set(target, file);
  return target;
}

export async function writeSaveTarget(target: SaveTarget, bytes: Uint8Array): Promise<void> {
  const file = saveTargets.get(target);
  if (!file) throw new DeidHostError('write-failed', 'Choose where to save the file again.');
  try {
    await file.write(toArrayBuffer(bytes), { format: uxpStorage.formats.binary });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new DeidHostError('write-failed', `Could not save ${target.name} (${why}).`, why);
  }
}

function parentPath(nativePath: string): string {
  const normal = nativePath.replace(/\\/g, '/').replace(/\/+$/, '');
  return normal.slice(0, normal.lastIndexOf('/'));
}

function samePath(a: string, b: string): boolean {
  const norm = (p: string) => p.replace(/\\/g, '/').replace(/\/+$/, '').toLowerCase();
  return norm(a) === norm(b);
}

export function isInFolder(target: SaveTarget, folder: OutputFolder): boolean {
  const file = saveTargets.get(target);
  const dir = folders.get(folder);
  return !!file && !!dir && samePath(parentPath(file.nativePath), dir.nativePath);
}

/** A fresh file in the plugin's temporary folder (exports are saved there, then read back). */
export async function createTemporaryFile(extension: string): Promise<UxpFile> {
  const temp = await uxpStorage.localFileSystem.getTemporaryFolder();
  return temp.createFile(`deid-export-${randomSuffix()}.${extension}`, { overwrite: true });
}

export async function readAndRemove(file: UxpFile): Promise<Uint8Array> {
  try {
    const data = await file.read({ format: uxpStorage.formats.binary });
    return typeof data === 'string' ? new TextEncoder().encode(data) : new Uint8Array(data);
  } finally {
    await removeQuietly(file);
  }
}

export { findFile };
