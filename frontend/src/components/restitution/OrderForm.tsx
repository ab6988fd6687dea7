import type { TargetedSubmitEvent } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import {
  api,
  toProblem,
  type Problem,
  type RestitutionOrder,
  type RestitutionOrderCreate,
  type VictimKind,
} from "../../api/client";
import { victimKindLabel } from "../../intake";
import { jurisdictionName, useJurisdictions } from "../../jurisdictions";
import { centsToInput, formatCents, parseDollars } from "../../money";
import {
  caseDefendants,
  caseVictims,
  classRank,
  formatBps,
  interestModeLabel,
  parsePercent,
  todayISO,
  type Named,
} from "../../restitution";
import { ErrorSummary, FieldError, failureFrom, invalid, type Failure, type FieldSpec } from "../FormErrors";
import { ProblemAlert } from "../ProblemAlert";

/** One line of the order as the form holds it: the amount as typed. */
interface Line {
  victim_id: string;
  name: string;
  kind: VictimKind;
  amount: string;
  /** Where the suggestion came from, when it came from the case's losses. */
  basis?: "verified_losses" | "reimbursements";
}

const lineInput = (victimId: string) => `order-line-${victimId}`;

// The statutory classes, for ordering lines before an order has terms of its own.
const DEFAULT_CLASSES: VictimKind[][] = [["individual", "business"], ["insurer", "compensation_fund"], ["government"]];

type Load = { state: "loading" } | { state: "ok" } | { state: "error"; problem: Problem };

interface Props {
  caseId: string;
  /** The case's jurisdiction profile, the order's unless another is chosen. */
  caseJurisdiction: string;
  onCreated: (o: RestitutionOrder) => void;
  onCancel: () => void;
}

/**
 * OrderForm enters a restitution order as the court made it. Its lines start as the case's suggestion (verified
 * losses less reimbursements, and what insurers and funds of the case paid out), each amount editable, lines
 * removable, and any victim of the case addable. The interest rate is asked for only when the chosen profile has
 * the court set it in each order.
 */
