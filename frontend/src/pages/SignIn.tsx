import type { TargetedEvent, TargetedSubmitEvent } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, toProblem, type Problem } from "../api/client";
import { setTitle } from "../format";
import { navigate, useLocation } from "../router";
import { safeNext, setSignedIn } from "../session";

type Field = "email" | "password";

const LABELS: Record<Field, string> = { email: "Email address", password: "Password" };

/** What went wrong with the last attempt, as the error summary shows it. */
interface Failure {
  title: string;
  detail?: string;
  /** Messages for single fields, shown beside them and linked from the summary. */
  fields: Partial<Record<Field, string>>;
  /** Other field messages from the server (keys that are not one of the form's fields). */
  other: string[];
  requestId?: string;
}

// Always the same words, whichever of these it was: saying which would tell an attacker what exists.
const WRONG = "The email or password is wrong, or the account is locked or disabled.";

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

function tooMany(retryAfter: string | null): string {
  const minutes = minutesToWait(retryAfter);
  if (minutes === null) return "Too many failed sign-ins from this computer. Try again later.";
  return `Too many failed sign-ins from this computer. Try again in ${minutes} ${minutes === 1 ? "minute" : "minutes"}.`;
}

const isField = (name: string): name is Field => name === "email" || name === "password";

function fromProblem(p: Problem): Failure {
  const fields: Failure["fields"] = {};
  const other: string[] = [];
  for (const [name, message] of Object.entries(p.errors ?? {})) {
    if (!message) continue;
    const text = /^[a-z]/.test(message) ? `${isField(name) ? LABELS[name] : name} ${message}` : message;
    if (isField(name)) fields[name] = text;
    else other.push(text);
  }
  return { title: p.title, detail: p.detail, fields, other, requestId: p.request_id || undefined };
}

export function SignIn() {
  const { search } = useLocation();
  const params = new URLSearchParams(search);
  const next = params.get("next");
  const expired = params.get("expired") === "1";
  const signedOut = params.get("signed_out") === "1";

  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const latest = useRef({ email: "", password: "" });
  const [submitting, setSubmitting] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [notice, setNotice] = useState("");
  const summary = useRef<HTMLDivElement>(null);

  useEffect(() => setTitle("Sign in"), []);

  // Fill the status region after it is on the page, so that screen readers announce the notice.
  useEffect(() => {
    setNotice(
      expired ? "Your session has ended. Sign in again to continue." : signedOut ? "You have signed out." : "",
    );
  }, [expired, signedOut]);

  // Take the user to what went wrong after every failed attempt.
  useEffect(() => {
    if (failure) summary.current?.focus();
  }, [failure]);

  const set = (name: Field) => (e: TargetedEvent<HTMLInputElement>) => {
    latest.current = { ...latest.current, [name]: e.currentTarget.value };
    if (name === "email") setEmail(e.currentTarget.value);
    else setPassword(e.currentTarget.value);
  };

  const submit = async (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (submitting) return;
    const body = { email: latest.current.email.trim(), password: latest.current.password };

    const missing: Failure["fields"] = {};
    if (!body.email) missing.email = "Enter your email address.";
    if (!body.password) missing.password = "Enter your password.";
    if (missing.email || missing.password) {
      setFailure({ title: "Enter your email address and password.", fields: missing, other: [] });
      return;
    }

    setSubmitting(true);
    setNotice(""); // "You have signed out" and the like no longer apply once the user acts
    try {
      const { data, error, response } = await api.POST("/api/v1/auth/login", { body });
      if (data) {
        setSignedIn(data);
        navigate(safeNext(next), { replace: true });
        return;
      }
      if (response.status === 401) {
        setFailure({ title: WRONG, fields: {}, other: [] });
      } else if (response.status === 429) {
        setFailure({ title: tooMany(response.headers.get("Retry-After")), fields: {}, other: [] });
      } else {
        setFailure(fromProblem(toProblem(error, response)));
      }
    } catch (err) {
      setFailure(fromProblem(toProblem(err)));
    }
    setSubmitting(false);
  };

  const focusField = (name: Field) => (e: Event) => {
    e.preventDefault();
    document.getElementById(name)?.focus();
  };

  const fieldErrors = failure?.fields ?? {};
  const errorList = (Object.keys(fieldErrors) as Field[]).filter((name) => fieldErrors[name]);

  const input = (name: Field) => ({
    id: name,
    name,
    required: true,
    "aria-invalid": fieldErrors[name] ? ("true" as const) : undefined,
    "aria-describedby": fieldErrors[name] ? `${name}-error` : undefined,
    onInput: set(name),
  });

  return (
    <div class="sign-in">
      <h1>Sign in</h1>

      <p role="status" class="notice">
        {notice}
      </p>

      <form id="sign-in-form" class="sign-in__form" noValidate onSubmit={(e) => void submit(e)}>
        {failure && (
          <div role="alert" class="alert alert--error" tabIndex={-1} ref={summary}>
            <p class="alert__title">{failure.title}</p>
            {failure.detail && <p>{failure.detail}</p>}
            {(errorList.length > 0 || failure.other.length > 0) && (
              <ul class="alert__list">
                {errorList.map((name) => (
                  <li key={name}>
                    <a href={`#${name}`} onClick={focusField(name)}>
                      {fieldErrors[name]}
                    </a>
                  </li>
                ))}
                {failure.other.map((message) => (
                  <li key={message}>{message}</li>
                ))}
              </ul>
            )}
            {failure.requestId && <p class="alert__ref">Reference: {failure.requestId}</p>}
          </div>
        )}

        <div class="field">
          <label for="email">{LABELS.email}</label>
          <input
            type="email"
            autocomplete="username"
            autocapitalize="none"
            spellcheck={false}
            value={email}
            {...input("email")}
          />
          {fieldErrors.email && (
            <p id="email-error" class="field-error">
              {fieldErrors.email}
            </p>
          )}
        </div>

        <div class="field">
          <label for="password">{LABELS.password}</label>
          <input type="password" autocomplete="current-password" value={password} {...input("password")} />
          {fieldErrors.password && (
            <p id="password-error" class="field-error">
              {fieldErrors.password}
            </p>
          )}
        </div>

        <div class="form-actions">
          <button type="submit" id="sign-in" class="button" disabled={submitting}>
            Sign in
          </button>
          <span class="muted" role="status">
            {submitting ? "Signing in…" : ""}
          </span>
        </div>
      </form>
    </div>
  );
}
