import { sha256, sha512 } from '@noble/hashes/sha2';
import { bytesToHex } from '@noble/hashes/utils';
import { formatManifest } from './manifest';
import { formatTagFile } from './tag-file';

export interface PayloadEntry {
  /** Bag-relative path under data/. */
  path: string;
  size: number;
  sha256: string;
  sha512: string;
}

export interface BuiltTagFiles {
  /** Tag files in the order they are written; the tag manifests come last and cover the rest. */
  files: Array<{ name: string; bytes: Uint8Array }>;
  /** The bag's identity: SHA-256 of tagmanifest-sha256.txt (see bagIdentity). */
  identity: string;
}

/** Payload-Oxum (RFC 8493 §2.2.2): total octets, a full stop, the number of payload files. */
export function payloadOxum(payload: readonly PayloadEntry[]): string {
  return `${payload.reduce((s, p) => s + p.size, 0)}.${payload.length}`;
}

/** Bag-Size (RFC 8493 §2.2.2): a human-readable size, "rounded to a convenient unit". */
export function bagSize(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${bytes} bytes` : `${v.toFixed(1)} ${units[u]}`;
}

/**
 * The tag files of a BagIt 1.0 bag (RFC 8493 §2.1.1 declaration, §2.1.3 payload manifests,
 * §2.2.1 tag manifests, §2.2.2 bag-info) with SHA-256 and SHA-512 manifests: SHA-512 is the
 * RFC's recommended algorithm (§2.4), SHA-256 what our sidecars already bind each image by.
 */
export function buildTagFiles(payload: readonly PayloadEntry[], info: ReadonlyArray<{ label: string; value: string }>): BuiltTagFiles {
  const enc = new TextEncoder();
  const files: BuiltTagFiles['files'] = [
    { name: 'bagit.txt', bytes: enc.encode('BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n') },
    { name: 'bag-info.txt', bytes: enc.encode(formatTagFile(info)) },
    { name: 'manifest-sha256.txt', bytes: enc.encode(formatManifest(payload.map((p) => ({ path: p.path, checksum: p.sha256 })))) },
    { name: 'manifest-sha512.txt', bytes: enc.encode(formatManifest(payload.map((p) => ({ path: p.path, checksum: p.sha512 })))) },
  ];
  const tag256 = enc.encode(formatManifest(files.map((f) => ({ path: f.name, checksum: bytesToHex(sha256(f.bytes)) }))));
  const tag512 = enc.encode(formatManifest(files.map((f) => ({ path: f.name, checksum: bytesToHex(sha512(f.bytes)) }))));
  files.push({ name: 'tagmanifest-sha256.txt', bytes: tag256 }, { name: 'tagmanifest-sha512.txt', bytes: tag512 });
  return { files, identity: bytesToHex(sha256(tag256)) };
}

/**
 * A bag's identity for receipts and the transfer log: the SHA-256 of its tagmanifest-sha256.txt,
 * which fixes bag-info.txt and every payload checksum, so a different bag cannot share it. A bag
 * made elsewhere without that file is identified by the SHA-256 of its first tag or payload
 * manifest instead; `basis` says which.
 */
export function bagIdentity(manifests: ReadonlyArray<{ name: string; bytes: Uint8Array }>): { identity: string; basis: string } | null {
  const order = (n: string) => (n === 'tagmanifest-sha256.txt' ? 0 : n.startsWith('tagmanifest-') ? 1 : 2);
  const sorted = [...manifests].sort((a, b) => order(a.name) - order(b.name) || (a.name < b.name ? -1 : 1));
  const first = sorted[0];
  return first ? { identity: bytesToHex(sha256(first.bytes)), basis: first.name } : null;
}
