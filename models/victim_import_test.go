package models_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/documents"
	"github.com/impactledger/impactledger/jobs"
	"github.com/impactledger/impactledger/models"
)

// importHeader is every column of a victim list, in an order of its own and mixed case.
const importHeader = "Name,KIND,ssn,Date_Of_Birth,email,phone,address_line1,address_line2,city,state,postal_code,preferred_language,is_minor,loss_category,loss_description,loss_amount"

// importRow writes the row of victim n: an individual with an SSN unique to n, and a loss of n dollars and
// n%100 cents.
func importRow(n int) string {
	return fmt.Sprintf("Person %d,individual,%s,1970-01-%02d,p%d@example.com,970-555-%04d,%d Main St,,Grand Junction,co,81501,en,no,fraudulent_charges,\"Card charged, twice\",\"%d.%02d\"",
		n, importSSN(n), 1+n%28, n, n%10000, n, n, n%100)
}

// importSSN is an SSN unique to n (for n below 400 million), of a kind that is issued.
func importSSN(n int) string {
	return fmt.Sprintf("%03d-%02d-%04d", 100+(n/(9000*89))%500, 10+(n/9000)%89, 1000+n%9000)
}

// importFile is a list of victims 1 to n.
func importFile(n int) string {
	var b strings.Builder
	b.WriteString(importHeader + "\r\n")
	for i := 1; i <= n; i++ {
		b.WriteString(importRow(i) + "\r\n")
	}
	return b.String()
}

// eachImportDB is dbtest.Each with imports written 500 rows a transaction on either database, so that
// tests can stop one between chunks the same way on both.
func eachImportDB(t *testing.T, fn func(t *testing.T, s *models.Store)) {
	dbtest.EachWith(t, func(cfg *models.Config) { cfg.ImportChunkRows = 500 }, fn)
}

// importFixture is a case, an advocate acting on it, document storage, and River's queue over the store,
// not started: tests run imports themselves, step by step.
type importFixture struct {
	s    *models.Store
	ctx  context.Context
	c    models.Case
	docs documents.Storage
	// docsDir is the folder docs keeps its files in.
	docsDir string
}

func newImportFixture(t *testing.T, s *models.Store) importFixture {
	t.Helper()
	docsDir := t.TempDir()
	docs, err := documents.NewDir(docsDir)
	if err != nil {
		t.Fatal(err)
	}
	queue, err := jobs.New(jobs.Config{Store: s, Documents: docs})
	if err != nil {
		t.Fatal(err)
	}
	s.SetJobQueue(queue)
	u := mustCreateUser(t, s, "dana@mesa.gov", models.RoleAdvocate)
	ctx := models.WithRequest(dbtest.System(), models.RequestInfo{ID: "req-1", ClientIP: "192.0.2.7",
		Actor: models.Actor{Type: models.ActorUser, ID: u.ID, Role: models.RoleAdvocate}})
	c, err := s.CreateCase(ctx, mesaCase("22CR371"))
	if err != nil {
		t.Fatal(err)
	}
	return importFixture{s: s, ctx: ctx, c: c, docs: docs, docsDir: docsDir}
}

func (f importFixture) start(t *testing.T, file, key string) models.VictimImport {
	t.Helper()
	imp, replay, err := f.s.StartVictimImport(f.ctx, f.docs, f.c.ID, key, strings.NewReader(file))
	if err != nil || replay {
		t.Fatalf("StartVictimImport: %v (replay %v)", err, replay)
	}
	return imp
}

// startStopped starts an import of victims 1 to n and runs it until it has written its first chunk of 500,
// as a run that stops part way leaves it.
func (f importFixture) startStopped(t *testing.T, n int) models.VictimImport {
	t.Helper()
	imp := f.start(t, importFile(n), "")
	ctx, cancel := context.WithCancel(dbtest.System())
	defer cancel()
	_ = f.s.RunVictimImport(ctx, imp.ID, models.ImportRun{Storage: f.docs, Progress: stopAfter(500, cancel)})
	return imp
}

func (f importFixture) run(t *testing.T, id string) models.VictimImport {
	t.Helper()
	if err := f.s.RunVictimImport(dbtest.System(), id, models.ImportRun{Storage: f.docs}); err != nil {
		t.Fatalf("RunVictimImport: %v", err)
	}
	return f.get(t, id)
}

