import type { Failure } from "./components/FormErrors";

/** minutesToWait reads Retry-After (seconds, or an HTTP date) as whole minutes, rounded up, at least 1. */
export function minutesToWait(retryAfter: string | null): number | null {
  if (!retryAfter) return null;
  let seconds = Number(retryAfter.trim());
  if (!Number.isFinite(seconds)) {
    const at = Date.parse(retryAfter);
    if (Number.isNaN(at)) return null;
    seconds = (at - Date.now()) / 1000;
  }
  return Math.max(1, Math.ceil(seconds / 60));
}

/**
 * tooManyTries is what a form shows when the server held this address off after too many failures (429):
 * how long to wait, from Retry-After. `what` names the tries, such as "failed sign-ins".
 */
export function tooManyTries(response: Response, what = "tries"): Failure {
  const minutes = minutesToWait(response.headers.get("Retry-After"));
  const when = minutes === null ? "later" : `in ${minutes} ${minutes === 1 ? "minute" : "minutes"}`;
  return { title: `Too many ${what} from this computer. Try again ${when}.`, fields: {}, other: [] };
}
