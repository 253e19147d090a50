import { createReadStream } from 'node:fs';
import { DeidError } from '../core/errors';
import { ioReason } from './io-reason';

/** A path longer than this is not a path (Linux PATH_MAX is 4096 bytes): the list is garbage. */
const MAX_LINE_BYTES = 64 * 1024;

/**
 * Reads `--files-from <file|->` lazily, one path per line (or per NUL with `-0`, as `find -print0`
 * and `parallel -0` write them), so a list of millions of paths is never held in memory at once.
 * A named pipe or `<(find ...)` works: the list is read as a stream, never statted or sized.
 * Empty entries are ignored; a trailing CR is dropped from lines written on Windows.
 */
export async function* readFileList(source: string, nul: boolean): AsyncGenerator<string> {
  const stream = source === '-' ? process.stdin : createReadStream(source);
  const sep = nul ? 0 : 0x0a;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const entry = (buf: Buffer): string | null => {
    if (!nul && buf.includes(0)) {
      throw new DeidError('usage', `--files-from ${source}: an entry holds a NUL byte; a NUL-separated list (find -print0, parallel -0) needs -0`);
    }
    let text = buf.toString('utf8');
    if (!nul && text.endsWith('\r')) text = text.slice(0, -1);
    return text.length > 0 ? text : null;
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      for (let i = chunk.indexOf(sep); i !== -1; i = chunk.indexOf(sep, start)) {
        const piece = chunk.subarray(start, i);
        const whole = pending.length > 0 ? Buffer.concat([...pending, piece]) : piece;
        pending = [];
        pendingBytes = 0;
        start = i + 1;
        const e = entry(whole);
        if (e !== null) yield e;
      }
      if (start < chunk.length) {
        pending.push(chunk.subarray(start));
        pendingBytes += chunk.length - start;
        if (pendingBytes > MAX_LINE_BYTES) {
          throw new DeidError('usage', `--files-from ${source}: an entry longer than ${MAX_LINE_BYTES} bytes${nul ? '' : ' (a NUL-separated list needs -0)'}`);
        }
      }
    }
  } catch (e) {
    if (e instanceof DeidError) throw e;
    throw new DeidError('usage', `cannot read --files-from ${source}: ${ioReason(e)}`);
  }
  if (pending.length > 0) {
    const e = entry(Buffer.concat(pending));
    if (e !== null) yield e;
  }
}
