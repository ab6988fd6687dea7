import type { TargetedSubmitEvent } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { Defendant, Loss, LossCategory, LossCreate, LossUpdate, Problem } from "../api/client";
import { LOSS_CATEGORIES, isLossCategory } from "../losses";
import { centsToInput, formatCents, formatHours, parseDollars, parseHours, timeValue } from "../money";
import { ErrorSummary, FieldError, failureFrom, invalid, type Failure, type FieldSpec } from "./FormErrors";

/** A loss as the form holds it: everything as typed. */
export interface LossFormValues {
  category: LossCategory | "";
  claimed: string;
  hours: string;
  rate: string;
  description: string;
  incurred_on: string;
  verified: string;
  reimbursed: string;
  reimbursed_by: string;
  defendant_id: string;
  charge_count: string;
}

export const EMPTY_LOSS: LossFormValues = {
  category: "",
  claimed: "",
  hours: "",
  rate: "",
  description: "",
  incurred_on: "",
  verified: "",
  reimbursed: "",
  reimbursed_by: "",
  defendant_id: "",
  charge_count: "",
};

/** isBlankLoss tells an untouched form, which leaves no draft. */
export const isBlankLoss = (v: LossFormValues): boolean => JSON.stringify(v) === JSON.stringify(EMPTY_LOSS);

/** lossFromDraft reads a stored draft back, keeping only strings. */
export function lossFromDraft(d: Partial<Record<string, unknown>> | null | undefined): LossFormValues {
  const v: LossFormValues = { ...EMPTY_LOSS };
  if (!d) return v;
  for (const k of Object.keys(EMPTY_LOSS) as Array<keyof LossFormValues>) {
    if (typeof d[k] === "string") (v as unknown as Record<string, string>)[k] = d[k] as string;
  }
  if (!isLossCategory(v.category)) v.category = "";
  return v;
}

/** lossToForm reads a stored loss into the form. */
export function lossToForm(l: Loss): LossFormValues {
  return {
    category: l.category,
    claimed: centsToInput(l.claimed_cents),
    hours: l.hours ? formatHours(l.hours) : "",
    rate: centsToInput(l.hourly_rate_cents),
    description: l.description,
    incurred_on: l.incurred_on ?? "",
    verified: centsToInput(l.verified_cents),
    reimbursed: l.reimbursed_cents ? centsToInput(l.reimbursed_cents) : "",
    reimbursed_by: l.reimbursed_by,
    defendant_id: l.defendant_id ?? "",
    charge_count: l.charge_count === null ? "" : String(l.charge_count),
  };
}

const isTime = (v: LossFormValues) => v.category === "remediation_time";

/** computedTime is what hours × rate come to, or null until both read as numbers. */
export function computedTime(v: LossFormValues): number | null {
  const h = parseHours(v.hours);
  const r = parseDollars(v.rate);
  if (!h.ok || !r.ok || v.rate.trim() === "") return null;
  return Number(timeValue(h.value.hundredths, BigInt(r.value)));
}

/** The loss in API terms, read from what was typed, or the form's errors keyed by input id. */
interface Read {
  fields: Record<string, string>;
  category: LossCategory | null;
  claimed: number | null;
  hours: string | null;
  rate: number | null;
  verified: number | null;
  reimbursed: number | null;
  charge: number | null;
}

function read(v: LossFormValues): Read {
  const fields: Record<string, string> = {};
  const out: Read = { fields, category: null, claimed: null, hours: null, rate: null, verified: null, reimbursed: null, charge: null };
  if (!v.category) fields["loss-category"] = "Choose the category of the loss.";
  else out.category = v.category;
  const money = (id: string, text: string, label: string, required: boolean): number | null => {
    if (!text.trim()) {
      if (required) fields[id] = `Enter the ${label.toLowerCase()}.`;
      return null;
    }
    const p = parseDollars(text, label);
    if (!p.ok) {
      fields[id] = p.message;
      return null;
    }
    return p.value;
  };
  if (isTime(v)) {
    if (!v.hours.trim()) fields["loss-hours"] = "Enter the hours spent.";
    else {
      const h = parseHours(v.hours);
      if (h.ok) out.hours = h.value.api;
      else fields["loss-hours"] = h.message;
    }
    out.rate = money("loss-rate", v.rate, "Hourly rate", true);
    if (out.hours !== null && out.rate !== null) out.claimed = computedTime(v);
  } else {
    out.claimed = money("loss-claimed", v.claimed, "Claimed amount", true);
  }
  out.verified = money("loss-verified", v.verified, "Verified amount", false);
  out.reimbursed = money("loss-reimbursed", v.reimbursed, "Reimbursed amount", false);
  if (out.reimbursed !== null && out.reimbursed > 0) {
    const basis = out.verified ?? out.claimed;
    if (basis !== null && out.reimbursed > basis) {
      fields["loss-reimbursed"] = `The reimbursed amount cannot be more than the ${out.verified !== null ? "verified" : "claimed"} amount, ${formatCents(basis)}.`;
    }
  }
  if (v.charge_count) out.charge = Number(v.charge_count);
  if (v.incurred_on && !/^\d{4}-\d{2}-\d{2}$/.test(v.incurred_on)) fields["loss-incurred-on"] = "Enter the date as a full date.";
  return out;
}

