import { useEffect, useRef, useState } from "preact/hooks";
import { api, toProblem, type Case, type Problem } from "../api/client";
import { failureFrom, type Failure } from "../components/FormErrors";
import { ProblemAlert } from "../components/ProblemAlert";
import {
  DuplicateAlert,
  EMPTY_VICTIM,
  VictimForm,
  createBody,
  draftOf,
  fromDraft,
  isBlank,
  victimFailure,
  type VictimFormValues,
} from "../components/VictimForm";
import { clearDraft, draftKey, loadDraft, saveDraft } from "../drafts";
import { setFlash } from "../flash";
import { setTitle } from "../format";
import { Link, navigate } from "../router";
import { useCurrentUser } from "../session";
import { caseHref } from "./case/tabs";
import { victimHref } from "./case/VictimsTab";

type Load = { state: "loading" } | { state: "ok"; kase: Case } | { state: "not-found" } | { state: "error"; problem: Problem };

/**
 * VictimNew takes in a victim: step 1 (who) and step 2 (contact and preferences) of the intake. What is typed
 * is kept as a draft in this tab, but for the SSN and the birth date, so that a reload or an expired session
 * loses nothing; the draft goes once the victim is saved.
 */
export function VictimNew({ caseId }: { caseId: string }) {
  const me = useCurrentUser();
  const key = draftKey("victim", me?.id ?? "anonymous", caseId);
  const [load, setLoad] = useState<Load>({ state: "loading" });
  const [initial, setInitial] = useState<VictimFormValues>(() => {
    const d = loadDraft<VictimFormValues>(key);
    return d ? fromDraft(d) : EMPTY_VICTIM;
  });
  const [restored, setRestored] = useState(() => !isBlank(initial));
  const [formKey, setFormKey] = useState(0);
  const [submitting, setSubmitting] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [duplicate, setDuplicate] = useState<{ problem: Problem; id: string } | null>(null);
  const saved = useRef(false);

  useEffect(() => setTitle("Add a victim"), []);

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

  const onChange = (v: VictimFormValues) => {
    if (saved.current) return;
    if (isBlank(v)) clearDraft(key);
    else saveDraft(key, draftOf(v));
  };

  const startOver = () => {
    clearDraft(key);
    setInitial(EMPTY_VICTIM);
    setRestored(false);
    setFailure(null);
    setDuplicate(null);
    setFormKey((k) => k + 1);
    window.setTimeout(() => document.getElementById("victim-kind")?.focus(), 0);
  };

  const create = async (v: VictimFormValues) => {
    setSubmitting(true);
    setDuplicate(null);
    try {
      const { data, error, response } = await api.POST("/api/v1/cases/{case_id}/victims", {
        params: { path: { case_id: caseId } },
        body: createBody(v),
      });
      if (data) {
        saved.current = true;
        clearDraft(key);
        const last4 = data.ssn_last4 ? ` The SSN on record ends in ${data.ssn_last4}.` : "";
        setFlash(victimHref(data.id), `${data.name} added.${last4}`);
        navigate(victimHref(data.id));
        return;
      }
      const problem = toProblem(error, response);
      if (response.status === 409 && problem.existing_id) {
        setFailure(null);
        setDuplicate({ problem, id: problem.existing_id });
      } else {
        setFailure(response.status === 422 ? victimFailure(problem) : failureFrom(problem, {}));
      }
    } catch (err) {
      setFailure(failureFrom(toProblem(err), {}));
    }
    setSubmitting(false);
  };

  const victimsHref = caseHref(caseId, "victims");

  if (load.state === "not-found") {
    return (
      <>
        <h1>Case not found</h1>
        <p>There is no case at this address, or you may not see it.</p>
        <p>
          <Link href="/">Back to cases</Link>
        </p>
      </>
    );
  }

  return (
    <div class="narrow">
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

      <VictimForm
        key={formKey}
        initial={initial}
        editing={false}
        submitId="save-victim"
        submitLabel="Add victim"
        submitting={submitting}
        failure={failure}
        alert={duplicate && <DuplicateAlert problem={duplicate.problem} href={victimHref(duplicate.id)} />}
        notice={
          restored && (
            <div class="callout" id="draft-restored">
              <p class="callout__title">Your unsaved entry is back</p>
              <p>
                What you typed before has been restored. The SSN and date of birth are never kept in the browser: enter
                them again.
              </p>
              <p>
                <button type="button" id="discard-draft" class="button button--secondary button--small" onClick={startOver}>
                  Start over
                </button>
              </p>
            </div>
          )
        }
        onChange={onChange}
        onSubmit={(v) => void create(v)}
        onCancel={() => navigate(victimsHref)}
      />
    </div>
  );
}