func (f importFixture) get(t *testing.T, id string) models.VictimImport {
	t.Helper()
	imp, err := f.s.VictimImportByID(f.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return imp
}

// visibleVictims counts the case's victims anyone can see, page by page.
func (f importFixture) visibleVictims(t *testing.T) int {
	t.Helper()
	n, after := 0, ""
	for {
		page, err := f.s.ListVictims(f.ctx, f.c.ID, models.VictimFilter{Limit: models.MaxPageSize, AfterID: after})
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Items)
		if page.NextAfterID == "" {
			return n
		}
		after = page.NextAfterID
	}
}

func (f importFixture) importAudits(t *testing.T) []models.AuditEvent {
	t.Helper()
	page, err := f.s.ListAuditEvents(f.ctx, models.AuditFilter{Action: "victim.import", Limit: models.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	return page.Items
}

func TestImportAValidList(t *testing.T) {
	eachImportDB(t, func(t *testing.T, s *models.Store) {
		f := newImportFixture(t, s)
		file := "\uFEFFkind,name,ssn,date_of_birth,email,phone,address_line1,city,state,postal_code,is_minor,loss_category,loss_amount,loss_description\n" +
			"individual,  Jane Roe ,078-05-1120,1961-07-14,jane.roe@example.com,(970) 555-0123,12 Orchard Lane,Grand Junction,co,81501,NO,Fraudulent_Charges,\"$1,234.56\",\"Card ending 4417, charged twice\"\n" +
			"Business,Mesa Hardware LLC,,,,,,,,,,,,\n" +
			"government,Mesa County,,,,,,,,,,investigation_and_response,1400000,Election equipment forensics\n"
		imp := f.start(t, file, "")
		if imp.Status != models.ImportValidating || imp.RowsTotal != 3 || imp.FileSizeBytes != int64(len(file)) {
			t.Fatalf("started %+v", imp)
		}
		done := f.run(t, imp.ID)
		if done.Status != models.ImportSucceeded || done.VictimsCreated != 3 || done.LossesCreated != 2 ||
			done.RowsTotal != 3 || done.RowsDone != 3 || done.ErrorCount != 0 || done.FinishedAt == nil {
			t.Fatalf("finished %+v", done)
		}
		page, err := s.ListVictims(f.ctx, f.c.ID, models.VictimFilter{Query: "jane"})
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("ListVictims: %v, %v", page.Items, err)
		}
		jane, err := s.VictimByID(f.ctx, page.Items[0].ID, true)
		if err != nil {
			t.Fatal(err)
		}
		if jane.Name != "Jane Roe" || jane.Kind != models.VictimIndividual || jane.SSN != "078-05-1120" || jane.SSNLast4 != "1120" ||
			jane.DateOfBirth.String() != "1961-07-14" || jane.Phone != "+19705550123" || jane.Email != "jane.roe@example.com" ||
			jane.MailingAddress.State != "CO" || jane.PreferredLanguage != "en" || jane.IsMinor || jane.Version != 1 {
			t.Fatalf("Jane Roe came in as %+v", jane)
		}
		losses, err := s.ListLosses(f.ctx, jane.ID, models.LossFilter{})
		if err != nil || len(losses.Items) != 1 {
			t.Fatalf("losses %v, %v", losses.Items, err)
		}
		if l := losses.Items[0]; l.ClaimedCents != 123456 || l.Category != models.LossFraudulentCharges ||
			l.Description != "Card ending 4417, charged twice" || l.Status != models.LossClaimed {
			t.Fatalf("Jane's loss came in as %+v", l)
		}
		sum, err := s.LossSummaryOf(f.ctx, f.c.ID)
		if err != nil || sum.Totals.ClaimedCents != 123456+140000000 || sum.Totals.Count != 2 {
			t.Fatalf("summary %+v, %v", sum.Totals, err)
		}
		if events := f.importAudits(t); len(events) != 1 || events[0].Outcome != models.OutcomeSuccess ||
			events[0].ObjectID != imp.ID || events[0].ActorID != done.CreatedBy || events[0].ClientIP != "192.0.2.7" {
			t.Fatalf("audit events %+v", events)
		}
		// The upload was removed once the import ended; a second run finds nothing to do.
		if _, err := f.docs.Open(f.ctx, imp.ID); err == nil {
			t.Fatal("the sealed upload outlived its import")
		}
		if again := f.run(t, imp.ID); again.Status != models.ImportSucceeded || f.visibleVictims(t) != 3 || len(f.importAudits(t)) != 1 {
			t.Fatalf("a second run changed something: %+v", again)
		}
	})
}

func TestImportReportsEveryErrorAndImportsNothing(t *testing.T) {
	eachImportDB(t, func(t *testing.T, s *models.Store) {
		f := newImportFixture(t, s)
		rows := []string{
			"individual,Ada Valid,,,,,,,,,,",                            // 2
			"person,Bad Kind,,,,,,,,,,",                                 // 3: kind
			"individual,,000-12-3456,,,,,,,,,",                          // 4: name, ssn
			"individual,Bad Dates,,07/14/1961,not-an-email,12345,,,,,,", // 5: date, email, phone
			"individual,Half Address,,,,,1 Main St,,,,,",                // 6: city, state, postal code
			"individual,Bad Loss,,,,,,,,,other,\"12.345\"",              // 7: amount
			"individual,Loss No Category,,,,,,,,,,\"10\"",               // 8: category
			"individual,Minor Maybe,,,,,,,,sometimes,,",                 // 9: is_minor
			"individual,Ada Valid,,,,,,,,,,",                            // 10: fine (no birth date: not a duplicate)
			"individual,Twin,078-05-1120,1961-07-14,,,,,,,,",            // 11
			"individual,Other Twin,078-05-1120,,,,,,,,,",                // 12: same SSN as 11
			"individual,twin,,1961-07-14,,,,,,,,",                       // 13: same name and birth date as 11
			"individual,Too,Many,Values,,,,,,,,,",                       // 14: shape
			"business,\"Mesa \"\"Hardware\"\" LLC\",,,,,,,,,,",          // 15: fine
			"individual,Caf\xe9 Owner,,,,,,,,,,",                        // 16: not UTF-8
		}
		file := "kind,name,ssn,date_of_birth,email,phone,address_line1,city,state,is_minor,loss_category,loss_amount\n" + strings.Join(rows, "\n") + "\n"
		imp := f.run(t, f.start(t, file, "").ID)
		if imp.Status != models.ImportFailed || imp.VictimsCreated != 0 || imp.Failure != "" || imp.RowsTotal != len(rows) {
			t.Fatalf("finished %+v", imp)
		}
		got := map[string]string{}
		for _, e := range imp.Errors {
			got[fmt.Sprintf("%d %s", e.Line, e.Column)] = e.Message
			for _, secret := range []string{"000-12-3456", "07/14/1961", "not-an-email", "12345", "12.345", "sometimes", "Caf", "078-05-1120", "Twin", "person"} {
				if strings.Contains(e.Message, secret) || strings.Contains(e.Column, secret) {
					t.Errorf("error %+v quotes the file", e)
				}
			}
		}
		want := map[string]string{
			"3 kind":          "must be one of individual, business, government, insurer, compensation_fund",
			"4 name":          "is required",
			"4 ssn":           "is not a number that is ever issued as an SSN",
			"5 date_of_birth": "must be a date in the form YYYY-MM-DD",
			"5 email":         "must be an email address such as name@example.com",
			"5 phone":         "must be a US number of ten digits or an international number starting with +",
			"6 city":          "is required",
			"6 state":         "must be the two-letter code of a US state or territory, such as CO",
			"6 postal_code":   "must be a ZIP code such as 81501 or 81501-1234",
			"7 loss_amount":   "must have at most two decimal places (whole cents)",
			"8 loss_category": "is required when the row has a loss",
			"9 is_minor":      "must be yes or no (true/false, y/n and 1/0 are read too), or empty for no",
			"12 ssn":          "has the same SSN as line 11",
			"13 name":         "has the same name and date of birth as line 11",
			"14 ":             "has 13 values, but the header has 12 columns; a value holding a comma must be in quotes",
			"16 name":         "is not valid UTF-8 text; save the file as \"CSV UTF-8\"",
		}
		for k, msg := range want {
			if got[k] != msg {
				t.Errorf("error at %q = %q; want %q", k, got[k], msg)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("unexpected error at %q: %q", k, got[k])
			}
		}
		if imp.ErrorCount != len(want) {
			t.Errorf("error_count %d; want %d", imp.ErrorCount, len(want))
		}
		lines := make([]int, len(imp.Errors))
		for i, e := range imp.Errors {
			lines[i] = e.Line
		}
		if !slices.IsSorted(lines) {
			t.Errorf("errors are not in the order of the file: %v", lines)
		}
		if n := f.visibleVictims(t); n != 0 {
			t.Fatalf("%d victims were imported from a file with errors", n)
		}
		if events := f.importAudits(t); len(events) != 1 || events[0].Outcome != models.OutcomeFailure {
			t.Fatalf("audit events %+v", events)
		}
		var report []models.ImportError
		if err := s.VictimImportErrors(f.ctx, imp.ID, func(e models.ImportError) error { report = append(report, e); return nil }); err != nil || len(report) != len(want) {
			t.Fatalf("error report: %d errors, %v", len(report), err)
		}
	})
}

func TestImportHeaderProblemsAndEmptyFiles(t *testing.T) {
	eachImportDB(t, func(t *testing.T, s *models.Store) {
		f := newImportFixture(t, s)
		for _, tc := range []struct{ file, column, message string }{
			{"name,email\nAda,a@example.com\n", "kind", "is required, and the header has no such column"},
			{"kind,name\n", "", "the file has a header but no victims below it"},
			{"kind,name,member_id\nindividual,Ada,77\n", "column 3 (C)", "is not a column of a victim list; the columns are "},
			// No header: the first victim's row is never repeated back.
			{"individual,Jane Q Public,078-05-1120,1961-07-14\nindividual,Bob,,\n", "", "the first line is not a header row"},
		} {
			imp := f.run(t, f.start(t, tc.file, "").ID)
			if imp.Status != models.ImportFailed || len(imp.Errors) != 1 || imp.Errors[0].Line != 1 ||
				imp.Errors[0].Column != tc.column || !strings.HasPrefix(imp.Errors[0].Message, tc.message) {
				t.Errorf("%q: %+v", tc.file, imp)
			}
		}
		if _, _, err := s.StartVictimImport(f.ctx, f.docs, f.c.ID, "", strings.NewReader("")); !errors.Is(err, models.ErrEmptyImport) {
			t.Errorf("an empty file: %v", err)
		}
		other := mustCreateUser(t, s, "pat@mesa.gov", models.RoleAdvocate)
		outsider := models.WithActor(dbtest.System(), models.Actor{Type: models.ActorUser, ID: other.ID, Role: models.RoleAdvocate})
		if _, _, err := s.StartVictimImport(outsider, f.docs, f.c.ID, "", strings.NewReader(importFile(1))); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("an advocate off the case's team started an import: %v", err)
		}
	})
}

