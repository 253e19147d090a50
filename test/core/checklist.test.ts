import { DeidError } from '../../src/core/errors';
import {
  AUTO_ITEMS,
  MANUAL_ITEMS,
  addIssue,
  applyAutoChecks,
  checklistProblems,
  defaultChecklist,
  resolveIssue,
  setItemStatus,
  signOff,
} from '../../src/core/sidecar/checklist';
import type { Checklist } from '../../src/core/sidecar/types';

const WHEN = '2024-05-02T08:00:00.000Z';
const ALL_AUTO_OK = {
  'metadata-removed': { ok: true }, 'file-named': { ok: true }, flattened: { ok: true }, 'regions-meet-policy': { ok: true },
};

function reviewed(): Checklist {
  let c = applyAutoChecks(defaultChecklist(), ALL_AUTO_OK);
  for (const item of MANUAL_ITEMS) c = setItemStatus(c, item.id, item.id === 'faces' ? 'ok' : 'not-present');
  return c;
}

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof DeidError && e.code === 'usage') return e.message;
    throw e;
  }
  throw new Error('expected a usage error');
}

describe('defaultChecklist', () => {
  it('covers what the guidance asks reviewers to confirm, plus the tool\'s own checks', () => {
    const c = defaultChecklist();
    const labels = c.items.map((i) => i.label).join('\n');
    for (const word of ['reflections', 'Tattoos', 'birthmarks', 'Jewellery', 'injuries', 'name tags', 'wristbands', 'charts', 'screens',
      'barcodes', 'QR codes', 'house numbers', 'landmarks', 'signage', 'Dates']) {
      expect(labels).toContain(word);
    }
    expect(c.items.filter((i) => i.auto).map((i) => i.id)).toEqual(AUTO_ITEMS.map((i) => i.id));
    expect(c.items.every((i) => i.status === 'unchecked')).toBe(true);
    expect(c).toMatchObject({ issues: [], signedOff: false });
  });
});

describe('setItemStatus', () => {
  it('returns a new checklist and leaves the old one as it was', () => {
    const before = defaultChecklist();
    const after = setItemStatus(before, 'faces', 'ok', 'two faces covered');
    expect(after.items[0]).toMatchObject({ status: 'ok', note: 'two faces covered' });
    expect(before.items[0].status).toBe('unchecked');
  });

  it('refuses unknown items', () => {
    expect(usageMessage(() => setItemStatus(defaultChecklist(), 'nose', 'ok'))).toMatch(/no checklist item "nose"/);
  });

  it('refuses to tick a failed automatic item by hand, whatever the status asked for', () => {
    const failed = applyAutoChecks(defaultChecklist(), { 'metadata-removed': { ok: false, note: 'GPS still present' } });
    for (const status of ['ok', 'not-present', 'unchecked'] as const) {
      expect(usageMessage(() => setItemStatus(failed, 'metadata-removed', status)))
        .toMatch(/cannot be set by hand: its automatic check failed \(GPS still present\)/);
    }
  });

  it('does not let automatic items be ticked by hand before their check ran either', () => {
    expect(usageMessage(() => setItemStatus(defaultChecklist(), 'flattened', 'ok'))).toMatch(/filled by the tool's own check/);
  });

  it('lets the reviewer flag an automatic item as an issue', () => {
    const c = setItemStatus(applyAutoChecks(defaultChecklist(), ALL_AUTO_OK), 'flattened', 'issue', 'a layer is visible in the PSD');
    expect(c.items.find((i) => i.id === 'flattened')).toMatchObject({ status: 'issue', note: 'a layer is visible in the PSD' });
  });
});

describe('applyAutoChecks', () => {
  it('sets ok or issue with the note, and refuses manual items', () => {
    const c = applyAutoChecks(defaultChecklist(), { 'file-named': { ok: true }, 'regions-meet-policy': { ok: false, note: 'region 2 not solid' } });
    expect(c.items.find((i) => i.id === 'file-named')?.status).toBe('ok');
    expect(c.items.find((i) => i.id === 'regions-meet-policy')).toMatchObject({ status: 'issue', note: 'region 2 not solid' });
    expect(() => applyAutoChecks(defaultChecklist(), { faces: { ok: true } } as never)).toThrow(/not an automatic checklist item/);
  });
});

describe('signOff', () => {
  it('signs a complete checklist', () => {
    const c = signOff(reviewed(), '  Dr A. Reviewer ', WHEN);
    expect(c).toMatchObject({ signedOff: true, reviewer: 'Dr A. Reviewer', reviewedAt: WHEN });
    expect(checklistProblems(c)).toEqual([]);
  });

  it('refuses, listing what is open: unchecked items, flagged items, unresolved issues', () => {
    let c = setItemStatus(reviewed(), 'dates', 'unchecked');
    c = setItemStatus(c, 'text', 'issue', 'wristband legible');
    c = addIssue(c, 'reflection in the window');
    const message = usageMessage(() => signOff(c, 'R', WHEN));
    expect(message).toMatch(/cannot sign off while these are open/);
    expect(message).toContain('not checked: Dates burned into the picture');
    expect(message).toContain('issue: Text: name tags, wristbands, charts, screens (wristband legible)');
    expect(message).toContain('open issue: reflection in the window');
  });

  it('accepts once issues are resolved', () => {
    const c = resolveIssue(addIssue(reviewed(), 'check the mirror'), 0);
    expect(c.issues).toEqual([{ description: 'check the mirror', resolved: true }]);
    expect(signOff(c, 'R', WHEN).signedOff).toBe(true);
  });

  it('refuses without a name or with a date that is not ISO 8601', () => {
    expect(usageMessage(() => signOff(reviewed(), ' ', WHEN))).toMatch(/reviewer's name/);
    expect(usageMessage(() => signOff(reviewed(), 'R', '02/05/2024'))).toMatch(/ISO 8601/);
    expect(usageMessage(() => signOff(reviewed(), 'R', '2024-02-30T10:00:00Z'))).toMatch(/ISO 8601/);
  });
});

describe('changes after sign-off and checklistProblems', () => {
  it('withdraws the sign-off when anything changes', () => {
    const signed = signOff(reviewed(), 'R', WHEN);
    const changed = setItemStatus(signed, 'faces', 'issue', 'ear visible');
    expect(changed.signedOff).toBe(false);
    expect(changed.reviewedAt).toBeUndefined();
    expect(addIssue(signed, 'x').signedOff).toBe(false);
    expect(applyAutoChecks(signed, { flattened: { ok: false } }).signedOff).toBe(false);
    expect(applyAutoChecks(signed, { flattened: { ok: true } })).toBe(signed);
  });

  it('reports a missing sign-off, missing items and a sign-off without reviewer', () => {
    expect(checklistProblems(reviewed())).toEqual(['not signed off']);
    const missing = { ...reviewed(), items: reviewed().items.filter((i) => i.id !== 'codes') };
    expect(checklistProblems(missing)).toContain('missing item: Numbers, barcodes, QR codes');
    expect(checklistProblems({ ...reviewed(), signedOff: true })).toEqual(['signed off without a reviewer name and date']);
    expect(() => resolveIssue(reviewed(), 0)).toThrow(DeidError);
    expect(() => addIssue(reviewed(), '  ')).toThrow(DeidError);
  });
});
