import { useEffect, useState } from "preact/hooks";
import type { Problem, Role, User } from "./api/client";

/**
 * The sign-in state of this tab. The session itself lives in an HttpOnly cookie the page cannot read; what the
 * page keeps is who is signed in and the CSRF token that every unsafe request must carry.
 */
export type SessionState =
  | { status: "loading" }
  /**
   * mfaEnrollmentRequired: the office requires two-factor sign-in and this account has none yet, so the
   * server answers nothing but the set-up calls until it is done.
   */
  | { status: "signed-in"; user: User; csrfToken: string; mfaEnrollmentRequired: boolean }
  | { status: "signed-out" }
  /** The server could not say whether anyone is signed in (network error, 5xx). */
  | { status: "error"; problem: Problem };

let state: SessionState = { status: "loading" };
const listeners = new Set<() => void>();

function set(next: SessionState): void {
  state = next;
  listeners.forEach((l) => l());
}

export const getSession = (): SessionState => state;

/** csrfToken is the token to send as X-CSRF-Token, or null when nobody is signed in. */
export const csrfToken = (): string | null => (state.status === "signed-in" ? state.csrfToken : null);

export const setSignedIn = (info: { user: User; csrf_token: string; mfa_enrollment_required: boolean }): void =>
  set({
    status: "signed-in",
    user: info.user,
    csrfToken: info.csrf_token,
    mfaEnrollmentRequired: info.mfa_enrollment_required,
  });

/**
 * setCsrfToken takes up the CSRF token of the session's new token. The server gives the session a new token
 * whenever it proves something new (a re-authentication, a password change, two-factor set-up), so that a
 * copied cookie is not raised with it; the old CSRF token stops working at the same moment.
 */
export function setCsrfToken(token: string): void {
  if (state.status !== "signed-in" || state.csrfToken === token) return;
  set({ ...state, csrfToken: token });
}

/** setMfaEnrolled records that the signed-in account has just turned two-factor sign-in on. */
export function setMfaEnrolled(): void {
  if (state.status !== "signed-in") return;
  set({ ...state, user: { ...state.user, mfa_enabled: true }, mfaEnrollmentRequired: false });
}

/**
 * setMfaEnrollmentRequired records that the server refused a call until two-factor sign-in is set up, for a
 * session that began before the office required it.
 */
export function setMfaEnrollmentRequired(): void {
  if (state.status !== "signed-in" || state.mfaEnrollmentRequired) return;
  set({ ...state, mfaEnrollmentRequired: true });
}

export const setSignedOut = (): void => set({ status: "signed-out" });

export const setSessionLoading = (): void => set({ status: "loading" });

export const setSessionError = (problem: Problem): void => set({ status: "error", problem });

/** useSession re-renders the calling component whenever the sign-in state changes. */
export function useSession(): SessionState {
  const [s, setS] = useState(state);
  useEffect(() => {
    const update = () => setS(state);
    listeners.add(update);
    update(); // the state may have changed between the first render and this effect
    return () => {
      listeners.delete(update);
    };
  }, []);
  return s;
}

/** useCurrentUser is the signed-in user, or null; pages behind the sign-in check can count on a user. */
export function useCurrentUser(): User | null {
  const s = useSession();
  return s.status === "signed-in" ? s.user : null;
}

export const SIGN_IN_PATH = "/sign-in";

/** RESET_PASSWORD_PATH is where people set a new password with a reset code; it needs no session. */
export const RESET_PASSWORD_PATH = "/reset-password";

/** TWO_FACTOR_PATH is where people set up two-factor sign-in, and where the app keeps them until they have. */
export const TWO_FACTOR_PATH = "/account/two-factor";

/** twoFactorHref is the set-up page that returns to `next` (a path with its query) once it is done. */
export function twoFactorHref(next: string): string {
  if (next === "/" || next.startsWith(TWO_FACTOR_PATH)) return TWO_FACTOR_PATH;
  return `${TWO_FACTOR_PATH}?${new URLSearchParams({ next }).toString()}`;
}

/** signInHref is the sign-in page that returns to `next` (a path with its query) afterwards. */
export function signInHref(next: string, expired = false): string {
  const params = new URLSearchParams({ next });
  if (expired) params.set("expired", "1");
  return `${SIGN_IN_PATH}?${params.toString()}`;
}

/**
 * safeNext returns where to go after signing in: `next` when it is a path on this site (never another
 * origin, never the sign-in page itself), else "/".
 */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith(SIGN_IN_PATH)) return "/";
  let url: URL;
  try {
    // The URL parser also catches what the prefix checks miss, such as "/\evil.example" or an embedded tab.
    url = new URL(next, window.location.origin);
  } catch {
    return "/";
  }
  if (url.origin !== window.location.origin || url.pathname.startsWith(SIGN_IN_PATH)) return "/";
  return url.pathname + url.search + url.hash;
}

const ROLE_LABELS: Record<Role, string> = {
  admin: "Administrator",
  supervisor: "Supervisor",
  advocate: "Advocate",
  prosecutor: "Prosecutor",
  clerk: "Clerk",
};

/** Every role, most powerful first, for pickers. */
export const ROLES: ReadonlyArray<Role> = ["admin", "supervisor", "advocate", "prosecutor", "clerk"];

export const roleLabel = (role: Role): string => ROLE_LABELS[role] ?? role;
