import type { TargetedEvent, TargetedSubmitEvent } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, toProblem, type Problem, type Statement, type StatementUpdate, type Victim } from "../api/client";
import { ErrorSummary, FieldError, failureFrom, invalid, type Failure, type FieldSpec } from "../components/FormErrors";
import { ProblemAlert } from "../components/ProblemAlert";
import { StatementBadge } from "../components/StatementBadge";
import { StatementTextView } from "../components/StatementTextView";
import { clearDraft, draftEpoch, draftKey, loadDraft, saveDraft } from "../drafts";
import { takeFlash } from "../flash";
import { formatInstant, setTitle } from "../format";
import { etagOf } from "../intake";
import { Link } from "../router";
import { useCurrentUser } from "../session";
import {
  DELIVERIES,
  MAX_CHARS,
  NEAR_CHARS,
  STATEMENT_LANGUAGES,
  TEXT_FIELDS,
  canWriteStatements,
  changedFields,
  countChars,
  statementHistoryHref,
  statementHref,
  valuesOf,
  type StatementValues,
  type TextField,
} from "../statements";
import { victimHref } from "./case/VictimsTab";

type Load = { state: "loading" } | { state: "ok" } | { state: "not-found" } | { state: "forbidden" } | { state: "error"; problem: Problem };

/** How long typing may pause before the unsaved text is written to this tab's draft. */
const DRAFT_DELAY_MS = 400;

const SPECS: Record<string, FieldSpec> = {
  language: { id: "statement-language", label: "Language" },
  delivery: { id: "statement-delivery", label: "Delivery" },
  ...Object.fromEntries(TEXT_FIELDS.map((f) => [f.serverName, { id: f.id, label: f.label }])),
};
const ORDER = ["statement-language", "statement-delivery", ...TEXT_FIELDS.map((f) => f.id)];

const STALE =
  "Someone else saved this statement after you opened it, so your changes were not saved. Your text is still in " +
  "the editor and kept in this tab. Load their version to compare: your text stays where it is.";

/** The draft kept in this tab: the fields changed from the revision they were typed over, and that revision. */
type Draft = Partial<StatementValues> & { base_version?: number };

/** Where a section's length stands, for the counter's warning and for the announcements. */
type Band = "ok" | "near" | "full" | "over";

const bandOf = (n: number): Band => (n > MAX_CHARS ? "over" : n === MAX_CHARS ? "full" : n >= NEAR_CHARS ? "near" : "ok");

const number = new Intl.NumberFormat("en-US");

/**
 * rebase carries the editor's changes over onto a newer version of the statement: a field the user changed keeps
 * their text; a field they left alone takes the newer version's, so that saving never undoes someone else's
 * change to a section this user did not touch.
 */
function rebase(oldBase: StatementValues, mine: StatementValues, newBase: StatementValues): StatementValues {
  const out = { ...newBase };
  for (const name of changedFields(oldBase, mine)) copyField(out, mine, name);
  return out;
}

/** copyField sets one field of `to` to its value in `from`. */
function copyField<K extends keyof StatementValues>(to: StatementValues, from: StatementValues, k: K): void {
  to[k] = from[k];
}

/** Where a concurrent save left the editor: their version, and the sections both of us changed. */
interface Theirs {
  statement: Statement;
  both: string[];
  /** Why it is shown: a save refused as stale, or a draft restored over an older revision. */
  reason: "stale" | "draft";
}

/**
 * StatementEditor is one impact statement's page. Those who write statements edit it section by section, with a
 * character counter per section, and save it (with If-Match, only what changed), submit it and finalize it. What
 * they type is kept in this tab's sessionStorage until it is saved, so that a reload, a crash, an expired session
 * or a stale save loses nothing. Prosecutors read it, final version first.
 */
