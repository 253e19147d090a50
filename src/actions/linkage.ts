import { DeidError } from '../core/errors';
import type { Host, OutputFolder } from './host';
import type { Session } from './session';
import { utf8Encode } from './text';

/**
 * The optional linkage record (original document name <-> alternate id). It goes only to a
 * file the user explicitly chooses, never beside the export: a linkage file next to the image
 * would re-identify it. Returns the chosen file's name, or null when the user cancelled.
 */
export async function saveLinkageRecord(host: Host, session: Session, exportFolder: OutputFolder | null, now: () => Date = () => new Date()): Promise<string | null> {
  const target = await host.chooseFileToSave(`${session.alternateId}-linkage.json`);
  if (!target) return null;
  if (exportFolder && host.isInFolder(target, exportFolder)) {
    throw new DeidError('usage', 'The linkage record must not be saved in the export folder: choose a separate, protected location.');
  }
  const record = { alternateId: session.alternateId, originalDocument: session.source.title, recordedAt: now().toISOString() };
  await host.writeSaveTarget(target, utf8Encode(`${JSON.stringify(record, null, 2)}\n`));
  return target.name;
}
