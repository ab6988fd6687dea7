package frontend_test

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/models"
	"github.com/impactledger/impactledger/restitution"
)

// TestRestitutionInTheBrowser walks a restitution order through the UI as a clerk: the order entered from the
// case's suggestion (verified losses) with a government line added by hand and dated a month back; a payment
// of $1,000 whose live allocation shows $400 / $600 / $0 across an individual's $600, a business's $900 and a
// government's $1,400,000 before it is recorded (once, though the button is clicked twice); $400 disbursed to
// the individual; a payment dated before it refused as out of date order; the payment reversed through its
// dialog, leaving the individual over-disbursed; the totals, charts, order and ledger following each step; the
// ledger as CSV; the victims' pages; and what an advocate is not offered. The ledger lists each entry's totals
// and how many victims it touched, and each victim's share when the entry is opened or the ledger filtered by
// victim. An order of 205 victims shows its first 50 lines and 50 more on "Show more lines" (as of the same
// day); its payment's shares and previews list 200 victims, named past the lines shown, and "and 5 more"; and
// its dialogs' pickers load more victims.
// axe-core checks every screen. With SCREENSHOT_DIR set, the tab is saved there as PNG at each main step.
func TestRestitutionInTheBrowser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		b := newBrowser(t, s)
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
		newUser("eli@mesa.gov", "Eli Clerk", models.RoleClerk)
		dana := newUser("dana@mesa.gov", "Dana Reyes", models.RoleAdvocate)
		c, err := s.CreateCase(ctx, models.NewCase{CourtCaseNumber: "22CR371", Caption: "People v. Tina Peters",
			Court: "Mesa County District Court", Jurisdiction: "us-co"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetCaseTeam(ctx, c.ID, []string{dana.ID}); err != nil {
			t.Fatal(err)
		}
		newDefendant := func(caseID, name string) models.Defendant {
			t.Helper()
			d, err := s.CreateDefendant(ctx, caseID, models.NewDefendant{Name: name, Charges: []models.NewCharge{
				{CountNumber: 1, Statute: "C.R.S. 18-5-902", Description: "Identity theft", Disposition: models.DispositionConvicted}}})
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		newDefendant(c.ID, "Tina Peters")
		newVictim := func(kind models.VictimKind, name string, verifiedCents int64) models.Victim {
			t.Helper()
			v, err := s.CreateVictim(ctx, c.ID, models.NewVictim{Kind: kind, Name: name})
			if err != nil {
				t.Fatal(err)
			}
			if verifiedCents > 0 {
				l, err := s.CreateLoss(ctx, v.ID, models.NewLoss{Category: models.LossFraudulentCharges, ClaimedCents: verifiedCents, VerifiedCents: &verifiedCents})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := s.UpdateLoss(ctx, l.ID, l.Version, models.LossUpdate{Status: models.Some(models.LossVerified)}); err != nil {
					t.Fatal(err)
				}
			}
			return v
		}
		jane := newVictim(models.VictimIndividual, "Jane Roe", 600_00)
		acme := newVictim(models.VictimBusiness, "Acme Hardware LLC", 900_00)
		state := newVictim(models.VictimGovernment, "State of Colorado", 0)
		pat := newVictim(models.VictimIndividual, "Pat Doe", 0)

		today := s.Today().Time()
		day := func(daysAgo int) string { return today.AddDate(0, 0, -daysAgo).Format(time.DateOnly) }
		shots := os.Getenv("SCREENSHOT_DIR")
		shot := func(name string) {
			t.Helper()
			if shots == "" {
				return
			}
			// A modal dialog is drawn where the window is; elsewhere the whole page is the picture.
			shoot := chromedp.FullScreenshot(100)
			if strings.HasSuffix(name, "dialog") {
				shoot = chromedp.CaptureScreenshot()
			}
			png, err := chromedp.Run(b.ctx, shoot)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(shots, string(s.Dialect())+"-"+name+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		// cell is the text of the element matched by a CSS selector, rendered or not (inside a closed <details>).
		cell := func(selector string) string {
			t.Helper()
			return eval[string](b, fmt.Sprintf(`(document.querySelector(%q) || {textContent: '(missing)'}).textContent.trim()`, selector))
		}
		waitCell := func(selector, want string) {
			t.Helper()
			js := fmt.Sprintf(`(document.querySelector(%q) || {textContent: ''}).textContent.trim() === %q`, selector, want)
			if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
				t.Fatalf("%s reads %q; want %q", selector, cell(selector), want)
			}
		}
		// narrow checks the page on a phone, then goes back to the desktop's width: checkNarrow's EmulateReset
		// leaves the page 360 px wide in this Chromium, and the charts draw to the width they are given.
		narrow := func(name string) {
			t.Helper()
			b.checkNarrow(name)
			b.do(chromedp.EmulateViewport(1280, 900))
		}
		label := func(id string) string {
			return eval[string](b, fmt.Sprintf(`document.getElementById(%q).getAttribute('aria-label')`, id))
		}
		tabURL := b.base + "/cases/" + c.ID + "/restitution"

		// The tab before any order.
		b.signIn("eli@mesa.gov", password)
		b.do(chromedp.Navigate(tabURL))
		b.waitText("h2", "Restitution")
		b.waitText("#tab-restitution[aria-current=page]", "Restitution")
		b.waitText(".empty__title", "No restitution order yet.")
		b.checkPage("restitution tab, no order")

		// Enter the order: the suggestion from verified losses, the government's line added, dated a month back.
		b.click("enter-order")
		b.do(chromedp.WaitVisible(chromedp.ID("order-lines")))
		b.waitFocus("order-form-title", "the order form opens")
		if got := b.value("order-line-" + jane.ID); got != "600.00" {
			t.Errorf("Jane Roe's suggested line reads %q", got)
		}
		if got := b.value("order-line-" + acme.ID); got != "900.00" {
			t.Errorf("Acme's suggested line reads %q", got)
		}
		if b.value("order-jurisdiction") != "us-co" || !eval[bool](b, `document.getElementById('order-defendants').checked`) {
			t.Error("the order form does not default to the case's jurisdiction and its one defendant")
		}
		if eval[bool](b, `!!document.getElementById('order-rate')`) {
			t.Error("the interest rate is asked for, but us-co sets one rate for every order")
		}
		b.choose("order-add-victim", state.ID)
		b.click("add-order-line")
		b.waitFocus("order-line-"+state.ID, "a line added takes the keyboard")
		b.do(chromedp.SendKeys(chromedp.ID("order-line-"+state.ID), "1,400,000"),
			chromedp.SendKeys(chromedp.ID("order-reference"), "22CR371 restitution order"))
		b.replace("order-ordered-on", day(30))
		b.waitText("#order-total", "$1,401,500.00")
		b.checkPage("order form")
		narrow("order form")
		shot("order-form")
		b.click("save-order")
		b.waitTrue(`new URLSearchParams(location.search).has('order')`, "the new order opens")
		orderID := eval[string](b, `new URLSearchParams(location.search).get('order')`)
		b.waitText("#restitution-message", "entered: $1,401,500.00 to 3 victims")
		b.waitText("#order-panel-title", "22CR371 restitution order")
		b.waitFocus("order-panel-title", "the order opened")
		waitCell("#order-lines-count", "3 lines")
		if eval[bool](b, `!!document.getElementById('more-lines')`) {
			t.Error("an order of three lines offers Show more lines")
		}
		b.waitText("#order-interest", "8% a year")
		waitCell("#restitution-total-ordered", "$1,401,500.00")
		waitCell("#restitution-total-collected", "$0.00")
		waitCell("#order-total-ordered", "$1,401,500.00")
		before := cents(t, cell("#order-total-balance"))
		if before <= 1_401_500_00 {
			t.Errorf("after 30 days at 8%%, the balance is %d cents; want interest on top of $1,401,500.00", before)
		}

		// The live allocation as the amount is typed: one question once typing pauses, not one a keystroke.
		var previews atomic.Int32
		var mu sync.Mutex
		// The Idempotency-Key of each payment posted for real, of each preview, and of each reversal.
		var keys, previewKeys, reverseKeys []string
		go func() {
			for ev, err := range chromedp.Events(b.ctx, network.RequestWillBeSent) {
				if err != nil {
					return
				}
				var key string
				for name, v := range ev.Request.Headers {
					if strings.EqualFold(name, "Idempotency-Key") {
						key, _ = v.(string)
					}
				}
				mu.Lock()
				switch u := ev.Request.URL; {
				case ev.Request.Method != "POST":
				case strings.HasSuffix(u, "/payments?dry_run=true"):
					previews.Add(1)
					previewKeys = append(previewKeys, key)
				case strings.HasSuffix(u, "/restitution-orders/"+orderID+"/payments"):
					keys = append(keys, key)
				case strings.HasSuffix(u, "/reverse"):
					reverseKeys = append(reverseKeys, key)
				}
				mu.Unlock()
			}
		}()
		// Typed as a person types, a key every 80 ms: each keystroke renders on its own, and only the pause counts.
		for _, key := range "1000.00" {
			b.do(chromedp.SendKeys(chromedp.ID("payment-amount"), string(key)))
			time.Sleep(80 * time.Millisecond)
		}
		janeRow, acmeRow, stateRow := `#payment-preview-table tr[data-victim="`+jane.ID+`"]`, `#payment-preview-table tr[data-victim="`+acme.ID+`"]`,
			`#payment-preview-table tr[data-victim="`+state.ID+`"]`
		waitCell(janeRow+" .preview__principal", "$400.00")
		waitCell(acmeRow+" .preview__principal", "$600.00")
		waitCell(stateRow+" .preview__principal", "$0.00")
		waitCell("#payment-preview-unapplied", "$0.00")
		b.waitText("#payment-preview-summary", "Acme Hardware LLC $600.00, Jane Roe $400.00, State of Colorado $0.00")
		if live := eval[string](b, `document.getElementById('payment-preview-summary').getAttribute('aria-live')`); live != "polite" {
			t.Errorf("the allocation summary is not a live region (aria-live %q)", live)
		}
		if n := previews.Load(); n < 1 || n > 2 {
			t.Errorf("typing seven characters asked for the allocation %d times; want once (twice at most, on a slow machine)", n)
		}
		if n := len(entries(t, s, orderID)); n != 0 {
			t.Fatalf("the preview recorded %d entries", n)
		}
		b.checkPage("order open, payment previewed")
		narrow("order open, payment previewed")
		shot("payment-preview")

		// Recorded once, though clicked twice.
		b.choose("payment-method", "check")
		b.do(chromedp.SendKeys(chromedp.ID("payment-reference"), "Check 1042"))
		eval[chromedp.Void](b, `(() => { const r = document.getElementById('record-payment'); r.click(); r.click(); })()`)
		b.waitText("#order-message", "Payment of $1,000.00 received "+longDate(today)+" recorded: $1,000.00 principal and $0.00 interest to 2 victims.")
		paid := entries(t, s, orderID)
		if len(paid) != 1 || paid[0].Kind != restitution.Payment || paid[0].AmountCents != 1_000_00 || paid[0].Reference != "Check 1042" {
			t.Fatalf("after a double click the ledger holds %+v; want one payment of $1,000", paid)
		}
		payment := paid[0]
		// The browser's events arrive on their own goroutine: give the last one a moment.
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			mu.Lock()
			n := len(keys)
			mu.Unlock()
			if n > 0 {
				break
			}
		}
		mu.Lock()
		if len(keys) == 0 || len(keys[0]) != 36 || (len(keys) == 2 && keys[1] != keys[0]) || len(keys) > 2 {
			t.Errorf("the payment was posted with Idempotency-Keys %q; want one UUID for the form, however often it is sent", keys)
		}
		for _, k := range previewKeys {
			if len(keys) > 0 && k != keys[0] {
				t.Errorf("a preview was asked for with Idempotency-Key %q; want the form's, %q", k, keys[0])
			}
		}
		mu.Unlock()
		b.waitFocus("payment-amount", "a fresh payment form after recording")
		if b.value("payment-amount") != "" {
			t.Error("the payment form was not emptied for the next payment")
		}
		// The ledger gives the payment's totals and how many victims it paid; each one's share when opened.
		paymentRow := "#entry-" + payment.ID
		b.waitText(paymentRow, "From Tina Peters · Check · Reference Check 1042")
		b.waitText(paymentRow+" .ledger-table__applied", "$1,000.00 principal, $0.00 interest")
		waitCell(paymentRow+" .ledger-table__victims", "2 victims")
		if eval[bool](b, `!!document.querySelector('#ledger-table .allocations')`) {
			t.Error("the unfiltered ledger lists victims' shares before an entry is opened")
		}
		if got := eval[string](b, `document.getElementById('show-shares-`+payment.ID+`').getAttribute('aria-expanded')`); got != "false" {
			t.Errorf("the payment's disclosure starts with aria-expanded %q", got)
		}
		b.click("show-shares-" + payment.ID)
		b.waitText("#shares-"+payment.ID, "Acme Hardware LLC: $600.00 principal")
		b.waitText("#shares-"+payment.ID, "Jane Roe: $400.00 principal")
		b.waitTrue(`performance.getEntriesByType('resource').some(e => e.name.endsWith('/api/v1/ledger-entries/`+payment.ID+`'))`,
			"the shares were read from the entry")
		if got := eval[string](b, `document.getElementById('show-shares-`+payment.ID+`').getAttribute('aria-expanded')`); got != "true" {
			t.Errorf("the opened disclosure has aria-expanded %q", got)
		}
		waitCell("#order-total-principal-paid", "$1,000.00")
		waitCell("#order-total-balance", formatDollars(before-1_000_00))
		waitCell("#restitution-total-collected", "$1,000.00")
		waitCell(`#class-table tr[data-class="individual business"] td[data-label=Collected]`, "$1,000.00")
		waitCell(`#class-table tr[data-class="government"] td[data-label=Collected]`, "$0.00")
		if l := label("timeline-chart"); !strings.Contains(l, "ordered $1,401,500.00, collected $1,000.00, disbursed $0.00") {
			t.Errorf("the timeline chart's label reads %q", l)
		}
		if l := label("class-chart"); !strings.Contains(l, "Individual and business victims, $1,000.00 collected of $1,500.00 owed") {
			t.Errorf("the class chart's label reads %q", l)
		}

		// $400 sent to Jane Roe.
		b.click("disburse")
		b.do(chromedp.WaitVisible(chromedp.ID("disburse-dialog")))
		b.waitFocus("disburse-victim", "the disbursement dialog opens")
		b.choose("disburse-victim", jane.ID)
		if got := b.value("disburse-amount"); got != "400.00" {
			t.Errorf("the disbursement starts at %q; want what is waiting for Jane Roe, 400.00", got)
		}
		b.choose("disburse-method", "check")
		b.checkPage("disbursement dialog")
		b.click("confirm-disburse")
		b.waitText("#order-message", "$400.00 disbursed to Jane Roe")
		waitCell(`#order-lines-table tr[data-victim="`+jane.ID+`"] td[data-label=Disbursed]`, "$400.00")
		waitCell("#restitution-total-disbursed", "$400.00")

		// A payment dated before the latest one is refused, and the form says why.
		b.do(chromedp.SendKeys(chromedp.ID("payment-amount"), "50"))
		b.replace("payment-received-on", day(10))
		b.choose("payment-method", "cash")
		b.waitText("#payment-preview-summary", "Not possible as it stands. This payment is dated "+day(10))
		b.click("record-payment")
		b.waitErrorSummaryFocused()
		b.waitText("#payment-form [role=alert]", "Posted out of date order")
		b.waitText("#payment-form [role=alert]", "before the order's latest payment ("+day(0)+")")
		b.waitText("#payment-received-on-error", "on or after the order’s latest payment")
		b.checkPage("payment out of date order")
		if n := len(entries(t, s, orderID)); n != 2 {
			t.Errorf("the refused payment left %d entries; want the payment and the disbursement", n)
		}

		// The payment reversed through its dialog: Jane Roe is now over-disbursed.
		b.click("reverse-" + payment.ID)
		b.do(chromedp.WaitVisible(chromedp.ID("reverse-payment-dialog")))
		b.waitFocus("reverse-reason", "the reversal dialog opens")
		b.waitText("#reverse-payment-description", "$1,000.00 received "+longDate(today)+" from Tina Peters")
		b.click("confirm-reverse-payment")
		b.waitErrorSummaryFocused()
		b.waitText("#reverse-payment-dialog", "Give the reason for the reversal")
		b.checkPage("reversal dialog")
		shot("reverse-dialog")
		b.do(chromedp.SendKeys(chromedp.ID("reverse-reason"), "Check returned unpaid"))
		// Reversed once, though confirmed twice: the dialog sends one Idempotency-Key, however often.
		eval[chromedp.Void](b, `(() => { const r = document.getElementById('confirm-reverse-payment'); r.click(); r.click(); })()`)
		b.waitText("#order-message", "Payment of $1,000.00 received "+longDate(today)+" reversed.")
		reversals := 0
		for _, e := range entries(t, s, orderID) {
			if e.Kind == restitution.Reversal {
				reversals++
			}
		}
		if reversals != 1 {
			t.Errorf("after a double click the ledger holds %d reversals; want 1", reversals)
		}
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			mu.Lock()
			n := len(reverseKeys)
			mu.Unlock()
			if n > 0 {
				break
			}
		}
		mu.Lock()
		if len(reverseKeys) == 0 || len(reverseKeys[0]) != 36 || (len(reverseKeys) == 2 && reverseKeys[1] != reverseKeys[0]) || len(reverseKeys) > 2 {
			t.Errorf("the reversal was posted with Idempotency-Keys %q; want one UUID for the dialog, however often it is sent", reverseKeys)
		}
		mu.Unlock()
		b.waitTrue(`!document.getElementById('reverse-payment-dialog')`, "the dialog closes")
		b.waitFocus("order-panel-title", "the reversal was posted")
		b.waitText("#ledger-table tr[data-kind=reversal]", "Reverses payment #1")
		b.waitText("#ledger-table tr[data-kind=reversal]", "Check returned unpaid")
		b.waitText("#entry-"+payment.ID, "Reversed")
		if eval[bool](b, `!!document.getElementById('reverse-`+payment.ID+`')`) {
			t.Error("a reversed payment still offers Reverse")
		}
		waitCell("#order-total-balance", formatDollars(before))
		waitCell("#restitution-total-collected", "$0.00")
		janeLine := `#order-lines-table tr[data-victim="` + jane.ID + `"]`
		waitCell(janeLine+" td[data-label=Over-disbursed]", "$400.00 (owed back by the victim)")
		if !eval[bool](b, `document.querySelector('`+janeLine+`').classList.contains('is-over')`) {
			t.Error("Jane Roe's over-disbursed line is not highlighted")
		}
		if l := label("timeline-chart"); !strings.Contains(l, "collected $0.00, disbursed $400.00") {
			t.Errorf("after the reversal the timeline chart's label reads %q", l)
		}
		waitCell(`#class-table tr[data-class="individual business"] td[data-label=Collected]`, "$0.00")
		if ts := eval[int](b, `document.querySelectorAll('#timeline-table tbody tr').length`); ts < 2 {
			t.Errorf("the timeline table has %d days; want the order's and the payment's", ts)
		}
		b.checkPage("order after the reversal")
		shot("after-reversal")

		// The ledger filtered, and downloaded.
		b.choose("ledger-kind", "disbursement")
		b.waitTrue(`document.querySelectorAll('#ledger-table tbody tr').length === 1 && !!document.querySelector('#ledger-table tr[data-kind=disbursement]')`,
			"the ledger shows disbursements only")
		b.choose("ledger-kind", "")
		b.choose("ledger-victim", state.ID)
		b.waitText(".empty__title", "No entry matches.")
		// Filtered by victim, each entry shows that victim's share without being opened.
		b.choose("ledger-victim", jane.ID)
		b.waitTrue(`document.querySelectorAll('#ledger-table tbody tr').length === 3`, "Jane Roe's payment, disbursement and reversal")
		waitCell(paymentRow+` td[data-label="Applied to lines"] > .allocations`, "Jane Roe: $400.00 principal")
		waitCell(`#ledger-table tr[data-kind=reversal] td[data-label="Applied to lines"] > .allocations`, "Jane Roe: −$400.00 principal")
		b.checkPage("ledger filtered by victim")
		b.choose("ledger-victim", "")
		b.waitTrue(`document.querySelectorAll('#ledger-table tbody tr').length === 3`, "the whole ledger again")
		downloads := t.TempDir()
		if _, err := chromedp.Call(b.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads}); err != nil {
			t.Fatal(err)
		}
		b.click("download-ledger")
		csv := downloaded(t, downloads, "restitution-order-"+orderID+"-ledger.csv")
		if !strings.HasPrefix(csv, "seq,entry_id,kind,effective_on,amount,victim_id,principal,interest,unapplied,method,reverses\n") ||
			!strings.Contains(csv, ",payment,"+day(0)+",1000.00,"+jane.ID+",400.00,") || strings.Contains(csv, "Check returned unpaid") {
			t.Errorf("the ledger CSV reads %q", csv)
		}

		// The balance as of the order's day: nothing paid or accrued yet.
		b.replace("order-as-of", day(30))
		waitCell("#order-total-balance", "$1,401,500.00")
		waitCell("#order-total-interest-accrued", "$0.00")

		// The victims' pages: Jane Roe's card, and none for a victim in no order.
		b.do(chromedp.Navigate(b.base + "/victims/" + jane.ID))
		b.do(chromedp.WaitVisible(chromedp.ID("victim-restitution")))
		waitCell("#victim-restitution-ordered", "$600.00")
		waitCell("#victim-restitution-paid", "$0.00")
		waitCell("#victim-restitution-disbursed", "$400.00")
		waitCell("#victim-restitution-over", "$400.00")
		b.waitText("#victim-restitution-orders", "22CR371 restitution order")
		b.checkPage("victim page with restitution")
		narrow("victim page with restitution")
		b.do(chromedp.Click(chromedp.CSS("#victim-restitution-orders a")))
		b.waitTrue(`location.pathname === `+jsString("/cases/"+c.ID+"/restitution")+` && location.search === `+jsString("?"+url.Values{"order": {orderID}}.Encode()),
			"the card links to its order")
		b.waitText("#order-panel-title", "22CR371 restitution order")
		b.do(chromedp.Navigate(b.base + "/victims/" + pat.ID))
		b.waitText("h1", "Pat Doe")
		b.waitTrue(`performance.getEntriesByType('resource').some(e => e.name.endsWith('/victims/`+pat.ID+`/restitution'))`, "the card was asked for")
		eval[bool](b, `new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`)
		if eval[bool](b, `!!document.getElementById('victim-restitution') || document.body.innerText.includes('Restitution')`) {
			t.Error("a victim named in no order shows a restitution card")
		}
		bigOrder(t, b, s, newDefendant, waitCell, day)
		b.click("sign-out")
		b.waitText("main", "signed out")

		// An advocate reads it all but is offered nothing that moves money or enters orders.
		b.signIn(dana.Email, password)
		b.do(chromedp.Navigate(tabURL + "?order=" + orderID))
		b.waitText("#order-panel-title", "22CR371 restitution order")
		b.waitText("#ledger-table", "Reverses payment #1")
		for _, id := range []string{"enter-order", "payment-form", "adjust-line", "disburse", "refund"} {
			if eval[bool](b, fmt.Sprintf(`!!document.getElementById(%q)`, id)) {
				t.Errorf("an advocate is offered #%s", id)
			}
		}
		b.checkPage("restitution tab as an advocate")
	})
}

