import type { TargetedEvent, TargetedSubmitEvent } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, toProblem } from "../api/client";
import { ErrorSummary, FieldError, failureFrom, invalid, type Failure } from "../components/FormErrors";
import { setTitle } from "../format";
import { navigate, useLocation } from "../router";
import { safeNext, setSignedIn } from "../session";

type Field = "email" | "password";

/** The form's fields: the server's names are also the inputs' ids. */
const FIELDS: Record<Field, { id: Field; label: string }> = {
  email: { id: "email", label: "Email address" },
  password: { id: "password", label: "Password" },
};
const ORDER: Field[] = ["email", "password"];

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

  useEffect(() => setTitle("Sign in"), []);

  // Fill the status region after it is on the page, so that screen readers announce the notice.
  useEffect(() => {
    setNotice(
      expired ? "Your session has ended. Sign in again to continue." : signedOut ? "You have signed out." : "",
    );
  }, [expired, signedOut]);

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
        setFailure(failureFrom(toProblem(error, response), FIELDS));
      }
    } catch (err) {
      setFailure(failureFrom(toProblem(err), FIELDS));
    }
    setSubmitting(false);
  };

  const input = (name: Field) => ({
    id: name,
    name,
    required: true,
    ...invalid(name, failure),
    onInput: set(name),
  });

  return (
    <div class="sign-in">
      <h1>Sign in</h1>

      <p role="status" class="notice">
        {notice}
      </p>

      <form id="sign-in-form" class="sign-in__form" noValidate onSubmit={(e) => void submit(e)}>
        {failure && <ErrorSummary failure={failure} order={ORDER} />}

        <div class="field">
          <label for="email">{FIELDS.email.label}</label>
          <input
            type="email"
            autocomplete="username"
            autocapitalize="none"
            spellcheck={false}
            value={email}
            {...input("email")}
          />
          <FieldError id="email" failure={failure} />
        </div>

        <div class="field">
          <label for="password">{FIELDS.password.label}</label>
          <input type="password" autocomplete="current-password" value={password} {...input("password")} />
          <FieldError id="password" failure={failure} />
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
