import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { LedgerEntry, RestitutionLine, Role } from "../../api/client";
import { formatDate } from "../../format";
import { victimKindLabel } from "../../intake";
import { jurisdictionName, useJurisdictions } from "../../jurisdictions";
import { formatCents } from "../../money";
import { Link } from "../../router";
import { victimHref } from "../../pages/case/VictimsTab";
import { byPaymentOrder, canEnterOrders, canMoveMoney, classLabel, count, orderTitle, termsInterest, todayISO, type Named } from "../../restitution";
import { ProblemAlert } from "../ProblemAlert";
import { AdjustDialog, DisburseDialog, RefundDialog, ReverseDialog } from "./EntryDialogs";
import { Ledger } from "./Ledger";
import { appliedOf, useOrderLines, useVictimNames } from "./orderLines";
import { PaymentForm } from "./PaymentForm";

type Dialog =
  | { kind: "reverse"; payment: LedgerEntry; payer: string; from: string }
  | { kind: "adjust"; from: string }
  | { kind: "disburse"; from: string }
  | { kind: "refund"; from: string }
  | null;

interface Props {
  /** The case whose tab shows the order: an order of another case is not shown here. */
  caseId: string;
  orderId: string;
  defendants: Named[];
  role: Role | undefined;
  /** Changes whenever money moved on any order of the case. */
  version: number;
  /** Money moved: everything that shows it is read again. */
  onChanged: () => void;
  onClose: () => void;
}

/**
 * OrderDetail is one order opened under the list: its terms, its lines' balances as of a chosen day (today
 * unless changed) a page at a time with the totals over every line, payment entry with its live allocation, the
 * ledger, and the ledger's other entries behind dialogs. What a role may not do is not offered. An order may
 * have 100,000 lines: nothing here waits for all of them.
 */
