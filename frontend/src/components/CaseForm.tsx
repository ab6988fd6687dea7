import type { ComponentChildren, TargetedEvent, TargetedSubmitEvent } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { CaseStatus, Problem } from "../api/client";
import { STATUSES } from "../format";
import { useJurisdictions } from "../jurisdictions";

/** The case fields as the form holds them: every value a string, "" meaning not set. */
export interface CaseFormValues {
  court_case_number: string;
  caption: string;
  court: string;
  jurisdiction: string;
  status: CaseStatus;
  sentencing_date: string;
  notes: string;
}

type FieldName = keyof CaseFormValues;
type Errors = Partial<Record<string, string>>;

const LABELS: Record<FieldName, string> = {
  court_case_number: "Court case number",
  caption: "Caption",
  court: "Court",
  jurisdiction: "Jurisdiction",
  status: "Status",
  sentencing_date: "Sentencing date",
  notes: "Notes",
};

const REQUIRED: ReadonlyArray<[FieldName, string]> = [
  ["court_case_number", "Enter the court case number."],
  ["caption", "Enter the caption."],
  ["court", "Enter the court."],
  ["jurisdiction", "Choose a jurisdiction."],
];

export const EMPTY_CASE: CaseFormValues = {
  court_case_number: "",
  caption: "",
  court: "",
  jurisdiction: "",
  status: "intake",
  sentencing_date: "",
  notes: "",
};

const isField = (name: string): name is FieldName => name in LABELS;

/** sentence turns the server's terse "is required" into "Caption is required"; full sentences pass through. */
function sentence(name: string, message: string): string {
  if (!/^[a-z]/.test(message)) return message;
  return `${isField(name) ? LABELS[name] : name} ${message}`;
}

interface Props {
  initial: CaseFormValues;
  submitId: string;
  submitLabel: string;
  submitting: boolean;
  /** The server's answer to the last submission, when it failed. */
  problem: Problem | null;
  /** Extra content for the error summary, such as a Reload button. */
  problemAction?: ComponentChildren;
  onSubmit: (values: CaseFormValues) => void;
  onCancel?: () => void;
}

/**
 * CaseForm is the one form for creating and editing a case. It checks only that required fields are
 * filled in; everything else is the server's to judge, and its field errors are shown next to each field.
 */
