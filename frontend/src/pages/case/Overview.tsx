import { useEffect, useRef, useState } from "preact/hooks";
import { api, toProblem, type Case, type CaseUpdate, type Problem } from "../../api/client";
import { CaseForm, type CaseFormValues } from "../../components/CaseForm";
import { CaseTeam } from "../../components/CaseTeam";
import { Hearings } from "../../components/Hearings";
import { ProblemAlert } from "../../components/ProblemAlert";
import { StatusBadge } from "../../components/StatusBadge";
import { formatDate, formatInstant } from "../../format";
import { jurisdictionName, useJurisdictions } from "../../jurisdictions";

const STALE: Problem = {
  type: "about:blank",
  title: "This case has changed",
  status: 412,
  detail: "Someone else changed this case since you opened it. Reload to see their changes.",
  request_id: "",
};

function toForm(c: Case): CaseFormValues {
  return {
    court_case_number: c.court_case_number,
    caption: c.caption,
    court: c.court,
    jurisdiction: c.jurisdiction,
    status: c.status,
    sentencing_date: c.sentencing_date ?? "",
    notes: c.notes,
  };
}

/** changes is the merge patch that turns the stored case into the edited one: changed fields only. */
function changes(c: Case, v: CaseFormValues): CaseUpdate {
  const before = toForm(c);
  const patch: CaseUpdate = {};
  for (const key of Object.keys(before) as (keyof CaseFormValues)[]) {
    if (v[key] === before[key]) continue;
    if (key === "sentencing_date") patch.sentencing_date = v.sentencing_date || null;
    else if (key === "status") patch.status = v.status;
    else patch[key] = v[key];
  }
  return patch;
}

interface Props {
  kase: Case;
  etag: string | null;
  /** Why the last reload of the case failed, if it did. */
  loadProblem: Problem | null;
  onSaved: (c: Case, etag: string | null) => void;
  onReload: () => Promise<void>;
}

/** CaseOverview is a case's first section: its details (editable), its team and its hearings. */
export function CaseOverview({ kase, etag, loadProblem, onSaved, onReload }: Props) {
  const [editing, setEditing] = useState(false);
  const [saving, setSaving] = useState(false);
  const [saveProblem, setSaveProblem] = useState<Problem | null>(null);
  const [message, setMessage] = useState("");
  const jurisdictions = useJurisdictions();
  const editButton = useRef<HTMLButtonElement>(null);
  const focusEdit = useRef(false);

  // Keep the keyboard where the work is: in the form when it opens, on Edit when it closes.
  useEffect(() => {
    if (editing) document.getElementById("court_case_number")?.focus();
    else if (focusEdit.current) {
      focusEdit.current = false;
      editButton.current?.focus();
    }
  }, [editing]);

  const startEditing = () => {
    setMessage("");
    setSaveProblem(null);
    setEditing(true);
  };

  const stopEditing = (msg = "") => {
    focusEdit.current = true;
    setSaveProblem(null);
    setEditing(false);
    setMessage(msg);
  };

  const reload = async () => {
    focusEdit.current = true;
    setSaveProblem(null);
    setEditing(false);
    await onReload();
    setMessage("Reloaded.");
  };

  const save = async (v: CaseFormValues) => {
    const patch = changes(kase, v);
    if (Object.keys(patch).length === 0) {
      stopEditing("No changes to save.");
      return;
    }
    setSaving(true);
    setSaveProblem(null);
    try {
      const { data, error, response } = await api.PATCH("/api/v1/cases/{case_id}", {
        params: { path: { case_id: kase.id }, header: etag ? { "If-Match": etag } : undefined },
        headers: { "Content-Type": "application/merge-patch+json" },
        body: patch,
      });
      if (data) {
        onSaved(data, response.headers.get("ETag"));
        stopEditing("Saved.");
      } else if (response.status === 412) {
        setSaveProblem({ ...STALE, request_id: toProblem(error, response).request_id });
      } else {
        setSaveProblem(toProblem(error, response));
      }
    } catch (err) {
      setSaveProblem(toProblem(err));
    }
    setSaving(false);
  };

  return (
    <>
      <section aria-labelledby="details-heading">
        <div class="section-head">
          <h2 id="details-heading">Case details</h2>
          {!editing && (
            <button type="button" id="edit-case" class="button" ref={editButton} onClick={startEditing}>
              Edit<span class="visually-hidden"> case details</span>
            </button>
          )}
        </div>

        <p role="status" class="status-message">
          {message}
        </p>
        {loadProblem && <ProblemAlert problem={loadProblem} />}

        {editing ? (
          <CaseForm
            initial={toForm(kase)}
            submitId="save-case"
            submitLabel="Save changes"
            submitting={saving}
            problem={saveProblem}
            problemAction={
              saveProblem?.status === 412 && (
                <p>
                  <button type="button" id="reload-case" class="button button--secondary" onClick={() => void reload()}>
                    Reload
                  </button>
                </p>
              )
            }
            onSubmit={(v) => void save(v)}
            onCancel={() => stopEditing()}
          />
        ) : (
          <dl class="details">
            <div>
              <dt>Case number</dt>
              <dd>{kase.court_case_number}</dd>
            </div>
            <div>
              <dt>Court</dt>
              <dd>{kase.court}</dd>
            </div>
            <div>
              <dt>Jurisdiction</dt>
              <dd>{jurisdictionName(jurisdictions.items, kase.jurisdiction)}</dd>
            </div>
            <div>
              <dt>Status</dt>
              <dd>
                <StatusBadge status={kase.status} />
              </dd>
            </div>
            <div>
              <dt>Sentencing date</dt>
              <dd>
                {kase.sentencing_date ? (
                  <time dateTime={kase.sentencing_date}>{formatDate(kase.sentencing_date)}</time>
                ) : (
                  "Not set"
                )}
              </dd>
            </div>
            <div>
              <dt>Notes</dt>
              <dd class="notes">{kase.notes || <span class="muted">None</span>}</dd>
            </div>
            <div>
              <dt>Created</dt>
              <dd>
                <time dateTime={kase.created_at}>{formatInstant(kase.created_at)}</time>
              </dd>
            </div>
            <div>
              <dt>Updated</dt>
              <dd>
                <time dateTime={kase.updated_at}>{formatInstant(kase.updated_at)}</time>
              </dd>
            </div>
            <div>
              <dt>Version</dt>
              <dd>{kase.version}</dd>
            </div>
          </dl>
        )}
      </section>

      <Hearings caseId={kase.id} />

      <CaseTeam caseId={kase.id} />
    </>
  );
}
