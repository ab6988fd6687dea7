import type { TargetedSubmitEvent } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import {
  api,
  isAbort,
  toProblem,
  type Payment,
  type PaymentCreate,
  type PaymentMethod,
  type Allocation,
  type PaymentPreview,
  type RestitutionLine,
  type RestitutionOrder,
} from "../../api/client";
import { formatDate } from "../../format";
import { newIdempotencyKey } from "../../imports";
import { formatCents, parseDollars } from "../../money";
import { byPaymentOrder, count, PAYMENT_METHODS, sum, todayISO, type Named } from "../../restitution";
import { ErrorSummary, FieldError, failureFrom, invalid, type Failure, type FieldSpec } from "../FormErrors";
import { ReferenceField } from "./EntryDialogs";
import { appliedOf, MAX_SHOWN, nameOf, shownAllocations, type VictimNames } from "./orderLines";

/** How the server's field names appear in this form. */
const SPECS: Record<string, FieldSpec> = {
  amount_cents: { id: "payment-amount", label: "Amount" },
  received_on: { id: "payment-received-on", label: "Received on" },
  payer_defendant_id: { id: "payment-payer", label: "Payer" },
  method: { id: "payment-method", label: "Method" },
  reference: { id: "payment-reference", label: "Reference" },
};
const ORDER = ["payment-amount", "payment-received-on", "payment-payer", "payment-method", "payment-reference"];

/** PREVIEW_DELAY is how long typing must pause before the allocation is asked for. */
const PREVIEW_DELAY = 300;

type Preview =
  | { state: "idle" }
  | { state: "waiting"; last: PaymentPreview | null }
  | { state: "ok"; preview: PaymentPreview }
  | { state: "refused"; messages: string[] };

const isDay = (v: string) => /^\d{4}-\d{2}-\d{2}$/.test(v);

interface Props {
  order: RestitutionOrder;
  /** The order's lines loaded so far. */
  lines: RestitutionLine[];
  /** Every line of the order is loaded. */
  complete: boolean;
  names: VictimNames;
  /** The case's defendants; the payer is one liable on the order. */
  defendants: Named[];
  /** Take the keyboard on opening (after a payment was recorded, for the next one). */
  autoFocus: boolean;
  onRecorded: (p: Payment) => void;
}

/**
 * PaymentForm records a payment on an order. As the amount and day are typed, it shows how the payment would be
 * allocated (the server's dry run, asked for once typing pauses; an answer to an older question is dropped), in a
 * live region. One Idempotency-Key serves the form for its life, so that a double click, or a retry after a lost
 * answer, records the payment once; the form is replaced by a fresh one after each payment.
 */
