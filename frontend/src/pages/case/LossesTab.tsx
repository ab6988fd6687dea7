import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, toProblem, type LossSummary, type LossTotals, type Problem } from "../../api/client";
import { ProblemAlert } from "../../components/ProblemAlert";
import { victimKindLabel } from "../../intake";
import { lossCategoryLabel } from "../../losses";
import { formatCents } from "../../money";
import { Link } from "../../router";
import { victimHref } from "./VictimsTab";

type Load = { state: "loading" } | { state: "ok"; summary: LossSummary } | { state: "error"; problem: Problem };

/**
 * LossesTab is a case's losses in total: a bar chart by category with the same figures in a table beside it (the
 * chart's accessible alternative), then the totals by victim and by kind of victim. Every figure is the server's
 * exact cents; voided and excluded losses count nothing.
 */
export function LossesTab({ caseId }: { caseId: string }) {
  const [load, setLoad] = useState<Load>({ state: "loading" });
  const [names, setNames] = useState<Record<string, string>>({});

  useEffect(() => {
    let live = true;
    api
      .GET("/api/v1/cases/{case_id}/losses/summary", { params: { path: { case_id: caseId } } })
      .then(({ data, error, response }) => {
        if (!live) return;
        if (data) setLoad({ state: "ok", summary: data });
        else setLoad({ state: "error", problem: toProblem(error, response) });
      })
      .catch((err: unknown) => live && setLoad({ state: "error", problem: toProblem(err) }));
    // The victims' names, for the totals by victim (in the caller's view: a minor's initials for prosecutors).
    (async () => {
      const out: Record<string, string> = {};
      let cursor: string | undefined;
      do {
        const { data } = await api.GET("/api/v1/cases/{case_id}/victims", {
          params: { path: { case_id: caseId }, query: { limit: 500, cursor } },
        });
        if (!data) break;
        for (const v of data.items) out[v.id] = v.name;
        cursor = data.next_cursor ?? undefined;
      } while (cursor);
      if (live) setNames(out);
    })().catch(() => undefined);
    return () => {
      live = false;
    };
  }, [caseId]);

  return (
    <section aria-labelledby="losses-tab-heading" id="losses-tab">
      <div class="section-head">
        <h2 id="losses-tab-heading">Losses</h2>
      </div>
      {load.state === "loading" && (
        <p class="list-status" role="status">
          Loading the totals…
        </p>
      )}
      {load.state === "error" && <ProblemAlert problem={load.problem} />}
      {load.state === "ok" && <Summary summary={load.summary} names={names} />}
    </section>
  );
}

function Summary({ summary, names }: { summary: LossSummary; names: Record<string, string> }) {
  const t = summary.totals;
  if (t.loss_count === 0) {
    return (
      <div class="empty" id="no-case-losses">
        <p class="empty__title">No losses count yet.</p>
        <p>Losses are recorded on each victim’s page. Voided and excluded losses count in no total.</p>
      </div>
    );
  }
  return (
    <>
      <dl class="totals" id="case-totals">
        <div>
          <dt>Claimed</dt>
          <dd id="case-total-claimed">{formatCents(t.claimed_cents)}</dd>
        </div>
        <div>
          <dt>Verified</dt>
          <dd id="case-total-verified">{formatCents(t.verified_cents)}</dd>
        </div>
        <div>
          <dt>Reimbursed</dt>
          <dd id="case-total-reimbursed">{formatCents(t.reimbursed_cents)}</dd>
        </div>
        <div>
          <dt>Net requested</dt>
          <dd id="case-total-net">{formatCents(t.net_requested_cents)}</dd>
        </div>
      </dl>
      <p class="hint totals-note">
        {t.loss_count} {t.loss_count === 1 ? "loss counts" : "losses count"}. Voided and excluded losses count nothing. Net
        requested is the verified amount (or, until verified, the claim) less what was reimbursed.
      </p>

      <section class="section--tight" aria-labelledby="by-category-heading">
        <h3 id="by-category-heading">By category</h3>
        <CategoryChart summary={summary} />
        <TotalsTable
          id="category-table"
          caption="Losses by category: the figures the chart shows"
          first="Category"
          rows={summary.by_category.map((c) => ({ key: c.category, label: lossCategoryLabel(c.category), totals: c.totals }))}
          total={t}
        />
      </section>

      <section class="section--tight" aria-labelledby="by-victim-heading">
        <h3 id="by-victim-heading">By victim</h3>
        <TotalsTable
          id="victim-totals-table"
          caption="Losses by victim"
          first="Victim"
          extra="Kind"
          rows={summary.by_victim.map((v) => ({
            key: v.victim_id,
            label: (
              <Link href={victimHref(v.victim_id)} class="victim-link">
                {names[v.victim_id] ?? "Victim"}
              </Link>
            ),
            extra: victimKindLabel(v.victim_kind),
            totals: v.totals,
          }))}
          total={t}
        />
      </section>

      <section class="section--tight" aria-labelledby="by-kind-heading">
        <h3 id="by-kind-heading">By kind of victim</h3>
        <TotalsTable
          id="kind-totals-table"
          caption="Losses by kind of victim"
          first="Kind of victim"
          rows={summary.by_victim_kind.map((k) => ({ key: k.victim_kind, label: victimKindLabel(k.victim_kind), totals: k.totals }))}
          total={t}
        />
      </section>
    </>
  );
}

interface Row {
  key: string;
  label: ComponentChildren;
  extra?: string;
  totals: LossTotals;
}

