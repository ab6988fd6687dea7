import type { TargetedEvent, TargetedSubmitEvent } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, isProblemType, toProblem, type Problem } from "../api/client";
import { ErrorSummary, FieldError, failureFrom, invalid, type Failure } from "../components/FormErrors";
import { capitalize } from "../components/ProblemAlert";
import {
  SecondFactorFields,
  SecondFactorSwitch,
  readSecondFactor,
  type SecondFactorIds,
  type SecondFactorMethod,
} from "../components/SecondFactorFields";
import { setTitle } from "../format";
import { Link, navigate, useLocation } from "../router";
import { RESET_PASSWORD_PATH, safeNext, setSignedIn, twoFactorHref } from "../session";
import { tooManyTries } from "../throttle";

type Field = "email" | "password";

/** The form's fields: the server's names are also the inputs' ids, but for the second step's codes. */
const FIELDS: Record<string, { id: string; label: string }> = {
  email: { id: "email", label: "Email address" },
  password: { id: "password", label: "Password" },
  totp_code: { id: "totp-code", label: "Code" },
  recovery_code: { id: "recovery-code", label: "Recovery code" },
};
const ORDER: Field[] = ["email", "password"];

type Method = SecondFactorMethod;
const CODE_IDS: SecondFactorIds = {
  app: "totp-code",
  recovery: "recovery-code",
  useRecovery: "use-recovery-code",
  useApp: "use-app-code",
};
const CODE_ID: Record<Method, string> = { app: CODE_IDS.app, recovery: CODE_IDS.recovery };

// Always the same words, whichever of these it was: saying which would tell an attacker what exists.
const WRONG = "The email or password is wrong, or the account is locked or disabled.";

