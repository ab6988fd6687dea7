import createClient, { type Middleware } from "openapi-fetch";
import { navigate } from "../router";
import { requestReauthentication } from "../reauth";
import { SIGN_IN_PATH, csrfToken, setCsrfToken, setMfaEnrollmentRequired, setSignedOut, signInHref } from "../session";
import type { components, paths } from "./schema";

/** client is openapi-fetch's typed client, with the session middleware; pages use `api`, which wraps it. */
const client = createClient<paths>({ baseUrl: "" });

// A 401 from these means "not signed in" or "wrong password" (or code), which their callers handle themselves;
// from anything else it means the session has ended under the page. Logout's own 401 (already signed out)
// is handled by the sign-out button, which goes to the signed-out page whatever the answer.
const OWN_401 = new Set([
  "/api/v1/auth/login",
  "/api/v1/auth/me",
  "/api/v1/auth/logout",
  "/api/v1/auth/reauthenticate",
  "/api/v1/auth/password-reset",
]);

/** PROBLEM_TYPES is where the server's problem types live; `type` is this plus a slug. */
const PROBLEM_TYPES = "https://impactledger.org/problems/";

/** isProblemType tells whether a problem document is of the server's type named by slug. */
export const isProblemType = (problem: unknown, slug: string): boolean =>
  !!problem && typeof problem === "object" && "type" in problem && problem.type === PROBLEM_TYPES + slug;

/** problemOf reads a response's problem document without consuming it, or null when it has none. */
async function problemOf(response: Response): Promise<unknown> {
  try {
    return await response.clone().json();
  } catch {
    return null;
  }
}

/**
 * session sends the CSRF token on every unsafe request, and watches what answers say about the session: a
 * 403 saying that two-factor sign-in must be set up first (the office began requiring it during this
 * session) marks the session so, and the app takes the user to set it up; a 401 from anything but the calls
 * that handle their own means the session has ended, and the user goes to the sign-in page, with the way
 * back. A 401 asking for a recent re-authentication is not an ended session: `api` answers it.
 */
const session: Middleware = {
  onRequest({ request }) {
    const token = csrfToken();
    if (token && request.method !== "GET" && request.method !== "HEAD") {
      request.headers.set("X-CSRF-Token", token);
    }
    return request;
  },
  async onResponse({ response, schemaPath }) {
    if (response.status === 403) {
      if (isProblemType(await problemOf(response), "mfa-enrollment-required")) setMfaEnrollmentRequired();
      return undefined;
    }
    if (response.status !== 401 || OWN_401.has(schemaPath)) return undefined;
    if (isProblemType(await problemOf(response), "reauthentication-required")) return undefined;
    const { pathname, search } = window.location;
    setSignedOut();
    // Several requests may fail at once; the first one decides where to come back to.
    if (pathname !== SIGN_IN_PATH) navigate(signInHref(pathname + search, true), { replace: true });
    return undefined;
  },
};
client.use(session);

/** What every call of the client answers. */
type Answer = { data?: unknown; error?: unknown; response: Response };

/**
 * freshCsrfToken reads the session's CSRF token again and takes it up, and tells whether it had changed: the
 * session got a new token in another tab (a re-authentication, a password change), which shares the cookie
 * but not this tab's memory.
 */
async function freshCsrfToken(): Promise<boolean> {
  try {
    const { data } = await client.GET("/api/v1/auth/me");
    if (!data || data.csrf_token === csrfToken()) return false;
    setCsrfToken(data.csrf_token);
    return true;
  } catch {
    return false;
  }
}

/**
 * reauthenticating wraps one of the client's methods: when the server answers that the action needs a recent
 * re-authentication, it asks for the password in the app's dialog and makes the same call again, so that the
 * page that made it simply gets the answer it wanted. When the person cancels, the page gets the refusal,
 * reworded to say that nothing was done, and shows it as it shows any failure. A CSRF refusal because the
 * session's token was renewed in another tab is repeated once with the session's new CSRF token.
 */
function reauthenticating<F>(call: F): F {
  const f = call as unknown as (...args: unknown[]) => Promise<Answer>;
  const wrapped = async (...args: unknown[]): Promise<Answer> => {
    let first = await f(...args);
    if (first.response.status === 403 && isProblemType(first.error, "csrf") && (await freshCsrfToken())) {
      first = await f(...args);
    }
    if (first.response.status !== 401 || !isProblemType(first.error, "reauthentication-required")) return first;
    if (!(await requestReauthentication())) {
      const refused = first.error as Record<string, unknown>;
      return {
        ...first,
        error: {
          ...refused,
          title: "Not done: your password was not confirmed",
          detail: "This action needs your password again. Nothing was changed. Try again when you are ready.",
        },
      };
    }
    return f(...args);
  };
  return wrapped as unknown as F;
}

/**
 * The typed API client. Same origin: the Go server serves both the UI and /api. Every call that meets a
 * request for re-authentication asks for it once, here, and carries on.
 */
export const api: typeof client = {
  ...client,
  GET: reauthenticating(client.GET),
  PUT: reauthenticating(client.PUT),
  POST: reauthenticating(client.POST),
  DELETE: reauthenticating(client.DELETE),
  PATCH: reauthenticating(client.PATCH),
};

