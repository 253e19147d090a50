import type { FileToWrite, Host, OutputFolder } from '../../src/actions/host';
import { signOffReview, type ReviewState } from '../../src/actions/review';
import { keyFingerprint, reviewerKeyFrom, type ReviewerKey } from '../../src/core/signature/keys';
import { checkSidecarSignature, signatureFindings } from '../../src/core/signature/sidecar-signature';
import { buildSidecar } from '../../src/core/sidecar/build';
import { MANUAL_ITEMS, applyAutoChecks, setItemStatus } from '../../src/core/sidecar/checklist';
import { parseSidecar } from '../../src/core/sidecar/schema';
import type { Sidecar } from '../../src/core/sidecar/types';

/**
 * The panel's review action (src/actions/review.ts) signs through the same core function as
 * `deid review`, with the key a host keeps in its secret store. A host here is only the three
 * calls sign-off makes; the Photoshop adapter's store is UXP secure storage.
 */
const ID = 'DEID-7KQ2-M9XH-3TRA';
const IMAGE = new TextEncoder().encode('stand-in image bytes');
const folder: OutputFolder = { name: 'Exports' };

function openedReview(): ReviewState {
  const s = buildSidecar({ alternateId: ID, toolVersion: '0.1.0', image: { format: 'jpeg', width: 4, height: 4, bytes: IMAGE }, steps: [], removed: [] });
  const checklist = applyAutoChecks(s.checklist, { 'metadata-removed': { ok: true }, 'file-named': { ok: true }, flattened: { ok: true }, 'regions-meet-policy': { ok: true } });
  return { folder, sidecarName: `${ID}.deid.json`, sidecar: { ...s, checklist }, findings: [], regions: [] };
}

function ticked(s: Sidecar) {
  let c = s.checklist;
  for (const item of MANUAL_ITEMS) c = setItemStatus(c, item.id, 'ok');
  return c;
}

function stubHost(reviewerKey?: () => Promise<ReviewerKey>): { host: Host; written: () => Sidecar } {
  let last: FileToWrite | null = null;
  const host = {
    readFile: async (_f: OutputFolder, name: string) => (name === `${ID}.jpg` ? IMAGE : null),
    writeFilesAtomically: async (_f: OutputFolder, files: FileToWrite[]) => {
      [last] = files;
    },
    ...(reviewerKey ? { reviewerKey } : {}),
  } as unknown as Host;
  return { host, written: () => parseSidecar(new TextDecoder().decode(last!.bytes)) };
}

test('with a key in the host\'s store, the panel\'s sign-off is signed; the key is made once and reused', async () => {
  let stored: string | null = null;
  let writes = 0;
  const store = { read: async () => stored, write: async (t: string) => { stored = t; writes++; } };
  const { host, written } = stubHost(() => reviewerKeyFrom(store));
  const review = openedReview();
  await signOffReview(host, review, ticked(review.sidecar), 'Dr P. Anel');
  const first = written();
  const status = checkSidecarSignature(first);
  expect(status.state).toBe('valid');
  expect(first.schemaVersion).toBe(2);
  await signOffReview(host, { ...review, sidecar: first }, first.checklist, 'Dr P. Anel');
  expect(writes).toBe(1);
  const second = written();
  expect(checkSidecarSignature(second)).toEqual(status);
  expect(status.state === 'valid' && status.fingerprint).toBe(keyFingerprint((await reviewerKeyFrom(store)).publicKey));
});

test('without a key, a re-sign-off drops the stale signature and verify says it is unsigned', async () => {
  const keyed = stubHost(() => reviewerKeyFrom({ read: async () => null, write: async () => undefined }));
  const review = openedReview();
  await signOffReview(keyed.host, review, ticked(review.sidecar), 'Dr P. Anel');
  const signed = keyed.written();
  const plain = stubHost();
  await signOffReview(plain.host, { ...review, sidecar: signed }, signed.checklist, 'Dr Q. Other');
  const unsigned = plain.written();
  expect(unsigned.schemaVersion).toBe(1);
  expect(unsigned.signature).toBeUndefined();
  expect(signatureFindings(unsigned, 'x').map((f) => f.detail)).toEqual([expect.stringMatching(/signed off without a signature/)]);
});
