import type { ComponentChildren, JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, toProblem, type Case, type Problem, type Victim } from "../api/client";
import { failureFrom, staleFailure, type Failure } from "../components/FormErrors";
import { ProblemAlert } from "../components/ProblemAlert";
import { LossesSection } from "../components/Losses";
import { RestitutionSection } from "../components/restitution/VictimRestitutionSection";
import { StatementSection } from "../components/StatementSection";
import {
  DuplicateAlert,
  VictimForm,
  updatePatch,
  victimFailure,
  victimToForm,
  type VictimFormValues,
} from "../components/VictimForm";
import { takeFlash } from "../flash";
import { formatDate, formatInstant, setTitle } from "../format";
import {
  canEditVictims,
  channelLabel,
  etagOf,
  heardByLabel,
  languageLabel,
  victimKindLabel,
  victimStatusLabel,
} from "../intake";
import { Link } from "../router";
import { useCurrentUser } from "../session";
import { caseHref } from "./case/tabs";
import { victimHref } from "./case/VictimsTab";

type Load = { state: "loading" } | { state: "ok" } | { state: "not-found" } | { state: "error"; problem: Problem };

type Reveal = { state: "hidden" } | { state: "loading" } | { state: "shown"; ssn: string } | { state: "error"; problem: Problem };

/**
 * The sections under a victim's details, in order: the impact statement, the losses with their documents, then
 * restitution ordered and paid. Each gets the victim, in the caller's view, and decides for itself what the
 * caller's role may see or do.
 */
const VICTIM_SECTIONS: ReadonlyArray<(props: { victim: Victim }) => JSX.Element | null> = [
  StatementSection,
  LossesSection,
  RestitutionSection,
];

const STALE = "Someone else changed this victim since you opened it. Reload to see their changes, then make yours again.";

