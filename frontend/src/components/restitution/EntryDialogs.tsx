import { useRef, useState } from "preact/hooks";
import { api, toProblem, type DisbursementMethod, type LedgerEntry, type RestitutionLine, type RestitutionOrder } from "../../api/client";
import { newIdempotencyKey } from "../../imports";
import { victimKindLabel } from "../../intake";
import { formatDate } from "../../format";
import { centsToInput, formatCents, parseDollars } from "../../money";
import { DISBURSEMENT_METHODS, todayISO } from "../../restitution";
import { FieldError, failureFrom, invalid, type Failure, type FieldSpec } from "../FormErrors";
import { MoreVictims } from "./Allocations";
import { LedgerDialog } from "./LedgerDialog";
import type { MoreLines } from "./orderLines";

/** What every ledger dialog is given: where to send the keyboard after, and what to do when done or cancelled. */
interface Common {
  returnFocus: () => HTMLElement | null;
  /** The entry was posted; message says what happened. */
  onDone: (message: string) => void;
  onCancel: () => void;
}

/** An API call's outcome, as openapi-fetch answers it. */
interface Sent<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * usePost runs one dialog's request: busy while it is on its way (a second submission is ignored), the problem
 * read onto the dialog's fields when it fails. Each dialog has one Idempotency-Key for its life, so that a
 * request retried after a lost answer, or sent twice by a double click, posts one entry.
 */
function usePost(specs: Record<string, FieldSpec>) {
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const sending = useRef(false);
  const key = useRef(newIdempotencyKey());
  const run = async <T,>(call: (key: string) => Promise<Sent<T>>, ok: (data: T) => void) => {
    if (sending.current) return;
    sending.current = true;
    setBusy(true);
    try {
      const { data, error, response } = await call(key.current);
      if (data) {
        setFailure(null);
        ok(data);
      } else setFailure(failureFrom(toProblem(error, response), specs));
    } catch (err) {
      setFailure(failureFrom(toProblem(err), specs));
    }
    sending.current = false;
    setBusy(false);
  };
  return { busy, failure, setFailure, run };
}

const needs = (fields: Record<string, string>): Failure | null =>
  Object.keys(fields).length ? { title: "Some fields need attention.", fields, other: [] } : null;

/** amountField reads a required amount in dollars into cents, or records why it cannot. */
function amountField(fields: Record<string, string>, id: string, text: string, label: string): number | null {
  if (!text.trim()) {
    fields[id] = `Enter the ${label.toLowerCase()}.`;
    return null;
  }
  const p = parseDollars(text, label);
  if (!p.ok) {
    fields[id] = p.message;
    return null;
  }
  if (p.value < 1) {
    fields[id] = `${label} must be at least $0.01.`;
    return null;
  }
  return p.value;
}

function dateField(fields: Record<string, string>, id: string, value: string, what: string) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) fields[id] = `Enter the day ${what}, as a full date.`;
}

