package frontend_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/documents"
	"github.com/impactledger/impactledger/handlers"
	"github.com/impactledger/impactledger/jobs"
	"github.com/impactledger/impactledger/models"
)

// breachListFile writes a CSV list of rows victims, with edit applied to each row by its line number, and
// returns its path.
func breachListFile(t *testing.T, name string, rows int, edit func(line int, row string) string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("Name,Kind,SSN,Date of Birth,City,State,Postal Code,Address Line1,Loss Category,Loss Amount\r\n")
	for i := 1; i <= rows; i++ {
		row := fmt.Sprintf("Person %d,individual,%03d-%02d-%04d,1970-01-%02d,Grand Junction,CO,81501,%d Main St,fraudulent_charges,\"%d.%02d\"",
			i, 100+(i/(9000*89))%500, 10+(i/9000)%89, 1000+i%9000, 1+i%28, i, i, i%100)
		if edit != nil {
			row = edit(i+1, row)
		}
		b.WriteString(row + "\r\n")
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestVictimImportInTheBrowser imports a breach notification list through the UI. A list with errors shows
// its progress live, then every problem by line and column and a downloadable error report, and imports
// nothing; the corrected list imports every row, which then appear on the case's Victims tab. axe-core checks
// every screen.
func TestVictimImportInTheBrowser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := dbtest.System()
		docs, err := documents.NewDir(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		// Once watching, the import pauses part way through each stage until the page has shown it there.
		var watching atomic.Bool
		paused, resume := make(chan models.VictimImport), make(chan struct{})
		seen := map[models.VictimImportStatus]bool{}
		hold := func(imp models.VictimImport) {
			if !watching.Load() || imp.RowsDone == 0 || imp.Finished() || seen[imp.Status] {
				return
			}
			seen[imp.Status] = true
			paused <- imp
			select {
			case <-resume:
			case <-time.After(time.Minute):
			}
		}
		queue, err := jobs.New(jobs.Config{Store: s, Documents: docs, PollInterval: 100 * time.Millisecond,
			Logger: slog.New(slog.DiscardHandler), ImportProgress: hold})
		if err != nil {
			t.Fatal(err)
		}
		if err := queue.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			stop, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			queue.Stop(stop)
		})
		b := newBrowser(t, s, func(c *handlers.Config) { c.Documents = docs })
		const password = "correct horse battery staple"
		dana, err := s.CreateUser(ctx, models.NewUser{Email: "dana@mesa.gov", DisplayName: "Dana Reyes", Role: models.RoleAdvocate, Password: password})
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
		const rows = 1200
		broken := breachListFile(t, "breach list.csv", rows, func(line int, row string) string {
			switch line {
			case 3:
				return strings.Replace(row, ",individual,", ",persn,", 1)
			case 17:
				return strings.Replace(row, "1970-01-", "1970-13-", 1)
			case rows:
				return strings.Replace(row, "fraudulent_charges", "fraudulent_charges,extra", 1)
			}
			return row
		})
		fixed := breachListFile(t, "breach list fixed.csv", rows, nil)

		b.do(chromedp.Navigate(b.base + "/"))
		b.waitText("h1", "Sign in")
		b.do(chromedp.SendKeys(chromedp.ID("email"), dana.Email), chromedp.SendKeys(chromedp.ID("password"), password),
			chromedp.Click(chromedp.ID("sign-in")))
		b.waitText("h1", "Cases")
		b.do(chromedp.Navigate(b.base + "/cases/" + c.ID + "/victims"))
		b.click("import-victims")
		b.waitPath("/cases/" + c.ID + "/victims/import")
		b.waitText("h1", "Import a list of victims")
		b.waitText(".page-head__sub", "People v. Tina Peters")
		b.checkPage("import page")
		b.checkNarrow("import page")
		b.do(chromedp.Click(chromedp.CSS("#import-columns summary")))
		b.waitText("#import-columns", "loss_amount")
		b.checkPage("import page, columns open")
		// Downloads land in a folder of the test's, as a person's would in theirs.
		downloads := t.TempDir()
		if _, err := chromedp.Call(b.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads}); err != nil {
			t.Fatal(err)
		}
		b.click("download-template")
		if template := downloaded(t, downloads, "victim-list-template.csv"); !strings.HasPrefix(template, "kind,name,email,phone,address_line1") {
			t.Errorf("the template starts %.80q", template)
		}

		// Nothing chosen: the form says so, where the keyboard is.
		b.click("start-import")
		b.waitErrorSummaryFocused()
		b.waitText("[role=alert]", "Choose the CSV file of the list to import.")
		b.checkPage("import without a file")

		// The list with errors: nothing imported, every problem shown and in the report.
		b.do(chromedp.SetUploadFiles(chromedp.ID("import-file"), []string{broken}))
		b.click("start-import")
		b.waitTrue(`location.pathname.startsWith('/cases/`+c.ID+`/victims/import/')`, "the page follows the import")
		importPath := eval[string](b, `location.pathname`)
		b.do(chromedp.WaitVisible(chromedp.ID("import-failed")))
		b.waitText("#result-heading", "Nothing was imported")
		b.waitText("#import-result", "The file has 3 problems")
		b.waitFocus("result-heading", "the import ended while watched")
		for _, want := range []string{"3 kind must be one of individual", "17 date_of_birth must be a date in the form YYYY-MM-DD",
			fmt.Sprintf("%s the whole line has 11 values, but the header has 10 columns", formatCount(rows))} {
			if !strings.Contains(eval[string](b, `[...document.querySelectorAll('#import-errors tbody tr')].map(r => [...r.cells].map(c => c.innerText).join(' ')).join('\n')`), want) {
				t.Errorf("the problems table lacks %q", want)
			}
		}
		b.checkPage("import failed")
		b.checkNarrow("import failed")
		b.click("download-errors")
		importID := importPath[strings.LastIndex(importPath, "/")+1:]
		if report := downloaded(t, downloads, "import-"+importID+"-errors.csv"); !strings.HasPrefix(report, "line,column,message\n3,kind,") || strings.Count(report, "\n") != 4 {
			t.Errorf("the error report reads %q", report)
		}
		if n := eval[int](b, `document.querySelectorAll('#recent-imports tbody tr').length`); n != 1 {
			t.Errorf("%d imports listed; want 1", n)
		}

		// The corrected list: every row imported, shown on the Victims tab.
		b.click("import-again")
		b.waitPath("/cases/" + c.ID + "/victims/import")
		b.do(chromedp.SetUploadFiles(chromedp.ID("import-file"), []string{fixed}))
		watching.Store(true)
		b.click("start-import")
		b.waitTrue(`location.pathname.startsWith('/cases/`+c.ID+`/victims/import/') && location.pathname !== `+jsString(importPath), "the page follows the new import")
		// The progress bar shows each stage part way, live.
		for _, stage := range []struct {
			status models.VictimImportStatus
			label  string
		}{{models.ImportValidating, "Step 1 of 2: checking every row"}, {models.ImportImporting, "Step 2 of 2: importing"}} {
			var at models.VictimImport
			select {
			case at = <-paused:
			case <-time.After(2 * time.Minute):
				t.Fatalf("the import never reached %s", stage.status)
			}
			if at.Status != stage.status {
				t.Fatalf("paused at %+v; want %s", at, stage.status)
			}
			b.waitTrue(fmt.Sprintf(`(() => { const p = document.getElementById('import-progress');
				return !!p && p.value === %d && p.max === %d && document.getElementById('import-stage').innerText === %q; })()`,
				at.RowsDone, rows, stage.label), "the page shows "+stage.label+" part way")
			b.waitText("#import-count", fmt.Sprintf("%s of %s rows", formatCount(at.RowsDone), formatCount(rows)))
			b.checkPage("import running: " + stage.label)
			resume <- struct{}{}
		}
		if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](`!!document.getElementById('import-succeeded')`, chromedp.WithPollingTimeout(2*time.Minute))); err != nil {
			t.Fatalf("the corrected list did not import: %v", err)
		}
		b.waitText("#import-result", fmt.Sprintf("Imported %s victims and %s losses.", formatCount(rows), formatCount(rows)))
		b.waitFocus("result-heading", "the import ended while watched")
		b.checkPage("import succeeded")
		b.checkNarrow("import succeeded")
		b.click("see-victims")
		b.waitPath("/cases/" + c.ID + "/victims")
		b.waitText("#victims-table", "Person "+fmt.Sprint(rows))
		b.checkPage("victims after the import")
	})
}

// downloaded waits for the browser to finish saving name into dir, and returns its content.
func downloaded(t *testing.T, dir, name string) string {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if raw, err := os.ReadFile(filepath.Join(dir, name)); err == nil && len(raw) > 0 {
			return string(raw)
		}
	}
	entries, _ := os.ReadDir(dir)
	t.Fatalf("%s was not downloaded; the folder holds %v", name, entries)
	return ""
}

// formatCount writes n as the UI does, with thousands separators.
func formatCount(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
