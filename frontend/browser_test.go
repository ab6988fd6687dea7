package frontend_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/documents"
	"github.com/impactledger/impactledger/frontend"
	"github.com/impactledger/impactledger/handlers"
	"github.com/impactledger/impactledger/models"
	"github.com/impactledger/impactledger/totp"
)

// requireBrowser finds Chromium, the built UI and axe-core. Without them the test skips with the reason on a
// developer's machine, and fails under CI, which must provide all three.
func requireBrowser(t *testing.T) (chromium string, axe string) {
	t.Helper()
	missing := func(why string) {
		if os.Getenv("CI") != "" {
			t.Fatal(why)
		}
		t.Skip(why)
	}
	chromium = os.Getenv("CHROMIUM_PATH")
	if chromium == "" {
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if p, err := exec.LookPath(name); err == nil {
				chromium = p
				break
			}
		}
	}
	if chromium == "" {
		missing("no Chromium installed (apt-get install chromium, or set CHROMIUM_PATH): browser tests skipped")
	}
	if !frontend.Built() {
		missing("the UI is not built: run `make ui` (or `make test`, which builds it)")
	}
	src, err := os.ReadFile(filepath.Join("node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		missing("axe-core is not installed: run `npm ci` in frontend/ (or `make test`)")
	}
	return chromium, string(src)
}

// browser is one headless Chromium tab pointed at a real server.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	axe  string
}

// newBrowser serves the app on s and opens a tab; edits change the server's configuration first.
func newBrowser(t *testing.T, s *models.Store, edits ...func(*handlers.Config)) *browser {
	chromium, axe := requireBrowser(t)
	cfg := handlers.Config{Store: s, Dialect: s.Dialect(), UI: frontend.Dist(), Ready: s.Ping,
		Logger: slog.New(slog.DiscardHandler)}
	for _, edit := range edits {
		edit(&cfg)
	}
	router, err := handlers.NewRouter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(router)
	t.Cleanup(srv.Close)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	// Long enough for the longest walk-through (intake) on a slow CI machine under PostgreSQL.
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelTab(); cancelAlloc() })

	// Record CSP violations from the first script on, so that a policy breach fails the test.
	b := &browser{t: t, ctx: ctx, base: srv.URL, axe: axe}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.__csp = [];
			document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));`,
	}); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return b
}

// do runs steps and fails the test, showing the page's <main>, when one fails.
func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	for i, step := range steps {
		if err := chromedp.Do(ctx, step); err != nil {
			html, _ := chromedp.Run(b.ctx, chromedp.OuterHTML(chromedp.CSS("main")))
			b.t.Fatalf("browser step %d: %v\n<main> now: %s", i+1, err, html)
		}
	}
}

func eval[T any](b *browser, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluating %.60q: %v", js, err)
	}
	return v
}

// choose picks an option of a <select> as a person would, firing the events the app listens to.
func (b *browser) choose(id, value string) {
	b.t.Helper()
	// An <option> has no box of its own, so wait for it to exist rather than to be visible.
	b.do(chromedp.WaitReady(chromedp.CSS(`#` + id + ` option[value="` + value + `"]`)))
	b.replace(id, value)
}

// replace sets a field's whole value and fires the events typing would, for selects and for clearing.
func (b *browser) replace(id, value string) {
	b.t.Helper()
	eval[chromedp.Void](b, fmt.Sprintf(`(() => { const s = document.getElementById(%q); s.value = %q;
		s.dispatchEvent(new Event('input', {bubbles: true})); s.dispatchEvent(new Event('change', {bubbles: true})); })()`, id, value))
}

// waitText waits until an element matching selector shows text containing want.
func (b *browser) waitText(selector, want string) {
	b.t.Helper()
	js := fmt.Sprintf(`[...document.querySelectorAll(%q)].some(e => e.innerText.includes(%q))`, selector, want)
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		html, _ := chromedp.Run(b.ctx, chromedp.OuterHTML(chromedp.CSS("body")))
		b.t.Fatalf("waiting for %q in %s: %v\n<body> now: %s", want, selector, err, html)
	}
}

// waitErrorSummaryFocused waits until a failed submission has moved focus to the form's error summary, as
// the form does for keyboard and screen-reader users; until then the page may still scroll under the mouse.
func (b *browser) waitErrorSummaryFocused() {
	b.t.Helper()
	js := `document.activeElement && document.activeElement.getAttribute('role') === 'alert'`
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		b.t.Fatalf("focus did not move to the error summary: %v", err)
	}
}

// checkPage runs axe-core on the page as it stands and fails on any violation or CSP breach.
func (b *browser) checkPage(name string) {
	b.t.Helper()
	var result struct {
		Violations []struct {
			ID    string `json:"id"`
			Help  string `json:"help"`
			Nodes []struct {
				Target []any `json:"target"`
			} `json:"nodes"`
		} `json:"violations"`
	}
	eval[chromedp.Void](b, b.axe)
	raw := eval[string](b, `axe.run(document).then(r => JSON.stringify(r))`)
	if err := json.Unmarshal([]byte(raw), &result); err != nil {
		b.t.Fatal(err)
	}
	for _, v := range result.Violations {
		b.t.Errorf("%s: axe %s: %s (%d elements, first %v)", name, v.ID, v.Help, len(v.Nodes), v.Nodes[0].Target)
	}
	if csp := eval[[]string](b, `window.__csp || []`); len(csp) > 0 {
		b.t.Errorf("%s: Content-Security-Policy violations: %v", name, csp)
	}
}

// checkNarrow fails when the page as it stands scrolls sideways on a phone 360 px wide.
func (b *browser) checkNarrow(name string) {
	b.t.Helper()
	b.do(chromedp.EmulateViewport(360, 740))
	wide := eval[int](b, `document.documentElement.scrollWidth`)
	b.do(chromedp.EmulateReset())
	if wide > 360 {
		b.t.Errorf("%s: at 360 px wide the page is %d px wide and scrolls sideways", name, wide)
	}
}

// waitFocus waits until the element with id has the keyboard focus, which the app moves after rendering.
// signIn signs in from the home page with email and password and waits for the case list.
func (b *browser) signIn(email, password string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base + "/"))
	b.waitText("h1", "Sign in")
	b.do(chromedp.SendKeys(chromedp.ID("email"), email), chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("sign-in")))
	b.waitText("h1", "Cases")
}

func (b *browser) waitFocus(id, why string) {
	b.t.Helper()
	js := fmt.Sprintf(`!!document.activeElement && document.activeElement.id === %q`, id)
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		b.t.Errorf("%s: focus is on %q, not #%s", why, eval[string](b, `document.activeElement ? document.activeElement.id : ''`), id)
	}
}

// waitPath waits until the app shows path (without the query string).
func (b *browser) waitPath(path string) {
	b.t.Helper()
	js := fmt.Sprintf(`location.pathname === %q`, path)
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		b.t.Fatalf("waiting for %s: %v; at %s", path, err, eval[string](b, `location.href`))
	}
}

// waitTrue waits until the JavaScript expression js is true, and fails with why when it never is.
func (b *browser) waitTrue(js, why string) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		html, _ := chromedp.Run(b.ctx, chromedp.OuterHTML(chromedp.CSS("main")))
		b.t.Fatalf("waiting until %s: %v\n<main> now: %s", why, err, html)
	}
}

// value is the current value of the input with id.
func (b *browser) value(id string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`document.getElementById(%q).value`, id))
}

// TestCaseFlowInTheBrowser creates a case through the UI, finds it in the list, edits it, meets a stale
// edit, and checks every page with axe-core.
func TestCaseFlowInTheBrowser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		b := newBrowser(t, s)
		advocate, err := s.CreateUser(dbtest.System(), models.NewUser{Email: "dana@mesa.gov", DisplayName: "Dana Reyes",
			Role: models.RoleAdvocate, Password: "correct horse battery staple"})
		if err != nil {
			t.Fatal(err)
		}

		// Signing in: the list asks for a session first, and returns to where it was asked for.
		b.do(chromedp.Navigate(b.base + "/"))
		b.waitText("h1", "Sign in")
		b.checkPage("sign-in page")
		b.do(chromedp.SendKeys(chromedp.CSS("#email"), "dana@mesa.gov"),
			chromedp.SendKeys(chromedp.CSS("#password"), "not the password"),
			chromedp.Click(chromedp.CSS("#sign-in")))
		b.waitText("[role=alert]", "The email or password is wrong")
		b.checkPage("failed sign-in")
		b.replace("password", "")
		b.do(chromedp.SendKeys(chromedp.CSS("#password"), "correct horse battery staple"),
			chromedp.Click(chromedp.CSS("#sign-in")))
		b.waitText("h1", "Cases")
		b.waitText("header", "Dana Reyes")
		b.waitText("main", "No cases")
		b.checkPage("empty case list")

		// Create: a submission with missing fields shows errors beside them, and nothing is created.
		b.do(chromedp.Click(chromedp.CSS("#new-case-link")), chromedp.WaitVisible(chromedp.CSS("#case-form")))
		b.do(chromedp.Click(chromedp.CSS("#submit-case")), chromedp.WaitVisible(chromedp.CSS("#caption-error")))
		b.waitErrorSummaryFocused()
		if invalid := eval[string](b, `document.getElementById('caption').getAttribute('aria-invalid')`); invalid != "true" {
			t.Errorf("caption aria-invalid = %q after an empty submission", invalid)
		}
		b.checkPage("create form with errors")

		// The server's own validation reaches the form too: a caption over 300 characters.
		b.do(
			chromedp.SendKeys(chromedp.CSS("#court_case_number"), "22CR371"),
			chromedp.SendKeys(chromedp.CSS("#caption"), strings.Repeat("x", 301)),
			chromedp.SendKeys(chromedp.CSS("#court"), "Mesa County District Court"),
		)
		b.choose("jurisdiction", "us-co")
		b.do(chromedp.Click(chromedp.CSS("#submit-case")))
		b.waitText("#caption-error", "300")
		b.waitErrorSummaryFocused()

		b.replace("caption", "")
		b.do(chromedp.SendKeys(chromedp.CSS("#caption"), "People v. Tina Peters"),
			chromedp.SendKeys(chromedp.CSS("#sentencing_date"), "10032024"),
			chromedp.Click(chromedp.CSS("#submit-case")))
		b.waitText("h1", "People v. Tina Peters")
		path := eval[string](b, `location.pathname`)
		id := strings.TrimPrefix(path, "/cases/")
		stored, err := s.CaseByID(dbtest.System(), id)
		if team, _ := s.CaseTeam(dbtest.System(), id); len(team) != 1 || team[0].UserID != advocate.ID {
			t.Errorf("the advocate who opened the case is not alone on its team: %+v", team)
		}
		if err != nil || stored.CourtCaseNumber != "22CR371" || stored.SentencingDate == nil ||
			stored.SentencingDate.String() != "2024-10-03" {
			t.Fatalf("after the UI created it, the store has %+v (err %v) at %s", stored, err, path)
		}
		b.checkPage("case detail")

		// Edit: change the status and save with the ETag the page read.
		b.do(chromedp.Click(chromedp.CSS("#edit-case")), chromedp.WaitVisible(chromedp.CSS("#save-case")))
		b.checkPage("edit form")
		b.choose("status", "sentenced")
		b.do(chromedp.Click(chromedp.CSS("#save-case")))
		b.waitText("[role=status]", "Saved")
		if stored, _ = s.CaseByID(dbtest.System(), id); stored.Status != models.CaseSentenced || stored.Version != 2 {
			t.Fatalf("after saving in the UI: %+v", stored)
		}

		// A stale edit: someone else changes the case while this page holds version 2.
		b.do(chromedp.Click(chromedp.CSS("#edit-case")), chromedp.WaitVisible(chromedp.CSS("#save-case")))
		if _, err := s.UpdateCase(dbtest.System(), id, 2, models.CaseUpdate{Notes: models.Some("Changed elsewhere.")}); err != nil {
			t.Fatal(err)
		}
		b.do(chromedp.SendKeys(chromedp.CSS("#notes"), "My change."), chromedp.Click(chromedp.CSS("#save-case")))
		b.waitText("[role=alert]", "Someone else changed this case")
		b.checkPage("stale edit")
		if stored, _ = s.CaseByID(dbtest.System(), id); stored.Notes != "Changed elsewhere." {
			t.Fatalf("the stale edit overwrote the other change: notes %q", stored.Notes)
		}

		// The list finds the case by search and by status, and not under another status.
		b.do(chromedp.Navigate(b.base + "/"))
		b.do(chromedp.SendKeys(chromedp.CSS("#q"), "peters"))
		b.waitText(".case-link", "People v. Tina Peters")
		b.choose("status-filter", "sentenced")
		b.waitText(".case-link", "People v. Tina Peters")
		b.choose("status-filter", "closed")
		b.waitText("main", "No cases")
		b.checkPage("filtered list")

		// Paging: with more cases than a page holds, "Load more" fetches the next page by its cursor.
		for i := range 60 {
			nc := models.NewCase{CourtCaseNumber: fmt.Sprintf("24CR%03d", i), Caption: fmt.Sprintf("People v. Ring Member %d", i),
				Court: "Mesa County District Court", Jurisdiction: "us-federal"}
			c, err := s.CreateCase(dbtest.System(), nc)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.SetCaseTeam(dbtest.System(), c.ID, []string{advocate.ID}); err != nil {
				t.Fatal(err)
			}
		}
		b.do(chromedp.Navigate(b.base + "/"))
		b.waitText(".case-link", "Ring Member 59")
		if n := eval[int](b, `document.querySelectorAll('.case-link').length`); n != 50 {
			t.Fatalf("first page shows %d cases; want 50", n)
		}
		b.do(chromedp.Click(chromedp.CSS("#load-more")))
		b.waitText(".case-link", "People v. Tina Peters")
		if n := eval[int](b, `new Set([...document.querySelectorAll('.case-link')].map(a => a.href)).size`); n != 61 {
			t.Fatalf("after Load more the list shows %d distinct cases; want 61", n)
		}
		if eval[bool](b, `!!document.getElementById('load-more')`) {
			t.Error("Load more is still offered on the last page")
		}

		// Narrow screens: 360 px wide, nothing scrolls sideways.
		b.do(chromedp.EmulateViewport(360, 740), chromedp.Navigate(b.base+"/cases/"+id))
		b.waitText("h1", "People v. Tina Peters")
		if eval[bool](b, `document.documentElement.scrollWidth > 360`) {
			t.Error("the case page scrolls sideways at 360 px")
		}
		b.checkPage("case detail at 360 px")

		// An unknown case shows a not-found page, not a crash.
		b.do(chromedp.Navigate(b.base + "/cases/01a211c6-f93c-78c4-8695-72deaf645c6f"))
		b.waitText("main", "not found")
		b.checkPage("case not found")

		// Signing out ends the session; the app asks for a new one.
		b.do(chromedp.Navigate(b.base + "/"))
		b.do(chromedp.Click(chromedp.CSS("#sign-out")))
		b.waitText("main", "signed out")
		if res, err := http.Get(b.base + "/api/v1/cases"); err != nil || res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("the API without a session: %v %v", res.StatusCode, err)
		}
		b.do(chromedp.Navigate(b.base + "/cases/" + id))
		b.waitText("h1", "Sign in")
	})
}