export function StatementEditor({ id }: { id: string }) {
  const me = useCurrentUser();
  const [load, setLoad] = useState<Load>({ state: "loading" });
  const [statement, setStatement] = useState<Statement | null>(null);
  const [victim, setVictim] = useState<Victim | null>(null);
  const [message, setMessage] = useState(() => takeFlash(statementHref(id)));

  useEffect(() => {
    let live = true;
    setLoad({ state: "loading" });
    api
      .GET("/api/v1/statements/{statement_id}", { params: { path: { statement_id: id } } })
      .then(({ data, error, response }) => {
        if (!live) return;
        if (data) {
          setStatement(data);
          etag.current = etagOf(response);
          setLoad({ state: "ok" });
        } else if (response.status === 404 || response.status === 400) setLoad({ state: "not-found" });
        else if (response.status === 403) setLoad({ state: "forbidden" });
        else setLoad({ state: "error", problem: toProblem(error, response) });
      })
      .catch((err: unknown) => live && setLoad({ state: "error", problem: toProblem(err) }));
    return () => {
      live = false;
    };
  }, [id]);
  const etag = useRef<string | null>(null);

  // The victim names whose statement this is; without it the page still works.
  useEffect(() => {
    if (!statement || victim?.id === statement.victim_id) return;
    let live = true;
    api
      .GET("/api/v1/victims/{victim_id}", { params: { path: { victim_id: statement.victim_id } } })
      .then(({ data }) => live && data && setVictim(data))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [statement?.victim_id]);

  useEffect(() => {
    if (load.state === "not-found") setTitle("Statement not found");
    else setTitle(victim ? `Impact statement of ${victim.name}` : "Impact statement");
  }, [load.state, victim?.name]);

  if (load.state === "not-found" || load.state === "forbidden") {
    return (
      <>
        <h1>Statement not found</h1>
        <p>There is no statement at this address, or you may not see it.</p>
        <p>
          <Link href="/">Back to cases</Link>
        </p>
      </>
    );
  }
  if (!statement || !me) {
    return (
      <>
        <h1>{load.state === "loading" ? "Loading statement…" : "Impact statement"}</h1>
        {load.state === "error" && <ProblemAlert problem={load.problem} />}
      </>
    );
  }

  const head = (
    <>
      <p class="back">
        <Link href={victimHref(statement.victim_id)}>Back to {victim ? victim.name : "the victim"}</Link>
      </p>
      <div class="page-head">
        <div class="page-head__title">
          <h1>Impact statement</h1>
          <p class="page-head__sub muted">
            {victim && <>{victim.name} · </>}
            Revision {statement.revision} · <StatementBadge status={statement.status} id="statement-status" />
          </p>
        </div>
        <Link href={statementHistoryHref(statement.id)} id="history-link" class="button button--secondary">
          Revision history
        </Link>
      </div>
    </>
  );

  if (!canWriteStatements(me.role)) {
    return (
      <div class="narrow">
        {head}
        <StatementReader statement={statement} />
      </div>
    );
  }
  return (
    <div class="narrow">
      {head}
      <Editor
        key={statement.id}
        userId={me.id}
        initial={statement}
        etag={etag}
        message={message}
        setMessage={setMessage}
        onChange={setStatement}
      />
    </div>
  );
}

/** StatementReader is the read-only page for prosecutors: the final version first, when there is one. */
function StatementReader({ statement }: { statement: Statement }) {
  const final = statement.final;
  const newer = !final || final.number !== statement.revision;
  return (
    <>
      <div class="callout" id="read-only-note">
        <p>Read only: prosecutors read statements; the victim’s advocates change them.</p>
      </div>
      {final ? (
        <section class="panel final-version" id="final-version" aria-labelledby="final-heading">
          <h2 id="final-heading">Final version (revision {final.number})</h2>
          <p class="lead">
            The version sentencing exhibits use, finalized <time dateTime={final.created_at}>{formatInstant(final.created_at)}</time>.
          </p>
          <StatementTextView values={valuesOf(final)} id="final-text" />
        </section>
      ) : (
        <div class="callout" id="not-final-note">
          <p class="callout__title">Not final yet</p>
          <p>This statement has not been finalized: the text below may still change.</p>
        </div>
      )}
      {newer && (
        <section class="section--tight" aria-labelledby="latest-heading">
          <h2 id="latest-heading">
            {final ? "Later revision, not final" : "Current text"} (revision {statement.revision})
          </h2>
          <StatementTextView values={valuesOf(statement)} id="current-text" />
        </section>
      )}
    </>
  );
}

interface EditorProps {
  userId: string;
  initial: Statement;
  etag: { current: string | null };
  message: string;
  setMessage: (m: string) => void;
  onChange: (s: Statement) => void;
}

function Editor({ userId, initial, etag, message, setMessage, onChange }: EditorProps) {
  const key = draftKey("statement", userId, initial.id);
  const epoch = useRef(draftEpoch());
  const [statement, setStatementState] = useState(initial);
  const base = useRef(valuesOf(initial));
  const [values, setValuesState] = useState<StatementValues>(base.current);
  const latest = useRef(values);
  const [restored, setRestored] = useState(false);
  const [theirs, setTheirs] = useState<Theirs | null>(null);
  const [stale, setStale] = useState(false);
  const [conflict, setConflict] = useState(false);
  const [busy, setBusy] = useState<"save" | "submit" | "finalize" | "reload" | null>(null);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [announcement, setAnnouncement] = useState("");
  const bands = useRef<Record<string, Band>>({});
  const timer = useRef<number | undefined>(undefined);

  const setStatement = (s: Statement) => {
    setStatementState(s);
    onChange(s);
  };
  const setValues = (v: StatementValues) => {
    latest.current = v;
    setValuesState(v);
  };

  const dirty = changedFields(base.current, values).length > 0;
  const statementRef = useRef(statement);
  statementRef.current = statement;

  /** writeDraft keeps the fields changed from the saved statement in this tab, or drops the draft when none are. */
  const writeDraft = () => {
    window.clearTimeout(timer.current);
    timer.current = undefined;
    // After a sign-out this tab's drafts are gone, and must stay gone.
    if (draftEpoch() !== epoch.current) return;
    const changed = changedFields(base.current, latest.current);
    if (changed.length === 0) {
      clearDraft(key);
      return;
    }
    const draft: Draft = { base_version: statementRef.current.version };
    for (const name of changed) (draft as Record<string, unknown>)[name] = latest.current[name];
    saveDraft(key, draft);
  };
  // Restore what was typed here before a reload, a crash or an expired session.
  useEffect(() => {
    const d = loadDraft<Draft>(key);
    if (!d) return;
    const mine: StatementValues = { ...base.current };
    for (const f of TEXT_FIELDS) if (typeof d[f.name] === "string") mine[f.name] = d[f.name] as string;
    if (typeof d.language === "string") mine.language = d.language;
    if (d.delivery === "written" || d.delivery === "oral" || d.delivery === "both") mine.delivery = d.delivery;
    if (changedFields(base.current, mine).length === 0) {
      clearDraft(key);
      return;
    }
    setValues(mine);
    setRestored(true);
    // Typed over an older revision: show what was saved since, as after a stale save.
    if (d.base_version !== undefined && d.base_version !== initial.version) {
      setTheirs({ statement: initial, both: labelsOf(changedFields(base.current, mine)), reason: "draft" });
    }
  }, []);

  // Keep the draft as the user types, and when the page goes away.
  useEffect(() => {
    const onHide = () => writeDraft();
    window.addEventListener("pagehide", onHide);
    return () => {
      window.removeEventListener("pagehide", onHide);
      writeDraft();
    };
  }, []);

  // Leaving the page with unsaved changes asks first (the draft keeps them in any case).
  useEffect(() => {
    if (!dirty) return;
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      writeDraft();
      e.preventDefault();
      e.returnValue = "";
    };
    window.addEventListener("beforeunload", onBeforeUnload);
    return () => window.removeEventListener("beforeunload", onBeforeUnload);
  }, [dirty]);

  /** announce speaks a counter's threshold to screen readers, politely, once per crossing. */
  const announce = (field: TextField, label: string, text: string) => {
    const n = countChars(text);
    const band = bandOf(n);
    const before = bands.current[field] ?? "ok";
    if (band === before) return;
    bands.current[field] = band;
    const left = MAX_CHARS - n;
    let words: string;
    if (band === "near") words = `${label}: nearing the limit, ${number.format(left)} characters left.`;
    else if (band === "full") words = `${label}: the ${number.format(MAX_CHARS)}-character limit is reached.`;
    else if (band === "over")
      words = `${label} is ${number.format(-left)} ${-left === 1 ? "character" : "characters"} over the ${number.format(MAX_CHARS)}-character limit. Shorten it before saving.`;
    else words = `${label} is within the limit again.`;
    setAnnouncement(words);
  };

  const onText = (field: TextField, label: string) => (e: TargetedEvent<HTMLTextAreaElement>) => {
    const text = e.currentTarget.value;
    setValues({ ...latest.current, [field]: text });
    announce(field, label, text);
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(writeDraft, DRAFT_DELAY_MS);
  };

  const onChoice = (field: "language" | "delivery") => (e: TargetedEvent<HTMLSelectElement>) => {
    setValues({ ...latest.current, [field]: e.currentTarget.value });
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(writeDraft, DRAFT_DELAY_MS);
  };

  /** accept takes a statement the server answered as the new saved state, keeping text typed meanwhile. */
  const accept = (s: Statement, tag: string | null, sent?: StatementValues) => {
    const server = valuesOf(s);
    const now = latest.current;
    const next: StatementValues = { ...server };
    for (const name of changedFields(base.current, now)) {
      // What was sent is now saved (as the server cleaned it up); what was typed since stays unsaved.
      if (sent && sent[name] === now[name]) continue;
      copyField(next, now, name);
    }
    base.current = server;
    etag.current = tag;
    setStatement(s);
    setValues(next);
    writeDraft();
  };

  const staleSeen = (problem: Problem) => {
    writeDraft();
    setStale(true);
    setFailure({ title: "This statement has changed", detail: STALE, fields: {}, other: [], requestId: problem.request_id || undefined });
  };

  const conflictSeen = (action: string, problem: Problem) => {
    setConflict(true);
    setFailure({
      title: `This statement cannot be ${action} now`,
      detail: `${problem.detail ?? problem.title} Reload it to see where it stands; your unsaved text stays in the editor.`,
      fields: {},
      other: [],
      requestId: problem.request_id || undefined,
    });
  };

  /** reload fetches the statement as it now stands and carries the user's changes over onto it. */
  const reload = async (show: boolean) => {
    setBusy("reload");
    try {
      const { data, error, response } = await api.GET("/api/v1/statements/{statement_id}", {
        params: { path: { statement_id: statement.id } },
      });
      if (data) {
        const oldBase = base.current;
        const mine = latest.current;
        const mineChanged = changedFields(oldBase, mine);
        const theirsChanged = new Set(changedFields(oldBase, valuesOf(data)));
        const next = rebase(oldBase, mine, valuesOf(data));
        base.current = valuesOf(data);
        etag.current = etagOf(response);
        setStatement(data);
        setValues(next);
        writeDraft();
        setStale(false);
        setConflict(false);
        setFailure(null);
        if (show && mineChanged.length > 0) {
          setTheirs({ statement: data, both: labelsOf(mineChanged.filter((n) => theirsChanged.has(n))), reason: "stale" });
          window.setTimeout(() => document.getElementById("their-version-heading")?.focus(), 0);
        } else {
          setMessage(`Reloaded: revision ${data.revision}.`);
        }
      } else setFailure(failureFrom(toProblem(error, response), SPECS));
    } catch (err) {
      setFailure(failureFrom(toProblem(err), SPECS));
    }
    setBusy(null);
  };

  const save = async (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (busy) return;
    const now = latest.current;
    const changed = changedFields(base.current, now);
    setMessage("");
    if (changed.length === 0) {
      setFailure(null);
      setMessage("No changes to save.");
      return;
    }
    const tooLong: Record<string, string> = {};
    for (const f of TEXT_FIELDS) {
      const n = countChars(now[f.name]);
      if (n > MAX_CHARS) {
        tooLong[f.id] = `${f.label} is ${number.format(n - MAX_CHARS)} ${n - MAX_CHARS === 1 ? "character" : "characters"} over the limit of ${number.format(MAX_CHARS)}.`;
      }
    }
    if (Object.keys(tooLong).length > 0) {
      setFailure({ title: "Some sections are too long", fields: tooLong, other: [] });
      return;
    }
    const body: StatementUpdate = {};
    const sections: NonNullable<StatementUpdate["sections"]> = {};
    for (const name of changed) {
      if (name === "language") body.language = now.language;
      else if (name === "delivery") body.delivery = now.delivery;
      else if (name === "restitution_request_text") body.restitution_request_text = now[name] || null;
      else sections[name] = now[name] || null;
    }
    if (Object.keys(sections).length > 0) body.sections = sections;
    setBusy("save");
    try {
      const { data, error, response } = await api.PATCH("/api/v1/statements/{statement_id}", {
        params: { path: { statement_id: statement.id }, header: { "If-Match": etag.current ?? "" } },
        headers: { "Content-Type": "application/merge-patch+json" },
        body,
      });
      if (data) {
        setFailure(null);
        setStale(false);
        setRestored(false);
        setTheirs(null);
        accept(data, etagOf(response), now);
        setMessage(
          data.final && data.final.number !== data.revision
            ? `Saved as revision ${data.revision}, a new draft.`
            : `Saved as revision ${data.revision}.`,
        );
      } else if (response.status === 412) staleSeen(toProblem(error, response));
      else setFailure(failureFrom(toProblem(error, response), SPECS));
    } catch (err) {
      setFailure(failureFrom(toProblem(err), SPECS));
    }
    setBusy(null);
  };

  const act = async (action: "submit" | "finalize") => {
    if (busy) return;
    setMessage("");
    if (changedFields(base.current, latest.current).length > 0) {
      setFailure({
        title: "Save your changes first",
        detail: `${action === "submit" ? "Submitting" : "Finalizing"} takes the statement as last saved; your unsaved changes would not be part of it.`,
        fields: {},
        other: [],
      });
      return;
    }
    setBusy(action);
    try {
      const opts = {
        params: { path: { statement_id: statement.id }, header: { "If-Match": etag.current ?? undefined } },
      };
      const { data, error, response } =
        action === "submit"
          ? await api.POST("/api/v1/statements/{statement_id}/submit", opts)
          : await api.POST("/api/v1/statements/{statement_id}/finalize", opts);
      if (data) {
        setFailure(null);
        setConflict(false);
        accept(data, etagOf(response));
        setMessage(
          action === "submit"
            ? `Submitted as revision ${data.revision}. It can now be finalized.`
            : `Finalized: revision ${data.revision} is now the version exhibits use.`,
        );
      } else {
        const problem = toProblem(error, response);
        if (response.status === 412) staleSeen(problem);
        else if (response.status === 409) conflictSeen(action === "submit" ? "submitted" : "finalized", problem);
        else setFailure(failureFrom(problem, SPECS));
      }
    } catch (err) {
      setFailure(failureFrom(toProblem(err), SPECS));
    }
    setBusy(null);
  };

  const discardDraft = () => {
    clearDraft(key);
    setValues(base.current);
    setRestored(false);
    setTheirs(null);
    setMessage("Your unsaved changes were discarded.");
  };

  const finalNote =
    statement.final && statement.status !== "final" ? (
      <div class="callout" id="final-note">
        <p class="callout__title">A final version is in use</p>
        <p>
          The final version (revision {statement.final.number}) is still the one used for exhibits until this{" "}
          {statement.status === "draft" ? "draft" : "submitted version"} is finalized.
        </p>
      </div>
    ) : statement.status === "final" ? (
      <div class="callout" id="final-note">
        <p class="callout__title">This statement is final</p>
        <p>
          Revision {statement.revision} is the version exhibits use. Changing it and saving starts a new draft; this final
          version stays in use until the new draft is finalized in turn.
        </p>
      </div>
    ) : null;

  const languages = STATEMENT_LANGUAGES.some((l) => l.value === values.language)
    ? STATEMENT_LANGUAGES
    : [{ value: values.language, label: values.language }, ...STATEMENT_LANGUAGES];

  return (
    <>
      <p role="status" class="status-message" id="statement-message">
        {message}
      </p>
      <p class="visually-hidden" aria-live="polite" id="statement-announcer">
        {announcement}
      </p>
      {finalNote}
      {restored && (
        <div class="callout" id="draft-restored">
          <p class="callout__title">Your unsaved changes are back</p>
          <p>What you typed in this tab before has been restored. It is not saved yet: save it when you are ready.</p>
          <p>
            <button type="button" id="discard-draft" class="button button--secondary button--small" onClick={discardDraft}>
              Discard my unsaved changes
            </button>
          </p>
        </div>
      )}

      <form id="statement-form" class="panel stacked-form" noValidate onSubmit={(e) => void save(e)} aria-label="Statement">
        {failure && <ErrorSummary failure={failure} order={ORDER} />}
        {(stale || conflict) && (
          <p>
            <button
              type="button"
              id="reload-statement"
              class="button button--secondary"
              disabled={busy !== null}
              onClick={() => void reload(stale)}
            >
              {stale ? "Load their version" : "Reload the statement"}
            </button>
          </p>
        )}
        <div class="form-grid">
          <div class="field">
            <label for="statement-language">Language</label>
            <select id="statement-language" value={values.language} onChange={onChoice("language")} aria-describedby="statement-language-hint">
              {languages.map((l) => (
                <option key={l.value} value={l.value}>
                  {l.label}
                </option>
              ))}
            </select>
            <p class="hint" id="statement-language-hint">
              The language the victim wrote or will speak in.
            </p>
            <FieldError id="statement-language" failure={failure} />
          </div>
          <div class="field">
            <label for="statement-delivery">Delivery</label>
            <select id="statement-delivery" value={values.delivery} onChange={onChoice("delivery")} aria-describedby="statement-delivery-hint">
              {DELIVERIES.map((d) => (
                <option key={d.value} value={d.value}>
                  {d.label}
                </option>
              ))}
            </select>
            <p class="hint" id="statement-delivery-hint">
              How the victim means to give it at sentencing.
            </p>
            <FieldError id="statement-delivery" failure={failure} />
          </div>
          {TEXT_FIELDS.map((f) => {
            const n = countChars(values[f.name]);
            const band = bandOf(n);
            const over = band === "over";
            const attrs = invalid(f.id, failure, `${f.id}-hint ${f.id}-count`);
            return (
              <div class="field field--wide" key={f.name}>
                <label for={f.id}>
                  {f.label}
                  <span class="optional"> (optional)</span>
                </label>
                <p class="hint" id={`${f.id}-hint`}>
                  {f.help}
                </p>
                <textarea
                  id={f.id}
                  name={f.name}
                  rows={f.name === "restitution_request_text" ? 4 : 7}
                  lang={values.language}
                  dir="auto"
                  value={values[f.name]}
                  onInput={onText(f.name, f.label)}
                  {...attrs}
                  aria-invalid={over || attrs["aria-invalid"] ? "true" : undefined}
                />
                <p id={`${f.id}-count`} class={`counter counter--${band}`}>
                  {number.format(n)} of {number.format(MAX_CHARS)} characters
                  {band === "near" && <> · {number.format(MAX_CHARS - n)} left</>}
                  {band === "full" && <> · limit reached</>}
                  {over && <> · {number.format(n - MAX_CHARS)} over the limit</>}
                </p>
                <FieldError id={f.id} failure={failure} />
              </div>
            );
          })}
        </div>
        <div class="form-actions">
          <button type="submit" id="save-statement" class="button" disabled={busy !== null}>
            Save
          </button>
          {statement.status === "draft" && (
            <button
              type="button"
              id="submit-statement"
              class="button button--secondary"
              disabled={busy !== null}
              onClick={() => void act("submit")}
            >
              Submit
            </button>
          )}
          {statement.status === "submitted" && (
            <button
              type="button"
              id="finalize-statement"
              class="button button--secondary"
              disabled={busy !== null}
              onClick={() => {
                setMessage("");
                setConfirming(true);
              }}
            >
              Finalize…
            </button>
          )}
          <span class="muted" id="unsaved-state">
            {busy === "save" ? "Saving…" : busy === "submit" ? "Submitting…" : busy === "finalize" ? "Finalizing…" : dirty ? "Unsaved changes" : "All changes saved"}
          </span>
        </div>
      </form>

      {theirs && <TheirVersion theirs={theirs} onHide={() => setTheirs(null)} />}

      {confirming && (
        <FinalizeDialog
          statement={statement}
          busy={busy === "finalize"}
          onConfirm={async () => {
            await act("finalize");
            setConfirming(false);
          }}
          onCancel={() => setConfirming(false)}
        />
      )}
    </>
  );
}