/** ReverseDialog reverses a payment (a bounced check) after asking why. */
export function ReverseDialog(props: Common & { payment: LedgerEntry; payer: string }) {
  const { payment } = props;
  const [reason, setReason] = useState("");
  const post = usePost({ reason: { id: "reverse-reason", label: "Reason" } });
  const submit = () => {
    const fields: Record<string, string> = {};
    if (!reason.trim()) fields["reverse-reason"] = "Give the reason for the reversal, such as “check returned unpaid”.";
    const f = needs(fields);
    post.setFailure(f);
    if (f) return;
    void post.run(
      (key) =>
        api.POST("/api/v1/payments/{payment_id}/reverse", {
          params: { path: { payment_id: payment.id }, header: { "Idempotency-Key": key } },
          body: { reason: reason.trim() },
        }),
      () => props.onDone(`Payment of ${formatCents(payment.amount_cents)} received ${formatDate(payment.effective_on)} reversed.`),
    );
  };
  return (
    <LedgerDialog
      id="reverse-payment"
      title="Reverse this payment?"
      description={
        <p>
          {formatCents(payment.amount_cents)} received {formatDate(payment.effective_on)}
          {props.payer && <> from {props.payer}</>}. A reversal is a new entry, effective on the payment’s own day: it takes back
          exactly what the payment paid each victim, and interest since then is worked out again. Money already disbursed from it
          shows as over-disbursed.
        </p>
      }
      busy={post.busy}
      failure={post.failure}
      order={["reverse-reason"]}
      firstField="reverse-reason"
      confirmLabel="Reverse payment"
      busyLabel="Reversing…"
      danger
      returnFocus={props.returnFocus}
      onSubmit={submit}
      onCancel={props.onCancel}
    >
      <div class="field">
        <label for="reverse-reason">Reason</label>
        <textarea
          id="reverse-reason"
          rows={3}
          maxLength={2000}
          value={reason}
          onInput={(e) => setReason(e.currentTarget.value)}
          {...invalid("reverse-reason", post.failure, "reverse-reason-hint")}
        />
        <p class="hint" id="reverse-reason-hint">
          Such as “check returned unpaid”. Kept with the entry, encrypted.
        </p>
        <FieldError id="reverse-reason" failure={post.failure} />
      </div>
    </LedgerDialog>
  );
}

/** The lines a dialog offers: those loaded so far, in the order victims are paid, and a way to load more. */
interface Lines {
  lines: RestitutionLine[];
  more: MoreLines;
}

/** LineSelect picks one of the order's lines loaded so far by victim, and can load more of them. */
function LineSelect(props: {
  id: string;
  lines: Lines;
  value: string;
  failure: Failure | null;
  onChange: (v: string) => void;
  note?: (victimId: string) => string;
}) {
  return (
    <div class="field">
      <label for={props.id}>Victim</label>
      <select
        id={props.id}
        value={props.value}
        onChange={(e) => props.onChange(e.currentTarget.value)}
        {...invalid(props.id, props.failure, props.lines.more.hasMore ? `more-${props.id}-count` : undefined)}
      >
        {!props.value && <option value="">Choose a victim</option>}
        {props.lines.lines.map((l) => (
          <option key={l.victim_id} value={l.victim_id}>
            {l.victim_name} ({victimKindLabel(l.victim_kind).toLowerCase()}){props.note ? `: ${props.note(l.victim_id)}` : ""}
          </option>
        ))}
      </select>
      <MoreVictims id={`more-${props.id}`} picker={props.id} lines={props.lines.more} />
      <FieldError id={props.id} failure={props.failure} />
    </div>
  );
}