/** createLossBody is the new loss as the API takes it. */
function createBody(v: LossFormValues, r: Read): LossCreate {
  const body: LossCreate = { category: r.category as LossCategory, claimed_cents: r.claimed ?? 0 };
  if (r.hours !== null && r.rate !== null) {
    body.hours = r.hours;
    body.hourly_rate_cents = r.rate;
  }
  if (v.description.trim()) body.description = v.description;
  if (v.incurred_on) body.incurred_on = v.incurred_on;
  if (r.verified !== null) body.verified_cents = r.verified;
  if (r.reimbursed !== null && r.reimbursed > 0) body.reimbursed_cents = r.reimbursed;
  if (v.reimbursed_by.trim()) body.reimbursed_by = v.reimbursed_by.trim();
  if (v.defendant_id) body.defendant_id = v.defendant_id;
  if (r.charge !== null && v.defendant_id) body.charge_count = r.charge;
  return body;
}

/** hundredthsOf reads hours ("12.5" or the API's "12.50") as hundredths, to compare them. */
function hundredthsOf(hours: string | null): bigint | null {
  if (hours === null) return null;
  const p = parseHours(hours);
  return p.ok ? p.value.hundredths : null;
}

/** updatePatch is the merge patch from the stored loss to the edited one: changed fields only. */
function updatePatch(before: Loss, v: LossFormValues, r: Read): LossUpdate {
  const p: LossUpdate = {};
  if (r.category && r.category !== before.category) p.category = r.category;
  if (r.claimed !== null && r.claimed !== before.claimed_cents) p.claimed_cents = r.claimed;
  const hours = isTime(v) ? r.hours : null;
  const rate = isTime(v) ? r.rate : null;
  if (hundredthsOf(hours) !== hundredthsOf(before.hours)) p.hours = hours;
  if (rate !== before.hourly_rate_cents) p.hourly_rate_cents = rate;
  if (v.description !== before.description) p.description = v.description;
  if ((v.incurred_on || null) !== before.incurred_on) p.incurred_on = v.incurred_on || null;
  if (r.verified !== before.verified_cents) p.verified_cents = r.verified;
  if ((r.reimbursed ?? 0) !== before.reimbursed_cents) p.reimbursed_cents = r.reimbursed ?? 0;
  if (v.reimbursed_by.trim() !== before.reimbursed_by) p.reimbursed_by = v.reimbursed_by.trim();
  if ((v.defendant_id || null) !== before.defendant_id) p.defendant_id = v.defendant_id || null;
  const charge = v.defendant_id ? r.charge : null;
  if (charge !== before.charge_count) p.charge_count = charge;
  return p;
}

/** How the server's field names appear in this form. */
export const LOSS_SPECS: Record<string, FieldSpec> = {
  category: { id: "loss-category", label: "Category" },
  claimed_cents: { id: "loss-claimed", label: "Claimed amount" },
  hours: { id: "loss-hours", label: "Hours" },
  hourly_rate_cents: { id: "loss-rate", label: "Hourly rate" },
  description: { id: "loss-description", label: "Description" },
  incurred_on: { id: "loss-incurred-on", label: "Incurred on" },
  verified_cents: { id: "loss-verified", label: "Verified amount" },
  reimbursed_cents: { id: "loss-reimbursed", label: "Reimbursed amount" },
  reimbursed_by: { id: "loss-reimbursed-by", label: "Reimbursed by" },
  defendant_id: { id: "loss-defendant", label: "Defendant" },
  charge_count: { id: "loss-charge", label: "Count" },
};

const ORDER = [
  "loss-category",
  "loss-claimed",
  "loss-hours",
  "loss-rate",
  "loss-description",
  "loss-incurred-on",
  "loss-verified",
  "loss-reimbursed",
  "loss-reimbursed-by",
  "loss-defendant",
  "loss-charge",
];

/** lossFailure reads a problem's field errors onto this form; for remediation time the claim is the rate's. */
export function lossFailure(p: Problem, time: boolean): Failure {
  const specs = time ? { ...LOSS_SPECS, claimed_cents: { id: "loss-rate", label: "The amount" } } : LOSS_SPECS;
  return failureFrom(p, specs);
}

