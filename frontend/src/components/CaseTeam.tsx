import type { TargetedSubmitEvent } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, toProblem, type Problem, type TeamMember } from "../api/client";
import { roleLabel, useCurrentUser } from "../session";
import { ErrorSummary, FieldError, invalid, sentence, type Failure } from "./FormErrors";
import { ProblemAlert } from "./ProblemAlert";

type Load =
  | { state: "loading" }
  | { state: "ok" }
  | { state: "forbidden" }
  | { state: "error"; problem: Problem };

const byName = (a: { display_name: string }, b: { display_name: string }) =>
  a.display_name.localeCompare(b.display_name);

const sameTeam = (a: TeamMember[], b: TeamMember[]) =>
  a.length === b.length && a.every((m, i) => m.user_id === b[i]?.user_id);

/** The roles that may change a team: administrators and supervisors on any case, advocates on their own. */
const teamEditors = new Set(["admin", "supervisor", "advocate"]);

/**
 * CaseTeam shows who works a case. Those who may change the team (an advocate sees only their own team's
 * cases) change it here; prosecutors and clerks see it read-only.
 */
export function CaseTeam({ caseId }: { caseId: string }) {
  const me = useCurrentUser();
  const mayEdit = me ? teamEditors.has(me.role) : false;
  const [load, setLoad] = useState<Load>({ state: "loading" });
  const [team, setTeam] = useState<TeamMember[]>([]);

  useEffect(() => {
    let live = true;
    setLoad({ state: "loading" });
    api
      .GET("/api/v1/cases/{case_id}/team", { params: { path: { case_id: caseId } } })
      .then(({ data, error, response }) => {
        if (!live) return;
        if (data) {
          setTeam(data.members);
          setLoad({ state: "ok" });
        } else if (response.status === 403) {
          setLoad({ state: "forbidden" });
        } else {
          setLoad({ state: "error", problem: toProblem(error, response) });
        }
      })
      .catch((err: unknown) => live && setLoad({ state: "error", problem: toProblem(err) }));
    return () => {
      live = false;
    };
  }, [caseId]);

  return (
    <section class="section" aria-labelledby="team-heading">
      <h2 id="team-heading">Team</h2>
      {load.state === "loading" && <p class="muted">Loading the team…</p>}
      {load.state === "forbidden" && <p class="muted">Your role cannot see case teams.</p>}
      {load.state === "error" && <ProblemAlert problem={load.problem} />}
      {load.state === "ok" &&
        (mayEdit ? (
          <TeamEditor caseId={caseId} team={team} onSaved={setTeam} />
        ) : (
          <>
            <MemberList members={team} />
            <p class="muted">An advocate on the team, a supervisor or an administrator can change it.</p>
          </>
        ))}
    </section>
  );
}

function MemberList({ members }: { members: TeamMember[] }) {
  if (members.length === 0) return <p>No one is on this case’s team.</p>;
  return (
    <ul class="team-list" id="team-list">
      {members.map((m) => (
        <li key={m.user_id} class="team-list__item">
          <span class="team-list__who">
            <span class="team-list__name">{m.display_name}</span>{" "}
            <span class="muted">· {roleLabel(m.role)}</span>
          </span>
        </li>
      ))}
    </ul>
  );
}

