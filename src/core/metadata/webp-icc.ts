/**
 * The WebP ICCP chunk (RFC 9649 2.7.1.2): the raw profile, in the extended format only, right
 * after VP8X and announced by its ICC flag. The clean profile (icc.ts) replaces it; strip writes
 * it right after VP8X and sets the flag. In a simple-format file decoders never look for it.
 */
import { DeidError } from '../errors';
import { cleanIcc, iccFindings } from './icc';
import type { Finding } from './types';

export interface IccpPayloadVerdict {
  findings: Finding[];
  /** The clean profile to write as the ICCP payload, or null to drop the chunk. */
  profile: Uint8Array | null;
  needsConversion?: string;
  note?: string;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * `placed`: the chunk is the first ICCP, right after VP8X, with the ICC flag set (what a clean
 * file looks like). `usable`: the extended format and the first ICCP (decoders read it).
 */
export function judgeWebpIccp(payload: Uint8Array, where: string, usable: boolean, placed: boolean): IccpPayloadVerdict {
  const drop = (detail: string, note?: string): IccpPayloadVerdict => ({ findings: [{ kind: 'icc', where, detail }], profile: null, ...(note ? { note } : {}) });
  if (!usable) return drop('ICC profile chunk that decoders ignore (simple format or repeated)');
  let clean;
  try {
    clean = cleanIcc(payload);
  } catch (e) {
    if (!(e instanceof DeidError)) throw e;
    return drop('ICC profile that cannot be read (it may hold any text)', 'dropped an ICC profile that cannot be read');
  }
  const findings = iccFindings(payload, where);
  if (clean.kind === 'convert') return { findings, profile: null, needsConversion: `${where}: ${clean.reason}` };
  if (findings.length === 0 && placed && sameBytes(clean.bytes, payload)) return { findings: [], profile: clean.bytes };
  return {
    findings: findings.length > 0 ? findings : [{ kind: 'icc', where, detail: 'clean ICC profile not placed or flagged as RFC 9649 requires' }],
    profile: clean.bytes,
    note: clean.kind === 'canonical'
      ? `replaced the ICC profile with the canonical ${clean.space} profile (same colours, no identity)`
      : 'rebuilt the ICC profile from its colour tags only (same colours, no identity)',
  };
}
