import * as fs from 'node:fs';
import * as path from 'node:path';
import { signOffExport } from '../../src/cli/review/sign-off';
import { reverifyExport } from '../../src/cli/review/reverify';
import { DEFAULT_POLICY } from '../../src/core/policy/policy';
import { generateReviewerKey } from '../../src/core/signature/keys';
import { parseSidecar } from '../../src/core/sidecar/schema';

/** One fixed reviewer key for tests (a 32-byte seed); its fingerprint is stable across runs. */
export const TEST_REVIEWER_KEY = generateReviewerKey(new Uint8Array(32).fill(0x42));

/**
 * What a reviewer does in `deid review`: the export re-verified, every open item the reviewer
 * answers ticked on the checklist the page shows (the automatic items as re-verification filled
 * them), then signed off with a name and date and signed with the reviewer's key. It goes through
 * the review server's own sign-off (src/cli/review/sign-off.ts, the page's POST), so the sidecar
 * written is the one the page writes (test/review/signed-off-agreement.test.ts compares them).
 * The one place tests sign, so a change to how sign-off is recorded is made here once.
 */
export async function signOffSidecarFile(sidecarPath: string, reviewer = 'Dr Test Reviewer', at = new Date().toISOString(), key = TEST_REVIEWER_KEY): Promise<void> {
  const entry = { id: path.basename(sidecarPath, '.deid.json'), sidecarPath, imagePath: imageBeside(sidecarPath) };
  const shown = await reverifyExport(entry, DEFAULT_POLICY);
  if (!shown.checklist) throw new Error(`cannot sign ${sidecarPath}: ${shown.error ?? 'no checklist'}`);
  const items = shown.checklist.items.map((i) => ({ id: i.id, status: !i.auto && i.status === 'unchecked' ? ('ok' as const) : i.status, ...(i.note === undefined ? {} : { note: i.note }) }));
  await signOffExport(entry, { revision: shown.revision, reviewer, items, issues: shown.checklist.issues }, DEFAULT_POLICY, () => key, () => new Date(at));
}

/** The image the sidecar names, beside it, as the review server's folder index pairs them. */
function imageBeside(sidecarPath: string): string {
  return path.join(path.dirname(sidecarPath), parseSidecar(fs.readFileSync(sidecarPath, 'utf8')).image.fileName);
}
