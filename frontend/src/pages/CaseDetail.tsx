import { useEffect, useState } from "preact/hooks";
import { api, toProblem, type Case, type Problem } from "../api/client";
import { CaseNotFound } from "../components/CaseNotFound";
import { ProblemAlert } from "../components/ProblemAlert";
import { setTitle } from "../format";
import { Link } from "../router";
import { listHref } from "./CaseList";
import { CaseOverview } from "./case/Overview";
import { DefendantsTab } from "./case/DefendantsTab";
import { LossesTab } from "./case/LossesTab";
import { RestitutionTab } from "./case/RestitutionTab";
import { VictimsTab } from "./case/VictimsTab";
import { CaseTabs, caseTabLabel, tabVisible, type CaseTab } from "./case/tabs";
import { useCurrentUser } from "../session";

type Load = { state: "loading" } | { state: "ok" } | { state: "not-found" } | { state: "error"; problem: Problem };

/**
 * CaseDetail is a case's page: it reads the case once, names it, and shows one of its sections (CASE_TABS)
 * under the tab strip. Moving between sections keeps the case; each section reads its own records.
 */
export function CaseDetail({ id, tab }: { id: string; tab: CaseTab }) {
  const me = useCurrentUser();
  const [load, setLoad] = useState<Load>({ state: "loading" });
  const [kase, setKase] = useState<Case | null>(null);
  const [etag, setEtag] = useState<string | null>(null);

  const fetchCase = async () => {
    setLoad({ state: "loading" });
    try {
      const { data, error, response } = await api.GET("/api/v1/cases/{case_id}", {
        params: { path: { case_id: id } },
      });
      if (data) {
        setKase(data);
        setEtag(response.headers.get("ETag"));
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
    void fetchCase();
  }, [id]);

  useEffect(() => {
    if (load.state === "not-found") setTitle("Case not found");
    else if (kase) setTitle(tab ? `${caseTabLabel(tab)} · ${kase.caption}` : kase.caption);
    else setTitle("Case");
  }, [load.state, kase?.caption, tab]);

  const back = (
    <p class="back">
      <Link href={listHref()}>Back to cases</Link>
    </p>
  );

  if (load.state === "not-found") {
    return <CaseNotFound back={listHref()} />;
  }

  if (!kase) {
    return (
      <>
        {back}
        <h1>{load.state === "loading" ? "Loading case…" : "Case"}</h1>
        {load.state === "error" && <ProblemAlert problem={load.problem} />}
      </>
    );
  }

  let panel;
  switch (tab) {
    case "victims":
      panel = <VictimsTab caseId={kase.id} />;
      break;
    case "defendants":
      panel = <DefendantsTab caseId={kase.id} />;
      break;
    case "losses":
      panel = tabVisible("losses", me?.role) ? <LossesTab caseId={kase.id} /> : (
        <div class="callout" id="losses-not-allowed">
          <p>Your role does not see losses.</p>
        </div>
      );
      break;
    case "restitution":
      panel = <RestitutionTab kase={kase} />;
      break;
    default:
      panel = (
        <CaseOverview
          kase={kase}
          etag={etag}
          loadProblem={load.state === "error" ? load.problem : null}
          onSaved={(c, tag) => {
            setKase(c);
            setEtag(tag);
          }}
          onReload={fetchCase}
        />
      );
  }

  // The Restitution tab's tables have many columns of amounts: it takes the page's whole width.
  return (
    <div class={tab === "restitution" ? "wide" : "medium"}>
      {back}
      <div class="page-head page-head--tabs">
        <h1>{kase.caption}</h1>
        <p class="page-head__sub muted">{kase.court_case_number}</p>
      </div>
      <CaseTabs caseId={kase.id} current={tab} />
      {panel}
    </div>
  );
}