// TestAdminPagesInTheBrowser signs an administrator in through the UI, opens the account, users and audit
// pages and a case's team, uses each once, and checks every page with axe-core.
func TestAdminPagesInTheBrowser(t *testing.T) {
	// The store's clock runs ahead of the wall clock by offset, so that the test can let a minute pass.
	var offset atomic.Int64
	later := func(c *models.Config) {
		c.Now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	}
	dbtest.EachWith(t, later, func(t *testing.T, s *models.Store) {
		offset.Store(0)
		b := newBrowser(t, s)
		ctx := dbtest.System()
		if _, err := s.CreateUser(ctx, models.NewUser{Email: "ada@mesa.gov", DisplayName: "Ada Admin", Role: models.RoleAdmin,
			Password: "correct horse battery staple"}); err != nil {
			t.Fatal(err)
		}
		dana, err := s.CreateUser(ctx, models.NewUser{Email: "dana@mesa.gov", DisplayName: "Dana Reyes", Role: models.RoleAdvocate,
			Password: "another long passphrase"})
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.CreateCase(ctx, models.NewCase{CourtCaseNumber: "22CR371", Caption: "People v. Tina Peters",
			Court: "Mesa County District Court", Jurisdiction: "us-co"})
		if err != nil {
			t.Fatal(err)
		}

		b.do(chromedp.Navigate(b.base + "/admin/users"))
		b.waitText("h1", "Sign in")
		b.do(chromedp.SendKeys(chromedp.CSS("#email"), "ada@mesa.gov"),
			chromedp.SendKeys(chromedp.CSS("#password"), "correct horse battery staple"),
			chromedp.Click(chromedp.CSS("#sign-in")))
		b.waitText("#users-table", "dana@mesa.gov")
		b.checkPage("users page")

		// Create an account; a common password is refused beside its field.
		b.do(chromedp.SendKeys(chromedp.CSS("#user-email"), "eli@mesa.gov"),
			chromedp.SendKeys(chromedp.CSS("#user-name"), "Eli Clerk"),
			chromedp.SendKeys(chromedp.CSS("#user-password"), "password1234"))
		b.choose("user-role", "clerk")
		b.do(chromedp.Click(chromedp.CSS("#create-user")))
		b.waitText("main", "too common")
		b.checkPage("users page with errors")
		b.replace("user-password", "a sturdy passphrase for eli")
		b.do(chromedp.Click(chromedp.CSS("#create-user")))
		b.waitText("#users-table", "eli@mesa.gov")
		eli, err := s.UserByEmail(ctx, "eli@mesa.gov")
		if err != nil {
			t.Fatalf("the account made in the UI is not stored: %v", err)
		}
		b.do(chromedp.Click(chromedp.ID("disable-" + eli.ID)))
		b.waitText("[role=status]", "is disabled")

		// Put Dana on the case's team.
		b.do(chromedp.Navigate(b.base + "/cases/" + c.ID))
		b.waitText("h2", "Team")
		b.choose("team-add", dana.ID)
		b.do(chromedp.Click(chromedp.CSS("#team-add-button")), chromedp.Click(chromedp.CSS("#save-team")))
		b.waitText("[role=status]", "Team saved")
		if team, _ := s.CaseTeam(ctx, c.ID); len(team) != 1 || team[0].UserID != dana.ID {
			t.Fatalf("team after saving in the UI: %+v", team)
		}
		b.checkPage("case with team editor")

		// An API token, shown once.
		b.do(chromedp.Navigate(b.base + "/account"))
		b.do(chromedp.WaitVisible(chromedp.CSS("#token-form")))
		// "Sensitive actions too" says what it adds to the access chosen: to a read-only token, revealing SSNs
		// and nothing that moves money.
		b.do(chromedp.Click(chromedp.ID("token-sensitive")))
		b.waitText("#token-sensitive-hint", "revealing victims’ full SSNs")
		if hint := eval[string](b, `document.getElementById('token-sensitive-hint').innerText`); strings.Contains(hint, "disbursements") {
			t.Errorf("with Read only, the sensitive scope's hint promises %q", hint)
		}
		b.do(chromedp.Click(chromedp.ID("token-access-write")))
		b.waitText("#token-sensitive-hint", "disbursements")
		b.do(chromedp.Click(chromedp.ID("token-access-read")), chromedp.Click(chromedp.ID("token-sensitive")))
		b.do(chromedp.SendKeys(chromedp.CSS("#token-name"), "nightly export"), chromedp.Click(chromedp.CSS("#create-token")))
		b.do(chromedp.WaitVisible(chromedp.CSS("#new-token")))
		if secret := eval[string](b, `document.getElementById('new-token').value`); !strings.HasPrefix(secret, "il_") {
			t.Fatalf("new token field holds %q", secret)
		}
		b.checkPage("account page with a new token")

		// Two-factor sign-in, optional where the office does not require it: set up from the account page.
		b.waitText("#mfa-heading + p", "Off")
		b.do(chromedp.Click(chromedp.ID("mfa-link")))
		b.waitPath("/account/two-factor")
		b.waitText("#mfa-status", "Off")
		if eval[bool](b, `!!document.getElementById('mfa-required-notice')`) {
			t.Error("the set-up page says the office requires two-factor sign-in, which it does not")
		}
		b.checkPage("optional two-factor set-up")
		enrolInTheUI(t, b, "optional set-up")
		b.do(chromedp.Click(chromedp.ID("codes-saved")))
		b.waitText("[role=status]", "Two-factor sign-in is on")
		b.waitText("#mfa-status", "On")
		if eval[bool](b, `!!document.getElementById('recovery-codes') || !!document.getElementById('mfa-start')`) {
			t.Error("after saving the codes, the page still shows them or offers to set up again")
		}
		b.checkPage("two-factor sign-in on")

		// The audit log shows what just happened.
		b.do(chromedp.Navigate(b.base + "/admin/audit"))
		b.waitText("#audit-table", "case.team.update")
		b.checkPage("audit log")
		b.replace("audit-action", "user.create")
		b.do(chromedp.Click(chromedp.CSS("#audit-search")))
		filtered := `(() => { const t = document.querySelector('#audit-table');
			return !!t && t.innerText.includes('user.create') && !t.innerText.includes('case.team.update'); })()`
		if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](filtered, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			t.Fatalf("the action filter did not filter: %v", err)
		}
		b.checkPage("filtered audit log")

		// A refusal shows how many refusals it stands for, and an account change which fields it changed,
		// never their values.
		asDana := models.WithActor(ctx, models.Actor{Type: models.ActorUser, ID: dana.ID, Role: models.RoleAdvocate})
		for range 2 {
			if err := s.RecordDenial(asDana, models.Denial{Operation: "getCase", Reason: "not-found", Status: 404, ObjectType: "case", ObjectID: c.ID}); err != nil {
				t.Fatal(err)
			}
		}
		b.replace("audit-action", "access.denied")
		b.do(chromedp.Click(chromedp.CSS("#audit-search")))
		b.waitText("#audit-table", "Refusals counted: 1")
		b.waitText("#audit-table", "not-found")
		b.checkPage("audit log of refusals")
		b.replace("audit-action", "user.update")
		b.do(chromedp.Click(chromedp.CSS("#audit-search")))
		b.waitText("#audit-table", "Fields changed: active")

		// A minute on, the refusal that was only counted is written out, naming the case it was for.
		offset.Store(int64(models.DenialWindow + time.Second))
		if _, err := s.FlushDenials(ctx); err != nil {
			t.Fatal(err)
		}
		b.replace("audit-action", "access.denied")
		b.do(chromedp.Click(chromedp.CSS("#audit-search")))
		b.waitText("#audit-table", "Counted refusals were for:")
		b.waitText("#audit-table", "getCase case "+c.ID)
		b.checkPage("audit log of a summary")
	})
}

// codeFor is the TOTP code of secret for a step, as an authenticator app would show it.
func codeFor(t *testing.T, secret string, step int64) string {
	t.Helper()
	code, err := totp.Code(secret, step)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// wrongCode is a six-digit code that no step near now accepts for secret.
func wrongCode(t *testing.T, secret string) string {
	t.Helper()
	now := totp.Step(time.Now())
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		if c != codeFor(t, secret, now-1) && c != codeFor(t, secret, now) && c != codeFor(t, secret, now+1) &&
			c != codeFor(t, secret, now+2) {
			return c
		}
	}
	t.Fatal("no wrong code found")
	return ""
}

// enrolInTheUI reads the secret from the set-up page, first offers a wrong code, then the right one, and
// answers the secret and the recovery codes the page shows.
func enrolInTheUI(t *testing.T, b *browser, name string) (string, []string) {
	t.Helper()
	b.do(chromedp.Click(chromedp.ID("mfa-start")), chromedp.WaitVisible(chromedp.ID("mfa-secret")),
		chromedp.WaitVisible(chromedp.ID("mfa-qr")))
	shown := eval[string](b, `document.getElementById('mfa-secret').textContent`)
	secret := strings.ReplaceAll(shown, " ", "")
	if len(secret) != 32 || !strings.Contains(shown, " ") || strings.Contains(shown, "  ") {
		t.Fatalf("%s: the secret is shown as %q; want 32 base32 characters in groups of four", name, shown)
	}
	// The QR code is drawn in the page as one path, with an accessible name, and carries the same secret.
	if d := eval[int](b, `document.querySelectorAll('#mfa-qr path').length === 1 ?
		document.querySelector('#mfa-qr path').getAttribute('d').length : 0`); d < 500 {
		t.Errorf("%s: the QR code's path is %d characters long", name, d)
	}
	if label := eval[string](b, `document.getElementById('mfa-qr').getAttribute('aria-label') || ''`); !strings.Contains(label, "QR code") {
		t.Errorf("%s: the QR code is named %q", name, label)
	}
	if uri := eval[string](b, `document.getElementById('mfa-open-app').getAttribute('href')`); !strings.HasPrefix(uri, "otpauth://totp/") ||
		!strings.Contains(uri, "secret="+secret) {
		t.Errorf("%s: the authenticator link is %q", name, uri)
	}
	b.checkPage(name + ": QR code and key")
	b.checkNarrow(name + ": QR code and key")

	// A wrong code is refused beside the field, and nothing is turned on.
	b.do(chromedp.SendKeys(chromedp.ID("mfa-code"), wrongCode(t, secret)), chromedp.Click(chromedp.ID("mfa-turn-on")))
	b.waitText("#mfa-code-error", "not the current code")
	b.waitErrorSummaryFocused()
	b.checkPage(name + ": wrong code")

	b.replace("mfa-code", codeFor(t, secret, totp.Step(time.Now())))
	b.do(chromedp.Click(chromedp.ID("mfa-turn-on")), chromedp.WaitVisible(chromedp.ID("recovery-codes")))
	codes := eval[[]string](b, `[...document.querySelectorAll('#recovery-codes li')].map(li => li.textContent.trim())`)
	if len(codes) != 10 {
		t.Fatalf("%s: %d recovery codes shown: %v", name, len(codes), codes)
	}
	b.waitFocus("recovery-heading", name+": after turning it on")
	if href := eval[string](b, `document.getElementById('download-codes').href`); !strings.HasPrefix(href, "blob:") {
		t.Errorf("%s: the download link is %q", name, href)
	}
	b.checkPage(name + ": recovery codes")
	b.checkNarrow(name + ": recovery codes")
	return secret, codes
}

