import type { Inputs } from "preact/hooks";
import { useEffect, useRef, useState } from "preact/hooks";
import { isAbort, toProblem, type Problem } from "../api/client";
import { ProblemAlert } from "./ProblemAlert";

/** What an API call for one page of a list answers, as openapi-fetch gives it. */
export interface PageResult<T> {
  data?: { items: T[]; next_cursor: string | null };
  error?: unknown;
  response: Response;
}

/** FetchPage asks the API for the page after `cursor` (undefined: the first page). */
export type FetchPage<T> = (cursor: string | undefined, signal: AbortSignal) => Promise<PageResult<T>>;

/** The state of a paged list, as usePagedList keeps it. */
export interface PagedList<T> {
  items: T[];
  /** Where the next page starts; null when there is none. */
  cursor: string | null;
  /** The first page is on its way. */
  loading: boolean;
  /** A further page is on its way. */
  loadingMore: boolean;
  problem: Problem | null;
  loadMore: () => void;
}

/**
 * usePagedList keeps a cursor-paged list: it fetches the first page whenever `deps` change, cancels a request
 * that a newer one replaces, and appends the next page on `loadMore`. `onForbidden`, when given, takes a 403
 * instead of showing it as a problem.
 */
export function usePagedList<T>(fetchPage: FetchPage<T>, deps: Inputs, onForbidden?: () => void): PagedList<T> {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const inflight = useRef<AbortController | undefined>(undefined);

  const load = async (after: string | null) => {
    inflight.current?.abort();
    const ctrl = new AbortController();
    inflight.current = ctrl;
    setProblem(null);
    if (after) setLoadingMore(true);
    else setLoading(true);
    try {
      const { data, error, response } = await fetchPage(after ?? undefined, ctrl.signal);
      if (ctrl.signal.aborted) return;
      if (data) {
        setItems((prev) => (after ? [...prev, ...data.items] : data.items));
        setCursor(data.next_cursor);
      } else if (onForbidden && response.status === 403) {
        onForbidden();
      } else {
        if (!after) setItems([]);
        setProblem(toProblem(error, response));
      }
    } catch (err) {
      if (isAbort(err) || ctrl.signal.aborted) return;
      setProblem(toProblem(err));
    }
    setLoading(false);
    setLoadingMore(false);
  };

  useEffect(() => {
    void load(null);
    return () => inflight.current?.abort();
  }, deps);

  const loadMore = () => {
    if (cursor) void load(cursor);
  };

  return { items, cursor, loading, loadingMore, problem, loadMore };
}

/** LoadMore is the button under a paged list that fetches its next page. */
export function LoadMore({ id, busy, onClick }: { id: string; busy: boolean; onClick: () => void }) {
  return (
    <p class="load-more">
      <button
        type="button"
        id={id}
        class="button button--secondary"
        disabled={busy}
        aria-busy={busy ? "true" : undefined}
        onClick={onClick}
      >
        Load more
      </button>
    </p>
  );
}

/**
 * ListStatus is what stands above a paged list's table: a status line counting what is shown, the problem
 * when the last fetch failed, and the empty state when nothing matched.
 */
export function ListStatus({
  list: { items, cursor, loading, problem },
  one,
  many,
  emptyTitle,
  emptyHint,
}: {
  list: PagedList<unknown>;
  /** What the list holds, singular and plural: "case", "cases". */
  one: string;
  many: string;
  /** The empty state's title and the line under it. */
  emptyTitle: string;
  emptyHint: string;
}) {
  const summary = loading
    ? `Loading ${many}…`
    : problem || items.length === 0
      ? ""
      : `${items.length} ${items.length === 1 ? one : many} shown${cursor ? ", more available" : ""}.`;

  return (
    <>
      <p role="status" class="list-status">
        {summary}
      </p>

      {problem && <ProblemAlert problem={problem} />}

      {!loading && !problem && items.length === 0 && (
        <div class="empty">
          <p class="empty__title">{emptyTitle}</p>
          <p>{emptyHint}</p>
        </div>
      )}
    </>
  );
}
