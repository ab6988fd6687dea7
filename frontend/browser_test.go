package frontend_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/impactledger/impactledger/dbtest"
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
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
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

// TestCaseFlowInTheBrowser creates a case through the UI, finds it in the list, edits it, meets a stale
// edit, and checks every page with axe-core.
func TestCaseFlowInTheBrowser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		b := newBrowser(t, s)
		advocate, err := s.CreateUser(context.Background(), models.NewUser{Email: "dana@mesa.gov", DisplayName: "Dana Reyes",
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
		stored, err := s.CaseByID(context.Background(), id)
		if team, _ := s.CaseTeam(context.Background(), id); len(team) != 1 || team[0].UserID != advocate.ID {
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
		if stored, _ = s.CaseByID(context.Background(), id); stored.Status != models.CaseSentenced || stored.Version != 2 {
			t.Fatalf("after saving in the UI: %+v", stored)
		}

		// A stale edit: someone else changes the case while this page holds version 2.
		b.do(chromedp.Click(chromedp.CSS("#edit-case")), chromedp.WaitVisible(chromedp.CSS("#save-case")))
		if _, err := s.UpdateCase(context.Background(), id, 2, models.CaseUpdate{Notes: models.Some("Changed elsewhere.")}); err != nil {
			t.Fatal(err)
		}
		b.do(chromedp.SendKeys(chromedp.CSS("#notes"), "My change."), chromedp.Click(chromedp.CSS("#save-case")))
		b.waitText("[role=alert]", "Someone else changed this case")
		b.checkPage("stale edit")
		if stored, _ = s.CaseByID(context.Background(), id); stored.Notes != "Changed elsewhere." {
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
			c, err := s.CreateCase(context.Background(), nc)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.SetCaseTeam(context.Background(), c.ID, []string{advocate.ID}); err != nil {
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
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		b := newBrowser(t, s)
		ctx := context.Background()
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
		if _, err := s.UserByEmail(ctx, "eli@mesa.gov"); err != nil {
			t.Fatalf("the account made in the UI is not stored: %v", err)
		}

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
		ctx := context.Background()
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
		if _, err := s.ConfirmMFAEnrollment(ctx, ada.ID, "", codeFor(t, adaSecret, totp.Step(time.Now()))); err != nil {
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
