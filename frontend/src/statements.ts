import type { Role, Statement, StatementDelivery, StatementRevision, StatementStatus } from "./api/client";
import type { Choice } from "./intake";

/** MAX_CHARS is the most characters each section (and the restitution request) may hold, as the server counts. */
export const MAX_CHARS = 50_000;

/** NEAR_CHARS is where the counter starts to warn that a section is nearing its limit. */
export const NEAR_CHARS = 45_000;

/**
 * countChars counts text as the server does: in Unicode code points, so that "𠜎" or an emoji is one character
 * and not the two UTF-16 units that `text.length` (and a textarea's maxlength) would count.
 */
export const countChars = (text: string): number => [...text].length;

/** The text fields of a statement as the editor holds them: "" means none. */
export interface StatementText {
  emotional: string;
  physical: string;
  financial: string;
  other: string;
  restitution_request_text: string;
}

/** The editor's whole state: the text, and how and in which language it is to be given. */
export interface StatementValues extends StatementText {
  language: string;
  delivery: StatementDelivery;
}

export type TextField = keyof StatementText;
export type SectionName = Exclude<TextField, "restitution_request_text">;

/** One text field of the editor: its input id, its server field name (for errors), label and plain help. */
export interface TextFieldSpec {
  name: TextField;
  id: string;
  serverName: string;
  label: string;
  help: string;
}

/** The four sections in the order the victim is asked about them, then their own restitution request. */
export const TEXT_FIELDS: ReadonlyArray<TextFieldSpec> = [
  {
    name: "emotional",
    id: "statement-emotional",
    serverName: "sections.emotional",
    label: "Emotional impact",
    help: "How the crime has made the victim feel and how it has changed their daily life: worry, sleep, trust, work, family.",
  },
  {
    name: "physical",
    id: "statement-physical",
    serverName: "sections.physical",
    label: "Physical impact",
    help: "Any effect on the victim’s health or body, such as stress-related illness, injuries or treatment they needed.",
  },
  {
    name: "financial",
    id: "statement-financial",
    serverName: "sections.financial",
    label: "Financial impact",
    help: "In the victim’s words, what the crime has cost them: money lost, time off work, damaged credit. Itemized amounts belong in the losses.",
  },
  {
    name: "other",
    id: "statement-other",
    serverName: "sections.other",
    label: "Anything else",
    help: "Anything else the victim wants the court to know, such as what they hope the sentence will do.",
  },
  {
    name: "restitution_request_text",
    id: "statement-restitution",
    serverName: "restitution_request_text",
    label: "Restitution request",
    help: "What the victim asks to be repaid, and why, in their own words.",
  },
];

export const SECTION_FIELDS = TEXT_FIELDS.filter((f): f is TextFieldSpec & { name: SectionName } => f.name !== "restitution_request_text");

export const STATEMENT_STATUSES: ReadonlyArray<Choice<StatementStatus>> = [
  { value: "draft", label: "Draft" },
  { value: "submitted", label: "Submitted" },
  { value: "final", label: "Final" },
];

export const DELIVERIES: ReadonlyArray<Choice<StatementDelivery>> = [
  { value: "written", label: "In writing" },
  { value: "oral", label: "Read aloud in court" },
  { value: "both", label: "In writing and read aloud" },
];

/** Languages offered in the editor (BCP 47 tags, as the server takes them); a statement in another keeps its own. */
export const STATEMENT_LANGUAGES: ReadonlyArray<Choice<string>> = [
  { value: "en", label: "English" },
  { value: "es", label: "Spanish (español)" },
  { value: "vi", label: "Vietnamese (Tiếng Việt)" },
  { value: "zh-Hans", label: "Chinese, simplified (简体中文)" },
  { value: "zh-Hant", label: "Chinese, traditional (繁體中文)" },
  { value: "tl", label: "Tagalog" },
  { value: "ko", label: "Korean (한국어)" },
  { value: "ar", label: "Arabic (العربية)" },
  { value: "ru", label: "Russian (русский)" },
  { value: "de", label: "German (Deutsch)" },
  { value: "fr", label: "French (français)" },
];

const labelOf = <T extends string>(choices: ReadonlyArray<Choice<T>>, value: string): string =>
  choices.find((c) => c.value === value)?.label ?? value;

export const statementStatusLabel = (v: string) => labelOf(STATEMENT_STATUSES, v);
export const deliveryLabel = (v: string) => labelOf(DELIVERIES, v);
export const statementLanguageLabel = (v: string) => labelOf(STATEMENT_LANGUAGES, v);

/** Who may start and change statements: the contract's x-roles for createStatement and updateStatement. */
export const canWriteStatements = (role: Role | undefined): boolean =>
  role === "admin" || role === "supervisor" || role === "advocate";

/** Who may read statements: writers and prosecutors. Clerks never receive them. */
export const canReadStatements = (role: Role | undefined): boolean => canWriteStatements(role) || role === "prosecutor";

/** statementHref is a statement's editor (or, for those who only read, its page). */
export const statementHref = (id: string) => `/statements/${encodeURIComponent(id)}`;

/** statementHistoryHref is a statement's revision history. */
export const statementHistoryHref = (id: string) => `${statementHref(id)}/history`;

/** valuesOf is what a statement (or one of its revisions) says, as the editor holds it. */
export function valuesOf(s: Statement | StatementRevision): StatementValues {
  return {
    emotional: s.sections.emotional ?? "",
    physical: s.sections.physical ?? "",
    financial: s.sections.financial ?? "",
    other: s.sections.other ?? "",
    restitution_request_text: s.restitution_request_text ?? "",
    language: s.language,
    delivery: s.delivery,
  };
}

/**
 * normalize is text as the server will store it: line breaks as "\n" and no blank space at either end, so that
 * what only the server's clean-up would change does not count as an unsaved change.
 */
export const normalize = (text: string): string => text.replace(/\r\n?/g, "\n").trim();

/** changedFields lists the fields of `now` that differ from `base` once both are normalized. */
export function changedFields(base: StatementValues, now: StatementValues): Array<keyof StatementValues> {
  const out: Array<keyof StatementValues> = [];
  for (const f of TEXT_FIELDS) if (normalize(now[f.name]) !== normalize(base[f.name])) out.push(f.name);
  if (now.language !== base.language) out.push("language");
  if (now.delivery !== base.delivery) out.push("delivery");
  return out;
}

/** isEmpty tells a statement with no text at all. */
export const isEmpty = (v: StatementText): boolean => TEXT_FIELDS.every((f) => !v[f.name].trim());
