import type { ComponentChildren } from "preact";
import type { Problem } from "../api/client";

/** ProblemAlert shows a failed request's problem document where assistive technology announces it. */
export function ProblemAlert({ problem, children }: { problem: Problem; children?: ComponentChildren }) {
  return (
    <div role="alert" class="alert alert--error">
      <p class="alert__title">{problem.title}</p>
      {problem.detail && <p>{problem.detail}</p>}
      {children}
      {problem.request_id && <p class="alert__ref">Reference: {problem.request_id}</p>}
    </div>
  );
}
