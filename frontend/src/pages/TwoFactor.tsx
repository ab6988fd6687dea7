import type { RefObject, TargetedSubmitEvent } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, toProblem, type MfaEnrollment, type Problem } from "../api/client";
import { ErrorSummary, failureFrom, type Failure } from "../components/FormErrors";
import { ProblemAlert } from "../components/ProblemAlert";
import { QrCode } from "../components/QrCode";
import { AuthenticatorCodeField, readSecondFactor } from "../components/SecondFactorFields";
import { setTitle } from "../format";
import { Link, navigate, useLocation } from "../router";
import { TWO_FACTOR_PATH, safeNext, setCsrfToken, setMfaEnrolled, useSession } from "../session";

const CODE_FIELDS = { code: { id: "mfa-code", label: "The code" } };

/** groupsOfFour writes a secret as people copy it by hand: "JBSW Y3DP EHPK 3PXP". */
export const groupsOfFour = (secret: string): string => secret.replace(/(.{4})(?=.)/g, "$1 ");

/** recoveryFile is the text of the downloadable file of recovery codes. */
function recoveryFile(email: string, codes: string[]): string {
  return [
    "ImpactLedger recovery codes",
    `Account: ${email}`,
    `Created: ${new Date().toISOString().slice(0, 10)}`,
    "",
    "Each code signs you in once instead of a code from your authenticator app.",
    "Keep them somewhere safe, away from your phone.",
    "",
    ...codes,
    "",
  ].join("\r\n");
}

/** The set-up's steps: the account's status, a secret waiting for its first code, and the recovery codes. */
type Phase = { kind: "status" } | { kind: "enrolling"; enrollment: MfaEnrollment } | { kind: "codes"; codes: string[] };

/**
 * TwoFactor shows whether the account signs in with two factors and sets it up: a secret for the
 * authenticator app (as a QR code and as text), a code from the app to prove it, then the recovery codes, shown
 * once. Where the office requires two-factor sign-in, the app keeps people on this page until it is done.
 */
