import {
  api,
  type DisbursementMethod,
  type InterestMode,
  type LedgerEntryKind,
  type OrderTerms,
  type PaymentMethod,
  type RestitutionTotals,
  type Role,
  type VictimKind,
} from "./api/client";
import { formatDate } from "./format";
import type { Choice } from "./intake";
import type { Parsed } from "./money";
import { formatCents } from "./money";
import { caseHref } from "./pages/case/tabs";

/** Payment methods in the contract's order, with the words people use for them. */
export const PAYMENT_METHODS: ReadonlyArray<Choice<PaymentMethod>> = [
  { value: "check", label: "Check" },
  { value: "money_order", label: "Money order" },
  { value: "cash", label: "Cash" },
  { value: "eft", label: "Electronic transfer" },
  { value: "garnishment", label: "Wage garnishment" },
  { value: "tax_intercept", label: "Tax refund intercept" },
  { value: "inmate_account", label: "Inmate account" },
];

export const DISBURSEMENT_METHODS: ReadonlyArray<Choice<DisbursementMethod>> = [
  { value: "check", label: "Check" },
  { value: "eft", label: "Electronic transfer" },
];

export const ENTRY_KINDS: ReadonlyArray<Choice<LedgerEntryKind>> = [
  { value: "payment", label: "Payment" },
  { value: "reversal", label: "Reversal" },
  { value: "refund", label: "Refund" },
  { value: "adjustment", label: "Adjustment" },
  { value: "disbursement", label: "Disbursement" },
];

const labelOf = <T extends string>(choices: ReadonlyArray<Choice<T>>, value: string | null | undefined): string =>
  choices.find((c) => c.value === value)?.label ?? value ?? "";

export const paymentMethodLabel = (v: string | null | undefined) => labelOf(PAYMENT_METHODS, v);
export const entryKindLabel = (v: string) => labelOf(ENTRY_KINDS, v);
export const isEntryKind = (v: string): v is LedgerEntryKind => ENTRY_KINDS.some((k) => k.value === v);

/** Who may enter orders and amend their lines: the contract's x-roles for createRestitutionOrder and createAdjustment. */
export const canEnterOrders = (role: Role | undefined): boolean =>
  role === "admin" || role === "supervisor" || role === "prosecutor" || role === "clerk";

/** Who may move money (payments, reversals, refunds, disbursements): the x-roles of createPayment and the others. */
export const canMoveMoney = (role: Role | undefined): boolean => role === "admin" || role === "supervisor" || role === "clerk";

const KIND_WORDS: Record<VictimKind, string> = {
  individual: "individual",
  business: "business",
  insurer: "insurer",
  compensation_fund: "compensation fund",
  government: "government",
};

/** classLabel names a priority class by its kinds of victim: "Individual and business victims". */
export function classLabel(kinds: ReadonlyArray<VictimKind>): string {
  const words = kinds.map((k) => KIND_WORDS[k] ?? k);
  const list = words.length <= 1 ? (words[0] ?? "") : `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}`;
  return `${list.charAt(0).toUpperCase()}${list.slice(1)} victims`;
}

/** classRank is the position of a victim's kind in an order's priority classes (0 is paid first). */
export function classRank(classes: ReadonlyArray<ReadonlyArray<VictimKind>>, kind: VictimKind): number {
  const i = classes.findIndex((c) => c.includes(kind));
  return i < 0 ? classes.length : i;
}

/** A victim of an order as its lines name it. */
export interface VictimInfo {
  name: string;
  kind: VictimKind;
}

/**
 * byPaymentOrder compares victims in the order an order pays them: by priority class, then by name; a victim
 * not known (undefined) comes last.
 */
export const byPaymentOrder =
  (classes: ReadonlyArray<ReadonlyArray<VictimKind>>) =>
  (a: VictimInfo | undefined, b: VictimInfo | undefined): number => {
    if (!a || !b) return (a ? 0 : 1) - (b ? 0 : 1);
    return classRank(classes, a.kind) - classRank(classes, b.kind) || a.name.localeCompare(b.name);
  };