export function SignIn() {
  const { search } = useLocation();
  const params = new URLSearchParams(search);
  const next = params.get("next");
  const expired = params.get("expired") === "1";
  const signedOut = params.get("signed_out") === "1";

  // The password stays in this component's state, for sending again with the second step's code; it is never
  // stored anywhere else, and it is forgotten on leaving the second step.
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [codes, setCodes] = useState<Record<Method, string>>({ app: "", recovery: "" });
  const latest = useRef({ email: "", password: "", app: "", recovery: "" });
  const [step, setStep] = useState<"password" | "code">("password");
  const [method, setMethod] = useState<Method>("app");
  const focusNext = useRef<string | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [notice, setNotice] = useState("");

  useEffect(() => setTitle(step === "code" ? "Two-factor sign-in" : "Sign in"), [step]);

  // Fill the status region after it is on the page, so that screen readers announce the notice.
  useEffect(() => {
    setNotice(
      expired ? "Your session has ended. Sign in again to continue." : signedOut ? "You have signed out." : "",
    );
  }, [expired, signedOut]);

  // Take the keyboard to the field the user has to fill next, when a step or method changes.
  useEffect(() => {
    const id = focusNext.current;
    if (!id) return;
    focusNext.current = null;
    document.getElementById(id)?.focus();
  }, [step, method]);

  const set = (name: Field) => (e: TargetedEvent<HTMLInputElement>) => {
    latest.current = { ...latest.current, [name]: e.currentTarget.value };
    if (name === "email") setEmail(e.currentTarget.value);
    else setPassword(e.currentTarget.value);
  };

  const setCode = (m: Method) => (value: string) => {
    latest.current = { ...latest.current, [m]: value };
    setCodes((prev) => ({ ...prev, [m]: value }));
  };

  const clearCodes = () => {
    latest.current = { ...latest.current, app: "", recovery: "" };
    setCodes({ app: "", recovery: "" });
  };

  /** backToPassword leaves the second step, forgetting the password and any code typed. */
  const backToPassword = (why: Failure | null) => {
    latest.current = { ...latest.current, password: "", app: "", recovery: "" };
    setPassword("");
    setCodes({ app: "", recovery: "" });
    setMethod("app");
    setFailure(why);
    if (!why) focusNext.current = "password";
    setStep("password");
  };

  const switchMethod = (m: Method) => {
    setFailure(null);
    focusNext.current = CODE_ID[m];
    setMethod(m);
  };

  /** refused shows the server's reason a code was not accepted, beside the code's field and in the summary. */
  const refused = (problem: Problem, m: Method) => {
    const id = CODE_ID[m];
    const detail = problem.detail
      ? capitalize(problem.detail)
      : m === "app"
        ? "Enter the current code from your authenticator app."
        : "Enter a recovery code you have not used.";
    setFailure({ title: problem.title, fields: { [id]: detail }, other: [], requestId: problem.request_id || undefined });
    clearCodes();
  };

  const submit = async (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (submitting) return;
    const body: { email: string; password: string; totp_code?: string; recovery_code?: string } = {
      email: latest.current.email.trim(),
      password: latest.current.password,
    };

    if (step === "password") {
      const missing: Failure["fields"] = {};
      if (!body.email) missing.email = "Enter your email address.";
      if (!body.password) missing.password = "Enter your password.";
      if (missing.email || missing.password) {
        setFailure({ title: "Enter your email address and password.", fields: missing, other: [] });
        return;
      }
    } else {
      const code = readSecondFactor(method, latest.current[method]);
      if ("problem" in code) {
        setFailure({
          title: method === "app" ? "Enter the code from your authenticator app." : "Enter a recovery code.",
          fields: { [CODE_ID[method]]: code.problem },
          other: [],
        });
        return;
      }
      if (method === "app") body.totp_code = code.value;
      else body.recovery_code = code.value;
    }

    setSubmitting(true);
    setNotice(""); // "You have signed out" and the like no longer apply once the user acts
    try {
      const { data, error, response } = await api.POST("/api/v1/auth/login", { body });
      if (data) {
        latest.current = { email: "", password: "", app: "", recovery: "" };
        setSignedIn(data);
        const to = safeNext(next);
        navigate(data.mfa_enrollment_required ? twoFactorHref(to) : to, { replace: true });
        return;
      }
      const mfa = response.status === 401 && isProblemType(error, "mfa-required");
      if (mfa && step === "password") {
        // The password was right; the account also needs its second factor.
        setFailure(null);
        focusNext.current = CODE_ID.app;
        setMethod("app");
        setStep("code");
      } else if (mfa) {
        refused(toProblem(error, response), method);
      } else if (response.status === 401) {
        // After too many refused codes the account locks, and the answer is the same as for a wrong password.
        if (step === "code") backToPassword({ title: WRONG, fields: {}, other: [] });
        else setFailure({ title: WRONG, fields: {}, other: [] });
      } else if (response.status === 429) {
        setFailure(tooManyTries(response, "failed sign-ins"));
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

  const status = (
    <span class="muted" role="status">
      {submitting ? "Signing in…" : ""}
    </span>
  );

  return (
    <div class="sign-in">
      <h1>Sign in</h1>

      <p role="status" class="notice">
        {notice}
      </p>

      {step === "password" ? (
        <form id="sign-in-form" class="sign-in__form" noValidate onSubmit={(e) => void submit(e)}>
          {failure && <ErrorSummary failure={failure} order={ORDER} />}

          <div class="field">
            <label for="email">{FIELDS.email?.label}</label>
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
            <label for="password">{FIELDS.password?.label}</label>
            <input type="password" autocomplete="current-password" value={password} {...input("password")} />
            <FieldError id="password" failure={failure} />
          </div>

          <div class="form-actions">
            <button type="submit" id="sign-in" class="button" disabled={submitting}>
              Sign in
            </button>
            {status}
          </div>
          <p class="sign-in__other">
            <Link href={RESET_PASSWORD_PATH} id="reset-password-link">
              Set a new password with a reset code
            </Link>
          </p>
        </form>
      ) : (
        <form
          id="code-form"
          class="sign-in__form"
          aria-labelledby="code-heading"
          noValidate
          onSubmit={(e) => void submit(e)}
        >
          {failure && <ErrorSummary failure={failure} order={[CODE_ID[method]]} />}

          <div>
            <h2 id="code-heading" class="sign-in__step">
              Two-factor sign-in
            </h2>
            <p class="sign-in__who">
              Signing in as <span class="breakable">{email.trim()}</span>
            </p>
          </div>

          <SecondFactorFields
            method={method}
            ids={CODE_IDS}
            named
            value={codes[method]}
            onInput={setCode(method)}
            failure={failure}
          />

          <div class="form-actions">
            <button type="submit" id="verify-code" class="button" disabled={submitting}>
              Sign in
            </button>
            {status}
          </div>

          <ul class="sign-in__other">
            <li>
              <SecondFactorSwitch method={method} ids={CODE_IDS} onSwitch={switchMethod} />
            </li>
            <li>
              <button type="button" id="start-over" class="link-button" onClick={() => backToPassword(null)}>
                Sign in as someone else
              </button>
            </li>
          </ul>
        </form>
      )}
    </div>
  );
}