// TestTwoFactorInTheBrowser signs a user in where the office requires two-factor sign-in: the app keeps them
// on the set-up page until they have scanned the secret and confirmed a code, shows their recovery codes,
// then asks for a code at every sign-in, refuses a used one, and takes a recovery code instead. An
// administrator then resets the user's two-factor sign-in, and the user must set it up again.
func TestTwoFactorInTheBrowser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		b := newBrowser(t, s, func(c *handlers.Config) { c.RequireMFA = true })
		ctx := dbtest.System()
		const password = "correct horse battery staple"
		dana, err := s.CreateUser(ctx, models.NewUser{Email: "dana@mesa.gov", DisplayName: "Dana Reyes",
			Role: models.RoleAdvocate, Password: password})
		if err != nil {
			t.Fatal(err)
		}
		signIn := func(email string) {
			t.Helper()
			b.do(chromedp.Navigate(b.base + "/"))
			b.waitText("h1", "Sign in")
			b.do(chromedp.SendKeys(chromedp.ID("email"), email), chromedp.SendKeys(chromedp.ID("password"), password),
				chromedp.Click(chromedp.ID("sign-in")))
		}
		signOut := func() {
			t.Helper()
			b.do(chromedp.Click(chromedp.ID("sign-out")))
			b.waitText("main", "signed out")
		}
		codeStep := func(name string) {
			t.Helper()
			b.do(chromedp.WaitVisible(chromedp.ID("totp-code")))
			b.waitFocus("totp-code", name)
		}

		// The first sign-in lands on the set-up page, and every other page leads back to it.
		signIn("dana@mesa.gov")
		b.waitPath("/account/two-factor")
		b.waitText("#mfa-required-notice", "Your office requires two-factor sign-in")
		if eval[bool](b, `!!document.querySelector('nav') || !!document.getElementById('account-link')`) {
			t.Error("the navigation is offered before two-factor sign-in is set up")
		}
		b.checkPage("forced two-factor set-up")
		b.checkNarrow("forced two-factor set-up")
		b.do(chromedp.Navigate(b.base + "/cases/new"))
		b.waitPath("/account/two-factor")
		b.waitText("#mfa-required-notice", "Your office requires two-factor sign-in")
		if next := eval[string](b, `new URLSearchParams(location.search).get('next')`); next != "/cases/new" {
			t.Errorf("the set-up page would return to %q, not /cases/new", next)
		}
		b.do(chromedp.Navigate(b.base + "/"))
		b.waitPath("/account/two-factor")

		secret, recovery := enrolInTheUI(t, b, "forced set-up")
		if u, err := s.UserByID(ctx, dana.ID); err != nil || !u.MFAEnabled() {
			t.Fatalf("after the set-up in the UI the account has two-factor sign-in %v (err %v)", u.MFAEnabled(), err)
		}
		b.do(chromedp.Click(chromedp.ID("codes-saved")))
		b.waitText("h1", "Cases")
		b.waitPath("/")
		b.waitText("nav", "New case")
		signOut()

		// Signing in now takes a code after the password. The set-up used up the current step: the app's
		// next code is the first that works.
		signIn("dana@mesa.gov")
		codeStep("code step")
		b.waitText("#code-form", "dana@mesa.gov")
		b.checkPage("sign-in code step")
		b.checkNarrow("sign-in code step")
		stored := eval[string](b, `JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + document.cookie`)
		if strings.Contains(stored, password) {
			t.Fatal("the password is kept in the browser's storage")
		}
		next := codeFor(t, secret, totp.Step(time.Now())+1)
		b.do(chromedp.SendKeys(chromedp.ID("totp-code"), next), chromedp.Click(chromedp.ID("verify-code")))
		b.waitText("h1", "Cases")
		b.waitPath("/")
		signOut()

		// The same code a second time is refused with the server's reason; a recovery code works instead.
		signIn("dana@mesa.gov")
		codeStep("code step again")
		b.do(chromedp.SendKeys(chromedp.ID("totp-code"), next), chromedp.Click(chromedp.ID("verify-code")))
		b.waitText("[role=alert]", "already used")
		b.waitErrorSummaryFocused()
		if invalid := eval[string](b, `document.getElementById('totp-code').getAttribute('aria-invalid')`); invalid != "true" {
			t.Errorf("the refused code's field has aria-invalid %q", invalid)
		}
		b.checkPage("refused code")
		b.do(chromedp.Click(chromedp.ID("use-recovery-code")), chromedp.WaitVisible(chromedp.ID("recovery-code")))
		b.waitFocus("recovery-code", "after choosing a recovery code")
		b.checkPage("recovery code step")
		b.do(chromedp.SendKeys(chromedp.ID("recovery-code"), recovery[3]), chromedp.Click(chromedp.ID("verify-code")))
		b.waitText("h1", "Cases")
		b.waitPath("/")
		signOut()

		// An administrator resets Dana's two-factor sign-in from the users page.
		ada, err := s.CreateUser(ctx, models.NewUser{Email: "ada@mesa.gov", DisplayName: "Ada Admin", Role: models.RoleAdmin,
			Password: password})
		if err != nil {
			t.Fatal(err)
		}
		adaSecret, err := s.StartMFAEnrollment(ctx, ada.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ConfirmMFAEnrollment(ctx, ada.ID, "", codeFor(t, adaSecret, totp.Step(time.Now()))); err != nil {
			t.Fatal(err)
		}
		signIn("ada@mesa.gov")
		codeStep("administrator's code step")
		b.do(chromedp.SendKeys(chromedp.ID("totp-code"), codeFor(t, adaSecret, totp.Step(time.Now())+1)),
			chromedp.Click(chromedp.ID("verify-code")))
		b.waitText("h1", "Cases")
		b.do(chromedp.Navigate(b.base + "/admin/users"))
		b.waitText("#users-table", "dana@mesa.gov")
		column := `document.getElementById('reset-mfa-` + dana.ID + `').closest('tr').querySelector('[data-label="2FA"]').innerText`
		if on := eval[string](b, column); !strings.Contains(on, "On") {
			t.Errorf("Dana's 2FA column says %q", on)
		}
		b.do(chromedp.Click(chromedp.ID("reset-mfa-"+dana.ID)), chromedp.WaitVisible(chromedp.ID("confirm-reset-mfa-"+dana.ID)))
		b.waitFocus("confirm-reset-mfa-"+dana.ID, "the reset confirmation")
		b.checkPage("reset two-factor confirmation")
		b.do(chromedp.Click(chromedp.ID("confirm-reset-mfa-" + dana.ID)))
		b.waitText("[role=status]", "Dana Reyes’s two-factor sign-in is reset")
		if u, err := s.UserByID(ctx, dana.ID); err != nil || u.MFAEnabled() {
			t.Fatalf("after the reset in the UI the account has two-factor sign-in %v (err %v)", u.MFAEnabled(), err)
		}
		if eval[bool](b, `!!document.getElementById('reset-mfa-`+dana.ID+`')`) {
			t.Error("Reset two-factor is still offered for an account without it")
		}
		b.checkPage("users page after a reset")
		signOut()

		// Dana signs in with the password alone, and must set it up again.
		signIn("dana@mesa.gov")
		b.waitPath("/account/two-factor")
		b.waitText("#mfa-required-notice", "Your office requires two-factor sign-in")
	})
}

// The Mesa County resident whose identity was misused, as the intake test types her in.
const (
	janeSSN   = "078-05-1120"
	janeDOB   = "1961-07-14"
	janeEmail = "jane.roe@example.com"
	janeLine1 = "12 Orchard Lane"
	janeNotes = "Prefers calls after 5pm."
)

