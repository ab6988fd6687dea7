import type { TargetedInputEvent, TargetedSubmitEvent } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api/client";
import { ListStatus, LoadMore, usePagedList } from "../components/PagedList";
import { StatusBadge } from "../components/StatusBadge";
import { STATUSES, formatDate, isStatus, setTitle } from "../format";
import { Link, navigate, useLocation } from "../router";

const DEBOUNCE_MS = 250;

// The list's last query string, so that "Back to cases" returns to the same search.
let lastSearch = "";

/** listHref is the case list as the user last left it. */
export const listHref = () => `/${lastSearch}`;

/** forgetListSearch drops the remembered search, so that the next person to sign in starts afresh. */
export const forgetListSearch = () => {
  lastSearch = "";
};

function listUrl(q: string, status: string): string {
  const params = new URLSearchParams();
  if (q) params.set("q", q);
  if (status) params.set("status", status);
  const s = params.toString();
  return s ? `/?${s}` : "/";
}

export function CaseList() {
  const { search } = useLocation();
  const params = new URLSearchParams(search);
  const q = params.get("q") ?? "";
  const rawStatus = params.get("status");
  const status = isStatus(rawStatus) ? rawStatus : "";

  const [qInput, setQInput] = useState(q);
  const [reloads, setReloads] = useState(0);

  const timer = useRef<number | undefined>(undefined);
  const committedQ = useRef(q);

  useEffect(() => setTitle("Cases"), []);
  useEffect(() => () => window.clearTimeout(timer.current), []);

  // The URL changed under us (a link to "/", back/forward): show its query in the box.
  useEffect(() => {
    if (q !== committedQ.current) {
      committedQ.current = q;
      setQInput(q);
    }
  }, [q]);

  useEffect(() => {
    lastSearch = search;
  }, [q, status, reloads]);

  const list = usePagedList(
    (after, signal) =>
      api.GET("/api/v1/cases", {
        params: { query: { q: q || undefined, status: status || undefined, cursor: after } },
        signal,
      }),
    [q, status, reloads],
  );

  const commit = (nextQ: string, nextStatus: string) => {
    window.clearTimeout(timer.current);
    committedQ.current = nextQ.trim();
    navigate(listUrl(nextQ.trim(), nextStatus), { replace: true });
  };

  const onInput = (e: TargetedInputEvent<HTMLInputElement>) => {
    const value = e.currentTarget.value;
    setQInput(value);
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => commit(value, status), DEBOUNCE_MS);
  };

  const onSubmit = (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    commit(qInput, status);
    setReloads((n) => n + 1);
  };

  const filtered = q !== "" || status !== "";

  return (
    <>
      <div class="page-head">
        <h1>Cases</h1>
        <Link href="/cases/new" id="new-case-link" class="button">
          New case
        </Link>
      </div>

      <form role="search" class="search" onSubmit={onSubmit}>
        <div class="field search__q">
          <label for="q">Search</label>
          <input
            type="search"
            id="q"
            name="q"
            value={qInput}
            onInput={onInput}
            autoComplete="off"
            aria-describedby="q-hint"
          />
          <p id="q-hint" class="hint">
            Caption or court case number
          </p>
        </div>
        <div class="field search__status">
          <label for="status-filter">Status</label>
          <select
            id="status-filter"
            name="status"
            value={status}
            onChange={(e) => commit(qInput, e.currentTarget.value)}
          >
            <option value="">All statuses</option>
            {STATUSES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
        <div class="search__submit">
          <button type="submit" class="button button--secondary">
            Search
          </button>
        </div>
      </form>

      <ListStatus
        list={list}
        one="case"
        many="cases"
        emptyTitle="No cases match."
        emptyHint={filtered ? "Try other words or another status." : "There are no cases yet. Open one with “New case”."}
      />

      {list.items.length > 0 && (
        <table class="cases" aria-busy={list.loading ? "true" : undefined}>
          <thead>
            <tr>
              <th scope="col">Case number</th>
              <th scope="col">Caption</th>
              <th scope="col">Court</th>
              <th scope="col">Status</th>
              <th scope="col">Sentencing date</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((c) => (
              <tr key={c.id}>
                <td data-label="Case number" class="cases__number">
                  {c.court_case_number}
                </td>
                <td data-label="Caption" class="cases__caption">
                  <Link href={`/cases/${encodeURIComponent(c.id)}`} class="case-link">
                    {c.caption}
                  </Link>
                </td>
                <td data-label="Court">{c.court}</td>
                <td data-label="Status">
                  <StatusBadge status={c.status} />
                </td>
                <td data-label="Sentencing date">
                  {c.sentencing_date ? (
                    <time dateTime={c.sentencing_date}>{formatDate(c.sentencing_date)}</time>
                  ) : (
                    <span class="muted">Not set</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      {list.cursor && !list.loading && (
        <LoadMore id="load-more" busy={list.loadingMore} onClick={list.loadMore} />
      )}
    </>
  );
}
