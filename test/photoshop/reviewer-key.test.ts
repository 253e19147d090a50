import * as fs from 'node:fs';
import * as path from 'node:path';
import { fakePhotoshop } from '../fakes/photoshop';
import { fakeUxp } from '../fakes/uxp';
import { createPhotoshopHost } from '../../src/photoshop';
import { startWorkingCopy } from '../../src/actions/start';
import { finishExport } from '../../src/actions/finish';
import { openReview, signOffReview } from '../../src/actions/review';
import { DEFAULT_POLICY } from '../../src/core/policy/policy';
import { MANUAL_ITEMS, setItemStatus } from '../../src/core/sidecar/checklist';
import { parseSidecar } from '../../src/core/sidecar/schema';
import { keyFingerprint, parseReviewerKey } from '../../src/core/signature/keys';
import { checkSidecarSignature } from '../../src/core/signature/sidecar-signature';
import type { Sidecar } from '../../src/core/sidecar/types';
import { resetFakes, texture } from './setup';

/**
 * The Photoshop adapter's reviewerKey: the panel's sign-off is signed with a key kept in UXP
 * secure storage (fake: test/fakes/uxp.ts, after SecureStorage.md), made once and reused, and
 * the sidecar on disk verifies with the same core check `deid verify` uses.
 */
const REVIEWER_KEY_ITEM = 'deid-photo.reviewer-key';

beforeEach(resetFakes);

async function exportAndSignOff(host: ReturnType<typeof createPhotoshopHost>, reviewer: string): Promise<Sidecar> {
  fakePhotoshop.openPixels(texture(64, 48), `patient ${reviewer}.jpg`);
  const session = await startWorkingCopy(host);
  const out = fakeUxp.folder('exports');
  fakeUxp.pickFolder(out);
  const folder = await host.chooseOutputFolder();
  if (!folder) throw new Error('no folder');
  const result = await finishExport(host, session, DEFAULT_POLICY, { format: 'png', folder, toolVersion: '0.1.0' });
  if (!result.ok) throw new Error(result.message);
  const review = await openReview(host, folder, result.sidecarName, DEFAULT_POLICY);
  expect(review.findings).toEqual([]);
  let checklist = review.sidecar.checklist;
  for (const item of MANUAL_ITEMS) checklist = setItemStatus(checklist, item.id, 'ok');
  await signOffReview(host, review, checklist, reviewer);
  return parseSidecar(fs.readFileSync(path.join(out, result.sidecarName), 'utf8'));
}

test('the first sign-off stores a key in secure storage, the next reuses it, and the sidecar verifies', async () => {
  const host = createPhotoshopHost();
  expect(fakeUxp.secureItem(REVIEWER_KEY_ITEM)).toBeNull();

  const first = await exportAndSignOff(host, 'Dr A');
  const stored = fakeUxp.secureItem(REVIEWER_KEY_ITEM);
  if (!stored) throw new Error('no key was stored');
  const key = parseReviewerKey(stored);
  const status = checkSidecarSignature(first);
  expect(status).toEqual({ state: 'valid', fingerprint: keyFingerprint(key.publicKey) });
  expect(first.signature?.publicKey).toBe(Buffer.from(key.publicKey).toString('hex'));

  // A second document, a new host object (as after reopening the panel): same stored key.
  const second = await exportAndSignOff(createPhotoshopHost(), 'Dr A');
  expect(second.alternateId).not.toBe(first.alternateId);
  expect(fakeUxp.secureItem(REVIEWER_KEY_ITEM)).toBe(stored);
  expect(checkSidecarSignature(second)).toEqual(status);

  // Editing one checklist item after signing breaks the signature.
  const edited: Sidecar = {
    ...second,
    checklist: { ...second.checklist, items: second.checklist.items.map((item, i) => (i === 0 ? { ...item, note: 'added later' } : item)) },
  };
  expect(checkSidecarSignature(edited)).toMatchObject({ state: 'invalid', reason: expect.stringMatching(/changed after it was signed/) });
});
