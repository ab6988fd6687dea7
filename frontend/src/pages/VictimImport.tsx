import type { TargetedSubmitEvent } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, toProblem, type Case, type Problem } from "../api/client";
import { ErrorSummary, FieldError, failureFrom, invalid, type Failure } from "../components/FormErrors";
import { CaseNotFound } from "../components/CaseNotFound";
import { ProblemAlert } from "../components/ProblemAlert";
import { formatInstant, setTitle } from "../format";
import {
  IMPORT_COLUMNS,
  MAX_IMPORT_BYTES,
  canImportVictims,
  errorReportHref,
  failureText,
  finished,
  importHref,
  importStage,
  importStatusLabel,
  newIdempotencyKey,
  templateCsv,
  uploadVictimList,
  type VictimImport,
  type VictimImportSummary,
} from "../imports";
import { formatBytes } from "../money";
import { Link, navigate } from "../router";
import { useCurrentUser } from "../session";
import { caseHref } from "./case/tabs";
import { NotAllowed } from "./NotAllowed";

/** How often a running import is asked how far it got. */
const POLL_MS = 500;

const count = (n: number): string => n.toLocaleString("en-US");
const plural = (n: number, one: string, many: string): string => `${count(n)} ${n === 1 ? one : many}`;

type Load = { state: "loading" } | { state: "ok"; kase: Case } | { state: "not-found" } | { state: "error"; problem: Problem };

/**
 * VictimImportPage imports a breach notification list into a case: without importId it takes a CSV file and
 * starts its import; with one it follows that import to its end, live, and shows what it found. Under both,
 * the case's earlier imports.
 */
export function VictimImportPage({ caseId, importId }: { caseId: string; importId?: string }) {
  const me = useCurrentUser();
  const [load, setLoad] = useState<Load>({ state: "loading" });
  // Counts the stages the followed import has gone through, so that the list of imports shows it as it is.
  const [stages, setStages] = useState(0);

  useEffect(() => {
    const ctrl = new AbortController();
    (async () => {
      try {
        const { data, error, response } = await api.GET("/api/v1/cases/{case_id}", {
          params: { path: { case_id: caseId } },
          signal: ctrl.signal,
        });
        if (data) setLoad({ state: "ok", kase: data });
        else if (response.status === 404 || response.status === 400) setLoad({ state: "not-found" });
        else setLoad({ state: "error", problem: toProblem(error, response) });
      } catch (err) {
        if (!ctrl.signal.aborted) setLoad({ state: "error", problem: toProblem(err) });
      }
    })();
    return () => ctrl.abort();
  }, [caseId]);

  useEffect(() => {
    setTitle(load.state === "ok" ? `Import a list of victims · ${load.kase.caption}` : "Import a list of victims");
  }, [load]);

  if (!canImportVictims(me?.role)) return <NotAllowed />;
  if (load.state === "not-found") {
    return <CaseNotFound />;
  }
  return (
    <div class="medium">
      <p class="back">
        <Link href={caseHref(caseId, "victims")}>Back to the case’s victims</Link>
      </p>
      <div class="page-head">
        <h1>Import a list of victims</h1>
        {load.state === "ok" && (
          <p class="page-head__sub muted">
            {load.kase.caption} · {load.kase.court_case_number}
          </p>
        )}
      </div>
      {load.state === "error" && <ProblemAlert problem={load.problem} />}
      {importId ? (
        <ImportProgress key={importId} caseId={caseId} importId={importId} onStage={() => setStages((n) => n + 1)} />
      ) : (
        <ImportForm caseId={caseId} />
      )}
      <RecentImports caseId={caseId} current={importId} reload={stages} />
    </div>
  );
}

type Upload = { state: "idle" } | { state: "sending"; percent: number };