function TeamEditor({
  caseId,
  team,
  onSaved,
}: {
  caseId: string;
  team: TeamMember[];
  onSaved: (members: TeamMember[]) => void;
}) {
  const [draft, setDraft] = useState<TeamMember[]>(team);
  const [users, setUsers] = useState<TeamMember[]>([]);
  const [usersProblem, setUsersProblem] = useState<Problem | null>(null);
  const [choice, setChoice] = useState("");
  const [addError, setAddError] = useState<Failure | null>(null);
  const [saving, setSaving] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [message, setMessage] = useState("");
  const addSelect = useRef<HTMLSelectElement>(null);

  useEffect(() => {
    let live = true;
    api
      .GET("/api/v1/cases/{case_id}/team/candidates", { params: { path: { case_id: caseId } } })
      .then(({ data, error, response }) => {
        if (!live) return;
        if (data) setUsers(data.members);
        else setUsersProblem(toProblem(error, response));
      })
      .catch((err: unknown) => live && setUsersProblem(toProblem(err)));
    return () => {
      live = false;
    };
  }, [caseId]);

  const onTeam = new Set(draft.map((m) => m.user_id));
  const available = users.filter((u) => !onTeam.has(u.user_id)).sort(byName);
  const dirty = !sameTeam(draft, team);

  const add = () => {
    const u = available.find((x) => x.user_id === choice);
    if (!u) {
      setAddError({ title: "", fields: { "team-add": "Choose a person to add." }, other: [] });
      addSelect.current?.focus();
      return;
    }
    setAddError(null);
    setFailure(null);
    setDraft((prev) => [...prev, u]);
    setChoice("");
    setMessage(`${u.display_name} added. Save the team to keep the change.`);
    addSelect.current?.focus();
  };

  const remove = (m: TeamMember) => {
    setFailure(null);
    setDraft((prev) => prev.filter((x) => x.user_id !== m.user_id));
    setMessage(`${m.display_name} removed. Save the team to keep the change.`);
    // The button goes with the row; keep the keyboard in the editor.
    addSelect.current?.focus();
  };

  const discard = () => {
    setDraft(team);
    setFailure(null);
    setAddError(null);
    setMessage("Changes discarded.");
  };

  const save = async (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (saving) return;
    setSaving(true);
    setMessage("");
    const sent = draft;
    try {
      const { data, error, response } = await api.PUT("/api/v1/cases/{case_id}/team", {
        params: { path: { case_id: caseId } },
        body: { members: sent.map((m) => ({ user_id: m.user_id })) },
      });
      if (data) {
        setFailure(null);
        onSaved(data.members);
        setDraft(data.members);
        setMessage("Team saved.");
      } else {
        setFailure(teamFailure(toProblem(error, response), sent));
      }
    } catch (err) {
      setFailure(teamFailure(toProblem(err), sent));
    }
    setSaving(false);
  };

  return (
    <>
      <p role="status" class="status-message">
        {message}
      </p>
      {usersProblem && (
        <ProblemAlert problem={{ ...usersProblem, title: `Could not load the list of people: ${usersProblem.title}` }} />
      )}
      <form id="team-form" class="panel team-form" noValidate onSubmit={(e) => void save(e)}>
        {failure && <ErrorSummary failure={failure} order={[]} />}
        <p class="muted">Keep at least one advocate or prosecutor on the team, so that someone can work the case.</p>

        {draft.length === 0 ? (
          <p>No one is on this case’s team.</p>
        ) : (
          <ul class="team-list" id="team-list">
            {draft.map((m) => (
              <li key={m.user_id} class="team-list__item">
                <span class="team-list__who">
                  <span class="team-list__name">{m.display_name}</span>{" "}
                  <span class="muted">· {roleLabel(m.role)}</span>
                  <span class="team-list__email">{m.email}</span>
                </span>
                <button
                  type="button"
                  id={`team-remove-${m.user_id}`}
                  class="button button--secondary button--small"
                  disabled={saving}
                  onClick={() => remove(m)}
                >
                  Remove<span class="visually-hidden"> {m.display_name}</span>
                </button>
              </li>
            ))}
          </ul>
        )}

        <div class="field team-add">
          <label for="team-add">Add a person</label>
          <div class="inline-control">
            <select
              id="team-add"
              ref={addSelect}
              value={choice}
              disabled={saving}
              onChange={(e) => {
                setChoice(e.currentTarget.value);
                setAddError(null);
              }}
              {...invalid("team-add", addError)}
            >
              <option value="">{users.length === 0 && !usersProblem ? "Loading people…" : "Choose a person"}</option>
              {available.map((u) => (
                <option key={u.user_id} value={u.user_id}>
                  {u.display_name} · {roleLabel(u.role)} ({u.email})
                </option>
              ))}
            </select>
            <button
              type="button"
              id="team-add-button"
              class="button button--secondary"
              disabled={saving}
              onClick={add}
            >
              Add
            </button>
          </div>
          <FieldError id="team-add" failure={addError} />
        </div>

        <div class="form-actions">
          <button type="submit" id="save-team" class="button" disabled={saving}>
            Save team
          </button>
          {dirty && (
            <button type="button" id="discard-team" class="button button--secondary" disabled={saving} onClick={discard}>
              Discard changes
            </button>
          )}
          <span class="muted" role="status">
            {saving ? "Saving…" : dirty ? "Unsaved changes." : ""}
          </span>
        </div>
      </form>
    </>
  );
}

/** teamFailure names the people behind the server's "members.N.user_id" errors. */
function teamFailure(p: Problem, sent: TeamMember[]): Failure {
  const other: string[] = [];
  for (const [key, message] of Object.entries(p.errors ?? {})) {
    if (!message) continue;
    const m = /^members\.(\d+)(?:\.user_id)?$/.exec(key);
    const who = m ? sent[Number(m[1])] : undefined;
    other.push(who ? sentence(who.display_name, message) : sentence(key === "members" ? "The team" : key, message));
  }
  return { title: p.title, detail: p.detail, fields: {}, other, requestId: p.request_id || undefined };
}