const labelsOf = (names: string[]): string[] =>
  names.map((n) => TEXT_FIELDS.find((f) => f.name === n)?.label ?? (n === "language" ? "Language" : "Delivery"));

/** TheirVersion shows, read-only, what someone else saved while this user was typing. */
function TheirVersion({ theirs, onHide }: { theirs: Theirs; onHide: () => void }) {
  const s = theirs.statement;
  return (
    <section class="panel section--tight their-version" id="their-version" aria-labelledby="their-version-heading">
      <h2 id="their-version-heading" tabIndex={-1}>
        Their version (revision {s.revision})
      </h2>
      <p>
        {theirs.reason === "stale"
          ? "Saved by someone else while you were typing"
          : "Saved after you typed your unsaved changes"}
        , <time dateTime={s.updated_at}>{formatInstant(s.updated_at)}</time>. Your text is still in the editor above and is
        not saved yet. Sections you had not changed now show their text.
      </p>
      {theirs.both.length > 0 && (
        <p id="their-version-both">
          You changed: {theirs.both.join(", ")}. Saving keeps your text there and replaces theirs: copy anything you
          want to keep from their version below first.
        </p>
      )}
      <StatementTextView values={valuesOf(s)} id="their-text" />
      <p>
        <button type="button" id="hide-their-version" class="button button--secondary button--small" onClick={onHide}>
          Hide their version
        </button>
      </p>
    </section>
  );
}

