import { createContext, type AnchorHTMLAttributes, type ComponentChildren, type TargetedMouseEvent } from "preact";
import { useContext, useEffect, useState } from "preact/hooks";

/** Where the app is: the path and the query string of the current URL. */
export interface Location {
  path: string;
  search: string;
}

const here = (): Location => ({ path: window.location.pathname, search: window.location.search });
const listeners = new Set<() => void>();

/** navigate changes the URL without reloading the page and re-renders the app. */
export function navigate(url: string, opts: { replace?: boolean } = {}): void {
  if (url === window.location.pathname + window.location.search) {
    if (!opts.replace) return;
  }
  if (opts.replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  listeners.forEach((l) => l());
}

const LocationContext = createContext<Location>(here());

export function Router({ children }: { children: ComponentChildren }) {
  const [loc, setLoc] = useState(here);
  useEffect(() => {
    const update = () => setLoc(here());
    listeners.add(update);
    window.addEventListener("popstate", update);
    return () => {
      listeners.delete(update);
      window.removeEventListener("popstate", update);
    };
  }, []);
  return <LocationContext.Provider value={loc}>{children}</LocationContext.Provider>;
}

export const useLocation = () => useContext(LocationContext);

/** Link is an <a> that navigates in-app on a plain left click and behaves natively otherwise. */
export function Link(props: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const onClick = (e: TargetedMouseEvent<HTMLAnchorElement>) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(props.href);
  };
  return <a {...props} onClick={onClick} />;
}
