import * as fs from 'node:fs';
import { setItemStatus, signOff } from '../../src/core/sidecar/checklist';
import { parseSidecar, serializeSidecar } from '../../src/core/sidecar/schema';

/**
 * What a reviewer does to an export's sidecar: every open item ticked, then signed off with a
 * name and date, written back. The one place tests sign, so a change to how sign-off is recorded
 * (signatures) is made here once.
 */
export function signOffSidecarFile(sidecarPath: string, reviewer = 'Dr Test Reviewer', at = '2026-11-30T12:00:00.000Z'): void {
  const sidecar = parseSidecar(fs.readFileSync(sidecarPath, 'utf8'));
  let checklist = sidecar.checklist;
  for (const item of checklist.items) if (item.status === 'unchecked') checklist = setItemStatus(checklist, item.id, 'ok');
  checklist = signOff(checklist, reviewer, at);
  fs.writeFileSync(sidecarPath, serializeSidecar({ ...sidecar, checklist }));
}
