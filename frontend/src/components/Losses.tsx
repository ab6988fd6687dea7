import type { TargetedSubmitEvent } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import {
  api,
  toProblem,
  type Defendant,
  type Loss,
  type LossDocument,
  type LossStatus,
  type LossUpdate,
  type Problem,
  type Victim,
} from "../api/client";
import { clearDraft, draftEpoch, draftKey, loadDraft, saveDraft } from "../drafts";
import { formatDate, formatInstant } from "../format";
import { etagOf } from "../intake";
import { MOVES, canReadLosses, canWriteLosses, lossCategoryLabel, lossStatusLabel } from "../losses";
import { centsToInput, formatCents, formatHours, parseDollars } from "../money";
import { useCurrentUser } from "../session";
import { FieldError, invalid, staleFailure, type Failure } from "./FormErrors";
import { LossDocuments } from "./LossDocuments";
import { EMPTY_LOSS, LossForm, isBlankLoss, lossFailure, lossFromDraft, lossToForm, type LossFormValues, type LossSubmit } from "./LossForm";
import { ProblemAlert } from "./ProblemAlert";
import { VoidDialog } from "./VoidDialog";

const STALE = "Someone else changed this loss since you opened it, so nothing was changed. Reload it to see their change, then try again.";

/** LossesSection is the "Losses" section of a victim's page; clerks never see it, and nothing is asked for them. */
export function LossesSection({ victim }: { victim: Victim }) {
  const me = useCurrentUser();
  if (!me || !canReadLosses(me.role) || victim.view === "clerk") return null;
  return (
    <Losses
      victimId={victim.id}
      caseId={victim.case_id}
      victimName={victim.name}
      userId={me.id}
      mayWrite={canWriteLosses(me.role) && victim.view === "full"}
      heading
    />
  );
}

interface LossesProps {
  victimId: string;
  caseId: string;
  victimName: string;
  userId: string;
  mayWrite: boolean;
  /** Show the section's own heading (the victim page); the intake wizard's step has its own. */
  heading: boolean;
}

/** The loss whose panel is open, with the ETag its changes must name. */
interface Open {
  loss: Loss;
  etag: string | null;
}

/** counts tells whether a loss adds to the totals: voided and excluded losses count nothing (getLossSummary). */
const counts = (l: Loss) => !l.voided_at && l.status !== "excluded";

/**
 * Losses is a victim's itemized losses: a table with its totals, "Add a loss", and one loss at a time opened
 * below the table with its details, its status moves, editing, voiding and documents. Every change names the
 * ETag the loss was read with: a change made meanwhile by someone else is refused (412) and said so.
 */
