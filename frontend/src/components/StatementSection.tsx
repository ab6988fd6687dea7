import { useState } from "preact/hooks";
import { api, toProblem, type Problem, type Victim } from "../api/client";
import { setFlash } from "../flash";
import { formatInstant } from "../format";
import { Link, navigate } from "../router";
import { useCurrentUser } from "../session";
import { STATEMENT_LANGUAGES, canReadStatements, canWriteStatements, statementHref } from "../statements";
import { ListStatus, LoadMore, usePagedList } from "./PagedList";
import { ProblemAlert } from "./ProblemAlert";
import { StatementBadge } from "./StatementBadge";

/**
 * StatementSection is the "Impact statement" section of a victim's page: the victim's statements (usually one),
 * each with its status, revision and last change, and "Start a statement" for those who write them. Clerks never
 * see statements: for them the section is not there at all, and nothing is asked of the server.
 */
export function StatementSection({ victim }: { victim: Victim }) {
  const me = useCurrentUser();
  if (!me || !canReadStatements(me.role) || victim.view === "clerk") return null;
  return <Statements victim={victim} mayWrite={canWriteStatements(me.role) && victim.view === "full"} />;
}

function Statements({ victim, mayWrite }: { victim: Victim; mayWrite: boolean }) {
  const [forbidden, setForbidden] = useState(false);
  const [starting, setStarting] = useState(false);
  const [startProblem, setStartProblem] = useState<Problem | null>(null);
  const list = usePagedList(
    (after, signal) =>
      api.GET("/api/v1/victims/{victim_id}/statements", {
        params: { path: { victim_id: victim.id }, query: { cursor: after } },
        signal,
      }),
    [victim.id],
    () => setForbidden(true),
  );

  // The server has the last word: whoever it refuses statements to does not see the section either.
  if (forbidden) return null;

  const start = async () => {
    setStarting(true);
    setStartProblem(null);
    // A statement is usually given in the language the victim prefers.
    const preferred = victim.preferred_language;
    const language = preferred && STATEMENT_LANGUAGES.some((l) => l.value === preferred) ? preferred : undefined;
    try {
      const { data, error, response } = await api.POST("/api/v1/victims/{victim_id}/statements", {
        params: { path: { victim_id: victim.id } },
        body: language ? { language } : {},
      });
      if (data) {
        setFlash(statementHref(data.id), "Statement started. What you type is kept in this tab until you save it.");
        navigate(statementHref(data.id));
        return;
      }
      setStartProblem(toProblem(error, response));
    } catch (err) {
      setStartProblem(toProblem(err));
    }
    setStarting(false);
  };

  return (
    <section class="section" aria-labelledby="statement-heading" id="statement-section">
      <div class="section-head">
        <h2 id="statement-heading">Impact statement</h2>
        {mayWrite && (
          <button type="button" id="start-statement" class="button" disabled={starting} onClick={() => void start()}>
            {list.items.length > 0 ? "Start another statement" : "Start a statement"}
          </button>
        )}
      </div>
      {startProblem && <ProblemAlert problem={startProblem} />}
      <ListStatus
        list={list}
        one="statement"
        many="statements"
        emptyTitle="No impact statement yet."
        emptyHint={
          mayWrite
            ? "Start one with “Start a statement”: the victim’s words, section by section, saved as revisions."
            : "None has been started for this victim."
        }
      />
      {list.items.length > 0 && (
        <ul class="card-list" id="statements-list">
          {list.items.map((s) => (
            <li class="card" key={s.id}>
              <div class="card__head">
                <p class="card__title">
                  <Link href={statementHref(s.id)} class="statement-link" id={`statement-link-${s.id}`}>
                    {mayWrite ? "Open the statement" : "Read the statement"}
                    <span class="visually-hidden">, revision {s.revision}</span>
                  </Link>
                </p>
                <StatementBadge status={s.status} />
              </div>
              <p class="card__meta">
                Revision {s.revision} · last updated <time dateTime={s.updated_at}>{formatInstant(s.updated_at)}</time>
                {s.final && s.status !== "final" && <> · final version: revision {s.final.number}</>}
              </p>
            </li>
          ))}
        </ul>
      )}
      {list.cursor && !list.loading && <LoadMore id="more-statements" busy={list.loadingMore} onClick={list.loadMore} />}
    </section>
  );
}
