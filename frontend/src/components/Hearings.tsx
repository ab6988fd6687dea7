import type { ComponentChildren, TargetedEvent, TargetedSubmitEvent } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import {
  api,
  toProblem,
  type Hearing,
  type HearingCreate,
  type HearingKind,
  type HearingStatus,
  type HearingUpdate,
  type Problem,
} from "../api/client";
import {
  HEARING_KINDS,
  HEARING_STATUSES,
  canEditCourtRecord,
  etagOf,
  formatHearingTime,
  hearingKindLabel,
  hearingStatusLabel,
  localInputToUtc,
  localTimeZone,
  utcToLocalInput,
} from "../intake";
import { useCurrentUser } from "../session";
import { ErrorSummary, FieldError, failureFrom, invalid, staleFailure, type Failure, type FieldSpec } from "./FormErrors";
import { ListStatus, LoadMore, usePagedList } from "./PagedList";
import { ProblemAlert } from "./ProblemAlert";

/** The hearing fields as the form holds them: "" means not chosen or not set. */
export interface HearingFormValues {
  kind: HearingKind | "";
  starts_at: string; // datetime-local, in the browser's time zone
  location: string;
  status: HearingStatus;
  notes: string;
}

const EMPTY: HearingFormValues = { kind: "", starts_at: "", location: "", status: "scheduled", notes: "" };

const SPECS: Record<string, FieldSpec> = {
  kind: { id: "hearing-kind", label: "Kind of hearing" },
  starts_at: { id: "hearing-starts-at", label: "Date and time" },
  location: { id: "hearing-location", label: "Location" },
  status: { id: "hearing-status", label: "Status" },
  notes: { id: "hearing-notes", label: "Notes" },
};
const ORDER = Object.values(SPECS).map((s) => s.id);

const toForm = (h: Hearing): HearingFormValues => ({
  kind: h.kind,
  starts_at: utcToLocalInput(h.starts_at),
  location: h.location,
  status: h.status,
  notes: h.notes ?? "",
});

const STALE = "Someone else changed this hearing since you opened it. Reload it to see their change, then make yours again.";

type Editing = { mode: "new" } | { mode: "edit"; hearing: Hearing; etag: string | null } | null;

/**
 * Hearings lists a case's hearings, earliest first, and lets those who may schedule them add one or change one
 * in a form above the list.
 */