func TestUnfinishedImportsArePerPersonAndFew(t *testing.T) {
	eachImportDB(t, func(t *testing.T, s *models.Store) {
		f := newImportFixture(t, s)
		var last models.VictimImport
		for i := range models.MaxUnfinishedImports {
			last = f.start(t, importFile(i+1), fmt.Sprint("key-", i))
		}
		if _, _, err := s.StartVictimImport(f.ctx, f.docs, f.c.ID, "", strings.NewReader(importFile(9))); !errors.Is(err, models.ErrTooManyImports) {
			t.Fatalf("a sixth unfinished import: %v", err)
		}
		// A retry of one of them is still answered.
		if again, replay, err := s.StartVictimImport(f.ctx, f.docs, f.c.ID, fmt.Sprint("key-", models.MaxUnfinishedImports-1),
			strings.NewReader(importFile(models.MaxUnfinishedImports))); err != nil || !replay || again.ID != last.ID {
			t.Fatalf("a retry past the limit: %+v, %v, %v", again, replay, err)
		}
		// Once one has finished, another may start.
		f.run(t, last.ID)
		f.start(t, importFile(9), "")
	})
}

func TestImportDuplicatesOfTheCase(t *testing.T) {
	eachImportDB(t, func(t *testing.T, s *models.Store) {
		f := newImportFixture(t, s)
		if _, err := s.CreateVictim(f.ctx, f.c.ID, janeRoe()); err != nil {
			t.Fatal(err)
		}
		file := "kind,name,ssn,date_of_birth\nindividual,Someone Else,078-05-1120,\nindividual,JANE  ROE,,1961-07-14\nindividual,New Person,,\n"
		imp := f.run(t, f.start(t, file, "").ID)
		if imp.Status != models.ImportFailed || imp.ErrorCount != 2 ||
			imp.Errors[0] != (models.ImportError{Line: 2, Column: "ssn", Message: "a victim with the same SSN is already in this case (or being imported into it)"}) ||
			imp.Errors[1] != (models.ImportError{Line: 3, Column: "name", Message: "a victim with the same name and date of birth is already in this case (or being imported into it)"}) {
			t.Fatalf("%+v", imp)
		}
	})
}

