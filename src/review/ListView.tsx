import { useEffect, useRef, useState } from 'react';
import type { ListResponse, ListRow } from './api-types';
import { FILTERS, isSigned, matches, nextUnsigned, type Filter } from './list-model';

interface Props {
  list: ListResponse;
  /** Index into list.items of the highlighted row. */
  selected: number;
  onSelect: (index: number) => void;
  onOpen: (id: string) => void;
}

function verifyText(row: ListRow): { text: string; tone: string } {
  switch (row.verify) {
    case 'pending':
      return { text: 'Checking...', tone: 'muted' };
    case 'error':
      return { text: 'Sidecar unreadable', tone: 'fail' };
    case 'findings':
      return { text: `${row.problemCount} finding${row.problemCount === 1 ? '' : 's'}`, tone: 'fail' };
    case 'clean':
      return { text: 'Clean', tone: 'ok' };
  }
}

function signedText(row: ListRow): { text: string; tone: string } {
  if (row.signature === 'invalid') return { text: 'Signature invalid', tone: 'fail' };
  if (!row.signedOff) return { text: 'Not signed', tone: 'muted' };
  const when = row.reviewedAt ? row.reviewedAt.slice(0, 16).replace('T', ' ') : '';
  return { text: `${row.reviewer ?? ''}, ${when} UTC`, tone: 'ok' };
}

/**
 * Every export in the folder at a glance. Keys: Down/j and Up/k move, Enter or o opens,
 * n jumps to the next unsigned export.
 */
export function ListView({ list, selected, onSelect, onOpen }: Props): JSX.Element {
  const [filter, setFilter] = useState<Filter>('all');
  const tableRef = useRef<HTMLTableSectionElement>(null);
  const rows = list.items.map((row, index) => ({ row, index })).filter(({ row }) => matches(row, filter));
  const signed = list.items.filter(isSigned).length;
  const verifying = list.verified < list.total;

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLSelectElement) return;
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      const at = rows.findIndex((r) => r.index === selected);
      if (e.key === 'ArrowDown' || e.key === 'j') {
        const next = rows[Math.min(rows.length - 1, at + 1)];
        if (next) onSelect(next.index);
      } else if (e.key === 'ArrowUp' || e.key === 'k') {
        const prev = rows[Math.max(0, at - 1)];
        if (prev) onSelect(prev.index);
      } else if (e.key === 'Enter' || e.key === 'o') {
        const row = list.items[selected];
        if (row && at >= 0) onOpen(row.id);
      } else if (e.key === 'n') {
        const next = nextUnsigned(list.items, selected);
        if (next !== null) onSelect(next);
      } else {
        return;
      }
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [rows, selected, list.items, onOpen, onSelect]);

  useEffect(() => {
    tableRef.current?.querySelector('tr.selected')?.scrollIntoView({ block: 'nearest' });
  }, [selected]);

  return (
    <main className="page list-page">
      <header className="bar">
        <h1>deid review</h1>
        <p className="count" data-testid="signed-count">{`${signed} of ${list.total} signed`}</p>
      </header>
      {verifying ? (
        <div className="progress" data-testid="progress">
          <progress max={list.total} value={list.verified} />
          <span>{`Re-verifying the folder: ${list.verified} of ${list.total} checked`}</span>
        </div>
      ) : (
        <p className="muted small" data-testid="verified-all">{`All ${list.total} exports re-verified (hash, metadata, every obscured region).`}</p>
      )}
      <nav className="filters" aria-label="Filter">
        {FILTERS.map((f) => (
          <button
            key={f.value}
            type="button"
            className={f.value === filter ? 'filter active' : 'filter'}
            aria-pressed={f.value === filter}
            data-testid={`filter-${f.value}`}
            onClick={() => setFilter(f.value)}
          >
            {`${f.label} (${list.items.filter((r) => matches(r, f.value)).length})`}
          </button>
        ))}
      </nav>
      {list.total === 0 ? <p data-testid="empty">No exports with a sidecar (&lt;id&gt;.deid.json) in this folder.</p> : null}
      <table className="exports">
        <thead>
          <tr>
            <th scope="col">Alternate id</th>
            <th scope="col">Re-verification</th>
            <th scope="col">Checklist</th>
            <th scope="col">Signed off</th>
          </tr>
        </thead>
        <tbody ref={tableRef}>
          {rows.map(({ row, index }) => {
            const v = verifyText(row);
            const s = signedText(row);
            return (
              <tr
                key={row.id}
                className={index === selected ? 'selected' : undefined}
                aria-selected={index === selected}
                data-testid={`row-${row.id}`}
                onClick={() => onSelect(index)}
                onDoubleClick={() => onOpen(row.id)}
              >
                <td>
                  <button type="button" className="link" onClick={() => onOpen(row.id)}>{row.id}</button>
                </td>
                <td className={v.tone}>{v.text}</td>
                <td className={row.openItems === 0 ? 'ok' : 'muted'}>{row.verify === 'pending' ? '' : row.openItems === 0 ? 'Complete' : `${row.openItems} open`}</td>
                <td className={s.tone} data-testid={`signed-${row.id}`}>{s.text}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="muted small keys">Keys: ↓/j ↑/k move · Enter or o open · n next unsigned</p>
    </main>
  );
}
