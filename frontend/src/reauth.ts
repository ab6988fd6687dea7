import { useEffect, useState } from "preact/hooks";

/**
 * The inline re-authentication prompt. Some actions (changing a role, resetting a password, revealing an
 * SSN, moving money out of the ledger) need the password entered within the last 15 minutes; when the
 * server says so, the API client asks here, the dialog mounted once in the app shell asks the person, and the
 * client repeats the action. Requests that meet the same refusal while the dialog is open wait on the same
 * answer, so that the person is asked once.
 */
let pending: Promise<boolean> | null = null;
let settle: ((confirmed: boolean) => void) | null = null;
const listeners = new Set<() => void>();

const notify = () => listeners.forEach((l) => l());

/**
 * requestReauthentication opens the dialog (or joins the one open) and resolves true once the session has
 * re-authenticated, false when the person cancelled.
 */
export function requestReauthentication(): Promise<boolean> {
  if (pending) return pending;
  pending = new Promise<boolean>((resolve) => {
    settle = resolve;
  });
  notify();
  return pending;
}

/** finishReauthentication closes the dialog with its outcome. */
export function finishReauthentication(confirmed: boolean): void {
  const done = settle;
  pending = null;
  settle = null;
  notify();
  done?.(confirmed);
}

/** useReauthenticationPrompt re-renders the caller when the dialog opens or closes, and says whether it is open. */
export function useReauthenticationPrompt(): boolean {
  const [open, setOpen] = useState(pending !== null);
  useEffect(() => {
    const update = () => setOpen(pending !== null);
    listeners.add(update);
    update();
    return () => {
      listeners.delete(update);
    };
  }, []);
  return open;
}
