import type { TargetedSubmitEvent } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, isProblemType, toProblem } from "../api/client";
import { ErrorSummary, FieldError, failureFrom, invalid, type Failure } from "../components/FormErrors";
import { NewPasswordFields, newPasswordProblems } from "../components/NewPasswordFields";
import { setTitle } from "../format";
import { Link } from "../router";
import { SIGN_IN_PATH } from "../session";
import { tooManyTries } from "../throttle";

const FIELDS = {
  email: { id: "reset-email", label: "Email address" },
  code: { id: "reset-code", label: "Reset code" },
  new_password: { id: "reset-new-password", label: "New password" },
};
const CONFIRM_ID = "reset-confirm-password";
const ORDER = [FIELDS.email.id, FIELDS.code.id, FIELDS.new_password.id, CONFIRM_ID];

type Values = { email: string; code: string; password: string; confirm: string };
const EMPTY: Values = { email: "", code: "", password: "", confirm: "" };

/**
 * ResetPassword sets a new password with the one-time code an administrator gave, for someone who cannot
 * sign in. It does not sign in: the next sign-in asks for the new password, and for the authenticator code
 * when the account has two-factor sign-in.
 */
export function ResetPassword() {
  const [values, setValues] = useState<Values>(EMPTY);
  const latest = useRef<Values>(EMPTY);
  const [submitting, setSubmitting] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [done, setDone] = useState(false);
  const doneHeading = useRef<HTMLHeadingElement>(null);

  useEffect(() => setTitle(done ? "New password set" : "Set a new password"), [done]);
  useEffect(() => {
    if (done) doneHeading.current?.focus();
  }, [done]);

  const set = (field: keyof Values) => (value: string) => {
    latest.current = { ...latest.current, [field]: value };
    setValues(latest.current);
  };

  const submit = async (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (submitting) return;
    const v = latest.current;
    const email = v.email.trim();
    const code = v.code.trim();
    const missing: Record<string, string> = {};
    if (!email) missing[FIELDS.email.id] = "Enter your email address.";
    if (!code) missing[FIELDS.code.id] = "Enter the reset code your administrator gave you.";
    Object.assign(missing, newPasswordProblems(v.password, { id: FIELDS.new_password.id, confirmId: CONFIRM_ID }, v.confirm));
    if (Object.keys(missing).length > 0) {
      setFailure({ title: "Check what you entered.", fields: missing, other: [] });
      return;
    }

    setSubmitting(true);
    try {
      const { error, response } = await api.POST("/api/v1/auth/password-reset", {
        body: { email, code, new_password: v.password },
      });
      if (response.ok) {
        latest.current = EMPTY;
        setValues(EMPTY);
        setFailure(null);
        setDone(true);
      } else if (response.status === 429) {
        setFailure(tooManyTries(response));
      } else if (isProblemType(error, "invalid-reset-code")) {
        const problem = toProblem(error, response);
        setFailure({
          title: problem.title,
          detail: problem.detail,
          fields: {},
          other: [],
          requestId: problem.request_id || undefined,
        });
      } else {
        setFailure(failureFrom(toProblem(error, response), FIELDS));
      }
    } catch (err) {
      setFailure(failureFrom(toProblem(err), FIELDS));
    }
    setSubmitting(false);
  };

  if (done) {
    return (
      <div class="sign-in">
        <h1 tabIndex={-1} ref={doneHeading}>
          New password set
        </h1>
        <p role="status" class="notice">
          Your new password is set, and the reset code no longer works. Sign in with your new password. If you use an
          authenticator app, you still need its code.
        </p>
        <p>
          <Link href={SIGN_IN_PATH} id="reset-sign-in" class="button">
            Sign in
          </Link>
        </p>
      </div>
    );
  }

  return (
    <div class="sign-in">
      <h1>Set a new password</h1>
      <p class="lead">
        Use this page when an administrator has reset your password and given you a reset code. The code works once,
        for 24 hours.
      </p>
      <form id="reset-form" class="sign-in__form" noValidate onSubmit={(e) => void submit(e)}>
        {failure && <ErrorSummary failure={failure} order={ORDER} />}
        <div class="field">
          <label for={FIELDS.email.id}>Email address</label>
          <input
            type="email"
            id={FIELDS.email.id}
            autocomplete="username"
            autocapitalize="none"
            spellcheck={false}
            required
            value={values.email}
            onInput={(e) => set("email")(e.currentTarget.value)}
            {...invalid(FIELDS.email.id, failure)}
          />
          <FieldError id={FIELDS.email.id} failure={failure} />
        </div>
        <div class="field">
          <label for={FIELDS.code.id}>Reset code</label>
          <input
            type="text"
            id={FIELDS.code.id}
            class="code-input"
            autocomplete="off"
            autocapitalize="characters"
            spellcheck={false}
            maxLength={64}
            required
            value={values.code}
            onInput={(e) => set("code")(e.currentTarget.value)}
            {...invalid(FIELDS.code.id, failure, "reset-code-hint")}
          />
          <p id="reset-code-hint" class="hint">
            Four groups of five letters and digits, such as 7KQ2M-XD4HP-9RT0W-C3NBV. Capitals and dashes do not matter.
          </p>
          <FieldError id={FIELDS.code.id} failure={failure} />
        </div>
        <NewPasswordFields
          id={FIELDS.new_password.id}
          label="New password"
          password={{ value: values.password, onInput: set("password") }}
          confirm={{ id: CONFIRM_ID, value: values.confirm, onInput: set("confirm") }}
          failure={failure}
        />
        <div class="form-actions">
          <button type="submit" id="reset-submit" class="button" disabled={submitting}>
            Set new password
          </button>
          <span class="muted" role="status">
            {submitting ? "Setting…" : ""}
          </span>
        </div>
      </form>
      <p class="sign-in__other">
        <Link href={SIGN_IN_PATH} id="back-to-sign-in">
          Back to sign in
        </Link>
      </p>
    </div>
  );
}
