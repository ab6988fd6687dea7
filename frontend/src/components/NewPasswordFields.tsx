import { FieldError, invalid, type Failure } from "./FormErrors";

/** A typed field: its value, and what to do when the person types. */
type Typed = { value: string; onInput: (value: string) => void };

/**
 * NewPasswordFields is the one way a new password is typed: the field, with the password rules as its hint
 * (`${id}-hint`), and, when `confirm` is given, the same password again. The server judges the rules;
 * newPasswordProblems checks what the page can.
 */
export function NewPasswordFields({
  id,
  label,
  name,
  password,
  confirm,
  failure,
}: {
  id: string;
  label: string;
  name?: string;
  password: Typed;
  confirm?: Typed & { id: string };
  failure: Failure | null;
}) {
  const hintId = `${id}-hint`;
  return (
    <>
      <div class="field">
        <label for={id}>{label}</label>
        <input
          type="password"
          id={id}
          name={name}
          autocomplete="new-password"
          required
          value={password.value}
          onInput={(e) => password.onInput(e.currentTarget.value)}
          {...invalid(id, failure, hintId)}
        />
        <p id={hintId} class="hint">
          At least 12 characters. Common passwords are refused.
        </p>
        <FieldError id={id} failure={failure} />
      </div>
      {confirm && (
        <div class="field">
          <label for={confirm.id}>{label} again</label>
          <input
            type="password"
            id={confirm.id}
            autocomplete="new-password"
            required
            value={confirm.value}
            onInput={(e) => confirm.onInput(e.currentTarget.value)}
            {...invalid(confirm.id, failure)}
          />
          <FieldError id={confirm.id} failure={failure} />
        </div>
      )}
    </>
  );
}

/**
 * newPasswordProblems says what is missing from NewPasswordFields before anything is sent, keyed by input id:
 * the password, and with a confirmation, that it was typed twice the same.
 */
export function newPasswordProblems(
  password: string,
  ids: { id: string; confirmId?: string },
  confirm = "",
): Record<string, string> {
  const problems: Record<string, string> = {};
  if (!password) problems[ids.id] = ids.confirmId ? "Enter a new password." : "Enter a password.";
  if (!ids.confirmId) return problems;
  if (!confirm) problems[ids.confirmId] = "Enter the new password again.";
  else if (password && confirm !== password) problems[ids.confirmId] = "The two new passwords are not the same.";
  return problems;
}
