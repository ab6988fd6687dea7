package models_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/models"
)

func mesaCase(number string) models.NewCase {
	return models.NewCase{
		CourtCaseNumber: number,
		Caption:         "People v. Tina Peters",
		Court:           "Mesa County District Court",
		Jurisdiction:    "us-co",
	}
}

func mustCreate(t *testing.T, s *models.Store, nc models.NewCase) models.Case {
	t.Helper()
	c, err := s.CreateCase(dbtest.System(), nc)
	if err != nil {
		t.Fatalf("CreateCase(%+v): %v", nc, err)
	}
	return c
}

func TestCreateCaseStoresWhatWasGiven(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := dbtest.System()
		d, _ := models.ParseDate("2024-10-03")
		nc := mesaCase("  22CR371 ")
		nc.SentencingDate = &d
		nc.Notes = "Two victims so far.\nCounty costs pending."
		c := mustCreate(t, s, nc)
		if c.CourtCaseNumber != "22CR371" || c.Status != models.CaseIntake || c.Version != 1 {
			t.Fatalf("created %+v; want trimmed number, status intake, version 1", c)
		}
		got, err := s.CaseByID(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Caption != c.Caption || got.Notes != nc.Notes || got.SentencingDate == nil ||
			*got.SentencingDate != d || !got.CreatedAt.Equal(c.CreatedAt) || got.Version != 1 {
			t.Fatalf("read back %+v, created %+v", got, c)
		}
	})
}

func TestCreateCaseRejectsInvalidFieldsAndStoresNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		for _, tc := range []struct {
			name  string
			edit  func(*models.NewCase)
			field string
		}{
			{"blank caption", func(n *models.NewCase) { n.Caption = "   " }, "caption"},
			{"unknown jurisdiction", func(n *models.NewCase) { n.Jurisdiction = "us-zz" }, "jurisdiction"},
			{"newline in court", func(n *models.NewCase) { n.Court = "Mesa\nCounty" }, "court"},
			{"long number", func(n *models.NewCase) { n.CourtCaseNumber = strings.Repeat("9", 65) }, "court_case_number"},
			{"bad status", func(n *models.NewCase) { n.Status = "paroled" }, "status"},
			{"control char in notes", func(n *models.NewCase) { n.Notes = "a\x00b" }, "notes"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				nc := mesaCase("22CR371")
				tc.edit(&nc)
				_, err := s.CreateCase(dbtest.System(), nc)
				var invalid *models.ValidationError
				if !errors.As(err, &invalid) || invalid.Fields[tc.field] == "" {
					t.Fatalf("err = %v; want a validation error on %s", err, tc.field)
				}
			})
		}
		page, err := s.ListCases(dbtest.System(), models.CaseFilter{})
		if err != nil || len(page.Items) != 0 {
			t.Fatalf("after invalid creates: %d cases, err %v; want none", len(page.Items), err)
		}
	})
}

func TestCourtCaseNumberIsUniquePerCourtIgnoringCase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		mustCreate(t, s, mesaCase("22CR371"))
		dup := mesaCase("22cr371")
		dup.Court = "MESA COUNTY DISTRICT COURT"
		_, err := s.CreateCase(dbtest.System(), dup)
		var conflict *models.ConflictError
		if !errors.As(err, &conflict) {
			t.Fatalf("duplicate number in the same court: err = %v; want a conflict", err)
		}
		other := mesaCase("22CR371")
		other.Court = "Denver District Court"
		mustCreate(t, s, other)
	})
}

func TestListCasesFiltersAndPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := dbtest.System()
		var all []models.Case
		for i := range 7 {
			nc := mesaCase(fmt.Sprintf("23CR%03d", i))
			nc.Caption = fmt.Sprintf("People v. Defendant %d", i)
			if i%2 == 0 {
				nc.Status = models.CaseCharged
			}
			all = append(all, mustCreate(t, s, nc))
		}
		nunez := mesaCase("24CR100")
		nunez.Caption = "People v. ÑÚÑEZ 100%_done"
		all = append(all, mustCreate(t, s, nunez))

		// Paging walks every case exactly once, newest first.
		var seen []string
		f := models.CaseFilter{Limit: 3}
		for pages := 0; ; pages++ {
			if pages > 5 {
				t.Fatal("paging does not end")
			}
			page, err := s.ListCases(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range page.Items {
				seen = append(seen, c.ID)
			}
			if page.NextAfterID == "" {
				break
			}
			f.AfterID = page.NextAfterID
		}
		if len(seen) != len(all) {
			t.Fatalf("paged through %d cases; want %d", len(seen), len(all))
		}
		for i, id := range seen {
			if want := all[len(all)-1-i].ID; id != want {
				t.Fatalf("position %d: %s; want %s (newest first)", i, id, want)
			}
		}

		for _, tc := range []struct {
			filter models.CaseFilter
			want   int
		}{
			{models.CaseFilter{Query: "defendant"}, 7},
			{models.CaseFilter{Query: "23cr004"}, 1},
			{models.CaseFilter{Query: "ñúñez"}, 1},
			{models.CaseFilter{Query: "%"}, 1},
			{models.CaseFilter{Query: "_done"}, 1},
			{models.CaseFilter{Query: "nobody"}, 0},
			{models.CaseFilter{Status: models.CaseCharged}, 4},
			{models.CaseFilter{Status: models.CaseCharged, Query: "defendant 1"}, 0},
			{models.CaseFilter{Status: models.CaseClosed}, 0},
		} {
			page, err := s.ListCases(ctx, tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) != tc.want {
				t.Errorf("ListCases(%+v) = %d cases; want %d", tc.filter, len(page.Items), tc.want)
			}
		}
	})
}

