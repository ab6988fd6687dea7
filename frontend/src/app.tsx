import { useEffect, useRef, useState } from "preact/hooks";
import { api, toProblem, type Problem, type User } from "./api/client";
import { ProblemAlert } from "./components/ProblemAlert";
import { setTitle } from "./format";
import { Link, Router, navigate, useLocation } from "./router";
import { CaseList, forgetListSearch } from "./pages/CaseList";
import { CaseNew } from "./pages/CaseNew";
import { CaseDetail } from "./pages/CaseDetail";
import { VictimDetail } from "./pages/VictimDetail";
import { VictimNew } from "./pages/VictimNew";
import { VictimImportPage } from "./pages/VictimImport";
import { StatementEditor } from "./pages/StatementEditor";
import { StatementHistory } from "./pages/StatementHistory";
import { isCaseTab } from "./pages/case/tabs";
import { forgetDrafts } from "./drafts";
import { Account } from "./pages/Account";
import { Audit } from "./pages/Audit";
import { Users } from "./pages/Users";
import { TwoFactor } from "./pages/TwoFactor";
import { NotFound } from "./pages/NotFound";
import { SignIn } from "./pages/SignIn";
import { ResetPassword } from "./pages/ResetPassword";
import { ReauthDialog } from "./components/ReauthDialog";
import {
  RESET_PASSWORD_PATH,
  SIGN_IN_PATH,
  TWO_FACTOR_PATH,
  roleLabel,
  safeNext,
  setSessionError,
  setSessionLoading,
  setSignedIn,
  setSignedOut,
  signInHref,
  twoFactorHref,
  useSession,
} from "./session";

export function App() {
  return (
    <Router>
      <Shell />
    </Router>
  );
}

/** loadSession asks the server who is signed in; without a session it goes to the sign-in page. */
async function loadSession(): Promise<void> {
  setSessionLoading();
  try {
    const { data, error, response } = await api.GET("/api/v1/auth/me");
    if (data) {
      // A session that must set up two-factor sign-in first goes there in the same turn, before any page
      // asks the server for something it will refuse.
      const { pathname, search } = window.location;
      if (data.mfa_enrollment_required && pathname !== TWO_FACTOR_PATH && pathname !== SIGN_IN_PATH) {
        navigate(twoFactorHref(pathname + search), { replace: true });
      }
      setSignedIn(data);
    } else if (response.status === 401) {
      // Navigate in the same turn as the state change, so the app renders the sign-in page straight away.
      const { pathname, search } = window.location;
      if (pathname !== SIGN_IN_PATH && pathname !== RESET_PASSWORD_PATH) navigate(signInHref(pathname + search), { replace: true });
      setSignedOut();
    } else {
      setSessionError(toProblem(error, response));
    }
  } catch (err) {
    setSessionError(toProblem(err));
  }
}

function Shell() {
  const { path, search } = useLocation();
  const session = useSession();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  const ready = session.status !== "loading";
  const onSignIn = path === SIGN_IN_PATH;
  // Setting a password with a reset code is for people who cannot sign in: it needs no session.
  const onReset = path === RESET_PASSWORD_PATH;
  const user = session.status === "signed-in" && !onSignIn ? session.user : null;
  // Until two-factor sign-in is set up where the office requires it, the set-up page is the only page.
  const mustEnrol = session.status === "signed-in" && session.mfaEnrollmentRequired;
  const held = mustEnrol && !onSignIn && path !== TWO_FACTOR_PATH;

  useEffect(() => {
    void loadSession();
  }, []);

  // Every page but sign-in needs a session; the sign-in page has nothing to offer someone signed in.
  useEffect(() => {
    if (session.status === "signed-out" && !onSignIn && !onReset) {
      navigate(signInHref(path + search), { replace: true });
    } else if (session.status === "signed-in" && onSignIn) {
      navigate(safeNext(new URLSearchParams(search).get("next")), { replace: true });
    } else if (held) {
      navigate(twoFactorHref(path + search), { replace: true });
    }
  }, [session.status, path, search, held, onReset]);

  // What had the focus when the path changed (read while rendering, before the old page goes).
  const shownPath = useRef(path);
  const focusAtNavigation = useRef<Element | null>(null);
  if (shownPath.current !== path) {
    shownPath.current = path;
    focusAtNavigation.current = document.activeElement;
  }

  // After an in-app navigation, move focus to the new page so that keyboard and screen-reader
  // users start at its top, as they would after a full page load. The first page shown after
  // the sign-in check counts as the page load. Effects run after paint: if the user has already
  // moved on in the new page by then (a quick click that focused an error summary), leave the focus there.
  useEffect(() => {
    if (!ready) return;
    if (first.current) {
      first.current = false;
      return;
    }
    const active = document.activeElement;
    const movedOn = active && active !== document.body && active !== focusAtNavigation.current && main.current?.contains(active);
    focusAtNavigation.current = null;
    if (movedOn) return;
    main.current?.focus();
    window.scrollTo(0, 0);
  }, [path, ready]);

  const skip = (e: Event) => {
    e.preventDefault();
    main.current?.focus();
  };

  let page;
  if (session.status === "loading") page = <Loading />;
  else if (onSignIn) page = session.status === "signed-in" ? <Loading /> : <SignIn />;
  else if (onReset) page = <ResetPassword />;
  else if (session.status === "error") page = <SessionError problem={session.problem} />;
  else if (session.status === "signed-out" || held) page = <Loading />;
  else page = <Page path={path} />;

  return (
    <>
      <a class="skip-link" href="#main" onClick={skip}>
        Skip to main content
      </a>
      <header class="site-header">
        <div class="container site-header__inner">
          {user ? (
            <Link href="/" class="brand">
              ImpactLedger
            </Link>
          ) : (
            <span class="brand">ImpactLedger</span>
          )}
          {user && !mustEnrol && (
            <nav aria-label="Main">
              <ul class="nav">
                <li>
                  <Link
                    href="/"
                    aria-current={
                      path === "/" ? "page" : /^\/(cases\/(?!new$)|victims\/|statements\/)/.test(path) ? "true" : undefined
                    }
                  >
                    Cases
                  </Link>
                </li>
                <li>
                  <Link href="/cases/new" aria-current={path === "/cases/new" ? "page" : undefined}>
                    New case
                  </Link>
                </li>
                {user.role === "admin" && (
                  <li>
                    <Link href="/admin/users" aria-current={path === "/admin/users" ? "page" : undefined}>
                      Users
                    </Link>
                  </li>
                )}
                {(user.role === "admin" || user.role === "supervisor") && (
                  <li>
                    <Link href="/admin/audit" aria-current={path === "/admin/audit" ? "page" : undefined}>
                      Audit log
                    </Link>
                  </li>
                )}
              </ul>
            </nav>
          )}
          {user && <SignedIn user={user} path={path} accountLink={!mustEnrol} />}
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1} class="container">
        {page}
      </main>
      <ReauthDialog />
    </>
  );
}