export function OrderForm({ caseId, caseJurisdiction, onCreated, onCancel }: Props) {
  const jurisdictions = useJurisdictions();
  const [load, setLoad] = useState<Load>({ state: "loading" });
  const [victims, setVictims] = useState<Array<Named & { kind: VictimKind }>>([]);
  const [defendants, setDefendants] = useState<Named[]>([]);
  const [lines, setLines] = useState<Line[]>([]);
  const [adding, setAdding] = useState("");
  const [orderedOn, setOrderedOn] = useState(todayISO());
  const [jurisdiction, setJurisdiction] = useState(caseJurisdiction);
  const [rate, setRate] = useState("");
  const [chosen, setChosen] = useState<string[]>([]);
  const [reference, setReference] = useState("");
  const [failure, setFailure] = useState<Failure | null>(null);
  const [busy, setBusy] = useState(false);
  const title = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    const ctrl = new AbortController();
    (async () => {
      try {
        const [req, vs, ds] = await Promise.all([
          api.GET("/api/v1/cases/{case_id}/restitution-request", { params: { path: { case_id: caseId } }, signal: ctrl.signal }),
          caseVictims(caseId, ctrl.signal),
          caseDefendants(caseId, ctrl.signal),
        ]);
        if (ctrl.signal.aborted) return;
        if (!req.data) {
          setLoad({ state: "error", problem: toProblem(req.error, req.response) });
          return;
        }
        setLines(
          req.data.lines.map((l) => ({ victim_id: l.victim_id, name: l.victim_name, kind: l.victim_kind, amount: centsToInput(l.amount_cents), basis: l.basis })),
        );
        setJurisdiction(req.data.jurisdiction || caseJurisdiction);
        setVictims(vs);
        setDefendants(ds);
        if (ds.length === 1) setChosen([ds[0]!.id]);
        setLoad({ state: "ok" });
      } catch (err) {
        if (!ctrl.signal.aborted) setLoad({ state: "error", problem: toProblem(err) });
      }
    })();
    return () => ctrl.abort();
  }, [caseId]);

  useEffect(() => title.current?.focus(), []);

  const profile = jurisdictions.items.find((j) => j.code === jurisdiction);
  const perOrder = profile?.interest.mode === "per_order";
  const available = victims
    .filter((v) => !lines.some((l) => l.victim_id === v.id))
    .sort((a, b) => classRank(DEFAULT_CLASSES, a.kind) - classRank(DEFAULT_CLASSES, b.kind) || a.name.localeCompare(b.name));

  const total = lines.reduce((acc, l) => {
    const p = parseDollars(l.amount);
    return p.ok && l.amount.trim() ? acc + BigInt(p.value) : acc;
  }, 0n);

  const setAmount = (id: string, amount: string) => setLines((ls) => ls.map((l) => (l.victim_id === id ? { ...l, amount } : l)));

  const addLine = () => {
    const v = victims.find((x) => x.id === adding);
    if (!v) {
      setFailure({ title: "Some fields need attention.", fields: { "order-add-victim": "Choose the victim to add." }, other: [] });
      return;
    }
    setLines((ls) => [...ls, { victim_id: v.id, name: v.name, kind: v.kind, amount: "" }]);
    setAdding("");
    window.setTimeout(() => document.getElementById(lineInput(v.id))?.focus(), 0);
  };

  const removeLine = (id: string) => {
    const i = lines.findIndex((l) => l.victim_id === id);
    const rest = lines.filter((l) => l.victim_id !== id);
    setLines(rest);
    const next = rest[i] ?? rest[i - 1];
    window.setTimeout(() => document.getElementById(next ? `remove-${lineInput(next.victim_id)}` : "order-add-victim")?.focus(), 0);
  };

  // Field names the server may name, on this form's inputs; lines by their position in what was sent.
  const specs = (): Record<string, FieldSpec> => {
    const s: Record<string, FieldSpec> = {
      ordered_on: { id: "order-ordered-on", label: "Ordered on" },
      jurisdiction: { id: "order-jurisdiction", label: "Jurisdiction" },
      interest_rate_bps: { id: "order-rate", label: "Interest rate" },
      defendant_ids: { id: "order-defendants", label: "Defendants" },
      court_order_reference: { id: "order-reference", label: "Court order reference" },
      lines: { id: "order-add-victim", label: "Lines" },
    };
    lines.forEach((l, i) => {
      s[`lines.${i}.amount_cents`] = { id: lineInput(l.victim_id), label: `The amount for ${l.name}` };
      s[`lines.${i}.victim_id`] = { id: lineInput(l.victim_id), label: l.name };
    });
    chosen.forEach((_, i) => (s[`defendant_ids.${i}`] = { id: "order-defendants", label: "A defendant" }));
    return s;
  };
  const fieldOrder = [
    ...lines.map((l) => lineInput(l.victim_id)),
    "order-add-victim",
    "order-ordered-on",
    "order-jurisdiction",
    "order-rate",
    "order-defendants",
    "order-reference",
  ];

  const submit = async (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (busy) return;
    const fields: Record<string, string> = {};
    const body: RestitutionOrderCreate = { ordered_on: orderedOn, jurisdiction, defendant_ids: chosen, lines: [] };
    for (const l of lines) {
      const p = parseDollars(l.amount, `The amount for ${l.name}`);
      if (!l.amount.trim()) fields[lineInput(l.victim_id)] = `Enter the amount ordered for ${l.name}, or remove the line.`;
      else if (!p.ok) fields[lineInput(l.victim_id)] = p.message;
      else if (p.value < 1) fields[lineInput(l.victim_id)] = `The amount for ${l.name} must be at least $0.01, or remove the line.`;
      else body.lines.push({ victim_id: l.victim_id, amount_cents: p.value });
    }
    if (lines.length === 0) fields["order-add-victim"] = "Add at least one victim’s line.";
    if (!/^\d{4}-\d{2}-\d{2}$/.test(orderedOn)) fields["order-ordered-on"] = "Enter the day of the order, as a full date.";
    if (!jurisdiction) fields["order-jurisdiction"] = "Choose the jurisdiction.";
    if (perOrder) {
      const p = parsePercent(rate);
      if (!rate.trim()) fields["order-rate"] = "Enter the interest rate the court set (0 for none).";
      else if (!p.ok) fields["order-rate"] = p.message;
      else body.interest_rate_bps = p.value;
    }
    if (chosen.length === 0) fields["order-defendants"] = "Choose the defendants liable.";
    if (reference.trim()) body.court_order_reference = reference.trim();
    if (Object.keys(fields).length > 0) {
      setFailure({ title: "Some fields need attention.", fields, other: [] });
      return;
    }
    setBusy(true);
    setFailure(null);
    try {
      const { data, error, response } = await api.POST("/api/v1/cases/{case_id}/restitution-orders", {
        params: { path: { case_id: caseId } },
        body,
      });
      if (data) {
        onCreated(data);
        return;
      }
      setFailure(failureFrom(toProblem(error, response), specs()));
    } catch (err) {
      setFailure(failureFrom(toProblem(err), specs()));
    }
    setBusy(false);
  };

  return (
    <form id="order-form" class="panel order-form" noValidate onSubmit={(e) => void submit(e)} aria-labelledby="order-form-title">
      <h3 id="order-form-title" tabIndex={-1} ref={title}>
        Enter an order
      </h3>
      {load.state === "loading" && (
        <p class="list-status" role="status">
          Loading the victims’ verified losses…
        </p>
      )}
      {load.state === "error" && <ProblemAlert problem={load.problem} />}
      {failure && <ErrorSummary failure={failure} order={fieldOrder} />}
      {load.state === "ok" && (
        <>
          <fieldset class="order-lines">
            <legend class="order-lines__legend">Lines: what each victim is awarded</legend>
            <p class="hint">
              Suggested from each victim’s verified losses less what was reimbursed, and from what insurers and funds of the case
              paid out. Change any amount to what the court ordered.
            </p>
            {lines.length === 0 ? (
              <p class="muted" id="no-order-lines">
                No line yet: no victim has verified losses. Add each victim the court awarded restitution.
              </p>
            ) : (
              <table class="data-table order-lines__table" id="order-lines">
                <caption class="visually-hidden">The order’s lines</caption>
                <thead>
                  <tr>
                    <th scope="col">Victim</th>
                    <th scope="col">Kind</th>
                    <th scope="col">Amount (dollars)</th>
                    <th scope="col">
                      <span class="visually-hidden">Remove</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {lines.map((l) => {
                    const id = lineInput(l.victim_id);
                    return (
                      <tr key={l.victim_id} data-victim={l.victim_id}>
                        <td data-label="Victim" class="data-table__title">
                          {l.name}
                          {l.basis && (
                            <span class="order-lines__basis">
                              {l.basis === "reimbursements" ? "Includes what it reimbursed other victims" : "From verified losses"}
                            </span>
                          )}
                        </td>
                        <td data-label="Kind">{victimKindLabel(l.kind)}</td>
                        <td data-label="Amount" class="order-lines__amount-cell">
                          <label for={id} class="visually-hidden">
                            Amount for {l.name} (dollars)
                          </label>
                          <input
                            type="text"
                            id={id}
                            class="order-lines__amount"
                            inputMode="decimal"
                            autoComplete="off"
                            value={l.amount}
                            onInput={(e) => setAmount(l.victim_id, e.currentTarget.value)}
                            {...invalid(id, failure)}
                          />
                          <FieldError id={id} failure={failure} />
                        </td>
                        <td data-label="">
                          <button
                            type="button"
                            id={`remove-${id}`}
                            class="button button--secondary button--small"
                            onClick={() => removeLine(l.victim_id)}
                          >
                            Remove<span class="visually-hidden"> {l.name}’s line</span>
                          </button>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
                <tfoot>
                  <tr>
                    <td class="data-table__title" colSpan={2}>
                      Total ordered
                    </td>
                    <td data-label="Total" class="num order-lines__total" id="order-total">
                      {formatCents(total)}
                    </td>
                    <td class="empty-cell"></td>
                  </tr>
                </tfoot>
              </table>
            )}
            <div class="field order-lines__add">
              <label for="order-add-victim">Add a victim of the case</label>
              <div class="inline-control">
                <select id="order-add-victim" value={adding} onChange={(e) => setAdding(e.currentTarget.value)} {...invalid("order-add-victim", failure)}>
                  <option value="">{available.length ? "Choose a victim" : "Every victim has a line"}</option>
                  {available.map((v) => (
                    <option key={v.id} value={v.id}>
                      {v.name} ({victimKindLabel(v.kind).toLowerCase()})
                    </option>
                  ))}
                </select>
                <button type="button" id="add-order-line" class="button button--secondary" disabled={!available.length} onClick={addLine}>
                  Add line
                </button>
              </div>
              <FieldError id="order-add-victim" failure={failure} />
            </div>
          </fieldset>

          <div class="form-grid order-form__terms">
            <div class="field">
              <label for="order-ordered-on">Ordered on</label>
              <input
                type="date"
                id="order-ordered-on"
                value={orderedOn}
                max={todayISO()}
                onInput={(e) => setOrderedOn(e.currentTarget.value)}
                {...invalid("order-ordered-on", failure, "order-ordered-on-hint")}
              />
              <p class="hint" id="order-ordered-on-hint">
                The day the court ordered restitution; interest runs from it.
              </p>
              <FieldError id="order-ordered-on" failure={failure} />
            </div>
            <div class="field">
              <label for="order-jurisdiction">Jurisdiction</label>
              <select
                id="order-jurisdiction"
                value={jurisdiction}
                onChange={(e) => setJurisdiction(e.currentTarget.value)}
                {...invalid("order-jurisdiction", failure, "order-jurisdiction-hint")}
              >
                {!jurisdictions.items.some((j) => j.code === jurisdiction) && (
                  <option value={jurisdiction}>{jurisdictionName(jurisdictions.items, jurisdiction)}</option>
                )}
                {jurisdictions.items.map((j) => (
                  <option key={j.code} value={j.code}>
                    {j.name} ({j.code})
                  </option>
                ))}
              </select>
              <p class="hint" id="order-jurisdiction-hint">
                {profile
                  ? `Interest: ${interestModeLabel(profile.interest.mode).toLowerCase()}${
                      profile.interest.mode === "fixed" && profile.interest.annual_rate_bps != null
                        ? `, ${formatBps(profile.interest.annual_rate_bps)} a year`
                        : ""
                    }. The order keeps a copy of these terms.`
                  : "The case’s profile unless the court applied another."}
              </p>
              <FieldError id="order-jurisdiction" failure={failure} />
            </div>
            {perOrder && (
              <div class="field">
                <label for="order-rate">Interest rate (% a year)</label>
                <input
                  type="text"
                  id="order-rate"
                  inputMode="decimal"
                  autoComplete="off"
                  value={rate}
                  onInput={(e) => setRate(e.currentTarget.value)}
                  {...invalid("order-rate", failure, "order-rate-hint")}
                />
                <p class="hint" id="order-rate-hint">
                  As the court set it, such as 4.25; 0 for none.
                </p>
                <FieldError id="order-rate" failure={failure} />
              </div>
            )}
            <div class="field">
              <label for="order-reference">
                Court order reference<span class="optional"> (optional)</span>
              </label>
              <input
                type="text"
                id="order-reference"
                autoComplete="off"
                maxLength={200}
                value={reference}
                onInput={(e) => setReference(e.currentTarget.value)}
                {...invalid("order-reference", failure, "order-reference-hint")}
              />
              <p class="hint" id="order-reference-hint">
                Such as the docket entry.
              </p>
              <FieldError id="order-reference" failure={failure} />
            </div>
            <fieldset class="field--wide subfieldset" aria-describedby="order-defendants-hint">
              <legend>Defendants liable</legend>
              <p class="hint" id="order-defendants-hint">
                Two or more are jointly and severally liable: each owes the whole.
              </p>
              {defendants.length === 0 ? (
                <p class="muted">The case has no defendant yet; add one on the Defendants tab first.</p>
              ) : (
                <div class="choices">
                  {defendants.map((d, i) => (
                    <div class="check" key={d.id}>
                      <input
                        type="checkbox"
                        id={i === 0 ? "order-defendants" : `order-defendant-${d.id}`}
                        checked={chosen.includes(d.id)}
                        onChange={(e) => {
                          const on = e.currentTarget.checked;
                          setChosen((c) => (on ? [...c, d.id] : c.filter((x) => x !== d.id)));
                        }}
                        {...(i === 0 ? invalid("order-defendants", failure) : {})}
                      />
                      <label for={i === 0 ? "order-defendants" : `order-defendant-${d.id}`}>{d.name}</label>
                    </div>
                  ))}
                </div>
              )}
              <FieldError id="order-defendants" failure={failure} />
            </fieldset>
          </div>
        </>
      )}
      <div class="form-actions">
        <button type="submit" id="save-order" class="button" disabled={busy || load.state !== "ok"}>
          Enter order
        </button>
        <button type="button" id="cancel-order" class="button button--secondary" onClick={onCancel}>
          Cancel
        </button>
        <span class="muted" role="status">
          {busy ? "Saving…" : ""}
        </span>
      </div>
    </form>
  );
}
