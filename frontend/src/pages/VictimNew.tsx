import type { TargetedSubmitEvent } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import {
  api,
  toProblem,
  type Case,
  type Loss,
  type Problem,
  type Statement,
  type StatementUpdate,
  type Victim,
} from "../api/client";
import { ErrorSummary, FieldError, failureFrom, invalid, staleFailure, type Failure, type FieldSpec } from "../components/FormErrors";
import { Losses } from "../components/Losses";
import { CaseNotFound } from "../components/CaseNotFound";
import { ProblemAlert } from "../components/ProblemAlert";
import {
  DuplicateAlert,
  EMPTY_VICTIM,
  VICTIM_FIELD_ORDER,
  VictimContactStep,
  VictimWhoStep,
  createBody,
  draftOf,
  fromDraft,
  isBlank,
  updatePatch,
  victimFailure,
  victimToForm,
  type VictimDraft,
  type VictimFormValues,
} from "../components/VictimForm";
import { clearDraft, draftEpoch, draftKey, loadDraft, saveDraft } from "../drafts";
import { setFlash } from "../flash";
import { setTitle } from "../format";
import { etagOf, heardByLabel, languageLabel, victimKindLabel } from "../intake";
import { lossCategoryLabel } from "../losses";
import { formatCents } from "../money";
import { Link, navigate } from "../router";
import { useCurrentUser } from "../session";
import { MAX_CHARS, STATEMENT_LANGUAGES, TEXT_FIELDS, countChars, normalize, type StatementText } from "../statements";
import { caseHref } from "./case/tabs";
import { victimHref } from "./case/VictimsTab";

type Load = { state: "loading" } | { state: "ok"; kase: Case } | { state: "not-found" } | { state: "error"; problem: Problem };

/** The intake's steps, in order. The victim is created on leaving "contact", so that the rest can attach to it. */
const STEPS = [
  { id: "who", label: "Who" },
  { id: "contact", label: "Contact and preferences" },
  { id: "losses", label: "Losses" },
  { id: "statement", label: "Statement" },
  { id: "review", label: "Review and save" },
] as const;

type StepId = (typeof STEPS)[number]["id"];

const isStep = (s: unknown): s is StepId => STEPS.some((x) => x.id === s);
const indexOf = (s: StepId) => STEPS.findIndex((x) => x.id === s);

/** The inputs of step 1: a server error on any of them takes the user back there. */
const WHO_IDS = new Set(["victim-kind", "victim-name", "victim-minor", "victim-dob", "victim-ssn"]);

const EMPTY_TEXT: StatementText = { emotional: "", physical: "", financial: "", other: "", restitution_request_text: "" };

const STATEMENT_SPECS: Record<string, FieldSpec> = Object.fromEntries(
  TEXT_FIELDS.map((f) => [f.serverName, { id: f.id, label: f.label }]),
);
const STATEMENT_ORDER = TEXT_FIELDS.map((f) => f.id);

/**
 * What the wizard keeps in this tab: the step, what was typed (never the SSN or the birth date), and the records
 * already created, so that a reload resumes where the user was. `reenter` names the secrets typed before the
 * reload, which the user must type again.
 */
interface WizardDraft {
  step: StepId;
  victim_id?: string;
  statement_id?: string;
  values: VictimDraft;
  statement: StatementText;
  reenter?: string[];
}

function readText(d: unknown): StatementText {
  const out = { ...EMPTY_TEXT };
  if (!d || typeof d !== "object") return out;
  for (const f of TEXT_FIELDS) {
    const v = (d as Record<string, unknown>)[f.name];
    if (typeof v === "string") out[f.name] = v;
  }
  return out;
}

const statementTextOf = (s: Statement): StatementText => ({
  emotional: s.sections.emotional ?? "",
  physical: s.sections.physical ?? "",
  financial: s.sections.financial ?? "",
  other: s.sections.other ?? "",
  restitution_request_text: s.restitution_request_text ?? "",
});