/** FinalizeDialog asks before finalizing, saying what a final statement means. */
function FinalizeDialog(props: { statement: Statement; busy: boolean; onConfirm: () => Promise<void>; onCancel: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
    document.getElementById("cancel-finalize")?.focus();
    return () => {
      // The keyboard goes to what went wrong, else back to Finalize, else (once final) to Save.
      window.setTimeout(() => {
        const target =
          document.querySelector<HTMLElement>("#statement-form [role=alert]") ??
          document.getElementById("finalize-statement") ??
          document.getElementById("save-statement");
        target?.focus();
      }, 0);
    };
  }, []);

  return (
    <dialog
      ref={dialog}
      id="finalize-dialog"
      class="dialog"
      aria-labelledby="finalize-title"
      aria-describedby="finalize-description"
      onCancel={(e) => {
        e.preventDefault();
        if (!props.busy) props.onCancel();
      }}
    >
      <h2 id="finalize-title">Finalize revision {props.statement.revision}?</h2>
      <div id="finalize-description">
        <p>A final statement is the version that sentencing exhibits use.</p>
        <p>
          It cannot be changed afterwards. Any later edit starts a new draft, and this final version stays the one used for
          exhibits until that draft is finalized in turn.
        </p>
      </div>
      <div class="form-actions">
        <button type="button" id="confirm-finalize" class="button" disabled={props.busy} onClick={() => void props.onConfirm()}>
          {props.busy ? "Finalizing…" : "Finalize statement"}
        </button>
        <button type="button" id="cancel-finalize" class="button button--secondary" disabled={props.busy} onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}