/** VictimDetail is one victim's page, in the view the caller's role gets, with the SSN reveal and editing. */
export function VictimDetail({ id }: { id: string }) {
  const me = useCurrentUser();
  const [load, setLoad] = useState<Load>({ state: "loading" });
  const [victim, setVictim] = useState<Victim | null>(null);
  const [etag, setEtag] = useState<string | null>(null);
  const [kase, setKase] = useState<Case | null>(null);
  const [reveal, setReveal] = useState<Reveal>({ state: "hidden" });
  const [editing, setEditing] = useState(false);
  const [saving, setSaving] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [stale, setStale] = useState(false);
  const [duplicate, setDuplicate] = useState<{ problem: Problem; id: string } | null>(null);
  const [message, setMessage] = useState(() => takeFlash(victimHref(id)));
  const editButton = useRef<HTMLButtonElement>(null);
  const focusEdit = useRef(false);

  const fetchVictim = async () => {
    setLoad({ state: "loading" });
    try {
      const { data, error, response } = await api.GET("/api/v1/victims/{victim_id}", {
        params: { path: { victim_id: id } },
      });
      if (data) {
        setVictim(data);
        setEtag(etagOf(response));
        setLoad({ state: "ok" });
      } else if (response.status === 404 || response.status === 400) {
        setLoad({ state: "not-found" });
      } else {
        setLoad({ state: "error", problem: toProblem(error, response) });
      }
    } catch (err) {
      setLoad({ state: "error", problem: toProblem(err) });
    }
  };

  useEffect(() => {
    void fetchVictim();
  }, [id]);

  // The case names where this victim belongs; without it the page still works.
  useEffect(() => {
    if (!victim || kase?.id === victim.case_id) return;
    let live = true;
    api
      .GET("/api/v1/cases/{case_id}", { params: { path: { case_id: victim.case_id } } })
      .then(({ data }) => live && data && setKase(data))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [victim?.case_id]);

  useEffect(() => {
    if (load.state === "not-found") setTitle("Victim not found");
    else setTitle(victim ? victim.name : "Victim");
  }, [load.state, victim?.name]);

  useEffect(() => {
    if (editing) return;
    if (focusEdit.current) {
      focusEdit.current = false;
      editButton.current?.focus();
    }
  }, [editing]);

  const revealSsn = async () => {
    setReveal({ state: "loading" });
    try {
      const { data, error, response } = await api.GET("/api/v1/victims/{victim_id}", {
        params: { path: { victim_id: id }, query: { reveal: "ssn" } },
      });
      if (data?.ssn) setReveal({ state: "shown", ssn: data.ssn });
      else setReveal({ state: "error", problem: toProblem(error, response) });
    } catch (err) {
      setReveal({ state: "error", problem: toProblem(err) });
    }
  };

  const hideSsn = () => {
    setReveal({ state: "hidden" });
    window.setTimeout(() => document.getElementById("reveal-ssn")?.focus(), 0);
  };

  const startEditing = () => {
    setReveal({ state: "hidden" });
    setMessage("");
    setFailure(null);
    setStale(false);
    setDuplicate(null);
    setEditing(true);
  };

  const stopEditing = (msg = "") => {
    focusEdit.current = true;
    setFailure(null);
    setStale(false);
    setDuplicate(null);
    setEditing(false);
    setMessage(msg);
  };

  const reload = async () => {
    focusEdit.current = true;
    setEditing(false);
    setFailure(null);
    setStale(false);
    await fetchVictim();
    setMessage("Reloaded.");
  };

  const save = async (v: VictimFormValues) => {
    if (!victim) return;
    const patch = updatePatch(victim, v);
    if (Object.keys(patch).length === 0) {
      stopEditing("No changes to save.");
      return;
    }
    setSaving(true);
    setStale(false);
    setDuplicate(null);
    try {
      const { data, error, response } = await api.PATCH("/api/v1/victims/{victim_id}", {
        params: { path: { victim_id: victim.id }, header: { "If-Match": etag ?? "" } },
        headers: { "Content-Type": "application/merge-patch+json" },
        body: patch,
      });
      if (data) {
        setVictim(data);
        setEtag(etagOf(response));
        stopEditing("Saved.");
      } else {
        const problem = toProblem(error, response);
        if (response.status === 412) {
          setStale(true);
          setFailure(staleFailure("This victim has changed", STALE, problem));
        } else if (response.status === 409 && problem.existing_id) {
          setFailure(null);
          setDuplicate({ problem, id: problem.existing_id });
        } else {
          setFailure(response.status === 422 ? victimFailure(problem) : failureFrom(problem, {}));
        }
      }
    } catch (err) {
      setFailure(failureFrom(toProblem(err), {}));
    }
    setSaving(false);
  };

  if (load.state === "not-found") {
    return (
      <>
        <h1>Victim not found</h1>
        <p>There is no victim at this address, or you may not see it.</p>
        <p>
          <Link href="/">Back to cases</Link>
        </p>
      </>
    );
  }

  if (!victim) {
    return (
      <>
        <h1>{load.state === "loading" ? "Loading victim…" : "Victim"}</h1>
        {load.state === "error" && <ProblemAlert problem={load.problem} />}
      </>
    );
  }

  const full = victim.view === "full";
  const mayEdit = full && canEditVictims(me?.role);

  return (
    <div class="medium">
      <p class="back">
        <Link href={caseHref(victim.case_id, "victims")}>Back to victims</Link>
      </p>
      <div class="page-head">
        <div class="page-head__title">
          <h1>{victim.name}</h1>
          <p class="page-head__sub muted">
            {victimKindLabel(victim.kind)} victim
            {kase && (
              <>
                {" "}
                in <Link href={caseHref(kase.id)}>{kase.caption}</Link>
              </>
            )}
          </p>
        </div>
        {mayEdit && !editing && (
          <button type="button" id="edit-victim" class="button" ref={editButton} onClick={startEditing}>
            Edit<span class="visually-hidden"> {victim.name}</span>
          </button>
        )}
      </div>

      <p role="status" class="status-message">
        {message}
      </p>
      {load.state === "error" && <ProblemAlert problem={load.problem} />}
      <ViewNote victim={victim} />

      {editing ? (
        <VictimForm
          initial={victimToForm(victim)}
          editing={true}
          ssnLast4={victim.ssn_last4}
          submitId="save-victim"
          submitLabel="Save changes"
          submitting={saving}
          failure={failure}
          alert={duplicate && <DuplicateAlert problem={duplicate.problem} href={victimHref(duplicate.id)} />}
          notice={
            stale && (
              <p>
                <button type="button" id="reload-victim" class="button button--secondary" onClick={() => void reload()}>
                  Reload
                </button>
              </p>
            )
          }
          onSubmit={(v) => void save(v)}
          onCancel={() => stopEditing()}
        />
      ) : (
        <>
          <VictimDetails
            victim={victim}
            ssn={
              <SsnValue
                last4={victim.ssn_last4}
                mayReveal={mayEdit}
                reveal={reveal}
                onReveal={() => void revealSsn()}
                onHide={hideSsn}
              />
            }
          />
          {VICTIM_SECTIONS.map((Section, i) => (
            <Section key={i} victim={victim} />
          ))}
        </>
      )}
    </div>
  );
}

/** ViewNote says which view of the victim the caller has, when it is not the full one. */
function ViewNote({ victim }: { victim: Victim }) {
  if (victim.view === "rule_49_1") {
    return (
      <div class="callout" id="view-note">
        <p class="callout__title">Rule 49.1 view</p>
        <p>
          As Fed. R. Crim. P. 49.1 requires for prosecutors: the SSN to its last four digits, the birth date to the year,
          a minor’s name to initials and the address to city and state. Phone, email and the advocates’ notes are
          withheld.
        </p>
      </div>
    );
  }
  if (victim.view === "clerk") {
    return (
      <div class="callout" id="view-note">
        <p class="callout__title">Clerk view</p>
        <p>Clerks see a victim’s name and mailing address only.</p>
      </div>
    );
  }
  return null;
}

/** Row is one line of the details list; it is left out when the view does not carry the field. */
function Row({ label, present = true, children }: { label: string; present?: boolean; children: ComponentChildren }) {
  if (!present) return null;
  return (
    <div>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

const none = (text = "Not recorded") => <span class="muted">{text}</span>;
const yesNo = (b: boolean | undefined) => (b ? "Yes" : "No");

function VictimDetails({ victim: v, ssn }: { victim: Victim; ssn: ComponentChildren }) {
  const a = v.mailing_address;
  return (
    <dl class="details" id="victim-details">
      <Row label="Kind">{victimKindLabel(v.kind)}</Row>
      <Row label="Status">
        <span class={`pill pill--victim-${v.status}`}>{victimStatusLabel(v.status)}</span>
      </Row>
      <Row label="Minor" present={v.is_minor !== undefined}>
        {yesNo(v.is_minor)}
      </Row>
      <Row label="Date of birth" present={v.date_of_birth !== undefined}>
        {v.date_of_birth ? <time dateTime={v.date_of_birth}>{formatDate(v.date_of_birth)}</time> : none()}
      </Row>
      <Row label="Birth year" present={v.birth_year !== undefined}>
        {v.birth_year ?? none()}
      </Row>
      <Row label="SSN" present={v.ssn_last4 !== undefined}>
        {ssn}
      </Row>
      <Row label="Email" present={v.email !== undefined}>
        {v.email ? <span class="breakable">{v.email}</span> : none()}
      </Row>
      <Row label="Phone" present={v.phone !== undefined}>
        {v.phone ?? none()}
      </Row>
      <Row label={v.address_confidential ? "Substitute address" : "Mailing address"} present={a !== undefined}>
        {a ? (
          <address class="address" id="victim-address">
            {a.line1 && (
              <>
                {a.line1}
                <br />
              </>
            )}
            {a.line2 && (
              <>
                {a.line2}
                <br />
              </>
            )}
            {a.city}, {a.state}
            {a.postal_code && ` ${a.postal_code}`}
          </address>
        ) : (
          none()
        )}
      </Row>
      <Row label="Address confidentiality" present={v.address_confidential !== undefined}>
        {v.address_confidential ? "In a program: the address above is the program’s substitute address" : "No"}
      </Row>
      <Row label="Preferred language" present={v.preferred_language !== undefined}>
        {languageLabel(v.preferred_language ?? "")}
        {v.interpreter_needed && " · needs an interpreter"}
      </Row>
      <Row label="Wants to be heard" present={v.wants_to_be_heard !== undefined}>
        {heardByLabel(v.wants_to_be_heard ?? "")}
      </Row>
      <Row label="Notify by" present={v.notification_channels !== undefined}>
        {v.notification_channels?.length ? v.notification_channels.map(channelLabel).join(", ") : none("No notifications")}
      </Row>
      <Row label="Notes" present={v.notes !== undefined}>
        <span class="notes">{v.notes || none("None")}</span>
      </Row>
      <Row label="Added">
        <time dateTime={v.created_at}>{formatInstant(v.created_at)}</time>
      </Row>
      <Row label="Updated">
        <time dateTime={v.updated_at}>{formatInstant(v.updated_at)}</time>
      </Row>
    </dl>
  );
}

/** SsnValue shows the SSN's last four digits and, to roles allowed, the whole SSN on request (audited). */
function SsnValue(props: {
  last4: string | null | undefined;
  mayReveal: boolean;
  reveal: Reveal;
  onReveal: () => void;
  onHide: () => void;
}) {
  const { last4, reveal } = props;
  const shown = useRef<HTMLSpanElement>(null);
  useEffect(() => {
    if (reveal.state === "shown") shown.current?.focus();
  }, [reveal.state]);

  if (!last4) return none();
  return (
    <div class="ssn">
      {reveal.state === "shown" ? (
        <span class="mono ssn__value" id="ssn-value" tabIndex={-1} ref={shown}>
          {reveal.ssn}
        </span>
      ) : (
        <span class="mono ssn__value" id="ssn-last4">
          <span aria-hidden="true">•••-••-</span>
          <span class="visually-hidden">Ending in </span>
          {last4}
        </span>
      )}
      {props.mayReveal &&
        (reveal.state === "shown" ? (
          <button type="button" id="hide-ssn" class="button button--secondary button--small" onClick={props.onHide}>
            Hide SSN
          </button>
        ) : (
          <button
            type="button"
            id="reveal-ssn"
            class="button button--secondary button--small"
            disabled={reveal.state === "loading"}
            aria-describedby="reveal-note"
            onClick={props.onReveal}
          >
            Reveal SSN
          </button>
        ))}
      {props.mayReveal && (
        <p class="hint ssn__note" id="reveal-note">
          Every reveal is recorded in the audit log with your name.
        </p>
      )}
      {reveal.state === "error" && <ProblemAlert problem={reveal.problem} />}
    </div>
  );
}
