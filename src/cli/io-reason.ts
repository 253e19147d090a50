/** What the file system errors a user meets mean, in words beside Node's code (scripts keep the code). */
const MEANING: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'not permitted',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'a folder, not a file',
  ELOOP: 'too many symbolic links (a loop?)',
  ENAMETOOLONG: 'the name is too long',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
  EDQUOT: 'over the disk quota',
  EEXIST: 'already exists',
  EMFILE: 'too many open files',
  EIO: 'the disk reported an error',
  ERR_INVALID_ARG_VALUE: 'the path holds a NUL byte',
};

/** `ENOENT (no such file or folder)` for a Node error; the message for anything else. */
export function ioReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (typeof code === 'string') return MEANING[code] ? `${code} (${MEANING[code]})` : code;
  return e instanceof Error ? e.message : String(e);
}
