import { DeidError } from '../errors';
import { isIsoDateTime } from './dates';
import type { Checklist, ChecklistItem, ChecklistStatus } from './types';

/**
 * What the reviewer confirms (research/deid-threats.md; journal and NHS guidance on patient
 * photographs): every way a person can be recognised from the picture itself.
 */
export const MANUAL_ITEMS = [
  { id: 'faces', label: 'Faces, including partial faces and reflections (mirrors, glasses, screens)' },
  { id: 'marks', label: 'Tattoos, scars, birthmarks' },
  { id: 'jewellery-clothing', label: 'Jewellery, clothing, distinctive injuries' },
  { id: 'text', label: 'Text: name tags, wristbands, charts, screens' },
  { id: 'codes', label: 'Numbers, barcodes, QR codes' },
  { id: 'background', label: 'Background: house numbers, landmarks, signage' },
  { id: 'dates', label: 'Dates burned into the picture' },
] as const;

/** Filled by the tool's own checks; a failed one cannot be ticked by hand. */
export const AUTO_ITEMS = [
  { id: 'metadata-removed', label: 'Metadata removed (file re-scanned clean)' },
  { id: 'file-named', label: 'File named by the alternate id' },
  { id: 'flattened', label: 'Image flattened (no layers)' },
  { id: 'regions-meet-policy', label: 'Every obscured region meets the strength policy' },
] as const;

export type ManualItemId = (typeof MANUAL_ITEMS)[number]['id'];
export type AutoItemId = (typeof AUTO_ITEMS)[number]['id'];
export type ChecklistItemId = ManualItemId | AutoItemId;
export type AutoCheckResults = Partial<Record<AutoItemId, { ok: boolean; note?: string }>>;

const AUTO_IDS: readonly string[] = AUTO_ITEMS.map((i) => i.id);
const DONE_STATUSES: readonly ChecklistStatus[] = ['ok', 'not-present'];

/** A fresh checklist: every item unchecked, no issues, not signed off. */
export function defaultChecklist(): Checklist {
  return {
    items: [
      ...MANUAL_ITEMS.map((i): ChecklistItem => ({ id: i.id, label: i.label, status: 'unchecked', auto: false })),
      ...AUTO_ITEMS.map((i): ChecklistItem => ({ id: i.id, label: i.label, status: 'unchecked', auto: true })),
    ],
    issues: [],
    signedOff: false,
  };
}

/**
 * A signed-off checklist that changes is no longer what the reviewer signed: the sign-off is
 * withdrawn (the reviewer's name stays as a hint; the date goes).
 */
function withdrawSignOff(c: Checklist): Checklist {
  if (!c.signedOff) return c;
  const { reviewedAt: _dropped, ...rest } = c;
  return { ...rest, signedOff: false };
}

function findItem(c: Checklist, id: string): ChecklistItem {
  const item = c.items.find((i) => i.id === id);
  if (!item) throw new DeidError('usage', `no checklist item "${id}" (items: ${c.items.map((i) => i.id).join(', ')})`);
  return item;
}

function replaceItem(c: Checklist, next: ChecklistItem): Checklist {
  const prev = findItem(c, next.id);
  if (prev.status === next.status && prev.note === next.note) return c;
  return withdrawSignOff({ ...c, items: c.items.map((i) => (i.id === next.id ? next : i)) });
}

function withNote(item: ChecklistItem, status: ChecklistStatus, note: string | undefined): ChecklistItem {
  const { note: _old, ...rest } = item;
  return note === undefined || note === '' ? { ...rest, status } : { ...rest, status, note };
}

/**
 * The reviewer sets an item. Automatic items are the tool's to fill: by hand they can only be
 * flagged as an issue (or have their note kept), never ticked; in particular a failed
 * automatic check cannot be ticked away (DeidError('usage')).
 */
export function setItemStatus(checklist: Checklist, id: string, status: ChecklistStatus, note?: string): Checklist {
  const item = findItem(checklist, id);
  if (item.auto && status !== 'issue' && status !== item.status) {
    const why = item.status === 'issue'
      ? `its automatic check failed${item.note ? ` (${item.note})` : ''}; fix the cause and run the checks again`
      : 'it is filled by the tool\'s own check';
    throw new DeidError('usage', `"${item.label}" cannot be set by hand: ${why}`);
  }
  return replaceItem(checklist, withNote(item, status, note ?? item.note));
}

/** Records the tool's own checks: ok -> "ok", failed -> "issue" with the note saying why. */
export function applyAutoChecks(checklist: Checklist, results: AutoCheckResults): Checklist {
  let next = checklist;
  for (const [id, result] of Object.entries(results)) {
    if (result === undefined) continue;
    if (!AUTO_IDS.includes(id)) throw new DeidError('usage', `"${id}" is not an automatic checklist item`);
    next = replaceItem(next, withNote(findItem(next, id), result.ok ? 'ok' : 'issue', result.note));
  }
  return next;
}

