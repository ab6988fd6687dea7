import { useEffect, useRef } from "preact/hooks";
import { Link, Router, useLocation } from "./router";
import { CaseList } from "./pages/CaseList";
import { CaseNew } from "./pages/CaseNew";
import { CaseDetail } from "./pages/CaseDetail";
import { NotFound } from "./pages/NotFound";

export function App() {
  return (
    <Router>
      <Shell />
    </Router>
  );
}

function Shell() {
  const { path } = useLocation();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);

  // After an in-app navigation, move focus to the new page so that keyboard and screen-reader
  // users start at its top, as they would after a full page load.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
    window.scrollTo(0, 0);
  }, [path]);

  const skip = (e: Event) => {
    e.preventDefault();
    main.current?.focus();
  };

  return (
    <>
      <a class="skip-link" href="#main" onClick={skip}>
        Skip to main content
      </a>
      <header class="site-header">
        <div class="container site-header__inner">
          <Link href="/" class="brand">
            ImpactLedger
          </Link>
          <nav aria-label="Main">
            <ul class="nav">
              <li>
                <Link href="/" aria-current={path === "/" ? "page" : /^\/cases\/(?!new$)/.test(path) ? "true" : undefined}>
                  Cases
                </Link>
              </li>
              <li>
                <Link href="/cases/new" aria-current={path === "/cases/new" ? "page" : undefined}>
                  New case
                </Link>
              </li>
            </ul>
          </nav>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1} class="container">
        <Page path={path} />
      </main>
    </>
  );
}

function Page({ path }: { path: string }) {
  if (path === "/") return <CaseList />;
  if (path === "/cases/new") return <CaseNew />;
  const m = /^\/cases\/([^/]+)\/?$/.exec(path);
  if (m?.[1]) return <CaseDetail key={m[1]} id={decodeURIComponent(m[1])} />;
  return <NotFound />;
}
