import { useEffect, useState } from "preact/hooks";
import { api, toProblem, type Problem, type Victim, type VictimRestitution } from "../../api/client";
import { formatDate } from "../../format";
import { formatCents } from "../../money";
import { Link } from "../../router";
import { orderHref, owedOf, paidOf } from "../../restitution";
import { ProblemAlert } from "../ProblemAlert";

/**
 * RestitutionSection is the "Restitution" card of a victim's page: what the victim's orders award, what was
 * paid and sent, and each order, as of today. A victim named in no order gets no card at all.
 */
export function RestitutionSection({ victim }: { victim: Victim }) {
  const [data, setData] = useState<VictimRestitution | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);

  useEffect(() => {
    const ctrl = new AbortController();
    api
      .GET("/api/v1/victims/{victim_id}/restitution", { params: { path: { victim_id: victim.id } }, signal: ctrl.signal })
      .then(({ data, error, response }) => {
        if (ctrl.signal.aborted) return;
        if (data) setData(data);
        // A role that may not see it, or a victim gone meanwhile, is no news here.
        else if (response.status !== 403 && response.status !== 404) setProblem(toProblem(error, response));
      })
      .catch((err: unknown) => !ctrl.signal.aborted && setProblem(toProblem(err)));
    return () => ctrl.abort();
  }, [victim.id]);

  if (problem) {
    return (
      <section class="section" aria-labelledby="victim-restitution-heading">
        <h2 id="victim-restitution-heading">Restitution</h2>
        <ProblemAlert problem={problem} />
      </section>
    );
  }
  if (!data || data.orders.length === 0) return null;
  const t = data.totals;
  return (
    <section class="section victim-restitution" aria-labelledby="victim-restitution-heading" id="victim-restitution">
      <h2 id="victim-restitution-heading">Restitution</h2>
      <dl class="totals" id="victim-restitution-totals">
        <div>
          <dt>Ordered</dt>
          <dd id="victim-restitution-ordered">{formatCents(owedOf(t))}</dd>
        </div>
        <div>
          <dt>Paid</dt>
          <dd id="victim-restitution-paid">{formatCents(paidOf(t))}</dd>
        </div>
        <div>
          <dt>Balance</dt>
          <dd id="victim-restitution-balance">{formatCents(t.balance_cents)}</dd>
        </div>
        <div>
          <dt>Disbursed</dt>
          <dd id="victim-restitution-disbursed">{formatCents(t.disbursed_cents)}</dd>
        </div>
        {t.over_disbursed_cents > 0 && (
          <div class="totals__alert">
            <dt>Over-disbursed</dt>
            <dd id="victim-restitution-over">{formatCents(t.over_disbursed_cents)}</dd>
          </div>
        )}
      </dl>
      <p class="hint totals-note">
        As of {formatDate(data.as_of)}. Paid is principal and interest applied to the victim’s lines
        {t.undisbursed_cents > 0 && <>; {formatCents(t.undisbursed_cents)} of it is still to be sent</>}
        {t.over_disbursed_cents > 0 && <>; more was sent than is now applied, after a reversed payment</>}.
      </p>
      <table class="data-table" id="victim-restitution-orders">
        <caption class="visually-hidden">The orders that award this victim restitution</caption>
        <thead>
          <tr>
            <th scope="col">Order</th>
            <th scope="col" class="num">
              Ordered
            </th>
            <th scope="col" class="num">
              Paid
            </th>
            <th scope="col" class="num">
              Balance
            </th>
            <th scope="col" class="num">
              Disbursed
            </th>
          </tr>
        </thead>
        <tbody>
          {data.orders.map((o) => (
            <tr key={o.order_id}>
              <td data-label="Order" class="data-table__title">
                <Link href={orderHref(victim.case_id, o.order_id)}>
                  Order of {formatDate(o.ordered_on)}
                  {o.court_order_reference && <> ({o.court_order_reference})</>}
                </Link>
              </td>
              <td data-label="Ordered" class="num">
                {formatCents(owedOf(o.line))}
              </td>
              <td data-label="Paid" class="num">
                {formatCents(paidOf(o.line))}
              </td>
              <td data-label="Balance" class="num">
                {formatCents(o.line.balance_cents)}
              </td>
              <td data-label="Disbursed" class="num">
                {formatCents(o.line.disbursed_cents)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
