import type { TargetedEvent, TargetedSubmitEvent } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, type AuditEvent } from "../api/client";
import { ErrorSummary, FieldError, invalid, type Failure } from "../components/FormErrors";
import { ListStatus, LoadMore, usePagedList } from "../components/PagedList";
import { formatInstant, setTitle } from "../format";
import { Link, navigate, useLocation } from "../router";
import { NotAllowed } from "./NotAllowed";

const AUDIT_PATH = "/admin/audit";
const PAGE_SIZE = 50;

type Outcome = AuditEvent["outcome"];
const OUTCOMES: ReadonlyArray<{ value: Outcome; label: string }> = [
  { value: "success", label: "Success" },
  { value: "denied", label: "Denied" },
  { value: "failure", label: "Failure" },
];
const isOutcome = (v: string | null): v is Outcome => OUTCOMES.some((o) => o.value === v);
const outcomeLabel = (v: string) => OUTCOMES.find((o) => o.value === v)?.label ?? v;

/** Labels of the detail keys the service writes; any other key is shown under its own name. */
const DETAIL_LABELS: Record<string, string> = {
  count: "Refusals counted",
  reason: "Reason",
  status: "HTTP status",
  operation: "Operation",
  objects: "Counted refusals were for",
  objects_beyond: "More records, not listed",
  objects_beyond_at_least: "More records, not listed, at least",
  fields: "Fields changed",
  legacy_events: "Earlier events sealed",
  legacy_head_seq: "Last earlier event",
};
const DETAIL_ORDER = Object.keys(DETAIL_LABELS);

