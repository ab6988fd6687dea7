import type { Problem, VictimImport, VictimImportSummary } from "./api/client";
import { caseHref } from "./pages/case/tabs";
import { sendWithProgress } from "./upload";

export type { VictimImport, VictimImportSummary };

/** MAX_IMPORT_BYTES is the largest list the server takes: 64 MiB. */
export const MAX_IMPORT_BYTES = 64 * 1024 * 1024;

/** canImportVictims tells whether a role may import victim lists: those who may add victims. */
export const canImportVictims = (role: string | undefined): boolean =>
  role === "admin" || role === "supervisor" || role === "advocate";

/** importHref is where a case's lists are imported; with an import's ID, where that import is followed. */
export const importHref = (caseId: string, importId?: string): string =>
  `${caseHref(caseId, "victims")}/import${importId ? `/${encodeURIComponent(importId)}` : ""}`;

/** errorReportHref downloads an import's every error as CSV. */
export const errorReportHref = (importId: string): string =>
  `/api/v1/victim-imports/${encodeURIComponent(importId)}/errors.csv`;

/** finished tells whether an import has ended, for good or not. */
export const finished = (imp: VictimImportSummary): boolean => imp.status === "succeeded" || imp.status === "failed";

/** IMPORT_COLUMNS describes the columns of a victim list, in the order of the template. */
export const IMPORT_COLUMNS: { name: string; required?: boolean; what: string; example: string }[] = [
  { name: "kind", required: true, what: "individual, business, government, insurer or compensation_fund", example: "individual" },
  { name: "name", required: true, what: "up to 200 characters", example: "Jane Roe" },
  { name: "email", what: "an email address", example: "jane.roe@example.com" },
  { name: "phone", what: "ten digits for a US number, or + and the country code", example: "970-555-0123" },
  { name: "address_line1", what: "the mailing address: line 1, city, state and ZIP code together", example: "12 Orchard Lane" },
  { name: "address_line2", what: "apartment, suite", example: "" },
  { name: "city", what: "", example: "Grand Junction" },
  { name: "state", what: "the two-letter code, such as CO", example: "CO" },
  { name: "postal_code", what: "a ZIP code, such as 81501", example: "81501" },
  { name: "date_of_birth", what: "YYYY-MM-DD", example: "1961-07-14" },
  { name: "ssn", what: "123-45-6789 or 123456789", example: "078-05-1120" },
  { name: "preferred_language", what: "a language code such as en or es; en when empty", example: "en" },
  { name: "is_minor", what: "yes or no; no when empty", example: "no" },
  { name: "loss_category", what: "one loss per row: a category such as fraudulent_charges", example: "fraudulent_charges" },
  { name: "loss_description", what: "what the loss was", example: "Card ending 4417 charged twice" },
  { name: "loss_amount", what: "dollars, such as 1,234.56 (at most two decimals)", example: "1,234.56" },
];

const csvCell = (s: string): string => (/[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);

/** templateCsv is a list with every column and one example row, to fill in. */
export function templateCsv(): string {
  return [IMPORT_COLUMNS.map((c) => c.name), IMPORT_COLUMNS.map((c) => c.example)].map((row) => row.map(csvCell).join(",")).join("\r\n") + "\r\n";
}

/** newIdempotencyKey names one upload, so that sending it again cannot import it twice. */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export type StartResult = { ok: true; import: VictimImport } | { ok: false; problem: Problem };

/**
 * uploadVictimList sends a CSV list to a case, reporting progress (0 to 1) as the bytes go. The same key with
 * the same file answers the same import, so that sending it again cannot import it twice.
 */
export async function uploadVictimList(
  caseId: string,
  file: File,
  key: string,
  onProgress: (fraction: number) => void,
  signal?: AbortSignal,
): Promise<StartResult> {
  const sent = await sendWithProgress<VictimImport>(`/api/v1/cases/${encodeURIComponent(caseId)}/victim-imports`, file, {
    okStatus: 202,
    // Whatever the browser calls a .csv file (Excel on Windows makes it application/vnd.ms-excel).
    headers: { "Content-Type": "text/csv", "Idempotency-Key": key },
    onProgress,
    signal,
    cancelled: "Nothing was imported.",
  });
  return sent.ok ? { ok: true, import: sent.body } : sent;
}

/** importStage words where an import stands, for its progress bar's label. */
export function importStage(imp: VictimImportSummary): string {
  switch (imp.status) {
    case "validating":
      return "Step 1 of 2: checking every row";
    case "importing":
      return "Step 2 of 2: importing";
    case "succeeded":
      return "Imported";
    default:
      return "Nothing imported";
  }
}

/** STATUS_LABELS are the short words for an import's status in a list. */
const STATUS_LABELS: Record<VictimImportSummary["status"], string> = {
  validating: "Checking",
  importing: "Importing",
  succeeded: "Imported",
  failed: "Failed",
};

/** importStatusLabel is the short word for an import's status in a list. */
export const importStatusLabel = (imp: VictimImportSummary): string => STATUS_LABELS[imp.status];

/** failureText explains a failed import that was not its file's fault. */
export function failureText(imp: VictimImportSummary): string | null {
  switch (imp.failure) {
    case "server_error":
      return "The server could not finish this import, even after trying again. Nothing was imported. Upload the file again; if it keeps failing, tell your administrator the import’s reference.";
    case "stopped":
      return "This import was started from the command line and stopped before it finished. Nothing was imported.";
    default:
      return null;
  }
}
