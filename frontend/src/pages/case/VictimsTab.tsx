import type { TargetedInputEvent, TargetedSubmitEvent } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Victim } from "../../api/client";
import { ListStatus, LoadMore, usePagedList } from "../../components/PagedList";
import {
  VICTIM_KINDS,
  VICTIM_STATUSES,
  canEditVictims,
  isVictimKind,
  isVictimStatus,
  victimKindLabel,
  victimStatusLabel,
} from "../../intake";
import { importHref } from "../../imports";
import { Link, navigate, useLocation } from "../../router";
import { useCurrentUser } from "../../session";
import { caseHref } from "./tabs";

const DEBOUNCE_MS = 250;

/** newVictimHref is where a victim is added to a case. */
export const newVictimHref = (caseId: string) => `${caseHref(caseId, "victims")}/new`;

/** victimHref is a victim's own page. */
export const victimHref = (victimId: string) => `/victims/${encodeURIComponent(victimId)}`;

function tabUrl(caseId: string, q: string, kind: string, status: string): string {
  const params = new URLSearchParams();
  if (q) params.set("q", q);
  if (kind) params.set("kind", kind);
  if (status) params.set("status", status);
  const s = params.toString();
  return caseHref(caseId, "victims") + (s ? `?${s}` : "");
}

/** place is where a victim can be written to: city and state, which every view that has an address carries. */
const place = (v: Victim): string => (v.mailing_address ? `${v.mailing_address.city}, ${v.mailing_address.state}` : "");

/**
 * VictimsTab lists a case's victims in the caller's view, filtered by name, kind and status; the filters live in
 * the address, so that Back and a reload keep them.
 */
export function VictimsTab({ caseId }: { caseId: string }) {
  const me = useCurrentUser();
  const { search } = useLocation();
  const params = new URLSearchParams(search);
  const q = params.get("q") ?? "";
  const rawKind = params.get("kind");
  const kind = isVictimKind(rawKind) ? rawKind : "";
  const rawStatus = params.get("status");
  const status = isVictimStatus(rawStatus) ? rawStatus : "";

  const [qInput, setQInput] = useState(q);
  const [reloads, setReloads] = useState(0);
  const timer = useRef<number | undefined>(undefined);
  const committedQ = useRef(q);

  useEffect(() => () => window.clearTimeout(timer.current), []);
  useEffect(() => {
    if (q !== committedQ.current) {
      committedQ.current = q;
      setQInput(q);
    }
  }, [q]);

  const list = usePagedList(
    (after, signal) =>
      api.GET("/api/v1/cases/{case_id}/victims", {
        params: {
          path: { case_id: caseId },
          query: { q: q || undefined, kind: kind || undefined, status: status || undefined, cursor: after },
        },
        signal,
      }),
    [caseId, q, kind, status, reloads],
  );

  const commit = (nextQ: string, nextKind: string, nextStatus: string) => {
    window.clearTimeout(timer.current);
    committedQ.current = nextQ.trim();
    navigate(tabUrl(caseId, nextQ.trim(), nextKind, nextStatus), { replace: true });
  };

  const onInput = (e: TargetedInputEvent<HTMLInputElement>) => {
    const value = e.currentTarget.value;
    setQInput(value);
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => commit(value, kind, status), DEBOUNCE_MS);
  };

  const onSubmit = (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    commit(qInput, kind, status);
    setReloads((n) => n + 1);
  };

  const filtered = q !== "" || kind !== "" || status !== "";
  const canAdd = canEditVictims(me?.role);

  return (
    <section aria-labelledby="victims-heading">
      <div class="section-head">
        <h2 id="victims-heading">Victims</h2>
        {canAdd && (
          <div class="actions">
            <Link href={importHref(caseId)} id="import-victims" class="button button--secondary">
              Import a list
            </Link>
            <Link href={newVictimHref(caseId)} id="add-victim" class="button">
              Add victim
            </Link>
          </div>
        )}
      </div>

      <form role="search" aria-label="Victims" class="search search--victims" onSubmit={onSubmit}>
        <div class="field search__q">
          <label for="victim-q">Name</label>
          <input type="search" id="victim-q" name="q" value={qInput} onInput={onInput} autoComplete="off" />
        </div>
        <div class="field">
          <label for="victim-kind-filter">Kind</label>
          <select id="victim-kind-filter" value={kind} onChange={(e) => commit(qInput, e.currentTarget.value, status)}>
            <option value="">All kinds</option>
            {VICTIM_KINDS.map((k) => (
              <option key={k.value} value={k.value}>
                {k.label}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="victim-status-filter">Status</label>
          <select id="victim-status-filter" value={status} onChange={(e) => commit(qInput, kind, e.currentTarget.value)}>
            <option value="">All statuses</option>
            {VICTIM_STATUSES.map((s) => (
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
        one="victim"
        many="victims"
        emptyTitle={filtered ? "No victims match." : "No victims yet."}
        emptyHint={
          filtered
            ? "Try another name, kind or status."
            : canAdd
              ? "Add the first one with “Add victim”, or bring in a whole list with “Import a list”."
              : "None has been recorded in this case."
        }
      />

      {list.items.length > 0 && (
        <table class="data-table" id="victims-table" aria-busy={list.loading ? "true" : undefined}>
          <caption class="visually-hidden">Victims, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Status</th>
              <th scope="col">City</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((v) => (
              <tr key={v.id}>
                <td data-label="Name" class="data-table__title">
                  <Link href={victimHref(v.id)} class="victim-link">
                    {v.name}
                  </Link>
                  {v.is_minor && <span class="pill pill--warn pill--inline">Minor</span>}
                </td>
                <td data-label="Kind">{victimKindLabel(v.kind)}</td>
                <td data-label="Status">
                  <span class={`pill pill--victim-${v.status}`}>{victimStatusLabel(v.status)}</span>
                </td>
                <td data-label="City">{place(v) || <span class="muted">No address</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.cursor && !list.loading && <LoadMore id="more-victims" busy={list.loadingMore} onClick={list.loadMore} />}
    </section>
  );
}
