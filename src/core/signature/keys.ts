import { ed25519 } from '@noble/curves/ed25519';
import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils';
import { DeidError } from '../errors';

/**
 * A reviewer's Ed25519 key pair (RFC 8032). @noble/curves is pure JS, so the same code signs in
 * Node (the CLI and the review page's server) and in the Photoshop panel (UXP has no Node crypto).
 */
export interface ReviewerKey {
  /** 32-byte seed (RFC 8032 section 5.1.5 "private key"). */
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

/** What a key file or the panel's secure storage holds (JSON, hex strings). */
interface StoredKey {
  kind: typeof KEY_KIND;
  alg: 'Ed25519';
  secretKey: string;
  publicKey: string;
}

const KEY_KIND = 'deid-photo reviewer key';
const HEX64 = /^[0-9a-f]{64}$/;

/** A new key pair; `random` (32 bytes) is for hosts without crypto.getRandomValues and for tests. */
export function generateReviewerKey(random?: Uint8Array): ReviewerKey {
  const secretKey = random ? Uint8Array.from(random) : ed25519.utils.randomPrivateKey();
  if (secretKey.length !== 32) throw new DeidError('usage', 'an Ed25519 secret key is 32 bytes');
  return { secretKey, publicKey: ed25519.getPublicKey(secretKey) };
}

/** The fingerprint studies list in a trusted-reviewers file: SHA-256 of the raw public key, hex. */
export function keyFingerprint(publicKey: Uint8Array): string {
  return bytesToHex(sha256(publicKey));
}

/** Groups of four for people to read aloud and compare ("3f2a 91c0 ..."); hex stays the identity. */
export function formatFingerprint(fingerprint: string): string {
  return fingerprint.replace(/(.{4})(?!$)/g, '$1 ');
}

export function serializeReviewerKey(key: ReviewerKey): string {
  const stored: StoredKey = { kind: KEY_KIND, alg: 'Ed25519', secretKey: bytesToHex(key.secretKey), publicKey: bytesToHex(key.publicKey) };
  return `${JSON.stringify(stored, null, 2)}\n`;
}

/** Reads a stored key; refuses anything whose public half does not belong to its secret half. */
export function parseReviewerKey(text: string): ReviewerKey {
  let json: Partial<StoredKey>;
  try {
    json = JSON.parse(text) as Partial<StoredKey>;
  } catch {
    throw new DeidError('usage', 'the reviewer key is not JSON');
  }
  if (json === null || typeof json !== 'object' || json.kind !== KEY_KIND || json.alg !== 'Ed25519' || typeof json.secretKey !== 'string' || !HEX64.test(json.secretKey) || typeof json.publicKey !== 'string' || !HEX64.test(json.publicKey)) {
    throw new DeidError('usage', `the reviewer key is not a "${KEY_KIND}" (Ed25519, hex)`);
  }
  const secretKey = hexToBytes(json.secretKey);
  const publicKey = ed25519.getPublicKey(secretKey);
  if (bytesToHex(publicKey) !== json.publicKey) throw new DeidError('usage', 'the reviewer key\'s public key does not match its secret key');
  return { secretKey, publicKey };
}

/**
 * The reviewer's key from a host's secret store (the panel: UXP secure storage, which encrypts
 * per plugin and user), created and stored on first use. `read` resolves null when nothing is
 * stored yet.
 */
export async function reviewerKeyFrom(store: { read: () => Promise<string | null>; write: (text: string) => Promise<void> }): Promise<ReviewerKey> {
  const text = await store.read();
  if (text !== null && text !== '') return parseReviewerKey(text);
  const key = generateReviewerKey();
  await store.write(serializeReviewerKey(key));
  return key;
}