/**
 * VictimNew is the victim intake wizard: 1 who, 2 contact and preferences, 3 losses (each with its documents),
 * 4 the impact statement, and a review. The victim is created when leaving step 2, so that losses, documents and
 * the statement attach to it as they are entered; going back to steps 1 and 2 afterwards changes it (If-Match).
 * Errors take the user to the step and field they belong to. Everything typed is kept in this tab (never the SSN
 * or the birth date), so that a reload resumes at the same step with nothing lost.
 */
export function VictimNew({ caseId }: { caseId: string }) {
  const me = useCurrentUser();
  const key = draftKey("intake", me?.id ?? "anonymous", caseId);
  const epoch = useRef(draftEpoch());
  const draft = useRef(loadDraft<WizardDraft>(key));
  const d = draft.current;
  const [load, setLoad] = useState<Load>({ state: "loading" });
  const [step, setStepState] = useState<StepId>(() => (d && isStep(d.step) ? d.step : "who"));
  const [values, setValuesState] = useState<VictimFormValues>(() => (d?.values ? fromDraft(d.values) : EMPTY_VICTIM));
  const [text, setTextState] = useState<StatementText>(() => readText(d?.statement));
  const [reenter, setReenter] = useState<string[]>(() => (Array.isArray(d?.reenter) && !d?.victim_id ? d.reenter : []));
  const [restored, setRestored] = useState(() => !!d);
  const [victim, setVictim] = useState<Victim | null>(null);
  const [victimId, setVictimId] = useState<string | null>(() => (typeof d?.victim_id === "string" ? d.victim_id : null));
  const etag = useRef<string | null>(null);
  const [statement, setStatement] = useState<Statement | null>(null);
  const [statementId, setStatementId] = useState<string | null>(() => (typeof d?.statement_id === "string" ? d.statement_id : null));
  const statementEtag = useRef<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [stale, setStale] = useState(false);
  const [duplicate, setDuplicate] = useState<{ problem: Problem; id: string } | null>(null);
  const [message, setMessage] = useState("");
  const [resumeProblem, setResumeProblem] = useState<Problem | null>(null);
  const latest = useRef({ step, values, text, victimId, statementId, reenter });
  latest.current = { step, values, text, victimId, statementId, reenter };
  const stepHeading = useRef(false);

  useEffect(() => setTitle(`Add a victim: ${STEPS[indexOf(step)]?.label ?? ""}`), [step]);

  useEffect(() => {
    let live = true;
    api
      .GET("/api/v1/cases/{case_id}", { params: { path: { case_id: caseId } } })
      .then(({ data, error, response }) => {
        if (!live) return;
        if (data) setLoad({ state: "ok", kase: data });
        else if (response.status === 404 || response.status === 400) setLoad({ state: "not-found" });
        else setLoad({ state: "error", problem: toProblem(error, response) });
      })
      .catch((err: unknown) => live && setLoad({ state: "error", problem: toProblem(err) }));
    return () => {
      live = false;
    };
  }, [caseId]);

  // After a reload: the victim and statement already created, as stored, under what was typed since.
  useEffect(() => {
    if (!victimId) return;
    let live = true;
    api
      .GET("/api/v1/victims/{victim_id}", { params: { path: { victim_id: victimId } } })
      .then(({ data, error, response }) => {
        if (!live) return;
        if (data) {
          etag.current = etagOf(response);
          setVictim(data);
          const typed = d?.values ? fromDraft(d.values) : null;
          const stored = victimToForm(data);
          const merged = typed ? { ...stored, ...draftOf(typed) } : stored;
          merged.date_of_birth = stored.date_of_birth;
          merged.ssn = "";
          setValues(merged);
        } else setResumeProblem(toProblem(error, response));
      })
      .catch((err: unknown) => live && setResumeProblem(toProblem(err)));
    if (statementId) {
      api
        .GET("/api/v1/statements/{statement_id}", { params: { path: { statement_id: statementId } } })
        .then(({ data, response }) => {
          if (!live || !data) return;
          statementEtag.current = etagOf(response);
          setStatement(data);
        })
        .catch(() => undefined);
    }
    return () => {
      live = false;
    };
  }, []);

  // Each new step starts at its heading, for keyboard and screen-reader users.
  useEffect(() => {
    if (!stepHeading.current) {
      stepHeading.current = true;
      return;
    }
    // An error summary that took the focus (a refusal sent the user back a step) keeps it.
    if (document.activeElement?.getAttribute("role") === "alert") return;
    const h = document.querySelector<HTMLElement>("#wizard-step h2");
    if (h) {
      h.tabIndex = -1;
      // The page has already gone to its top (goTo): focusing must not scroll it again under the pointer.
      h.focus({ preventScroll: true });
    }
  }, [step]);

  const writeDraft = () => {
    if (draftEpoch() !== epoch.current) return;
    const s = latest.current;
    const nothing = !s.victimId && isBlank(s.values) && TEXT_FIELDS.every((f) => !s.text[f.name]) && s.step === "who";
    if (nothing) {
      clearDraft(key);
      return;
    }
    const out: WizardDraft = { step: s.step, values: draftOf(s.values), statement: s.text };
    if (s.victimId) out.victim_id = s.victimId;
    if (s.statementId) out.statement_id = s.statementId;
    // Secrets are never stored; only that they were typed, so that a reload can ask for them again.
    const secrets = [s.values.ssn.trim() ? "SSN" : "", s.values.date_of_birth ? "date of birth" : ""].filter(Boolean);
    if (!s.victimId && (secrets.length || s.reenter.length)) out.reenter = [...new Set([...s.reenter, ...secrets])];
    saveDraft(key, out);
  };

  const setValues = (v: VictimFormValues) => {
    latest.current = { ...latest.current, values: v };
    setValuesState(v);
    writeDraft();
  };
  const set = (patch: Partial<VictimFormValues>) => setValues({ ...latest.current.values, ...patch });
  const setText = (t: StatementText) => {
    latest.current = { ...latest.current, text: t };
    setTextState(t);
    writeDraft();
  };
  const goTo = (s: StepId) => {
    latest.current = { ...latest.current, step: s };
    setStepState(s);
    writeDraft();
    window.scrollTo(0, 0);
  };

  const startOver = () => {
    clearDraft(key);
    latest.current = { step: "who", values: EMPTY_VICTIM, text: EMPTY_TEXT, victimId: null, statementId: null, reenter: [] };
    setValuesState(EMPTY_VICTIM);
    setTextState(EMPTY_TEXT);
    setReenter([]);
    setRestored(false);
    setFailure(null);
    setDuplicate(null);
    setStepState("who");
    window.setTimeout(() => document.getElementById("victim-kind")?.focus(), 0);
  };

  /** Step 1 needs a kind and a name before going on. */
  const leaveWho = () => {
    const v = latest.current.values;
    const fields: Record<string, string> = {};
    if (!v.kind) fields["victim-kind"] = "Choose the kind of victim.";
    if (!v.name.trim()) fields["victim-name"] = "Enter the victim’s name.";
    if (Object.keys(fields).length > 0) {
      setFailure({ title: "Some required fields are empty.", fields, other: [] });
      return;
    }
    setFailure(null);
    setDuplicate(null);
    goTo("contact");
  };

  /** A refusal of the victim goes back to the step that holds the field at fault. */
  const victimRefused = (status: number, problem: Problem) => {
    if (status === 409 && problem.existing_id) {
      setFailure(null);
      setDuplicate({ problem, id: problem.existing_id });
      goTo("who");
      return;
    }
    if (status === 412) {
      setStale(true);
      setFailure(
        staleFailure(
          "This victim has changed",
          "Someone else changed this victim since you added it. Reload it to see their changes; what you typed in the other steps stays.",
          problem,
        ),
      );
      return;
    }
    const f = status === 422 ? victimFailure(problem) : failureFrom(problem, {});
    setFailure(f);
    if (Object.keys(f.fields).some((id) => WHO_IDS.has(id))) goTo("who");
  };

  /** Leaving step 2 creates the victim (or, once created, saves what changed in steps 1 and 2). */
  const leaveContact = async () => {
    const v = latest.current.values;
    if (!v.kind || !v.name.trim()) {
      leaveWho();
      goTo("who");
      return;
    }
    setBusy(true);
    setDuplicate(null);
    setStale(false);
    try {
      if (!victim) {
        const { data, error, response } = await api.POST("/api/v1/cases/{case_id}/victims", {
          params: { path: { case_id: caseId } },
          body: createBody(v),
        });
        if (data) {
          etag.current = etagOf(response);
          setVictim(data);
          setVictimId(data.id);
          latest.current = { ...latest.current, victimId: data.id, reenter: [] };
          setReenter([]);
          setFailure(null);
          const last4 = data.ssn_last4 ? ` The SSN on record ends in ${data.ssn_last4}.` : "";
          setMessage(`${data.name} added.${last4} Now record the losses.`);
          // The SSN has gone to the server; the form no longer holds it.
          setValues({ ...victimToForm(data), ssn: "" });
          goTo("losses");
        } else victimRefused(response.status, toProblem(error, response));
      } else {
        const patch = updatePatch(victim, v);
        if (Object.keys(patch).length === 0) {
          setFailure(null);
          goTo("losses");
        } else {
          const { data, error, response } = await api.PATCH("/api/v1/victims/{victim_id}", {
            params: { path: { victim_id: victim.id }, header: { "If-Match": etag.current ?? "" } },
            headers: { "Content-Type": "application/merge-patch+json" },
            body: patch,
          });
          if (data) {
            etag.current = etagOf(response);
            setVictim(data);
            setFailure(null);
            setMessage(`${data.name} saved.`);
            setValues({ ...victimToForm(data), ssn: "" });
            goTo("losses");
          } else victimRefused(response.status, toProblem(error, response));
        }
      }
    } catch (err) {
      setFailure(failureFrom(toProblem(err), {}));
    }
    setBusy(false);
  };

  const reloadVictim = async () => {
    if (!victimId) return;
    setBusy(true);
    try {
      const { data, error, response } = await api.GET("/api/v1/victims/{victim_id}", { params: { path: { victim_id: victimId } } });
      if (data) {
        etag.current = etagOf(response);
        setVictim(data);
        setValues({ ...victimToForm(data), ssn: "" });
        setFailure(null);
        setStale(false);
        setMessage("Reloaded: the victim as it now stands.");
      } else setFailure(failureFrom(toProblem(error, response), {}));
    } catch (err) {
      setFailure(failureFrom(toProblem(err), {}));
    }
    setBusy(false);
  };

  /** Leaving step 4 saves the statement when anything was typed: a new one, or what changed in it. */
  const leaveStatement = async () => {
    const t = latest.current.text;
    const fields: Record<string, string> = {};
    for (const f of TEXT_FIELDS) {
      const n = countChars(t[f.name]);
      if (n > MAX_CHARS) fields[f.id] = `${f.label} is ${n - MAX_CHARS} characters over the ${MAX_CHARS.toLocaleString("en-US")}-character limit.`;
    }
    if (Object.keys(fields).length) {
      setFailure({ title: "Some sections are too long.", fields, other: [] });
      return;
    }
    if (!victim) return;
    const before = statement ? statementTextOf(statement) : EMPTY_TEXT;
    const changed = TEXT_FIELDS.filter((f) => normalize(t[f.name]) !== normalize(before[f.name]));
    if (changed.length === 0) {
      setFailure(null);
      goTo("review");
      return;
    }
    setBusy(true);
    try {
      let ok: Statement | undefined;
      let problem: Problem | null = null;
      let status = 0;
      if (!statement) {
        const preferred = victim.preferred_language;
        const language = preferred && STATEMENT_LANGUAGES.some((l) => l.value === preferred) ? preferred : undefined;
        const sections: Record<string, string> = {};
        for (const f of TEXT_FIELDS) if (f.name !== "restitution_request_text" && t[f.name].trim()) sections[f.name] = t[f.name];
        const { data, error, response } = await api.POST("/api/v1/victims/{victim_id}/statements", {
          params: { path: { victim_id: victim.id } },
          body: {
            ...(language ? { language } : {}),
            sections,
            ...(t.restitution_request_text.trim() ? { restitution_request_text: t.restitution_request_text } : {}),
          },
        });
        if (data) {
          ok = data;
          statementEtag.current = etagOf(response);
        } else [problem, status] = [toProblem(error, response), response.status];
      } else {
        const patch: StatementUpdate = {};
        const sections: Record<string, string> = {};
        for (const f of changed) {
          if (f.name === "restitution_request_text") patch.restitution_request_text = t[f.name];
          else sections[f.name] = t[f.name];
        }
        if (Object.keys(sections).length) patch.sections = sections;
        const { data, error, response } = await api.PATCH("/api/v1/statements/{statement_id}", {
          params: { path: { statement_id: statement.id }, header: { "If-Match": statementEtag.current ?? "" } },
          headers: { "Content-Type": "application/merge-patch+json" },
          body: patch,
        });
        if (data) {
          ok = data;
          statementEtag.current = etagOf(response);
        } else [problem, status] = [toProblem(error, response), response.status];
      }
      if (ok) {
        setStatement(ok);
        setStatementId(ok.id);
        latest.current = { ...latest.current, statementId: ok.id };
        setFailure(null);
        setMessage(`Statement saved as revision ${ok.revision}, a draft.`);
        goTo("review");
      } else if (problem) {
        setFailure(
          status === 412
            ? staleFailure(
                "This statement has changed",
                "Someone else saved this statement meanwhile. Your text is still here; open the statement from the victim’s page to compare.",
                problem,
              )
            : failureFrom(problem, STATEMENT_SPECS),
        );
      }
    } catch (err) {
      setFailure(failureFrom(toProblem(err), {}));
    }
    setBusy(false);
  };

  const finish = () => {
    if (!victim) return;
    clearDraft(key);
    epoch.current = -1; // nothing more is written for this intake
    const last4 = victim.ssn_last4 ? ` The SSN on record ends in ${victim.ssn_last4}.` : "";
    setFlash(victimHref(victim.id), `${victim.name} added.${last4}`);
    navigate(victimHref(victim.id));
  };

  const back = () => {
    setFailure(null);
    setDuplicate(null);
    const i = indexOf(step);
    const prev = STEPS[i - 1];
    if (prev) goTo(prev.id);
  };

  const next = (e?: TargetedSubmitEvent<HTMLFormElement>) => {
    e?.preventDefault();
    if (busy) return;
    setMessage("");
    if (step === "who") leaveWho();
    else if (step === "contact") void leaveContact();
    else if (step === "losses") {
      setFailure(null);
      goTo("statement");
    } else if (step === "statement") void leaveStatement();
  };

  const victimsHref = caseHref(caseId, "victims");

  if (load.state === "not-found") {
    return <CaseNotFound />;
  }

  const i = indexOf(step);
  const nextLabel: Record<StepId, string> = {
    who: "Next: contact and preferences",
    contact: victim ? "Save and continue to losses" : "Add the victim and continue to losses",
    losses: "Next: statement",
    statement: "Save and review",
    review: "",
  };
  const stepProps = { values, set, failure, editing: !!victim, ssnLast4: victim?.ssn_last4 };

  const nav = (
    <div class="form-actions">
      {i > 0 && (
        <button type="button" id="wizard-back" class="button button--secondary" disabled={busy} onClick={back}>
          Back
        </button>
      )}
      {step === "review" ? (
        <button type="button" id="finish-intake" class="button" onClick={finish}>
          Finish intake
        </button>
      ) : (
        <button type={step === "losses" ? "button" : "submit"} id="wizard-next" class="button" disabled={busy} onClick={step === "losses" ? () => next() : undefined}>
          {nextLabel[step]}
        </button>
      )}
      <span class="muted" role="status">
        {busy ? "Saving…" : ""}
      </span>
    </div>
  );

  const alert =
    duplicate && step === "who" ? (
      <DuplicateAlert problem={duplicate.problem} href={victimHref(duplicate.id)} />
    ) : (
      failure && <ErrorSummary failure={failure} order={step === "statement" ? STATEMENT_ORDER : VICTIM_FIELD_ORDER} />
    );

  let body;
  if (step === "who" || step === "contact") {
    body = (
      <form id="victim-form" class="case-form victim-form" noValidate onSubmit={next}>
        {alert}
        {stale && (
          <p>
            <button type="button" id="reload-victim" class="button button--secondary" onClick={() => void reloadVictim()}>
              Reload the victim
            </button>
          </p>
        )}
        {step === "who" ? <VictimWhoStep {...stepProps} /> : <VictimContactStep {...stepProps} />}
        {nav}
      </form>
    );
  } else if (step === "losses") {
    body = (
      <div class="case-form">
        <h2 class="form-step__title">Losses</h2>
        <p class="lead">
          Add each loss with what it cost, and attach its receipts or statements. Skip this step if there are none yet:
          losses can be added later on the victim’s page.
        </p>
        {victim && me ? (
          <Losses
            victimId={victim.id}
            caseId={caseId}
            victimName={victim.name}
            userId={me.id}
            mayWrite
            heading={false}
          />
        ) : (
          resumeProblem ? <ProblemAlert problem={resumeProblem} /> : <p role="status">Loading the victim…</p>
        )}
        {nav}
      </div>
    );
  } else if (step === "statement") {
    body = (
      <form id="statement-step" class="case-form" noValidate onSubmit={next}>
        {alert}
        <h2 class="form-step__title">Impact statement</h2>
        <p class="lead">
          Optional. In the victim’s own words, section by section. It is saved as a draft; submit and finalize it later from
          the victim’s page.
        </p>
        <div class="form-grid">
          {TEXT_FIELDS.map((f) => {
            const n = countChars(text[f.name]);
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
                  rows={f.name === "restitution_request_text" ? 3 : 5}
                  dir="auto"
                  value={text[f.name]}
                  onInput={(e) => setText({ ...latest.current.text, [f.name]: e.currentTarget.value })}
                  {...invalid(f.id, failure, `${f.id}-hint ${f.id}-count`)}
                />
                <p id={`${f.id}-count`} class={`counter counter--${n > MAX_CHARS ? "over" : "ok"}`}>
                  {n.toLocaleString("en-US")} of {MAX_CHARS.toLocaleString("en-US")} characters
                </p>
                <FieldError id={f.id} failure={failure} />
              </div>
            );
          })}
        </div>
        {nav}
      </form>
    );
  } else {
    body = (
      <div class="case-form">
        <h2 class="form-step__title">Review and save</h2>
        {victim ? <Review victim={victim} statement={statement} /> : <p role="status">Loading the victim…</p>}
        {nav}
      </div>
    );
  }

  return (
    <div class="medium">
      <p class="back">
        <Link href={victimsHref}>Back to victims</Link>
      </p>
      <h1>Add a victim</h1>
      {load.state === "ok" && (
        <p class="lead">
          In <Link href={caseHref(caseId)}>{load.kase.caption}</Link> ({load.kase.court_case_number}).
        </p>
      )}
      {load.state === "error" && <ProblemAlert problem={load.problem} />}

      <ol class="steps" id="wizard-steps" aria-label="Steps of the intake">
        {STEPS.map((s, n) => (
          <li key={s.id} aria-current={s.id === step ? "step" : undefined} class={n < i ? "is-done" : undefined}>
            {s.label}
            {n < i && <span class="visually-hidden"> (done)</span>}
          </li>
        ))}
      </ol>

      <p role="status" class="status-message" id="wizard-message">
        {message}
      </p>

      {restored && (
        <div class="callout" id="draft-restored">
          <p class="callout__title">Your unsaved entry is back</p>
          <p>
            What you typed before has been restored{victimId ? ", and the victim already added is kept" : ""}.
            {reenter.length > 0 && (
              <>
                {" "}
                The {reenter.join(" and ")} {reenter.length > 1 ? "are" : "is"} never kept in the browser: enter{" "}
                {reenter.length > 1 ? "them" : "it"} again in step 1.
              </>
            )}
          </p>
          <p class="actions">
            {reenter.length > 0 && step !== "who" && (
              <button type="button" id="go-to-who" class="button button--secondary button--small" onClick={() => goTo("who")}>
                Go to step 1
              </button>
            )}
            {!victimId && (
              <button type="button" id="discard-draft" class="button button--secondary button--small" onClick={startOver}>
                Start over
              </button>
            )}
            <button type="button" id="dismiss-restored" class="button button--secondary button--small" onClick={() => setRestored(false)}>
              Dismiss
            </button>
          </p>
        </div>
      )}

      <div id="wizard-step" class="wizard-step" data-step={step}>
        {body}
      </div>
    </div>
  );
}

