import { useEffect, useRef, useState } from "preact/hooks";
import { api, isAbort, toProblem, type LedgerEntry, type LedgerEntryKind, type Problem, type RestitutionLine, type RestitutionOrder } from "../../api/client";
import { formatDate } from "../../format";
import { formatCents } from "../../money";
import { ENTRY_KINDS, count, entryKindLabel, isEntryKind, ledgerCsvHref, paymentMethodLabel, type Named } from "../../restitution";
import { ListStatus, LoadMore, usePagedList } from "../PagedList";
import { ProblemAlert } from "../ProblemAlert";
import { AllocationList, MoreVictims } from "./Allocations";
import { nameOf, type MoreLines, type VictimNames } from "./orderLines";

interface Props {
  order: RestitutionOrder;
  /** The order's lines loaded so far, in the order victims are paid, for the victim filter. */
  lines: RestitutionLine[];
  more: MoreLines;
  names: VictimNames;
  defendants: Named[];
  /** Changes whenever money moved: the ledger is read again. */
  version: number;
  mayReverse: boolean;
  onReverse: (payment: LedgerEntry, payer: string) => void;
}

/**
 * Ledger lists an order's entries as they were posted, filtered by kind and victim, a page at a time. Each entry
 * shows what it applied over all lines and to how many victims; each victim's share is read when the entry is
 * opened (one payment may touch 100,000 lines), or shown at once when the ledger is filtered by victim. Entries
 * are never changed: a payment that bounced stays, marked reversed, beside the reversal that took it back.
 */
