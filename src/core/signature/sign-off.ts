import { signOff } from '../sidecar/checklist';
import { validateSidecar } from '../sidecar/schema';
import type { Checklist, Sidecar } from '../sidecar/types';
import type { ReviewerKey } from './keys';
import { signSidecar } from './sidecar-signature';

/**
 * The one sign-off both reviewers' tools use (the panel's review action and `deid review`):
 * the checklist rules of sidecar/checklist.ts (refused, with the reasons, while anything is
 * open), then the reviewer's Ed25519 signature over the result. Returns the sidecar to write.
 */
export function signOffSidecar(sidecar: Sidecar, checklist: Checklist, reviewer: string, dateIso: string, key: ReviewerKey): Sidecar {
  const { signature: _stale, ...rest } = sidecar;
  const signedOff: Sidecar = { ...rest, checklist: signOff(checklist, reviewer, dateIso) };
  return validateSidecar(signSidecar(signedOff, key));
}
