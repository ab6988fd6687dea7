import { FieldError, invalid, type Failure } from "./FormErrors";

/** How a second factor is given: the authenticator app's code, or one of the recovery codes. */
export type SecondFactorMethod = "app" | "recovery";

/** The ids of a form's second-factor inputs and of the buttons that switch between them. */
export type SecondFactorIds = {
  app: string;
  recovery: string;
  /** The button that offers the recovery code instead, and the one that offers the app's code again. */
  useRecovery: string;
  useApp: string;
};

/**
 * AuthenticatorCodeField is the input for a code from the authenticator app (6 digits, spaces forgiven), with
 * its hint (`${id}-hint`).
 */
export function AuthenticatorCodeField({
  id,
  name,
  hint = "The 6-digit code the app shows for ImpactLedger. It changes every 30 seconds.",
  short,
  value,
  onInput,
  failure,
}: {
  id: string;
  name?: string;
  hint?: string;
  /** short narrows the field to the code's width, where it stands alone. */
  short?: boolean;
  value: string;
  onInput: (value: string) => void;
  failure: Failure | null;
}) {
  return (
    <div class={short ? "field field--short" : "field"}>
      <label for={id}>Code from your authenticator app</label>
      <input
        type="text"
        id={id}
        name={name}
        class="code-input"
        inputMode="numeric"
        autocomplete="one-time-code"
        pattern="[0-9 ]*"
        maxLength={7}
        spellcheck={false}
        required
        value={value}
        onInput={(e) => onInput(e.currentTarget.value)}
        {...invalid(id, failure, `${id}-hint`)}
      />
      <p id={`${id}-hint`} class="hint">
        {hint}
      </p>
      <FieldError id={id} failure={failure} />
    </div>
  );
}

/**
 * SecondFactorFields asks for the second factor of a sign-in or a re-authentication: the app's code, or a
 * recovery code, as `method` says. Inputs are named after the server's fields when `named` is set.
 */
export function SecondFactorFields({
  method,
  ids,
  named,
  value,
  onInput,
  failure,
}: {
  method: SecondFactorMethod;
  ids: SecondFactorIds;
  named?: boolean;
  value: string;
  onInput: (value: string) => void;
  failure: Failure | null;
}) {
  if (method === "app") {
    return (
      <AuthenticatorCodeField
        id={ids.app}
        name={named ? "totp_code" : undefined}
        value={value}
        onInput={onInput}
        failure={failure}
      />
    );
  }
  return (
    <div class="field">
      <label for={ids.recovery}>Recovery code</label>
      <input
        type="text"
        id={ids.recovery}
        name={named ? "recovery_code" : undefined}
        class="code-input"
        autocomplete="off"
        autocapitalize="characters"
        maxLength={64}
        spellcheck={false}
        required
        value={value}
        onInput={(e) => onInput(e.currentTarget.value)}
        {...invalid(ids.recovery, failure, `${ids.recovery}-hint`)}
      />
      <p id={`${ids.recovery}-hint`} class="hint">
        One of the codes you saved when you set up two-factor sign-in, such as ABCD-EFGH-JKMN. Each works once.
      </p>
      <FieldError id={ids.recovery} failure={failure} />
    </div>
  );
}

/** SecondFactorSwitch offers the other way of giving the second factor. */
export function SecondFactorSwitch({
  method,
  ids,
  onSwitch,
}: {
  method: SecondFactorMethod;
  ids: SecondFactorIds;
  onSwitch: (to: SecondFactorMethod) => void;
}) {
  return method === "app" ? (
    <button type="button" id={ids.useRecovery} class="link-button" onClick={() => onSwitch("recovery")}>
      Use a recovery code instead
    </button>
  ) : (
    <button type="button" id={ids.useApp} class="link-button" onClick={() => onSwitch("app")}>
      Use the code from your authenticator app instead
    </button>
  );
}

/**
 * readSecondFactor checks a typed second factor before it is sent: the app's code as 6 digits (spaces
 * dropped), a recovery code as typed (trimmed). It answers the value to send, or what to tell the person.
 */
export function readSecondFactor(method: SecondFactorMethod, typed: string): { value: string } | { problem: string } {
  if (method === "app") {
    const value = typed.replace(/\s+/g, "");
    return /^[0-9]{6}$/.test(value)
      ? { value }
      : { problem: "Enter the 6-digit code your authenticator app shows for ImpactLedger." };
  }
  const value = typed.trim();
  return value && value.length <= 64
    ? { value }
    : { problem: "Enter one of the recovery codes you saved when you set up two-factor sign-in." };
}