export function TwoFactor() {
  const session = useSession();
  const me = session.status === "signed-in" ? session.user : null;
  const forced = session.status === "signed-in" && session.mfaEnrollmentRequired;
  // Remember that set-up was required even after it is done, to carry on where the user was going.
  const wasForced = useRef(forced);
  if (forced) wasForced.current = true;
  const { search } = useLocation();
  const next = new URLSearchParams(search).get("next");

  const [phase, setPhase] = useState<Phase>({ kind: "status" });
  const [starting, setStarting] = useState(false);
  const [startProblem, setStartProblem] = useState<Problem | null>(null);
  const [message, setMessage] = useState("");

  const [code, setCode] = useState("");
  const latestCode = useRef("");
  const [confirming, setConfirming] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);

  const heading = useRef<HTMLHeadingElement>(null);
  const stepHeading = useRef<HTMLHeadingElement>(null);
  const codesHeading = useRef<HTMLHeadingElement>(null);
  const focusAfter = useRef<"page" | "step" | "codes" | null>(null);

  useEffect(() => setTitle("Two-factor sign-in"), []);

  // Keep the keyboard and screen reader where the work is as the set-up moves on.
  useEffect(() => {
    const target = focusAfter.current;
    focusAfter.current = null;
    if (target === "page") heading.current?.focus();
    else if (target === "step") stepHeading.current?.focus();
    else if (target === "codes") codesHeading.current?.focus();
  }, [phase]);

  if (!me) return null;

  const start = async () => {
    setStarting(true);
    setStartProblem(null);
    setMessage("");
    try {
      const { data, error, response } = await api.POST("/api/v1/auth/mfa/enrollment");
      if (data) {
        latestCode.current = "";
        setCode("");
        setFailure(null);
        focusAfter.current = "step";
        setPhase({ kind: "enrolling", enrollment: data });
      } else {
        const p = toProblem(error, response);
        setStartProblem(response.status === 409 ? { ...p, title: "Two-factor sign-in could not be set up" } : p);
      }
    } catch (err) {
      setStartProblem(toProblem(err));
    }
    setStarting(false);
  };

  const confirm = async (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (confirming) return;
    const typed = readSecondFactor("app", latestCode.current);
    if ("problem" in typed) {
      setFailure({ title: "Enter the code from your authenticator app.", fields: { "mfa-code": typed.problem }, other: [] });
      return;
    }
    const value = typed.value;
    setConfirming(true);
    try {
      const { data, error, response } = await api.POST("/api/v1/auth/mfa/enrollment/confirm", { body: { code: value } });
      if (data) {
        // The session goes on under a new token, whose CSRF token the next requests need.
        setCsrfToken(data.csrf_token);
        setFailure(null);
        latestCode.current = "";
        setCode("");
        // Where set-up is required, the rest of the app stays closed until the codes are put away.
        if (!wasForced.current) setMfaEnrolled();
        focusAfter.current = "codes";
        setPhase({ kind: "codes", codes: data.recovery_codes });
      } else {
        const f = failureFrom(toProblem(error, response), CODE_FIELDS);
        if (response.status === 422) {
          f.title = "The code was not accepted.";
          f.detail = undefined; // "see errors" speaks to programs; the field's message says it for people
        } else if (response.status === 409) {
          f.title = "Two-factor sign-in could not be turned on.";
        }
        setFailure(f);
      }
    } catch (err) {
      setFailure(failureFrom(toProblem(err), CODE_FIELDS));
    }
    setConfirming(false);
  };

  const finish = () => {
    setMfaEnrolled();
    if (wasForced.current) {
      const to = safeNext(next);
      navigate(to.startsWith(TWO_FACTOR_PATH) ? "/" : to, { replace: true });
      return;
    }
    focusAfter.current = "page";
    setPhase({ kind: "status" });
    setMessage("Two-factor sign-in is on. From now on you sign in with your password and a code from the app.");
  };

  const onCode = (value: string) => {
    latestCode.current = value;
    setCode(value);
  };

  const on = me.mfa_enabled || phase.kind === "codes";

  return (
    <div class="medium">
      {!forced && !wasForced.current && (
        <p class="back">
          <Link href="/account">Account</Link>
        </p>
      )}
      <h1 tabIndex={-1} ref={heading}>
        Two-factor sign-in
      </h1>

      {forced && phase.kind !== "codes" && (
        <div class="callout" id="mfa-required-notice">
          <p class="callout__title">Your office requires two-factor sign-in</p>
          <p>
            Before you can use ImpactLedger, set up two-factor sign-in for your account. It takes a minute and needs
            an authenticator app on your phone, such as Google Authenticator, Microsoft Authenticator or 1Password.
          </p>
        </div>
      )}

      <p class="lead">
        With two-factor sign-in, someone who learns your password still cannot sign in as you: each time, you also
        enter the 6-digit code that an authenticator app on your phone shows.
      </p>

      <p role="status" class="status-message">
        {message}
      </p>

      <dl class="details">
        <div>
          <dt>Status</dt>
          <dd id="mfa-status">
            {on ? <span class="pill pill--ok">On</span> : <span class="pill pill--off">Off</span>}
          </dd>
        </div>
      </dl>

      {phase.kind === "status" && (
        <div class="section section--tight">
          {startProblem && <ProblemAlert problem={startProblem} />}
          {on ? (
            <p>
              To move to a new phone, or if you have lost yours, ask an administrator to reset your two-factor
              sign-in. You can then set it up again.
            </p>
          ) : (
            <>
              <p>You will scan a QR code with the app, then type the code it shows to check that it works.</p>
              <button type="button" id="mfa-start" class="button" disabled={starting} onClick={() => void start()}>
                Set up two-factor sign-in
              </button>
              <span class="muted" role="status">
                {starting ? " Starting…" : ""}
              </span>
            </>
          )}
        </div>
      )}

      {phase.kind === "enrolling" && (
        <>
          <section class="section section--tight" aria-labelledby="mfa-step-1">
            <h2 id="mfa-step-1" tabIndex={-1} ref={stepHeading}>
              1. Add ImpactLedger to your authenticator app
            </h2>
            <div class="mfa-setup">
              <QrCode
                id="mfa-qr"
                text={phase.enrollment.otpauth_uri}
                label="QR code for adding your ImpactLedger account to an authenticator app"
              />
              <div class="mfa-setup__text">
                <p>In the app, choose to add an account, then scan this QR code with your phone’s camera.</p>
                <p class="mfa-setup__manual">
                  Cannot scan it? Choose to enter a setup key instead, and type this key (time-based):
                </p>
                <p>
                  <code id="mfa-secret" class="mfa-secret">
                    {groupsOfFour(phase.enrollment.secret)}
                  </code>
                </p>
                <p class="hint">
                  On the phone with the app already?{" "}
                  <a href={phase.enrollment.otpauth_uri} id="mfa-open-app">
                    Open this account in the authenticator app
                  </a>
                  .
                </p>
              </div>
            </div>
          </section>

          <section class="section section--tight" aria-labelledby="mfa-step-2">
            <h2 id="mfa-step-2">2. Enter the code the app shows</h2>
            <form id="mfa-confirm-form" class="panel" noValidate onSubmit={(e) => void confirm(e)}>
              {failure && <ErrorSummary failure={failure} order={["mfa-code"]} />}
              <AuthenticatorCodeField
                id="mfa-code"
                name="code"
                short
                hint="6 digits. A new code appears every 30 seconds."
                value={code}
                onInput={onCode}
                failure={failure}
              />
              <div class="form-actions">
                <button type="submit" id="mfa-turn-on" class="button" disabled={confirming}>
                  Turn on
                </button>
                <span class="muted" role="status">
                  {confirming ? "Checking…" : ""}
                </span>
              </div>
            </form>
          </section>
        </>
      )}

      {phase.kind === "codes" && (
        <RecoveryCodes
          codes={phase.codes}
          email={me.email}
          headingRef={codesHeading}
          onDone={finish}
          carryOn={wasForced.current}
        />
      )}
    </div>
  );
}