// stopAfter returns a Progress function that cancels the run once it has written rows rows.
func stopAfter(rows int, cancel context.CancelFunc) func(models.VictimImport) {
	return func(imp models.VictimImport) {
		if imp.Status == models.ImportImporting && imp.RowsDone >= rows {
			cancel()
		}
	}
}

func TestAnImportIsHiddenUntilItSucceedsAndResumesWhereItStopped(t *testing.T) {
	eachImportDB(t, func(t *testing.T, s *models.Store) {
		f := newImportFixture(t, s)
		if _, err := s.CreateVictim(f.ctx, f.c.ID, janeRoe()); err != nil {
			t.Fatal(err)
		}
		const n = 1700
		imp := f.start(t, importFile(n), "")
		ctx, cancel := context.WithCancel(dbtest.System())
		err := s.RunVictimImport(ctx, imp.ID, models.ImportRun{Storage: f.docs, Progress: stopAfter(1000, cancel)})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("a stopped run answered %v", err)
		}
		stopped := f.get(t, imp.ID)
		if stopped.Status != models.ImportImporting || stopped.RowsDone != 1000 || stopped.VictimsCreated != 0 {
			t.Fatalf("stopped at %+v", stopped)
		}
		// 1,000 victims and losses are written, and nobody sees them.
		if got := f.visibleVictims(t); got != 1 {
			t.Fatalf("%d victims visible while the import is unfinished; want Jane Roe alone", got)
		}
		if sum, err := s.LossSummaryOf(f.ctx, f.c.ID); err != nil || sum.Totals.Count != 0 {
			t.Fatalf("the loss summary counts hidden losses: %+v, %v", sum.Totals, err)
		}
		// Somebody typing in a person who is being imported is refused, without the hidden victim's ID.
		var conflict *models.ConflictError
		_, err = s.CreateVictim(f.ctx, f.c.ID, models.NewVictim{Kind: models.VictimIndividual, Name: "Typed In", SSN: importSSN(1)})
		if !errors.As(err, &conflict) || conflict.ExistingID != "" || !strings.Contains(conflict.Detail, "being imported") {
			t.Fatalf("a duplicate of a hidden victim: %v", err)
		}
		// The next run carries on from row 1,001, and the import ends with each row exactly once.
		done := f.run(t, imp.ID)
		if done.Status != models.ImportSucceeded || done.VictimsCreated != n || done.LossesCreated != n {
			t.Fatalf("resumed to %+v", done)
		}
		if got := f.visibleVictims(t); got != n+1 {
			t.Fatalf("%d victims visible; want %d", got, n+1)
		}
		sum, err := s.LossSummaryOf(f.ctx, f.c.ID)
		var want int64
		for i := 1; i <= n; i++ {
			want += int64(i*100 + i%100)
		}
		if err != nil || sum.Totals.Count != n || sum.Totals.ClaimedCents != want {
			t.Fatalf("summary %+v, %v; want %d losses claiming %d", sum.Totals, err, n, want)
		}
		if events := f.importAudits(t); len(events) != 1 {
			t.Fatalf("%d audit events for one import", len(events))
		}
	})
}

