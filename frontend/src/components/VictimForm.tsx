import type { ComponentChildren, TargetedSubmitEvent } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type {
  NotificationChannel,
  Problem,
  Victim,
  VictimCreate,
  VictimKind,
  VictimStatus,
  VictimUpdate,
  WantsToBeHeard,
} from "../api/client";
import { CHANNELS, HEARD_BY, LANGUAGES, VICTIM_KINDS, VICTIM_STATUSES, isVictimKind, isVictimStatus } from "../intake";
import { Link } from "../router";
import { ErrorSummary, FieldError, failureFrom, invalid, type Failure, type FieldSpec } from "./FormErrors";

/** The victim fields as the form holds them: text as typed ("" is not set), choices as values. */
export interface VictimFormValues {
  kind: VictimKind | "";
  name: string;
  is_minor: boolean;
  date_of_birth: string;
  ssn: string;
  email: string;
  phone: string;
  line1: string;
  line2: string;
  city: string;
  state: string;
  postal_code: string;
  address_confidential: boolean;
  preferred_language: string;
  interpreter_needed: boolean;
  wants_to_be_heard: WantsToBeHeard;
  notification_channels: NotificationChannel[];
  status: VictimStatus;
  notes: string;
}

export const EMPTY_VICTIM: VictimFormValues = {
  kind: "",
  name: "",
  is_minor: false,
  date_of_birth: "",
  ssn: "",
  email: "",
  phone: "",
  line1: "",
  line2: "",
  city: "",
  state: "",
  postal_code: "",
  address_confidential: false,
  preferred_language: "en",
  interpreter_needed: false,
  wants_to_be_heard: "none",
  notification_channels: [],
  status: "active",
  notes: "",
};

/** The fields that must never be kept in browser storage. */
export type SecretField = "ssn" | "date_of_birth";

/** VictimDraft is what the new-victim form may keep in sessionStorage: everything but the SSN and birth date. */
export type VictimDraft = Omit<VictimFormValues, SecretField>;

export function draftOf(v: VictimFormValues): VictimDraft {
  const { ssn: _ssn, date_of_birth: _dob, ...rest } = v;
  return rest;
}

/** fromDraft reads a stored draft back, keeping only fields of the right type. */
export function fromDraft(d: Partial<Record<string, unknown>>): VictimFormValues {
  const v: VictimFormValues = { ...EMPTY_VICTIM };
  const text = (k: keyof VictimFormValues) => typeof d[k] === "string";
  const texts = ["name", "email", "phone", "line1", "line2", "city", "state", "postal_code", "preferred_language", "notes"] as const;
  for (const k of texts) {
    if (text(k)) v[k] = d[k] as string;
  }
  for (const k of ["is_minor", "address_confidential", "interpreter_needed"] as const) {
    if (typeof d[k] === "boolean") v[k] = d[k] as boolean;
  }
  if (typeof d.kind === "string" && isVictimKind(d.kind)) v.kind = d.kind;
  if (typeof d.status === "string" && isVictimStatus(d.status)) v.status = d.status;
  if (HEARD_BY.some((h) => h.value === d.wants_to_be_heard)) v.wants_to_be_heard = d.wants_to_be_heard as WantsToBeHeard;
  if (Array.isArray(d.notification_channels)) {
    v.notification_channels = CHANNELS.map((c) => c.value).filter((c) => (d.notification_channels as unknown[]).includes(c));
  }
  return v;
}

/** isBlank tells whether a form holds nothing typed yet, so that an untouched form leaves no draft. */
export const isBlank = (v: VictimFormValues): boolean =>
  JSON.stringify(draftOf(v)) === JSON.stringify(draftOf(EMPTY_VICTIM)) && !v.ssn && !v.date_of_birth;