/** What a submission sends: a new loss, or the patch of one being edited. */
export type LossSubmit = { kind: "create"; body: LossCreate } | { kind: "update"; patch: LossUpdate };

interface Props {
  /** The loss being edited, or none for a new one. */
  editing?: Loss | null;
  initial: LossFormValues;
  defendants: Defendant[];
  submitting: boolean;
  failure: Failure | null;
  title: string;
  submitLabel: string;
  onChange?: (v: LossFormValues) => void;
  onSubmit: (s: LossSubmit, time: boolean) => void;
  onCancel: () => void;
}

/**
 * LossForm records a loss or changes one. Amounts are typed in dollars and read into cents exactly; for time
 * spent on remediation the claim is hours × hourly rate, rounded half-up to the cent as the server checks, and
 * shown as it is typed.
 */
export function LossForm(props: Props) {
  const [values, setValues] = useState(props.initial);
  const latest = useRef(values);
  const [clientFailure, setClientFailure] = useState<Failure | null>(null);
  const failure = clientFailure ?? props.failure;

  useEffect(() => {
    document.getElementById("loss-category")?.focus();
  }, []);

  const set = (patch: Partial<LossFormValues>) => {
    latest.current = { ...latest.current, ...patch };
    setValues(latest.current);
    props.onChange?.(latest.current);
  };

  const submit = (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (props.submitting) return;
    const v = latest.current;
    const r = read(v);
    if (Object.keys(r.fields).length > 0) {
      setClientFailure({ title: "Some fields need attention.", fields: r.fields, other: [] });
      return;
    }
    setClientFailure(null);
    if (props.editing) props.onSubmit({ kind: "update", patch: updatePatch(props.editing, v, r) }, isTime(v));
    else props.onSubmit({ kind: "create", body: createBody(v, r) }, isTime(v));
  };

  const time = isTime(values);
  const computed = time ? computedTime(values) : null;
  const defendant = props.defendants.find((d) => d.id === values.defendant_id);

  return (
    <form id="loss-form" class="panel loss-form" noValidate onSubmit={submit} aria-labelledby="loss-form-title">
      <h3 id="loss-form-title">{props.title}</h3>
      {failure && <ErrorSummary failure={failure} order={ORDER} />}
      <div class="form-grid">
        <div class="field">
          <label for="loss-category">Category</label>
          <select
            id="loss-category"
            value={values.category}
            onChange={(e) => set({ category: e.currentTarget.value as LossCategory })}
            {...invalid("loss-category", failure)}
          >
            {!values.category && <option value="">Choose a category</option>}
            {LOSS_CATEGORIES.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
          <FieldError id="loss-category" failure={failure} />
        </div>
        {time ? (
          <>
            <div class="field">
              <label for="loss-hours">Hours spent</label>
              <input
                type="text"
                id="loss-hours"
                inputMode="decimal"
                autoComplete="off"
                value={values.hours}
                onInput={(e) => set({ hours: e.currentTarget.value })}
                {...invalid("loss-hours", failure, "loss-hours-hint")}
              />
              <p class="hint" id="loss-hours-hint">
                Up to two decimals, such as 12.5.
              </p>
              <FieldError id="loss-hours" failure={failure} />
            </div>
            <div class="field">
              <label for="loss-rate">Hourly rate (dollars)</label>
              <input
                type="text"
                id="loss-rate"
                inputMode="decimal"
                autoComplete="off"
                value={values.rate}
                onInput={(e) => set({ rate: e.currentTarget.value })}
                {...invalid("loss-rate", failure, "loss-rate-hint")}
              />
              <p class="hint" id="loss-rate-hint">
                Such as 25.00.
              </p>
              <FieldError id="loss-rate" failure={failure} />
            </div>
            <div class="field field--wide">
              <p class="computed" id="loss-computed" aria-live="polite">
                {computed !== null ? (
                  <>
                    Claimed: {formatHours(values.hours.trim())} hours × {formatCents(parseDollarsOr0(values.rate))} ={" "}
                    <strong>{formatCents(computed)}</strong> (rounded half-up to the cent)
                  </>
                ) : (
                  "The claimed amount is hours × hourly rate; enter both to see it."
                )}
              </p>
            </div>
          </>
        ) : (
          <div class="field">
            <label for="loss-claimed">Claimed amount (dollars)</label>
            <input
              type="text"
              id="loss-claimed"
              inputMode="decimal"
              autoComplete="off"
              value={values.claimed}
              onInput={(e) => set({ claimed: e.currentTarget.value })}
              {...invalid("loss-claimed", failure, "loss-claimed-hint")}
            />
            <p class="hint" id="loss-claimed-hint">
              Such as 1,234.56.
            </p>
            <FieldError id="loss-claimed" failure={failure} />
          </div>
        )}
        <div class="field field--wide">
          <label for="loss-description">
            Description<span class="optional"> (optional)</span>
          </label>
          <textarea
            id="loss-description"
            rows={3}
            value={values.description}
            onInput={(e) => set({ description: e.currentTarget.value })}
            {...invalid("loss-description", failure, "loss-description-hint")}
          />
          <p class="hint" id="loss-description-hint">
            Stored encrypted.
          </p>
          <FieldError id="loss-description" failure={failure} />
        </div>
        <div class="field">
          <label for="loss-incurred-on">
            Incurred on<span class="optional"> (optional)</span>
          </label>
          <input
            type="date"
            id="loss-incurred-on"
            value={values.incurred_on}
            onInput={(e) => set({ incurred_on: e.currentTarget.value })}
            {...invalid("loss-incurred-on", failure)}
          />
          <FieldError id="loss-incurred-on" failure={failure} />
        </div>
        <div class="field">
          <label for="loss-verified">
            Verified amount (dollars)<span class="optional"> (optional)</span>
          </label>
          <input
            type="text"
            id="loss-verified"
            inputMode="decimal"
            autoComplete="off"
            value={values.verified}
            onInput={(e) => set({ verified: e.currentTarget.value })}
            {...invalid("loss-verified", failure, "loss-verified-hint")}
          />
          <p class="hint" id="loss-verified-hint">
            What the office has verified, when it has.
          </p>
          <FieldError id="loss-verified" failure={failure} />
        </div>
        <div class="field">
          <label for="loss-reimbursed">
            Reimbursed amount (dollars)<span class="optional"> (optional)</span>
          </label>
          <input
            type="text"
            id="loss-reimbursed"
            inputMode="decimal"
            autoComplete="off"
            value={values.reimbursed}
            onInput={(e) => set({ reimbursed: e.currentTarget.value })}
            {...invalid("loss-reimbursed", failure, "loss-reimbursed-hint")}
          />
          <p class="hint" id="loss-reimbursed-hint">
            Already paid by an insurer or fund, so that it is not recovered twice.
          </p>
          <FieldError id="loss-reimbursed" failure={failure} />
        </div>
        <div class="field">
          <label for="loss-reimbursed-by">
            Reimbursed by<span class="optional"> (optional)</span>
          </label>
          <input
            type="text"
            id="loss-reimbursed-by"
            autoComplete="off"
            maxLength={200}
            value={values.reimbursed_by}
            onInput={(e) => set({ reimbursed_by: e.currentTarget.value })}
            {...invalid("loss-reimbursed-by", failure)}
          />
          <FieldError id="loss-reimbursed-by" failure={failure} />
        </div>
        <div class="field">
          <label for="loss-defendant">
            Defendant<span class="optional"> (optional)</span>
          </label>
          <select
            id="loss-defendant"
            value={values.defendant_id}
            onChange={(e) => set({ defendant_id: e.currentTarget.value, charge_count: "" })}
            {...invalid("loss-defendant", failure)}
          >
            <option value="">No particular defendant</option>
            {props.defendants.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
          </select>
          <FieldError id="loss-defendant" failure={failure} />
        </div>
        <div class="field">
          <label for="loss-charge">
            Count<span class="optional"> (optional)</span>
          </label>
          <select
            id="loss-charge"
            value={values.charge_count}
            disabled={!defendant}
            onChange={(e) => set({ charge_count: e.currentTarget.value })}
            {...invalid("loss-charge", failure, "loss-charge-hint")}
          >
            <option value="">No particular count</option>
            {defendant?.charges.map((c) => (
              <option key={c.id} value={String(c.count_number)}>
                Count {c.count_number}: {c.description || c.statute}
              </option>
            ))}
          </select>
          <p class="hint" id="loss-charge-hint">
            The count the loss flows from; choose a defendant first.
          </p>
          <FieldError id="loss-charge" failure={failure} />
        </div>
      </div>
      <div class="form-actions">
        <button type="submit" id="save-loss" class="button" disabled={props.submitting}>
          {props.submitLabel}
        </button>
        <button type="button" id="cancel-loss" class="button button--secondary" onClick={props.onCancel}>
          Cancel
        </button>
        <span class="muted" role="status">
          {props.submitting ? "Saving…" : ""}
        </span>
      </div>
    </form>
  );
}

function parseDollarsOr0(text: string): number {
  const p = parseDollars(text);
  return p.ok ? p.value : 0;
}
