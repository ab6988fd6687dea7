package frontend_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/models"
	"github.com/impactledger/impactledger/restitution"
	"github.com/impactledger/impactledger/totp"
)

// movableClock is the store's clock, moved forward by tests so that a session's proof of password grows old
// without waiting for it.
type movableClock struct{ offset atomic.Int64 }

func (c *movableClock) Now() time.Time         { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *movableClock) Add(d time.Duration)    { c.offset.Add(int64(d)) }
func (c *movableClock) use(cfg *models.Config) { cfg.Now = c.Now }

// TestPasswordsAndStepUpInTheBrowser walks the account security flows as people meet them: an administrator
// whose sign-in is over 15 minutes old changes a user's role, is asked for the password in a dialog (cancels
// once, gets it wrong once), and the change goes through without starting again; the administrator resets a
// clerk's password and reads the one-time code; the clerk sets a new password with it from the sign-in page
// and signs in; then changes it on the account page and signs in with the newest one. Every new screen and
// the dialog pass axe-core.
func TestPasswordsAndStepUpInTheBrowser(t *testing.T) {
	clk := &movableClock{}
	dbtest.EachWith(t, clk.use, func(t *testing.T, s *models.Store) {
		clk.offset.Store(0)
		b := newBrowser(t, s)
		ctx := dbtest.System()
		const adaPassword = "correct horse battery staple"
		for _, u := range []models.NewUser{
			{Email: "ada@mesa.gov", DisplayName: "Ada Admin", Role: models.RoleAdmin, Password: adaPassword},
			{Email: "dana@mesa.gov", DisplayName: "Dana Reyes", Role: models.RoleAdvocate, Password: "another long passphrase"},
			{Email: "eli@mesa.gov", DisplayName: "Eli Clerk", Role: models.RoleClerk, Password: "a sturdy passphrase for eli"},
		} {
			if _, err := s.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		dana, _ := s.UserByEmail(ctx, "dana@mesa.gov")
		eli, _ := s.UserByEmail(ctx, "eli@mesa.gov")
		role := func() models.Role {
			u, err := s.UserByID(ctx, dana.ID)
			if err != nil {
				t.Fatal(err)
			}
			return u.Role
		}

		b.signIn("ada@mesa.gov", adaPassword)
		b.do(chromedp.Navigate(b.base + "/admin/users"))
		b.waitText("#users-table", "dana@mesa.gov")
		// The sign-in was the last proof of Ada's password; 16 minutes on, a role change needs it again.
		clk.Add(16 * time.Minute)
		changeRole := func() {
			t.Helper()
			b.choose("role-"+dana.ID, "prosecutor")
			b.click("change-role-" + dana.ID)
			b.do(chromedp.WaitVisible(chromedp.ID("reauth-dialog")))
			b.waitFocus("reauth-password", "the re-authentication dialog")
		}
		dialogOpen := `!!document.getElementById('reauth-dialog') && document.getElementById('reauth-dialog').open`

		// Cancel leaves everything as it was, and says so.
		changeRole()
		if !eval[bool](b, `document.getElementById('reauth-dialog').matches(':modal')`) {
			t.Error("the re-authentication dialog is not modal")
		}
		b.checkPage("re-authentication dialog")
		b.click("reauth-cancel")
		b.waitTrue("!("+dialogOpen+")", "the dialog closes on Cancel")
		b.waitText("[role=alert]", "Not done: your password was not confirmed")
		b.waitText("[role=alert]", "Nothing was changed")
		if got := role(); got != models.RoleAdvocate {
			t.Fatalf("after cancelling, Dana's role is %s", got)
		}
		b.checkPage("users page after a cancelled re-authentication")

		// A wrong password is said so in the dialog, which stays open.
		changeRole()
		b.do(chromedp.SendKeys(chromedp.ID("reauth-password"), "not my password"))
		b.click("reauth-confirm")
		b.waitText("#reauth-dialog [role=alert]", "The password is wrong")
		b.waitErrorSummaryFocused()
		if v := eval[string](b, `document.getElementById('reauth-password').getAttribute('aria-invalid') || ''`); v != "true" {
			t.Errorf("the refused password's field has aria-invalid %q", v)
		}
		b.checkPage("re-authentication dialog with a wrong password")

		// The right one, and the role change carries on by itself.
		b.do(chromedp.SendKeys(chromedp.ID("reauth-password"), adaPassword))
		b.click("reauth-confirm")
		b.waitTrue("!("+dialogOpen+")", "the dialog closes once the password is confirmed")
		b.waitText("[role=status]", "Dana Reyes’s role is now Prosecutor")
		if got := role(); got != models.RoleProsecutor {
			t.Fatalf("after re-authenticating, Dana's role is %s", got)
		}
		if eval[bool](b, `!!document.querySelector('main [role=alert]')`) {
			t.Errorf("an error is still shown after the change went through: %s", eval[string](b, `document.querySelector('main [role=alert]').innerText`))
		}
		b.checkPage("users page after the role change")

		// Ada resets Eli's password and reads the code, shown once.
		b.click("reset-password-" + eli.ID)
		b.do(chromedp.WaitVisible(chromedp.ID("confirm-reset-password-" + eli.ID)))
		b.waitFocus("confirm-reset-password-"+eli.ID, "the password reset confirmation")
		b.checkPage("password reset confirmation")
		b.click("confirm-reset-password-" + eli.ID)
		b.do(chromedp.WaitVisible(chromedp.ID("reset-code")))
		b.waitFocus("reset-code", "the new reset code")
		code := b.value("reset-code")
		if len(code) != 23 {
			t.Fatalf("the reset code shown is %q", code)
		}
		b.waitText("#reset-code-help", "Set a new password with a reset code")
		b.checkPage("reset code")
		b.checkNarrow("reset code")
		b.click("dismiss-reset-code")
		b.waitTrue(`!document.getElementById('reset-code')`, "the code goes once dismissed")
		b.click("sign-out")
		b.waitText("main", "signed out")

		// Eli sets a new password with the code, from the sign-in page.
		b.checkPage("sign-in page with the reset link")
		b.click("reset-password-link")
		b.waitPath("/reset-password")
		b.waitText("h1", "Set a new password")
		b.checkPage("reset password page")
		b.checkNarrow("reset password page")
		const resetPassword = "my own new passphrase"
		b.do(chromedp.SendKeys(chromedp.ID("reset-email"), "eli@mesa.gov"),
			chromedp.SendKeys(chromedp.ID("reset-code"), code),
			chromedp.SendKeys(chromedp.ID("reset-new-password"), resetPassword),
			chromedp.SendKeys(chromedp.ID("reset-confirm-password"), resetPassword+"!"))
		b.click("reset-submit")
		b.waitText("#reset-confirm-password-error", "not the same")
		b.waitErrorSummaryFocused()
		b.checkPage("reset password page with errors")
		b.replace("reset-confirm-password", resetPassword)
		b.click("reset-submit")
		b.waitText("h1", "New password set")
		b.checkPage("new password set")
		b.click("reset-sign-in")
		b.waitPath("/sign-in")
		b.do(chromedp.SendKeys(chromedp.ID("email"), "eli@mesa.gov"), chromedp.SendKeys(chromedp.ID("password"), resetPassword),
			chromedp.Click(chromedp.ID("sign-in")))
		b.waitText("h1", "Cases")

		// Eli changes the password on the account page; a wrong current one is refused beside its field.
		b.do(chromedp.Navigate(b.base + "/account"))
		b.do(chromedp.WaitVisible(chromedp.ID("password-form")))
		b.checkPage("account page")
		const changed = "the passphrase eli chose"
		b.do(chromedp.SendKeys(chromedp.ID("current-password"), "not the current one"),
			chromedp.SendKeys(chromedp.ID("new-password"), changed),
			chromedp.SendKeys(chromedp.ID("confirm-password"), changed))
		b.click("change-password")
		b.waitText("#current-password-error", "not your current password")
		b.waitErrorSummaryFocused()
		b.checkPage("password change with a wrong current password")
		b.replace("current-password", resetPassword)
		b.click("change-password")
		b.waitText("#password-message", "Your password is changed")
		if b.value("new-password") != "" || b.value("current-password") != "" {
			t.Error("the password fields keep what was typed after the change")
		}
		b.waitText("#password-message", "API tokens no longer work")
		b.checkPage("password changed")
		// The session goes on under a new token: the page's next change carries the new CSRF token.
		b.do(chromedp.SendKeys(chromedp.ID("token-name"), "after the change"), chromedp.Click(chromedp.ID("create-token")))
		b.do(chromedp.WaitVisible(chromedp.ID("new-token")))
		b.click("sign-out")
		b.waitText("main", "signed out")
		b.signIn("eli@mesa.gov", changed)
	})
}

// TestReauthenticationWithACodeInTheBrowser checks the dialog for an account with two-factor sign-in: it
// asks for the authenticator code too, refuses a wrong one beside its field, and carries on with the right
// one.
func TestReauthenticationWithACodeInTheBrowser(t *testing.T) {
	clk := &movableClock{}
	dbtest.EachWith(t, clk.use, func(t *testing.T, s *models.Store) {
		clk.offset.Store(0)
		b := newBrowser(t, s)
		ctx := dbtest.System()
		const password = "correct horse battery staple"
		ada, err := s.CreateUser(ctx, models.NewUser{Email: "ada@mesa.gov", DisplayName: "Ada Admin", Role: models.RoleAdmin, Password: password})
		if err != nil {
			t.Fatal(err)
		}
		eli, err := s.CreateUser(ctx, models.NewUser{Email: "eli@mesa.gov", DisplayName: "Eli Clerk", Role: models.RoleClerk, Password: password})
		if err != nil {
			t.Fatal(err)
		}
		secret, err := s.StartMFAEnrollment(ctx, ada.ID)
		if err != nil {
			t.Fatal(err)
		}
		step := func(offset int64) string { return codeFor(t, secret, totp.Step(clk.Now())+offset) }
		if _, _, err := s.ConfirmMFAEnrollment(ctx, ada.ID, "", step(0)); err != nil {
			t.Fatal(err)
		}
		b.do(chromedp.Navigate(b.base + "/admin/users"))
		b.waitText("h1", "Sign in")
		b.do(chromedp.SendKeys(chromedp.ID("email"), "ada@mesa.gov"), chromedp.SendKeys(chromedp.ID("password"), password),
			chromedp.Click(chromedp.ID("sign-in")))
		b.do(chromedp.WaitVisible(chromedp.ID("totp-code")))
		b.do(chromedp.SendKeys(chromedp.ID("totp-code"), step(1)), chromedp.Click(chromedp.ID("verify-code")))
		b.waitText("#users-table", "eli@mesa.gov")

		clk.Add(16 * time.Minute)
		b.click("disable-" + eli.ID)
		b.do(chromedp.WaitVisible(chromedp.ID("reauth-dialog")), chromedp.WaitVisible(chromedp.ID("reauth-code")))
		b.checkPage("re-authentication dialog with a code")
		b.do(chromedp.SendKeys(chromedp.ID("reauth-password"), password), chromedp.SendKeys(chromedp.ID("reauth-code"), wrongCode(t, secret)))
		b.click("reauth-confirm")
		b.waitText("#reauth-code-error", "The code is wrong")
		b.checkPage("re-authentication dialog with a wrong code")
		// A refused code counts as a failed attempt; the password field keeps what was typed.
		b.do(chromedp.SendKeys(chromedp.ID("reauth-code"), step(1)))
		b.click("reauth-confirm")
		b.waitText("[role=status]", "Eli Clerk is disabled and signed out")
		if u, _ := s.UserByID(ctx, eli.ID); u.Active {
			t.Fatal("Eli is still active after the confirmed disabling")
		}
	})
}

// TestDisbursementAsksForThePasswordInTheBrowser checks the re-authentication dialog over another modal
// dialog: a clerk whose sign-in is over 15 minutes old records a disbursement from its dialog, confirms the
// password, and the disbursement is recorded once.
func TestDisbursementAsksForThePasswordInTheBrowser(t *testing.T) {
	clk := &movableClock{}
	dbtest.EachWith(t, clk.use, func(t *testing.T, s *models.Store) {
		clk.offset.Store(0)
		b := newBrowser(t, s)
		ctx := dbtest.System()
		const password = "correct horse battery staple"
		if _, err := s.CreateUser(ctx, models.NewUser{Email: "eli@mesa.gov", DisplayName: "Eli Clerk", Role: models.RoleClerk,
			Password: password}); err != nil {
			t.Fatal(err)
		}
		c, err := s.CreateCase(ctx, models.NewCase{CourtCaseNumber: "22CR371", Caption: "People v. Tina Peters",
			Court: "Mesa County District Court", Jurisdiction: "us-co"})
		if err != nil {
			t.Fatal(err)
		}
		d, err := s.CreateDefendant(ctx, c.ID, models.NewDefendant{Name: "Tina Peters"})
		if err != nil {
			t.Fatal(err)
		}
		jane, err := s.CreateVictim(ctx, c.ID, models.NewVictim{Kind: models.VictimIndividual, Name: "Jane Roe"})
		if err != nil {
			t.Fatal(err)
		}
		today := s.Today().Time()
		order, err := s.CreateRestitutionOrder(ctx, c.ID, models.NewRestitutionOrder{OrderedOn: models.DateOf(today.AddDate(0, 0, -30)),
			DefendantIDs: []string{d.ID}, Lines: []models.NewOrderLine{{VictimID: jane.ID, AmountCents: 600_00}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.RecordPayment(ctx, order.ID, "first", models.NewPayment{AmountCents: 400_00,
			ReceivedOn: models.DateOf(today.AddDate(0, 0, -10)), PayerDefendantID: d.ID, Method: "check"}); err != nil {
			t.Fatal(err)
		}

		b.signIn("eli@mesa.gov", password)
		b.do(chromedp.Navigate(b.base + "/cases/" + c.ID + "/restitution?order=" + order.ID))
		b.do(chromedp.WaitVisible(chromedp.ID("disburse")))
		clk.Add(16 * time.Minute)
		b.click("disburse")
		b.do(chromedp.WaitVisible(chromedp.ID("disburse-dialog")))
		b.choose("disburse-victim", jane.ID)
		b.choose("disburse-method", "check")
		b.click("confirm-disburse")
		b.do(chromedp.WaitVisible(chromedp.ID("reauth-dialog")))
		b.waitFocus("reauth-password", "the re-authentication dialog over the disbursement dialog")
		b.checkPage("re-authentication over the disbursement dialog")
		b.do(chromedp.SendKeys(chromedp.ID("reauth-password"), password))
		b.click("reauth-confirm")
		b.waitText("#order-message", "disbursed to Jane Roe")
		entries, err := s.LedgerEntries(ctx, order.ID)
		if err != nil {
			t.Fatal(err)
		}
		disbursed := 0
		for _, e := range entries {
			if e.Kind == restitution.Disbursement {
				disbursed++
			}
		}
		if disbursed != 1 {
			t.Fatalf("%d disbursements recorded; want 1", disbursed)
		}
	})
}
