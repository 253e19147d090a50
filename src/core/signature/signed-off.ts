import { AUTO_ITEMS, applyAutoChecks, checklistProblems, itemDefinitionProblems, type AutoCheckResults } from '../sidecar/checklist';
import { reverifiedAutoChecks, type ReverifiedFacts } from '../sidecar/auto-checks';
import type { Checklist, Sidecar } from '../sidecar/types';
import { checkSidecarSignature, signatureProblems, type SignatureStatus } from './sidecar-signature';

/** Why an export is not signed off, as a finding kind and a detail (no place: callers add it). */
export interface SignOffProblem {
  kind: 'checklist-incomplete' | 'signature-invalid' | 'untrusted-reviewer';
  detail: string;
}

export interface SignOffVerdict {
  /** The one answer every command gives (verify, bag create and verify, report, review). */
  signedOff: boolean;
  /**
   * The sidecar's checklist with its automatic items as re-verification records them now: what
   * the review page and the panel show and what a reviewer signs there. It stays signed off only
   * if that changed nothing (checklist.ts withdraws a sign-off whose checklist changes).
   */
  checklist: Checklist;
  /** What still stops sign-off on that checklist, the sign-off itself not counted. */
  openItems: string[];
  signature: SignatureStatus;
  /** Empty exactly when signed off. Reviewers' notes are never quoted (verify output goes to logs). */
  problems: SignOffProblem[];
}

/**
 * Whether an export is signed off: the sidecar's checklist is complete and signed off with a
 * reviewer and date; its items are the tool's (a reviewer's item marked automatic was never shown
 * to the reviewer); the automatic items are exactly what re-verification records now, status and
 * note, so the sign-off covers the checks the reviewer was shown (DESIGN.md "Review": the tool
 * re-verifies, then the reviewer ticks and signs; `deid review` and the panel sign the re-verified
 * checklist); and the reviewer's signature holds over all of it (and, with a trusted list, is by
 * a trusted key). A sidecar edited after signing, or marked complete by a script that did not
 * re-verify, fails one of these. The single definition for every command.
 */
export function signOffVerdict(sidecar: Sidecar, facts: ReverifiedFacts, trusted?: ReadonlySet<string>): SignOffVerdict {
  const recorded = sidecar.checklist;
  const checklist = reverifiedChecklist(recorded, reverifiedAutoChecks(facts));
  const signature = checkSidecarSignature(sidecar);
  const problems: SignOffProblem[] = [];
  const definitions = itemDefinitionProblems(recorded).length;
  if (definitions > 0) {
    problems.push({ kind: 'checklist-incomplete', detail: `${definitions} checklist item(s) relabelled, or marked automatic or the reviewer's against what they are, so the checklist shown is not the one signed` });
  }
  for (const detail of checklistProblems(recorded)) problems.push({ kind: 'checklist-incomplete', detail });
  const early = signedBeforeExport(sidecar);
  if (early) problems.push({ kind: 'checklist-incomplete', detail: early });
  if (recorded.signedOff) {
    const differ = AUTO_ITEMS.filter(({ id }) => {
      const was = recorded.items.find((i) => i.id === id);
      const now = checklist.items.find((i) => i.id === id);
      return was !== undefined && now !== undefined && (was.status !== now.status || (was.note ?? '') !== (now.note ?? ''));
    });
    if (differ.length > 0) {
      problems.push({
        kind: 'checklist-incomplete',
        detail: `signed off over automatic checks that are not what re-verification records now (${differ.map((i) => i.label).join('; ')}): the sidecar was changed, or signed without re-verifying; sign it off again in deid review or the panel`,
      });
    }
  }
  for (const p of signatureProblems(sidecar, trusted, signature)) problems.push(p);
  const openItems = checklistProblems(checklist).filter((p) => p !== 'not signed off');
  return { signedOff: problems.length === 0, checklist, openItems, signature, problems };
}

/**
 * A sign-off dated before the export it signs (its createdAt, or a recorded export step's time):
 * no reviewer can have looked at an image before it existed, so it is a sign-off carried over
 * from another export or a forged date (DESIGN.md "Review": the reviewer signs the re-verified
 * export). The same instant is allowed. Instants are compared, not strings (zones differ).
 */
function signedBeforeExport(sidecar: Sidecar): string | null {
  const { signedOff, reviewedAt } = sidecar.checklist;
  if (!signedOff || reviewedAt === undefined) return null;
  const signed = Date.parse(reviewedAt);
  const made = [{ what: 'the sidecar was created', when: sidecar.createdAt }, ...sidecar.steps.filter((s) => s.op === 'export').map((s) => ({ what: 'the image was exported', when: s.at }))];
  const before = made.find((m) => signed < Date.parse(m.when));
  return before ? `signed off at ${reviewedAt}, before ${before.what} (${before.when}): a sign-off cannot predate the export it vouches for; review and sign it off again` : null;
}

/** applyAutoChecks for the items the checklist has (a missing one is an open problem of its own). */
function reverifiedChecklist(checklist: Checklist, results: AutoCheckResults): Checklist {
  const present = Object.fromEntries(Object.entries(results).filter(([id]) => checklist.items.some((i) => i.id === id)));
  return applyAutoChecks(checklist, present);
}
