import type { ListRow } from './api-types';

export type Filter = 'all' | 'needs-review' | 'has-findings' | 'signed';

export const FILTERS: readonly { value: Filter; label: string }[] = [
  { value: 'all', label: 'All' },
  { value: 'needs-review', label: 'Needs review' },
  { value: 'has-findings', label: 'Has findings' },
  { value: 'signed', label: 'Signed' },
];

/** Signed = signed off AND the signature holds; anything else still needs a reviewer. */
export function isSigned(row: ListRow): boolean {
  return row.signedOff && row.signature === 'valid';
}

export function matches(row: ListRow, filter: Filter): boolean {
  switch (filter) {
    case 'all':
      return true;
    case 'needs-review':
      return !isSigned(row);
    case 'has-findings':
      return row.verify === 'findings' || row.verify === 'error' || row.signature === 'invalid';
    case 'signed':
      return isSigned(row);
  }
}

/** The index of the next export after `from` that is not signed, wrapping around; null if none. */
export function nextUnsigned(rows: readonly ListRow[], from: number): number | null {
  for (let step = 1; step <= rows.length; step++) {
    const i = (from + step) % rows.length;
    if (!isSigned(rows[i])) return i;
  }
  return null;
}
