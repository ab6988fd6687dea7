import type { ComponentChildren } from "preact";
import type { Problem } from "../api/client";

/** capitalize starts a server's terse detail ("this is the last active administrator") as a sentence. */
export const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/** ProblemAlert shows a failed request's problem document where assistive technology announces it. */
export function ProblemAlert({ problem, children }: { problem: Problem; children?: ComponentChildren }) {
  return (
    <div role="alert" class="alert alert--error">
      <p class="alert__title">{problem.title}</p>
      {problem.detail && <p>{capitalize(problem.detail)}</p>}
      {children}
      {problem.request_id && <p class="alert__ref">Reference: {problem.request_id}</p>}
    </div>
  );
}
