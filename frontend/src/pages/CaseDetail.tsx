import { useEffect, useRef, useState } from "preact/hooks";
import { api, toProblem, type Case, type CaseUpdate, type Problem } from "../api/client";
import { CaseForm, type CaseFormValues } from "../components/CaseForm";
import { CaseTeam } from "../components/CaseTeam";
import { ProblemAlert } from "../components/ProblemAlert";
import { StatusBadge } from "../components/StatusBadge";
import { formatDate, formatInstant, setTitle } from "../format";
import { jurisdictionName, useJurisdictions } from "../jurisdictions";
import { Link } from "../router";
import { listHref } from "./CaseList";

type Load = { state: "loading" } | { state: "ok" } | { state: "not-found" } | { state: "error"; problem: Problem };

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

export function CaseDetail({ id }: { id: string }) {
  const [load, setLoad] = useState<Load>({ state: "loading" });
  const [kase, setKase] = useState<Case | null>(null);
  const [etag, setEtag] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  const [saving, setSaving] = useState(false);
  const [saveProblem, setSaveProblem] = useState<Problem | null>(null);
  const [message, setMessage] = useState("");
  const jurisdictions = useJurisdictions();
  const editButton = useRef<HTMLButtonElement>(null);
  const focusEdit = useRef(false);

  const fetchCase = async () => {
    setLoad({ state: "loading" });
    try {
      const { data, error, response } = await api.GET("/api/v1/cases/{case_id}", {
        params: { path: { case_id: id } },
      });
      if (data) {
        setKase(data);
        setEtag(response.headers.get("ETag"));
        setLoad({ state: "ok" });
      } else if (response.status === 404 || response.status === 400) {
        setLoad({ state: "not-found" });
      } else {
        setLoad({ state: "error", problem: toProblem(error, response) });
      }
    } catch (err) {
      setLoad({ state: "error", problem: toProblem(err) });
    }
  };

  useEffect(() => {
    void fetchCase();
  }, [id]);

  useEffect(() => {
    if (load.state === "not-found") setTitle("Case not found");
    else if (kase) setTitle(kase.caption);
    else setTitle("Case");
  }, [load.state, kase?.caption]);

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
    await fetchCase();
    setMessage("Reloaded.");
  };

  const save = async (v: CaseFormValues) => {
    if (!kase) return;
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
        setKase(data);
        setEtag(response.headers.get("ETag"));
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

  const back = (
    <p class="back">
      <Link href={listHref()}>Back to cases</Link>
    </p>
  );

  if (load.state === "not-found") {
    return (
      <>
        <h1>Case not found</h1>
        <p>There is no case at this address, or you may not see it.</p>
        <p>
          <Link href={listHref()}>Back to cases</Link>
        </p>
      </>
    );
  }

  if (!kase) {
    return (
      <>
        {back}
        <h1>{load.state === "loading" ? "Loading case…" : "Case"}</h1>
        {load.state === "error" && <ProblemAlert problem={load.problem} />}
      </>
    );
  }

  return (
    <div class="narrow">
      {back}
      <div class="page-head">
        <h1>{kase.caption}</h1>
        {!editing && (
          <button type="button" id="edit-case" class="button" ref={editButton} onClick={startEditing}>
            Edit
          </button>
        )}
      </div>

      <p role="status" class="status-message">
        {message}
      </p>
      {load.state === "error" && <ProblemAlert problem={load.problem} />}

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

      <CaseTeam caseId={kase.id} />
    </div>
  );
}
