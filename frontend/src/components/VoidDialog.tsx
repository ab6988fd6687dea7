import type { ComponentChildren, TargetedSubmitEvent } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { Problem } from "../api/client";
import { FieldError, invalid, type Failure } from "./FormErrors";
import { ProblemAlert } from "./ProblemAlert";

interface Props {
  /** Prefix of the dialog's ids: "void-loss" gives #void-loss-dialog, #void-loss-reason, #confirm-void-loss… */
  id: string;
  title: string;
  children: ComponentChildren;
  busy: boolean;
  problem: Problem | null;
  confirmLabel: string;
  /** Where the keyboard goes when the dialog closes (the button that opened it, else something near). */
  returnFocus: () => HTMLElement | null;
  onConfirm: (reason: string) => void;
  onCancel: () => void;
}

/**
 * VoidDialog asks for the reason before voiding a record entered in error. A voided record is never erased; the
 * reason is required, and kept with it.
 */
export function VoidDialog(props: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState("");
  const [failure, setFailure] = useState<Failure | null>(null);
  const reasonId = `${props.id}-reason`;
  const returnFocus = useRef(props.returnFocus);
  returnFocus.current = props.returnFocus;

  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
    document.getElementById(reasonId)?.focus();
    return () => {
      window.setTimeout(() => returnFocus.current()?.focus(), 0);
    };
  }, []);

  const submit = (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (props.busy) return;
    if (!reason.trim()) {
      setFailure({ title: "", fields: { [reasonId]: "Give the reason for voiding it." }, other: [] });
      document.getElementById(reasonId)?.focus();
      return;
    }
    setFailure(null);
    props.onConfirm(reason.trim());
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
        <div id={`${props.id}-description`}>{props.children}</div>
        {props.problem && <ProblemAlert problem={props.problem} />}
        <div class="field">
          <label for={reasonId}>Reason</label>
          <textarea
            id={reasonId}
            rows={3}
            maxLength={2000}
            required
            value={reason}
            onInput={(e) => setReason(e.currentTarget.value)}
            {...invalid(reasonId, failure, `${reasonId}-hint`)}
          />
          <p class="hint" id={`${reasonId}-hint`}>
            Such as “entered twice”. Kept with the record, encrypted.
          </p>
          <FieldError id={reasonId} failure={failure} />
        </div>
        <div class="form-actions">
          <button type="submit" id={`confirm-${props.id}`} class="button button--danger" disabled={props.busy}>
            {props.busy ? "Voiding…" : props.confirmLabel}
          </button>
          <button type="button" id={`cancel-${props.id}`} class="button button--secondary" disabled={props.busy} onClick={props.onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
