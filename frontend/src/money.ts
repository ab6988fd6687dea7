/**
 * Money in the UI is what it is in the API: an integer number of US cents. Amounts people type ("1,234.56") are
 * read into cents with string and BigInt arithmetic, never through a binary fraction (parseFloat("1234.56") * 100
 * is 123455.99999999999), and cents are shown by splitting dollars from cents with integer division.
 */

/** MAX_CENTS is the largest amount any one field may hold ($100 billion), as the server checks. */
export const MAX_CENTS = 10_000_000_000_000n;

/** MAX_HUNDREDTHS is the most hours one loss may claim (100,000), in hundredths of an hour. */
export const MAX_HUNDREDTHS = 10_000_000n;

const dollars = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** formatCents shows integer cents as dollars: 123456 → "$1,234.56"; exact for any safe integer or BigInt. */
export function formatCents(cents: number | bigint): string {
  const n = typeof cents === "bigint" ? cents : BigInt(Math.trunc(cents));
  const negative = n < 0n;
  const abs = negative ? -n : n;
  const whole = abs / 100n;
  const rest = abs % 100n;
  return `${negative ? "−" : ""}$${dollars.format(whole)}.${rest.toString().padStart(2, "0")}`;
}

/** centsToInput writes cents back as the form types them: 123456 → "1234.56" (no grouping, so it reads back). */
export function centsToInput(cents: number | null | undefined): string {
  if (cents === null || cents === undefined) return "";
  const n = BigInt(cents);
  return `${n / 100n}.${(n % 100n).toString().padStart(2, "0")}`;
}

/** The result of reading a typed amount: cents, or why it is not an amount. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

// Digits with optional thousands separators in the right places ("1,234,567"), or plain digits; then up to two
// decimals. A lone ".5" is fine; "1,23" or "1.234" is not.
const AMOUNT = /^(?:(\d{1,3}(?:,\d{3})+)|(\d*))(?:\.(\d{0,2}))?$/;

/**
 * parseDollars reads an amount in dollars as typed ("$1,234.56", "1234.5", "5,000") into integer cents, exactly.
 * label names the field in the message when the text is not an amount.
 */
export function parseDollars(text: string, label = "The amount"): Parsed<number> {
  const t = text.trim().replace(/^\$\s*/, "").replace(/\s+/g, "");
  if (t.startsWith("-") || t.startsWith("−")) return { ok: false, message: `${label} cannot be negative.` };
  const m = AMOUNT.exec(t);
  const whole = m ? (m[1] ?? m[2] ?? "").replace(/,/g, "") : "";
  const frac = m?.[3] ?? "";
  if (!m || (whole === "" && frac === "")) {
    return { ok: false, message: `${label} must be an amount in dollars with at most two decimals, such as 1,234.56.` };
  }
  const cents = BigInt(whole || "0") * 100n + BigInt(frac.padEnd(2, "0") || "0");
  if (cents > MAX_CENTS) return { ok: false, message: `${label} must be at most ${formatCents(MAX_CENTS)}.` };
  return { ok: true, value: Number(cents) };
}

const HOURS = /^(\d{1,6})(?:\.(\d{1,2}))?$/;

/** parseHours reads hours as typed ("12.5") into hundredths of an hour, exactly, and the text the API takes. */
export function parseHours(text: string): Parsed<{ hundredths: bigint; api: string }> {
  const t = text.trim();
  const m = HOURS.exec(t);
  if (!m) return { ok: false, message: "Hours must be a number with at most two decimals, such as 12.5." };
  const hundredths = BigInt(m[1] ?? "0") * 100n + BigInt((m[2] ?? "").padEnd(2, "0"));
  if (hundredths > MAX_HUNDREDTHS) return { ok: false, message: "Hours must be at most 100,000." };
  return { ok: true, value: { hundredths, api: t } };
}

/**
 * timeValue is what remediation time comes to, as the server computes it: hours × hourly rate, rounded half-up
 * to the cent. hundredths × cents is in hundredths of a cent: add half a cent, then divide by 100.
 */
export function timeValue(hundredths: bigint, rateCents: bigint): bigint {
  return (hundredths * rateCents + 50n) / 100n;
}

/** formatHours shows hours from the API ("12.50") without trailing zeros: "12.5". */
export function formatHours(hours: string): string {
  return hours.includes(".") ? hours.replace(/0+$/, "").replace(/\.$/, "") : hours;
}

/** formatBytes shows a file size in the units people read: "1.2 MB", "834 bytes". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? "byte" : "bytes"}`;
  const units = ["KB", "MB", "GB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
