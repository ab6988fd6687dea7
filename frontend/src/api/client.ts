import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

/** The typed API client. Same origin: the Go server serves both the UI and /api. */
export const api = createClient<paths>({ baseUrl: "" });

export type Case = components["schemas"]["Case"];
export type CaseCreate = components["schemas"]["CaseCreate"];
export type CaseUpdate = components["schemas"]["CaseUpdate"];
export type CaseStatus = components["schemas"]["CaseStatus"];
export type Jurisdiction = components["schemas"]["Jurisdiction"];
export type Problem = components["schemas"]["Problem"];

/**
 * toProblem turns whatever came back from a failed call (a problem document, a proxy's HTML page,
 * a network error) into a Problem, so that every page shows errors the same way.
 */
export function toProblem(error: unknown, response?: Response): Problem {
  if (error && typeof error === "object" && "title" in error && "status" in error) {
    return error as Problem;
  }
  if (response) {
    return {
      type: "about:blank",
      title: response.statusText || "The server could not answer",
      status: response.status,
      detail: `The server answered with status ${response.status}. Try again in a moment.`,
      request_id: response.headers.get("X-Request-ID") ?? "",
    };
  }
  return {
    type: "about:blank",
    title: "Cannot reach the server",
    status: 0,
    detail: "Check your connection and try again.",
    request_id: "",
  };
}

/** isAbort tells a request cancelled on purpose (the user typed again, or left the page) from a failure. */
export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === "AbortError";
}