/** victimToForm reads a victim in the full view into the form; the SSN is never read back, only replaced. */
export function victimToForm(victim: Victim): VictimFormValues {
  const a = victim.mailing_address;
  return {
    kind: victim.kind,
    name: victim.name,
    is_minor: victim.is_minor ?? false,
    date_of_birth: victim.date_of_birth ?? "",
    ssn: "",
    email: victim.email ?? "",
    phone: victim.phone ?? "",
    line1: a?.line1 ?? "",
    line2: a?.line2 ?? "",
    city: a?.city ?? "",
    state: a?.state ?? "",
    postal_code: a?.postal_code ?? "",
    address_confidential: victim.address_confidential ?? false,
    preferred_language: victim.preferred_language ?? "en",
    interpreter_needed: victim.interpreter_needed ?? false,
    wants_to_be_heard: victim.wants_to_be_heard ?? "none",
    notification_channels: victim.notification_channels ?? [],
    status: victim.status,
    notes: victim.notes ?? "",
  };
}

const isPerson = (kind: string) => kind === "individual" || kind === "";

const hasAddress = (v: VictimFormValues) =>
  [v.line1, v.line2, v.city, v.state, v.postal_code].some((s) => s.trim() !== "");

function addressOf(v: VictimFormValues) {
  const a = { line1: v.line1.trim(), city: v.city.trim(), state: v.state.trim().toUpperCase(), postal_code: v.postal_code.trim() };
  return v.line2.trim() ? { ...a, line2: v.line2.trim() } : a;
}

/** createBody is the new victim as the API takes it: what was typed, and nothing for what was not. */
export function createBody(v: VictimFormValues): VictimCreate {
  const body: VictimCreate = { kind: v.kind as VictimKind, name: v.name.trim() };
  if (isPerson(v.kind)) {
    if (v.is_minor) body.is_minor = true;
    if (v.date_of_birth) body.date_of_birth = v.date_of_birth;
    if (v.ssn.trim()) body.ssn = v.ssn.trim();
  }
  if (v.email.trim()) body.email = v.email.trim();
  if (v.phone.trim()) body.phone = v.phone.trim();
  if (hasAddress(v)) body.mailing_address = addressOf(v);
  if (v.address_confidential) body.address_confidential = true;
  if (v.preferred_language.trim()) body.preferred_language = v.preferred_language.trim();
  if (v.interpreter_needed) body.interpreter_needed = true;
  body.wants_to_be_heard = v.wants_to_be_heard;
  if (v.notification_channels.length) body.notification_channels = v.notification_channels;
  body.status = v.status;
  if (v.notes.trim()) body.notes = v.notes;
  return body;
}

/** updatePatch is the merge patch that turns the stored victim into the edited one: changed fields only. */
export function updatePatch(victim: Victim, v: VictimFormValues): VictimUpdate {
  const before = victimToForm(victim);
  const patch: VictimUpdate = {};
  if (v.kind && v.kind !== before.kind) patch.kind = v.kind;
  if (v.name.trim() !== before.name) patch.name = v.name.trim();
  if (v.is_minor !== before.is_minor) patch.is_minor = v.is_minor;
  if (v.date_of_birth !== before.date_of_birth) patch.date_of_birth = v.date_of_birth || null;
  if (v.ssn.trim()) patch.ssn = v.ssn.trim();
  if (v.email.trim() !== before.email) patch.email = v.email.trim() || null;
  if (v.phone.trim() !== before.phone) patch.phone = v.phone.trim() || null;
  const addressChanged = (["line1", "line2", "city", "state", "postal_code"] as const).some((k) => v[k].trim() !== before[k]);
  if (addressChanged) patch.mailing_address = hasAddress(v) ? addressOf(v) : null;
  if (v.address_confidential !== before.address_confidential) patch.address_confidential = v.address_confidential;
  if (v.preferred_language.trim() !== before.preferred_language) patch.preferred_language = v.preferred_language.trim();
  if (v.interpreter_needed !== before.interpreter_needed) patch.interpreter_needed = v.interpreter_needed;
  if (v.wants_to_be_heard !== before.wants_to_be_heard) patch.wants_to_be_heard = v.wants_to_be_heard;
  if ([...v.notification_channels].sort().join() !== [...before.notification_channels].sort().join())
    patch.notification_channels = v.notification_channels;
  if (v.status !== before.status) patch.status = v.status;
  if (v.notes !== before.notes) patch.notes = v.notes;
  return patch;
}

