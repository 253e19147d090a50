import { ed25519 } from '@noble/curves/ed25519';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils';
import { DeidError } from '../errors';
import type { Finding } from '../metadata/types';
import { SIGNED_SCHEMA_VERSION, type Sidecar, type SidecarSignature } from '../sidecar/types';
import { canonicalJson } from './canonical-json';
import { keyFingerprint, type ReviewerKey } from './keys';

const encoder = new TextEncoder();
const HEX = /^[0-9a-f]+$/;

/**
 * The signed message: the RFC 8785 form of the whole sidecar (image SHA-256, steps, metadata,
 * checklist with reviewer and date) with the signature's own `value` left out. The public key
 * and fingerprint are inside it, so neither can be swapped without breaking the signature.
 */
export function signedMessage(sidecar: unknown): Uint8Array {
  if (sidecar === null || typeof sidecar !== 'object' || Array.isArray(sidecar)) throw new DeidError('schema', 'a sidecar is a JSON object');
  const { signature, ...rest } = sidecar as Record<string, unknown>;
  const covered = signature && typeof signature === 'object' ? { ...rest, signature: { ...(signature as Record<string, unknown>), value: undefined } } : rest;
  return encoder.encode(canonicalJson(covered));
}

/**
 * Signs a signed-off sidecar with the reviewer's key. The sidecar moves to the schema version
 * that may carry a signature; any earlier signature is replaced. Refused for a sidecar that is
 * not signed off: a signature vouches for a reviewer's sign-off, nothing less.
 */
export function signSidecar(sidecar: Sidecar, key: ReviewerKey): Sidecar {
  if (!sidecar.checklist.signedOff || !sidecar.checklist.reviewer || !sidecar.checklist.reviewedAt) {
    throw new DeidError('usage', 'only a signed-off checklist (reviewer and date) is signed');
  }
  const { signature: _old, ...unsigned } = sidecar;
  const head: SidecarSignature = { alg: 'Ed25519', publicKey: bytesToHex(key.publicKey), fingerprint: keyFingerprint(key.publicKey), value: '' };
  const draft: Sidecar = { ...unsigned, schemaVersion: SIGNED_SCHEMA_VERSION, signature: head };
  const value = bytesToHex(ed25519.sign(signedMessage(draft), key.secretKey));
  return { ...draft, signature: { ...head, value } };
}

export type SignatureStatus =
  | { state: 'unsigned' }
  | { state: 'valid'; fingerprint: string }
  | { state: 'invalid'; reason: string; fingerprint?: string };

/**
 * Checks a parsed sidecar's signature. `unsigned` = no signature at all (whether that is
 * acceptable depends on the sign-off: see signatureFindings).
 */
export function checkSidecarSignature(sidecar: Sidecar): SignatureStatus {
  const sig = sidecar.signature;
  if (!sig) return { state: 'unsigned' };
  if (sig.alg !== 'Ed25519' || !HEX.test(sig.publicKey) || sig.publicKey.length !== 64 || !HEX.test(sig.value) || sig.value.length !== 128) {
    return { state: 'invalid', reason: 'the signature is not a well-formed Ed25519 signature' };
  }
  const publicKey = hexToBytes(sig.publicKey);
  if (keyFingerprint(publicKey) !== sig.fingerprint) {
    return { state: 'invalid', reason: 'the fingerprint does not belong to the public key in the sidecar' };
  }
  let ok: boolean;
  try {
    ok = ed25519.verify(hexToBytes(sig.value), signedMessage(sidecar), publicKey);
  } catch {
    ok = false;
  }
  if (!ok) return { state: 'invalid', reason: 'the sidecar was changed after it was signed (the signature does not match its content)', fingerprint: sig.fingerprint };
  return { state: 'valid', fingerprint: sig.fingerprint };
}

/**
 * Fingerprints as a trusted-reviewers file lists them: one a line, the fingerprint first (in
 * groups as `deid review` prints it, or with colons, or in one piece), anything after it a label
 * such as the reviewer's name; `#` starts a comment. Groups are taken until they hold 64 digits,
 * so a label that happens to be hex ("Abe", "cafe") is not swallowed.
 */
export function parseTrustedReviewers(text: string): Set<string> {
  const trusted = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const groups = line.split(/[\s:]+/);
    let hex = '';
    for (let g = 0; g < groups.length && hex.length < FINGERPRINT_DIGITS && /^[0-9a-fA-F]+$/.test(groups[g]); g++) hex += groups[g].toLowerCase();
    if (hex.length !== FINGERPRINT_DIGITS) {
      throw new DeidError('usage', `trusted reviewers, line ${i + 1}: expected a ${FINGERPRINT_DIGITS}-hex-digit key fingerprint first (as deid review prints it; spaces or colons between groups are fine)`);
    }
    trusted.add(hex);
  });
  return trusted;
}

/** A key fingerprint: SHA-256 of the public key, in hex (keys.ts keyFingerprint). */
const FINGERPRINT_DIGITS = 64;

/** Why a sidecar's signature does not vouch for its sign-off (a finding without its place). */
export interface SignatureProblem {
  kind: 'signature-invalid' | 'untrusted-reviewer';
  detail: string;
}

/**
 * What is wrong with a sidecar's signature: a signed-off checklist needs a valid signature (an
 * unsigned one is indistinguishable from a hand-edited file), a signature must match the content,
 * and with a trusted list the key must be on it.
 */
export function signatureProblems(sidecar: Sidecar, trusted?: ReadonlySet<string>, status: SignatureStatus = checkSidecarSignature(sidecar)): SignatureProblem[] {
  if (status.state === 'unsigned') {
    return sidecar.checklist.signedOff
      ? [{ kind: 'signature-invalid', detail: 'signed off without a signature: anyone can write that with a text editor; sign off with deid review or the panel' }]
      : [];
  }
  if (status.state === 'invalid') return [{ kind: 'signature-invalid', detail: status.reason }];
  if (trusted && !trusted.has(status.fingerprint)) {
    return [{ kind: 'untrusted-reviewer', detail: `signed by key ${status.fingerprint.slice(0, 16)}..., which is not on the trusted reviewers list` }];
  }
  return [];
}

/** signatureProblems as `deid verify` findings at `where`. */
export function signatureFindings(sidecar: Sidecar, where: string, trusted?: ReadonlySet<string>): Finding[] {
  return signatureProblems(sidecar, trusted).map((p) => ({ kind: p.kind, where, detail: p.detail }));
}