/** SignedIn shows who is signed in, leads to their account page, and signs them out. */
function SignedIn({ user, path, accountLink }: { user: User; path: string; accountLink: boolean }) {
  const [busy, setBusy] = useState(false);

  const signOut = async () => {
    setBusy(true);
    try {
      await api.POST("/api/v1/auth/logout");
    } catch {
      // Signed out here whatever the server said: the local state goes either way.
    }
    forgetListSearch();
    forgetDrafts();
    setSignedOut();
    navigate(`${SIGN_IN_PATH}?signed_out=1`);
  };

  return (
    <div class="account">
      <p class="account__who">
        <span class="visually-hidden">Signed in as </span>
        {user.display_name} · {roleLabel(user.role)}
      </p>
      {accountLink && (
        <Link
          href="/account"
          id="account-link"
          class="account__link"
          aria-current={path === "/account" ? "page" : path.startsWith("/account/") ? "true" : undefined}
        >
          Account
        </Link>
      )}
      <button
        type="button"
        id="sign-out"
        class="button button--secondary button--small"
        disabled={busy}
        onClick={() => void signOut()}
      >
        Sign out
      </button>
    </div>
  );
}

/** Loading is the quiet page shown while the app checks the sign-in; it appears only if the check is slow. */
function Loading() {
  return (
    <p class="page-loading" role="status">
      Loading…
    </p>
  );
}

function SessionError({ problem }: { problem: Problem }) {
  useEffect(() => setTitle("Cannot reach ImpactLedger"), []);
  return (
    <>
      <h1>Cannot reach ImpactLedger</h1>
      <ProblemAlert problem={problem}>
        <p>
          <button type="button" id="retry-session" class="button button--secondary" onClick={() => void loadSession()}>
            Try again
          </button>
        </p>
      </ProblemAlert>
    </>
  );
}

function Page({ path }: { path: string }) {
  if (path === "/") return <CaseList />;
  if (path === "/cases/new") return <CaseNew />;
  if (path === "/account") return <Account />;
  if (path === TWO_FACTOR_PATH) return <TwoFactor />;
  if (path === "/admin/users") return <Users />;
  if (path === "/admin/audit") return <Audit />;
  const victimImport = /^\/cases\/([^/]+)\/victims\/import(?:\/([^/]+))?\/?$/.exec(path);
  if (victimImport?.[1]) {
    const importId = victimImport[2] ? decodeURIComponent(victimImport[2]) : undefined;
    return <VictimImportPage key={victimImport[1]} caseId={decodeURIComponent(victimImport[1])} importId={importId} />;
  }
  const newVictim = /^\/cases\/([^/]+)\/victims\/new\/?$/.exec(path);
  if (newVictim?.[1]) return <VictimNew key={newVictim[1]} caseId={decodeURIComponent(newVictim[1])} />;
  // A case and its sections: /cases/:id, /cases/:id/victims, /cases/:id/defendants.
  const m = /^\/cases\/([^/]+)(?:\/([^/]+))?\/?$/.exec(path);
  const tab = m?.[2] ?? "";
  if (m?.[1] && isCaseTab(tab)) return <CaseDetail key={m[1]} id={decodeURIComponent(m[1])} tab={tab} />;
  const victim = /^\/victims\/([^/]+)\/?$/.exec(path);
  if (victim?.[1]) return <VictimDetail key={victim[1]} id={decodeURIComponent(victim[1])} />;
  const statement = /^\/statements\/([^/]+)(\/history)?\/?$/.exec(path);
  if (statement?.[1]) {
    const sid = decodeURIComponent(statement[1]);
    return statement[2] ? <StatementHistory key={sid} id={sid} /> : <StatementEditor key={sid} id={sid} />;
  }
  return <NotFound />;
}
