/** Why a file under a directory argument was not checked (every file is accounted for). */
export type SkipKind = 'unsupported' | 'sidecar' | 'symlink' | 'hidden' | 'not-regular' | 'temporary';

/** A sidecar is accounted for by its image; every other skip means a file went unchecked. */
export function skipCountsAsUnchecked(kind: SkipKind): boolean {
  return kind !== 'sidecar';
}

const SIDECAR_SUFFIX = '.deid.json';

function startsWith(head: Uint8Array, text: string, at = 0): boolean {
  if (head.length < at + text.length) return false;
  for (let i = 0; i < text.length; i++) if (head[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

/**
 * Names a file the image walk did not recognise, by its content (magic numbers), never by its
 * name alone: a JPEG called x.deid.json never gets here, and a text file called photo.jpg is
 * "not an image" whatever it is called. The name only tells our sidecar from other JSON.
 */
export function describeUnrecognised(name: string, head: Uint8Array): { kind: SkipKind; reason: string } {
  const unsupported = (what: string) => ({ kind: 'unsupported' as const, reason: `unsupported format (${what})` });
  if (startsWith(head, '8BPS')) return unsupported(head[5] === 2 ? 'Photoshop PSB' : 'Photoshop PSD');
  if (startsWith(head, 'GIF87a') || startsWith(head, 'GIF89a')) return unsupported('GIF');
  if (startsWith(head, 'BM') && head.length >= 14) return unsupported('BMP');
  if (startsWith(head, '%PDF-')) return unsupported('PDF');
  if (startsWith(head, '\u0000\u0000\u0000\u000cjP  ') || startsWith(head, '\u00ff\u004f\u00ff\u0051')) return unsupported('JPEG 2000');
  if (startsWith(head, 'ftyp', 4)) return unsupported('an ISO media file that is not HEIF/AVIF, e.g. video or CR3 raw');
  if (startsWith(head, 'RIFF')) return unsupported('a RIFF file that is not WebP');
  if (startsWith(head, '\u0089PNG') || startsWith(head, '\u00ff\u00d8')) return unsupported('a damaged PNG/JPEG signature');
  if (name.endsWith(SIDECAR_SUFFIX)) {
    // A UTF-8 byte-order mark (a sidecar saved from Notepad) may come first.
    let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
    while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09)) i++;
    if (head[i] === 0x7b) return { kind: 'sidecar', reason: 'deid sidecar (checked with its image)' };
  }
  if (head.length === 0) return unsupported('empty file');
  return unsupported('not an image deid reads');
}

/** Our temporary files: `.<name>.deid-tmp-<host>-<pid>-<random>` (atomic.ts). */
export const TEMP_PATTERN = /^\..*\.deid-tmp-([0-9a-f]{8})-(\d+)-[0-9a-f]{12}$/;