export function OrderDetail({ caseId, orderId, defendants, role, version, onChanged, onClose }: Props) {
  const jurisdictions = useJurisdictions();
  const [asOf, setAsOf] = useState(todayISO());
  const loaded = useOrderLines(caseId, orderId, asOf, version);
  const names = useVictimNames(loaded);
  const { order, loading, problem } = loaded;
  const [message, setMessage] = useState("");
  const [dialog, setDialog] = useState<Dialog>(null);
  const [paymentForm, setPaymentForm] = useState(0);
  const title = useRef<HTMLHeadingElement>(null);
  const focused = useRef(false);
  const landed = useRef(false);
  // The lines loaded so far in the order victims are paid, for the pickers.
  const byPayment = useMemo(() => {
    if (!order) return [];
    const cmp = byPaymentOrder(order.terms.priority_classes);
    return [...loaded.lines].sort((a, b) => cmp({ name: a.victim_name, kind: a.victim_kind }, { name: b.victim_name, kind: b.victim_kind }));
  }, [loaded.lines, order?.terms]);

  // The keyboard goes to the order's heading once it has arrived, as to a loss opened under its table.
  useEffect(() => {
    if (order && !focused.current) {
      focused.current = true;
      title.current?.focus();
    }
  }, [order]);

  if (!order) {
    return (
      <section class="panel order-panel" aria-labelledby="order-panel-title">
        <h3 id="order-panel-title">{loading ? "Loading the order…" : "Order"}</h3>
        {problem && <ProblemAlert problem={problem} />}
        <button type="button" id="close-order" class="button button--secondary button--small" onClick={onClose}>
          Close<span class="visually-hidden"> the order</span>
        </button>
      </section>
    );
  }

  const lines = loaded.lines;
  const complete = !loaded.hasMore;
  // "Show more lines" adds a page and takes the keyboard to the first line added.
  const showMore = async () => {
    const added = await loaded.loadMore();
    const first = added[0];
    if (first) {
      window.setTimeout(() => document.querySelector<HTMLElement>(`#order-lines-table tr[data-victim="${first.victim_id}"] a`)?.focus(), 0);
    }
  };
  const t = order.totals;
  const liable = order.defendant_ids.map((id) => defendants.find((d) => d.id === id)?.name ?? "A defendant of the case");
  const mayAdjust = canEnterOrders(role);
  const mayMove = canMoveMoney(role);
  const done = (msg: string) => {
    landed.current = true;
    setDialog(null);
    setMessage(msg);
    onChanged();
  };
  const open = (d: NonNullable<Dialog>) => {
    landed.current = false;
    setMessage("");
    setDialog(d);
  };
  // A cancelled dialog gives the keyboard back to its button; after an entry was posted, the order's heading
  // takes it (the button may be gone, such as a reversed payment's), and the status message says what was done.
  const back = (id: string) => () => (landed.current ? title.current : (document.getElementById(id) ?? title.current));

  return (
    <section class="panel order-panel" aria-labelledby="order-panel-title" id="order-panel" data-order={order.id}>
      <div class="section-head">
        <h3 id="order-panel-title" tabIndex={-1} ref={title}>
          {orderTitle(order)}
        </h3>
        <button type="button" id="close-order" class="button button--secondary button--small" onClick={onClose}>
          Close<span class="visually-hidden"> the order</span>
        </button>
      </div>
      <p role="status" class="status-message" id="order-message">
        {message}
      </p>
      {problem && <ProblemAlert problem={problem} />}

      <dl class="details order-terms" id="order-terms">
        <div>
          <dt>Ordered on</dt>
          <dd>
            <time dateTime={order.ordered_on}>{formatDate(order.ordered_on)}</time>
          </dd>
        </div>
        <div>
          <dt>Court order reference</dt>
          <dd>{order.court_order_reference || <span class="muted">None recorded</span>}</dd>
        </div>
        <div>
          <dt>Jurisdiction</dt>
          <dd>{jurisdictionName(jurisdictions.items, order.jurisdiction)}</dd>
        </div>
        <div>
          <dt>Liable</dt>
          <dd id="order-defendants">
            {liable.join(", ")}
            {liable.length > 1 && <span class="muted"> (jointly and severally: each owes the whole)</span>}
          </dd>
        </div>
        <div>
          <dt>Interest</dt>
          <dd id="order-interest">{termsInterest(order.terms, order.interest_waived)}</dd>
        </div>
        <div>
          <dt>Paid in this order</dt>
          <dd>
            <ol class="priority-list">
              {order.terms.priority_classes.map((c) => (
                <li key={c.join()}>{classLabel(c)}</li>
              ))}
            </ol>
            <span class="hint">Pro rata within a class; principal first, then interest.</span>
          </dd>
        </div>
      </dl>

      <section class="order-lines-section" aria-labelledby="order-lines-heading">
        <div class="section-head">
          <h4 id="order-lines-heading">Lines</h4>
          <p class="order-lines-count" id="order-lines-count" role="status">
            {count(order.line_count, "line", "lines")}
            {complete ? "" : `, ${lines.length.toLocaleString("en-US")} shown`}
          </p>
        </div>
        <div class="as-of">
          <label for="order-as-of">Balances as of</label>
          <input type="date" id="order-as-of" value={asOf} onInput={(e) => setAsOf(e.currentTarget.value)} aria-describedby="order-as-of-hint" />
          <p class="hint" id="order-as-of-hint">
            Entries dated that day count; interest runs to the day.
          </p>
        </div>
        <div class="table-scroll" role="region" aria-label="Lines table" tabIndex={0}>
          <table class="data-table lines-table" id="order-lines-table" aria-busy={loading ? "true" : undefined}>
            <caption class="visually-hidden">
              Each victim’s line as of {formatDate(order.as_of)}
              {complete ? "" : `: ${lines.length.toLocaleString("en-US")} of ${count(order.line_count, "line", "lines")}`}; the total covers every line
            </caption>
            <thead>
              <tr>
                <th scope="col">Victim</th>
                <th scope="col" class="num">
                  Ordered
                </th>
                <th scope="col" class="num">
                  Adjusted
                </th>
                <th scope="col" class="num">
                  Principal paid
                </th>
                <th scope="col" class="num">
                  Interest accrued
                </th>
                <th scope="col" class="num">
                  Interest paid
                </th>
                <th scope="col" class="num">
                  Balance
                </th>
                <th scope="col" class="num">
                  Disbursed
                </th>
                <th scope="col" class="num">
                  Undisbursed
                </th>
                <th scope="col" class="num">
                  Over-disbursed
                </th>
              </tr>
            </thead>
            <tbody>
              {lines.map((l) => (
                <tr key={l.victim_id} data-victim={l.victim_id} class={l.over_disbursed_cents > 0 ? "is-over" : undefined}>
                  <td data-label="Victim" class="data-table__title">
                    <Link href={victimHref(l.victim_id)} class="victim-link">
                      {l.victim_name}
                    </Link>
                    <span class="lines-table__kind">{victimKindLabel(l.victim_kind)}</span>
                  </td>
                  <Amounts line={l} />
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr id="order-totals">
                <td data-label="Victim" class="data-table__title">
                  Total
                  {!complete && <span class="lines-table__kind">All {count(order.line_count, "line", "lines")}</span>}
                </td>
                <Amounts line={t} prefix="order-total" />
              </tr>
            </tfoot>
          </table>
        </div>
        {loaded.moreProblem && <ProblemAlert problem={loaded.moreProblem} />}
        {loaded.hasMore && !loading && (
          <p class="load-more order-lines-more">
            <button
              type="button"
              id="more-lines"
              class="button button--secondary"
              aria-busy={loaded.busy ? "true" : undefined}
              aria-describedby="order-lines-count"
              onClick={() => void showMore()}
            >
              {loaded.busy ? "Loading more lines…" : "Show more lines"}
            </button>
          </p>
        )}
        <p class="order-credit" id="order-credit">
          Unapplied credit: <strong>{formatCents(order.unapplied_credit_cents)}</strong>
          <span class="muted">
            {" "}
            {order.unapplied_credit_cents < 0
              ? "(a reversed payment’s credit had already been refunded: the payer owes it back)"
              : "(paid beyond what the order is owed, held until refunded)"}
          </span>
        </p>
        {(mayAdjust || mayMove) && (
          <div class="actions order-actions" role="group" aria-label="Entries on this order">
            {mayAdjust && (
              <button type="button" id="adjust-line" class="button button--secondary button--small" onClick={() => open({ kind: "adjust", from: "adjust-line" })}>
                Adjust a line…
              </button>
            )}
            {mayMove && t.undisbursed_cents > 0 && (
              <button type="button" id="disburse" class="button button--secondary button--small" onClick={() => open({ kind: "disburse", from: "disburse" })}>
                Disburse to a victim…
              </button>
            )}
            {mayMove && order.unapplied_credit_cents > 0 && (
              <button type="button" id="refund" class="button button--secondary button--small" onClick={() => open({ kind: "refund", from: "refund" })}>
                Refund credit…
              </button>
            )}
          </div>
        )}
      </section>

      {mayMove && (
        <PaymentForm
          key={paymentForm}
          order={order}
          lines={lines}
          complete={complete}
          names={names}
          defendants={defendants}
          autoFocus={paymentForm > 0}
          onRecorded={(p) => {
            // The confirmation counts what the payment paid; each victim's share is under its ledger entry.
            const applied = appliedOf(p.allocations);
            setMessage(
              `Payment of ${formatCents(p.amount_cents)} received ${formatDate(p.received_on)} recorded: ` +
                `${formatCents(applied.principal)} principal and ${formatCents(applied.interest)} interest to ` +
                `${count(p.allocations.length, "victim", "victims")}` +
                (p.unapplied_cents !== 0 ? `, ${formatCents(p.unapplied_cents)} held as unapplied credit.` : "."),
            );
            setPaymentForm((n) => n + 1);
            onChanged();
          }}
        />
      )}

      <Ledger
        order={order}
        lines={byPayment}
        more={loaded}
        names={names}
        defendants={defendants}
        version={version}
        mayReverse={mayMove}
        onReverse={(payment, payer) => open({ kind: "reverse", payment, payer, from: `reverse-${payment.id}` })}
      />

      {dialog?.kind === "reverse" && (
        <ReverseDialog payment={dialog.payment} payer={dialog.payer} returnFocus={back(dialog.from)} onDone={done} onCancel={() => setDialog(null)} />
      )}
      {dialog?.kind === "adjust" && (
        <AdjustDialog order={order} lines={byPayment} more={loaded} returnFocus={back(dialog.from)} onDone={done} onCancel={() => setDialog(null)} />
      )}
      {dialog?.kind === "disburse" && (
        <DisburseDialog order={order} lines={byPayment} more={loaded} returnFocus={back(dialog.from)} onDone={done} onCancel={() => setDialog(null)} />
      )}
      {dialog?.kind === "refund" && <RefundDialog order={order} returnFocus={back(dialog.from)} onDone={done} onCancel={() => setDialog(null)} />}
    </section>
  );
}

/** Amounts are a line's (or the order's) figures, in the lines table's columns. */
function Amounts({ line: l, prefix }: { line: Omit<RestitutionLine, "victim_id" | "victim_name" | "victim_kind">; prefix?: string }) {
  const id = (name: string) => (prefix ? `${prefix}-${name}` : undefined);
  return (
    <>
      <td data-label="Ordered" class="num" id={id("ordered")}>
        {formatCents(l.ordered_cents)}
      </td>
      <td data-label="Adjusted" class="num" id={id("adjusted")}>
        {l.adjusted_cents > 0 ? "+" : ""}
        {formatCents(l.adjusted_cents)}
      </td>
      <td data-label="Principal paid" class="num" id={id("principal-paid")}>
        {formatCents(l.principal_paid_cents)}
      </td>
      <td data-label="Interest accrued" class="num" id={id("interest-accrued")}>
        {formatCents(l.interest_accrued_cents)}
      </td>
      <td data-label="Interest paid" class="num" id={id("interest-paid")}>
        {formatCents(l.interest_paid_cents)}
      </td>
      <td data-label="Balance" class="num lines-table__balance" id={id("balance")}>
        {formatCents(l.balance_cents)}
      </td>
      <td data-label="Disbursed" class="num" id={id("disbursed")}>
        {formatCents(l.disbursed_cents)}
      </td>
      <td data-label="Undisbursed" class="num" id={id("undisbursed")}>
        {formatCents(l.undisbursed_cents)}
      </td>
      <td data-label="Over-disbursed" class={l.over_disbursed_cents > 0 ? "num over-disbursed" : "num"} id={id("over-disbursed")}>
        {l.over_disbursed_cents > 0 ? (
          <strong>
            {formatCents(l.over_disbursed_cents)}
            <span class="visually-hidden"> (owed back by the victim)</span>
          </strong>
        ) : (
          formatCents(l.over_disbursed_cents)
        )}
      </td>
    </>
  );
}