/** AdjustDialog amends one line of the order by an amount up or down, from a day, for a reason. */
export function AdjustDialog(props: Common & Lines & { order: RestitutionOrder }) {
  const { order, lines } = props;
  const [victim, setVictim] = useState(order.line_count === 1 && lines.length === 1 ? lines[0]!.victim_id : "");
  const [direction, setDirection] = useState<"increase" | "decrease">("increase");
  const [amount, setAmount] = useState("");
  const [on, setOn] = useState(todayISO());
  const [reason, setReason] = useState("");
  const post = usePost({
    victim_id: { id: "adjust-victim", label: "Victim" },
    delta_cents: { id: "adjust-amount", label: "Amount" },
    effective_on: { id: "adjust-on", label: "Effective on" },
    reason: { id: "adjust-reason", label: "Reason" },
  });
  const line = lines.find((l) => l.victim_id === victim);
  const submit = () => {
    const fields: Record<string, string> = {};
    if (!victim) fields["adjust-victim"] = "Choose the victim whose line changes.";
    const cents = amountField(fields, "adjust-amount", amount, "Amount");
    dateField(fields, "adjust-on", on, "the change takes effect");
    if (!reason.trim()) fields["adjust-reason"] = "Give the reason, such as the amended order’s reference.";
    const f = needs(fields);
    post.setFailure(f);
    if (f || cents === null) return;
    const delta = direction === "increase" ? cents : -cents;
    void post.run(
      (key) =>
        api.POST("/api/v1/restitution-orders/{order_id}/adjustments", {
          params: { path: { order_id: order.id }, header: { "Idempotency-Key": key } },
          body: { victim_id: victim, delta_cents: delta, effective_on: on, reason: reason.trim() },
        }),
      () =>
        props.onDone(
          `${line?.victim_name ?? "The"}’s line ${direction === "increase" ? "increased" : "reduced"} by ${formatCents(cents)} from ${formatDate(on)}.`,
        ),
    );
  };
  return (
    <LedgerDialog
      id="adjust-line"
      title="Adjust a line of the order"
      description={
        <p>
          For an amended order. The change is a new entry on the ledger from the day it takes effect; a line cannot go below
          what has been paid on it, and the day cannot be before the order’s latest payment or adjustment.
        </p>
      }
      busy={post.busy}
      failure={post.failure}
      order={["adjust-victim", "adjust-amount", "adjust-on", "adjust-reason"]}
      firstField="adjust-victim"
      confirmLabel="Adjust line"
      busyLabel="Adjusting…"
      returnFocus={props.returnFocus}
      onSubmit={submit}
      onCancel={props.onCancel}
    >
      <LineSelect
        id="adjust-victim"
        lines={props}
        value={victim}
        failure={post.failure}
        onChange={setVictim}
        note={(id) => `owed ${formatCents(lines.find((l) => l.victim_id === id)!.principal_outstanding_cents)}`}
      />
      <fieldset class="subfieldset">
        <legend>Change</legend>
        <div class="choices choices--inline">
          <div class="check">
            <input type="radio" id="adjust-increase" name="adjust-direction" checked={direction === "increase"} onChange={() => setDirection("increase")} />
            <label for="adjust-increase">Increase</label>
          </div>
          <div class="check">
            <input type="radio" id="adjust-decrease" name="adjust-direction" checked={direction === "decrease"} onChange={() => setDirection("decrease")} />
            <label for="adjust-decrease">Reduce</label>
          </div>
        </div>
      </fieldset>
      <div class="field">
        <label for="adjust-amount">Amount (dollars)</label>
        <input
          type="text"
          id="adjust-amount"
          inputMode="decimal"
          autoComplete="off"
          value={amount}
          onInput={(e) => setAmount(e.currentTarget.value)}
          {...invalid("adjust-amount", post.failure, "adjust-amount-hint")}
        />
        <p class="hint" id="adjust-amount-hint">
          Such as 250.00.
        </p>
        <FieldError id="adjust-amount" failure={post.failure} />
      </div>
      <div class="field">
        <label for="adjust-on">Effective on</label>
        <input type="date" id="adjust-on" value={on} onInput={(e) => setOn(e.currentTarget.value)} {...invalid("adjust-on", post.failure)} />
        <FieldError id="adjust-on" failure={post.failure} />
      </div>
      <div class="field">
        <label for="adjust-reason">Reason</label>
        <textarea
          id="adjust-reason"
          rows={2}
          maxLength={2000}
          value={reason}
          onInput={(e) => setReason(e.currentTarget.value)}
          {...invalid("adjust-reason", post.failure)}
        />
        <FieldError id="adjust-reason" failure={post.failure} />
      </div>
    </LedgerDialog>
  );
}

