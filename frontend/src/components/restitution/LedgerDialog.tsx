import type { ComponentChildren, TargetedSubmitEvent } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { ErrorSummary, type Failure } from "../FormErrors";

interface Props {
  /** Prefix of the dialog's ids: "reverse-payment" gives #reverse-payment-dialog, #confirm-reverse-payment… */
  id: string;
  title: string;
  /** What the action does and to what, read out when the dialog opens. */
  description: ComponentChildren;
  /** The dialog's fields. */
  children?: ComponentChildren;
  busy: boolean;
  failure: Failure | null;
  /** The fields' ids top to bottom, for the error summary's links. */
  order: string[];
  /** The field that takes the keyboard when the dialog opens. */
  firstField: string;
  confirmLabel: string;
  busyLabel: string;
  danger?: boolean;
  /** Where the keyboard goes when the dialog closes (the button that opened it, else something near). */
  returnFocus: () => HTMLElement | null;
  onSubmit: () => void;
  onCancel: () => void;
}

/**
 * LedgerDialog asks for what an entry on an order's ledger needs (a reversal's reason, an adjustment's amount…)
 * and for confirmation, in a modal dialog as VoidDialog does: it opens with the keyboard on its first field,
 * Escape cancels unless a request is on its way, and closing gives the keyboard back to where it came from.
 * The ledger is append-only, so every dialog says what the new entry will be.
 */
export function LedgerDialog(props: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const returnFocus = useRef(props.returnFocus);
  returnFocus.current = props.returnFocus;

  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
    document.getElementById(props.firstField)?.focus();
    return () => {
      window.setTimeout(() => returnFocus.current()?.focus(), 0);
    };
  }, []);

  const submit = (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (!props.busy) props.onSubmit();
  };

  return (
    <dialog
      ref={dialog}
      id={`${props.id}-dialog`}
      class="dialog"
      aria-labelledby={`${props.id}-title`}
      aria-describedby={`${props.id}-description`}
      onCancel={(e) => {
        e.preventDefault();
        if (!props.busy) props.onCancel();
      }}
    >
      <form noValidate onSubmit={submit}>
        <h2 id={`${props.id}-title`}>{props.title}</h2>
        <div id={`${props.id}-description`}>{props.description}</div>
        {props.failure && <ErrorSummary failure={props.failure} order={props.order} />}
        <div class="dialog__fields">{props.children}</div>
        <div class="form-actions">
          <button type="submit" id={`confirm-${props.id}`} class={props.danger ? "button button--danger" : "button"} disabled={props.busy}>
            {props.busy ? props.busyLabel : props.confirmLabel}
          </button>
          <button type="button" id={`cancel-${props.id}`} class="button button--secondary" disabled={props.busy} onClick={props.onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
