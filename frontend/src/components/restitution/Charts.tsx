import { useEffect, useRef, useState } from "preact/hooks";
import type { ClassTotals, TimelinePoint } from "../../api/client";
import { formatDate } from "../../format";
import { formatCents } from "../../money";
import { classLabel, dayNumber, formatAxisCents, formatShortDate, niceStep, owedOf, sum } from "../../restitution";

const MIN_WIDTH = 260;
const MAX_WIDTH = 1040;

/**
 * useWidth measures the figure the chart is drawn in, so that the drawing takes the width it is given (its text
 * then stays readable from a phone to a desktop instead of being scaled down).
 */
function useWidth() {
  const box = useRef<HTMLElement>(null);
  const [width, setWidth] = useState(560);
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
  return { box, width };
}

/** scale places cents on an axis of `length` pixels whose top is `max`, in tenths of a pixel, by integer arithmetic. */
const scale = (cents: number | bigint, max: bigint, length: number): number =>
  max === 0n ? 0 : Number((BigInt(cents) * BigInt(length * 10)) / max) / 10;

const SERIES = [
  { key: "ordered_cents", label: "Ordered", cls: "ordered" },
  { key: "collected_cents", label: "Collected", cls: "collected" },
  { key: "disbursed_cents", label: "Disbursed", cls: "disbursed" },
] as const;

const TOP = 40; // the legend's row, and room for the top label
const BOTTOM = 34; // the date labels
const PLOT_HEIGHT = 200;

/**
 * TimelineChart draws the case's cumulative ordered, collected and disbursed amounts as step lines from the first
 * order to the as-of day. It is one image to assistive technology, named by an aria-label that gives the figures
 * as of that day; the table under it, in a disclosure, gives every step. The lines differ in weight and dash as
 * well as colour. Only SVG attributes place things: the CSP allows no inline styles.
 */
