/**
 * Drafts keep what someone has typed into a long form in this tab's sessionStorage, so that a reload, a crash
 * or an expired session loses nothing. They never hold an SSN or a date of birth: callers strip those before
 * saving, and saveDraft refuses keys that name them as a second line of defence. Drafts end with the tab, and
 * signing out drops them all.
 */

const PREFIX = "impactledger.draft.";

/** Keys that must never reach browser storage, whatever a caller passes. */
const FORBIDDEN = /ssn|birth|dob/i;

const storage = (): Storage | null => {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage disabled: the form still works, only without a draft
  }
};

/** draftKey names one form's draft for one user, so that another person signing in here never sees it. */
export const draftKey = (form: string, userId: string, scope: string): string => `${PREFIX}${form}.${userId}.${scope}`;

/** loadDraft reads a draft saved under key, or null when there is none (or it is unreadable). */
export function loadDraft<T extends object>(key: string): Partial<T> | null {
  const raw = storage()?.getItem(key);
  if (!raw) return null;
  try {
    const value: unknown = JSON.parse(raw);
    return value && typeof value === "object" ? (value as Partial<T>) : null;
  } catch {
    return null;
  }
}

/** saveDraft stores values under key, leaving out anything whose name looks like an SSN or a birth date. */
export function saveDraft(key: string, values: object): void {
  const safe: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) if (!FORBIDDEN.test(name)) safe[name] = value;
  try {
    storage()?.setItem(key, JSON.stringify(safe));
  } catch {
    // Storage full or disabled: keep going without a draft.
  }
}

export function clearDraft(key: string): void {
  storage()?.removeItem(key);
}

/**
 * How many times this tab has forgotten its drafts. A form that saves its draft when it closes compares this with
 * the count when it opened: after a sign-out (which closes every form) it must not write the draft back.
 */
let forgotten = 0;

/** draftEpoch is the number of sign-outs in this tab so far; see forgetDrafts. */
export const draftEpoch = (): number => forgotten;

/** forgetDrafts drops every draft in this tab, at sign-out. */
export function forgetDrafts(): void {
  forgotten++;
  const s = storage();
  if (!s) return;
  const keys: string[] = [];
  for (let i = 0; i < s.length; i++) {
    const k = s.key(i);
    if (k?.startsWith(PREFIX)) keys.push(k);
  }
  keys.forEach((k) => s.removeItem(k));
}
