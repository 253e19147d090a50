import * as fs from 'node:fs';
import { generateReviewerKey } from '../../src/core/signature/keys';
import { signOffSidecar } from '../../src/core/signature/sign-off';
import { setItemStatus } from '../../src/core/sidecar/checklist';
import { parseSidecar, serializeSidecar } from '../../src/core/sidecar/schema';

/** One fixed reviewer key for tests (a 32-byte seed); its fingerprint is stable across runs. */
export const TEST_REVIEWER_KEY = generateReviewerKey(new Uint8Array(32).fill(0x42));

/**
 * What a reviewer does to an export's sidecar: every open item ticked, then signed off with a
 * name and date and signed with the reviewer's key (core/signature), written back. The one place
 * tests sign, so a change to how sign-off is recorded is made here once.
 */
export function signOffSidecarFile(sidecarPath: string, reviewer = 'Dr Test Reviewer', at = '2026-11-30T12:00:00.000Z', key = TEST_REVIEWER_KEY): void {
  const sidecar = parseSidecar(fs.readFileSync(sidecarPath, 'utf8'));
  let checklist = sidecar.checklist;
  for (const item of checklist.items) if (item.status === 'unchecked') checklist = setItemStatus(checklist, item.id, 'ok');
  fs.writeFileSync(sidecarPath, serializeSidecar(signOffSidecar(sidecar, checklist, reviewer, at, key)));
}