/** DisburseDialog records money sent to a victim out of what payments applied to the victim's line. */
export function DisburseDialog(props: Common & Lines & { order: RestitutionOrder }) {
  const { order, lines } = props;
  // One victim is preselected only when every line is loaded and that victim's is the only money waiting.
  const waiting = lines.filter((l) => l.undisbursed_cents > 0);
  const [victim, setVictim] = useState(!props.more.hasMore && waiting.length === 1 ? waiting[0]!.victim_id : "");
  const [amount, setAmount] = useState("");
  const [on, setOn] = useState(todayISO());
  const [method, setMethod] = useState<DisbursementMethod | "">("");
  const [reference, setReference] = useState("");
  const post = usePost({
    victim_id: { id: "disburse-victim", label: "Victim" },
    amount_cents: { id: "disburse-amount", label: "Amount" },
    paid_on: { id: "disburse-on", label: "Paid on" },
    method: { id: "disburse-method", label: "Method" },
    reference: { id: "disburse-reference", label: "Reference" },
  });
  const line = lines.find((l) => l.victim_id === victim);
  const submit = () => {
    const fields: Record<string, string> = {};
    if (!victim) fields["disburse-victim"] = "Choose the victim paid.";
    const cents = amountField(fields, "disburse-amount", amount, "Amount");
    if (cents !== null && line && cents > line.undisbursed_cents) {
      fields["disburse-amount"] = `At most ${formatCents(line.undisbursed_cents)} collected for ${line.victim_name} is waiting to be disbursed.`;
    }
    dateField(fields, "disburse-on", on, "the money was sent");
    if (!method) fields["disburse-method"] = "Choose how the money was sent.";
    const f = needs(fields);
    post.setFailure(f);
    if (f || cents === null || !method) return;
    void post.run(
      (key) =>
        api.POST("/api/v1/restitution-orders/{order_id}/disbursements", {
          params: { path: { order_id: order.id }, header: { "Idempotency-Key": key } },
          body: { victim_id: victim, amount_cents: cents, paid_on: on, method, ...(reference.trim() ? { reference: reference.trim() } : {}) },
        }),
      () => props.onDone(`${formatCents(cents)} disbursed to ${line?.victim_name ?? "the victim"}.`),
    );
  };
  return (
    <LedgerDialog
      id="disburse"
      title="Disburse to a victim"
      description={<p>Records money sent to a victim, out of what payments applied to the victim’s line and was not yet sent.</p>}
      busy={post.busy}
      failure={post.failure}
      order={["disburse-victim", "disburse-amount", "disburse-on", "disburse-method", "disburse-reference"]}
      firstField="disburse-victim"
      confirmLabel="Record disbursement"
      busyLabel="Recording…"
      returnFocus={props.returnFocus}
      onSubmit={submit}
      onCancel={props.onCancel}
    >
      <LineSelect
        id="disburse-victim"
        lines={props}
        value={victim}
        failure={post.failure}
        onChange={(v) => {
          setVictim(v);
          const l = lines.find((x) => x.victim_id === v);
          if (l && !amount.trim() && l.undisbursed_cents > 0) setAmount(centsToInput(l.undisbursed_cents));
        }}
        note={(id) => `${formatCents(lines.find((l) => l.victim_id === id)!.undisbursed_cents)} to disburse`}
      />
      <div class="field">
        <label for="disburse-amount">Amount (dollars)</label>
        <input
          type="text"
          id="disburse-amount"
          inputMode="decimal"
          autoComplete="off"
          value={amount}
          onInput={(e) => setAmount(e.currentTarget.value)}
          {...invalid("disburse-amount", post.failure, "disburse-amount-hint")}
        />
        <p class="hint" id="disburse-amount-hint">
          {line ? `Up to ${formatCents(line.undisbursed_cents)}.` : "Choose the victim first."}
        </p>
        <FieldError id="disburse-amount" failure={post.failure} />
      </div>
      <div class="field">
        <label for="disburse-on">Paid on</label>
        <input type="date" id="disburse-on" value={on} onInput={(e) => setOn(e.currentTarget.value)} {...invalid("disburse-on", post.failure)} />
        <FieldError id="disburse-on" failure={post.failure} />
      </div>
      <div class="field">
        <label for="disburse-method">Method</label>
        <select
          id="disburse-method"
          value={method}
          onChange={(e) => setMethod(e.currentTarget.value as DisbursementMethod)}
          {...invalid("disburse-method", post.failure)}
        >
          {!method && <option value="">Choose a method</option>}
          {DISBURSEMENT_METHODS.map((m) => (
            <option key={m.value} value={m.value}>
              {m.label}
            </option>
          ))}
        </select>
        <FieldError id="disburse-method" failure={post.failure} />
      </div>
      <ReferenceField id="disburse-reference" value={reference} failure={post.failure} onInput={setReference} hint="Such as the check number." />
    </LedgerDialog>
  );
}