/** Review sums up what the intake recorded, all of it already saved. */
function Review({ victim, statement }: { victim: Victim; statement: Statement | null }) {
  const [losses, setLosses] = useState<Loss[]>([]);
  const [problem, setProblem] = useState<Problem | null>(null);
  useEffect(() => {
    let live = true;
    api
      .GET("/api/v1/victims/{victim_id}/losses", { params: { path: { victim_id: victim.id }, query: { limit: 500 } } })
      .then(({ data, error, response }) => {
        if (!live) return;
        if (data) setLosses(data.items);
        else setProblem(toProblem(error, response));
      })
      .catch((err: unknown) => live && setProblem(toProblem(err)));
    return () => {
      live = false;
    };
  }, [victim.id]);
  const counted = losses.filter((l) => !l.voided_at && l.status !== "excluded");
  const claimed = counted.reduce((acc, l) => acc + BigInt(l.claimed_cents), 0n);
  const a = victim.mailing_address;
  return (
    <div class="review" id="review">
      <p>Everything below is saved. Finish to open the victim’s page, where it can all be changed later.</p>
      <h3>Who</h3>
      <dl class="details">
        <div>
          <dt>Name</dt>
          <dd>{victim.name}</dd>
        </div>
        <div>
          <dt>Kind</dt>
          <dd>{victimKindLabel(victim.kind)}</dd>
        </div>
        {victim.ssn_last4 && (
          <div>
            <dt>SSN</dt>
            <dd>Ends in {victim.ssn_last4}</dd>
          </div>
        )}
      </dl>
      <h3>Contact and preferences</h3>
      <dl class="details">
        <div>
          <dt>Email</dt>
          <dd>{victim.email || <span class="muted">Not recorded</span>}</dd>
        </div>
        <div>
          <dt>Phone</dt>
          <dd>{victim.phone || <span class="muted">Not recorded</span>}</dd>
        </div>
        <div>
          <dt>Mailing address</dt>
          <dd>{a ? `${a.line1 ? `${a.line1}, ` : ""}${a.city}, ${a.state} ${a.postal_code ?? ""}` : <span class="muted">Not recorded</span>}</dd>
        </div>
        <div>
          <dt>Language</dt>
          <dd>
            {languageLabel(victim.preferred_language ?? "en")}
            {victim.interpreter_needed && " · needs an interpreter"}
          </dd>
        </div>
        <div>
          <dt>Wants to be heard</dt>
          <dd>{heardByLabel(victim.wants_to_be_heard ?? "none")}</dd>
        </div>
      </dl>
      <h3>Losses</h3>
      {problem && <ProblemAlert problem={problem} />}
      {losses.length === 0 ? (
        <p class="muted" id="review-losses">
          None recorded.
        </p>
      ) : (
        <>
          <ul id="review-losses">
            {losses.map((l) => (
              <li key={l.id}>
                {lossCategoryLabel(l.category)}: {formatCents(l.claimed_cents)}
                {l.documents.length > 0 && ` · ${l.documents.length} ${l.documents.length === 1 ? "document" : "documents"}`}
                {l.voided_at && " (voided)"}
              </li>
            ))}
          </ul>
          <p id="review-total">
            Total claimed: <strong>{formatCents(claimed)}</strong>
          </p>
        </>
      )}
      <h3>Impact statement</h3>
      <p id="review-statement">
        {statement ? `Saved as a draft, revision ${statement.revision}.` : "None started. It can be started later from the victim’s page."}
      </p>
    </div>
  );
}
