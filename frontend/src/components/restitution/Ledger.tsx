import { useState } from "preact/hooks";
import { api, type LedgerEntry, type LedgerEntryKind, type RestitutionLine, type RestitutionOrder } from "../../api/client";
import { formatDate } from "../../format";
import { formatCents } from "../../money";
import { ENTRY_KINDS, entryKindLabel, isEntryKind, ledgerCsvHref, paymentMethodLabel, type Named } from "../../restitution";
import { ListStatus, LoadMore, usePagedList } from "../PagedList";

interface Props {
  order: RestitutionOrder;
  lines: RestitutionLine[];
  defendants: Named[];
  /** Changes whenever money moved: the ledger is read again. */
  version: number;
  mayReverse: boolean;
  onReverse: (payment: LedgerEntry, payer: string) => void;
}

/**
 * Ledger lists an order's entries as they were posted, each with what it did to each victim's line, filtered by
 * kind and victim, a page at a time. Entries are never changed: a payment that bounced stays, marked reversed,
 * beside the reversal that took it back.
 */
export function Ledger({ order, lines, defendants, version, mayReverse, onReverse }: Props) {
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
  const name = (id: string | null) => (id ? (lines.find((l) => l.victim_id === id)?.victim_name ?? "A victim") : "");
  const defendant = (id: string | null) => (id ? (defendants.find((d) => d.id === id)?.name ?? "A defendant") : "");
  const seqOf = (id: string | null) => list.items.find((e) => e.id === id)?.seq;

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
          <select id="ledger-victim" value={victim} onChange={(e) => setVictim(e.currentTarget.value)}>
            <option value="">All victims</option>
            {lines.map((l) => (
              <option key={l.victim_id} value={l.victim_id}>
                {l.victim_name}
              </option>
            ))}
          </select>
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
                  <EntryDetails entry={e} victim={name(e.victim_id)} payer={defendant(e.payer_defendant_id)} reverses={seqOf(e.reverses_id)} />
                </td>
                <td data-label="Applied to lines">
                  {e.allocations.length === 0 && e.unapplied_cents === 0 ? (
                    <span class="muted">None</span>
                  ) : (
                    <ul class="allocations">
                      {e.allocations.map((a) => (
                        <li key={a.victim_id}>
                          {name(a.victim_id)}: <span class="nowrap">{formatCents(a.principal_cents)} principal</span>
                          {a.interest_cents !== 0 && (
                            <>
                              , <span class="nowrap">{formatCents(a.interest_cents)} interest</span>
                            </>
                          )}
                        </li>
                      ))}
                      {e.unapplied_cents !== 0 && (
                        <li>
                          Unapplied credit: <span class="nowrap">{formatCents(e.unapplied_cents)}</span>
                        </li>
                      )}
                    </ul>
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