export type Case = components["schemas"]["Case"];
export type CaseCreate = components["schemas"]["CaseCreate"];
export type CaseUpdate = components["schemas"]["CaseUpdate"];
export type CaseStatus = components["schemas"]["CaseStatus"];
export type Jurisdiction = components["schemas"]["Jurisdiction"];
export type Problem = components["schemas"]["Problem"];
export type User = components["schemas"]["User"];
export type Role = components["schemas"]["Role"];
export type UserCreate = components["schemas"]["UserCreate"];
export type UserUpdate = components["schemas"]["UserUpdate"];
export type Token = components["schemas"]["Token"];
export type NewToken = components["schemas"]["NewToken"];
export type TokenScope = components["schemas"]["TokenScope"];
export type PasswordResetCode = components["schemas"]["PasswordResetCode"];
export type AuditEvent = components["schemas"]["AuditEvent"];
export type TeamMember = components["schemas"]["TeamMember"];
export type MfaEnrollment = components["schemas"]["MfaEnrollment"];
export type Victim = components["schemas"]["Victim"];
export type VictimImport = components["schemas"]["VictimImport"];
export type VictimImportSummary = components["schemas"]["VictimImportSummary"];
export type ImportError = components["schemas"]["ImportError"];
export type VictimCreate = components["schemas"]["VictimCreate"];
export type VictimUpdate = components["schemas"]["VictimUpdate"];
export type VictimKind = components["schemas"]["VictimKind"];
export type VictimStatus = components["schemas"]["VictimStatus"];
export type WantsToBeHeard = components["schemas"]["WantsToBeHeard"];
export type NotificationChannel = components["schemas"]["NotificationChannel"];
export type MailingAddress = components["schemas"]["MailingAddress"];
export type MailingAddressInput = components["schemas"]["MailingAddressInput"];
export type Defendant = components["schemas"]["Defendant"];
export type DefendantCreate = components["schemas"]["DefendantCreate"];
export type DefendantUpdate = components["schemas"]["DefendantUpdate"];
export type Charge = components["schemas"]["Charge"];
export type ChargeInput = components["schemas"]["ChargeInput"];
export type Disposition = components["schemas"]["Disposition"];
export type Hearing = components["schemas"]["Hearing"];
export type HearingCreate = components["schemas"]["HearingCreate"];
export type HearingUpdate = components["schemas"]["HearingUpdate"];
export type HearingKind = components["schemas"]["HearingKind"];
export type HearingStatus = components["schemas"]["HearingStatus"];
export type Statement = components["schemas"]["Statement"];
export type StatementUpdate = components["schemas"]["StatementUpdate"];
export type StatementRevision = components["schemas"]["StatementRevision"];
export type StatementSections = components["schemas"]["StatementSections"];
export type StatementStatus = components["schemas"]["StatementStatus"];
export type StatementDelivery = components["schemas"]["StatementDelivery"];
export type Loss = components["schemas"]["Loss"];
export type LossCreate = components["schemas"]["LossCreate"];
export type LossUpdate = components["schemas"]["LossUpdate"];
export type LossCategory = components["schemas"]["LossCategory"];
export type LossStatus = components["schemas"]["LossStatus"];
export type LossSummary = components["schemas"]["LossSummary"];
export type LossTotals = components["schemas"]["LossTotals"];
export type LossDocument = components["schemas"]["Document"];
export type InterestMode = components["schemas"]["InterestMode"];
export type OrderTerms = components["schemas"]["OrderTerms"];
export type RestitutionTotals = components["schemas"]["RestitutionTotals"];
export type RestitutionLine = components["schemas"]["RestitutionLine"];
export type RestitutionOrder = components["schemas"]["RestitutionOrder"];
export type RestitutionOrderCreate = components["schemas"]["RestitutionOrderCreate"];
export type RestitutionOrderSummary = components["schemas"]["RestitutionOrderSummary"];
export type RestitutionRequest = components["schemas"]["RestitutionRequest"];
export type RestitutionRequestLine = components["schemas"]["RestitutionRequestLine"];
export type CaseRestitution = components["schemas"]["CaseRestitution"];
export type ClassTotals = components["schemas"]["ClassTotals"];
export type TimelinePoint = components["schemas"]["TimelinePoint"];
export type VictimRestitution = components["schemas"]["VictimRestitution"];
export type PaymentMethod = components["schemas"]["PaymentMethod"];
export type DisbursementMethod = components["schemas"]["DisbursementMethod"];
export type PaymentCreate = components["schemas"]["PaymentCreate"];
export type PaymentPreview = components["schemas"]["PaymentPreview"];
export type Payment = components["schemas"]["Payment"];
export type Allocation = components["schemas"]["Allocation"];
export type LedgerEntry = components["schemas"]["LedgerEntry"];
export type LedgerEntryKind = components["schemas"]["LedgerEntryKind"];

/**
 * toProblem turns whatever came back from a failed call (a problem document, a proxy's HTML page,
 * a network error) into a Problem, so that every page shows errors the same way.
 */
export function toProblem(error: unknown, response?: Response): Problem {
  if (error && typeof error === "object" && "title" in error && "status" in error) {
    return error as Problem;
  }
  if (response) {
    return {
      type: "about:blank",
      title: response.statusText || "The server could not answer",
      status: response.status,
      detail: `The server answered with status ${response.status}. Try again in a moment.`,
      request_id: response.headers.get("X-Request-ID") ?? "",
    };
  }
  return {
    type: "about:blank",
    title: "Cannot reach the server",
    status: 0,
    detail: "Check your connection and try again.",
    request_id: "",
  };
}

/** isAbort tells a request cancelled on purpose (the user typed again, or left the page) from a failure. */
export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === "AbortError";
}
