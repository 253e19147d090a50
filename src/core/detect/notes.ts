import type { Checklist } from '../sidecar/types';
import type { Detection } from './types';

/** Which manual checklist item each detector speaks to (sidecar/checklist.ts MANUAL_ITEMS). */
const ITEM_FOR = { face: 'faces', text: 'text' } as const;

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * The automatic notes for the faces and text checklist items: what the detector found, and how
 * much of it is still uncovered. The note is advice only (issue 11: a detector never signs
 * anything off), so the item's status is left exactly as the reviewer set it.
 */
export function detectorNotes(found: readonly Detection[], uncovered: readonly Detection[]): Record<'faces' | 'text', string> {
  const note = (kind: 'face' | 'text') => {
    const all = found.filter((d) => d.kind === kind).length;
    const open = uncovered.filter((d) => d.kind === kind).length;
    const what = kind === 'face' ? count(all, 'possible face', 'possible faces') : count(all, 'possible text region', 'possible text regions');
    if (all === 0) return `detector: no ${kind === 'face' ? 'face' : 'text'} found (it can miss some; check by eye)`;
    return open === 0 ? `detector: ${what}, all under obscured regions` : `detector: ${what}, ${open} not under an obscured region`;
  };
  return { faces: note('face'), text: note('text') };
}

/** Puts the detector's notes on the faces and text items, keeping any note the reviewer wrote. */
export function withDetectorNotes(checklist: Checklist, notes: Record<'faces' | 'text', string>): Checklist {
  const ids: readonly string[] = Object.values(ITEM_FOR);
  return {
    ...checklist,
    items: checklist.items.map((item) => {
      if (!ids.includes(item.id)) return item;
      const ours = notes[item.id as 'faces' | 'text'];
      const theirs = item.note?.split('\n').filter((l) => !l.startsWith('detector: ')).join('\n');
      return { ...item, note: theirs ? `${theirs}\n${ours}` : ours };
    }),
  };
}
