import { useEffect, useState } from "preact/hooks";
import { api, toProblem, type CaseRestitution, type Problem } from "../../api/client";
import { formatDate } from "../../format";
import { formatCents } from "../../money";
import { formatBps, owedOf } from "../../restitution";
import { ProblemAlert } from "../ProblemAlert";
import { ClassChart, TimelineChart } from "./Charts";

type Load = { state: "loading" } | { state: "ok"; summary: CaseRestitution } | { state: "error"; problem: Problem };

/**
 * CaseSummary is a case's restitution in total, as of today: the headline figures, then the money over time and
 * collected by priority class, as charts with their figures in tables. `version` changes whenever money moved,
 * and the summary is read again.
 */
export function CaseSummary({ caseId, version }: { caseId: string; version: number }) {
  const [load, setLoad] = useState<Load>({ state: "loading" });

  useEffect(() => {
    const ctrl = new AbortController();
    api
      .GET("/api/v1/cases/{case_id}/restitution", { params: { path: { case_id: caseId }, query: { limit: 1 } }, signal: ctrl.signal })
      .then(({ data, error, response }) => {
        if (ctrl.signal.aborted) return;
        if (data) setLoad({ state: "ok", summary: data });
        else setLoad({ state: "error", problem: toProblem(error, response) });
      })
      .catch((err: unknown) => !ctrl.signal.aborted && setLoad({ state: "error", problem: toProblem(err) }));
    return () => ctrl.abort();
  }, [caseId, version]);

  if (load.state === "loading") {
    return (
      <p class="list-status" role="status">
        Loading the totals…
      </p>
    );
  }
  if (load.state === "error") return <ProblemAlert problem={load.problem} />;
  const s = load.summary;
  if (s.order_count === 0) return null;
  const t = s.totals;
  return (
    <section class="restitution-summary" aria-labelledby="restitution-totals-heading">
      <h3 id="restitution-totals-heading" class="visually-hidden">
        Totals
      </h3>
      <dl class="totals" id="restitution-totals">
        <div>
          <dt>Ordered</dt>
          <dd id="restitution-total-ordered">{formatCents(owedOf(t))}</dd>
        </div>
        <div>
          <dt>Collected</dt>
          <dd id="restitution-total-collected">{formatCents(s.collected_cents)}</dd>
        </div>
        <div>
          <dt>Disbursed</dt>
          <dd id="restitution-total-disbursed">{formatCents(t.disbursed_cents)}</dd>
        </div>
        <div>
          <dt>Balance</dt>
          <dd id="restitution-total-balance">{formatCents(t.balance_cents)}</dd>
        </div>
        <div>
          <dt>Share collected</dt>
          <dd id="restitution-share">{formatBps(s.share_collected_bps)}</dd>
        </div>
      </dl>
      <p class="hint totals-note">
        As of {formatDate(s.as_of)}, over {s.order_count} {s.order_count === 1 ? "order" : "orders"}.
        {t.adjusted_cents !== 0 && <> Ordered includes {formatCents(t.adjusted_cents)} of adjustments.</>} The balance is
        principal and interest still owed, with {formatCents(t.interest_accrued_cents)} of interest accrued. Collected is
        payments less reversals and refunds
        {s.unapplied_credit_cents !== 0 && <>, of which {formatCents(s.unapplied_credit_cents)} is held as unapplied credit</>}.
      </p>
      <div class="chart-pair">
        <section aria-labelledby="timeline-heading">
          <h3 id="timeline-heading">Over time</h3>
          <TimelineChart timeline={s.timeline} asOf={s.as_of} />
        </section>
        <section aria-labelledby="by-class-heading">
          <h3 id="by-class-heading">Collected by priority class</h3>
          <ClassChart classes={s.by_class} />
        </section>
      </div>
    </section>
  );
}