export function CaseForm(props: Props) {
  const { problem } = props;
  const [values, setValues] = useState(props.initial);
  const [clientErrors, setClientErrors] = useState<Errors>({});
  const jurisdictions = useJurisdictions();
  const summary = useRef<HTMLDivElement>(null);

  const hasClientErrors = Object.keys(clientErrors).length > 0;
  const errors: Errors = {};
  for (const [name, message] of Object.entries(hasClientErrors ? clientErrors : (problem?.errors ?? {}))) {
    if (message) errors[name] = sentence(name, message);
  }

  // Take the user to the list of problems after every failed submission.
  useEffect(() => {
    if (hasClientErrors || problem) summary.current?.focus();
  }, [clientErrors, problem]);

  // latest holds every keystroke at once; `values` catches up at the next render, which may come after a
  // quick Enter or click, so submitting reads latest and never a stale render's values.
  const latest = useRef(values);
  const set =
    (name: FieldName) => (e: TargetedEvent<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>) => {
      latest.current = { ...latest.current, [name]: e.currentTarget.value };
      setValues(latest.current);
    };

  const submit = (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (props.submitting) return;
    const current = latest.current;
    const trimmed: CaseFormValues = {
      ...current,
      court_case_number: current.court_case_number.trim(),
      caption: current.caption.trim(),
      court: current.court.trim(),
    };
    const missing: Errors = {};
    for (const [name, message] of REQUIRED) if (!trimmed[name]) missing[name] = message;
    setClientErrors(missing);
    if (Object.keys(missing).length === 0) props.onSubmit(trimmed);
  };

  const focusField = (name: string) => (e: Event) => {
    e.preventDefault();
    document.getElementById(name)?.focus();
  };

  // Attributes that tie an input to its label and, when there is one, to its error message.
  const field = (name: FieldName) => ({
    id: name,
    name,
    value: values[name],
    onInput: set(name),
    "aria-invalid": errors[name] ? ("true" as const) : undefined,
    "aria-describedby": errors[name] ? `${name}-error` : undefined,
  });

  const fieldError = (name: FieldName) =>
    errors[name] && (
      <p id={`${name}-error`} class="field-error">
        {errors[name]}
      </p>
    );

  const label = (name: FieldName, optional = false) => (
    <label for={name}>
      {LABELS[name]}
      {optional && <span class="optional"> (optional)</span>}
    </label>
  );

  const errorList = Object.entries(errors).filter((entry): entry is [string, string] => !!entry[1]);
  const known = new Set(jurisdictions.items.map((j) => j.code));

  return (
    <form id="case-form" class="case-form" noValidate onSubmit={submit}>
      {(hasClientErrors || problem) && (
        <div role="alert" class="alert alert--error" tabIndex={-1} ref={summary}>
          <p class="alert__title">
            {hasClientErrors ? "Some required fields are empty." : problem!.title}
          </p>
          {!hasClientErrors && problem?.detail && <p>{problem.detail}</p>}
          {errorList.length > 0 && (
            <ul class="alert__list">
              {errorList.map(([name, message]) => (
                <li key={name}>
                  {isField(name) ? (
                    <a href={`#${name}`} onClick={focusField(name)}>
                      {message}
                    </a>
                  ) : (
                    message
                  )}
                </li>
              ))}
            </ul>
          )}
          {!hasClientErrors && props.problemAction}
          {!hasClientErrors && problem?.request_id && <p class="alert__ref">Reference: {problem.request_id}</p>}
        </div>
      )}

      <div class="form-grid">
        <div class="field">
          {label("court_case_number")}
          <input type="text" autoComplete="off" spellcheck={false} required {...field("court_case_number")} />
          {fieldError("court_case_number")}
        </div>

        <div class="field field--wide">
          {label("caption")}
          <input type="text" autoComplete="off" placeholder="People v. …" required {...field("caption")} />
          {fieldError("caption")}
        </div>

        <div class="field field--wide">
          {label("court")}
          <input type="text" autoComplete="off" required {...field("court")} />
          {fieldError("court")}
        </div>

        <div class="field">
          {label("jurisdiction")}
          <select required {...field("jurisdiction")}>
            {!values.jurisdiction && (
              <option value="">{jurisdictions.loading ? "Loading jurisdictions…" : "Choose a jurisdiction"}</option>
            )}
            {values.jurisdiction && !known.has(values.jurisdiction) && (
              <option value={values.jurisdiction}>{values.jurisdiction}</option>
            )}
            {jurisdictions.items.map((j) => (
              <option key={j.code} value={j.code}>
                {j.name} ({j.code})
              </option>
            ))}
          </select>
          {fieldError("jurisdiction")}
          {jurisdictions.problem && (
            <p role="alert" class="field-error">
              Could not load the list of jurisdictions: {jurisdictions.problem.title}
            </p>
          )}
        </div>

        <div class="field">
          {label("status")}
          <select {...field("status")}>
            {STATUSES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
          {fieldError("status")}
        </div>

        <div class="field">
          {label("sentencing_date", true)}
          <input type="date" {...field("sentencing_date")} />
          {fieldError("sentencing_date")}
        </div>

        <div class="field field--wide">
          {label("notes", true)}
          <textarea rows={5} {...field("notes")} />
          {fieldError("notes")}
        </div>
      </div>

      <div class="form-actions">
        <button type="submit" id={props.submitId} class="button" disabled={props.submitting}>
          {props.submitLabel}
        </button>
        {props.onCancel && (
          <button type="button" class="button button--secondary" onClick={props.onCancel}>
            Cancel
          </button>
        )}
        <span class="muted" role="status">
          {props.submitting ? "Saving…" : ""}
        </span>
      </div>
    </form>
  );
}
