import { toProblem, type Problem } from "./api/client";
import { csrfToken } from "./session";

/** Sent is what an upload came to: the server's answer, or the problem that stopped it. */
export type Sent<T> = { ok: true; body: T } | { ok: false; problem: Problem };

export interface SendOptions {
  /** The status that means success; its JSON body is the answer. */
  okStatus: number;
  /** Extra request headers, such as the body's Content-Type or an Idempotency-Key. */
  headers?: Record<string, string>;
  /** Hears the share of the body sent, from 0 to 1. */
  onProgress: (fraction: number) => void;
  signal?: AbortSignal;
  /** What a cancelled upload left behind, for the person who cancelled it ("Nothing was stored."). */
  cancelled: string;
}

/**
 * sendWithProgress POSTs a body that may be large (a file), reporting progress as the bytes go. It uses
 * XMLHttpRequest because fetch reports no upload progress. The server's refusals come back as their problem
 * documents, with the request ID when the server sent one.
 */
export function sendWithProgress<T>(url: string, body: XMLHttpRequestBodyInit, opts: SendOptions): Promise<Sent<T>> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    const token = csrfToken();
    if (token) xhr.setRequestHeader("X-CSRF-Token", token);
    xhr.setRequestHeader("Accept", "application/json, application/problem+json");
    for (const [name, value] of Object.entries(opts.headers ?? {})) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) opts.onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let answer: unknown = null;
      try {
        answer = JSON.parse(xhr.responseText);
      } catch {
        answer = null;
      }
      if (xhr.status === opts.okStatus && answer && typeof answer === "object") {
        opts.onProgress(1);
        resolve({ ok: true, body: answer as T });
        return;
      }
      if (xhr.status < 200 || xhr.status > 599) {
        resolve({ ok: false, problem: toProblem(answer) });
        return;
      }
      const headers = new Headers();
      const rid = xhr.getResponseHeader("X-Request-ID");
      if (rid) headers.set("X-Request-ID", rid);
      const response = new Response(null, { status: xhr.status, statusText: xhr.statusText, headers });
      resolve({ ok: false, problem: toProblem(answer, response) });
    };
    xhr.onerror = () => resolve({ ok: false, problem: toProblem(new Error("network")) });
    xhr.onabort = () =>
      resolve({
        ok: false,
        problem: { type: "about:blank", title: "Upload cancelled", status: 0, detail: opts.cancelled, request_id: "" },
      });
    opts.signal?.addEventListener("abort", () => xhr.abort());
    xhr.send(body);
  });
}