/** RefundDialog returns part of the order's unapplied credit to the payer. */
export function RefundDialog(props: Common & { order: RestitutionOrder }) {
  const { order } = props;
  const credit = order.unapplied_credit_cents;
  const [amount, setAmount] = useState("");
  const [on, setOn] = useState(todayISO());
  const [reference, setReference] = useState("");
  const post = usePost({
    amount_cents: { id: "refund-amount", label: "Amount" },
    paid_on: { id: "refund-on", label: "Paid on" },
    reference: { id: "refund-reference", label: "Reference" },
  });
  const submit = () => {
    const fields: Record<string, string> = {};
    const cents = amountField(fields, "refund-amount", amount, "Amount");
    if (cents !== null && cents > credit) fields["refund-amount"] = `At most the unapplied credit, ${formatCents(credit)}.`;
    dateField(fields, "refund-on", on, "the refund was paid");
    const f = needs(fields);
    post.setFailure(f);
    if (f || cents === null) return;
    void post.run(
      (key) =>
        api.POST("/api/v1/restitution-orders/{order_id}/refunds", {
          params: { path: { order_id: order.id }, header: { "Idempotency-Key": key } },
          body: { amount_cents: cents, paid_on: on, ...(reference.trim() ? { reference: reference.trim() } : {}) },
        }),
      () => props.onDone(`${formatCents(cents)} of unapplied credit refunded.`),
    );
  };
  return (
    <LedgerDialog
      id="refund"
      title="Refund unapplied credit"
      description={
        <p>
          Payments beyond what the order is owed are held as unapplied credit, now {formatCents(credit)}. A refund returns part or
          all of it to the payer.
        </p>
      }
      busy={post.busy}
      failure={post.failure}
      order={["refund-amount", "refund-on", "refund-reference"]}
      firstField="refund-amount"
      confirmLabel="Record refund"
      busyLabel="Recording…"
      returnFocus={props.returnFocus}
      onSubmit={submit}
      onCancel={props.onCancel}
    >
      <div class="field">
        <label for="refund-amount">Amount (dollars)</label>
        <input
          type="text"
          id="refund-amount"
          inputMode="decimal"
          autoComplete="off"
          value={amount}
          onInput={(e) => setAmount(e.currentTarget.value)}
          {...invalid("refund-amount", post.failure, "refund-amount-hint")}
        />
        <p class="hint" id="refund-amount-hint">
          Up to {formatCents(credit)}.
        </p>
        <FieldError id="refund-amount" failure={post.failure} />
      </div>
      <div class="field">
        <label for="refund-on">Paid on</label>
        <input type="date" id="refund-on" value={on} onInput={(e) => setOn(e.currentTarget.value)} {...invalid("refund-on", post.failure)} />
        <FieldError id="refund-on" failure={post.failure} />
      </div>
      <ReferenceField id="refund-reference" value={reference} failure={post.failure} onInput={setReference} hint="Such as the check number." />
    </LedgerDialog>
  );
}

/** ReferenceField is an optional reference, such as a check number, stored encrypted. */
export function ReferenceField(props: { id: string; value: string; failure: Failure | null; hint: string; onInput: (v: string) => void }) {
  return (
    <div class="field">
      <label for={props.id}>
        Reference<span class="optional"> (optional)</span>
      </label>
      <input
        type="text"
        id={props.id}
        autoComplete="off"
        maxLength={200}
        value={props.value}
        onInput={(e) => props.onInput(e.currentTarget.value)}
        {...invalid(props.id, props.failure, `${props.id}-hint`)}
      />
      <p class="hint" id={`${props.id}-hint`}>
        {props.hint} Stored encrypted.
      </p>
      <FieldError id={props.id} failure={props.failure} />
    </div>
  );
}
