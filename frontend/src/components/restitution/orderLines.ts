import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, isAbort, toProblem, type Allocation, type Problem, type RestitutionLine, type RestitutionOrder } from "../../api/client";
import { byPaymentOrder, type VictimInfo } from "../../restitution";

/** LINES_PAGE is how many lines the order shows at first, and how many more each "Show more lines" adds. */
export const LINES_PAGE = 50;

/** MAX_PAGE is the most lines the API gives in one page. */
const MAX_PAGE = 500;

/**
 * MAX_SHOWN is the most victims one entry, preview or confirmation lists: a payment on a breach case's order
 * touches every line, up to 100,000 of them, and the page stays small; the rest are counted ("and N more").
 */
export const MAX_SHOWN = 200;

/**
 * NAME_PAGES is how many pages of lines (of MAX_PAGE) one request for names may read: allocations carry no
 * names, so naming those shown may mean reading past the lines loaded; beyond this, a victim is "A victim".
 */
const NAME_PAGES = 10;

const isDay = (v: string) => /^\d{4}-\d{2}-\d{2}$/.test(v);

/** The lines of an order that pickers offer, and a way to load more of them. */
export interface MoreLines {
  /** How many lines are loaded. */
  shown: number;
  /** How many lines the order has. */
  total: number;
  hasMore: boolean;
  busy: boolean;
  /** Loads the next page of lines (as of the same day) and answers the lines added. */
  loadMore: () => Promise<RestitutionLine[]>;
}

/** What useOrderLines keeps: the order as of a day, and its lines loaded so far, in victim ID order. */
export interface OrderLines extends MoreLines {
  /** The order's terms and totals (over every line) as of its `as_of`; its own `lines` are only the first page. */
  order: RestitutionOrder | null;
  lines: RestitutionLine[];
  /** Where the next page of lines starts; null when every line is loaded. */
  cursor: string | null;
  /** The order (and the lines loaded so far) is being read again. */
  loading: boolean;
  problem: Problem | null;
  /** Why the last "Show more lines" failed. */
  moreProblem: Problem | null;
}

/** readOrder reads an order as of a day with the page of lines after `cursor`. */
const readOrder = (orderId: string, asOf: string, limit: number, cursor: string | null, signal: AbortSignal) =>
  api.GET("/api/v1/restitution-orders/{order_id}", {
    params: { path: { order_id: orderId }, query: { as_of: asOf, limit, cursor: cursor ?? undefined } },
    signal,
  });

const notFound: Problem = { type: "about:blank", title: "Order not found", status: 404, detail: "This case has no such order.", request_id: "" };

/**
 * useOrderLines reads an order of the case as of a day, a page of lines at a time. Whenever the day or
 * `version` changes it reads the order again with as many lines as were loaded, so that money moving does not
 * fold the table up; further pages keep the day of the lines already shown.
 */