/** How the server's field names appear in this form. */
const SPECS: Record<string, FieldSpec> = {
  kind: { id: "victim-kind", label: "Kind" },
  name: { id: "victim-name", label: "Name" },
  is_minor: { id: "victim-minor", label: "Minor" },
  date_of_birth: { id: "victim-dob", label: "Date of birth" },
  ssn: { id: "victim-ssn", label: "SSN" },
  email: { id: "victim-email", label: "Email" },
  phone: { id: "victim-phone", label: "Phone" },
  mailing_address: { id: "victim-line1", label: "Mailing address" },
  "mailing_address.line1": { id: "victim-line1", label: "Street address" },
  "mailing_address.line2": { id: "victim-line2", label: "Address line 2" },
  "mailing_address.city": { id: "victim-city", label: "City" },
  "mailing_address.state": { id: "victim-state", label: "State" },
  "mailing_address.postal_code": { id: "victim-postal-code", label: "ZIP code" },
  address_confidential: { id: "victim-confidential", label: "Address confidentiality" },
  preferred_language: { id: "victim-language", label: "Preferred language" },
  interpreter_needed: { id: "victim-interpreter", label: "Interpreter" },
  wants_to_be_heard: { id: "victim-heard-none", label: "Wants to be heard" },
  notification_channels: { id: "victim-channel-email", label: "Notifications" },
  status: { id: "victim-status", label: "Status" },
  notes: { id: "victim-notes", label: "Notes" },
};

export const VICTIM_FIELD_ORDER = [
  "victim-kind",
  "victim-name",
  "victim-minor",
  "victim-dob",
  "victim-ssn",
  "victim-email",
  "victim-phone",
  "victim-confidential",
  "victim-line1",
  "victim-line2",
  "victim-city",
  "victim-state",
  "victim-postal-code",
  "victim-language",
  "victim-interpreter",
  "victim-heard-none",
  "victim-channel-email",
  "victim-status",
  "victim-notes",
];

/** victimFailure reads a problem's field errors onto this form ("notification_channels.2" is the channel group). */
export function victimFailure(p: Problem): Failure {
  const errors: Record<string, string> = {};
  for (const [key, message] of Object.entries(p.errors ?? {})) {
    if (!message) continue;
    const name = key.startsWith("notification_channels") ? "notification_channels" : key;
    errors[name] ??= message;
  }
  return failureFrom({ ...p, errors }, SPECS);
}

/** What each step of the form gets: the values, a way to change some of them, and the last failure. */
export interface StepProps {
  values: VictimFormValues;
  set: (patch: Partial<VictimFormValues>) => void;
  failure: Failure | null;
  /** The last four digits of the SSN already recorded, when editing. */
  ssnLast4?: string | null;
  editing: boolean;
}

/**
 * VictimWhoStep is who the victim is: kind, name and, for a person, minority, birth date and SSN. It is step 1
 * of the intake; the SSN input is masked and its value never leaves this page except to the server.
 */
