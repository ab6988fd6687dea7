import { useEffect, useState } from "preact/hooks";
import { api, toProblem, type Jurisdiction, type Problem } from "./api/client";

// Jurisdiction profiles change rarely; one successful fetch serves the whole visit.
let cached: Jurisdiction[] | null = null;

/** useJurisdictions loads the jurisdiction profiles a case may name. */
export function useJurisdictions() {
  const [items, setItems] = useState<Jurisdiction[]>(cached ?? []);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [loading, setLoading] = useState(cached === null);

  useEffect(() => {
    if (cached) return;
    let live = true;
    api
      .GET("/api/v1/jurisdictions")
      .then(({ data, error, response }) => {
        if (!live) return;
        if (data) {
          cached = data.items;
          setItems(data.items);
        } else setProblem(toProblem(error, response));
      })
      .catch((err: unknown) => live && setProblem(toProblem(err)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, []);

  return { items, problem, loading };
}

/** jurisdictionName shows a code as "Name (code)" once the profiles are known. */
export function jurisdictionName(items: Jurisdiction[], code: string): string {
  const j = items.find((i) => i.code === code);
  return j ? `${j.name} (${j.code})` : code;
}
