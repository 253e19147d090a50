import { splitLines } from './text';

export interface BagDeclaration {
  version: string;
  major: number;
  minor: number;
  encoding: string;
}

/**
 * bagit.txt (RFC 8493 §2.1.1): exactly two lines, `BagIt-Version: M.N` and
 * `Tag-File-Character-Encoding: ENCODING`, UTF-8, no byte-order mark, a single space after each
 * colon and no whitespace before it. Returns the reason it is not, as a string, when it is not.
 */
export function parseDeclaration(bytes: Uint8Array): BagDeclaration | string {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return 'bagit.txt starts with a byte-order mark, which RFC 8493 §2.1.1 forbids';
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return 'bagit.txt is not UTF-8 (RFC 8493 §2.1.1)';
  }
  const lines = splitLines(text);
  if (lines.length !== 2) return `bagit.txt must hold exactly two lines, not ${lines.length} (RFC 8493 §2.1.1)`;
  const version = /^BagIt-Version: ([0-9]+)\.([0-9]+)$/.exec(lines[0]);
  if (!version) return 'the first line of bagit.txt is not "BagIt-Version: M.N" (RFC 8493 §2.1.1)';
  const encoding = /^Tag-File-Character-Encoding: (\S+)$/.exec(lines[1]);
  if (!encoding) return 'the second line of bagit.txt is not "Tag-File-Character-Encoding: ENCODING" (RFC 8493 §2.1.1)';
  return { version: `${version[1]}.${version[2]}`, major: Number(version[1]), minor: Number(version[2]), encoding: encoding[1] };
}

/** Bags written before RFC 8493 (BagIt 0.9x drafts) are read with that draft's looser rules. */
export function isRfcVersion(decl: BagDeclaration): boolean {
  return decl.major >= 1;
}
