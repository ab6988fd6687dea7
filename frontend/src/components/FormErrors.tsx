import { useEffect, useRef } from "preact/hooks";
import type { Problem } from "../api/client";
import { capitalize } from "./ProblemAlert";

/** How a server field name (such as "display_name") appears in a form: the input's id and its label. */
export interface FieldSpec {
  id: string;
  label: string;
}

/** What went wrong with a form's last submission, as its error summary and fields show it. */
export interface Failure {
  title: string;
  detail?: string;
  /** Messages keyed by input id, shown beside the input and linked from the summary. */
  fields: Record<string, string>;
  /** Messages that belong to no single input. */
  other: string[];
  requestId?: string;
}

/** sentence turns the server's terse "is required" into "Name is required"; full sentences pass through. */
export function sentence(label: string, message: string): string {
  return /^[a-z]/.test(message) ? `${label} ${message}` : message;
}

/** failureFrom reads a problem document's field errors onto a form's inputs. */
export function failureFrom(p: Problem, specs: Record<string, FieldSpec>): Failure {
  const fields: Record<string, string> = {};
  const other: string[] = [];
  for (const [name, message] of Object.entries(p.errors ?? {})) {
    if (!message) continue;
    const spec = specs[name];
    if (spec) fields[spec.id] = sentence(spec.label, message);
    else other.push(sentence(name, message));
  }
  return { title: p.title, detail: p.detail, fields, other, requestId: p.request_id || undefined };
}

/** staleFailure is what a form shows when its PATCH met 412: the record changed since it was read. */
export function staleFailure(title: string, detail: string, p: Problem): Failure {
  return { title, detail, fields: {}, other: [], requestId: p.request_id || undefined };
}

/** invalid gives an input the attributes that tie it to its error message and, when there is one, its hint. */
export function invalid(id: string, failure: Failure | null, hintId?: string) {
  const message = failure?.fields[id];
  const describedBy = [message ? `${id}-error` : "", hintId ?? ""].filter(Boolean).join(" ");
  return {
    "aria-invalid": message ? ("true" as const) : undefined,
    "aria-describedby": describedBy || undefined,
  };
}

/** FieldError is the message beside one input. */
export function FieldError({ id, failure }: { id: string; failure: Failure | null }) {
  const message = failure?.fields[id];
  if (!message) return null;
  return (
    <p id={`${id}-error`} class="field-error">
      {message}
    </p>
  );
}

/**
 * ErrorSummary lists what went wrong at the top of a form, each field error linking to its input, and takes
 * the keyboard there after every failed submission. `order` lists the form's input ids top to bottom.
 */
export function ErrorSummary({ failure, order }: { failure: Failure; order: string[] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => box.current?.focus(), [failure]);

  const focusField = (id: string) => (e: Event) => {
    e.preventDefault();
    document.getElementById(id)?.focus();
  };
  const ids = order.filter((id) => failure.fields[id]);

  return (
    <div role="alert" class="alert alert--error" tabIndex={-1} ref={box}>
      <p class="alert__title">{failure.title}</p>
      {failure.detail && <p>{capitalize(failure.detail)}</p>}
      {(ids.length > 0 || failure.other.length > 0) && (
        <ul class="alert__list">
          {ids.map((id) => (
            <li key={id}>
              <a href={`#${id}`} onClick={focusField(id)}>
                {failure.fields[id]}
              </a>
            </li>
          ))}
          {failure.other.map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      )}
      {failure.requestId && <p class="alert__ref">Reference: {failure.requestId}</p>}
    </div>
  );
}