export function PaymentForm({ order, lines, complete, names, defendants, autoFocus, onRecorded }: Props) {
  const liable = order.defendant_ids.map((id) => defendants.find((d) => d.id === id) ?? { id, name: "A defendant of the case" });
  const [amount, setAmount] = useState("");
  const [receivedOn, setReceivedOn] = useState(todayISO());
  const [payer, setPayer] = useState(liable.length === 1 ? liable[0]!.id : "");
  const [method, setMethod] = useState<PaymentMethod | "">("");
  const [reference, setReference] = useState("");
  const [preview, setPreview] = useState<Preview>({ state: "idle" });
  const [failure, setFailure] = useState<Failure | null>(null);
  const [busy, setBusy] = useState(false);
  const key = useRef(newIdempotencyKey());
  const posting = useRef(false);
  const asked = useRef(0);

  useEffect(() => {
    if (autoFocus) document.getElementById("payment-amount")?.focus();
  }, []);

  // The live allocation: asked for PREVIEW_DELAY after the last change; an older answer is never shown.
  useEffect(() => {
    const n = ++asked.current;
    const p = parseDollars(amount, "The amount");
    if (!amount.trim() || !isDay(receivedOn)) {
      setPreview({ state: "idle" });
      return;
    }
    if (!p.ok || p.value < 1) {
      setPreview({ state: "refused", messages: [p.ok ? "The amount must be at least $0.01." : p.message] });
      return;
    }
    setPreview((prev) => ({ state: "waiting", last: prev.state === "ok" ? prev.preview : prev.state === "waiting" ? prev.last : null }));
    const ctrl = new AbortController();
    const timer = window.setTimeout(async () => {
      // The allocation depends on the amount and the day only; the payer and method are needed by the request,
      // so until they are chosen the first liable defendant and "check" stand in for them.
      const body: PaymentCreate = {
        amount_cents: p.value,
        received_on: receivedOn,
        payer_defendant_id: payer || order.defendant_ids[0]!,
        method: method || "check",
      };
      try {
        const { data, error, response } = await api.POST("/api/v1/restitution-orders/{order_id}/payments", {
          // The form's key, which a dry run requires but never uses up.
          params: { path: { order_id: order.id }, query: { dry_run: true }, header: { "Idempotency-Key": key.current } },
          body,
          signal: ctrl.signal,
        });
        if (n !== asked.current) return;
        if (data && response.status === 200) setPreview({ state: "ok", preview: data as PaymentPreview });
        else {
          const f = failureFrom(toProblem(error, response), SPECS);
          const messages = [...Object.values(f.fields), ...f.other];
          setPreview({ state: "refused", messages: messages.length ? messages : [f.detail ?? f.title] });
        }
      } catch (err) {
        if (isAbort(err) || n !== asked.current) return;
        setPreview({ state: "refused", messages: [toProblem(err).title] });
      }
    }, PREVIEW_DELAY);
    return () => {
      window.clearTimeout(timer);
      ctrl.abort();
    };
  }, [amount, receivedOn, payer, method, order]);

  const submit = async (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (posting.current) return;
    const fields: Record<string, string> = {};
    let cents = 0;
    if (!amount.trim()) fields["payment-amount"] = "Enter the amount received.";
    else {
      const p = parseDollars(amount, "The amount");
      if (!p.ok) fields["payment-amount"] = p.message;
      else if (p.value < 1) fields["payment-amount"] = "The amount must be at least $0.01.";
      else cents = p.value;
    }
    if (!isDay(receivedOn)) fields["payment-received-on"] = "Enter the day the payment was received, as a full date.";
    if (!payer) fields["payment-payer"] = "Choose who paid.";
    if (!method) fields["payment-method"] = "Choose how it was paid.";
    if (Object.keys(fields).length > 0) {
      setFailure({ title: "Some fields need attention.", fields, other: [] });
      return;
    }
    posting.current = true;
    setBusy(true);
    setFailure(null);
    const body: PaymentCreate = { amount_cents: cents, received_on: receivedOn, payer_defendant_id: payer, method: method as PaymentMethod };
    if (reference.trim()) body.reference = reference.trim();
    try {
      const { data, error, response } = await api.POST("/api/v1/restitution-orders/{order_id}/payments", {
        params: { path: { order_id: order.id }, header: { "Idempotency-Key": key.current } },
        body,
      });
      if (data && response.status === 201) {
        onRecorded(data as Payment);
        return; // the form is replaced
      }
      const f = failureFrom(toProblem(error, response), SPECS);
      if (response.status === 409) {
        f.fields["payment-received-on"] = "Date the payment on or after the order’s latest payment or adjustment.";
      }
      setFailure(f);
    } catch (err) {
      setFailure(failureFrom(toProblem(err), SPECS));
    }
    posting.current = false;
    setBusy(false);
  };

  return (
    <form id="payment-form" class="panel payment-form" noValidate onSubmit={(e) => void submit(e)} aria-labelledby="payment-form-title">
      <h4 id="payment-form-title">Record a payment</h4>
      {failure && <ErrorSummary failure={failure} order={ORDER} />}
      <div class="form-grid">
        <div class="field">
          <label for="payment-amount">Amount (dollars)</label>
          <input
            type="text"
            id="payment-amount"
            inputMode="decimal"
            autoComplete="off"
            value={amount}
            onInput={(e) => setAmount(e.currentTarget.value)}
            {...invalid("payment-amount", failure, "payment-amount-hint")}
          />
          <p class="hint" id="payment-amount-hint">
            Such as 1,000.00. How it would be shared out shows below as you type.
          </p>
          <FieldError id="payment-amount" failure={failure} />
        </div>
        <div class="field">
          <label for="payment-received-on">Received on</label>
          <input
            type="date"
            id="payment-received-on"
            value={receivedOn}
            min={order.ordered_on}
            onInput={(e) => setReceivedOn(e.currentTarget.value)}
            {...invalid("payment-received-on", failure, "payment-received-on-hint")}
          />
          <p class="hint" id="payment-received-on-hint">
            Interest accrues to this day. Not before the order’s latest payment.
          </p>
          <FieldError id="payment-received-on" failure={failure} />
        </div>
        <div class="field">
          <label for="payment-payer">Payer</label>
          <select id="payment-payer" value={payer} onChange={(e) => setPayer(e.currentTarget.value)} {...invalid("payment-payer", failure)}>
            {!payer && <option value="">Choose a defendant</option>}
            {liable.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
          </select>
          <FieldError id="payment-payer" failure={failure} />
        </div>
        <div class="field">
          <label for="payment-method">Method</label>
          <select
            id="payment-method"
            value={method}
            onChange={(e) => setMethod(e.currentTarget.value as PaymentMethod)}
            {...invalid("payment-method", failure)}
          >
            {!method && <option value="">Choose a method</option>}
            {PAYMENT_METHODS.map((m) => (
              <option key={m.value} value={m.value}>
                {m.label}
              </option>
            ))}
          </select>
          <FieldError id="payment-method" failure={failure} />
        </div>
        <div class="field--wide">
          <ReferenceField id="payment-reference" value={reference} failure={failure} onInput={setReference} hint="Such as the check or receipt number." />
        </div>
        <div class="field--wide">
          <AllocationPreview preview={preview} order={order} lines={lines} complete={complete} names={names} />
        </div>
      </div>
      <div class="form-actions">
        <button type="submit" id="record-payment" class="button" disabled={busy} aria-busy={busy ? "true" : undefined}>
          {busy ? "Recording…" : "Record payment"}
        </button>
      </div>
    </form>
  );
}

/** LIST_IN_WORDS is the most victims the live summary names one by one; beyond, it gives totals. */
const LIST_IN_WORDS = 10;

/**
 * AllocationPreview shows how a payment would be shared out: a sentence in a live region, which screen readers
 * read once typing pauses, and the same figures in a table by victim, in the order victims are paid. A small
 * order whose lines are all loaded shows every line, those that would get nothing too; otherwise the table lists
 * the victims paid, at most MAX_SHOWN of them, and says how many more.
 */
function AllocationPreview({
  preview,
  order,
  lines,
  complete,
  names,
}: {
  preview: Preview;
  order: RestitutionOrder;
  lines: RestitutionLine[];
  complete: boolean;
  names: VictimNames;
}) {
  const shown = preview.state === "ok" ? preview.preview : preview.state === "waiting" ? preview.last : null;
  const allocations = shown?.allocations ?? [];
  let rows: Allocation[] = [];
  let more = 0;
  if (complete && order.line_count <= MAX_SHOWN) {
    const byVictim = new Map(allocations.map((a) => [a.victim_id, a]));
    const cmp = byPaymentOrder(order.terms.priority_classes);
    rows = lines
      .map((l) => byVictim.get(l.victim_id) ?? { victim_id: l.victim_id, principal_cents: 0, interest_cents: 0 })
      .sort((a, b) => cmp(names.of(a.victim_id), names.of(b.victim_id)));
  } else ({ shown: rows, more } = shownAllocations(allocations, names, order.terms.priority_classes));
  useEffect(() => names.want(rows.map((a) => a.victim_id)), [shown]);

  let sentence = "";
  if (preview.state === "idle") sentence = "Enter an amount and a day to see how the payment would be allocated.";
  else if (preview.state === "refused") sentence = `Not possible as it stands. ${preview.messages.join(" ")}`;
  else if (shown) {
    const nothing = Math.max(0, order.line_count - allocations.length);
    const others = rows.length < order.line_count && nothing > 0 ? `, nothing to ${count(nothing, "other victim", "other victims")}` : "";
    const applied = appliedOf(allocations);
    const shares =
      rows.length <= LIST_IN_WORDS && more === 0
        ? rows.map((a) => `${nameOf(names, a.victim_id)} ${formatCents(sum(a.principal_cents, a.interest_cents))}`).join(", ")
        : `${count(allocations.length, "victim", "victims")} ${formatCents(applied.principal)} principal and ${formatCents(applied.interest)} interest`;
    sentence =
      `${formatCents(shown.amount_cents)} received ${formatDate(shown.received_on)} would pay ${shares || "no victim"}${others}; ` +
      `${formatCents(shown.unapplied_cents)} would be held as unapplied credit.`;
  }
  return (
    <div class="preview" id="payment-preview" aria-busy={preview.state === "waiting" ? "true" : undefined}>
      <h5 class="preview__title">Allocation</h5>
      <p id="payment-preview-summary" class={preview.state === "refused" ? "field-error" : "preview__summary"} aria-live="polite">
        {sentence}
      </p>
      {shown && (
        <table class="data-table preview__table" id="payment-preview-table">
          <caption class="visually-hidden">
            How the payment would be allocated, by victim{more > 0 ? `: the first ${MAX_SHOWN.toLocaleString("en-US")}` : ""}
          </caption>
          <thead>
            <tr>
              <th scope="col">Victim</th>
              <th scope="col" class="num">
                Principal
              </th>
              <th scope="col" class="num">
                Interest
              </th>
              <th scope="col" class="num">
                Total
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((a) => (
              <tr key={a.victim_id} data-victim={a.victim_id}>
                <td data-label="Victim" class="data-table__title">
                  {nameOf(names, a.victim_id)}
                </td>
                <td data-label="Principal" class="num preview__principal">
                  {formatCents(a.principal_cents)}
                </td>
                <td data-label="Interest" class="num preview__interest">
                  {formatCents(a.interest_cents)}
                </td>
                <td data-label="Total" class="num">
                  {formatCents(sum(a.principal_cents, a.interest_cents))}
                </td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <td data-label="Victim" class="data-table__title">
                Unapplied credit
              </td>
              <td class="empty-cell"></td>
              <td class="empty-cell"></td>
              <td data-label="Total" class="num" id="payment-preview-unapplied">
                {formatCents(shown.unapplied_cents)}
              </td>
            </tr>
          </tfoot>
        </table>
      )}
      {shown && more > 0 && (
        <p class="hint preview__more" id="payment-preview-more">
          and {more.toLocaleString("en-US")} more victims, not listed here.
        </p>
      )}
    </div>
  );
}