export function VictimWhoStep({ values, set, failure, ssnLast4, editing }: StepProps) {
  const [showSsn, setShowSsn] = useState(false);
  const person = isPerson(values.kind);
  const ssnHint = editing
    ? ssnLast4
      ? `On record: ends in ${ssnLast4}. Leave blank to keep it; type a new one to replace it.`
      : "None on record. Nine digits, such as 123-45-6789."
    : "Nine digits, such as 123-45-6789. Stored encrypted; afterwards only its last four digits are shown.";

  return (
    <fieldset class="form-step" id="step-who">
      <legend class="form-step__legend">
        <h2 class="form-step__title">Who</h2>
      </legend>
      <div class="form-grid">
        <div class="field">
          <label for="victim-kind">Kind</label>
          <select
            id="victim-kind"
            value={values.kind}
            required
            onChange={(e) => set({ kind: e.currentTarget.value as VictimKind })}
            {...invalid("victim-kind", failure, "victim-kind-hint")}
          >
            {!values.kind && <option value="">Choose a kind</option>}
            {VICTIM_KINDS.map((k) => (
              <option key={k.value} value={k.value}>
                {k.label}
              </option>
            ))}
          </select>
          <p id="victim-kind-hint" class="hint">
            The kind decides the order in which restitution is paid.
          </p>
          <FieldError id="victim-kind" failure={failure} />
        </div>
        <div class="field field--wide">
          <label for="victim-name">{person ? "Full name" : "Name of the organization"}</label>
          <input
            type="text"
            id="victim-name"
            autoComplete="off"
            required
            value={values.name}
            onInput={(e) => set({ name: e.currentTarget.value })}
            {...invalid("victim-name", failure)}
          />
          <FieldError id="victim-name" failure={failure} />
        </div>
        {person && (
          <>
            <div class="field field--wide">
              <div class="check">
                <input
                  type="checkbox"
                  id="victim-minor"
                  checked={values.is_minor}
                  onChange={(e) => set({ is_minor: e.currentTarget.checked })}
                  {...invalid("victim-minor", failure, "victim-minor-hint")}
                />
                <label for="victim-minor">The victim is a minor (under 18)</label>
              </div>
              <p id="victim-minor-hint" class="hint">
                A minor’s name is shown to prosecutors as initials. A birth date under 18 years ago counts too.
              </p>
              <FieldError id="victim-minor" failure={failure} />
            </div>
            <div class="field">
              <label for="victim-dob">
                Date of birth<span class="optional"> (optional)</span>
              </label>
              <input
                type="date"
                id="victim-dob"
                autoComplete="off"
                value={values.date_of_birth}
                onInput={(e) => set({ date_of_birth: e.currentTarget.value })}
                {...invalid("victim-dob", failure)}
              />
              <FieldError id="victim-dob" failure={failure} />
            </div>
            <div class="field">
              <label for="victim-ssn">
                Social Security number<span class="optional"> (optional)</span>
              </label>
              <div class="inline-control">
                <input
                  // Preact's types tie `type` to the other attributes; both types take these.
                  type={(showSsn ? "text" : "password") as "password"}
                  id="victim-ssn"
                  class="ssn-input"
                  autoComplete="off"
                  inputMode="numeric"
                  spellcheck={false}
                  maxLength={11}
                  data-1p-ignore=""
                  data-lpignore="true"
                  value={values.ssn}
                  onInput={(e) => set({ ssn: e.currentTarget.value })}
                  {...invalid("victim-ssn", failure, "victim-ssn-hint")}
                />
                <button
                  type="button"
                  id="toggle-ssn"
                  class="button button--secondary button--small"
                  aria-pressed={showSsn ? "true" : "false"}
                  aria-controls="victim-ssn"
                  onClick={() => setShowSsn((s) => !s)}
                >
                  Show<span class="visually-hidden"> the SSN as typed</span>
                </button>
              </div>
              <p id="victim-ssn-hint" class="hint">
                {ssnHint}
              </p>
              <FieldError id="victim-ssn" failure={failure} />
            </div>
          </>
        )}
      </div>
    </fieldset>
  );
}

