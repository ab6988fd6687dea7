import { useEffect, useState } from "preact/hooks";
import { api, toProblem, type Problem, type Statement, type StatementRevision } from "../api/client";
import { ListStatus, LoadMore, usePagedList } from "../components/PagedList";
import { ProblemAlert } from "../components/ProblemAlert";
import { StatementBadge } from "../components/StatementBadge";
import { StatementTextView } from "../components/StatementTextView";
import { formatInstant, setTitle } from "../format";
import { Link } from "../router";
import { useCurrentUser } from "../session";
import { statementHref, valuesOf } from "../statements";

type Load = { state: "loading" } | { state: "ok"; statement: Statement } | { state: "not-found" } | { state: "error"; problem: Problem };

/**
 * StatementHistory lists a statement's revisions, newest first, a page at a time: each with its number, the
 * status it gave the statement, who saved it and when (in the viewer's time), and its text on request, read-only.
 */
export function StatementHistory({ id }: { id: string }) {
  const me = useCurrentUser();
  const [load, setLoad] = useState<Load>({ state: "loading" });
  const [names, setNames] = useState<Record<string, string>>({});
  const [open, setOpen] = useState<Record<number, boolean>>({});

  useEffect(() => {
    let live = true;
    api
      .GET("/api/v1/statements/{statement_id}", { params: { path: { statement_id: id } } })
      .then(({ data, error, response }) => {
        if (!live) return;
        if (data) setLoad({ state: "ok", statement: data });
        else if (response.status === 404 || response.status === 400 || response.status === 403) setLoad({ state: "not-found" });
        else setLoad({ state: "error", problem: toProblem(error, response) });
      })
      .catch((err: unknown) => live && setLoad({ state: "error", problem: toProblem(err) }));
    return () => {
      live = false;
    };
  }, [id]);

  // Who saved a revision is a staff account: the case team names those on it; without it, a short ID.
  const caseId = load.state === "ok" ? load.statement.case_id : "";
  useEffect(() => {
    if (!caseId) return;
    let live = true;
    api
      .GET("/api/v1/cases/{case_id}/team", { params: { path: { case_id: caseId } } })
      .then(({ data }) => {
        if (!live || !data) return;
        setNames(Object.fromEntries(data.members.map((m) => [m.user_id, m.display_name])));
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [caseId]);

  useEffect(() => setTitle(load.state === "not-found" ? "Statement not found" : "Statement revision history"), [load.state]);

  const list = usePagedList<StatementRevision>(
    (after, signal) =>
      api.GET("/api/v1/statements/{statement_id}/revisions", {
        params: { path: { statement_id: id }, query: { cursor: after } },
        signal,
      }),
    [id],
  );

  if (load.state === "not-found") {
    return (
      <>
        <h1>Statement not found</h1>
        <p>There is no statement at this address, or you may not see it.</p>
        <p>
          <Link href="/">Back to cases</Link>
        </p>
      </>
    );
  }

  const who = (by: string | null): string => {
    if (!by) return "the system";
    if (me && by === me.id) return `${me.display_name} (you)`;
    return names[by] ?? `Staff account ${by.slice(0, 8)}`;
  };
  const final = load.state === "ok" ? load.statement.final_revision : null;

  return (
    <div class="narrow">
      <p class="back">
        <Link href={statementHref(id)}>Back to the statement</Link>
      </p>
      <h1>Revision history</h1>
      <p class="lead">
        Every save of the impact statement is kept as a revision, newest first. Revisions never change.
        {final ? ` Revision ${final} is the final version, the one exhibits use.` : ""}
      </p>
      {load.state === "error" && <ProblemAlert problem={load.problem} />}
      <ListStatus
        list={list}
        one="revision"
        many="revisions"
        emptyTitle="No revisions."
        emptyHint="This statement has no saved revisions."
      />
      {list.items.length > 0 && (
        <ol class="card-list" id="revisions-list" reversed>
          {list.items.map((r) => {
            const shown = !!open[r.number];
            const textId = `revision-${r.number}-text`;
            return (
              <li class="card" key={r.number} id={`revision-${r.number}`}>
                <div class="card__head">
                  <p class="card__title">
                    Revision {r.number}
                    {final === r.number && <span class="pill pill--inline pill--success">Used for exhibits</span>}
                  </p>
                  <StatementBadge status={r.status} />
                </div>
                <p class="card__meta">
                  Saved by {who(r.created_by)} · <time dateTime={r.created_at}>{formatInstant(r.created_at)}</time>
                </p>
                <button
                  type="button"
                  id={`show-revision-${r.number}`}
                  class="button button--secondary button--small"
                  aria-expanded={shown ? "true" : "false"}
                  aria-controls={textId}
                  onClick={() => setOpen({ ...open, [r.number]: !shown })}
                >
                  {shown ? "Hide the text" : "Show the text"}
                  <span class="visually-hidden"> of revision {r.number}</span>
                </button>
                <div id={textId} class="revision-text" hidden={!shown}>
                  {shown && <StatementTextView values={valuesOf(r)} />}
                </div>
              </li>
            );
          })}
        </ol>
      )}
      {list.cursor && !list.loading && <LoadMore id="more-revisions" busy={list.loadingMore} onClick={list.loadMore} />}
    </div>
  );
}
