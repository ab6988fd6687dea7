import type { LossCategory, LossDocument, LossStatus, Problem, Role } from "./api/client";
import type { Choice } from "./intake";
import { sendWithProgress } from "./upload";

/** Loss categories in the contract's order, with the words people use for them. */
export const LOSS_CATEGORIES: ReadonlyArray<Choice<LossCategory>> = [
  { value: "fraudulent_charges", label: "Fraudulent charges" },
  { value: "lost_wages", label: "Lost wages" },
  { value: "credit_monitoring", label: "Credit monitoring" },
  { value: "remediation_time", label: "Time spent on remediation" },
  { value: "legal_fees", label: "Legal fees" },
  { value: "counseling", label: "Counseling" },
  { value: "travel_and_court_costs", label: "Travel and court costs" },
  { value: "postage_and_notary", label: "Postage and notary" },
  { value: "property_or_equipment", label: "Property or equipment" },
  { value: "investigation_and_response", label: "Investigation and response" },
  { value: "future_expense", label: "Future expense" },
  { value: "other", label: "Other" },
];

export const LOSS_STATUSES: ReadonlyArray<Choice<LossStatus>> = [
  { value: "claimed", label: "Claimed" },
  { value: "verified", label: "Verified" },
  { value: "disputed", label: "Disputed" },
  { value: "excluded", label: "Excluded" },
  { value: "ordered", label: "Ordered" },
];

const labelOf = <T extends string>(choices: ReadonlyArray<Choice<T>>, value: string): string =>
  choices.find((c) => c.value === value)?.label ?? value;

export const lossCategoryLabel = (v: string) => labelOf(LOSS_CATEGORIES, v);
export const lossStatusLabel = (v: string) => labelOf(LOSS_STATUSES, v);
export const isLossCategory = (v: unknown): v is LossCategory => LOSS_CATEGORIES.some((c) => c.value === v);

/** A status move someone can make, with the button's words. */
export interface Move {
  to: LossStatus;
  label: string;
}

/**
 * MOVES are the status moves the server allows from each status (the contract's updateLoss): claimed → verified,
 * disputed or excluded; disputed → verified or excluded; verified → ordered. Excluded and ordered are final.
 */
export const MOVES: Record<LossStatus, ReadonlyArray<Move>> = {
  claimed: [
    { to: "verified", label: "Verify" },
    { to: "disputed", label: "Dispute" },
    { to: "excluded", label: "Exclude" },
  ],
  disputed: [
    { to: "verified", label: "Verify" },
    { to: "excluded", label: "Exclude" },
  ],
  verified: [{ to: "ordered", label: "Mark ordered" }],
  excluded: [],
  ordered: [],
};

/** Who may record and change losses and documents: the contract's x-roles for createLoss and updateLoss. */
export const canWriteLosses = (role: Role | undefined): boolean =>
  role === "admin" || role === "supervisor" || role === "advocate";

/** Who may read losses: writers and prosecutors. Clerks never receive them. */
export const canReadLosses = (role: Role | undefined): boolean => canWriteLosses(role) || role === "prosecutor";

/** documentContentHref downloads a document's file (as an attachment, under its stored name). */
export const documentContentHref = (id: string) => `/api/v1/documents/${encodeURIComponent(id)}/content`;

/** The file types the server accepts (it decides by content; this only steers the file picker). */
export const DOCUMENT_ACCEPT = ".pdf,.png,.jpg,.jpeg,.txt,application/pdf,image/png,image/jpeg,text/plain";

/** MAX_DOCUMENT_BYTES is the largest document the server takes: 25 MiB. */
export const MAX_DOCUMENT_BYTES = 25 * 1024 * 1024;

export const mediaTypeLabel = (t: string): string =>
  ({ "application/pdf": "PDF", "image/png": "PNG image", "image/jpeg": "JPEG image", "text/plain": "Plain text" })[t] ?? t;

export type UploadResult = { ok: true; document: LossDocument } | { ok: false; problem: Problem };

/**
 * uploadDocument sends one file to a loss as multipart/form-data, reporting progress (0 to 1) as the bytes go.
 * The server's refusals (415 for a type it does not take, 413 for a file over 25 MiB) come back as their
 * problem documents.
 */
export async function uploadDocument(
  lossId: string,
  file: File,
  onProgress: (fraction: number) => void,
  signal?: AbortSignal,
): Promise<UploadResult> {
  const form = new FormData();
  form.append("file", file, file.name);
  const sent = await sendWithProgress<LossDocument>(`/api/v1/losses/${encodeURIComponent(lossId)}/documents`, form, {
    okStatus: 201,
    onProgress,
    signal,
    cancelled: "Nothing was stored.",
  });
  return sent.ok ? { ok: true, document: sent.body } : sent;
}

/** shortHash shows the start and end of a SHA-256, enough to compare by eye: "3a7bd3e2…9f1c". */
export const shortHash = (hex: string): string => (hex.length > 16 ? `${hex.slice(0, 8)}…${hex.slice(-4)}` : hex);
