import { DeidError } from '../../core/errors';
import type { Policy } from '../../core/policy/types';
import type { ReviewerKey } from '../../core/signature/keys';
import { signOffSidecar } from '../../core/signature/sign-off';
import { addIssue, resolveIssue, setItemStatus } from '../../core/sidecar/checklist';
import { serializeSidecar } from '../../core/sidecar/schema';
import type { Checklist, ChecklistStatus } from '../../core/sidecar/types';
import { writeFilesAtomically } from '../atomic';
import type { IndexedExport } from './folder-index';
import { HttpError } from './security';
import { readRevision, reverifyExport, type ExportReport } from './reverify';

/** What the page sends: the reviewer's edits, applied again here through the same core rules. */
export interface SignOffRequest {
  revision: string;
  reviewer: string;
  items: { id: string; status: ChecklistStatus; note?: string }[];
  issues: { description: string; resolved: boolean }[];
}

const STATUSES: readonly string[] = ['ok', 'not-present', 'issue', 'unchecked'];
const MAX_TEXT = 2000;

function isText(v: unknown, max = MAX_TEXT): v is string {
  return typeof v === 'string' && v.length <= max;
}

export function parseSignOffRequest(body: unknown): SignOffRequest {
  const b = body as Partial<SignOffRequest> | null;
  const bad = (what: string): never => {
    throw new HttpError(400, `malformed sign-off: ${what}`);
  };
  if (!b || typeof b !== 'object') bad('not an object');
  if (!isText(b!.revision, 64)) bad('revision');
  if (!isText(b!.reviewer, 200)) bad('reviewer');
  if (!Array.isArray(b!.items) || b!.items.length > 100) bad('items');
  if (!Array.isArray(b!.issues) || b!.issues.length > 200) bad('issues');
  for (const i of b!.items!) {
    if (!i || !isText(i.id, 100) || !STATUSES.includes(i.status) || (i.note !== undefined && !isText(i.note))) bad('an item');
  }
  for (const i of b!.issues!) {
    if (!i || !isText(i.description) || typeof i.resolved !== 'boolean') bad('an issue');
  }
  return b as SignOffRequest;
}

/**
 * The reviewer's checklist, rebuilt from the one on disk (automatic items as re-verified now)
 * with the page's edits applied through the core's rules: an automatic item cannot be ticked by
 * hand, issues already noted can only be resolved, new ones are added.
 */
function applyEdits(base: Checklist, req: SignOffRequest): Checklist {
  let c = base;
  for (const edit of req.items) {
    const current = c.items.find((i) => i.id === edit.id);
    if (!current) throw new DeidError('usage', `no checklist item "${edit.id}"`);
    if (current.status !== edit.status || (current.note ?? '') !== (edit.note ?? '')) c = setItemStatus(c, edit.id, edit.status, edit.note ?? '');
  }
  const known = base.issues.length;
  if (req.issues.length < known) throw new DeidError('usage', 'issues already noted cannot be removed; resolve them instead');
  req.issues.forEach((issue, i) => {
    if (i < known) {
      if (issue.description !== base.issues[i].description) throw new DeidError('usage', 'issues already noted cannot be reworded');
      if (base.issues[i].resolved && !issue.resolved) throw new DeidError('usage', 'a resolved issue stays resolved');
      if (issue.resolved) c = resolveIssue(c, i);
    } else {
      c = addIssue(c, issue.description);
      if (issue.resolved) c = resolveIssue(c, c.issues.length - 1);
    }
  });
  return c;
}

/**
 * Signs one export off. Only the sidecar is written (temp file + rename), never the image; the
 * write is refused when the sidecar changed on disk since the page read it (409, no lost
 * update), when re-verification finds anything (422), or while the checklist is open (422).
 */
export async function signOffExport(entry: IndexedExport, req: SignOffRequest, policy: Policy, key: () => ReviewerKey, now: () => Date): Promise<ExportReport> {
  const current = await reverifyExport(entry, policy);
  if (current.revision !== req.revision) {
    throw new HttpError(409, 'This sidecar or its image changed on disk since you opened it (someone else, or the panel, saved it). Nothing was written: reload it to see the current state.');
  }
  if (!current.sidecar || !current.checklist) throw new HttpError(422, current.error ?? 'the sidecar cannot be read');
  if (current.problems.length > 0) {
    throw new HttpError(422, `Cannot sign off: re-verification found ${current.problems.length} problem(s):\n${current.problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  let signed;
  try {
    const checklist = applyEdits(current.checklist, req);
    signed = signOffSidecar(current.sidecar, checklist, req.reviewer, now().toISOString(), key());
  } catch (e) {
    if (e instanceof DeidError) throw new HttpError(422, e.message);
    throw e;
  }
  const text = serializeSidecar(signed);
  // Checked again just before the rename: the window for a lost update is the write itself. The
  // revision covers the image too: the signature attests the image the page showed.
  const again = readRevision(entry).revision;
  if (again !== req.revision) throw new HttpError(409, 'This sidecar changed on disk while it was being signed. Nothing was written: reload it.');
  await writeFilesAtomically([{ path: entry.sidecarPath, bytes: text }]);
  return reverifyExport(entry, policy);
}
