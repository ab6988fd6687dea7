import type { ComponentChildren, TargetedSubmitEvent } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { ChargeInput, Defendant, Disposition } from "../api/client";
import { DISPOSITIONS } from "../intake";
import { ErrorSummary, FieldError, invalid, sentence, type Failure, type FieldSpec } from "./FormErrors";

/** One count as the charges editor holds it; `key` keeps a row's inputs while rows above it come and go. */
export interface ChargeRow {
  key: number;
  count_number: string;
  statute: string;
  description: string;
  disposition: Disposition;
}

/** The defendant fields as the form holds them. */
export interface DefendantFormValues {
  name: string;
  date_of_birth: string;
  charges: ChargeRow[];
}

let nextKey = 1;
const newRow = (count: number): ChargeRow => ({
  key: nextKey++,
  count_number: String(count),
  statute: "",
  description: "",
  disposition: "pending",
});

export const EMPTY_DEFENDANT = (): DefendantFormValues => ({ name: "", date_of_birth: "", charges: [newRow(1)] });

export const defendantToForm = (d: Defendant): DefendantFormValues => ({
  name: d.name,
  date_of_birth: d.date_of_birth ?? "",
  charges: d.charges.map((c) => ({
    key: nextKey++,
    count_number: String(c.count_number),
    statute: c.statute,
    description: c.description,
    disposition: c.disposition,
  })),
});

/** chargesOf is the charges as the API takes them. Rows left wholly blank are dropped. */
export const chargesOf = (rows: ChargeRow[]): ChargeInput[] =>
  rows
    .filter((r) => r.statute.trim() || r.description.trim())
    .map((r) => ({
      count_number: Number(r.count_number),
      statute: r.statute.trim(),
      description: r.description.trim(),
      disposition: r.disposition,
    }));

const chargeFields = {
  count_number: { suffix: "count", label: "count number" },
  statute: { suffix: "statute", label: "statute" },
  description: { suffix: "description", label: "description" },
  disposition: { suffix: "disposition", label: "disposition" },
} as const;

const chargeId = (i: number, field: keyof typeof chargeFields) => `charge-${i}-${chargeFields[field].suffix}`;

/** defendantSpecs maps the server's field names ("charges.1.statute") onto the form's inputs. */
export function defendantSpecs(rows: number): Record<string, FieldSpec> {
  const specs: Record<string, FieldSpec> = {
    name: { id: "defendant-name", label: "Name" },
    date_of_birth: { id: "defendant-dob", label: "Date of birth" },
    charges: { id: "add-charge", label: "Charges" },
  };
  for (let i = 0; i < rows; i++) {
    for (const field of Object.keys(chargeFields) as (keyof typeof chargeFields)[]) {
      specs[`charges.${i}.${field}`] = { id: chargeId(i, field), label: `Charge ${i + 1}: the ${chargeFields[field].label}` };
    }
  }
  return specs;
}

interface Props {
  heading: string;
  initial: DefendantFormValues;
  submitLabel: string;
  submitting: boolean;
  failure: Failure | null;
  /** Extra content under the error summary, such as a Reload button after a stale edit. */
  problemAction?: ComponentChildren;
  onSubmit: (v: DefendantFormValues) => void;
  onCancel: () => void;
}

/**
 * DefendantForm adds or changes a defendant with the counts charged. Counts are rows that can be added and
 * removed; the server keeps a count's identity by its number.
 */