export function Losses(props: LossesProps) {
  const { victimId, caseId, mayWrite } = props;
  const draftName = draftKey("loss", props.userId, victimId);
  const epoch = useRef(draftEpoch());
  const [items, setItems] = useState<Loss[]>([]);
  const [loading, setLoading] = useState(true);
  const [forbidden, setForbidden] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [showVoided, setShowVoided] = useState(false);
  const [defendants, setDefendants] = useState<Defendant[]>([]);
  const [message, setMessage] = useState("");
  const draft = useRef(loadDraft<LossFormValues>(draftName));
  const [adding, setAdding] = useState<LossFormValues | null>(() => (draft.current ? lossFromDraft(draft.current) : null));
  const [restored, setRestored] = useState(() => !!draft.current);
  const [addBusy, setAddBusy] = useState(false);
  const [addFailure, setAddFailure] = useState<Failure | null>(null);
  const [open, setOpen] = useState<Open | null>(null);

  useEffect(() => {
    let live = true;
    const ctrl = new AbortController();
    setLoading(true);
    setProblem(null);
    (async () => {
      const all: Loss[] = [];
      let cursor: string | undefined;
      try {
        do {
          const { data, error, response } = await api.GET("/api/v1/victims/{victim_id}/losses", {
            params: { path: { victim_id: victimId }, query: { include_voided: showVoided, limit: 500, cursor } },
            signal: ctrl.signal,
          });
          if (!live) return;
          if (!data) {
            if (response.status === 403) setForbidden(true);
            else setProblem(toProblem(error, response));
            setLoading(false);
            return;
          }
          all.push(...data.items);
          cursor = data.next_cursor ?? undefined;
        } while (cursor);
        setItems(all);
      } catch (err) {
        if (live) setProblem(toProblem(err));
      }
      if (live) setLoading(false);
    })();
    return () => {
      live = false;
      ctrl.abort();
    };
  }, [victimId, showVoided]);

  // The case's defendants and their counts, for tying a loss to them.
  useEffect(() => {
    if (!mayWrite) return;
    let live = true;
    api
      .GET("/api/v1/cases/{case_id}/defendants", { params: { path: { case_id: caseId }, query: { limit: 500 } } })
      .then(({ data }) => live && data && setDefendants(data.items))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [caseId, mayWrite]);

  /** replace puts a changed loss in the table (and in the open panel), or drops it when voided ones are hidden. */
  const replace = (l: Loss, etag?: string | null) => {
    setItems((prev) => prev.map((x) => (x.id === l.id ? l : x)).filter((x) => showVoided || !x.voided_at));
    setOpen((o) => (o && o.loss.id === l.id ? { loss: l, etag: etag === undefined ? o.etag : etag } : o));
  };

  const startAdding = () => {
    setOpen(null);
    setMessage("");
    setAddFailure(null);
    setRestored(false);
    setAdding({ ...EMPTY_LOSS });
  };

  const stopAdding = (msg = "") => {
    clearDraft(draftName);
    setAdding(null);
    setRestored(false);
    setAddFailure(null);
    setMessage(msg);
    window.setTimeout(() => document.getElementById("add-loss")?.focus(), 0);
  };

  const onDraft = (v: LossFormValues) => {
    if (draftEpoch() !== epoch.current) return;
    if (isBlankLoss(v)) clearDraft(draftName);
    else saveDraft(draftName, v);
  };

  const create = async (s: LossSubmit, time: boolean) => {
    if (s.kind !== "create") return;
    setAddBusy(true);
    try {
      const { data, error, response } = await api.POST("/api/v1/victims/{victim_id}/losses", {
        params: { path: { victim_id: victimId } },
        body: s.body,
      });
      if (data) {
        setItems((prev) => [data, ...prev]);
        stopAdding(`${lossCategoryLabel(data.category)} of ${formatCents(data.claimed_cents)} added.`);
        // Open the new loss, so that its receipts can be attached straight away.
        setOpen({ loss: data, etag: etagOf(response) });
      } else setAddFailure(lossFailure(toProblem(error, response), time));
    } catch (err) {
      setAddFailure(lossFailure(toProblem(err), time));
    }
    setAddBusy(false);
  };

  const openLoss = async (id: string) => {
    if (open?.loss.id === id) {
      setOpen(null);
      return;
    }
    setAdding(null);
    setMessage("");
    try {
      const { data, error, response } = await api.GET("/api/v1/losses/{loss_id}", { params: { path: { loss_id: id } } });
      if (data) {
        setOpen({ loss: data, etag: etagOf(response) });
        replace(data, etagOf(response));
      } else setProblem(toProblem(error, response));
    } catch (err) {
      setProblem(toProblem(err));
    }
  };

  if (forbidden) return null;

  const shown = items;
  const counted = shown.filter(counts);
  const sum = (f: (l: Loss) => number | null) => counted.reduce((acc, l) => acc + BigInt(f(l) ?? 0), 0n);
  const totals = {
    claimed: sum((l) => l.claimed_cents),
    verified: sum((l) => l.verified_cents),
    reimbursed: sum((l) => l.reimbursed_cents),
  };
  const canAdd = mayWrite && adding === null;

  const body = (
    <>
      <div class="section-head">
        {props.heading ? <h2 id="losses-heading">Losses</h2> : <h3 id="losses-heading">Losses recorded</h3>}
        {canAdd && (
          <button type="button" id="add-loss" class="button" onClick={startAdding}>
            Add a loss
          </button>
        )}
      </div>
      <p role="status" class="status-message" id="losses-message">
        {message}
      </p>
      {problem && <ProblemAlert problem={problem} />}

      {adding && (
        <>
          {restored && (
            <div class="callout" id="loss-draft-restored">
              <p>Your unsaved loss is back, as you typed it.</p>
            </div>
          )}
          <LossForm
            initial={adding}
            defendants={defendants}
            submitting={addBusy}
            failure={addFailure}
            title="Add a loss"
            submitLabel="Add loss"
            onChange={onDraft}
            onSubmit={(s, time) => void create(s, time)}
            onCancel={() => stopAdding()}
          />
        </>
      )}

      <div class="check loss-filter">
        <input
          type="checkbox"
          id="show-voided"
          checked={showVoided}
          onChange={(e) => {
            setOpen(null);
            setShowVoided(e.currentTarget.checked);
          }}
        />
        <label for="show-voided">Show voided losses</label>
      </div>

      {loading && shown.length === 0 ? (
        <p class="list-status" role="status">
          Loading losses…
        </p>
      ) : shown.length === 0 ? (
        <div class="empty" id="no-losses">
          <p class="empty__title">No losses recorded{showVoided ? "" : " (voided ones hidden)"}.</p>
          {mayWrite && <p>Add each one with “Add a loss”: what it is, what it cost, and its receipts.</p>}
        </div>
      ) : (
        <table class="data-table loss-table" id="losses-table" aria-busy={loading ? "true" : undefined}>
          <caption class="visually-hidden">Losses of {props.victimName}, newest first, with totals</caption>
          <thead>
            <tr>
              <th scope="col">Category</th>
              <th scope="col">Description</th>
              <th scope="col">Incurred on</th>
              <th scope="col" class="num">
                Claimed
              </th>
              <th scope="col" class="num">
                Verified
              </th>
              <th scope="col" class="num">
                Reimbursed
              </th>
              <th scope="col">Status</th>
              <th scope="col" class="num">
                Documents
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((l) => {
              const docs = l.documents.filter((d) => !d.voided_at).length;
              const isOpen = open?.loss.id === l.id;
              return (
                <tr key={l.id} id={`loss-${l.id}`} class={l.voided_at ? "is-voided" : undefined}>
                  <td data-label="Category" class="data-table__title">
                    <span class="loss-table__category">{lossCategoryLabel(l.category)}</span>
                    <button
                      type="button"
                      class="button button--secondary button--small loss-table__open"
                      id={`open-loss-${l.id}`}
                      aria-expanded={isOpen ? "true" : "false"}
                      aria-controls="loss-panel"
                      onClick={() => void openLoss(l.id)}
                    >
                      {isOpen ? "Close" : mayWrite && !l.voided_at ? "Manage" : "Details"}
                      <span class="visually-hidden">
                        {" "}
                        {lossCategoryLabel(l.category)}, {formatCents(l.claimed_cents)}
                      </span>
                    </button>
                  </td>
                  <td data-label="Description">{l.description ? <span class="clamp">{l.description}</span> : <span class="muted">None</span>}</td>
                  <td data-label="Incurred on">
                    {l.incurred_on ? <time dateTime={l.incurred_on}>{formatDate(l.incurred_on)}</time> : <span class="muted">Not recorded</span>}
                  </td>
                  <td data-label="Claimed" class="num" data-cents={l.claimed_cents}>
                    {formatCents(l.claimed_cents)}
                  </td>
                  <td data-label="Verified" class="num">
                    {l.verified_cents === null ? <span class="muted">Not yet</span> : formatCents(l.verified_cents)}
                  </td>
                  <td data-label="Reimbursed" class="num">
                    {formatCents(l.reimbursed_cents)}
                  </td>
                  <td data-label="Status">
                    <LossBadge loss={l} />
                  </td>
                  <td data-label="Documents" class="num">
                    {docs}
                  </td>
                </tr>
              );
            })}
          </tbody>
          <tfoot>
            <tr id="losses-totals">
              <td data-label="Total" class="data-table__title" colSpan={3}>
                Total <span class="muted total-note">({counted.length} counted; voided and excluded losses count nothing)</span>
              </td>
              <td data-label="Claimed" class="num" id="total-claimed">
                {formatCents(totals.claimed)}
              </td>
              <td data-label="Verified" class="num" id="total-verified">
                {formatCents(totals.verified)}
              </td>
              <td data-label="Reimbursed" class="num" id="total-reimbursed">
                {formatCents(totals.reimbursed)}
              </td>
              <td colSpan={2} class="empty-cell"></td>
            </tr>
          </tfoot>
        </table>
      )}

      <div id="loss-panel">
        {open && (
          <LossPanel
            key={open.loss.id}
            open={open}
            mayWrite={mayWrite}
            defendants={defendants}
            onChange={replace}
            onClose={() => {
              const id = open.loss.id;
              setOpen(null);
              window.setTimeout(() => document.getElementById(`open-loss-${id}`)?.focus(), 0);
            }}
          />
        )}
      </div>
    </>
  );

  return props.heading ? (
    <section class="section losses" aria-labelledby="losses-heading" id="losses-section">
      {body}
    </section>
  ) : (
    <div class="losses" id="losses-section">
      {body}
    </div>
  );
}

