import type {
  Disposition,
  HearingKind,
  HearingStatus,
  NotificationChannel,
  Role,
  VictimKind,
  VictimStatus,
  WantsToBeHeard,
} from "./api/client";

/** An enum value with the words people use for it. */
export interface Choice<T extends string> {
  value: T;
  label: string;
}

const labelOf = <T extends string>(choices: ReadonlyArray<Choice<T>>, value: string): string =>
  choices.find((c) => c.value === value)?.label ?? value;

const isOneOf = <T extends string>(choices: ReadonlyArray<Choice<T>>, value: string | null): value is T =>
  choices.some((c) => c.value === value);

/** Victim kinds in payment-priority order: individuals and businesses, then insurers and funds, then governments. */
export const VICTIM_KINDS: ReadonlyArray<Choice<VictimKind>> = [
  { value: "individual", label: "Individual" },
  { value: "business", label: "Business" },
  { value: "insurer", label: "Insurer" },
  { value: "compensation_fund", label: "Compensation fund" },
  { value: "government", label: "Government" },
];

export const VICTIM_STATUSES: ReadonlyArray<Choice<VictimStatus>> = [
  { value: "active", label: "Active" },
  { value: "declined", label: "Declined to take part" },
  { value: "unreachable", label: "Unreachable" },
];

export const HEARD_BY: ReadonlyArray<Choice<WantsToBeHeard>> = [
  { value: "none", label: "Not at this time" },
  { value: "written", label: "In writing" },
  { value: "oral", label: "In person (orally)" },
  { value: "both", label: "In writing and in person" },
];

export const CHANNELS: ReadonlyArray<Choice<NotificationChannel>> = [
  { value: "email", label: "Email" },
  { value: "sms", label: "Text message" },
  { value: "phone", label: "Phone call" },
  { value: "mail", label: "Letter" },
];

export const DISPOSITIONS: ReadonlyArray<Choice<Disposition>> = [
  { value: "pending", label: "Pending" },
  { value: "convicted", label: "Convicted" },
  { value: "pleaded", label: "Pleaded" },
  { value: "acquitted", label: "Acquitted" },
  { value: "dismissed", label: "Dismissed" },
];

export const HEARING_KINDS: ReadonlyArray<Choice<HearingKind>> = [
  { value: "arraignment", label: "Arraignment" },
  { value: "plea", label: "Plea" },
  { value: "trial", label: "Trial" },
  { value: "sentencing", label: "Sentencing" },
  { value: "restitution", label: "Restitution" },
  { value: "other", label: "Other" },
];

export const HEARING_STATUSES: ReadonlyArray<Choice<HearingStatus>> = [
  { value: "scheduled", label: "Scheduled" },
  { value: "held", label: "Held" },
  { value: "continued", label: "Continued" },
  { value: "cancelled", label: "Cancelled" },
];

/** Languages offered first; any other language tag may be typed. */
export const LANGUAGES: ReadonlyArray<Choice<string>> = [
  { value: "en", label: "English" },
  { value: "es", label: "Spanish" },
];

export const victimKindLabel = (v: string) => labelOf(VICTIM_KINDS, v);
export const victimStatusLabel = (v: string) => labelOf(VICTIM_STATUSES, v);
export const heardByLabel = (v: string) => labelOf(HEARD_BY, v);
export const channelLabel = (v: string) => labelOf(CHANNELS, v);
export const dispositionLabel = (v: string) => labelOf(DISPOSITIONS, v);
export const hearingKindLabel = (v: string) => labelOf(HEARING_KINDS, v);
export const hearingStatusLabel = (v: string) => labelOf(HEARING_STATUSES, v);
export const languageLabel = (v: string) => labelOf(LANGUAGES, v);

export const isVictimKind = (v: string | null): v is VictimKind => isOneOf(VICTIM_KINDS, v);
export const isVictimStatus = (v: string | null): v is VictimStatus => isOneOf(VICTIM_STATUSES, v);

/** Who may add and change victims (and reveal an SSN): the contract's x-roles for createVictim. */
export const canEditVictims = (role: Role | undefined): boolean =>
  role === "admin" || role === "supervisor" || role === "advocate";

/** Who may add and change defendants and hearings: the contract's x-roles for createDefendant and createHearing. */
export const canEditCourtRecord = (role: Role | undefined): boolean => canEditVictims(role) || role === "prosecutor";

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/**
 * localInputToUtc turns a datetime-local value ("2024-10-03T15:00"), which is wall-clock time where the
 * browser is, into an RFC 3339 timestamp in UTC ("2024-10-03T21:00:00Z"); "" or nonsense gives null.
 */
export function localInputToUtc(value: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
  // The Date constructor with parts reads them as local time, daylight saving included.
  const t = new Date(y, mo - 1, d, h, mi, s);
  if (Number.isNaN(t.getTime()) || t.getFullYear() !== y || t.getMonth() !== mo - 1 || t.getDate() !== d) return null;
  return t.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** utcToLocalInput is the reverse: an RFC 3339 timestamp as a datetime-local value in the browser's time zone. */
export function utcToLocalInput(timestamp: string): string {
  const t = new Date(timestamp);
  if (Number.isNaN(t.getTime())) return "";
  const base = `${pad(t.getFullYear(), 4)}-${pad(t.getMonth() + 1)}-${pad(t.getDate())}T${pad(t.getHours())}:${pad(t.getMinutes())}`;
  return t.getSeconds() ? `${base}:${pad(t.getSeconds())}` : base;
}

/** localTimeZone names the browser's time zone, such as "America/Denver", for hints beside time inputs. */
export function localTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "your local time zone";
  } catch {
    return "your local time zone";
  }
}

const hearingTime = new Intl.DateTimeFormat("en-US", {
  weekday: "short",
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "numeric",
  minute: "2-digit",
  timeZoneName: "short",
});

/** formatHearingTime shows when a hearing starts in the viewer's time, naming the zone. */
export function formatHearingTime(timestamp: string): string {
  const t = new Date(timestamp);
  return Number.isNaN(t.getTime()) ? timestamp : hearingTime.format(t);
}

/** etagOf reads a response's ETag, which PATCH sends back in If-Match. */
export const etagOf = (response: Response): string | null => response.headers.get("ETag");
