import type { Finding } from '../metadata/types';
import type { AutoCheckResults } from './checklist';

/** What a re-verification of an export against its sidecar established, whoever ran it. */
export interface ReverifiedFacts {
  /** The metadata re-scan's findings; null when the image could not be read or scanned. */
  metadata: readonly Finding[] | null;
  /** The image lies beside the sidecar under the name the sidecar records. */
  named: boolean;
  /**
   * How many recorded regions are not obscured in the pixels now (0 when none is recorded);
   * null when they could not be checked (image unreadable or undecodable, steps over the limit).
   */
  regionsNotObscured: number | null;
}

/**
 * The automatic checklist items as re-verification records them (DESIGN.md "Review": the tool
 * re-verifies the image against the sidecar before the reviewer ticks the checklist). One
 * function for the panel, `deid review`, report and verify, so every one of them writes and
 * expects the same status and note: a passed check has no note, a failed one says why.
 */
export function reverifiedAutoChecks(facts: ReverifiedFacts): AutoCheckResults {
  const { metadata, named, regionsNotObscured } = facts;
  return {
    'metadata-removed': metadata === null
      ? { ok: false, note: 'image not checked' }
      : metadata.length === 0 ? { ok: true } : { ok: false, note: `found: ${[...new Set(metadata.map((f) => f.kind))].join(', ')}` },
    'file-named': { ok: named },
    flattened: { ok: metadata !== null && !metadata.some((f) => f.kind === 'layers') },
    'regions-meet-policy': regionsNotObscured === null
      ? { ok: false, note: 'regions not checked' }
      : regionsNotObscured === 0 ? { ok: true } : { ok: false, note: `${regionsNotObscured} region(s) not obscured` },
  };
}