/** LossBadge shows where a loss stands, and that it is void. */
export function LossBadge({ loss }: { loss: Loss }) {
  return (
    <span class="status-list">
      {loss.voided_at && <span class="badge badge--loss-voided">Voided</span>}
      <span class={`badge badge--loss-${loss.status}`}>{lossStatusLabel(loss.status)}</span>
    </span>
  );
}

interface PanelProps {
  open: Open;
  mayWrite: boolean;
  defendants: Defendant[];
  onChange: (l: Loss, etag: string | null) => void;
  onClose: () => void;
}

type Mode = "view" | "verify" | "edit";

/** LossPanel is one loss opened below the table: its details, status moves, editing, voiding and documents. */
function LossPanel({ open, mayWrite, defendants, onChange, onClose }: PanelProps) {
  const loss = open.loss;
  const [mode, setMode] = useState<Mode>("view");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [stale, setStale] = useState(false);
  const [message, setMessage] = useState("");
  const [verifyAmount, setVerifyAmount] = useState("");
  const [verifyFailure, setVerifyFailure] = useState<Failure | null>(null);
  const [editFailure, setEditFailure] = useState<Failure | null>(null);
  const [voiding, setVoiding] = useState(false);
  const [voidProblem, setVoidProblem] = useState<Problem | null>(null);
  const title = useRef<HTMLHeadingElement>(null);
  const writable = mayWrite && !loss.voided_at;

  useEffect(() => title.current?.focus(), []);

  const refused = (p: Problem, status: number) => {
    if (status === 412) {
      setStale(true);
      setProblem({ ...p, title: "This loss has changed", detail: STALE });
    } else if (status === 409) {
      setStale(true);
      setProblem({ ...p, title: "That change is not possible now" });
    } else setProblem(p);
  };

  const patch = async (body: LossUpdate, done: string, time = false) => {
    setBusy(true);
    setProblem(null);
    setStale(false);
    setMessage("");
    try {
      const { data, error, response } = await api.PATCH("/api/v1/losses/{loss_id}", {
        params: { path: { loss_id: loss.id }, header: { "If-Match": open.etag ?? "" } },
        headers: { "Content-Type": "application/merge-patch+json" },
        body,
      });
      if (data) {
        onChange(data, etagOf(response));
        setMode("view");
        setMessage(done);
        setVerifyFailure(null);
        setEditFailure(null);
        setBusy(false);
        return true;
      }
      const p = toProblem(error, response);
      if (response.status === 422 && mode === "edit") setEditFailure(lossFailure(p, time));
      else if (response.status === 422 && mode === "verify") {
        setVerifyFailure({ title: p.title, fields: { "verify-amount": Object.values(p.errors ?? {})[0] ?? p.detail ?? p.title }, other: [] });
      } else if (mode === "edit" && response.status === 412) {
        setEditFailure(staleFailure("This loss has changed", STALE, p));
        setStale(true);
      } else refused(p, response.status);
    } catch (err) {
      setProblem(toProblem(err));
    }
    setBusy(false);
    return false;
  };

  const move = (to: LossStatus) => {
    if (to === "verified") {
      setMode("verify");
      setVerifyFailure(null);
      setVerifyAmount(centsToInput(loss.verified_cents ?? loss.claimed_cents));
      window.setTimeout(() => document.getElementById("verify-amount")?.focus(), 0);
      return;
    }
    void patch({ status: to }, `Marked ${lossStatusLabel(to).toLowerCase()}.`);
  };

  const verify = (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    const p = parseDollars(verifyAmount, "The verified amount");
    if (!verifyAmount.trim() || !p.ok) {
      setVerifyFailure({ title: "", fields: { "verify-amount": p.ok ? "Enter the verified amount." : p.message }, other: [] });
      return;
    }
    setVerifyFailure(null);
    void patch({ status: "verified", verified_cents: p.value }, `Verified at ${formatCents(p.value)}.`);
  };

  const reload = async () => {
    setBusy(true);
    try {
      const { data, error, response } = await api.GET("/api/v1/losses/{loss_id}", { params: { path: { loss_id: loss.id } } });
      if (data) {
        onChange(data, etagOf(response));
        setProblem(null);
        setStale(false);
        setEditFailure(null);
        setMode("view");
        setMessage("Reloaded: this is the loss as it now stands.");
      } else setProblem(toProblem(error, response));
    } catch (err) {
      setProblem(toProblem(err));
    }
    setBusy(false);
  };

  const confirmVoid = async (reason: string) => {
    setBusy(true);
    setVoidProblem(null);
    try {
      const { data, error, response } = await api.POST("/api/v1/losses/{loss_id}/void", {
        params: { path: { loss_id: loss.id }, header: open.etag ? { "If-Match": open.etag } : {} },
        body: { reason },
      });
      if (data) {
        setVoiding(false);
        onChange(data, etagOf(response));
        setMessage("Loss voided. It stays on record, and counts in no total.");
      } else {
        const p = toProblem(error, response);
        if (response.status === 412) {
          setVoiding(false);
          refused(p, 412);
        } else setVoidProblem(p);
      }
    } catch (err) {
      setVoidProblem(toProblem(err));
    }
    setBusy(false);
  };

  const defendant = defendants.find((d) => d.id === loss.defendant_id);

  return (
    <section class="panel loss-panel" aria-labelledby="loss-panel-title">
      <div class="section-head">
        <h3 id="loss-panel-title" tabIndex={-1} ref={title}>
          {lossCategoryLabel(loss.category)}, {formatCents(loss.claimed_cents)}
        </h3>
        <button type="button" id="close-loss" class="button button--secondary button--small" onClick={onClose}>
          Close<span class="visually-hidden"> this loss</span>
        </button>
      </div>
      <p role="status" class="status-message" id="loss-message">
        {message}
      </p>
      {problem && (
        <ProblemAlert problem={problem}>
          {stale && (
            <p>
              <button type="button" id="reload-loss" class="button button--secondary" disabled={busy} onClick={() => void reload()}>
                Reload the loss
              </button>
            </p>
          )}
        </ProblemAlert>
      )}

      {mode === "edit" ? (
        <LossForm
          editing={loss}
          initial={lossToForm(loss)}
          defendants={defendants}
          submitting={busy}
          failure={editFailure}
          title="Change the loss"
          submitLabel="Save changes"
          onSubmit={(s, time) => {
            if (s.kind !== "update") return;
            if (Object.keys(s.patch).length === 0) {
              setMode("view");
              setMessage("No changes to save.");
              return;
            }
            void patch(s.patch, "Saved.", time);
          }}
          onCancel={() => {
            setMode("view");
            setEditFailure(null);
            window.setTimeout(() => document.getElementById("edit-loss")?.focus(), 0);
          }}
        />
      ) : (
        <>
          <dl class="details loss-details" id="loss-details">
            <div>
              <dt>Status</dt>
              <dd>
                <LossBadge loss={loss} />
              </dd>
            </div>
            <div>
              <dt>Claimed</dt>
              <dd>
                {formatCents(loss.claimed_cents)}
                {loss.hours !== null && loss.hourly_rate_cents !== null && (
                  <span class="muted">
                    {" "}
                    ({formatHours(loss.hours)} hours × {formatCents(loss.hourly_rate_cents)} an hour)
                  </span>
                )}
              </dd>
            </div>
            <div>
              <dt>Verified</dt>
              <dd>{loss.verified_cents === null ? <span class="muted">Not yet</span> : formatCents(loss.verified_cents)}</dd>
            </div>
            <div>
              <dt>Reimbursed</dt>
              <dd>
                {formatCents(loss.reimbursed_cents)}
                {loss.reimbursed_by && <> by {loss.reimbursed_by}</>}
              </dd>
            </div>
            <div>
              <dt>Description</dt>
              <dd class="notes">{loss.description || <span class="muted">None</span>}</dd>
            </div>
            <div>
              <dt>Incurred on</dt>
              <dd>{loss.incurred_on ? <time dateTime={loss.incurred_on}>{formatDate(loss.incurred_on)}</time> : <span class="muted">Not recorded</span>}</dd>
            </div>
            {loss.defendant_id && (
              <div>
                <dt>Defendant</dt>
                <dd>
                  {defendant?.name ?? "A defendant of the case"}
                  {loss.charge_count !== null && <>, count {loss.charge_count}</>}
                </dd>
              </div>
            )}
            {loss.voided_at && (
              <div>
                <dt>Voided</dt>
                <dd id="loss-void-reason">
                  <time dateTime={loss.voided_at}>{formatInstant(loss.voided_at)}</time>
                  {loss.void_reason && <>: {loss.void_reason}</>}
                </dd>
              </div>
            )}
            <div>
              <dt>Recorded</dt>
              <dd>
                <time dateTime={loss.created_at}>{formatInstant(loss.created_at)}</time>
              </dd>
            </div>
          </dl>

          {mode === "verify" && (
            <form class="verify-form" id="verify-form" noValidate onSubmit={verify}>
              <div class="field">
                <label for="verify-amount">Verified amount (dollars)</label>
                <input
                  type="text"
                  id="verify-amount"
                  inputMode="decimal"
                  autoComplete="off"
                  value={verifyAmount}
                  onInput={(e) => setVerifyAmount(e.currentTarget.value)}
                  {...invalid("verify-amount", verifyFailure, "verify-amount-hint")}
                />
                <p class="hint" id="verify-amount-hint">
                  What the office has checked against receipts or statements; the claim was {formatCents(loss.claimed_cents)}.
                </p>
                <FieldError id="verify-amount" failure={verifyFailure} />
              </div>
              <div class="actions">
                <button type="submit" id="confirm-verify" class="button" disabled={busy}>
                  Verify
                </button>
                <button type="button" id="cancel-verify" class="button button--secondary" onClick={() => setMode("view")}>
                  Cancel
                </button>
              </div>
            </form>
          )}

          {writable && mode === "view" && (
            <div class="actions loss-actions" role="group" aria-label="Change this loss">
              {MOVES[loss.status].map((m) => (
                <button
                  type="button"
                  key={m.to}
                  id={`move-${m.to}`}
                  class={m.to === "verified" ? "button button--small" : "button button--secondary button--small"}
                  disabled={busy}
                  onClick={() => move(m.to)}
                >
                  {m.label}
                  {m.to === "verified" && "…"}
                </button>
              ))}
              <button type="button" id="edit-loss" class="button button--secondary button--small" disabled={busy} onClick={() => setMode("edit")}>
                Edit
              </button>
              <button
                type="button"
                id="void-loss"
                class="button button--secondary button--small"
                disabled={busy}
                onClick={() => {
                  setVoidProblem(null);
                  setVoiding(true);
                }}
              >
                Void…
              </button>
            </div>
          )}
        </>
      )}

      <LossDocuments
        loss={loss}
        mayWrite={mayWrite}
        onChange={(documents: LossDocument[]) => onChange({ ...loss, documents }, open.etag)}
      />

      {voiding && (
        <VoidDialog
          id="void-loss"
          title="Void this loss?"
          busy={busy}
          problem={voidProblem}
          confirmLabel="Void loss"
          returnFocus={() => document.getElementById("loss-panel-title")}
          onConfirm={(r) => void confirmVoid(r)}
          onCancel={() => {
            setVoiding(false);
          }}
        >
          <p>
            {lossCategoryLabel(loss.category)}, {formatCents(loss.claimed_cents)}. A voided loss is never erased: it stays on
            record with your reason, counts in no total, and can no longer be changed.
          </p>
        </VoidDialog>
      )}
    </section>
  );
}