// bigOrder opens an order of 205 victims, more than four pages of lines, as the clerk signed in: the first 50
// lines and the totals over all 205; "Show more lines" adds the next 50 as of the day already shown; a payment's
// shares, read when its entry is opened, list the first 200 (named past the lines shown) and "and 5 more"; so
// does the live preview of a payment; and the disbursement dialog's picker loads more victims.
func bigOrder(t *testing.T, b *browser, s *models.Store, newDefendant func(caseID, name string) models.Defendant,
	waitCell func(selector, want string), day func(daysAgo int) string) {
	t.Helper()
	ctx := dbtest.System()
	c, err := s.CreateCase(ctx, models.NewCase{CourtCaseNumber: "23CR1", Caption: "People v. Breach",
		Court: "Mesa County District Court", Jurisdiction: "us-co"})
	if err != nil {
		t.Fatal(err)
	}
	d := newDefendant(c.ID, "Breach Corp")
	const n = 205
	var lines []models.NewOrderLine
	names := map[string]string{}
	for i := 1; i <= n; i++ {
		v, err := s.CreateVictim(ctx, c.ID, models.NewVictim{Kind: models.VictimIndividual, Name: fmt.Sprintf("Victim %03d", i)})
		if err != nil {
			t.Fatal(err)
		}
		names[v.ID] = v.Name
		lines = append(lines, models.NewOrderLine{VictimID: v.ID, AmountCents: 100_00})
	}
	o, err := s.CreateRestitutionOrder(ctx, c.ID, models.NewRestitutionOrder{OrderedOn: models.DateOf(s.Today().Time().AddDate(0, 0, -30)),
		DefendantIDs: []string{d.ID}, CourtOrderReference: "23CR1 order", Lines: lines})
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := s.RecordPayment(ctx, o.ID, "seed-payment", models.NewPayment{AmountCents: 2_050_00, ReceivedOn: s.Today(), PayerDefendantID: d.ID, Method: "check"})
	if err != nil {
		t.Fatal(err)
	}
	// The API pages lines, and lists allocations, in victim ID order.
	ids := make([]string, 0, n)
	for id := range names {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	rows := `document.querySelectorAll('#order-lines-table tbody tr').length`
	orderURL := b.base + "/cases/" + c.ID + "/restitution?" + url.Values{"order": {o.ID}}.Encode()

	// The first page, the totals over every line, and the next page as of the day shown.
	b.do(chromedp.Navigate(orderURL))
	b.waitText("#order-panel-title", "23CR1 order")
	waitCell("#order-lines-count", "205 lines, 50 shown")
	b.waitTrue(rows+` === 50`, "the first page of 50 lines")
	waitCell("#order-total-ordered", "$20,500.00")
	waitCell("#order-total-principal-paid", "$2,050.00")
	waitCell("#more-lines", "Show more lines")
	b.checkPage("order of 205 lines, first page")
	b.replace("order-as-of", day(1))
	waitCell("#order-total-principal-paid", "$0.00")
	b.waitTrue(rows+` === 50`, "the same 50 lines as of the day before")
	b.click("more-lines")
	b.waitTrue(rows+` === 100`, "100 lines after Show more lines")
	waitCell("#order-lines-count", "205 lines, 100 shown")
	added := `#order-lines-table tr[data-victim="` + ids[50] + `"]`
	waitCell(added+" td[data-label=Victim] a", names[ids[50]])
	waitCell(added+` td[data-label="Principal paid"]`, "$0.00")
	if !eval[bool](b, `performance.getEntriesByType('resource').some(e => e.name.includes('/restitution-orders/`+o.ID+`?') &&
		e.name.includes('cursor=') && e.name.includes('as_of=`+day(1)+`'))`) {
		t.Error("the next page of lines was not asked for as of the day shown")
	}
	b.waitTrue(`document.activeElement && document.activeElement.closest('tr') && document.activeElement.closest('tr').dataset.victim === `+jsString(ids[50]),
		"the keyboard goes to the first line added")
	b.checkPage("order of 205 lines, two pages")

	// Read afresh (the first page only): the payment's shares, the first 200 named, those past the page too.
	b.do(chromedp.Navigate(orderURL))
	b.waitText("#order-panel-title", "23CR1 order")
	b.waitTrue(rows+` === 50`, "the first page of 50 lines")
	waitCell("#entry-"+p.ID+" .ledger-table__victims", "205 victims")
	b.click("show-shares-" + p.ID)
	b.waitTrue(`document.querySelectorAll('#shares-`+p.ID+` li[data-victim]').length === 200`, "the payment's first 200 shares")
	waitCell(`#shares-`+p.ID+`-list-more`, "and 5 more (the CSV lists every victim)")
	waitCell(`#shares-`+p.ID+` li[data-victim="`+ids[199]+`"]`, names[ids[199]]+": $10.00 principal")
	if eval[bool](b, `document.getElementById('shares-`+p.ID+`').innerText.includes('A victim')`) {
		t.Error("a share is not named")
	}
	b.checkPage("order of 205 lines, a payment's shares")
	b.checkNarrow("order of 205 lines, a payment's shares")
	b.do(chromedp.EmulateViewport(1280, 900))

	// The live preview lists the first 200 victims too.
	b.do(chromedp.SendKeys(chromedp.ID("payment-amount"), "1000"))
	b.waitText("#payment-preview-summary", "would pay 205 victims $1,000.00 principal and $0.00 interest; $0.00 would be held as unapplied credit.")
	b.waitTrue(`document.querySelectorAll('#payment-preview-table tbody tr').length === 200`, "the preview's first 200 victims")
	waitCell("#payment-preview-more", "and 5 more victims, not listed here.")
	b.checkPage("order of 205 lines, payment previewed")

	// The disbursement dialog offers the lines loaded so far, and loads more.
	b.click("disburse")
	b.do(chromedp.WaitVisible(chromedp.ID("disburse-dialog")))
	options := `document.querySelectorAll('#disburse-victim option[value]:not([value=""])').length`
	b.waitTrue(options+` === 50`, "the dialog offers the 50 victims loaded")
	waitCell("#more-disburse-victim-count", "50 of 205 victims listed.")
	b.checkPage("disbursement dialog, more victims to load")
	b.click("more-disburse-victim")
	b.waitTrue(options+` === 100`, "the dialog offers 100 victims")
	waitCell("#more-disburse-victim-count", "100 of 205 victims listed.")
	b.waitFocus("more-disburse-victim", "more victims loaded, and more to come")
	b.choose("disburse-victim", ids[99])
	if got := b.value("disburse-amount"); got != "10.00" {
		t.Errorf("the disbursement to %s starts at %q; want 10.00", names[ids[99]], got)
	}
	b.click("cancel-disburse")
	b.waitTrue(`!document.getElementById('disburse-dialog')`, "the dialog closes")
	b.waitTrue(rows+` === 100`, "the lines loaded for the dialog are in the table too")
}

// entries is every entry on the order's ledger, read from the store.
func entries(t *testing.T, s *models.Store, orderID string) []models.LedgerEntry {
	t.Helper()
	page, err := s.ListLedgerEntries(dbtest.System(), orderID, models.EntryFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return page.Items
}

// cents reads an amount as the UI shows it ("$1,401,509.21") back into cents.
func cents(t *testing.T, shown string) int64 {
	t.Helper()
	var whole, frac int64
	digits := strings.NewReplacer("$", "", ",", "").Replace(shown)
	if _, err := fmt.Sscanf(digits, "%d.%02d", &whole, &frac); err != nil {
		t.Fatalf("%q is not an amount: %v", shown, err)
	}
	return whole*100 + frac
}

// formatDollars writes cents as the UI does: 140150921 → "$1,401,509.21".
func formatDollars(c int64) string {
	return fmt.Sprintf("$%s.%02d", formatCount(int(c/100)), c%100)
}

// longDate writes a day as the UI does: "June 1, 2025".
func longDate(d time.Time) string { return d.Format("January 2, 2006") }
