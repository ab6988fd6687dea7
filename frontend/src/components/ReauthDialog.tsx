import type { TargetedSubmitEvent } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, isProblemType, toProblem } from "../api/client";
import { navigate } from "../router";
import { finishReauthentication, useReauthenticationPrompt } from "../reauth";
import { SIGN_IN_PATH, setCsrfToken, setSignedOut, signInHref, useCurrentUser } from "../session";
import { ErrorSummary, FieldError, failureFrom, invalid, type Failure } from "./FormErrors";
import { capitalize } from "./ProblemAlert";
import {
  SecondFactorFields,
  SecondFactorSwitch,
  readSecondFactor,
  type SecondFactorIds,
  type SecondFactorMethod,
} from "./SecondFactorFields";

type Method = SecondFactorMethod;

const FIELDS = {
  password: { id: "reauth-password", label: "Password" },
  totp_code: { id: "reauth-code", label: "Code" },
  recovery_code: { id: "reauth-recovery", label: "Recovery code" },
};
const CODE_IDS: SecondFactorIds = {
  app: FIELDS.totp_code.id,
  recovery: FIELDS.recovery_code.id,
  useRecovery: "reauth-use-recovery",
  useApp: "reauth-use-app",
};

/**
 * ReauthDialog is the one place the app asks for the password again, when an action needs it entered within
 * the last 15 minutes (and the authenticator code, for an account with two-factor sign-in). The API client
 * opens it and repeats the action once it succeeds; Cancel leaves the page as it was, and the page says that
 * nothing was done. It is mounted once, in the app shell.
 */
export function ReauthDialog() {
  const open = useReauthenticationPrompt();
  return open ? <Prompt /> : null;
}

function Prompt() {
  const me = useCurrentUser();
  const twoFactor = !!me?.mfa_enabled;
  const dialog = useRef<HTMLDialogElement>(null);
  // The password stays in this component only, and goes with it when the dialog closes.
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [method, setMethod] = useState<Method>("app");
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const opener = useRef<Element | null>(document.activeElement);

  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
    document.getElementById(FIELDS.password.id)?.focus();
    const back = opener.current;
    return () => {
      // Back to the button that started the action, which the page may have re-rendered meanwhile.
      window.setTimeout(() => {
        if (back instanceof HTMLElement && back.isConnected) back.focus();
      }, 0);
    };
  }, []);

  const codeId = CODE_IDS[method];

  const cancel = () => {
    if (!busy) finishReauthentication(false);
  };

  const switchMethod = (m: Method) => {
    setFailure(null);
    setCode("");
    setMethod(m);
    window.setTimeout(() => document.getElementById(CODE_IDS[m])?.focus(), 0);
  };

  const submit = async (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (busy) return;
    const missing: Record<string, string> = {};
    if (!password) missing[FIELDS.password.id] = "Enter your password.";
    const typed = readSecondFactor(method, code);
    if (twoFactor && "problem" in typed) missing[codeId] = typed.problem;
    if (Object.keys(missing).length > 0) {
      setFailure({ title: "Confirm it is you to carry on.", fields: missing, other: [] });
      return;
    }

    setBusy(true);
    try {
      const body: { password: string; totp_code?: string; recovery_code?: string } = { password };
      if (twoFactor && "value" in typed) {
        if (method === "app") body.totp_code = typed.value;
        else body.recovery_code = typed.value;
      }
      const { data, error, response } = await api.POST("/api/v1/auth/reauthenticate", { body });
      if (data) {
        // The session now has a new token: the repeated action, and every later one, carries its CSRF token.
        setCsrfToken(data.csrf_token);
        finishReauthentication(true);
        return;
      }
      if (isProblemType(error, "unauthenticated")) {
        // The session ended meanwhile (or too many wrong tries locked the account): sign in again.
        finishReauthentication(false);
        setSignedOut();
        const { pathname, search } = window.location;
        if (pathname !== SIGN_IN_PATH) navigate(signInHref(pathname + search, true), { replace: true });
        return;
      }
      const problem = toProblem(error, response);
      if (isProblemType(error, "invalid-credentials")) {
        setPassword("");
        setCode("");
        setFailure({
          title: "The password is wrong.",
          fields: { [FIELDS.password.id]: "The password is wrong, or the account is locked after too many tries." },
          other: [],
          requestId: problem.request_id || undefined,
        });
      } else if (isProblemType(error, "mfa-required")) {
        setCode("");
        setFailure({
          title: problem.title,
          fields: { [codeId]: capitalize(problem.detail ?? "Enter the current code from your authenticator app.") },
          other: [],
          requestId: problem.request_id || undefined,
        });
      } else {
        setFailure(failureFrom(problem, FIELDS));
      }
    } catch (err) {
      setFailure(failureFrom(toProblem(err), FIELDS));
    }
    setBusy(false);
  };

  return (
    <dialog
      ref={dialog}
      id="reauth-dialog"
      class="dialog"
      aria-labelledby="reauth-title"
      aria-describedby="reauth-description"
      onCancel={(e) => {
        e.preventDefault();
        cancel();
      }}
    >
      <form id="reauth-form" noValidate onSubmit={(e) => void submit(e)}>
        <h2 id="reauth-title">Confirm it is you</h2>
        <p id="reauth-description">
          {twoFactor
            ? "This action needs your password and a code from your authenticator app, entered in the last 15 minutes. " +
              "Enter them and it carries on."
            : "This action needs your password, entered in the last 15 minutes. Enter it and the action carries on."}
        </p>
        {failure && <ErrorSummary failure={failure} order={[FIELDS.password.id, codeId]} />}
        <div class="dialog__fields">
          {/* Password managers fill the password better when they know whose it is. */}
          <input type="email" autocomplete="username" value={me?.email ?? ""} readOnly hidden />
          <div class="field">
            <label for={FIELDS.password.id}>Password</label>
            <input
              type="password"
              id={FIELDS.password.id}
              autocomplete="current-password"
              required
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
              {...invalid(FIELDS.password.id, failure)}
            />
            <FieldError id={FIELDS.password.id} failure={failure} />
          </div>
          {twoFactor && (
            <>
              <SecondFactorFields method={method} ids={CODE_IDS} value={code} onInput={setCode} failure={failure} />
              <p>
                <SecondFactorSwitch method={method} ids={CODE_IDS} onSwitch={switchMethod} />
              </p>
            </>
          )}
        </div>
        <div class="form-actions">
          <button type="submit" id="reauth-confirm" class="button" disabled={busy}>
            {busy ? "Confirming…" : "Confirm and carry on"}
          </button>
          <button type="button" id="reauth-cancel" class="button button--secondary" disabled={busy} onClick={cancel}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