export function TimelineChart({ timeline, asOf }: { timeline: TimelinePoint[]; asOf: string }) {
  const { box, width } = useWidth();
  if (timeline.length === 0) return null;
  const first = timeline[0]!;
  const last = timeline[timeline.length - 1]!;
  const end = asOf > last.date ? asOf : last.date;
  const d0 = dayNumber(first.date);
  const d1 = Math.max(dayNumber(end), d0 + 1);

  const peak = timeline.reduce((m, p) => {
    for (const s of SERIES) if (BigInt(p[s.key]) > m) m = BigInt(p[s.key]);
    return m;
  }, 0n);
  const step = niceStep(peak > 0n ? peak : 100n, 4);
  const steps = peak > 0n ? (peak + step - 1n) / step : 1n;
  const top = step * steps;

  const narrow = width < 420;
  const left = narrow ? 52 : 76;
  const right = 12;
  const plotWidth = width - left - right;
  const height = TOP + PLOT_HEIGHT + BOTTOM;
  const x = (date: string) => left + ((dayNumber(date) - d0) * plotWidth) / (d1 - d0);
  const y = (cents: number | bigint) => TOP + PLOT_HEIGHT - scale(cents, top, PLOT_HEIGHT);
  const path = (key: (typeof SERIES)[number]["key"]) => {
    let d = `M ${x(first.date)} ${y(0)} V ${y(first[key])}`;
    for (const p of timeline.slice(1)) d += ` H ${x(p.date)} V ${y(p[key])}`;
    return `${d} H ${left + plotWidth}`;
  };
  const gridlines: bigint[] = [];
  for (let i = 0n; i <= steps; i++) gridlines.push(i * step);

  const label =
    `Step chart of the money ordered, collected and disbursed in this case from ${formatDate(first.date)} to ${formatDate(end)}. ` +
    `As of ${formatDate(end)}: ordered ${formatCents(last.ordered_cents)}, collected ${formatCents(last.collected_cents)}, ` +
    `disbursed ${formatCents(last.disbursed_cents)}. The table after the chart gives every step.`;

  return (
    <figure class="chart" ref={box}>
      <svg id="timeline-chart" class="chart__svg" role="img" aria-label={label} viewBox={`0 0 ${width} ${height}`} width={width} height={height}>
        <g class="chart__legend">
          {SERIES.map((s, i) => {
            const lx = i * (narrow ? 84 : 120);
            return (
              <g key={s.key}>
                <line x1={lx} x2={lx + 22} y1={13} y2={13} class={`chart__line chart__line--${s.cls}`} />
                <text x={lx + 28} y={18} class="chart__text">
                  {s.label}
                </text>
              </g>
            );
          })}
        </g>
        {gridlines.map((g) => (
          <g key={g.toString()}>
            <line x1={left} x2={left + plotWidth} y1={y(g)} y2={y(g)} class={g === 0n ? "chart__axis" : "chart__grid"} />
            <text x={left - 6} y={y(g) + 4} text-anchor="end" class="chart__text chart__value">
              {formatAxisCents(g)}
            </text>
          </g>
        ))}
        <line x1={left} x2={left} y1={TOP} y2={TOP + PLOT_HEIGHT} class="chart__axis" />
        <text x={left} y={height - 8} class="chart__text chart__value">
          {formatShortDate(first.date)}
        </text>
        <text x={left + plotWidth} y={height - 8} text-anchor="end" class="chart__text chart__value">
          {formatShortDate(end)}
        </text>
        {SERIES.map((s) => (
          <path key={s.key} d={path(s.key)} class={`chart__line chart__line--${s.cls}`} data-series={s.cls} />
        ))}
      </svg>
      <details class="chart-data">
        <summary>The figures over time</summary>
        <table class="data-table chart-data__table" id="timeline-table">
          <caption class="visually-hidden">Cumulative amounts at the end of each day with an entry</caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              {SERIES.map((s) => (
                <th scope="col" class="num" key={s.key}>
                  {s.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {timeline.map((p) => (
              <tr key={p.date}>
                <td data-label="Day" class="data-table__title">
                  <time dateTime={p.date}>{formatDate(p.date)}</time>
                </td>
                {SERIES.map((s) => (
                  <td data-label={s.label} class="num" key={s.key}>
                    {formatCents(p[s.key])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

const ROW_HEIGHT = 74;
const LEGEND_HEIGHT = 34;

/**
 * ClassChart draws, for each priority class, what is owed (ordered and adjusted) and what was collected for it,
 * as horizontal bars. Like TimelineChart it is one labelled image with its figures in a table after it.
 */
export function ClassChart({ classes }: { classes: ClassTotals[] }) {
  const { box, width } = useWidth();
  const max = classes.reduce((m, c) => [owedOf(c.totals), BigInt(c.collected_cents)].reduce((a, b) => (b > a ? b : a), m), 0n);
  const split = width < 460;
  const rowHeight = split ? ROW_HEIGHT + 18 : ROW_HEIGHT;
  const height = LEGEND_HEIGHT + classes.length * rowHeight;
  const barWidth = (cents: number | bigint) => Math.max(BigInt(cents) > 0n ? 1 : 0, scale(cents, max, width));
  const label = `Bar chart of the money collected for each priority class, against what is owed: ${classes
    .map((c) => `${classLabel(c.kinds)}, ${formatCents(c.collected_cents)} collected of ${formatCents(owedOf(c.totals))} owed`)
    .join("; ")}. The table after the chart gives every figure.`;
  return (
    <figure class="chart" ref={box}>
      <svg id="class-chart" class="chart__svg" role="img" aria-label={label} viewBox={`0 0 ${width} ${height}`} width={width} height={height}>
        <g class="chart__legend">
          <rect x={0} y={6} width={14} height={14} class="chart__bar chart__bar--collected" />
          <text x={20} y={18} class="chart__text">
            Collected
          </text>
          <rect x={110} y={10} width={14} height={8} class="chart__bar chart__bar--owed" />
          <text x={130} y={18} class="chart__text">
            Owed
          </text>
        </g>
        {classes.map((c, i) => {
          const y = LEGEND_HEIGHT + i * rowHeight;
          const bars = split ? y + 58 : y + 40;
          const owed = owedOf(c.totals);
          return (
            <g key={c.kinds.join()} class="chart__row" data-class={c.kinds.join(" ")}>
              <text x={0} y={y + 14} class="chart__text chart__label">
                {i + 1}. {classLabel(c.kinds)}
              </text>
              {split ? (
                <>
                  <text x={0} y={y + 32} class="chart__text chart__value">
                    {formatCents(c.collected_cents)} collected
                  </text>
                  <text x={0} y={y + 50} class="chart__text chart__value">
                    of {formatCents(owed)} owed
                  </text>
                </>
              ) : (
                <text x={0} y={y + 32} class="chart__text chart__value">
                  {formatCents(c.collected_cents)} collected of {formatCents(owed)} owed
                </text>
              )}
              <rect x={0} y={bars} width={barWidth(c.collected_cents)} height={14} class="chart__bar chart__bar--collected" />
              <rect x={0} y={bars + 16} width={barWidth(owed)} height={8} class="chart__bar chart__bar--owed" />
            </g>
          );
        })}
      </svg>
      <details class="chart-data">
        <summary>The figures by priority class</summary>
        <table class="data-table chart-data__table" id="class-table">
          <caption class="visually-hidden">Restitution by priority class, paid in this order</caption>
          <thead>
            <tr>
              <th scope="col">Priority class</th>
              <th scope="col" class="num">
                Owed
              </th>
              <th scope="col" class="num">
                Collected
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
            {classes.map((c, i) => (
              <tr key={c.kinds.join()} data-class={c.kinds.join(" ")}>
                <td data-label="Priority class" class="data-table__title">
                  {i + 1}. {classLabel(c.kinds)}
                </td>
                <td data-label="Owed" class="num">
                  {formatCents(owedOf(c.totals))}
                </td>
                <td data-label="Collected" class="num" data-cents={c.collected_cents}>
                  {formatCents(c.collected_cents)}
                </td>
                <td data-label="Balance" class="num">
                  {formatCents(c.totals.balance_cents)}
                </td>
                <td data-label="Disbursed" class="num">
                  {formatCents(c.totals.disbursed_cents)}
                </td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <td data-label="Priority class" class="data-table__title">
                Total
              </td>
              <td data-label="Owed" class="num">
                {formatCents(classes.reduce((a, c) => a + owedOf(c.totals), 0n))}
              </td>
              <td data-label="Collected" class="num">
                {formatCents(sum(...classes.map((c) => c.collected_cents)))}
              </td>
              <td data-label="Balance" class="num">
                {formatCents(sum(...classes.map((c) => c.totals.balance_cents)))}
              </td>
              <td data-label="Disbursed" class="num">
                {formatCents(sum(...classes.map((c) => c.totals.disbursed_cents)))}
              </td>
            </tr>
          </tfoot>
        </table>
      </details>
    </figure>
  );
}