export function useOrderLines(caseId: string, orderId: string, asOf: string, version: number): OrderLines {
  const [order, setOrder] = useState<RestitutionOrder | null>(null);
  const [lines, setLines] = useState<RestitutionLine[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [moreProblem, setMoreProblem] = useState<Problem | null>(null);
  const held = useRef({ order, lines, cursor });
  held.current = { order, lines, cursor };
  const ctrl = useRef<AbortController | undefined>(undefined);
  const more = useRef(false);

  useEffect(() => {
    if (!isDay(asOf)) return;
    ctrl.current?.abort();
    const c = new AbortController();
    ctrl.current = c;
    more.current = false;
    setLoading(true);
    setLoadingMore(false);
    const keep = Math.max(LINES_PAGE, held.current.lines.length);
    (async () => {
      let first: RestitutionOrder | null = null;
      const got: RestitutionLine[] = [];
      let next: string | null = null;
      do {
        const { data, error, response } = await readOrder(orderId, asOf, Math.min(MAX_PAGE, keep - got.length), next, c.signal);
        if (c.signal.aborted) return;
        if (!data || data.case_id !== caseId) {
          setProblem(data ? notFound : toProblem(error, response));
          setLoading(false);
          return;
        }
        first ??= data;
        got.push(...data.lines);
        next = data.lines_next_cursor;
      } while (next && got.length < keep);
      setOrder(first);
      setLines(got);
      setCursor(next);
      setProblem(null);
      setMoreProblem(null);
      setLoading(false);
    })().catch((err: unknown) => {
      if (c.signal.aborted || isAbort(err)) return;
      setProblem(toProblem(err));
      setLoading(false);
    });
    return () => c.abort();
  }, [orderId, asOf, version]);

  const loadMore = useCallback(async (): Promise<RestitutionLine[]> => {
    const { order: o, cursor: after } = held.current;
    const c = ctrl.current;
    if (!o || !after || !c || more.current) return [];
    more.current = true;
    setLoadingMore(true);
    setMoreProblem(null);
    try {
      const { data, error, response } = await readOrder(o.id, o.as_of, LINES_PAGE, after, c.signal);
      if (c.signal.aborted) return [];
      if (!data) {
        setMoreProblem(toProblem(error, response));
        return [];
      }
      const have = new Set(held.current.lines.map((l) => l.victim_id));
      const added = data.lines.filter((l) => !have.has(l.victim_id));
      setLines((ls) => [...ls, ...added]);
      setCursor(data.lines_next_cursor);
      return added;
    } catch (err) {
      if (!c.signal.aborted && !isAbort(err)) setMoreProblem(toProblem(err));
      return [];
    } finally {
      if (!c.signal.aborted) {
        more.current = false;
        setLoadingMore(false);
      }
    }
  }, []);

  return {
    order,
    lines,
    cursor,
    loading,
    problem,
    moreProblem,
    shown: lines.length,
    total: order?.line_count ?? 0,
    hasMore: cursor !== null,
    busy: loadingMore,
    loadMore,
  };
}

/** The names of an order's victims, as far as they are known, and a way to learn more of them. */
export interface VictimNames {
  /** The victim's name and kind, when a line loaded so far names them. */
  of: (victimId: string) => VictimInfo | undefined;
  /**
   * Asks for the names of these victims: pages of lines past those loaded are read (up to NAME_PAGES at a
   * time) until every one is named; `of` answers them once they arrive.
   */
  want: (victimIds: readonly string[]) => void;
}

/**
 * useVictimNames names an order's victims for what lists them by ID only (allocations, entries): from the lines
 * loaded, and from pages of lines read after them when a name is wanted that those do not hold.
 */
export function useVictimNames(lines: OrderLines): VictimNames {
  const known = useMemo(() => new Map(lines.lines.map((l) => [l.victim_id, { name: l.victim_name, kind: l.victim_kind }])), [lines.lines]);
  const [extra, setExtra] = useState<ReadonlyMap<string, VictimInfo>>(new Map());
  const s = useRef({
    known,
    extra,
    orderId: "",
    asOf: "",
    /** Where the next page of names starts: undefined before the first, null after the last. */
    next: undefined as string | null | undefined,
    tableCursor: null as string | null,
    running: false,
    wanted: new Set<string>(),
    /** Wanted but not found within NAME_PAGES: not asked for again. */
    missing: new Set<string>(),
    ctrl: new AbortController(),
  });
  Object.assign(s.current, { known, tableCursor: lines.cursor, orderId: lines.order?.id ?? "", asOf: lines.order?.as_of ?? "" });

  useEffect(() => () => s.current.ctrl.abort(), []);

  const run = useCallback(async () => {
    const st = s.current;
    st.running = true;
    try {
      for (let pages = 0; pages < NAME_PAGES; pages++) {
        for (const id of st.wanted) if (st.known.has(id) || st.extra.has(id)) st.wanted.delete(id);
        if (st.wanted.size === 0 || !st.orderId) break;
        // The lines before the table's cursor are all loaded: names are read from there on.
        if (st.next === undefined) st.next = st.tableCursor;
        if (st.next === null) break;
        const { data } = await readOrder(st.orderId, st.asOf, MAX_PAGE, st.next, st.ctrl.signal);
        if (!data) break;
        const add = new Map(st.extra);
        for (const l of data.lines) add.set(l.victim_id, { name: l.victim_name, kind: l.victim_kind });
        st.extra = add;
        setExtra(add);
        st.next = data.lines_next_cursor;
      }
    } catch (err) {
      if (isAbort(err)) return;
    }
    for (const id of st.wanted) if (!st.known.has(id) && !st.extra.has(id)) st.missing.add(id);
    st.wanted.clear();
    st.running = false;
  }, []);

  const want = useCallback((ids: readonly string[]) => {
    const st = s.current;
    for (const id of ids) if (!st.known.has(id) && !st.extra.has(id) && !st.missing.has(id)) st.wanted.add(id);
    if (st.wanted.size > 0 && !st.running) void run();
  }, []);

  const of = useCallback((id: string) => known.get(id) ?? extra.get(id), [known, extra]);
  return { of, want };
}

/** nameOf is a victim's name for showing, when the name is not known: "A victim". */
export const nameOf = (names: VictimNames, id: string | null): string => (id ? (names.of(id)?.name ?? "A victim") : "");

/**
 * shownAllocations is what a list of allocations shows: all of them in the order victims are paid when there
 * are at most MAX_SHOWN, else the first MAX_SHOWN as the API orders them (by victim ID), and how many are left.
 */
export function shownAllocations(
  allocations: readonly Allocation[],
  names: VictimNames,
  classes: RestitutionOrder["terms"]["priority_classes"],
): { shown: Allocation[]; more: number } {
  if (allocations.length > MAX_SHOWN) return { shown: allocations.slice(0, MAX_SHOWN), more: allocations.length - MAX_SHOWN };
  const cmp = byPaymentOrder(classes);
  return { shown: [...allocations].sort((a, b) => cmp(names.of(a.victim_id), names.of(b.victim_id))), more: 0 };
}

/** appliedOf adds up what allocations pay, principal and interest apart, exactly (there may be 100,000 of them). */
export function appliedOf(allocations: readonly Allocation[]): { principal: bigint; interest: bigint } {
  let principal = 0n;
  let interest = 0n;
  for (const a of allocations) {
    principal += BigInt(a.principal_cents);
    interest += BigInt(a.interest_cents);
  }
  return { principal, interest };
}
