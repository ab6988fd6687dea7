import { useRef, useState } from "preact/hooks";
import { api, toProblem, type Loss, type LossDocument, type Problem } from "../api/client";
import { formatInstant } from "../format";
import {
  DOCUMENT_ACCEPT,
  MAX_DOCUMENT_BYTES,
  documentContentHref,
  mediaTypeLabel,
  shortHash,
  uploadDocument,
} from "../losses";
import { formatBytes } from "../money";
import { ProblemAlert } from "./ProblemAlert";
import { VoidDialog } from "./VoidDialog";

interface Props {
  loss: Loss;
  mayWrite: boolean;
  /** A document was added or voided: the loss's list of documents as it now stands. */
  onChange: (documents: LossDocument[]) => void;
}

type Upload = { state: "idle" } | { state: "sending"; name: string; percent: number } | { state: "failed"; problem: Problem };

/**
 * LossDocuments lists a loss's documents (receipts, statements, letters) with their type, size, upload time and
 * SHA-256, each downloadable; those who record losses upload more, with progress, and void one attached in
 * error. The server decides a file's type from its content: a refusal (415, 413) is shown with its reason.
 */
export function LossDocuments({ loss, mayWrite, onChange }: Props) {
  const [upload, setUpload] = useState<Upload>({ state: "idle" });
  const [message, setMessage] = useState("");
  const [shownHash, setShownHash] = useState<Record<string, boolean>>({});
  const [voiding, setVoiding] = useState<LossDocument | null>(null);
  const [voidBusy, setVoidBusy] = useState(false);
  const [voidProblem, setVoidProblem] = useState<Problem | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const docs = loss.documents;
  const voidable = mayWrite && !loss.voided_at;

  const send = async () => {
    const file = fileInput.current?.files?.[0];
    setMessage("");
    if (!file) {
      setUpload({
        state: "failed",
        problem: { type: "about:blank", title: "No file chosen", status: 0, detail: "Choose a file to upload first.", request_id: "" },
      });
      fileInput.current?.focus();
      return;
    }
    if (file.size > MAX_DOCUMENT_BYTES) {
      setUpload({
        state: "failed",
        problem: {
          type: "about:blank",
          title: "File too large",
          status: 413,
          detail: `${file.name} is ${formatBytes(file.size)}; a document may be at most 25 MB. Nothing was uploaded.`,
          request_id: "",
        },
      });
      return;
    }
    setUpload({ state: "sending", name: file.name, percent: 0 });
    const result = await uploadDocument(loss.id, file, (f) =>
      setUpload((u) => (u.state === "sending" ? { ...u, percent: Math.round(f * 100) } : u)),
    );
    if (result.ok) {
      setUpload({ state: "idle" });
      if (fileInput.current) fileInput.current.value = "";
      onChange([...docs, result.document]);
      setMessage(`${result.document.file_name} uploaded.`);
    } else {
      setUpload({ state: "failed", problem: result.problem });
    }
  };

  const confirmVoid = async (reason: string) => {
    if (!voiding) return;
    setVoidBusy(true);
    setVoidProblem(null);
    try {
      const { data, error, response } = await api.POST("/api/v1/documents/{document_id}/void", {
        params: { path: { document_id: voiding.id } },
        body: { reason },
      });
      if (data) {
        onChange(docs.map((d) => (d.id === data.id ? data : d)));
        setMessage(`${data.file_name} voided.`);
        setVoiding(null);
      } else setVoidProblem(toProblem(error, response));
    } catch (err) {
      setVoidProblem(toProblem(err));
    }
    setVoidBusy(false);
  };

  return (
    <section class="documents" aria-labelledby="documents-heading" id="documents-section">
      <h4 id="documents-heading" tabIndex={-1}>
        Documents
      </h4>
      <p role="status" class="status-message" id="documents-message">
        {message}
      </p>
      {docs.length === 0 ? (
        <p class="muted" id="no-documents">
          No documents attached.
        </p>
      ) : (
        <ul class="doc-list" id="documents-list">
          {docs.map((d) => (
            <li key={d.id} id={`document-${d.id}`} class={d.voided_at ? "doc doc--voided" : "doc"}>
              <p class="doc__name">
                <span class="breakable">{d.file_name}</span>
                {d.voided_at && <span class="pill pill--denied pill--inline">Voided</span>}
              </p>
              <p class="doc__meta">
                {mediaTypeLabel(d.media_type)} · {formatBytes(d.size_bytes)} · uploaded{" "}
                <time dateTime={d.created_at}>{formatInstant(d.created_at)}</time>
              </p>
              <p class="doc__hash">
                SHA-256:{" "}
                <code class="mono breakable" id={`hash-${d.id}`}>
                  {shownHash[d.id] ? d.sha256 : shortHash(d.sha256)}
                </code>{" "}
                <button
                  type="button"
                  class="link-button"
                  id={`show-hash-${d.id}`}
                  aria-controls={`hash-${d.id}`}
                  aria-expanded={shownHash[d.id] ? "true" : "false"}
                  onClick={() => setShownHash((s) => ({ ...s, [d.id]: !s[d.id] }))}
                >
                  {shownHash[d.id] ? "Shorten" : "Show in full"}
                  <span class="visually-hidden"> the SHA-256 of {d.file_name}</span>
                </button>
              </p>
              {d.voided_at && (
                <p class="doc__void">
                  Voided <time dateTime={d.voided_at}>{formatInstant(d.voided_at)}</time>
                  {d.void_reason && <>: {d.void_reason}</>}
                </p>
              )}
              <div class="actions">
                <a class="button button--secondary button--small" href={documentContentHref(d.id)} download={d.file_name} id={`download-${d.id}`}>
                  Download<span class="visually-hidden"> {d.file_name}</span>
                </a>
                {voidable && !d.voided_at && (
                  <button
                    type="button"
                    class="button button--secondary button--small"
                    id={`void-document-${d.id}`}
                    onClick={() => {
                      setVoidProblem(null);
                      setVoiding(d);
                    }}
                  >
                    Void…<span class="visually-hidden"> {d.file_name}</span>
                  </button>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}

      {mayWrite && !loss.voided_at && (
        <div class="upload">
          <div class="field">
            <label for="document-file">Attach a document</label>
            <input
              type="file"
              id="document-file"
              ref={fileInput}
              accept={DOCUMENT_ACCEPT}
              aria-describedby="document-file-hint"
              disabled={upload.state === "sending"}
              onChange={() => upload.state === "failed" && setUpload({ state: "idle" })}
            />
            <p class="hint" id="document-file-hint">
              A receipt, statement or letter: PDF, PNG, JPEG or plain text, up to 25 MB. Stored encrypted.
            </p>
          </div>
          <div class="actions">
            <button
              type="button"
              id="upload-document"
              class="button button--secondary"
              disabled={upload.state === "sending"}
              onClick={() => void send()}
            >
              Upload
            </button>
            {upload.state === "sending" && (
              <>
                <label for="upload-progress" class="visually-hidden">
                  Uploading {upload.name}
                </label>
                <progress id="upload-progress" class="upload__progress" max={100} value={upload.percent} />
                <span class="muted" aria-live="polite">
                  Uploading {upload.name}: {upload.percent}%
                </span>
              </>
            )}
          </div>
          {upload.state === "failed" && (
            <div id="upload-problem">
              <ProblemAlert problem={upload.problem} />
            </div>
          )}
        </div>
      )}

      {voiding && (
        <VoidDialog
          id="void-document"
          title={`Void ${voiding.file_name}?`}
          busy={voidBusy}
          problem={voidProblem}
          confirmLabel="Void document"
          returnFocus={() => document.getElementById("documents-heading")}
          onConfirm={(r) => void confirmVoid(r)}
          onCancel={() => setVoiding(null)}
        >
          <p>The document stays on record, marked void with your reason; it is never erased.</p>
        </VoidDialog>
      )}
    </section>
  );
}
