import { useEffect, useState } from "preact/hooks";
import { api, toProblem, type CaseCreate, type Problem } from "../api/client";
import { CaseForm, EMPTY_CASE, type CaseFormValues } from "../components/CaseForm";
import { setTitle } from "../format";
import { Link, navigate } from "../router";
import { listHref } from "./CaseList";

export function CaseNew() {
  const [submitting, setSubmitting] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  useEffect(() => setTitle("New case"), []);

  const create = async (v: CaseFormValues) => {
    const body: CaseCreate = {
      court_case_number: v.court_case_number,
      caption: v.caption,
      court: v.court,
      jurisdiction: v.jurisdiction,
      status: v.status,
    };
    if (v.sentencing_date) body.sentencing_date = v.sentencing_date;
    if (v.notes) body.notes = v.notes;

    setSubmitting(true);
    try {
      const { data, error, response } = await api.POST("/api/v1/cases", { body });
      if (data) {
        navigate(`/cases/${encodeURIComponent(data.id)}`);
        return;
      }
      setProblem(toProblem(error, response));
    } catch (err) {
      setProblem(toProblem(err));
    }
    setSubmitting(false);
  };

  return (
    <div class="narrow">
      <p class="back">
        <Link href={listHref()}>Back to cases</Link>
      </p>
      <h1>New case</h1>
      <p class="lead">Open a case to start recording its victims, losses and restitution.</p>
      <CaseForm
        initial={EMPTY_CASE}
        submitId="submit-case"
        submitLabel="Create case"
        submitting={submitting}
        problem={problem}
        onSubmit={create}
      />
    </div>
  );
}