/** count writes a number of things in words: "1 victim", "100,000 victims". */
export const count = (n: number, one: string, many: string): string => `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;

/** formatBps shows basis points as a percentage, exactly: 2667 → "26.67%", 800 → "8%". */
export function formatBps(bps: number): string {
  const n = Math.trunc(bps);
  const whole = Math.trunc(n / 100);
  const rest = Math.abs(n % 100);
  return `${whole}${rest ? `.${String(rest).padStart(2, "0").replace(/0$/, "")}` : ""}%`;
}

/** MAX_RATE_BPS is the highest annual interest rate an order may carry: 100%. */
export const MAX_RATE_BPS = 10_000;

const PERCENT = /^(\d{1,3})(?:\.(\d{0,2}))?$/;

/** parsePercent reads a rate typed as a percentage ("5.25", "8 %") into basis points, exactly. */
export function parsePercent(text: string): Parsed<number> {
  const m = PERCENT.exec(text.trim().replace(/\s*%$/, ""));
  if (!m) return { ok: false, message: "The interest rate must be a percentage with at most two decimals, such as 5.25." };
  const bps = Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0"));
  if (bps > MAX_RATE_BPS) return { ok: false, message: "The interest rate must be at most 100%." };
  return { ok: true, value: bps };
}

/** interestMode describes an interest mode in words. */
export const interestModeLabel = (mode: InterestMode): string =>
  ({ none: "No interest", fixed: "A fixed rate for every order", per_order: "The rate the court sets in each order" })[mode] ?? mode;

/** termsInterest says what interest an order's terms carry, in one sentence. */
export function termsInterest(t: OrderTerms, waived: boolean): string {
  if (t.interest_mode === "none" || t.annual_rate_bps === 0) return "None.";
  let s = `${formatBps(t.annual_rate_bps)} a year, simple, from the order date`;
  if (t.threshold_cents > 0) s += `, when the ordered total is over ${formatCents(t.threshold_cents)}`;
  if (t.waived_if_principal_paid_within_days > 0) {
    s += `; none at all if the principal is paid in full within ${t.waived_if_principal_paid_within_days} days`;
  }
  s += ".";
  if (waived) s += " Waived: the principal was paid in full within that time.";
  return s;
}

const pad = (n: number) => String(n).padStart(2, "0");

/**
 * todayISO is today's date as YYYY-MM-DD: the browser's own day, unless that is already tomorrow in UTC, where
 * the server's "today" is; then the server's. A default of this day is never refused as in the future.
 */
export function todayISO(now = new Date()): string {
  const local = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  const utc = now.toISOString().slice(0, 10);
  return local < utc ? local : utc;
}

/** dayNumber is a calendar date's count of days since 1970-01-01, for spacing dates on a chart. */
export function dayNumber(date: string): number {
  const [y, m, d] = date.split("-").map(Number);
  return Math.round(Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1) / 86_400_000);
}

const shortDate = new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeZone: "UTC" });

/** formatShortDate shows a calendar date compactly ("Jun 1, 2025"), for chart axes. */
export function formatShortDate(date: string): string {
  const [y, m, d] = date.split("-").map(Number);
  if (!y || !m || !d) return date;
  return shortDate.format(new Date(Date.UTC(y, m - 1, d)));
}

/** sum adds cents as BigInt, so that totals of many large amounts stay exact. */
export const sum = (...cents: Array<number | bigint>): bigint => cents.reduce<bigint>((acc, c) => acc + BigInt(c), 0n);

/** owedOf is what an order (or line) awards after adjustments. */
export const owedOf = (t: RestitutionTotals): bigint => sum(t.ordered_cents, t.adjusted_cents);

/** paidOf is what payments applied: principal and interest. */
export const paidOf = (t: RestitutionTotals): bigint => sum(t.principal_paid_cents, t.interest_paid_cents);

/**
 * niceStep is a round step for an axis from 0 to max cents in about `ticks` steps: 1, 2 or 5 times a power of
 * ten, in cents, and never under one dollar.
 */
export function niceStep(max: bigint, ticks: number): bigint {
  const target = max / BigInt(Math.max(1, ticks));
  let power = 100n;
  for (;;) {
    for (const m of [1n, 2n, 5n]) {
      if (power * m >= target) return power * m;
    }
    power *= 10n;
  }
}

/** formatAxisCents shows a round amount briefly, exactly, for axis labels: $0, $500, $25K, $1.5M, $2B. */
export function formatAxisCents(cents: bigint): string {
  const dollars = cents / 100n;
  const scaled = (unit: bigint, suffix: string) => {
    const tenths = (dollars * 10n) / unit;
    return `$${tenths / 10n}${tenths % 10n ? `.${tenths % 10n}` : ""}${suffix}`;
  };
  if (dollars >= 1_000_000_000n) return scaled(1_000_000_000n, "B");
  if (dollars >= 1_000_000n) return scaled(1_000_000n, "M");
  if (dollars >= 10_000n) return scaled(1_000n, "K");
  return `$${dollars.toLocaleString("en-US")}`;
}

/** orderHref is a case's Restitution tab with one order open. */
export const orderHref = (caseId: string, orderId: string): string =>
  `${caseHref(caseId)}/restitution?${new URLSearchParams({ order: orderId }).toString()}`;

/** ledgerCsvHref downloads an order's ledger as CSV. */
export const ledgerCsvHref = (orderId: string): string => `/api/v1/restitution-orders/${encodeURIComponent(orderId)}/ledger.csv`;

/** orderTitle names an order by its date and the court's reference. */
export const orderTitle = (o: { ordered_on: string; court_order_reference: string | null }): string =>
  `Order of ${formatDate(o.ordered_on)}${o.court_order_reference ? ` (${o.court_order_reference})` : ""}`;

/** A victim or defendant of the case, as pickers show them. */
export interface Named {
  id: string;
  name: string;
}

/** caseVictims reads every victim of a case (page by page), as the caller may see them. */
export async function caseVictims(caseId: string, signal?: AbortSignal) {
  const out: Array<Named & { kind: VictimKind }> = [];
  let cursor: string | undefined;
  do {
    const { data } = await api.GET("/api/v1/cases/{case_id}/victims", {
      params: { path: { case_id: caseId }, query: { limit: 500, cursor } },
      signal,
    });
    if (!data) break;
    for (const v of data.items) out.push({ id: v.id, name: v.name, kind: v.kind });
    cursor = data.next_cursor ?? undefined;
  } while (cursor);
  return out;
}

/** caseDefendants reads every defendant of a case. */
export async function caseDefendants(caseId: string, signal?: AbortSignal): Promise<Named[]> {
  const out: Named[] = [];
  let cursor: string | undefined;
  do {
    const { data } = await api.GET("/api/v1/cases/{case_id}/defendants", {
      params: { path: { case_id: caseId }, query: { limit: 500, cursor } },
      signal,
    });
    if (!data) break;
    for (const d of data.items) out.push({ id: d.id, name: d.name });
    cursor = data.next_cursor ?? undefined;
  } while (cursor);
  return out;
}