func TestTwoRunsOfOneImportNeverBothWrite(t *testing.T) {
	eachImportDB(t, func(t *testing.T, s *models.Store) {
		f := newImportFixture(t, s)
		const n = 1200
		imp := f.start(t, importFile(n), "")
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 4 {
			wg.Go(func() { errs <- s.RunVictimImport(dbtest.System(), imp.ID, models.ImportRun{Storage: f.docs}) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		// Runs that found the import held returned at once: run it to the end if they all did.
		done := f.run(t, imp.ID)
		if done.Status != models.ImportSucceeded || done.VictimsCreated != n || f.visibleVictims(t) != n || len(f.importAudits(t)) != 1 {
			t.Fatalf("%+v; %d visible", done, f.visibleVictims(t))
		}
	})
}

// TestARunThatLostItsImportStopsWriting has another worker take the import from a run that is still alive,
// as when a slow worker is presumed dead: the first run's next write finds out and stops, and the import
// ends with every row exactly once.
func TestARunThatLostItsImportStopsWriting(t *testing.T) {
	clock := &testClock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	dbtest.EachWith(t, func(cfg *models.Config) { cfg.Now, cfg.ImportChunkRows = clock.Now, 500 }, func(t *testing.T, s *models.Store) {
		f := newImportFixture(t, s)
		const n = 1700
		imp := f.start(t, importFile(n), "")
		taken := false
		progress := func(v models.VictimImport) {
			if v.Status == models.ImportImporting && v.RowsDone == 500 && !taken {
				taken = true
				if err := s.HoldImportForTest(dbtest.System(), imp.ID); err != nil {
					t.Error(err)
				}
			}
		}
		if err := s.RunVictimImport(dbtest.System(), imp.ID, models.ImportRun{Storage: f.docs, Progress: progress}); err != nil {
			t.Fatalf("the run that lost its import: %v", err)
		}
		if got := f.get(t, imp.ID); !taken || got.Status != models.ImportImporting || got.RowsDone != 500 {
			t.Fatalf("after losing its import the run left %+v", got)
		}
		// The other worker dies too; a third run finishes the import from row 501.
		clock.Add(models.ImportStaleAfter + time.Second)
		done := f.run(t, imp.ID)
		if done.Status != models.ImportSucceeded || done.VictimsCreated != n || f.visibleVictims(t) != n {
			t.Fatalf("%+v; %d visible", done, f.visibleVictims(t))
		}
	})
}

// TestAnImportThatKeepsDyingIsFailed gives up on an import that run after run took and never finished, as
// a file that kills its worker would: it is rolled back and failed, not handed to server after server.
func TestAnImportThatKeepsDyingIsFailed(t *testing.T) {
	eachImportDB(t, func(t *testing.T, s *models.Store) {
		f := newImportFixture(t, s)
		imp := f.startStopped(t, 700)
		if err := s.SetImportRunsForTest(f.ctx, imp.ID, 8); err != nil {
			t.Fatal(err)
		}
		done := f.run(t, imp.ID)
		if done.Status != models.ImportFailed || done.Failure != models.ImportServerError || f.visibleVictims(t) != 0 {
			t.Fatalf("%+v", done)
		}
		// What it wrote is gone: the same list imports.
		if again := f.run(t, f.start(t, importFile(700), "").ID); again.Status != models.ImportSucceeded {
			t.Fatalf("the list again: %+v", again)
		}
	})
}

// TestAnImportThatNoLongerAddsUpIsRolledBackAtOnce loses one of an import's hidden rows between runs: no
// retry could mend that, so the next run rolls it back and fails it instead of failing for hours.
func TestAnImportThatNoLongerAddsUpIsRolledBackAtOnce(t *testing.T) {
	eachImportDB(t, func(t *testing.T, s *models.Store) {
		f := newImportFixture(t, s)
		imp := f.startStopped(t, 700)
		if err := s.DeleteOneImportedVictimForTest(f.ctx, imp.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.RunVictimImport(dbtest.System(), imp.ID, models.ImportRun{Storage: f.docs}); err != nil {
			t.Fatalf("the run answered %v; want the import failed, not an error to retry", err)
		}
		done := f.get(t, imp.ID)
		if done.Status != models.ImportFailed || done.Failure != models.ImportServerError || f.visibleVictims(t) != 0 {
			t.Fatalf("%+v", done)
		}
		if again := f.run(t, f.start(t, importFile(700), "").ID); again.Status != models.ImportSucceeded || again.VictimsCreated != 700 {
			t.Fatalf("the list again: %+v", again)
		}
	})
}

func TestAVictimAddedDuringAnImportFailsItAndRollsItBack(t *testing.T) {
	eachImportDB(t, func(t *testing.T, s *models.Store) {
		f := newImportFixture(t, s)
		const n = 1200
		imp := f.start(t, importFile(n), "")
		added := false
		progress := func(imp models.VictimImport) {
			// Once validation has passed and the first chunk is written, someone types in the person on line 1,101.
			if imp.Status == models.ImportImporting && imp.RowsDone > 0 && !added {
				added = true
				nv := models.NewVictim{Kind: models.VictimIndividual, Name: "Typed In", SSN: importSSN(1100)}
				if _, err := s.CreateVictim(f.ctx, f.c.ID, nv); err != nil {
					t.Errorf("CreateVictim during the import: %v", err)
				}
			}
		}
		if err := s.RunVictimImport(dbtest.System(), imp.ID, models.ImportRun{Storage: f.docs, Progress: progress}); err != nil {
			t.Fatal(err)
		}
		done := f.get(t, imp.ID)
		if done.Status != models.ImportFailed || done.ErrorCount != 1 ||
			done.Errors[0] != (models.ImportError{Line: 1101, Column: "ssn", Message: "a victim with the same SSN was added to this case while the file was importing"}) {
			t.Fatalf("%+v", done)
		}
		if got := f.visibleVictims(t); got != 1 {
			t.Fatalf("%d victims visible; want the one typed in", got)
		}
		// The rows it wrote are gone, not merely hidden: the same people can be imported again.
		fixed := f.run(t, f.start(t, strings.Replace(importFile(n), "\r\n"+importRow(1100)+"\r\n", "\r\n", 1), "").ID)
		if fixed.Status != models.ImportSucceeded || fixed.VictimsCreated != n-1 {
			t.Fatalf("the corrected file: %+v", fixed)
		}
	})
}

func TestAbandonedImportRollsBack(t *testing.T) {
	eachImportDB(t, func(t *testing.T, s *models.Store) {
		f := newImportFixture(t, s)
		imp := f.startStopped(t, 700)
		if err := s.RunVictimImport(dbtest.System(), imp.ID, models.ImportRun{Storage: f.docs, Abandon: true}); err != nil {
			t.Fatal(err)
		}
		done := f.get(t, imp.ID)
		if done.Status != models.ImportFailed || done.Failure != models.ImportServerError || f.visibleVictims(t) != 0 {
			t.Fatalf("%+v", done)
		}
		if fixed := f.run(t, f.start(t, importFile(700), "").ID); fixed.Status != models.ImportSucceeded || fixed.VictimsCreated != 700 {
			t.Fatalf("the same file again: %+v", fixed)
		}
	})
}

func TestImportIdempotencyKey(t *testing.T) {
	eachImportDB(t, func(t *testing.T, s *models.Store) {
		f := newImportFixture(t, s)
		first := f.start(t, importFile(3), "key-1")
		again, replay, err := s.StartVictimImport(f.ctx, f.docs, f.c.ID, "key-1", strings.NewReader(importFile(3)))
		if err != nil || !replay || again.ID != first.ID {
			t.Fatalf("the same key and file: %+v, %v, %v", again, replay, err)
		}
		var reused models.IdempotencyKeyReusedError
		if _, _, err := s.StartVictimImport(f.ctx, f.docs, f.c.ID, "key-1", strings.NewReader(importFile(4))); !errors.As(err, &reused) {
			t.Fatalf("the same key with another file: %v", err)
		}
		other, err := s.CreateCase(f.ctx, mesaCase("22CR999"))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.StartVictimImport(f.ctx, f.docs, other.ID, "key-1", strings.NewReader(importFile(3))); !errors.As(err, &reused) {
			t.Fatalf("the same key and file for another case: %v", err)
		}
		page, err := s.ListVictimImports(f.ctx, f.c.ID, 0, "")
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("%d imports after replays; want 1 (%v)", len(page.Items), err)
		}
		// Concurrent requests with one key make one import.
		var wg sync.WaitGroup
		ids := make(chan string, 8)
		for range 8 {
			wg.Go(func() {
				imp, _, err := s.StartVictimImport(f.ctx, f.docs, f.c.ID, "key-2", strings.NewReader(importFile(2)))
				if err != nil {
					t.Error(err)
					return
				}
				ids <- imp.ID
			})
		}
		wg.Wait()
		close(ids)
		seen := map[string]bool{}
		for id := range ids {
			seen[id] = true
		}
		if len(seen) != 1 {
			t.Fatalf("eight requests with one key made %d imports", len(seen))
		}
	})
}

func TestNudgeStalledImports(t *testing.T) {
	clock := &testClock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	dbtest.EachWith(t, func(cfg *models.Config) { cfg.Now, cfg.ImportChunkRows = clock.Now, 500 }, func(t *testing.T, s *models.Store) {
		f := newImportFixture(t, s)
		imp := f.startStopped(t, 700)
		// The run let go when it stopped; a worker that dies holds on. Claim it as one that then dies.
		if n, err := s.NudgeStalledImports(f.ctx); err != nil || n != 0 {
			t.Fatalf("nudged %d fresh imports: %v", n, err)
		}
		clock.Add(models.ImportStaleAfter + time.Second)
		if n, err := s.NudgeStalledImports(f.ctx); err != nil || n != 0 {
			t.Fatalf("nudged an import nobody held (its job is queued already): %d, %v", n, err)
		}
		if err := s.HoldImportForTest(f.ctx, imp.ID); err != nil {
			t.Fatal(err)
		}
		if n, err := s.NudgeStalledImports(f.ctx); err != nil || n != 0 {
			t.Fatalf("nudged an import whose worker is alive: %d, %v", n, err)
		}
		clock.Add(models.ImportStaleAfter + time.Second)
		if n, err := s.NudgeStalledImports(f.ctx); err != nil || n != 1 {
			t.Fatalf("nudged %d stalled imports; want 1 (%v)", n, err)
		}
		if n, err := s.NudgeStalledImports(f.ctx); err != nil || n != 0 {
			t.Fatalf("nudged the same import twice in a minute: %d, %v", n, err)
		}
		// A new run takes over from the dead worker and finishes.
		if done := f.run(t, imp.ID); done.Status != models.ImportSucceeded || done.VictimsCreated != 700 {
			t.Fatalf("%+v", done)
		}
	})
}

// testClock is a clock that tests move by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestUnfinishedImportsLimitHoldsUnderConcurrentUploads starts twenty uploads by one person at once: at most
// MaxUnfinishedImports are accepted and left unfinished, every other is refused as too many, and a refused
// upload leaves no file behind.
func TestUnfinishedImportsLimitHoldsUnderConcurrentUploads(t *testing.T) {
	eachImportDB(t, func(t *testing.T, s *models.Store) {
		f := newImportFixture(t, s)
		const uploads = 20
		errs := make([]error, uploads)
		var ready, wg sync.WaitGroup
		ready.Add(uploads)
		start := make(chan struct{})
		for i := range uploads {
			wg.Go(func() {
				// Each upload's file arrives only once every upload has begun, so that all of them are past
				// any check made before the file is read.
				body := io.MultiReader(waitFor(&ready, start), strings.NewReader(importFile(i+1)))
				_, _, errs[i] = s.StartVictimImport(f.ctx, f.docs, f.c.ID, "", body)
			})
		}
		ready.Wait()
		close(start)
		wg.Wait()
		accepted := 0
		for i, err := range errs {
			switch {
			case err == nil:
				accepted++
			case !errors.Is(err, models.ErrTooManyImports):
				t.Errorf("upload %d: %v", i, err)
			}
		}
		page, err := s.ListVictimImports(f.ctx, f.c.ID, models.MaxPageSize, "")
		if err != nil {
			t.Fatal(err)
		}
		unfinished := 0
		for _, imp := range page.Items {
			if !imp.Finished() {
				unfinished++
			}
		}
		if accepted != models.MaxUnfinishedImports || unfinished != models.MaxUnfinishedImports {
			t.Errorf("%d of %d uploads at once were accepted and %d are unfinished; want %d", accepted, uploads, unfinished, models.MaxUnfinishedImports)
		}
		if files := storedFiles(t, f.docsDir); files != accepted {
			t.Errorf("%d files are stored for %d accepted imports", files, accepted)
		}
	})
}

// waitFor is a reader that, when first read, says it has begun (ready.Done) and waits for start; then it is
// empty.
func waitFor(ready *sync.WaitGroup, start <-chan struct{}) io.Reader {
	return &gate{ready: ready, start: start}
}

type gate struct {
	ready  *sync.WaitGroup
	start  <-chan struct{}
	opened bool
}

func (g *gate) Read([]byte) (int, error) {
	if !g.opened {
		g.opened = true
		g.ready.Done()
		<-g.start
	}
	return 0, io.EOF
}

// storedFiles counts the files under dir.
func storedFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