func TestUpdateCase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := dbtest.System()
		d, _ := models.ParseDate("2024-10-03")
		nc := mesaCase("22CR371")
		nc.SentencingDate = &d
		c := mustCreate(t, s, nc)

		u, err := s.UpdateCase(ctx, c.ID, 1, models.CaseUpdate{
			Status:         models.Some(models.CaseSentenced),
			SentencingDate: models.Some[*models.Date](nil),
		})
		if err != nil {
			t.Fatal(err)
		}
		if u.Status != models.CaseSentenced || u.SentencingDate != nil || u.Version != 2 || u.Caption != c.Caption {
			t.Fatalf("after update: %+v", u)
		}

		if _, err := s.UpdateCase(ctx, c.ID, 1, models.CaseUpdate{Caption: models.Some("Other")}); !errors.Is(err, models.ErrVersionMismatch) {
			t.Fatalf("stale version: err = %v; want ErrVersionMismatch", err)
		}
		var invalid *models.ValidationError
		if _, err := s.UpdateCase(ctx, c.ID, 2, models.CaseUpdate{Caption: models.Some(" ")}); !errors.As(err, &invalid) {
			t.Fatalf("blank caption: err = %v; want a validation error", err)
		}
		if _, err := s.UpdateCase(ctx, "01a211c6-f93c-78c4-8695-72deaf645c6f", 1, models.CaseUpdate{}); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("unknown id: err = %v; want ErrNotFound", err)
		}
		same, err := s.UpdateCase(ctx, c.ID, 2, models.CaseUpdate{Status: models.Some(models.CaseSentenced)})
		if err != nil || same.Version != 2 {
			t.Fatalf("no-op update: version %d, err %v; want version 2 kept", same.Version, err)
		}

		other := mustCreate(t, s, mesaCase("22CR372"))
		var conflict *models.ConflictError
		if _, err := s.UpdateCase(ctx, other.ID, 1, models.CaseUpdate{CourtCaseNumber: models.Some("22cr371")}); !errors.As(err, &conflict) {
			t.Fatalf("renumbering onto an existing number: err = %v; want a conflict", err)
		}
		got, _ := s.CaseByID(ctx, c.ID)
		if got.Version != 2 || got.Caption != c.Caption {
			t.Fatalf("failed updates changed the case: %+v", got)
		}
	})
}

// TestConcurrentUpdatesOfOneVersion checks that of many writers holding the same version, exactly one wins.
func TestConcurrentUpdatesOfOneVersion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := mustCreate(t, s, mesaCase("22CR371"))
		const writers = 8
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for i := range writers {
			wg.Go(func() {
				_, err := s.UpdateCase(dbtest.System(), c.ID, 1, models.CaseUpdate{Notes: models.Some(fmt.Sprint("writer ", i))})
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		won := 0
		for err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, models.ErrVersionMismatch):
				t.Errorf("unexpected error: %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d writers won; want exactly 1", won)
		}
	})
}

func TestCaseTextRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := dbtest.System()
		// Uniqueness ignores letter case beyond ASCII too, on both databases.
		first := mesaCase("É-22CR1")
		first.Court = "Cour d'Édition"
		mustCreate(t, s, first)
		second := mesaCase("é-22cr1")
		second.Court = "cour d'édition"
		var conflict *models.ConflictError
		if _, err := s.CreateCase(ctx, second); !errors.As(err, &conflict) {
			t.Fatalf("the same number and court in other letter case: err = %v; want a conflict", err)
		}

		for name, edit := range map[string]func(*models.NewCase){
			"right-to-left override": func(n *models.NewCase) { n.Caption = "People v. \u202egnp.exe" },
			"byte-order mark":        func(n *models.NewCase) { n.Court = "\uFEFFMesa" },
			"line separator":         func(n *models.NewCase) { n.Caption = "People v.\u2028Peters" },
			"year 0":                 func(n *models.NewCase) { n.SentencingDate = &models.Date{Year: 0, Month: 1, Day: 1} },
			"year 2201":              func(n *models.NewCase) { n.SentencingDate = &models.Date{Year: 2201, Month: 1, Day: 1} },
		} {
			nc := mesaCase("22CR999")
			edit(&nc)
			var invalid *models.ValidationError
			if _, err := s.CreateCase(ctx, nc); !errors.As(err, &invalid) {
				t.Errorf("%s: err = %v; want a validation error", name, err)
			}
		}
		// Names in scripts that need joiners stay valid.
		persian := mesaCase("22CR998")
		persian.Caption = "People v. \u0645\u06cc\u200c\u0631\u0648\u062f"
		mustCreate(t, s, persian)

		for _, f := range []models.CaseFilter{
			{Query: "a\x00b"},
			{AfterID: "urn:uuid:01a211c6-f93c-78c4-8695-72deaf645c6f"},
			{AfterID: "01A211C6-F93C-78C4-8695-72DEAF645C6F"},
		} {
			var invalid *models.ValidationError
			if _, err := s.ListCases(ctx, f); !errors.As(err, &invalid) {
				t.Errorf("ListCases(%#v): err = %v; want a validation error", f, err)
			}
		}
	})
}
