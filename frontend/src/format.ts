import type { CaseStatus } from "./api/client";

/** Every case status in workflow order, with the words people use for it. */
export const STATUSES: ReadonlyArray<{ value: CaseStatus; label: string }> = [
  { value: "intake", label: "Intake" },
  { value: "charged", label: "Charged" },
  { value: "convicted", label: "Convicted" },
  { value: "sentenced", label: "Sentenced" },
  { value: "closed", label: "Closed" },
  { value: "on_appeal", label: "On appeal" },
];

export function statusLabel(status: string): string {
  return STATUSES.find((s) => s.value === status)?.label ?? status;
}

export function isStatus(value: string | null): value is CaseStatus {
  return STATUSES.some((s) => s.value === value);
}

const calendarDate = new Intl.DateTimeFormat("en-US", { dateStyle: "long", timeZone: "UTC" });
const instant = new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeStyle: "short" });

/** formatDate shows a calendar date (YYYY-MM-DD) as written, without shifting it by the viewer's time zone. */
export function formatDate(date: string): string {
  const [y, m, d] = date.split("-").map(Number);
  if (!y || !m || !d) return date;
  return calendarDate.format(new Date(Date.UTC(y, m - 1, d)));
}

/** formatInstant shows an RFC 3339 timestamp in the viewer's local time. */
export function formatInstant(timestamp: string): string {
  const t = new Date(timestamp);
  return Number.isNaN(t.getTime()) ? timestamp : instant.format(t);
}

/** setTitle names the page in the browser tab and history. */
export function setTitle(page: string): void {
  document.title = `${page} – ImpactLedger`;
}