function detailValue(v: unknown): string {
  if (Array.isArray(v)) return v.map(String).join(", ");
  if (typeof v === "number") return v.toLocaleString("en-US");
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

/** One record a refusal addressed, as access.denied events list them: operation, type, ID, and case. */
interface DeniedObject {
  operation?: string;
  object_type?: string;
  object_id?: string;
  case_id?: string;
}

const isDeniedObjects = (v: unknown): v is DeniedObject[] =>
  Array.isArray(v) && v.every((o) => typeof o === "object" && o !== null && !Array.isArray(o));

/** deniedObject writes one such record as "getVictim victim 0196…", adding its case when that is another record. */
function deniedObject(o: DeniedObject): string {
  const parts = [o.operation, o.object_type, o.object_id].filter((p): p is string => typeof p === "string" && p !== "");
  if (o.case_id && o.case_id !== o.object_id) parts.push(`(case ${o.case_id})`);
  return parts.join(" ");
}

/**
 * AuditDetail shows what else an event records (IDs, codes, field names and counts, never values) as
 * labelled lines: for a refusal, how many refusals the event stands for; for an account change, which
 * fields changed.
 */
function AuditDetail({ detail }: { detail: AuditEvent["detail"] }) {
  const keys = Object.keys(detail).sort((a, b) => {
    const ia = DETAIL_ORDER.indexOf(a);
    const ib = DETAIL_ORDER.indexOf(b);
    return (ia < 0 ? DETAIL_ORDER.length : ia) - (ib < 0 ? DETAIL_ORDER.length : ib) || a.localeCompare(b);
  });
  if (keys.length === 0) return <span class="muted">None</span>;
  return (
    <ul class="audit-detail">
      {keys.map((k) => {
        const v = detail[k];
        return (
          <li key={k}>
            <span class="audit-detail__label">{DETAIL_LABELS[k] ?? k}:</span>{" "}
            {k === "objects" && isDeniedObjects(v) ? (
              <ul class="audit-detail__objects">
                {v.map((o, i) => (
                  <li key={i} class="mono">
                    {deniedObject(o)}
                  </li>
                ))}
              </ul>
            ) : (
              <span class={k === "operation" || k === "reason" ? "mono" : undefined}>{detailValue(v)}</span>
            )}
          </li>
        );
      })}
    </ul>
  );
}

/** The filters as the URL and the form hold them: dates as YYYY-MM-DD, "" meaning no filter. */
interface Filters {
  action: string;
  outcome: string;
  case: string;
  from: string;
  to: string;
}

const FILTER_ORDER = ["audit-action", "audit-outcome", "audit-case", "audit-from", "audit-to"];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function readFilters(search: string): Filters {
  const p = new URLSearchParams(search);
  const date = (name: string) => {
    const v = p.get(name) ?? "";
    return DATE.test(v) ? v : "";
  };
  const outcome = p.get("outcome");
  return {
    action: p.get("action") ?? "",
    outcome: isOutcome(outcome) ? outcome : "",
    case: p.get("case") ?? "",
    from: date("from"),
    to: date("to"),
  };
}

function auditUrl(f: Filters): string {
  const p = new URLSearchParams();
  for (const key of ["action", "outcome", "case", "from", "to"] as const) if (f[key]) p.set(key, f[key]);
  const s = p.toString();
  return s ? `${AUDIT_PATH}?${s}` : AUDIT_PATH;
}

/** startOfDay is the first instant of a calendar day in UTC, in RFC 3339. */
const startOfDay = (date: string) => `${date}T00:00:00Z`;

/**
 * endOfDay is where a calendar day ends in UTC: the first instant of the next day. The API's `to` is exclusive
 * ("before this time"), so this takes in every event of the day, to the last fraction of a second.
 */
function endOfDay(date: string): string {
  const [y, m, d] = date.split("-").map(Number);
  const next = new Date(Date.UTC(y!, m! - 1, d! + 1));
  return `${next.toISOString().slice(0, 10)}T00:00:00Z`;
}

function validate(f: Filters): Record<string, string> {
  const errors: Record<string, string> = {};
  if (f.case && !UUID.test(f.case)) {
    errors["audit-case"] = "Enter a case ID such as 01a211c6-f93c-78c4-8695-72deaf645c6f, or leave it empty.";
  }
  if (f.from && f.to && f.from > f.to) errors["audit-to"] = "The “to” date must be on or after the “from” date.";
  return errors;
}

export function Audit() {
  const { search } = useLocation();
  const applied = readFilters(search);
  const appliedKey = auditUrl(applied);

  const [form, setForm] = useState<Filters>(applied);
  const latest = useRef<Filters>(applied);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [forbidden, setForbidden] = useState(false);
  const [reloads, setReloads] = useState(0);

  useEffect(() => setTitle(forbidden ? "Not allowed" : "Audit log"), [forbidden]);

  // The URL changed (back/forward, the nav link): show its filters in the form.
  useEffect(() => {
    latest.current = applied;
    setForm(applied);
    setFailure(null);
  }, [appliedKey]);

  const list = usePagedList(
    (after, signal) =>
      api.GET("/api/v1/audit-events", {
        params: {
          query: {
            action: applied.action || undefined,
            outcome: isOutcome(applied.outcome) ? applied.outcome : undefined,
            case_id: applied.case && UUID.test(applied.case) ? applied.case : undefined,
            from: applied.from ? startOfDay(applied.from) : undefined,
            to: applied.to ? endOfDay(applied.to) : undefined,
            limit: PAGE_SIZE,
            cursor: after,
          },
        },
        signal,
      }),
    [appliedKey, reloads],
    () => setForbidden(true),
  );

  if (forbidden) return <NotAllowed />;

  const set = (key: keyof Filters) => (e: TargetedEvent<HTMLInputElement | HTMLSelectElement>) => {
    latest.current = { ...latest.current, [key]: e.currentTarget.value };
    setForm(latest.current);
  };

  const submit = (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = latest.current;
    const next: Filters = { ...f, action: f.action.trim(), case: f.case.trim() };
    const errors = validate(next);
    if (Object.keys(errors).length > 0) {
      setFailure({ title: "Check the filters.", fields: errors, other: [] });
      return;
    }
    setFailure(null);
    const url = auditUrl(next);
    if (url === appliedKey) setReloads((n) => n + 1);
    else navigate(url);
  };

  const filtered = appliedKey !== AUDIT_PATH;

  return (
    <>
      <h1>Audit log</h1>
      <p class="lead">Every sign-in, change and refusal, newest first. Times are shown in your time zone.</p>
      <p class="hint">
        Refusals (access.denied) are recorded at most once a minute per person. “Refusals counted” is that refusal
        plus the person’s refusals since their previous recorded one that were only counted, and the records those
        were for are listed (the first 20). A refusal with the reason “summary” is written a minute later for
        refusals that were only counted. Sign-in attempts held off by the throttle are counted per address.
      </p>

      <form role="search" aria-label="Filter the audit log" class="panel filters" noValidate onSubmit={submit}>
        {failure && <ErrorSummary failure={failure} order={FILTER_ORDER} />}
        <div class="filters__grid">
          <div class="field">
            <label for="audit-action">Action</label>
            <input
              type="text"
              id="audit-action"
              name="action"
              autoComplete="off"
              spellcheck={false}
              value={form.action}
              onInput={set("action")}
              {...invalid("audit-action", failure, "audit-action-hint")}
            />
            <p id="audit-action-hint" class="hint">
              Such as case.update or auth.sign_in
            </p>
          </div>
          <div class="field">
            <label for="audit-outcome">Outcome</label>
            <select id="audit-outcome" name="outcome" value={form.outcome} onChange={set("outcome")}>
              <option value="">Any outcome</option>
              {OUTCOMES.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          </div>
          <div class="field filters__wide">
            <label for="audit-case">Case ID</label>
            <input
              type="text"
              id="audit-case"
              name="case"
              autoComplete="off"
              spellcheck={false}
              value={form.case}
              onInput={set("case")}
              {...invalid("audit-case", failure)}
            />
            <FieldError id="audit-case" failure={failure} />
          </div>
          <div class="field">
            <label for="audit-from">From</label>
            <input
              type="date"
              id="audit-from"
              name="from"
              value={form.from}
              onInput={set("from")}
              {...invalid("audit-from", failure, "audit-dates-hint")}
            />
          </div>
          <div class="field">
            <label for="audit-to">To</label>
            <input
              type="date"
              id="audit-to"
              name="to"
              value={form.to}
              onInput={set("to")}
              {...invalid("audit-to", failure, "audit-dates-hint")}
            />
            <FieldError id="audit-to" failure={failure} />
          </div>
        </div>
        <p id="audit-dates-hint" class="hint filters__hint">
          Dates are whole days in UTC, both included.
        </p>
        <div class="form-actions">
          <button type="submit" id="audit-search" class="button">
            Search
          </button>
          {filtered && (
            <Link href={AUDIT_PATH} id="audit-clear" class="button button--secondary">
              Clear filters
            </Link>
          )}
        </div>
      </form>

      <ListStatus
        list={list}
        one="event"
        many="events"
        emptyTitle="No events match."
        emptyHint={filtered ? "Try other filters or a wider range of dates." : "Nothing has been recorded yet."}
      />

      {list.items.length > 0 && (
        <table id="audit-table" class="data-table" aria-busy={list.loading ? "true" : undefined}>
          <caption class="visually-hidden">Audit events, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Actor</th>
              <th scope="col">Action</th>
              <th scope="col">Object</th>
              <th scope="col">Case</th>
              <th scope="col">Outcome</th>
              <th scope="col">Detail</th>
              <th scope="col">Request ID</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((e) => (
              <tr key={e.id}>
                <td data-label="Time" class="nowrap-wide">
                  <time dateTime={e.occurred_at}>{formatInstant(e.occurred_at)}</time>
                </td>
                <td data-label="Actor">
                  <span class="actor-type">{e.actor_type}</span> <span class="mono">{e.actor_id}</span>
                </td>
                <td data-label="Action">
                  <span class="mono">{e.action}</span>
                </td>
                <td data-label="Object">
                  {e.object_type} <span class="mono">{e.object_id}</span>
                </td>
                <td data-label="Case">
                  {e.case_id ? (
                    <Link href={`/cases/${encodeURIComponent(e.case_id)}`} class="mono">
                      {e.case_id}
                    </Link>
                  ) : (
                    <span class="muted">None</span>
                  )}
                </td>
                <td data-label="Outcome">
                  <span class={`pill pill--${e.outcome}`}>{outcomeLabel(e.outcome)}</span>
                </td>
                <td data-label="Detail">
                  <AuditDetail detail={e.detail} />
                </td>
                <td data-label="Request ID">
                  <span class="mono">{e.request_id}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      {list.cursor && !list.loading && (
        <LoadMore id="audit-more" busy={list.loadingMore} onClick={list.loadMore} />
      )}
    </>
  );
}