/**
 * Items whose meaning the sidecar contradicts: a known id with another label, or with the other
 * `auto` flag (a reviewer's item marked automatic is shown as the tool's own passed check, with no
 * control for the reviewer), and an unknown id marked automatic (the tool has no such check).
 * Reviewing tools refuse sign-off while any: what the reviewer is shown must be what is signed.
 */
export function itemDefinitionProblems(checklist: Checklist): string[] {
  const known = new Map<string, { label: string; auto: boolean }>([
    ...MANUAL_ITEMS.map((i): [string, { label: string; auto: boolean }] => [i.id, { label: i.label, auto: false }]),
    ...AUTO_ITEMS.map((i): [string, { label: string; auto: boolean }] => [i.id, { label: i.label, auto: true }]),
  ]);
  const problems: string[] = [];
  for (const item of checklist.items) {
    const def = known.get(item.id);
    if (!def) {
      if (item.auto) problems.push(`the checklist marks "${item.id}" automatic, but the tool has no such check`);
    } else if (item.auto !== def.auto) {
      problems.push(def.auto ? `the checklist marks "${def.label}" as the reviewer's, but it is the tool's own check` : `the checklist marks "${def.label}" automatic, but it is the reviewer's to check`);
    } else if (item.label !== def.label) {
      problems.push(`the checklist labels item "${item.id}" "${item.label}"; it is "${def.label}"`);
    }
  }
  return problems;
}

/** Notes an issue the reviewer found (open until resolved). */
export function addIssue(checklist: Checklist, description: string): Checklist {
  const text = description.trim();
  if (text === '') throw new DeidError('usage', 'an issue needs a description');
  return withdrawSignOff({ ...checklist, issues: [...checklist.issues, { description: text, resolved: false }] });
}

/** Marks issue number `index` (0-based, in the order added) resolved. */
export function resolveIssue(checklist: Checklist, index: number): Checklist {
  if (!Number.isInteger(index) || index < 0 || index >= checklist.issues.length) {
    throw new DeidError('usage', `no issue number ${index} (there are ${checklist.issues.length})`);
  }
  if (checklist.issues[index].resolved) return checklist;
  return { ...checklist, issues: checklist.issues.map((issue, i) => (i === index ? { ...issue, resolved: true } : issue)) };
}

/** What stops sign-off: missing, unchecked or flagged items, and open issues. */
function openProblems(c: Checklist, quoteNotes = true): string[] {
  const problems: string[] = [];
  const expected = [...MANUAL_ITEMS, ...AUTO_ITEMS];
  for (const { id, label } of expected) {
    if (!c.items.some((i) => i.id === id)) problems.push(`missing item: ${label}`);
  }
  for (const item of c.items) {
    if (item.status === 'unchecked') problems.push(`not checked: ${item.label}`);
    else if (item.status === 'issue') problems.push(`issue: ${item.label}${item.note && quoteNotes ? ` (${item.note})` : ''}`);
    else if (!DONE_STATUSES.includes(item.status)) problems.push(`unknown status "${String(item.status)}": ${item.label}`);
  }
  for (const issue of c.issues) {
    if (!issue.resolved) problems.push(quoteNotes ? `open issue: ${issue.description}` : 'an open issue (see the sidecar)');
  }
  return problems;
}

/**
 * Everything that makes the checklist incomplete, including a missing sign-off (`deid verify`).
 * Reviewers' free-text notes are not repeated: verify output goes to terminals and logs, and a
 * note may describe the person ("tattoo on left arm still visible").
 */
export function checklistProblems(checklist: Checklist): string[] {
  const problems = openProblems(checklist, false);
  if (!checklist.signedOff) problems.push('not signed off');
  else if (!checklist.reviewer || !checklist.reviewedAt) problems.push('signed off without a reviewer name and date');
  return problems;
}

/**
 * Signs the checklist off. Refused (DeidError('usage'), listing what is open) while an item is
 * unchecked or flagged, or an issue unresolved.
 */
export function signOff(checklist: Checklist, reviewer: string, dateIso: string): Checklist {
  const name = reviewer.trim();
  if (name === '') throw new DeidError('usage', 'sign-off needs the reviewer\'s name');
  if (!isIsoDateTime(dateIso)) {
    throw new DeidError('usage', `sign-off date must be an ISO 8601 date and time, got "${dateIso}"`);
  }
  const open = openProblems(checklist);
  if (open.length > 0) {
    throw new DeidError('usage', `cannot sign off while these are open:\n${open.map((p) => `  - ${p}`).join('\n')}`);
  }
  return { ...checklist, reviewer: name, reviewedAt: dateIso, signedOff: true };
}