/** TotalsTable is one grouping of the totals, with the case's total as its last row. */
function TotalsTable(props: { id: string; caption: string; first: string; extra?: string; rows: Row[]; total: LossTotals }) {
  const cells = (x: LossTotals, prefix?: string) => (
    <>
      <td data-label="Losses" class="num">
        {x.loss_count}
      </td>
      <td data-label="Claimed" class="num" id={prefix && `${prefix}-claimed`}>
        {formatCents(x.claimed_cents)}
      </td>
      <td data-label="Verified" class="num" id={prefix && `${prefix}-verified`}>
        {formatCents(x.verified_cents)}
      </td>
      <td data-label="Reimbursed" class="num" id={prefix && `${prefix}-reimbursed`}>
        {formatCents(x.reimbursed_cents)}
      </td>
      <td data-label="Net requested" class="num" id={prefix && `${prefix}-net`}>
        {formatCents(x.net_requested_cents)}
      </td>
    </>
  );
  return (
    <table class="data-table totals-table" id={props.id}>
      <caption class="visually-hidden">{props.caption}</caption>
      <thead>
        <tr>
          <th scope="col">{props.first}</th>
          {props.extra && <th scope="col">{props.extra}</th>}
          <th scope="col" class="num">
            Losses
          </th>
          <th scope="col" class="num">
            Claimed
          </th>
          <th scope="col" class="num">
            Verified
          </th>
          <th scope="col" class="num">
            Reimbursed
          </th>
          <th scope="col" class="num">
            Net requested
          </th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((r) => (
          <tr key={r.key} data-key={r.key}>
            <td data-label={props.first} class="data-table__title">
              {r.label}
            </td>
            {props.extra && <td data-label={props.extra}>{r.extra}</td>}
            {cells(r.totals)}
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr>
          <td data-label={props.first} class="data-table__title" colSpan={props.extra ? 2 : 1}>
            Total
          </td>
          {cells(props.total, `${props.id}-total`)}
        </tr>
      </tfoot>
    </table>
  );
}

const ROW_HEIGHT = 74;
const LEGEND_HEIGHT = 34;
const MIN_WIDTH = 200;
const MAX_WIDTH = 640;

/** barWidth scales amount against the largest over width, in whole tenths of a unit, with integer arithmetic. */
const barWidth = (cents: number, max: bigint, width: number): number =>
  max === 0n ? 0 : Math.max(cents > 0 ? 1 : 0, Number((BigInt(cents) * BigInt(width * 10)) / max) / 10);

/**
 * CategoryChart draws claimed and net requested amounts by category as horizontal bars. It is one image to
 * assistive technology, named by its aria-label; the table after it carries the same figures. Only SVG
 * attributes place and size things (the CSP allows no inline styles), and the drawing takes the width it is
 * given, so that its text stays readable from a phone to a desktop instead of being scaled down.
 */
function CategoryChart({ summary }: { summary: LossSummary }) {
  const box = useRef<HTMLElement>(null);
  const [width, setWidth] = useState(480);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const measure = () => {
      const inner = el.clientWidth - 2 * 16; // the figure's padding
      setWidth(Math.max(MIN_WIDTH, Math.min(MAX_WIDTH, Math.floor(inner))));
    };
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const rows = summary.by_category;
  const max = rows.reduce((m, c) => {
    const v = BigInt(c.totals.claimed_cents);
    return v > m ? v : m;
  }, 0n);
  // On a narrow screen the amounts take a line each, so that nothing runs off the drawing.
  const split = width < 420;
  const rowHeight = split ? ROW_HEIGHT + 18 : ROW_HEIGHT;
  const height = LEGEND_HEIGHT + rows.length * rowHeight;
  const label = `Bar chart of claimed and net requested amounts by category: ${rows
    .map((c) => `${lossCategoryLabel(c.category)}, ${formatCents(c.totals.claimed_cents)} claimed`)
    .join("; ")}. The table below gives every figure.`;
  return (
    <figure class="chart" ref={box}>
      <svg
        id="category-chart"
        class="chart__svg"
        role="img"
        aria-label={label}
        viewBox={`0 0 ${width} ${height}`}
        width={width}
        height={height}
      >
        <g class="chart__legend">
          <rect x={0} y={6} width={14} height={14} class="chart__bar chart__bar--claimed" />
          <text x={20} y={18} class="chart__text">
            Claimed
          </text>
          <rect x={100} y={6} width={14} height={14} class="chart__bar chart__bar--net" />
          <text x={120} y={18} class="chart__text">
            Net requested
          </text>
        </g>
        {rows.map((c, i) => {
          const y = LEGEND_HEIGHT + i * rowHeight;
          const bars = split ? y + 58 : y + 40;
          return (
            <g key={c.category} class="chart__row" data-category={c.category}>
              <text x={0} y={y + 14} class="chart__text chart__label">
                {lossCategoryLabel(c.category)}
              </text>
              {split ? (
                <>
                  <text x={0} y={y + 32} class="chart__text chart__value">
                    {formatCents(c.totals.claimed_cents)} claimed
                  </text>
                  <text x={0} y={y + 50} class="chart__text chart__value">
                    {formatCents(c.totals.net_requested_cents)} net requested
                  </text>
                </>
              ) : (
                <text x={0} y={y + 32} class="chart__text chart__value">
                  {formatCents(c.totals.claimed_cents)} claimed · {formatCents(c.totals.net_requested_cents)} net requested
                </text>
              )}
              <rect x={0} y={bars} width={barWidth(c.totals.claimed_cents, max, width)} height={14} class="chart__bar chart__bar--claimed" />
              <rect x={0} y={bars + 16} width={barWidth(c.totals.net_requested_cents, max, width)} height={8} class="chart__bar chart__bar--net" />
            </g>
          );
        })}
      </svg>
      <figcaption class="hint">The table below gives every figure exactly.</figcaption>
    </figure>
  );
}