// TestIntakeInTheBrowser walks the Mesa County case through the UI as an advocate on the case team: the
// resident (with SSN, birth date, phone, email and address), the county, a bank and its insurer; a duplicate
// SSN refused with a link to the victim already recorded; a defendant with two counts; a sentencing hearing
// typed in Mountain Time; the SSN revealed (and audited) and hidden again; the victim edited, and a stale edit
// refused. The new-victim form keeps a draft across a reload, never with the SSN or birth date. A prosecutor
// on the team then sees the victim in the Rule 49.1 view. Every new screen passes axe-core, and the main ones
// fit a 360 px screen.
func TestIntakeInTheBrowser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		b := newBrowser(t, s)
		ctx := dbtest.System()
		const password = "correct horse battery staple"
		dana, err := s.CreateUser(ctx, models.NewUser{Email: "dana@mesa.gov", DisplayName: "Dana Reyes",
			Role: models.RoleAdvocate, Password: password})
		if err != nil {
			t.Fatal(err)
		}
		pat, err := s.CreateUser(ctx, models.NewUser{Email: "pat@mesa.gov", DisplayName: "Pat Rubin",
			Role: models.RoleProsecutor, Password: password})
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.CreateCase(ctx, models.NewCase{CourtCaseNumber: "22CR371", Caption: "People v. Tina Peters",
			Court: "Mesa County District Court", Jurisdiction: "us-co"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetCaseTeam(ctx, c.ID, []string{dana.ID, pat.ID}); err != nil {
			t.Fatal(err)
		}
		// The court sits in Grand Junction: the browser keeps Mountain Time, so that a hearing's wall-clock
		// time must be converted to UTC on the way out and back.
		if _, err := chromedp.Call(b.ctx, emulation.SetTimezoneOverride,
			emulation.SetTimezoneOverrideParams{TimezoneID: "America/Denver"}); err != nil {
			t.Fatal(err)
		}
		caseURL := b.base + "/cases/" + c.ID

		b.signIn("dana@mesa.gov", password)

		// The case page: the overview, with tabs that are links to the case's sections.
		b.do(chromedp.Navigate(caseURL))
		b.waitText("h1", "People v. Tina Peters")
		b.waitText("#hearings-heading", "Hearings")
		b.waitText("main", "No hearings yet")
		if cur := eval[string](b, `document.querySelector('.tabs [aria-current=page]').id`); cur != "tab-overview" {
			t.Errorf("the current tab is %q", cur)
		}
		b.checkPage("case overview")
		b.checkNarrow("case overview")
		b.do(chromedp.Click(chromedp.ID("tab-victims")))
		b.waitPath("/cases/" + c.ID + "/victims")
		b.waitText("main", "No victims yet")
		b.checkPage("victims tab, empty")

		// The intake wizard keeps what was typed across a reload, but never the SSN or the birth date.
		b.do(chromedp.Click(chromedp.ID("add-victim")))
		b.waitPath("/cases/" + c.ID + "/victims/new")
		b.do(chromedp.WaitVisible(chromedp.ID("victim-form")))
		b.waitText("#wizard-steps [aria-current=step]", "Who")
		b.choose("victim-kind", "individual")
		b.do(chromedp.WaitVisible(chromedp.ID("victim-ssn")),
			chromedp.SendKeys(chromedp.ID("victim-name"), "Jane Roe"),
			chromedp.SendKeys(chromedp.ID("victim-ssn"), janeSSN))
		b.replace("victim-dob", janeDOB)
		if typ := eval[string](b, `document.getElementById('victim-ssn').type`); typ != "password" {
			t.Errorf("the SSN input is of type %q, not masked", typ)
		}
		b.checkPage("new victim form")
		b.checkNarrow("new victim form")
		b.click("wizard-next")
		b.do(chromedp.WaitVisible(chromedp.ID("victim-email")))
		b.waitText("#wizard-steps [aria-current=step]", "Contact and preferences")
		b.do(chromedp.SendKeys(chromedp.ID("victim-email"), janeEmail))
		b.waitTrue(`JSON.stringify(sessionStorage).includes(`+jsString(janeEmail)+`)`, "the draft keeps the email")
		draft := eval[string](b, `JSON.stringify(sessionStorage)`)
		if !strings.Contains(draft, "Jane Roe") || !strings.Contains(draft, janeEmail) {
			t.Fatalf("no draft kept while typing: %s", draft)
		}
		for _, secret := range []string{janeSSN, "078051120", janeDOB} {
			if strings.Contains(draft+eval[string](b, `JSON.stringify(localStorage) + document.cookie`), secret) {
				t.Fatalf("browser storage holds %q: %s", secret, draft)
			}
		}
		b.do(chromedp.Reload())
		b.do(chromedp.WaitVisible(chromedp.ID("draft-restored")), chromedp.WaitVisible(chromedp.ID("victim-email")))
		b.waitText("#draft-restored", "SSN and date of birth are never kept")
		if email := b.value("victim-email"); email != janeEmail {
			t.Fatalf("after a reload the contact step holds email %q", email)
		}
		b.checkPage("new victim form with a restored draft")
		b.click("wizard-back")
		b.do(chromedp.WaitVisible(chromedp.ID("victim-ssn")))
		if name, kind := b.value("victim-name"), b.value("victim-kind"); name != "Jane Roe" || kind != "individual" {
			t.Fatalf("after a reload the form holds name %q, kind %q", name, kind)
		}
		if ssn, dob := b.value("victim-ssn"), b.value("victim-dob"); ssn != "" || dob != "" {
			t.Fatalf("after a reload the SSN (%q) or birth date (%q) came back from storage", ssn, dob)
		}

		// The server's field errors appear beside their fields, on their step.
		b.do(chromedp.SendKeys(chromedp.ID("victim-ssn"), janeSSN))
		b.replace("victim-dob", janeDOB)
		b.click("wizard-next")
		b.do(chromedp.WaitVisible(chromedp.ID("victim-phone")))
		b.do(chromedp.SendKeys(chromedp.ID("victim-phone"), "555-1234"))
		b.click("wizard-next")
		b.waitText("#victim-phone-error", "Phone")
		b.waitErrorSummaryFocused()
		b.checkPage("new victim form with errors")

		b.replace("victim-phone", "(970) 555-0123")
		b.do(chromedp.SendKeys(chromedp.ID("victim-line1"), janeLine1),
			chromedp.SendKeys(chromedp.ID("victim-line2"), "Apt 4"),
			chromedp.SendKeys(chromedp.ID("victim-city"), "Grand Junction"),
			chromedp.SendKeys(chromedp.ID("victim-state"), "co"),
			chromedp.SendKeys(chromedp.ID("victim-postal-code"), "81501"))
		b.choose("victim-language", "es")
		b.do(chromedp.Click(chromedp.ID("victim-interpreter")), chromedp.Click(chromedp.ID("victim-heard-both")),
			chromedp.Click(chromedp.ID("victim-channel-sms")), chromedp.Click(chromedp.ID("victim-channel-email")),
			chromedp.SendKeys(chromedp.ID("victim-notes"), janeNotes))
		b.finishWizard()
		b.waitTrue(`location.pathname.startsWith('/victims/')`, "the new victim's page opens")
		janeID := strings.TrimPrefix(eval[string](b, `location.pathname`), "/victims/")
		b.waitText("h1", "Jane Roe")
		b.waitText("[role=status]", "The SSN on record ends in 1120")
		b.waitText("#ssn-last4", "1120")
		jane, err := s.VictimByID(ctx, janeID, true)
		if err != nil {
			t.Fatal(err)
		}
		if jane.SSN != janeSSN || jane.DateOfBirth == nil || jane.DateOfBirth.String() != janeDOB || jane.Phone != "+19705550123" ||
			jane.Email != janeEmail || jane.MailingAddress == nil || jane.MailingAddress.Line1 != janeLine1 ||
			jane.MailingAddress.State != "CO" || jane.PreferredLanguage != "es" || !jane.InterpreterNeeded ||
			jane.WantsToBeHeard != models.HeardBoth || fmt.Sprint(jane.NotificationChannels) != "[email sms]" ||
			jane.Notes != janeNotes || jane.Kind != models.VictimIndividual {
			t.Fatalf("the victim added in the UI is stored as %+v", jane)
		}
		if left := eval[int](b, `Object.keys(sessionStorage).filter(k => k.startsWith('impactledger.draft.')).length`); left != 0 {
			t.Errorf("%d drafts left after saving", left)
		}
		body := eval[string](b, `document.body.innerText`)
		if strings.Contains(body, janeSSN) || !strings.Contains(body, "July 14, 1961") || !strings.Contains(body, janeEmail) {
			t.Errorf("the victim page before any reveal shows: %s", body)
		}
		b.checkPage("victim page")
		b.checkNarrow("victim page")

		// Revealing the SSN shows it, says that it is audited, and is on record; leaving the page hides it.
		b.waitText("#reveal-note", "audit log")
		b.do(chromedp.Click(chromedp.ID("reveal-ssn")))
		b.waitText("#ssn-value", janeSSN)
		b.checkPage("victim page with the SSN revealed")
		// (The test's own reads above revealed it too, as the system: only Dana's count here.)
		reveals, err := s.ListAuditEvents(ctx, models.AuditFilter{Action: "victim.reveal_ssn", ActorID: dana.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(reveals.Items) != 1 || reveals.Items[0].ActorID != dana.ID || reveals.Items[0].ObjectID != janeID ||
			reveals.Items[0].Outcome != models.OutcomeSuccess {
			t.Fatalf("reveal events: %+v", reveals.Items)
		}
		b.do(chromedp.Click(chromedp.CSS(".back a")))
		b.waitPath("/cases/" + c.ID + "/victims")
		b.waitText(".victim-link", "Jane Roe")
		b.do(chromedp.Click(chromedp.CSS(".victim-link")))
		b.waitText("#ssn-last4", "1120")
		if strings.Contains(eval[string](b, `document.body.innerText`), janeSSN) {
			t.Error("the SSN is still shown after leaving the page and coming back")
		}

		// The county, the bank and its insurer.
		addVictim := func(kind, name string, onWho, onContact func()) {
			t.Helper()
			b.do(chromedp.Navigate(caseURL + "/victims"))
			b.do(chromedp.WaitVisible(chromedp.ID("add-victim")), chromedp.Click(chromedp.ID("add-victim")),
				chromedp.WaitVisible(chromedp.ID("victim-form")))
			b.choose("victim-kind", kind)
			b.do(chromedp.SendKeys(chromedp.ID("victim-name"), name))
			if onWho != nil {
				onWho()
			}
			b.click("wizard-next")
			b.do(chromedp.WaitVisible(chromedp.ID("victim-email")))
			if onContact != nil {
				onContact()
			}
			b.finishWizard()
			b.waitTrue(`location.pathname.startsWith('/victims/')`, name+"'s page opens")
			b.waitText("h1", name)
		}
		addVictim("government", "Mesa County", func() {
			if eval[bool](b, `!!document.getElementById('victim-ssn')`) {
				t.Error("the form asks a government victim for an SSN")
			}
		}, func() {
			b.do(chromedp.SendKeys(chromedp.ID("victim-line1"), "544 Rood Avenue"),
				chromedp.SendKeys(chromedp.ID("victim-city"), "Grand Junction"),
				chromedp.SendKeys(chromedp.ID("victim-state"), "CO"),
				chromedp.SendKeys(chromedp.ID("victim-postal-code"), "81501"),
				chromedp.Click(chromedp.ID("victim-heard-oral")))
		})
		addVictim("business", "Alpine Bank", nil, nil)
		addVictim("insurer", "Western Surety Co.", nil, nil)

		// The same SSN again is refused, with a way to the victim already recorded.
		b.do(chromedp.Navigate(caseURL + "/victims/new"))
		b.do(chromedp.WaitVisible(chromedp.ID("victim-form")))
		b.choose("victim-kind", "individual")
		b.do(chromedp.WaitVisible(chromedp.ID("victim-ssn")), chromedp.SendKeys(chromedp.ID("victim-name"), "J. Roe"),
			chromedp.SendKeys(chromedp.ID("victim-ssn"), "078051120"))
		b.click("wizard-next")
		b.do(chromedp.WaitVisible(chromedp.ID("victim-email")))
		b.click("wizard-next")
		b.waitText("#duplicate-alert", "already recorded")
		b.waitErrorSummaryFocused()
		if href := eval[string](b, `document.getElementById('existing-victim-link').getAttribute('href')`); href != "/victims/"+janeID {
			t.Errorf("the duplicate message links to %q", href)
		}
		b.checkPage("duplicate victim")
		b.do(chromedp.Click(chromedp.ID("existing-victim-link")))
		b.waitPath("/victims/" + janeID)
		b.waitText("h1", "Jane Roe")

		// The list: four victims, filtered by kind and found by name.
		b.do(chromedp.Navigate(caseURL + "/victims"))
		b.waitTrue(`document.querySelectorAll('.victim-link').length === 4`, "the list shows four victims")
		b.choose("victim-kind-filter", "business")
		b.waitTrue(`(() => { const l = [...document.querySelectorAll('.victim-link')];
			return l.length === 1 && l[0].innerText === 'Alpine Bank'; })()`, "the kind filter leaves the bank")
		if q := eval[string](b, `location.search`); q != "?kind=business" {
			t.Errorf("the filtered list's address has %q", q)
		}
		b.choose("victim-kind-filter", "")
		b.do(chromedp.SendKeys(chromedp.ID("victim-q"), "mesa"))
		b.waitTrue(`(() => { const l = [...document.querySelectorAll('.victim-link')];
			return l.length === 1 && l[0].innerText === 'Mesa County'; })()`, "the name search finds the county")
		b.checkPage("victims list, searched")
		b.replace("victim-q", "")
		b.waitTrue(`document.querySelectorAll('.victim-link').length === 4`, "the cleared search shows all four")
		b.checkNarrow("victims list")

		// A defendant with two counts; a third added and removed again; then a count's disposition changes.
		b.do(chromedp.Click(chromedp.ID("tab-defendants")))
		b.waitPath("/cases/" + c.ID + "/defendants")
		b.waitText("main", "No defendants yet")
		b.checkPage("defendants tab, empty")
		b.do(chromedp.Click(chromedp.ID("add-defendant")), chromedp.WaitVisible(chromedp.ID("defendant-form")))
		b.waitFocus("defendant-name", "the defendant form opens")
		b.do(chromedp.SendKeys(chromedp.ID("defendant-name"), "Tina Peters"),
			chromedp.SendKeys(chromedp.ID("charge-0-statute"), "C.R.S. 18-5-902"),
			chromedp.SendKeys(chromedp.ID("charge-0-description"), "Identity theft"))
		b.click("add-charge")
		b.replace("defendant-dob", "1955-06-01")
		b.waitFocus("charge-1-statute", "a count added")
		if n := b.value("charge-1-count"); n != "2" {
			t.Errorf("the second count is numbered %q", n)
		}
		b.do(chromedp.SendKeys(chromedp.ID("charge-1-statute"), "C.R.S. 18-8-306"),
			chromedp.SendKeys(chromedp.ID("charge-1-description"), "Attempting to influence a public servant"),
			chromedp.Click(chromedp.ID("add-charge")), chromedp.WaitVisible(chromedp.ID("charge-2-statute")))
		b.checkPage("defendant form")
		b.checkNarrow("defendant form")
		b.do(chromedp.Click(chromedp.ID("remove-charge-2")))
		b.waitFocus("add-charge", "a count removed")
		if eval[bool](b, `!!document.getElementById('charge-2-statute')`) {
			t.Fatal("the removed count is still in the form")
		}
		b.do(chromedp.Click(chromedp.ID("save-defendant")))
		b.waitText("[role=status]", "Tina Peters added with 2 counts")
		b.waitText("#defendants-list", "Attempting to influence a public servant")
		defs, err := s.ListDefendants(ctx, c.ID, 10, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(defs.Items) != 1 || len(defs.Items[0].Charges) != 2 || defs.Items[0].Charges[1].Statute != "C.R.S. 18-8-306" ||
			defs.Items[0].DateOfBirth == nil || defs.Items[0].DateOfBirth.String() != "1955-06-01" {
			t.Fatalf("the defendant added in the UI is stored as %+v", defs.Items)
		}
		tina := defs.Items[0]
		b.do(chromedp.Click(chromedp.ID("edit-defendant-"+tina.ID)), chromedp.WaitVisible(chromedp.ID("defendant-form")))
		b.choose("charge-0-disposition", "convicted")
		b.do(chromedp.Click(chromedp.ID("save-defendant")))
		b.waitText("[role=status]", "Tina Peters saved")
		b.waitText("#defendants-list", "Convicted")
		if d, err := s.DefendantByID(ctx, tina.ID); err != nil || d.Charges[0].Disposition != models.DispositionConvicted ||
			d.Charges[0].ID != tina.Charges[0].ID || len(d.Charges) != 2 {
			t.Fatalf("after the edit in the UI: %+v (err %v)", d, err)
		}
		b.checkPage("defendants list")
		b.checkNarrow("defendants list")

		// The sentencing hearing, typed as 3 pm in Grand Junction: 21:00 UTC on that October day.
		b.do(chromedp.Click(chromedp.ID("tab-overview")))
		b.waitPath("/cases/" + c.ID)
		b.do(chromedp.WaitVisible(chromedp.ID("add-hearing")), chromedp.Click(chromedp.ID("add-hearing")),
			chromedp.WaitVisible(chromedp.ID("hearing-form")))
		b.waitText("#hearing-starts-at-hint", "America/Denver")
		b.choose("hearing-kind", "sentencing")
		b.replace("hearing-starts-at", "2024-10-03T15:00")
		b.do(chromedp.SendKeys(chromedp.ID("hearing-location"), "Courtroom 10, Mesa County Justice Center"))
		b.checkPage("hearing form")
		b.checkNarrow("hearing form")
		b.do(chromedp.Click(chromedp.ID("save-hearing")))
		b.waitText("[role=status]", "Sentencing hearing added")
		b.waitText("#hearings-table", "Courtroom 10")
		// An arraignment scheduled afterwards lists first: hearings are in date order.
		b.do(chromedp.Click(chromedp.ID("add-hearing")), chromedp.WaitVisible(chromedp.ID("hearing-form")))
		b.choose("hearing-kind", "arraignment")
		b.replace("hearing-starts-at", "2022-03-09T09:30")
		b.choose("hearing-status", "held")
		b.do(chromedp.Click(chromedp.ID("save-hearing")))
		b.waitText("[role=status]", "Arraignment hearing added")
		b.waitTrue(`document.querySelectorAll('#hearings-table tbody tr').length === 2 &&
			document.querySelector('#hearings-table tbody tr').innerText.includes('Arraignment')`, "the arraignment lists first")
		hearings, err := s.ListHearings(ctx, c.ID, 10, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(hearings.Items) != 2 || hearings.Items[1].Kind != models.HearingSentencing ||
			!hearings.Items[1].StartsAt.Equal(time.Date(2024, 10, 3, 21, 0, 0, 0, time.UTC)) ||
			!hearings.Items[0].StartsAt.Equal(time.Date(2022, 3, 9, 16, 30, 0, 0, time.UTC)) {
			t.Fatalf("hearings stored: %+v", hearings.Items)
		}
		sentencing := hearings.Items[1]
		b.do(chromedp.Click(chromedp.ID("edit-hearing-"+sentencing.ID)), chromedp.WaitVisible(chromedp.ID("hearing-form")))
		if v := b.value("hearing-starts-at"); v != "2024-10-03T15:00" {
			t.Errorf("the edit form shows the hearing at %q, not 3 pm Mountain Time", v)
		}
		b.choose("hearing-status", "continued")
		b.do(chromedp.Click(chromedp.ID("save-hearing")))
		b.waitText("[role=status]", "Hearing saved")
		if h, err := s.HearingByID(ctx, sentencing.ID); err != nil || h.Status != models.HearingContinued ||
			!h.StartsAt.Equal(sentencing.StartsAt) || h.Version != 2 {
			t.Fatalf("after the edit in the UI: %+v (err %v)", h, err)
		}
		// The list reloads after a save, dimmed while it does: check it once it has settled.
		b.waitTrue(`!document.querySelector('#hearings-table[aria-busy]')`, "the hearings have reloaded")
		b.checkPage("case overview with hearings")
		b.checkNarrow("case overview with hearings")

		// Editing the victim: the SSN is never filled back in, and a change saves with the ETag read.
		b.do(chromedp.Navigate(b.base + "/victims/" + janeID))
		b.do(chromedp.WaitVisible(chromedp.ID("edit-victim")), chromedp.Click(chromedp.ID("edit-victim")),
			chromedp.WaitVisible(chromedp.ID("victim-form")))
		if ssn := b.value("victim-ssn"); ssn != "" {
			t.Errorf("the edit form fills in the SSN: %q", ssn)
		}
		b.waitText("#victim-ssn-hint", "ends in 1120")
		b.checkPage("victim edit form")
		b.replace("victim-phone", "+44 20 7946 0958")
		b.choose("victim-status", "unreachable")
		b.do(chromedp.Click(chromedp.ID("save-victim")))
		b.waitText("[role=status]", "Saved")
		jane, err = s.VictimByID(ctx, janeID, true)
		if err != nil || jane.Phone != "+442079460958" || jane.Status != models.VictimUnreachable || jane.Version != 2 ||
			jane.SSN != janeSSN || jane.Email != janeEmail {
			t.Fatalf("after the edit in the UI: %+v (err %v)", jane, err)
		}

		// A stale edit: someone else changes the victim while this page holds version 2.
		b.do(chromedp.Click(chromedp.ID("edit-victim")), chromedp.WaitVisible(chromedp.ID("victim-form")))
		if _, err := s.UpdateVictim(ctx, janeID, 2, models.VictimUpdate{Notes: models.Some("Changed elsewhere.")}); err != nil {
			t.Fatal(err)
		}
		b.replace("victim-notes", "My change.")
		b.do(chromedp.Click(chromedp.ID("save-victim")))
		b.waitText("[role=alert]", "Someone else changed this victim")
		b.checkPage("stale victim edit")
		if jane, _ = s.VictimByID(ctx, janeID, false); jane.Notes != "Changed elsewhere." {
			t.Fatalf("the stale edit overwrote the other change: notes %q", jane.Notes)
		}
		b.do(chromedp.Click(chromedp.ID("reload-victim")))
		b.waitText("[role=status]", "Reloaded")
		b.waitText("#victim-details", "Changed elsewhere.")

		// The prosecutor on the team gets the Rule 49.1 view: no birth date, phone, email, street or notes.
		b.do(chromedp.Click(chromedp.ID("sign-out")))
		b.waitText("main", "signed out")
		b.signIn("pat@mesa.gov", password)
		b.do(chromedp.Navigate(b.base + "/victims/" + janeID))
		b.waitText("#view-note", "Rule 49.1 view")
		b.waitText("#victim-details", "1120")
		body = eval[string](b, `document.body.innerText`)
		for _, secret := range []string{janeSSN, janeDOB, "July 14", "+442079460958", "+44 20", janeEmail, janeLine1, "Apt 4",
			"81501", "Changed elsewhere", janeNotes} {
			if strings.Contains(body, secret) {
				t.Errorf("the prosecutor's page shows %q", secret)
			}
		}
		for _, want := range []string{"Jane Roe", "1961", "Grand Junction, CO", "Spanish"} {
			if !strings.Contains(body, want) {
				t.Errorf("the prosecutor's page lacks %q: %s", want, body)
			}
		}
		if eval[bool](b, `!!document.getElementById('reveal-ssn') || !!document.getElementById('edit-victim')`) {
			t.Error("the prosecutor is offered Reveal SSN or Edit")
		}
		b.checkPage("victim page, Rule 49.1 view")
		b.checkNarrow("victim page, Rule 49.1 view")
		b.do(chromedp.Navigate(caseURL + "/victims"))
		b.waitTrue(`document.querySelectorAll('.victim-link').length === 4`, "the prosecutor sees the four victims")
		if eval[bool](b, `!!document.getElementById('add-victim')`) {
			t.Error("the prosecutor is offered Add victim")
		}
		b.checkPage("victims list, prosecutor")
	})
}

// finishWizard goes on from the intake wizard's contact step to its end: it adds the victim, passes the losses
// and statement steps as they are, and finishes on the review.
func (b *browser) finishWizard() {
	b.t.Helper()
	for _, step := range []string{"losses", "statement", "review"} {
		b.click("wizard-next")
		b.waitStep(step)
	}
	b.click("finish-intake")
}

// waitSettled waits until what a wizard step loads has arrived, so that the page no longer moves under a click.
func (b *browser) waitSettled() {
	b.t.Helper()
	b.waitTrue(`(() => { const s = (document.getElementById('wizard-step') || {dataset: {}}).dataset.step;
		if (s === 'losses') return !!document.querySelector('#no-losses, #losses-table');
		if (s === 'review') return !!document.getElementById('review-losses');
		return true; })()`, "the wizard step has loaded")
	// Let the step's own effects (focus on its heading) run before anything is clicked.
	eval[bool](b, `new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(() => r(true), 0))))`)
}

// click clicks the element with id once it has stopped moving: a step that has just re-rendered may still be
// laying out (a panel closing, a list arriving), and a click computed before then lands elsewhere.
func (b *browser) click(id string) {
	b.t.Helper()
	js := fmt.Sprintf(`new Promise(r => { const box = () => { const e = document.getElementById(%q);
		return e ? JSON.stringify(e.getBoundingClientRect()) : ''; }; const a = box();
		requestAnimationFrame(() => requestAnimationFrame(() => r(a !== '' && box() === a))); })`, id)
	for i := 0; !eval[bool](b, js); i++ {
		if i == 100 {
			b.t.Fatalf("#%s never stood still", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.do(chromedp.Click(chromedp.ID(id)))
}

// waitStep waits until the intake wizard shows step.
func (b *browser) waitStep(step string) {
	b.t.Helper()
	b.waitTrue(fmt.Sprintf(`(document.getElementById('wizard-step') || {dataset: {}}).dataset.step === %q`, step),
		"the wizard shows its "+step+" step")
	b.waitSettled()
}

// acceptDialogs accepts every JavaScript dialog the page opens from now on (such as "leave the page with unsaved
// changes?"), so that a navigation never hangs on one, and answers a count of those seen, by type.
func (b *browser) acceptDialogs() func(kind string) int {
	var mu sync.Mutex
	seen := map[string]int{}
	go func() {
		for ev, err := range chromedp.Events(b.ctx, page.JavascriptDialogOpening) {
			if err != nil {
				return
			}
			mu.Lock()
			seen[string(ev.Type)]++
			mu.Unlock()
			go func() {
				_, _ = chromedp.Call(b.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
			}()
		}
	}()
	return func(kind string) int {
		mu.Lock()
		defer mu.Unlock()
		return seen[kind]
	}
}

// The resident's impact statement, in three of the languages of the Mesa County victims.
const (
	germanText     = "Seit dem Identitätsdiebstahl schlafe ich schlecht. Ich habe Angst, Briefe zu öffnen."
	vietnameseText = "Tôi đã mất ba tuần để sửa lại tín dụng của mình."
	chineseText    = "我的身份被盗用了，银行账户被冻结。𠜎"
)

// TestStatementInTheBrowser walks an impact statement through the UI as an advocate on the case team: started
// from the victim's page, typed in German, Vietnamese and Chinese, restored after a reload before any save,
// saved, submitted and finalized through the confirmation; edited again into a new draft while the final
// version stays the one used for exhibits; saved over a concurrent change (412) without losing a character;
// and its revision history paged and read. Signing out drops the unsaved text. A prosecutor on the team reads
// it, final version first, and changes nothing; a clerk never sees it. Every screen passes axe-core.
func TestStatementInTheBrowser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		b := newBrowser(t, s)
		dialogs := b.acceptDialogs()
		ctx := dbtest.System()
		const password = "correct horse battery staple"
		newUser := func(email, name string, role models.Role) models.User {
			t.Helper()
			u, err := s.CreateUser(ctx, models.NewUser{Email: email, DisplayName: name, Role: role, Password: password})
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		dana := newUser("dana@mesa.gov", "Dana Reyes", models.RoleAdvocate)
		pat := newUser("pat@mesa.gov", "Pat Rubin", models.RoleProsecutor)
		newUser("eli@mesa.gov", "Eli Clerk", models.RoleClerk)
		c, err := s.CreateCase(ctx, models.NewCase{CourtCaseNumber: "22CR371", Caption: "People v. Tina Peters",
			Court: "Mesa County District Court", Jurisdiction: "us-co"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetCaseTeam(ctx, c.ID, []string{dana.ID, pat.ID}); err != nil {
			t.Fatal(err)
		}
		jane, err := s.CreateVictim(ctx, c.ID, models.NewVictim{Kind: models.VictimIndividual, Name: "Jane Roe"})
		if err != nil {
			t.Fatal(err)
		}
		signOut := func() {
			t.Helper()
			b.do(chromedp.Click(chromedp.ID("sign-out")))
			b.waitText("main", "signed out")
		}
		stored := func() models.Statement {
			t.Helper()
			list, err := s.ListStatements(ctx, jane.ID, 10, "")
			if err != nil || len(list.Items) != 1 {
				t.Fatalf("the victim's statements: %+v (err %v)", list.Items, err)
			}
			return list.Items[0]
		}
		drafts := `Object.keys(sessionStorage).filter(k => k.startsWith('impactledger.draft.')).map(k => sessionStorage.getItem(k)).join('')`
		victimURL := b.base + "/victims/" + jane.ID

		// The victim's page has an empty statement section with a way to start one.
		b.signIn("dana@mesa.gov", password)
		b.do(chromedp.Navigate(victimURL))
		b.waitText("#statement-section", "No impact statement yet")
		b.checkPage("victim page, statement section empty")
		b.do(chromedp.Click(chromedp.ID("start-statement")))
		b.waitTrue(`location.pathname.startsWith('/statements/')`, "the new statement's editor opens")
		id := strings.TrimPrefix(eval[string](b, `location.pathname`), "/statements/")
		b.do(chromedp.WaitVisible(chromedp.ID("statement-form")))
		b.waitText("#statement-status", "Draft")
		b.waitText("#statement-emotional-hint", "feel")
		b.checkPage("statement editor")
		b.checkNarrow("statement editor")

		// Typing in three languages; the counters count characters as the server does (code points).
		b.do(chromedp.SendKeys(chromedp.ID("statement-emotional"), germanText),
			chromedp.SendKeys(chromedp.ID("statement-physical"), vietnameseText))
		b.replace("statement-financial", chineseText)
		b.choose("statement-language", "vi")
		b.choose("statement-delivery", "both")
		if got, want := eval[string](b, `document.getElementById('statement-financial-count').innerText`),
			fmt.Sprintf("%d of 50,000 characters", utf8.RuneCountInString(chineseText)); got != want {
			t.Errorf("the Chinese section's counter says %q, want %q", got, want)
		}
		b.waitTrue(`(`+drafts+`).includes(`+jsString(germanText)+`) && (`+drafts+`).includes(`+jsString(chineseText)+`)`,
			"the typed text is kept as a draft in this tab")
		if leaked := eval[string](b, `JSON.stringify(localStorage) + document.cookie`); strings.Contains(leaked, "Identit") {
			t.Errorf("statement text left the tab's sessionStorage: %s", leaked)
		}
		// Leaving the page now asks first.
		if !eval[bool](b, `(() => { const e = new Event('beforeunload', {cancelable: true}); window.dispatchEvent(e); return e.defaultPrevented; })()`) {
			t.Error("leaving the editor with unsaved text does not ask first")
		}

		// A reload before saving brings the text back, with a note.
		b.do(chromedp.Reload())
		b.do(chromedp.WaitVisible(chromedp.ID("draft-restored")))
		if e, p, f, lang := b.value("statement-emotional"), b.value("statement-physical"), b.value("statement-financial"),
			b.value("statement-language"); e != germanText || p != vietnameseText || f != chineseText || lang != "vi" {
			t.Fatalf("after a reload the editor holds %q, %q, %q in %q", e, p, f, lang)
		}
		if dialogs("beforeunload") == 0 {
			t.Error("reloading with unsaved text did not ask first")
		}
		b.checkPage("statement editor with a restored draft")

		// Saving sends the changes with the ETag read, and drops the draft.
		b.do(chromedp.Click(chromedp.ID("save-statement")))
		b.waitText("#statement-message", "Saved as revision 2")
		st := stored()
		if st.Sections.Emotional != germanText || st.Sections.Physical != vietnameseText || st.Sections.Financial != chineseText ||
			st.Language != "vi" || st.Delivery != models.DeliveryBoth || st.Revision != 2 || st.Status != models.StatementDraft {
			t.Fatalf("after saving in the UI the statement is %+v", st)
		}
		b.waitTrue(`(`+drafts+`) === ''`, "the draft is dropped once saved")
		if eval[bool](b, `(() => { const e = new Event('beforeunload', {cancelable: true}); window.dispatchEvent(e); return e.defaultPrevented; })()`) {
			t.Error("with everything saved, leaving the editor still asks first")
		}

		// Near and over the limit: the counter warns, the live region speaks once, and nothing too long is sent.
		b.replace("statement-other", strings.Repeat("ä", 45_000))
		b.waitText("#statement-announcer", "nearing the limit, 5,000 characters left")
		if cls := eval[string](b, `document.getElementById('statement-other-count').className`); !strings.Contains(cls, "counter--near") {
			t.Errorf("near the limit the counter's class is %q", cls)
		}
		b.replace("statement-other", strings.Repeat("中", 50_001))
		b.waitText("#statement-announcer", "1 character over")
		b.do(chromedp.Click(chromedp.ID("save-statement")))
		b.waitText("#statement-other-error", "over the limit")
		b.waitErrorSummaryFocused()
		if st := stored(); st.Version != 2 || st.Sections.Other != "" {
			t.Fatalf("a section over the limit was sent: version %d", st.Version)
		}
		b.replace("statement-other", "")
		b.waitText("#statement-announcer", "within the limit again")

		// Submit, then finalize through the confirmation.
		b.do(chromedp.Click(chromedp.ID("submit-statement")))
		b.waitText("#statement-status", "Submitted")
		b.waitText("#statement-message", "Submitted as revision 3")
		b.do(chromedp.Click(chromedp.ID("finalize-statement")), chromedp.WaitVisible(chromedp.ID("finalize-dialog")))
		b.waitText("#finalize-dialog", "sentencing exhibits use")
		b.waitFocus("cancel-finalize", "the finalize confirmation")
		b.checkPage("finalize dialog")
		b.do(chromedp.Click(chromedp.ID("confirm-finalize")))
		b.waitText("#statement-status", "Final")
		b.waitText("#final-note", "This statement is final")
		if st := stored(); st.Status != models.StatementFinal || st.Final == nil || st.Final.Number != 4 {
			t.Fatalf("after finalizing in the UI: %+v", st)
		}

		// Editing the final statement starts a new draft; the final version stays the one for exhibits.
		b.do(chromedp.SendKeys(chromedp.ID("statement-other"), "Ich möchte vor Gericht gehört werden."),
			chromedp.Click(chromedp.ID("save-statement")))
		b.waitText("#statement-message", "a new draft")
		b.waitText("#statement-status", "Draft")
		b.waitText("#final-note", "The final version (revision 4) is still the one used for exhibits until this draft is finalized")
		b.checkPage("statement editor, new draft after a final one")
		if st := stored(); st.Status != models.StatementDraft || st.Revision != 5 || st.Final == nil || st.Final.Number != 4 ||
			st.Final.Sections.Other != "" {
			t.Fatalf("after editing the final statement: %+v", st)
		}

		// A concurrent change: someone else saves while this page holds revision 5.
		b.do(chromedp.SendKeys(chromedp.ID("statement-emotional"), " Mein eigener Zusatz."))
		version, err := s.StatementVersion(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateStatement(ctx, id, version, models.StatementUpdate{
			Emotional: models.Some("Geändert von jemand anderem."), Physical: models.Some("Changed elsewhere."),
		}); err != nil {
			t.Fatal(err)
		}
		mine := germanText + " Mein eigener Zusatz."
		b.do(chromedp.Click(chromedp.ID("save-statement")))
		b.waitText("[role=alert]", "Someone else saved this statement")
		b.waitErrorSummaryFocused()
		if got := b.value("statement-emotional"); got != mine {
			t.Fatalf("after the stale save the editor holds %q", got)
		}
		if st := stored(); st.Sections.Emotional != "Geändert von jemand anderem." {
			t.Fatalf("the stale save overwrote the other change: %q", st.Sections.Emotional)
		}
		b.waitTrue(`(`+drafts+`).includes('Mein eigener Zusatz')`, "the unsaved text is kept in the tab")
		b.checkPage("stale statement save")
		b.do(chromedp.Click(chromedp.ID("reload-statement")), chromedp.WaitVisible(chromedp.ID("their-version")))
		b.waitText("#their-text", "Geändert von jemand anderem.")
		b.waitText("#their-version-both", "Emotional impact")
		if e, p := b.value("statement-emotional"), b.value("statement-physical"); e != mine || p != "Changed elsewhere." {
			t.Fatalf("after loading their version the editor holds %q and %q", e, p)
		}
		b.checkPage("their version beside the editor")
		b.checkNarrow("their version beside the editor")
		b.do(chromedp.Click(chromedp.ID("save-statement")))
		b.waitText("#statement-message", "Saved as revision 7")
		if st := stored(); st.Sections.Emotional != mine || st.Sections.Physical != "Changed elsewhere." ||
			st.Sections.Financial != chineseText {
			t.Fatalf("after saving over their version: %+v", st.Sections)
		}
		if eval[bool](b, `!!document.getElementById('their-version')`) {
			t.Error("their version is still shown after saving")
		}

		// The revision history, newest first, a page at a time; an older revision's text on request.
		for i := range 4 {
			v, _ := s.StatementVersion(ctx, id)
			if _, err := s.UpdateStatement(ctx, id, v, models.StatementUpdate{Other: models.Some(fmt.Sprintf("Note %d.", i))}); err != nil {
				t.Fatal(err)
			}
		}
		b.do(chromedp.Navigate(b.base + "/statements/" + id))
		b.waitText("#statement-status", "Draft")
		b.do(chromedp.Click(chromedp.ID("history-link")))
		b.waitPath("/statements/" + id + "/history")
		b.waitTrue(`document.querySelectorAll('#revisions-list > li').length === 10`, "the first page shows ten revisions")
		if first := eval[string](b, `document.querySelector('#revisions-list > li').id`); first != "revision-11" {
			t.Errorf("the newest revision listed first is %q", first)
		}
		b.waitText("#revision-7", "Dana Reyes (you)")
		b.waitText("#revision-4", "Used for exhibits")
		b.checkPage("revision history")
		b.do(chromedp.Click(chromedp.ID("more-revisions")))
		b.waitTrue(`document.querySelectorAll('#revisions-list > li').length === 11`, "Load more shows the first revision")
		b.do(chromedp.Click(chromedp.ID("show-revision-2")))
		b.waitText("#revision-2-text", germanText)
		if text := eval[string](b, `document.getElementById('revision-2-text').innerText`); strings.Contains(text, "Mein eigener") ||
			!strings.Contains(text, chineseText) {
			t.Errorf("revision 2 reads %q", text)
		}
		if eval[bool](b, `!!document.querySelector('#revisions-list textarea, #revisions-list input')`) {
			t.Error("an old revision is shown in an editable field")
		}
		b.checkPage("revision history with an old revision's text")
		b.checkNarrow("revision history with an old revision's text")

		// Signing out with unsaved text drops it from the tab.
		b.do(chromedp.Click(chromedp.CSS(".back a")))
		b.do(chromedp.WaitVisible(chromedp.ID("statement-form")))
		b.do(chromedp.SendKeys(chromedp.ID("statement-physical"), " Unsaved words."))
		b.waitTrue(`(`+drafts+`).includes('Unsaved words')`, "the unsaved text is kept in the tab")
		signOut()
		if left := eval[string](b, drafts); left != "" {
			t.Errorf("after signing out the tab still holds a draft: %q", left)
		}

		// The prosecutor on the team reads the statement, final version first, and can change nothing.
		b.signIn("pat@mesa.gov", password)
		b.do(chromedp.Navigate(victimURL))
		b.waitText("#statement-section", "Read the statement")
		if eval[bool](b, `!!document.getElementById('start-statement')`) {
			t.Error("the prosecutor is offered Start a statement")
		}
		b.checkPage("victim page with a statement, prosecutor")
		b.do(chromedp.Click(chromedp.CSS(".statement-link")))
		b.waitText("#final-version", "Final version (revision 4)")
		b.waitText("#final-text", germanText)
		b.waitText("#current-text", "Mein eigener Zusatz.")
		if eval[bool](b, `!!document.querySelector('main textarea, #save-statement, #submit-statement, #finalize-statement')`) {
			t.Error("the prosecutor is offered a way to change the statement")
		}
		b.checkPage("statement, prosecutor's read-only view")
		b.checkNarrow("statement, prosecutor's read-only view")
		signOut()

		// A clerk sees the victim, but no statement section, and no statement by its address either.
		b.signIn("eli@mesa.gov", password)
		b.do(chromedp.Navigate(victimURL))
		b.waitText("#view-note", "Clerk view")
		if body := eval[string](b, `document.querySelector('main').innerText`); strings.Contains(body, "Impact statement") ||
			strings.Contains(body, "Identit") || eval[bool](b, `!!document.getElementById('statement-section')`) {
			t.Errorf("the clerk's victim page shows the statement section: %s", body)
		}
		b.do(chromedp.Navigate(b.base + "/statements/" + id))
		b.waitText("h1", "Statement not found")
		if strings.Contains(eval[string](b, `document.body.innerText`), "Identit") {
			t.Error("the clerk is shown the statement's text")
		}
	})
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// tinyPDF is a small, well-formed one-page PDF: a receipt, as a victim's bank would send it.
func tinyPDF() []byte {
	content := "BT /F1 12 Tf 10 50 Td (Card ending 4417: disputed charges $1,234.56) Tj ET"
	objects := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 100] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var buf bytes.Buffer
	buf.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = buf.Len()
		fmt.Fprintf(&buf, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := buf.Len()
	fmt.Fprintf(&buf, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&buf, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&buf, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	return buf.Bytes()
}

// TestMesaCountyInTheBrowser walks the Mesa County scenario through the UI as an advocate on the case team. The
// intake wizard takes in the resident (with SSN, birth date, phone, email and address), her fraudulent charges
// with a PDF receipt and her remediation time (12.5 hours × $25.00, computed as $312.50), survives a reload in
// the middle of the losses step, and saves her statement; then the county with its investigation costs, the
// bank whose charges its insurer reimbursed, and the insurer. On her page a loss is verified, one disputed
// (after a concurrent change is refused with 412 and reloaded), one voided with a reason; a renamed executable
// is refused with the server's 415; the receipt downloads byte-identical. The case's Losses tab totals it all
// to the cent, in a chart and its tables. A prosecutor reads the losses and changes nothing; a clerk never
// sees them. Every new screen passes axe-core; the wizard and the Losses tab fit 360 px.
func TestMesaCountyInTheBrowser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		store, err := documents.NewDir(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t, s, func(c *handlers.Config) { c.Documents = store })
		ctx := dbtest.System()
		const password = "correct horse battery staple"
		newUser := func(email, name string, role models.Role) models.User {
			t.Helper()
			u, err := s.CreateUser(ctx, models.NewUser{Email: email, DisplayName: name, Role: role, Password: password})
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		dana := newUser("dana@mesa.gov", "Dana Reyes", models.RoleAdvocate)
		pat := newUser("pat@mesa.gov", "Pat Rubin", models.RoleProsecutor)
		newUser("eli@mesa.gov", "Eli Clerk", models.RoleClerk)
		c, err := s.CreateCase(ctx, models.NewCase{CourtCaseNumber: "22CR371", Caption: "People v. Tina Peters",
			Court: "Mesa County District Court", Jurisdiction: "us-co"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetCaseTeam(ctx, c.ID, []string{dana.ID, pat.ID}); err != nil {
			t.Fatal(err)
		}
		tina, err := s.CreateDefendant(ctx, c.ID, models.NewDefendant{Name: "Tina Peters", Charges: []models.NewCharge{
			{CountNumber: 1, Statute: "C.R.S. 18-5-902", Description: "Identity theft", Disposition: models.DispositionPending}}})
		if err != nil {
			t.Fatal(err)
		}
		pdf := tinyPDF()
		receipt := filepath.Join(t.TempDir(), "receipt.pdf")
		if err := os.WriteFile(receipt, pdf, 0o600); err != nil {
			t.Fatal(err)
		}
		// An executable renamed to look like a receipt.
		fake := filepath.Join(t.TempDir(), "receipt.pdf")
		elf := append([]byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00"), make([]byte, 200)...)
		if err := os.WriteFile(fake, elf, 0o600); err != nil {
			t.Fatal(err)
		}
		signOut := func() {
			t.Helper()
			b.click("sign-out")
			b.waitText("main", "signed out")
		}
		next := func(step string) {
			t.Helper()
			b.click("wizard-next")
			b.waitStep(step)
		}
		caseURL := b.base + "/cases/" + c.ID

		// Step 1, who: the resident.
		b.signIn("dana@mesa.gov", password)
		b.do(chromedp.Navigate(caseURL+"/victims/new"), chromedp.WaitVisible(chromedp.ID("victim-form")))
		b.waitText("#wizard-steps [aria-current=step]", "Who")
		if n := eval[int](b, `document.querySelectorAll('ol#wizard-steps > li').length`); n != 5 {
			t.Errorf("the step indicator lists %d steps", n)
		}
		b.choose("victim-kind", "individual")
		b.do(chromedp.WaitVisible(chromedp.ID("victim-ssn")), chromedp.SendKeys(chromedp.ID("victim-name"), "Jane Roe"),
			chromedp.SendKeys(chromedp.ID("victim-ssn"), janeSSN))
		b.replace("victim-dob", janeDOB)
		b.checkPage("wizard step 1, who")
		b.checkNarrow("wizard step 1, who")

		// Step 2, contact and preferences.
		next("contact")
		b.waitText("#wizard-steps [aria-current=step]", "Contact and preferences")
		b.do(chromedp.SendKeys(chromedp.ID("victim-email"), janeEmail),
			chromedp.SendKeys(chromedp.ID("victim-phone"), "(970) 555-0123"),
			chromedp.SendKeys(chromedp.ID("victim-line1"), janeLine1),
			chromedp.SendKeys(chromedp.ID("victim-city"), "Grand Junction"),
			chromedp.SendKeys(chromedp.ID("victim-state"), "CO"),
			chromedp.SendKeys(chromedp.ID("victim-postal-code"), "81501"))
		b.checkPage("wizard step 2, contact")
		b.checkNarrow("wizard step 2, contact")

		// Step 3, losses: leaving step 2 added the victim, so that losses and documents attach to her.
		next("losses")
		b.waitText("#wizard-message", "The SSN on record ends in 1120")
		b.checkPage("wizard step 3, losses")
		b.checkNarrow("wizard step 3, losses")
		b.click("add-loss")
		b.do(chromedp.WaitVisible(chromedp.ID("loss-form")))
		b.waitFocus("loss-category", "the add-loss form opens")
		b.choose("loss-category", "fraudulent_charges")
		b.do(chromedp.WaitVisible(chromedp.ID("loss-claimed")),
			chromedp.SendKeys(chromedp.ID("loss-claimed"), "1,234.56"),
			chromedp.SendKeys(chromedp.ID("loss-description"), "Charges on a card opened in her name"))
		b.replace("loss-incurred-on", "2024-05-02")
		b.choose("loss-defendant", tina.ID)
		b.choose("loss-charge", "1")
		b.checkPage("add-loss form")
		b.checkNarrow("add-loss form")
		b.click("save-loss")
		b.waitText("#losses-message", "Fraudulent charges of $1,234.56 added")
		b.waitText("#losses-table", "$1,234.56")
		b.waitText("#loss-details", "Tina Peters, count 1")
		b.do(chromedp.SetUploadFiles(chromedp.ID("document-file"), []string{receipt}))
		b.click("upload-document")
		b.waitText("#documents-list", "receipt.pdf")
		b.waitText("#documents-message", "receipt.pdf uploaded")
		b.waitText("#losses-table [data-label=Documents]", "1")
		b.checkPage("documents list")

		// Remediation time: the claim is hours × rate, computed as typed. A reload in the middle loses nothing.
		b.click("close-loss")
		b.click("add-loss")
		b.do(chromedp.WaitVisible(chromedp.ID("loss-form")))
		b.choose("loss-category", "remediation_time")
		b.do(chromedp.WaitVisible(chromedp.ID("loss-hours")),
			chromedp.SendKeys(chromedp.ID("loss-hours"), "12.5"),
			chromedp.SendKeys(chromedp.ID("loss-rate"), "25.00"),
			chromedp.SendKeys(chromedp.ID("loss-description"), "Hours on the phone with banks and credit bureaus"))
		b.waitText("#loss-computed", "12.5 hours × $25.00 = $312.50")
		b.waitTrue(`JSON.stringify(sessionStorage).includes('Hours on the phone')`, "the unsaved loss is kept in the tab")
		b.do(chromedp.Reload())
		b.waitStep("losses")
		b.do(chromedp.WaitVisible(chromedp.ID("draft-restored")), chromedp.WaitVisible(chromedp.ID("loss-draft-restored")),
			chromedp.WaitVisible(chromedp.ID("loss-hours")))
		if cat, h, r, d := b.value("loss-category"), b.value("loss-hours"), b.value("loss-rate"), b.value("loss-description"); cat != "remediation_time" ||
			h != "12.5" || r != "25.00" || d != "Hours on the phone with banks and credit bureaus" {
			t.Fatalf("after a reload the loss form holds %q, %q, %q, %q", cat, h, r, d)
		}
		b.waitText("#loss-computed", "$312.50")
		b.waitText("#losses-table", "$1,234.56")
		b.checkPage("wizard step 3 after a reload")
		b.click("save-loss")
		b.waitText("#losses-message", "Time spent on remediation of $312.50 added")

		// Step 4, the statement; then the review, and finish.
		b.click("close-loss")
		next("statement")
		b.do(chromedp.SendKeys(chromedp.ID("statement-emotional"), germanText),
			chromedp.SendKeys(chromedp.ID("statement-restitution"), "I ask to be repaid what the charges and my time cost."))
		b.checkPage("wizard step 4, statement")
		b.checkNarrow("wizard step 4, statement")
		next("review")
		b.waitText("#review-total", "$1,547.06")
		b.waitText("#review-statement", "revision 1")
		b.waitText("#review", janeEmail)
		b.checkPage("wizard review")
		b.checkNarrow("wizard review")
		b.click("finish-intake")
		b.waitTrue(`location.pathname.startsWith('/victims/')`, "Jane Roe's page opens")
		janeID := strings.TrimPrefix(eval[string](b, `location.pathname`), "/victims/")
		b.waitText("[role=status]", "The SSN on record ends in 1120")
		jane, err := s.VictimByID(ctx, janeID, true)
		if err != nil || jane.SSN != janeSSN || jane.DateOfBirth == nil || jane.DateOfBirth.String() != janeDOB ||
			jane.Phone != "+19705550123" || jane.Email != janeEmail || jane.MailingAddress == nil || jane.MailingAddress.Line1 != janeLine1 {
			t.Fatalf("the victim added in the wizard is stored as %+v (err %v)", jane, err)
		}
		if left := eval[string](b, `Object.keys(sessionStorage).filter(k => k.startsWith('impactledger.draft.')).join()`); left != "" {
			t.Errorf("drafts left after finishing the intake: %s", left)
		}
		stmts, err := s.ListStatements(ctx, janeID, 10, "")
		if err != nil || len(stmts.Items) != 1 || stmts.Items[0].Sections.Emotional != germanText {
			t.Fatalf("the statement typed in the wizard: %+v (err %v)", stmts.Items, err)
		}
		lossesOf := func(victimID string) map[models.LossCategory]models.Loss {
			t.Helper()
			page, err := s.ListLosses(ctx, victimID, models.LossFilter{IncludeVoided: true})
			if err != nil {
				t.Fatal(err)
			}
			out := map[models.LossCategory]models.Loss{}
			for _, l := range page.Items {
				out[l.Category] = l
			}
			return out
		}
		janeLosses := lossesOf(janeID)
		fraud, timeLoss := janeLosses[models.LossFraudulentCharges], janeLosses[models.LossRemediationTime]
		if len(janeLosses) != 2 || fraud.ClaimedCents != 123456 || fraud.DefendantID != tina.ID || fraud.ChargeCount == nil ||
			*fraud.ChargeCount != 1 || fraud.IncurredOn == nil || fraud.IncurredOn.String() != "2024-05-02" || len(fraud.Documents) != 1 {
			t.Fatalf("the fraudulent charges stored: %+v", fraud)
		}
		if timeLoss.ClaimedCents != 31250 || timeLoss.HoursHundredths == nil || *timeLoss.HoursHundredths != 1250 ||
			timeLoss.HourlyRateCents == nil || *timeLoss.HourlyRateCents != 2500 {
			t.Fatalf("the remediation time stored: %+v", timeLoss)
		}
		sum := sha256.Sum256(pdf)
		doc := fraud.Documents[0]
		if doc.SHA256 != hex.EncodeToString(sum[:]) || doc.MediaType != "application/pdf" || doc.FileName != "receipt.pdf" {
			t.Fatalf("the receipt stored: %+v", doc)
		}

		// The county, the bank (its charges reimbursed by its insurer) and the insurer, through the wizard too.
		addVictim := func(kind, name string, loss func(), added string) {
			t.Helper()
			b.do(chromedp.Navigate(caseURL+"/victims/new"), chromedp.WaitVisible(chromedp.ID("victim-form")))
			b.choose("victim-kind", kind)
			b.do(chromedp.SendKeys(chromedp.ID("victim-name"), name))
			next("contact")
			next("losses")
			if loss != nil {
				b.click("add-loss")
				b.do(chromedp.WaitVisible(chromedp.ID("loss-form")))
				loss()
				b.click("save-loss")
				b.waitText("#losses-message", added)
			}
			next("statement")
			next("review")
			b.click("finish-intake")
			b.waitTrue(`location.pathname.startsWith('/victims/')`, name+"'s page opens")
			b.waitText("h1", name)
		}
		addVictim("government", "Mesa County", func() {
			b.choose("loss-category", "investigation_and_response")
			b.do(chromedp.SendKeys(chromedp.ID("loss-claimed"), "1,412,345.67"),
				chromedp.SendKeys(chromedp.ID("loss-description"), "Forensic imaging, staff overtime and equipment replacement"))
		}, "Investigation and response of $1,412,345.67 added")
		addVictim("business", "Alpine Bank", func() {
			b.choose("loss-category", "fraudulent_charges")
			b.do(chromedp.SendKeys(chromedp.ID("loss-claimed"), "5,000.00"),
				chromedp.SendKeys(chromedp.ID("loss-reimbursed"), "5,000.00"),
				chromedp.SendKeys(chromedp.ID("loss-reimbursed-by"), "Western Surety Co."))
		}, "Fraudulent charges of $5,000.00 added")
		addVictim("insurer", "Western Surety Co.", nil, "")

		// Jane's page: her losses with their totals.
		victimURL := b.base + "/victims/" + janeID
		b.do(chromedp.Navigate(victimURL))
		b.waitText("#losses-table", "$312.50")
		b.waitText("#total-claimed", "$1,547.06")
		b.checkPage("losses section")
		b.checkNarrow("losses section")

		// Verify the charges, at the amount the office checked.
		b.click("open-loss-" + fraud.ID)
		b.do(chromedp.WaitVisible(chromedp.ID("loss-panel-title")))
		b.waitText("#loss-panel-title", "Fraudulent charges")
		b.click("move-verified")
		b.do(chromedp.WaitVisible(chromedp.ID("verify-amount")))
		if v := b.value("verify-amount"); v != "1234.56" {
			t.Errorf("the verified amount starts at %q", v)
		}
		b.checkPage("verify form")
		b.click("confirm-verify")
		b.waitText("#loss-message", "Verified at $1,234.56")
		b.waitText("#total-verified", "$1,234.56")
		if l := lossesOf(janeID)[models.LossFraudulentCharges]; l.Status != models.LossVerified || l.VerifiedCents == nil || *l.VerifiedCents != 123456 {
			t.Fatalf("after verifying in the UI: %+v", l)
		}

		// Dispute the time: a change made meanwhile elsewhere is refused (412), then reloaded and disputed.
		b.click("open-loss-" + timeLoss.ID)
		b.waitText("#loss-panel-title", "Time spent on remediation")
		if _, err := s.UpdateLoss(ctx, timeLoss.ID, timeLoss.Version, models.LossUpdate{Description: models.Some("Changed elsewhere.")}); err != nil {
			t.Fatal(err)
		}
		b.click("move-disputed")
		b.waitText("#loss-panel [role=alert]", "This loss has changed")
		b.checkPage("stale loss change")
		if l := lossesOf(janeID)[models.LossRemediationTime]; l.Status != models.LossClaimed {
			t.Fatalf("the stale change went through: %+v", l)
		}
		b.click("reload-loss")
		b.waitText("#loss-details", "Changed elsewhere.")
		b.click("move-disputed")
		b.waitText("#loss-message", "Marked disputed")
		if l := lossesOf(janeID)[models.LossRemediationTime]; l.Status != models.LossDisputed {
			t.Fatalf("after disputing in the UI: %+v", l)
		}

		// Edit: the form starts from the loss as stored, and sends only what changed.
		b.click("edit-loss")
		b.do(chromedp.WaitVisible(chromedp.ID("loss-form")))
		if h, r := b.value("loss-hours"), b.value("loss-rate"); h != "12.5" || r != "25.00" {
			t.Errorf("the edit form shows %q hours at %q", h, r)
		}
		b.checkPage("edit loss form")
		b.replace("loss-description", "Hours on the phone with two banks and three credit bureaus")
		b.click("save-loss")
		b.waitText("#loss-message", "Saved.")
		if l := lossesOf(janeID)[models.LossRemediationTime]; l.Description != "Hours on the phone with two banks and three credit bureaus" ||
			l.ClaimedCents != 31250 || l.HoursHundredths == nil || *l.HoursHundredths != 1250 || l.Status != models.LossDisputed {
			t.Fatalf("after editing in the UI: %+v", l)
		}

		// A loss entered twice, added on her page and voided with the reason.
		b.click("add-loss")
		b.do(chromedp.WaitVisible(chromedp.ID("loss-form")))
		b.choose("loss-category", "postage_and_notary")
		b.do(chromedp.SendKeys(chromedp.ID("loss-claimed"), "12"))
		b.click("save-loss")
		b.waitText("#losses-message", "Postage and notary of $12.00 added")
		b.waitText("#total-claimed", "$1,559.06")
		b.click("void-loss")
		b.do(chromedp.WaitVisible(chromedp.ID("void-loss-dialog")))
		b.waitFocus("void-loss-reason", "the void dialog opens")
		b.click("confirm-void-loss")
		b.waitText("#void-loss-reason-error", "Give the reason")
		b.checkPage("void dialog")
		b.do(chromedp.SendKeys(chromedp.ID("void-loss-reason"), "Entered twice"))
		b.click("confirm-void-loss")
		b.waitText("#loss-message", "Loss voided")
		b.waitText("#total-claimed", "$1,547.06")
		postage := lossesOf(janeID)[models.LossPostageAndNotary]
		if postage.VoidedAt == nil || postage.VoidReason != "Entered twice" {
			t.Fatalf("after voiding in the UI: %+v", postage)
		}
		b.click("show-voided")
		b.waitText("#loss-"+postage.ID, "Voided")
		b.waitText("#total-claimed", "$1,547.06")
		b.checkPage("losses with the voided one shown")

		// A renamed executable is refused with the server's reason; nothing is attached.
		b.click("open-loss-" + fraud.ID)
		b.waitText("#loss-panel-title", "Fraudulent charges")
		b.do(chromedp.SetUploadFiles(chromedp.ID("document-file"), []string{fake}))
		b.click("upload-document")
		b.waitText("#upload-problem", "Unsupported document type")
		b.waitText("#upload-problem", "only PDF, PNG, JPEG and plain text")
		b.checkPage("upload refused")
		if l := lossesOf(janeID)[models.LossFraudulentCharges]; len(l.Documents) != 1 {
			t.Fatalf("the renamed executable was attached: %+v", l.Documents)
		}

		// The receipt downloads byte-identical, and its SHA-256 is there in full on request.
		href := eval[string](b, `document.getElementById('download-`+doc.ID+`').getAttribute('href')`)
		if href != "/api/v1/documents/"+doc.ID+"/content" {
			t.Errorf("the download link is %q", href)
		}
		got := eval[string](b, `fetch(`+jsString(href)+`).then(r => r.arrayBuffer()).then(buf => {
			let s = ''; for (const x of new Uint8Array(buf)) s += String.fromCharCode(x); return btoa(s); })`)
		if raw, err := base64.StdEncoding.DecodeString(got); err != nil || !bytes.Equal(raw, pdf) {
			t.Fatalf("the downloaded receipt differs from the upload (%d bytes, err %v)", len(raw), err)
		}
		b.click("show-hash-" + doc.ID)
		b.waitText("#hash-"+doc.ID, doc.SHA256)
		b.checkPage("documents list with a full SHA-256")
		b.checkNarrow("loss with its documents")

		// The case's Losses tab: the totals to the cent, the chart and its table.
		b.do(chromedp.Navigate(caseURL))
		b.do(chromedp.WaitVisible(chromedp.ID("tab-losses")))
		b.click("tab-losses")
		b.waitPath("/cases/" + c.ID + "/losses")
		b.waitText("#case-total-claimed", "$1,418,892.73")
		for id, want := range map[string]string{"case-total-verified": "$1,234.56", "case-total-reimbursed": "$5,000.00",
			"case-total-net": "$1,413,892.73", "category-table-total-claimed": "$1,418,892.73"} {
			if got := eval[string](b, `document.getElementById('`+id+`').innerText`); got != want {
				t.Errorf("#%s shows %q, want %q", id, got, want)
			}
		}
		rows := `(sel) => [...document.querySelectorAll(sel + ' tbody tr')].map(r => r.dataset.key + '=' +
			r.querySelector('[data-label=Claimed]').innerText + '/' + r.querySelector('[data-label="Net requested"]').innerText).join(';')`
		if got, want := eval[string](b, `(`+rows+`)('#category-table')`),
			"fraudulent_charges=$6,234.56/$1,234.56;remediation_time=$312.50/$312.50;investigation_and_response=$1,412,345.67/$1,412,345.67"; got != want {
			t.Errorf("by category: %s\nwant %s", got, want)
		}
		if got, want := eval[string](b, `(`+rows+`)('#kind-totals-table')`),
			"individual=$1,547.06/$1,547.06;business=$5,000.00/$0.00;government=$1,412,345.67/$1,412,345.67"; got != want {
			t.Errorf("by kind: %s\nwant %s", got, want)
		}
		if got := eval[string](b, `[...document.querySelectorAll('#victim-totals-table .victim-link')].map(a => a.innerText + '>' + a.getAttribute('href')).sort().join(';')`); !strings.Contains(got, "Jane Roe>/victims/"+janeID) ||
			!strings.Contains(got, "Mesa County>") || !strings.Contains(got, "Alpine Bank>") {
			t.Errorf("by victim: %s", got)
		}
		if label := eval[string](b, `(() => { const c = document.getElementById('category-chart');
			return c && c.getAttribute('role') === 'img' && c.querySelectorAll('.chart__row').length === 3 ? c.getAttribute('aria-label') : ''; })()`); !strings.Contains(label, "Investigation and response, $1,412,345.67 claimed") {
			t.Errorf("the chart is missing or unnamed: %q", label)
		}
		summary, err := s.LossSummaryOf(ctx, c.ID)
		if err != nil || summary.Totals.ClaimedCents != 141889273 || summary.Totals.NetRequestedCents != 141389273 ||
			summary.Totals.VerifiedCents != 123456 || summary.Totals.ReimbursedCents != 500000 {
			t.Fatalf("the store's summary: %+v (err %v)", summary.Totals, err)
		}
		b.checkPage("case losses tab")
		b.checkNarrow("case losses tab")

		// The prosecutor reads the losses and their documents, and can change nothing.
		signOut()
		b.signIn("pat@mesa.gov", password)
		b.do(chromedp.Navigate(victimURL))
		b.waitText("#losses-table", "$1,234.56")
		if eval[bool](b, `!!document.getElementById('add-loss')`) {
			t.Error("the prosecutor is offered Add a loss")
		}
		b.click("open-loss-" + fraud.ID)
		b.waitText("#documents-list", "receipt.pdf")
		if eval[bool](b, `!!document.querySelector('#move-ordered, #edit-loss, #void-loss, #document-file, [id^=void-document-]')`) {
			t.Error("the prosecutor is offered a way to change a loss or its documents")
		}
		b.checkPage("losses section, prosecutor")
		b.do(chromedp.Navigate(caseURL + "/losses"))
		b.waitText("#case-total-claimed", "$1,418,892.73")
		signOut()

		// A clerk sees neither the losses on the victim's page nor the case's Losses tab.
		b.signIn("eli@mesa.gov", password)
		b.do(chromedp.Navigate(victimURL))
		b.waitText("#view-note", "Clerk view")
		if eval[bool](b, `!!document.getElementById('losses-section')`) || strings.Contains(eval[string](b, `document.body.innerText`), "1,234.56") {
			t.Error("the clerk's victim page shows losses")
		}
		b.do(chromedp.Navigate(caseURL))
		b.waitText("h1", "People v. Tina Peters")
		if eval[bool](b, `!!document.getElementById('tab-losses')`) {
			t.Error("the clerk is offered the Losses tab")
		}
	})
}

// TestAdvocateChangesTheirTeamInTheBrowser: an advocate on a case's team changes it from the case page,
// choosing among the office's staff, and is told plainly when a change would leave nobody to work the case.
func TestAdvocateChangesTheirTeamInTheBrowser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		b := newBrowser(t, s)
		ctx := dbtest.System()
		const password = "another long passphrase"
		dana, err := s.CreateUser(ctx, models.NewUser{Email: "dana@mesa.gov", DisplayName: "Dana Reyes", Role: models.RoleAdvocate,
			Password: password})
		if err != nil {
			t.Fatal(err)
		}
		pat, err := s.CreateUser(ctx, models.NewUser{Email: "pat@mesa.gov", DisplayName: "Pat Prosecutor", Role: models.RoleProsecutor,
			Password: password})
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.CreateCase(ctx, models.NewCase{CourtCaseNumber: "22CR371", Caption: "People v. Tina Peters",
			Court: "Mesa County District Court", Jurisdiction: "us-co"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetCaseTeam(ctx, c.ID, []string{dana.ID}); err != nil {
			t.Fatal(err)
		}

		b.signIn("dana@mesa.gov", password)
		b.do(chromedp.Navigate(b.base + "/cases/" + c.ID))
		b.waitText("#team-form", "Keep at least one advocate or prosecutor")
		b.choose("team-add", pat.ID)
		b.do(chromedp.Click(chromedp.CSS("#team-add-button")), chromedp.Click(chromedp.CSS("#save-team")))
		b.waitText("[role=status]", "Team saved")
		if team, _ := s.CaseTeam(ctx, c.ID); len(team) != 2 {
			t.Fatalf("team after the advocate saved it: %+v", team)
		}
		b.checkPage("the team editor of an advocate")

		// Removing both caseworkers is refused, and nothing changes.
		b.do(chromedp.Click(chromedp.ID("team-remove-"+pat.ID)), chromedp.Click(chromedp.ID("team-remove-"+dana.ID)),
			chromedp.Click(chromedp.CSS("#save-team")))
		b.waitText("#team-form", "needs at least one active advocate or prosecutor")
		if team, _ := s.CaseTeam(ctx, c.ID); len(team) != 2 {
			t.Fatalf("a refused change changed the team: %+v", team)
		}
		b.checkPage("the team editor refusing an empty team")
	})
}