export function Hearings({ caseId }: { caseId: string }) {
  const me = useCurrentUser();
  const canEdit = canEditCourtRecord(me?.role);
  const [reloads, setReloads] = useState(0);
  const [editing, setEditing] = useState<Editing>(null);
  const [opening, setOpening] = useState<string | null>(null);
  const [openProblem, setOpenProblem] = useState<Problem | null>(null);
  const [saving, setSaving] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [stale, setStale] = useState(false);
  const [message, setMessage] = useState("");
  // Where the keyboard goes back to when the form closes: the button that opened it.
  const returnTo = useRef("add-hearing");

  const list = usePagedList(
    (after, signal) =>
      api.GET("/api/v1/cases/{case_id}/hearings", { params: { path: { case_id: caseId }, query: { cursor: after } }, signal }),
    [caseId, reloads],
  );

  const close = (msg = "") => {
    setEditing(null);
    setFailure(null);
    setStale(false);
    setMessage(msg);
    const id = returnTo.current;
    // After the list re-renders, the button may be a new element: look it up then.
    window.setTimeout(() => document.getElementById(id)?.focus() ?? document.getElementById("add-hearing")?.focus(), 0);
  };

  const startNew = () => {
    returnTo.current = "add-hearing";
    setMessage("");
    setFailure(null);
    setStale(false);
    setEditing({ mode: "new" });
  };

  // A change starts from the hearing as stored now, with the ETag that PATCH must name.
  const startEdit = async (id: string) => {
    returnTo.current = `edit-hearing-${id}`;
    setMessage("");
    setOpenProblem(null);
    setOpening(id);
    try {
      const { data, error, response } = await api.GET("/api/v1/hearings/{hearing_id}", {
        params: { path: { hearing_id: id } },
      });
      if (data) {
        setFailure(null);
        setStale(false);
        setEditing({ mode: "edit", hearing: data, etag: etagOf(response) });
      } else setOpenProblem(toProblem(error, response));
    } catch (err) {
      setOpenProblem(toProblem(err));
    }
    setOpening(null);
  };

  const submit = async (v: HearingFormValues) => {
    if (!editing) return;
    const startsAt = localInputToUtc(v.starts_at);
    if (!v.kind || !startsAt) {
      const fields: Record<string, string> = {};
      if (!v.kind) fields["hearing-kind"] = "Choose the kind of hearing.";
      if (!startsAt) fields["hearing-starts-at"] = "Enter the date and time the hearing starts.";
      setFailure({ title: "Some required fields are empty.", fields, other: [] });
      return;
    }
    setSaving(true);
    setStale(false);
    try {
      if (editing.mode === "new") {
        const body: HearingCreate = { kind: v.kind, starts_at: startsAt, status: v.status };
        if (v.location.trim()) body.location = v.location.trim();
        if (v.notes.trim()) body.notes = v.notes;
        const { data, error, response } = await api.POST("/api/v1/cases/{case_id}/hearings", {
          params: { path: { case_id: caseId } },
          body,
        });
        if (data) {
          setReloads((n) => n + 1);
          close(`${hearingKindLabel(data.kind)} hearing added.`);
        } else setFailure(failureFrom(toProblem(error, response), SPECS));
      } else {
        const before = toForm(editing.hearing);
        const patch: HearingUpdate = {};
        if (v.kind !== before.kind) patch.kind = v.kind;
        if (startsAt !== localInputToUtc(before.starts_at)) patch.starts_at = startsAt;
        if (v.location.trim() !== before.location) patch.location = v.location.trim();
        if (v.status !== before.status) patch.status = v.status;
        if (v.notes !== before.notes) patch.notes = v.notes;
        if (Object.keys(patch).length === 0) {
          close("No changes to save.");
        } else {
          const { data, error, response } = await api.PATCH("/api/v1/hearings/{hearing_id}", {
            params: { path: { hearing_id: editing.hearing.id }, header: { "If-Match": editing.etag ?? "" } },
            headers: { "Content-Type": "application/merge-patch+json" },
            body: patch,
          });
          if (data) {
            setReloads((n) => n + 1);
            close("Hearing saved.");
          } else if (response.status === 412) {
            const p = toProblem(error, response);
            setStale(true);
            setFailure(staleFailure("This hearing has changed", STALE, p));
          } else setFailure(failureFrom(toProblem(error, response), SPECS));
        }
      }
    } catch (err) {
      setFailure(failureFrom(toProblem(err), SPECS));
    }
    setSaving(false);
  };

  const reloadStale = () => {
    if (editing?.mode === "edit") void startEdit(editing.hearing.id);
  };

  return (
    <section class="section" aria-labelledby="hearings-heading">
      <div class="section-head">
        <h2 id="hearings-heading">Hearings</h2>
        {canEdit && !editing && (
          <button type="button" id="add-hearing" class="button" onClick={startNew}>
            Add hearing
          </button>
        )}
      </div>
      <p role="status" class="status-message">
        {message}
      </p>
      {openProblem && <ProblemAlert problem={openProblem} />}

      {editing && (
        <HearingForm
          key={editing.mode === "edit" ? `${editing.hearing.id}-${editing.hearing.version}` : "new"}
          heading={
            editing.mode === "new"
              ? "Add a hearing"
              : `Change the ${hearingKindLabel(editing.hearing.kind).toLowerCase()} hearing`
          }
          initial={editing.mode === "edit" ? toForm(editing.hearing) : EMPTY}
          submitLabel={editing.mode === "new" ? "Add hearing" : "Save hearing"}
          submitting={saving}
          failure={failure}
          staleAction={
            stale && (
              <button type="button" id="reload-hearing" class="button button--secondary" onClick={reloadStale}>
                Reload the hearing
              </button>
            )
          }
          onSubmit={(v) => void submit(v)}
          onCancel={() => close()}
        />
      )}

      <ListStatus
        list={list}
        one="hearing"
        many="hearings"
        emptyTitle="No hearings yet."
        emptyHint={canEdit ? "Schedule one with “Add hearing”." : "None has been scheduled."}
      />

      {list.items.length > 0 && (
        <table class="data-table" id="hearings-table" aria-busy={list.loading ? "true" : undefined}>
          <caption class="visually-hidden">Hearings, earliest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Kind</th>
              <th scope="col">Location</th>
              <th scope="col">Status</th>
              {canEdit && (
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {list.items.map((h) => (
              <tr key={h.id}>
                <td data-label="When" class="data-table__title">
                  <time dateTime={h.starts_at}>{formatHearingTime(h.starts_at)}</time>
                </td>
                <td data-label="Kind">{hearingKindLabel(h.kind)}</td>
                <td data-label="Location">{h.location || <span class="muted">Not set</span>}</td>
                <td data-label="Status">
                  <span class={`pill pill--hearing-${h.status}`}>{hearingStatusLabel(h.status)}</span>
                </td>
                {canEdit && (
                  <td data-label="Actions">
                    <button
                      type="button"
                      id={`edit-hearing-${h.id}`}
                      class="button button--secondary button--small"
                      disabled={opening === h.id}
                      onClick={() => void startEdit(h.id)}
                    >
                      Edit
                      <span class="visually-hidden">
                        {" "}
                        the {hearingKindLabel(h.kind).toLowerCase()} hearing of {formatHearingTime(h.starts_at)}
                      </span>
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.cursor && !list.loading && <LoadMore id="more-hearings" busy={list.loadingMore} onClick={list.loadMore} />}
    </section>
  );
}

interface FormProps {
  heading: string;
  initial: HearingFormValues;
  submitLabel: string;
  submitting: boolean;
  failure: Failure | null;
  staleAction?: ComponentChildren;
  onSubmit: (v: HearingFormValues) => void;
  onCancel: () => void;
}

/** HearingForm adds or changes one hearing; the time is typed in the browser's time zone and sent in UTC. */
export function HearingForm(props: FormProps) {
  const { failure } = props;
  const [values, setValues] = useState(props.initial);
  const latest = useRef(values);
  const first = useRef<HTMLSelectElement>(null);
  const zone = localTimeZone();

  useEffect(() => first.current?.focus(), []);

  const set =
    (name: keyof HearingFormValues) => (e: TargetedEvent<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>) => {
      latest.current = { ...latest.current, [name]: e.currentTarget.value };
      setValues(latest.current);
    };

  const submit = (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (!props.submitting) props.onSubmit(latest.current);
  };

  const field = (name: keyof HearingFormValues, hint?: string) => {
    const id = SPECS[name]!.id;
    return { id, name, value: values[name], onInput: set(name), ...invalid(id, failure, hint) };
  };

  return (
    <form id="hearing-form" class="panel stacked-form" noValidate onSubmit={submit} aria-labelledby="hearing-form-heading">
      <h3 id="hearing-form-heading">{props.heading}</h3>
      {failure && (
        <ErrorSummary failure={failure} order={ORDER} />
      )}
      {props.staleAction && <p>{props.staleAction}</p>}
      <div class="form-grid">
        <div class="field">
          <label for="hearing-kind">Kind of hearing</label>
          <select ref={first} required {...field("kind")} onChange={set("kind")}>
            {!values.kind && <option value="">Choose a kind</option>}
            {HEARING_KINDS.map((k) => (
              <option key={k.value} value={k.value}>
                {k.label}
              </option>
            ))}
          </select>
          <FieldError id="hearing-kind" failure={failure} />
        </div>
        <div class="field">
          <label for="hearing-starts-at">Date and time</label>
          <input type="datetime-local" required {...field("starts_at", "hearing-starts-at-hint")} />
          <p id="hearing-starts-at-hint" class="hint">
            In your time zone ({zone}).
          </p>
          <FieldError id="hearing-starts-at" failure={failure} />
        </div>
        <div class="field field--wide">
          <label for="hearing-location">
            Location<span class="optional"> (optional)</span>
          </label>
          <input type="text" autoComplete="off" placeholder="Courtroom 10, Mesa County Justice Center" {...field("location")} />
          <FieldError id="hearing-location" failure={failure} />
        </div>
        <div class="field">
          <label for="hearing-status">Status</label>
          <select {...field("status")} onChange={set("status")}>
            {HEARING_STATUSES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
          <FieldError id="hearing-status" failure={failure} />
        </div>
        <div class="field field--wide">
          <label for="hearing-notes">
            Notes<span class="optional"> (optional)</span>
          </label>
          <textarea rows={3} {...field("notes")} />
          <FieldError id="hearing-notes" failure={failure} />
        </div>
      </div>
      <div class="form-actions">
        <button type="submit" id="save-hearing" class="button" disabled={props.submitting}>
          {props.submitLabel}
        </button>
        <button type="button" id="cancel-hearing" class="button button--secondary" onClick={props.onCancel}>
          Cancel
        </button>
        <span class="muted" role="status">
          {props.submitting ? "Saving…" : ""}
        </span>
      </div>
    </form>
  );
}