export function DefendantForm(props: Props) {
  const [values, setValues] = useState(props.initial);
  const [clientFailure, setClientFailure] = useState<Failure | null>(null);
  const [announce, setAnnounce] = useState("");
  const latest = useRef(values);
  const focusAfter = useRef<string | null>(null);
  const failure = clientFailure ?? props.failure;

  useEffect(() => document.getElementById("defendant-name")?.focus(), []);
  useEffect(() => {
    if (focusAfter.current) {
      document.getElementById(focusAfter.current)?.focus();
      focusAfter.current = null;
    }
  });

  const update = (next: DefendantFormValues) => {
    latest.current = next;
    setValues(next);
  };

  const setField = (name: "name" | "date_of_birth") => (e: Event) =>
    update({ ...latest.current, [name]: (e.currentTarget as HTMLInputElement).value });

  const setCharge = (key: number, field: keyof Omit<ChargeRow, "key">) => (e: Event) => {
    const value = (e.currentTarget as HTMLInputElement | HTMLSelectElement).value;
    update({
      ...latest.current,
      charges: latest.current.charges.map((r) => (r.key === key ? { ...r, [field]: value } : r)),
    });
  };

  const addCharge = () => {
    const rows = latest.current.charges;
    const highest = rows.reduce((max, r) => Math.max(max, Number(r.count_number) || 0), 0);
    const row = newRow(highest + 1);
    update({ ...latest.current, charges: [...rows, row] });
    focusAfter.current = chargeId(rows.length, "statute");
    setAnnounce(`Count ${highest + 1} added.`);
  };

  const removeCharge = (key: number) => {
    const rows = latest.current.charges;
    const gone = rows.find((r) => r.key === key);
    update({ ...latest.current, charges: rows.filter((r) => r.key !== key) });
    focusAfter.current = "add-charge";
    setAnnounce(gone ? `Count ${gone.count_number || "without a number"} removed.` : "");
  };

  const submit = (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (props.submitting) return;
    const v = latest.current;
    const fields: Record<string, string> = {};
    if (!v.name.trim()) fields["defendant-name"] = "Enter the defendant’s name.";
    v.charges.forEach((r, i) => {
      const blank = !r.statute.trim() && !r.description.trim();
      if (blank) return;
      if (!/^\d+$/.test(r.count_number.trim()) || Number(r.count_number) < 1)
        fields[chargeId(i, "count_number")] = sentence(`Charge ${i + 1}: the count number`, "must be a whole number from 1");
      if (!r.statute.trim()) fields[chargeId(i, "statute")] = `Charge ${i + 1}: enter the statute.`;
    });
    if (Object.keys(fields).length > 0) {
      setClientFailure({ title: "Some fields need attention.", fields, other: [] });
      return;
    }
    setClientFailure(null);
    props.onSubmit({ ...v, name: v.name.trim() });
  };

  const order = ["defendant-name", "defendant-dob"].concat(
    values.charges.flatMap((_, i) => (Object.keys(chargeFields) as (keyof typeof chargeFields)[]).map((f) => chargeId(i, f))),
    ["add-charge"],
  );

  return (
    <form id="defendant-form" class="panel stacked-form" noValidate onSubmit={submit} aria-labelledby="defendant-form-heading">
      <h3 id="defendant-form-heading">{props.heading}</h3>
      {failure && <ErrorSummary failure={failure} order={order} />}
      {!clientFailure && props.problemAction}

      <div class="form-grid">
        <div class="field">
          <label for="defendant-name">Name</label>
          <input
            type="text"
            id="defendant-name"
            autoComplete="off"
            value={values.name}
            onInput={setField("name")}
            {...invalid("defendant-name", failure)}
          />
          <FieldError id="defendant-name" failure={failure} />
        </div>
        <div class="field">
          <label for="defendant-dob">
            Date of birth<span class="optional"> (optional)</span>
          </label>
          <input
            type="date"
            id="defendant-dob"
            value={values.date_of_birth}
            onInput={setField("date_of_birth")}
            {...invalid("defendant-dob", failure)}
          />
          <FieldError id="defendant-dob" failure={failure} />
        </div>
      </div>

      <fieldset class="charges">
        <legend>Charges</legend>
        {values.charges.length === 0 && <p class="muted">No counts. Add one with “Add a count”.</p>}
        {values.charges.map((r, i) => (
          <fieldset key={r.key} class="charge-row" id={`charge-${i}`}>
            <legend class="charge-row__legend">Charge {i + 1}</legend>
            <div class="charge-row__grid">
              <div class="field charge-row__count">
                <label for={chargeId(i, "count_number")}>Count number</label>
                <input
                  type="number"
                  min={1}
                  step={1}
                  inputMode="numeric"
                  id={chargeId(i, "count_number")}
                  value={r.count_number}
                  onInput={setCharge(r.key, "count_number")}
                  {...invalid(chargeId(i, "count_number"), failure)}
                />
                <FieldError id={chargeId(i, "count_number")} failure={failure} />
              </div>
              <div class="field">
                <label for={chargeId(i, "statute")}>Statute</label>
                <input
                  type="text"
                  autoComplete="off"
                  placeholder="C.R.S. 18-5-902"
                  id={chargeId(i, "statute")}
                  value={r.statute}
                  onInput={setCharge(r.key, "statute")}
                  {...invalid(chargeId(i, "statute"), failure)}
                />
                <FieldError id={chargeId(i, "statute")} failure={failure} />
              </div>
              <div class="field">
                <label for={chargeId(i, "disposition")}>Disposition</label>
                <select
                  id={chargeId(i, "disposition")}
                  value={r.disposition}
                  onChange={setCharge(r.key, "disposition")}
                  {...invalid(chargeId(i, "disposition"), failure)}
                >
                  {DISPOSITIONS.map((d) => (
                    <option key={d.value} value={d.value}>
                      {d.label}
                    </option>
                  ))}
                </select>
                <FieldError id={chargeId(i, "disposition")} failure={failure} />
              </div>
              <div class="field charge-row__description">
                <label for={chargeId(i, "description")}>
                  Description<span class="optional"> (optional)</span>
                </label>
                <input
                  type="text"
                  autoComplete="off"
                  id={chargeId(i, "description")}
                  value={r.description}
                  onInput={setCharge(r.key, "description")}
                  {...invalid(chargeId(i, "description"), failure)}
                />
                <FieldError id={chargeId(i, "description")} failure={failure} />
              </div>
            </div>
            <p class="charge-row__remove">
              <button
                type="button"
                id={`remove-charge-${i}`}
                class="button button--secondary button--small"
                onClick={() => removeCharge(r.key)}
              >
                Remove<span class="visually-hidden"> charge {i + 1}</span>
              </button>
            </p>
          </fieldset>
        ))}
        <p>
          <button type="button" id="add-charge" class="button button--secondary" onClick={addCharge}>
            Add a count
          </button>
        </p>
        <FieldError id="add-charge" failure={failure} />
        <p class="visually-hidden" role="status">
          {announce}
        </p>
      </fieldset>

      <div class="form-actions">
        <button type="submit" id="save-defendant" class="button" disabled={props.submitting}>
          {props.submitLabel}
        </button>
        <button type="button" id="cancel-defendant" class="button button--secondary" onClick={props.onCancel}>
          Cancel
        </button>
        <span class="muted" role="status">
          {props.submitting ? "Saving…" : ""}
        </span>
      </div>
    </form>
  );
}
