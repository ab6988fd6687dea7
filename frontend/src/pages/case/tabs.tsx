import type { Role } from "../../api/client";
import { canReadLosses } from "../../losses";
import { Link } from "../../router";
import { useCurrentUser } from "../../session";

/**
 * The sections of a case page. Each is its own URL (/cases/:id, /cases/:id/victims, …) so that a section can
 * be bookmarked, reloaded and reached with Back; the tab strip is a list of links marked with aria-current,
 * which works with every assistive technology and without script-driven focus rules. A new section (losses,
 * statements) is one entry here and one case in CaseDetail's panel switch.
 */
export const CASE_TABS = [
  { slug: "", label: "Overview" },
  { slug: "victims", label: "Victims" },
  { slug: "defendants", label: "Defendants and charges" },
  // Clerks never receive losses: the tab is not offered to them.
  { slug: "losses", label: "Losses", visible: canReadLosses },
  // Every role reads restitution; what each may do there is decided on the tab.
  { slug: "restitution", label: "Restitution" },
] as const;

export type CaseTab = (typeof CASE_TABS)[number]["slug"];

export const isCaseTab = (slug: string): slug is CaseTab => CASE_TABS.some((t) => t.slug === slug);

/** tabVisible tells whether a role is offered a section at all. */
export const tabVisible = (slug: CaseTab, role: Role | undefined): boolean => {
  const t = CASE_TABS.find((x) => x.slug === slug);
  return !!t && (!("visible" in t) || t.visible(role));
};

export const caseTabLabel = (slug: CaseTab): string => CASE_TABS.find((t) => t.slug === slug)?.label ?? "";

/** caseHref is the address of one section of a case. */
export const caseHref = (caseId: string, tab: CaseTab = ""): string =>
  `/cases/${encodeURIComponent(caseId)}${tab ? `/${tab}` : ""}`;

/** CaseTabs is the strip of links to a case's sections. */
export function CaseTabs({ caseId, current }: { caseId: string; current: CaseTab }) {
  const me = useCurrentUser();
  return (
    <nav class="tabs" aria-label="Case sections">
      <ul class="tabs__list">
        {CASE_TABS.filter((t) => tabVisible(t.slug, me?.role)).map((t) => (
          <li key={t.slug}>
            <Link
              href={caseHref(caseId, t.slug)}
              id={`tab-${t.slug || "overview"}`}
              class="tabs__link"
              aria-current={t.slug === current ? "page" : undefined}
            >
              {t.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
