import { useCallback, useEffect, useState } from 'react';
import type { ListResponse } from './api-types';
import { fetchList } from './api';
import { ItemView } from './ItemView';
import { ListView } from './ListView';
import { nextUnsigned } from './list-model';

const REVIEWER_KEY = 'deid-review.reviewer';
/** How often the list is asked for while the folder is still being re-verified. */
const POLL_MS = 600;

function storedReviewer(): string {
  try {
    return window.localStorage.getItem(REVIEWER_KEY) ?? '';
  } catch {
    return '';
  }
}

/** The review workspace: the folder's list, or one export under review. */
export function App(): JSX.Element {
  const [list, setList] = useState<ListResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [openId, setOpenId] = useState<string | null>(null);
  const [selected, setSelected] = useState(0);
  const [reviewer, setReviewerState] = useState(storedReviewer);

  const setReviewer = (name: string): void => {
    setReviewerState(name);
    try {
      window.localStorage.setItem(REVIEWER_KEY, name);
    } catch {
      // Remembering the name is a convenience; a browser that refuses storage still works.
    }
  };

  const refresh = useCallback(async () => {
    try {
      setList(await fetchList());
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const verifying = list !== null && list.verified < list.total;
  useEffect(() => {
    if (!verifying) return undefined;
    const t = window.setTimeout(() => void refresh(), POLL_MS);
    return () => window.clearTimeout(t);
  }, [verifying, list, refresh]);

  const open = (id: string): void => {
    if (list) setSelected(Math.max(0, list.items.findIndex((i) => i.id === id)));
    setOpenId(id);
  };

  if (error && !list) return <main className="page"><p className="fail" role="alert">{error}</p></main>;
  if (!list) return <main className="page"><p>Loading the folder...</p></main>;
  if (openId) {
    const index = list.items.findIndex((i) => i.id === openId);
    return (
      <ItemView
        key={openId}
        id={openId}
        position={`${index + 1} of ${list.total}`}
        reviewer={reviewer}
        onReviewer={setReviewer}
        onBack={() => {
          setOpenId(null);
          void refresh();
        }}
        onPrevious={index > 0 ? () => open(list.items[index - 1].id) : undefined}
        onNextUnsigned={() => {
          const next = nextUnsigned(list.items, index);
          if (next !== null) open(list.items[next].id);
        }}
        onSigned={() => void refresh()}
      />
    );
  }
  return <ListView list={list} selected={selected} onSelect={setSelected} onOpen={open} />;
}