/** VictimContactStep is how to reach the victim and what they want: step 2 of the intake. */
export function VictimContactStep({ values, set, failure }: StepProps) {
  const knownLanguage = LANGUAGES.some((l) => l.value === values.preferred_language);
  const [otherLanguage, setOtherLanguage] = useState(!knownLanguage);
  const toggleChannel = (c: NotificationChannel, on: boolean) => {
    const next = on ? [...values.notification_channels, c] : values.notification_channels.filter((x) => x !== c);
    // Keep the channels in one order, whatever order they were ticked in.
    set({ notification_channels: CHANNELS.map((x) => x.value).filter((x) => next.includes(x)) });
  };

  return (
    <fieldset class="form-step" id="step-contact">
      <legend class="form-step__legend">
        <h2 class="form-step__title">Contact and preferences</h2>
      </legend>
      <div class="form-grid">
        <div class="field">
          <label for="victim-email">
            Email<span class="optional"> (optional)</span>
          </label>
          <input
            type="email"
            id="victim-email"
            autoComplete="off"
            spellcheck={false}
            value={values.email}
            onInput={(e) => set({ email: e.currentTarget.value })}
            {...invalid("victim-email", failure)}
          />
          <FieldError id="victim-email" failure={failure} />
        </div>
        <div class="field">
          <label for="victim-phone">
            Phone<span class="optional"> (optional)</span>
          </label>
          <input
            type="tel"
            id="victim-phone"
            autoComplete="off"
            value={values.phone}
            onInput={(e) => set({ phone: e.currentTarget.value })}
            {...invalid("victim-phone", failure, "victim-phone-hint")}
          />
          <p id="victim-phone-hint" class="hint">
            A US number of ten digits, or an international one starting with +.
          </p>
          <FieldError id="victim-phone" failure={failure} />
        </div>

        <fieldset class="field--wide subfieldset">
          <legend>
            Mailing address<span class="optional"> (optional)</span>
          </legend>
          <div class="field">
            <div class="check">
              <input
                type="checkbox"
                id="victim-confidential"
                checked={values.address_confidential}
                onChange={(e) => set({ address_confidential: e.currentTarget.checked })}
                {...invalid("victim-confidential", failure, "victim-confidential-hint")}
              />
              <label for="victim-confidential">The victim is in an address confidentiality program</label>
            </div>
            <p id="victim-confidential-hint" class="hint">
              Then enter the program’s substitute address below, never where the victim lives: the residence is not
              recorded.
            </p>
            <FieldError id="victim-confidential" failure={failure} />
          </div>
          {values.address_confidential && (
            <p class="callout callout--compact" id="confidential-notice">
              Substitute address only. Do not record the victim’s residence anywhere in this case, notes included.
            </p>
          )}
          <div class="form-grid">
            <div class="field field--wide">
              <label for="victim-line1">{values.address_confidential ? "Substitute street address" : "Street address"}</label>
              <input
                type="text"
                id="victim-line1"
                autoComplete="off"
                value={values.line1}
                onInput={(e) => set({ line1: e.currentTarget.value })}
                {...invalid("victim-line1", failure)}
              />
              <FieldError id="victim-line1" failure={failure} />
            </div>
            <div class="field field--wide">
              <label for="victim-line2">
                Address line 2<span class="optional"> (optional)</span>
              </label>
              <input
                type="text"
                id="victim-line2"
                autoComplete="off"
                value={values.line2}
                onInput={(e) => set({ line2: e.currentTarget.value })}
                {...invalid("victim-line2", failure)}
              />
              <FieldError id="victim-line2" failure={failure} />
            </div>
            <div class="field">
              <label for="victim-city">City</label>
              <input
                type="text"
                id="victim-city"
                autoComplete="off"
                value={values.city}
                onInput={(e) => set({ city: e.currentTarget.value })}
                {...invalid("victim-city", failure)}
              />
              <FieldError id="victim-city" failure={failure} />
            </div>
            <div class="field field--pair">
              <div class="field">
                <label for="victim-state">State</label>
                <input
                  type="text"
                  id="victim-state"
                  class="input--state"
                  autoComplete="off"
                  maxLength={2}
                  spellcheck={false}
                  value={values.state}
                  onInput={(e) => set({ state: e.currentTarget.value })}
                  {...invalid("victim-state", failure, "victim-state-hint")}
                />
                <p id="victim-state-hint" class="hint">
                  Two letters, such as CO.
                </p>
                <FieldError id="victim-state" failure={failure} />
              </div>
              <div class="field">
                <label for="victim-postal-code">ZIP code</label>
                <input
                  type="text"
                  id="victim-postal-code"
                  autoComplete="off"
                  inputMode="numeric"
                  maxLength={10}
                  value={values.postal_code}
                  onInput={(e) => set({ postal_code: e.currentTarget.value })}
                  {...invalid("victim-postal-code", failure)}
                />
                <FieldError id="victim-postal-code" failure={failure} />
              </div>
            </div>
          </div>
        </fieldset>

        <div class="field">
          <label for="victim-language">Preferred language</label>
          <select
            id="victim-language"
            value={otherLanguage ? "other" : values.preferred_language}
            onChange={(e) => {
              const value = e.currentTarget.value;
              if (value === "other") {
                setOtherLanguage(true);
                set({ preferred_language: "" });
              } else {
                setOtherLanguage(false);
                set({ preferred_language: value });
              }
            }}
            {...invalid("victim-language", failure)}
          >
            {LANGUAGES.map((l) => (
              <option key={l.value} value={l.value}>
                {l.label}
              </option>
            ))}
            <option value="other">Another language…</option>
          </select>
          <FieldError id="victim-language" failure={failure} />
        </div>
        {otherLanguage && (
          <div class="field">
            <label for="victim-language-other">Language tag</label>
            <input
              type="text"
              id="victim-language-other"
              autoComplete="off"
              spellcheck={false}
              maxLength={35}
              value={values.preferred_language}
              onInput={(e) => set({ preferred_language: e.currentTarget.value })}
              aria-describedby="victim-language-other-hint"
            />
            <p id="victim-language-other-hint" class="hint">
              Such as vi (Vietnamese) or zh-Hant (Chinese, traditional script).
            </p>
          </div>
        )}
        <div class="field field--wide">
          <div class="check">
            <input
              type="checkbox"
              id="victim-interpreter"
              checked={values.interpreter_needed}
              onChange={(e) => set({ interpreter_needed: e.currentTarget.checked })}
              {...invalid("victim-interpreter", failure)}
            />
            <label for="victim-interpreter">Needs an interpreter</label>
          </div>
          <FieldError id="victim-interpreter" failure={failure} />
        </div>

        <fieldset class="field--wide subfieldset">
          <legend>Wants to be heard at sentencing</legend>
          <div class="choices">
            {HEARD_BY.map((h) => (
              <div class="check" key={h.value}>
                <input
                  type="radio"
                  name="wants_to_be_heard"
                  id={`victim-heard-${h.value}`}
                  value={h.value}
                  checked={values.wants_to_be_heard === h.value}
                  onChange={() => set({ wants_to_be_heard: h.value })}
                />
                <label for={`victim-heard-${h.value}`}>{h.label}</label>
              </div>
            ))}
          </div>
          <FieldError id="victim-heard-none" failure={failure} />
        </fieldset>

        <fieldset class="field--wide subfieldset">
          <legend>
            Tell the victim of critical stages by<span class="optional"> (optional)</span>
          </legend>
          <div class="choices">
            {CHANNELS.map((c) => (
              <div class="check" key={c.value}>
                <input
                  type="checkbox"
                  id={`victim-channel-${c.value}`}
                  value={c.value}
                  checked={values.notification_channels.includes(c.value)}
                  onChange={(e) => toggleChannel(c.value, e.currentTarget.checked)}
                />
                <label for={`victim-channel-${c.value}`}>{c.label}</label>
              </div>
            ))}
          </div>
          <FieldError id="victim-channel-email" failure={failure} />
        </fieldset>

        <div class="field">
          <label for="victim-status">Status</label>
          <select
            id="victim-status"
            value={values.status}
            onChange={(e) => set({ status: e.currentTarget.value as VictimStatus })}
            {...invalid("victim-status", failure)}
          >
            {VICTIM_STATUSES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
          <FieldError id="victim-status" failure={failure} />
        </div>
        <div class="field field--wide">
          <label for="victim-notes">
            Notes<span class="optional"> (optional)</span>
          </label>
          <textarea
            id="victim-notes"
            rows={5}
            value={values.notes}
            onInput={(e) => set({ notes: e.currentTarget.value })}
            {...invalid("victim-notes", failure, "victim-notes-hint")}
          />
          <p id="victim-notes-hint" class="hint">
            Stored encrypted, and never shown to prosecutors or clerks.
          </p>
          <FieldError id="victim-notes" failure={failure} />
        </div>
      </div>
    </fieldset>
  );
}

interface Props {
  initial: VictimFormValues;
  editing: boolean;
  ssnLast4?: string | null;
  submitId: string;
  submitLabel: string;
  submitting: boolean;
  /** The server's field errors from the last submission. */
  failure: Failure | null;
  /** An alert that replaces the error summary, such as the duplicate-victim message. */
  alert?: ComponentChildren;
  /** Shown above the steps, such as the note that a draft was restored. */
  notice?: ComponentChildren;
  onChange?: (values: VictimFormValues) => void;
  onSubmit: (values: VictimFormValues) => void;
  onCancel?: () => void;
}

/**
 * VictimForm adds or changes a victim. Its steps (who; contact and preferences) are separate components so that
 * the intake wizard can show them one at a time and go on to losses and the statement.
 */
export function VictimForm(props: Props) {
  const [values, setValues] = useState(props.initial);
  const [clientFailure, setClientFailure] = useState<Failure | null>(null);
  // latest holds every keystroke at once; submitting reads it, never a stale render's values.
  const latest = useRef(values);
  const failure = clientFailure ?? props.failure;

  useEffect(() => {
    if (!props.editing) return;
    document.getElementById("victim-name")?.focus();
  }, []);

  const set = (patch: Partial<VictimFormValues>) => {
    latest.current = { ...latest.current, ...patch };
    setValues(latest.current);
    props.onChange?.(latest.current);
  };

  const submit = (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (props.submitting) return;
    const v = latest.current;
    const fields: Record<string, string> = {};
    if (!v.kind) fields["victim-kind"] = "Choose the kind of victim.";
    if (!v.name.trim()) fields["victim-name"] = "Enter the victim’s name.";
    if (Object.keys(fields).length > 0) {
      setClientFailure({ title: "Some required fields are empty.", fields, other: [] });
      return;
    }
    setClientFailure(null);
    props.onSubmit(v);
  };

  const step = { values, set, failure, ssnLast4: props.ssnLast4, editing: props.editing };

  return (
    <form id="victim-form" class="case-form victim-form" noValidate onSubmit={submit}>
      {props.alert && !clientFailure ? props.alert : failure && <ErrorSummary failure={failure} order={VICTIM_FIELD_ORDER} />}
      {props.notice}
      <VictimWhoStep {...step} />
      <VictimContactStep {...step} />
      <div class="form-actions">
        <button type="submit" id={props.submitId} class="button" disabled={props.submitting}>
          {props.submitLabel}
        </button>
        {props.onCancel && (
          <button type="button" id="cancel-victim" class="button button--secondary" onClick={props.onCancel}>
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

/** DuplicateAlert says that the victim is already recorded, and leads to the record already there. */
export function DuplicateAlert({ problem, href }: { problem: Problem; href: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => box.current?.focus(), [problem]);
  return (
    <div role="alert" class="alert alert--error" id="duplicate-alert" tabIndex={-1} ref={box}>
      <p class="alert__title">This victim is already recorded in this case</p>
      <p>
        {problem.detail ?? "A victim with the same SSN, or the same name and date of birth, is already in this case."}{" "}
        Nothing was saved.
      </p>
      <p>
        <Link href={href} id="existing-victim-link">
          Open the victim already recorded
        </Link>
      </p>
      {problem.request_id && <p class="alert__ref">Reference: {problem.request_id}</p>}
    </div>
  );
}