export function Ledger({ order, lines, more, names, defendants, version, mayReverse, onReverse }: Props) {
  const [kind, setKind] = useState<LedgerEntryKind | "">("");
  const [victim, setVictim] = useState("");
  const list = usePagedList(
    (cursor, signal) =>
      api.GET("/api/v1/restitution-orders/{order_id}/entries", {
        params: { path: { order_id: order.id }, query: { cursor, kind: kind || undefined, victim_id: victim || undefined } },
        signal,
      }),
    [order.id, kind, victim, version],
  );
  useEffect(() => {
    names.want(list.items.flatMap((e) => (e.victim_id ? [e.victim_id] : [])));
  }, [list.items]);
  const defendant = (id: string | null) => (id ? (defendants.find((d) => d.id === id)?.name ?? "A defendant") : "");
  const seqOf = (id: string | null) => list.items.find((e) => e.id === id)?.seq;
  const classes = order.terms.priority_classes;
  // The list was asked for this victim's entries, and each holds this victim's allocation only.
  const filtered = victim !== "";

  return (
    <section class="ledger" aria-labelledby="ledger-heading">
      <div class="section-head">
        <h4 id="ledger-heading">Ledger</h4>
        <a class="button button--secondary button--small" id="download-ledger" href={ledgerCsvHref(order.id)} download>
          Download CSV
        </a>
      </div>
      <div class="filters ledger__filters">
        <div class="field">
          <label for="ledger-kind">Kind of entry</label>
          <select id="ledger-kind" value={kind} onChange={(e) => setKind(isEntryKind(e.currentTarget.value) ? e.currentTarget.value : "")}>
            <option value="">All kinds</option>
            {ENTRY_KINDS.map((k) => (
              <option key={k.value} value={k.value}>
                {k.label}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="ledger-victim">Victim</label>
          <select
            id="ledger-victim"
            value={victim}
            onChange={(e) => setVictim(e.currentTarget.value)}
            aria-describedby={more.hasMore ? "more-ledger-victims-count" : undefined}
          >
            <option value="">All victims</option>
            {lines.map((l) => (
              <option key={l.victim_id} value={l.victim_id}>
                {l.victim_name}
              </option>
            ))}
          </select>
          <MoreVictims id="more-ledger-victims" picker="ledger-victim" lines={more} />
        </div>
      </div>

      <ListStatus
        list={list}
        one="entry"
        many="entries"
        emptyTitle={kind || victim ? "No entry matches." : "Nothing posted yet."}
        emptyHint={kind || victim ? "Choose all kinds and all victims to see every entry." : "Payments, adjustments and disbursements appear here as they are recorded."}
      />

      {list.items.length > 0 && (
        <table class="data-table ledger-table" id="ledger-table" aria-busy={list.loading ? "true" : undefined}>
          <caption class="visually-hidden">The order’s ledger entries, in the order they were posted</caption>
          <thead>
            <tr>
              <th scope="col">Entry</th>
              <th scope="col">Day</th>
              <th scope="col" class="num">
                Amount
              </th>
              <th scope="col">Details</th>
              <th scope="col">Applied to lines</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((e) => (
              <tr key={e.id} id={`entry-${e.id}`} data-kind={e.kind} class={e.reversed_by ? "is-reversed" : undefined}>
                <td data-label="Entry" class="data-table__title">
                  <span class="ledger-table__entry">
                    <span class={`badge badge--entry-${e.kind}`}>{entryKindLabel(e.kind)}</span> <span class="muted">#{e.seq}</span>
                    {e.reversed_by && <span class="badge badge--entry-reversed">Reversed</span>}
                  </span>
                  {mayReverse && e.kind === "payment" && !e.reversed_by && (
                    <button
                      type="button"
                      id={`reverse-${e.id}`}
                      class="button button--secondary button--small ledger-table__action"
                      onClick={() => onReverse(e, defendant(e.payer_defendant_id))}
                    >
                      Reverse…<span class="visually-hidden"> the payment of {formatCents(e.amount_cents)} received {formatDate(e.effective_on)}</span>
                    </button>
                  )}
                </td>
                <td data-label="Day" class="nowrap-wide">
                  <time dateTime={e.effective_on}>{formatDate(e.effective_on)}</time>
                </td>
                <td data-label="Amount" class="num" data-cents={e.amount_cents}>
                  {e.kind === "adjustment" && e.amount_cents > 0 ? "+" : ""}
                  {formatCents(e.amount_cents)}
                </td>
                <td data-label="Details">
                  <EntryDetails entry={e} victim={nameOf(names, e.victim_id)} payer={defendant(e.payer_defendant_id)} reverses={seqOf(e.reverses_id)} />
                </td>
                <td data-label="Applied to lines">
                  {e.allocation_count === 0 && e.unapplied_cents === 0 ? (
                    <span class="muted">None</span>
                  ) : (
                    <>
                      {e.allocation_count > 0 && (
                        <span class="ledger-table__applied">
                          <span class="nowrap">{formatCents(e.principal_cents)} principal</span>,{" "}
                          <span class="nowrap">{formatCents(e.interest_cents)} interest</span>
                          <span class="ledger-table__victims muted">{count(e.allocation_count, "victim", "victims")}</span>
                        </span>
                      )}
                      {filtered && e.allocations.length > 0 && <AllocationList allocations={e.allocations} names={names} classes={classes} />}
                      {e.unapplied_cents !== 0 && (
                        <span class="ledger-table__unapplied">
                          Unapplied credit: <span class="nowrap">{formatCents(e.unapplied_cents)}</span>
                        </span>
                      )}
                      {e.allocation_count > (filtered ? e.allocations.length : 0) && <EntryShares entry={e} names={names} classes={classes} />}
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.cursor && !list.loading && <LoadMore id="more-entries" busy={list.loadingMore} onClick={list.loadMore} />}
    </section>
  );
}

/** EntryDetails says who and how: the payer and method of a payment, a reversal's payment and reason, and so on. */
function EntryDetails({ entry: e, victim, payer, reverses }: { entry: LedgerEntry; victim: string; payer: string; reverses?: number }) {
  const parts: string[] = [];
  if (e.kind === "reversal") parts.push(reverses ? `Reverses payment #${reverses}` : "Reverses a payment");
  if (victim) parts.push(e.kind === "disbursement" ? `To ${victim}` : `${victim}’s line`);
  if (payer) parts.push(`From ${payer}`);
  if (e.method) parts.push(paymentMethodLabel(e.method));
  if (e.reference) parts.push(`Reference ${e.reference}`);
  return (
    <>
      {parts.length > 0 && <span class="ledger-table__details">{parts.join(" · ")}</span>}
      {e.reason && <span class="ledger-table__reason notes">Reason: {e.reason}</span>}
      {parts.length === 0 && !e.reason && <span class="muted">None</span>}
    </>
  );
}

type Shares = { state: "idle" } | { state: "loading" } | { state: "ok"; entry: LedgerEntry } | { state: "error"; problem: Problem };

/**
 * EntryShares is a disclosure under an entry that reads the entry with all its allocations when first opened and
 * lists each victim's share (at most MAX_SHOWN of them). Entries never change what they applied, so what was read
 * is kept while the ledger stays open.
 */
function EntryShares({ entry, names, classes }: { entry: LedgerEntry; names: VictimNames; classes: RestitutionOrder["terms"]["priority_classes"] }) {
  const [open, setOpen] = useState(false);
  const [shares, setShares] = useState<Shares>({ state: "idle" });
  const ctrl = useRef<AbortController | undefined>(undefined);
  useEffect(() => () => ctrl.current?.abort(), []);
  const region = `shares-${entry.id}`;

  const read = async () => {
    ctrl.current?.abort();
    const c = new AbortController();
    ctrl.current = c;
    setShares({ state: "loading" });
    try {
      const { data, error, response } = await api.GET("/api/v1/ledger-entries/{entry_id}", {
        params: { path: { entry_id: entry.id } },
        signal: c.signal,
      });
      if (c.signal.aborted) return;
      setShares(data ? { state: "ok", entry: data } : { state: "error", problem: toProblem(error, response) });
    } catch (err) {
      if (!c.signal.aborted && !isAbort(err)) setShares({ state: "error", problem: toProblem(err) });
    }
  };
  const toggle = () => {
    const next = !open;
    setOpen(next);
    if (next && (shares.state === "idle" || shares.state === "error")) void read();
  };

  return (
    <div class="ledger-table__shares">
      <button
        type="button"
        id={`show-shares-${entry.id}`}
        class="link-button"
        aria-expanded={open ? "true" : "false"}
        aria-controls={region}
        onClick={toggle}
      >
        {open ? "Hide" : "Show"} each victim’s share<span class="visually-hidden"> of entry #{entry.seq}</span>
      </button>
      <div id={region} hidden={!open} aria-busy={shares.state === "loading" ? "true" : undefined}>
        {open && shares.state === "loading" && <p class="muted ledger-table__loading">Loading…</p>}
        {open && shares.state === "error" && <ProblemAlert problem={shares.problem} />}
        {open && shares.state === "ok" && <AllocationList id={`${region}-list`} allocations={shares.entry.allocations} names={names} classes={classes} />}
      </div>
    </div>
  );
}