/** RecoveryCodes shows the ten one-time codes once, offers them as a file, and waits for the user to save them. */
function RecoveryCodes({
  codes,
  email,
  headingRef,
  onDone,
  carryOn,
}: {
  codes: string[];
  email: string;
  headingRef: RefObject<HTMLHeadingElement | null>;
  onDone: () => void;
  carryOn: boolean;
}) {
  const [url, setUrl] = useState<string | null>(null);

  // The file is made in the page: the codes never go anywhere but to this user.
  useEffect(() => {
    const href = URL.createObjectURL(new Blob([recoveryFile(email, codes)], { type: "text/plain;charset=utf-8" }));
    setUrl(href);
    return () => URL.revokeObjectURL(href);
  }, [codes, email]);

  return (
    <section class="section section--tight secret" aria-labelledby="recovery-heading">
      <h2 id="recovery-heading" tabIndex={-1} ref={headingRef}>
        Two-factor sign-in is on: save your recovery codes
      </h2>
      <p id="recovery-warning" class="secret__warning">
        These codes are shown only now. Save them before you go on.
      </p>
      <p>
        If you lose your phone or cannot use the app, each code lets you sign in once in place of a code from the
        app. Keep them somewhere safe and away from your phone: in a password manager, or printed and locked away.
        Do not email them or leave them on a shared computer.
      </p>
      <ol id="recovery-codes" class="recovery-codes" aria-describedby="recovery-warning">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ol>
      <div class="actions">
        {url && (
          <a id="download-codes" class="button button--secondary" href={url} download="impactledger-recovery-codes.txt">
            Download as a text file
          </a>
        )}
        <button type="button" id="codes-saved" class="button" onClick={onDone}>
          {carryOn ? "I have saved these codes: continue" : "I have saved these codes"}
        </button>
      </div>
    </section>
  );
}
