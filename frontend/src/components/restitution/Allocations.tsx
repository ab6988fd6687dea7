import { useEffect } from "preact/hooks";
import type { Allocation, RestitutionOrder } from "../../api/client";
import { formatCents } from "../../money";
import { count } from "../../restitution";
import { nameOf, shownAllocations, type MoreLines, type VictimNames } from "./orderLines";

/**
 * AllocationList says what an entry paid each victim: every victim when there are at most MAX_SHOWN, in the
 * order victims are paid, else the first MAX_SHOWN and how many more, so that a payment over 100,000 lines
 * does not put 100,000 items on the page (the ledger's CSV has them all).
 */
export function AllocationList({
  id,
  allocations,
  names,
  classes,
}: {
  id?: string;
  allocations: readonly Allocation[];
  names: VictimNames;
  classes: RestitutionOrder["terms"]["priority_classes"];
}) {
  const { shown, more } = shownAllocations(allocations, names, classes);
  useEffect(() => names.want(shown.map((a) => a.victim_id)), [allocations]);
  return (
    <ul class="allocations" id={id}>
      {shown.map((a) => (
        <li key={a.victim_id} data-victim={a.victim_id}>
          {nameOf(names, a.victim_id)}: <span class="nowrap">{formatCents(a.principal_cents)} principal</span>
          {a.interest_cents !== 0 && (
            <>
              , <span class="nowrap">{formatCents(a.interest_cents)} interest</span>
            </>
          )}
        </li>
      ))}
      {more > 0 && (
        <li class="allocations__more muted" id={id ? `${id}-more` : undefined}>
          and {more.toLocaleString("en-US")} more (the CSV lists every victim)
        </li>
      )}
    </ul>
  );
}

/**
 * MoreVictims stands under a victim picker that offers the lines loaded so far: it says how many of the order's
 * victims are offered and loads the next page of lines. When the last page has come, the keyboard goes back to
 * the picker (`picker`), as the button is gone.
 */
export function MoreVictims({ id, picker, lines }: { id: string; picker: string; lines: MoreLines }) {
  if (!lines.hasMore) return null;
  const more = async () => {
    await lines.loadMore();
    window.setTimeout(() => {
      if (!document.getElementById(id)) document.getElementById(picker)?.focus();
    }, 0);
  };
  return (
    <p class="hint picker-more">
      <span id={`${id}-count`}>
        {lines.shown.toLocaleString("en-US")} of {count(lines.total, "victim", "victims")} listed.
      </span>{" "}
      <button
        type="button"
        id={id}
        class="link-button"
        aria-busy={lines.busy ? "true" : undefined}
        aria-describedby={`${id}-count`}
        onClick={() => void more()}
      >
        {lines.busy ? "Loading more victims…" : "Load more victims"}
      </button>
    </p>
  );
}
