import { useRef, useState } from "preact/hooks";
import { api, toProblem, type Defendant, type DefendantCreate, type DefendantUpdate, type Problem } from "../../api/client";
import {
  DefendantForm,
  EMPTY_DEFENDANT,
  chargesOf,
  defendantSpecs,
  defendantToForm,
  type DefendantFormValues,
} from "../../components/DefendantForm";
import { failureFrom, staleFailure, type Failure } from "../../components/FormErrors";
import { ListStatus, LoadMore, usePagedList } from "../../components/PagedList";
import { ProblemAlert } from "../../components/ProblemAlert";
import { formatDate } from "../../format";
import { canEditCourtRecord, dispositionLabel, etagOf } from "../../intake";
import { useCurrentUser } from "../../session";

type Editing = { mode: "new" } | { mode: "edit"; defendant: Defendant; etag: string | null } | null;

const STALE = "Someone else changed this defendant since you opened it. Reload to see their change, then make yours again.";

/** DefendantsTab lists a case's defendants with the counts charged, and adds or changes them. */
export function DefendantsTab({ caseId }: { caseId: string }) {
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
  const returnTo = useRef("add-defendant");

  const list = usePagedList(
    (after, signal) =>
      api.GET("/api/v1/cases/{case_id}/defendants", { params: { path: { case_id: caseId }, query: { cursor: after } }, signal }),
    [caseId, reloads],
  );

  const close = (msg = "") => {
    setEditing(null);
    setFailure(null);
    setStale(false);
    setMessage(msg);
    const id = returnTo.current;
    window.setTimeout(() => (document.getElementById(id) ?? document.getElementById("add-defendant"))?.focus(), 0);
  };

  const startNew = () => {
    returnTo.current = "add-defendant";
    setMessage("");
    setFailure(null);
    setStale(false);
    setEditing({ mode: "new" });
  };

  const startEdit = async (id: string) => {
    returnTo.current = `edit-defendant-${id}`;
    setMessage("");
    setOpenProblem(null);
    setOpening(id);
    try {
      const { data, error, response } = await api.GET("/api/v1/defendants/{defendant_id}", {
        params: { path: { defendant_id: id } },
      });
      if (data) {
        setFailure(null);
        setStale(false);
        setEditing({ mode: "edit", defendant: data, etag: etagOf(response) });
      } else setOpenProblem(toProblem(error, response));
    } catch (err) {
      setOpenProblem(toProblem(err));
    }
    setOpening(null);
  };

  const submit = async (v: DefendantFormValues) => {
    if (!editing) return;
    const specs = defendantSpecs(v.charges.length);
    setSaving(true);
    setStale(false);
    try {
      if (editing.mode === "new") {
        const body: DefendantCreate = { name: v.name, charges: chargesOf(v.charges) };
        if (v.date_of_birth) body.date_of_birth = v.date_of_birth;
        const { data, error, response } = await api.POST("/api/v1/cases/{case_id}/defendants", {
          params: { path: { case_id: caseId } },
          body,
        });
        if (data) {
          setReloads((n) => n + 1);
          close(`${data.name} added with ${data.charges.length} ${data.charges.length === 1 ? "count" : "counts"}.`);
        } else setFailure(failureFrom(toProblem(error, response), specs));
      } else {
        const d = editing.defendant;
        const patch: DefendantUpdate = {};
        if (v.name !== d.name) patch.name = v.name;
        if (v.date_of_birth !== (d.date_of_birth ?? "")) patch.date_of_birth = v.date_of_birth || null;
        const charges = chargesOf(v.charges);
        if (JSON.stringify(charges) !== JSON.stringify(chargesOf(defendantToForm(d).charges))) patch.charges = charges;
        if (Object.keys(patch).length === 0) {
          close("No changes to save.");
        } else {
          const { data, error, response } = await api.PATCH("/api/v1/defendants/{defendant_id}", {
            params: { path: { defendant_id: d.id }, header: { "If-Match": editing.etag ?? "" } },
            headers: { "Content-Type": "application/merge-patch+json" },
            body: patch,
          });
          if (data) {
            setReloads((n) => n + 1);
            close(`${data.name} saved.`);
          } else if (response.status === 412) {
            const p = toProblem(error, response);
            setStale(true);
            setFailure(staleFailure("This defendant has changed", STALE, p));
          } else setFailure(failureFrom(toProblem(error, response), specs));
        }
      }
    } catch (err) {
      setFailure(failureFrom(toProblem(err), specs));
    }
    setSaving(false);
  };

  return (
    <section aria-labelledby="defendants-heading">
      <div class="section-head">
        <h2 id="defendants-heading">Defendants and charges</h2>
        {canEdit && !editing && (
          <button type="button" id="add-defendant" class="button" onClick={startNew}>
            Add defendant
          </button>
        )}
      </div>
      <p role="status" class="status-message">
        {message}
      </p>
      {openProblem && <ProblemAlert problem={openProblem} />}

      {editing && (
        <DefendantForm
          key={editing.mode === "edit" ? `${editing.defendant.id}-${editing.defendant.version}` : "new"}
          heading={editing.mode === "new" ? "Add a defendant" : `Change ${editing.defendant.name}`}
          initial={editing.mode === "edit" ? defendantToForm(editing.defendant) : EMPTY_DEFENDANT()}
          submitLabel={editing.mode === "new" ? "Add defendant" : "Save defendant"}
          submitting={saving}
          failure={failure}
          problemAction={
            stale &&
            editing.mode === "edit" && (
              <p>
                <button
                  type="button"
                  id="reload-defendant"
                  class="button button--secondary"
                  onClick={() => void startEdit(editing.defendant.id)}
                >
                  Reload the defendant
                </button>
              </p>
            )
          }
          onSubmit={(v) => void submit(v)}
          onCancel={() => close()}
        />
      )}

      <ListStatus
        list={list}
        one="defendant"
        many="defendants"
        emptyTitle="No defendants yet."
        emptyHint={canEdit ? "Add one with “Add defendant”." : "None has been recorded in this case."}
      />

      {list.items.length > 0 && (
      <ul class="card-list" id="defendants-list">
        {list.items.map((d) => (
          <li key={d.id} class="card" id={`defendant-${d.id}`}>
            <div class="card__head">
              <h3 class="card__title">{d.name}</h3>
              {canEdit && (
                <button
                  type="button"
                  id={`edit-defendant-${d.id}`}
                  class="button button--secondary button--small"
                  disabled={opening === d.id}
                  onClick={() => void startEdit(d.id)}
                >
                  Edit<span class="visually-hidden"> {d.name}</span>
                </button>
              )}
            </div>
            {d.date_of_birth && (
              <p class="card__meta">
                Born <time dateTime={d.date_of_birth}>{formatDate(d.date_of_birth)}</time>
              </p>
            )}
            {d.charges.length === 0 ? (
              <p class="muted">No counts recorded.</p>
            ) : (
              <table class="data-table charges-table">
                <caption class="visually-hidden">Counts charged against {d.name}</caption>
                <thead>
                  <tr>
                    <th scope="col">Count</th>
                    <th scope="col">Statute</th>
                    <th scope="col">Description</th>
                    <th scope="col">Disposition</th>
                  </tr>
                </thead>
                <tbody>
                  {d.charges.map((c) => (
                    <tr key={c.id}>
                      <td data-label="Count">{c.count_number}</td>
                      <td data-label="Statute">{c.statute}</td>
                      <td data-label="Description">{c.description || <span class="muted">None</span>}</td>
                      <td data-label="Disposition">
                        <span class={`pill pill--disposition-${c.disposition}`}>{dispositionLabel(c.disposition)}</span>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </li>
        ))}
      </ul>
      )}
      {list.cursor && !list.loading && <LoadMore id="more-defendants" busy={list.loadingMore} onClick={list.loadMore} />}
    </section>
  );
}
