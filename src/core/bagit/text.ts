/**
 * Tag-file text (RFC 8493 §2.1.1, §2.2.2). bagit.txt itself is always UTF-8 without a byte-order
 * mark; every other tag file uses the encoding bagit.txt declares. v0.97 bags in the wild use
 * UTF-16 (with a BOM) and ISO-8859-1, and the Library of Congress suite holds both as valid.
 */
export function decodeTagText(bytes: Uint8Array, encoding: string): string {
  const label = encoding.trim().toLowerCase();
  if (label === 'utf-16' || label === 'utf16') {
    // UTF-16 without an explicit byte order: the BOM decides (big-endian if there is none,
    // as RFC 2781 §4.3 says).
    if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le', { fatal: true }).decode(bytes.subarray(2));
    const body = bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff ? bytes.subarray(2) : bytes;
    return decodeUtf16be(body);
  }
  if (label === 'utf-16be') return decodeUtf16be(bytes);
  const text = new TextDecoder(label, { fatal: true }).decode(bytes);
  // A UTF-8 BOM in a tag file other than bagit.txt is tolerated (TextDecoder strips it).
  return text;
}

function decodeUtf16be(bytes: Uint8Array): string {
  if (bytes.length % 2 !== 0) throw new Error('odd number of bytes in UTF-16 text');
  const swapped = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += 2) {
    swapped[i] = bytes[i + 1];
    swapped[i + 1] = bytes[i];
  }
  return new TextDecoder('utf-16le', { fatal: true }).decode(swapped);
}

/** Splits tag-file text into lines: RFC 8493 §2.1 allows LF, CR or CRLF line endings. */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
