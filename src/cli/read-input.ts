import { constants as bufferConstants } from 'node:buffer';
import * as fs from 'node:fs';

const MAX_LENGTH = bufferConstants.MAX_LENGTH;

/**
 * Largest input file read, in bytes. A 100 MP camera file is well under 300 MB and an
 * uncompressed 16-bit 100 MP TIFF is 600 MB; a file past this is refused with a clear reason
 * instead of being held in memory (one per worker). DEID_MAX_FILE_MB overrides it.
 */
export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024 * 1024;

let maxBytes: number | undefined;

/** Read once per thread: a lookup in process.env goes through the C++ environment each time (a per-file cost in batches). */
export function maxFileBytes(): number {
  if (maxBytes === undefined) {
    const env = Number(process.env.DEID_MAX_FILE_MB);
    maxBytes = Number.isFinite(env) && env > 0 ? Math.floor(env * 1024 * 1024) : DEFAULT_MAX_FILE_BYTES;
  }
  return maxBytes;
}

/** What a non-regular file is, in words (a refusal names it). */
export function fileTypeName(stat: fs.Stats | fs.Dirent): string | null {
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  if (stat.isDirectory()) return 'a directory';
  if (stat.isSymbolicLink()) return 'a symbolic link';
  return null;
}

export class InputRefused extends Error {}

/** Files up to this size are read into a kept buffer; a larger one gets a buffer of its own. */
export const SCRATCH_MAX = 32 * 1024 * 1024;

/**
 * A read buffer kept from one file to the next. A fresh allocation per file costs a page fault
 * per 4 KB on first touch and a collection later; reading into memory already mapped saves
 * about 30 ms per 400 camera JPEGs (npm run bench). A view it gives is valid only until the next
 * read through it, so a scratch belongs to one task at a time (withReadScratch).
 */
export class ReadScratch {
  private kept: Buffer | null = null;

  /** `size` bytes to read into: the kept buffer's start, or a fresh buffer past SCRATCH_MAX. */
  take(size: number): Buffer {
    if (size > SCRATCH_MAX) return Buffer.allocUnsafe(size);
    if (this.kept === null || this.kept.length < size) {
      // allocUnsafeSlow: never a slice of Node's shared small-buffer pool.
      this.kept = Buffer.allocUnsafeSlow(Math.min(SCRATCH_MAX, Math.max(size, 2 * (this.kept?.length ?? 512 * 1024))));
    }
    return this.kept.subarray(0, size);
  }
}

const idleScratches: ReadScratch[] = [];

/**
 * Runs `task` with a scratch no other task holds until it settles; tasks in flight at once (two
 * lanes per thread, pool.ts) each get their own. What `task` returns must not hold a view of
 * bytes read through it: results carry findings and paths, and strip stages its output inside
 * the task.
 */
export async function withReadScratch<T>(task: (scratch: ReadScratch) => Promise<T>): Promise<T> {
  const scratch = idleScratches.pop() ?? new ReadScratch();
  try {
    return await task(scratch);
  } finally {
    idleScratches.push(scratch);
  }
}

/** One read call reads at most this much: fs.readSync takes no length of 2 GiB or more. */
export const READ_CHUNK = 1024 * 1024 * 1024;

/**
 * Reads a whole input file, bounded and without ever blocking: opened O_NONBLOCK (a FIFO swapped
 * in after the directory walk then cannot stall the open), checked with fstat on the open
 * descriptor (what is read is what was checked), refused unless it is a regular file within the
 * size limit, and read for at most its size plus one byte (a file that grows while read is
 * refused, not followed). Synchronous: each worker handles one file at a time (see atomic.ts).
 * With a scratch the bytes land in its kept buffer, valid until its next read.
 */
export function readInputFile(file: string, limit = maxFileBytes(), chunk = READ_CHUNK, scratch?: ReadScratch): Uint8Array {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const stat = fs.fstatSync(fd);
    const kind = fileTypeName(stat);
    if (kind) throw new InputRefused(`refused: ${kind}, not a regular file`);
    if (stat.size > limit) {
      throw new InputRefused(`refused: ${stat.size} bytes is over the ${Number((limit / 1048576).toFixed(limit < 1048576 ? 2 : 0))} MB limit per file (DEID_MAX_FILE_MB)`);
    }
    if (stat.size + 1 > MAX_LENGTH) {
      throw new InputRefused(`refused: ${stat.size} bytes is more than this Node.js can hold as one buffer (${MAX_LENGTH} bytes)`);
    }
    const buf = scratch ? scratch.take(stat.size + 1) : Buffer.allocUnsafe(stat.size + 1);
    let got = 0;
    while (got < buf.length) {
      const n = fs.readSync(fd, buf, got, Math.min(buf.length - got, chunk), got);
      if (n === 0) break;
      got += n;
    }
    if (got > stat.size) throw new InputRefused('refused: the file grew while it was read');
    return new Uint8Array(buf.buffer, buf.byteOffset, got);
  } finally {
    fs.closeSync(fd);
  }
}

/** The first bytes of a file, to name what it is (PSD, GIF, our sidecar) when it is skipped. */
export function readHead(file: string, n = 64): Uint8Array {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    if (fileTypeName(fs.fstatSync(fd))) return new Uint8Array(0);
    const buf = Buffer.alloc(n);
    const got = fs.readSync(fd, buf, 0, n, 0);
    return new Uint8Array(buf.buffer, buf.byteOffset, got);
  } finally {
    fs.closeSync(fd);
  }
}