/** ImportForm takes the CSV file and uploads it, with progress; the import itself then runs on the server. */
function ImportForm({ caseId }: { caseId: string }) {
  const [file, setFile] = useState<File | null>(null);
  const [upload, setUpload] = useState<Upload>({ state: "idle" });
  const [failure, setFailure] = useState<Failure | null>(null);
  const key = useRef("");
  const template = useMemo(() => URL.createObjectURL(new Blob([templateCsv()], { type: "text/csv" })), []);
  useEffect(() => () => URL.revokeObjectURL(template), [template]);

  const refuse = (message: string) =>
    setFailure({ title: "The list cannot be imported", fields: { "import-file": message }, other: [] });

  const onSubmit = async (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (upload.state === "sending") return;
    if (!file) return refuse("Choose the CSV file of the list to import.");
    if (file.size === 0) return refuse(`${file.name} is empty.`);
    if (file.size > MAX_IMPORT_BYTES) {
      return refuse(`${file.name} is ${formatBytes(file.size)}; a list may be at most 64 MB. Split it into several files.`);
    }
    setFailure(null);
    setUpload({ state: "sending", percent: 0 });
    const result = await uploadVictimList(caseId, file, key.current, (f) =>
      setUpload((u) => (u.state === "sending" ? { state: "sending", percent: Math.round(f * 100) } : u)),
    );
    if (result.ok) {
      navigate(importHref(caseId, result.import.id));
      return;
    }
    setUpload({ state: "idle" });
    setFailure(failureFrom(result.problem, { file: { id: "import-file", label: "The file" } }));
  };

  return (
    <section aria-labelledby="list-heading">
      <h2 id="list-heading">The list</h2>
      <p>
        A CSV file with a header row naming its columns, then one row per victim, such as the notification list a
        breached organisation sends. From a spreadsheet, save it as “CSV UTF-8”.
      </p>
      <p>
        Every row is checked before anything is imported. If any row has a problem, nothing is imported, and you get the
        list of every problem, by line and column, to fix before you import the corrected file.
      </p>
      <details class="import-columns" id="import-columns">
        <summary>The columns</summary>
        <p>
          <strong>kind</strong> and <strong>name</strong> are required; the rest may be left out or empty. Column names
          may be in any order and any letter case.
        </p>
        <table class="data-table">
          <caption class="visually-hidden">Columns of a victim list</caption>
          <thead>
            <tr>
              <th scope="col">Column</th>
              <th scope="col">What it holds</th>
            </tr>
          </thead>
          <tbody>
            {IMPORT_COLUMNS.map((c) => (
              <tr key={c.name}>
                <td data-label="Column">
                  <code>{c.name}</code>
                  {c.required && <span class="pill pill--warn pill--inline">Required</span>}
                </td>
                <td data-label="What it holds">{c.what}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
      <p>
        <a href={template} download="victim-list-template.csv" id="download-template">
          Download a template (CSV)
        </a>
      </p>

      {failure && <ErrorSummary failure={failure} order={["import-file"]} />}
      <form class="upload" onSubmit={(e) => void onSubmit(e)} noValidate>
        <div class="field">
          <label for="import-file">CSV file</label>
          <input
            type="file"
            id="import-file"
            accept=".csv,text/csv"
            disabled={upload.state === "sending"}
            {...invalid("import-file", failure, "import-file-hint")}
            onChange={(e) => {
              setFile(e.currentTarget.files?.[0] ?? null);
              // A new file is a new upload; sending this one again (a retry) keeps its key.
              key.current = newIdempotencyKey();
              setFailure(null);
            }}
          />
          <p class="hint" id="import-file-hint">
            Up to 64 MB and 250,000 rows. It is stored encrypted while it imports, then deleted.
          </p>
          <FieldError id="import-file" failure={failure} />
        </div>
        <div class="actions">
          <button type="submit" id="start-import" class="button" disabled={upload.state === "sending"}>
            Import
          </button>
          {upload.state === "sending" && (
            <>
              <progress id="upload-progress" class="upload__progress" max={100} value={upload.percent} aria-labelledby="upload-status" />
              <span class="muted" id="upload-status">
                Uploading {file?.name}: {upload.percent}%
              </span>
            </>
          )}
        </div>
      </form>
    </section>
  );
}

/**
 * ImportProgress follows an import until it ends: a live progress bar, then what it imported or found. onStage
 * hears every change of its status.
 */
function ImportProgress({ caseId, importId, onStage }: { caseId: string; importId: string; onStage: () => void }) {
  const [imp, setImp] = useState<VictimImport | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [notFound, setNotFound] = useState(false);
  const [announce, setAnnounce] = useState("");
  const result = useRef<HTMLHeadingElement>(null);
  const watched = useRef(false);

  useEffect(() => {
    const ctrl = new AbortController();
    let timer: number | undefined;
    let failures = 0;
    let lastStatus = "";
    const tick = async () => {
      try {
        const { data, error, response } = await api.GET("/api/v1/victim-imports/{import_id}", {
          params: { path: { import_id: importId } },
          signal: ctrl.signal,
        });
        if (ctrl.signal.aborted) return;
        if (response.status === 404 || response.status === 400) {
          setNotFound(true);
          return;
        }
        if (!data) {
          setProblem(toProblem(error, response));
          failures++;
        } else {
          failures = 0;
          setProblem(null);
          setImp(data);
          if (data.status !== lastStatus) {
            // Say it once per stage, not on every poll: the bar itself carries the count.
            if (lastStatus || finished(data)) setAnnounce(importStage(data));
            if (lastStatus) onStage();
            lastStatus = data.status;
          }
          if (finished(data)) return;
          watched.current = true;
        }
      } catch (err) {
        if (ctrl.signal.aborted) return;
        setProblem(toProblem(err));
        failures++;
      }
      // Keep asking through a passing outage, more slowly.
      timer = window.setTimeout(() => void tick(), Math.min(POLL_MS * 2 ** failures, 8000));
    };
    void tick();
    return () => {
      ctrl.abort();
      window.clearTimeout(timer);
    };
  }, [importId]);

  // When an import ends while someone watches it, the keyboard goes to what it found.
  useEffect(() => {
    if (imp && finished(imp) && watched.current) result.current?.focus();
  }, [imp?.status]);

  if (notFound) {
    return (
      <div class="callout" id="import-not-found">
        <p>There is no import at this address, or you may not see it.</p>
      </div>
    );
  }
  const live = (
    <p role="status" class="visually-hidden" id="import-announce">
      {announce}
    </p>
  );
  if (!imp) {
    return (
      <>
        {live}
        {problem ? <ProblemAlert problem={problem} /> : <p class="muted">Loading the import…</p>}
      </>
    );
  }
  const uploaded = (
    <p class="muted" id="import-file-info">
      {formatBytes(imp.file_size_bytes)} uploaded <time dateTime={imp.created_at}>{formatInstant(imp.created_at)}</time>
      {imp.source === "command_line" && " from the command line"}.
    </p>
  );

  if (!finished(imp)) {
    const total = Math.max(imp.rows_total, imp.rows_done, 1);
    return (
      <section aria-labelledby="progress-heading" id="import-running">
        {live}
        <h2 id="progress-heading">Importing</h2>
        {uploaded}
        <p id="import-stage" class="import-stage">
          {importStage(imp)}
        </p>
        <progress id="import-progress" class="import-progress" max={total} value={imp.rows_done} aria-labelledby="import-stage" aria-describedby="import-count" />
        <p id="import-count" class="muted">
          {count(imp.rows_done)} of {plural(imp.rows_total, "row", "rows")}
        </p>
        {problem && <ProblemAlert problem={problem} />}
        <p class="hint">
          You can leave this page: the import carries on, and you can come back to it from this case’s imports below.
          Until every row is in, none of them appears in the case.
        </p>
      </section>
    );
  }

  if (imp.status === "succeeded") {
    return (
      <section aria-labelledby="result-heading" id="import-succeeded">
        {live}
        <h2 id="result-heading" tabIndex={-1} ref={result}>
          Imported
        </h2>
        <p class="status-message" id="import-result">
          Imported {plural(imp.created, "victim", "victims")} and {plural(imp.losses_created, "loss", "losses")}.
        </p>
        {uploaded}
        <div class="actions">
          <Link href={caseHref(caseId, "victims")} id="see-victims" class="button">
            See the victims
          </Link>
          <Link href={importHref(caseId)} id="import-another" class="button button--secondary">
            Import another list
          </Link>
        </div>
      </section>
    );
  }

  const notTheFile = failureText(imp);
  const more = imp.error_count - imp.errors.length;
  return (
    <section aria-labelledby="result-heading" id="import-failed">
      {live}
      <h2 id="result-heading" tabIndex={-1} ref={result}>
        Nothing was imported
      </h2>
      <div class="alert" id="import-result">
        {notTheFile ? (
          <p>{notTheFile}</p>
        ) : (
          <p>
            The file has {plural(imp.error_count, "problem", "problems")}. No victim from it was imported. Fix{" "}
            {imp.error_count === 1 ? "it" : "them"} in the file, then import the corrected file.
          </p>
        )}
        <p class="alert__ref">Reference: {imp.id}</p>
      </div>
      {uploaded}
      {imp.error_count > 0 && (
        <>
          <div class="actions">
            <a class="button button--secondary" href={errorReportHref(imp.id)} download id="download-errors">
              Download the error report (CSV)
            </a>
            <Link href={importHref(caseId)} id="import-again" class="button">
              Import a corrected file
            </Link>
          </div>
          <table class="data-table" id="import-errors">
            <caption class="data-table__caption">
              {more > 0
                ? `The first ${count(imp.errors.length)} problems of ${count(imp.error_count)}; the error report has them all`
                : "Problems, in the order of the file"}
            </caption>
            <thead>
              <tr>
                <th scope="col">Line</th>
                <th scope="col">Column</th>
                <th scope="col">Problem</th>
              </tr>
            </thead>
            <tbody>
              {imp.errors.map((e, i) => (
                <tr key={i}>
                  <td data-label="Line">{count(e.line)}</td>
                  <td data-label="Column">{e.column ? <code class="breakable">{e.column}</code> : <span class="muted">the whole line</span>}</td>
                  <td data-label="Problem">{e.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {imp.error_count === 0 && (
        <p>
          <Link href={importHref(caseId)} id="import-again" class="button">
            Import the file again
          </Link>
        </p>
      )}
    </section>
  );
}

/** RecentImports lists the case's imports, newest first, each leading to its own page. */
function RecentImports({ caseId, current, reload }: { caseId: string; current?: string; reload: number }) {
  const [items, setItems] = useState<VictimImportSummary[] | null>(null);

  useEffect(() => {
    const ctrl = new AbortController();
    (async () => {
      try {
        const { data } = await api.GET("/api/v1/cases/{case_id}/victim-imports", {
          params: { path: { case_id: caseId }, query: { limit: 10 } },
          signal: ctrl.signal,
        });
        if (data) setItems(data.items);
      } catch {
        // The list is a convenience; the page works without it.
      }
    })();
    return () => ctrl.abort();
  }, [caseId, current, reload]);

  if (!items || items.length === 0) return null;
  return (
    <section aria-labelledby="recent-heading" class="section--tight">
      <h2 id="recent-heading">This case’s imports</h2>
      <table class="data-table" id="recent-imports">
        <caption class="visually-hidden">Imports of victim lists into this case, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Started</th>
            <th scope="col">Status</th>
            <th scope="col">Rows</th>
            <th scope="col">Victims imported</th>
            <th scope="col">Problems</th>
          </tr>
        </thead>
        <tbody>
          {items.map((imp) => (
            <tr key={imp.id}>
              <td data-label="Started">
                <Link href={importHref(caseId, imp.id)} aria-current={imp.id === current ? "page" : undefined}>
                  <time dateTime={imp.created_at}>{formatInstant(imp.created_at)}</time>
                </Link>
              </td>
              <td data-label="Status">
                <span class={`pill pill--import-${imp.status}`}>{importStatusLabel(imp)}</span>
              </td>
              <td data-label="Rows">{count(imp.rows_total)}</td>
              <td data-label="Victims imported">{count(imp.created)}</td>
              <td data-label="Problems">{count(imp.error_count)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
