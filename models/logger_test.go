package models_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/models"
)

// TestDatabaseLogsCarryNoValues makes a statement fail on purpose and checks that the log line has the
// request's ID and the statement, but none of the values the statement carried.
func TestDatabaseLogsCarryNoValues(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	dbtest.EachWith(t, func(cfg *models.Config) { cfg.Logger = logger }, func(t *testing.T, s *models.Store) {
		nc := mesaCase("22CR371")
		nc.Caption = "People v. Secret Name 078-05-1120"
		mustCreate(t, s, nc)
		logs.Reset()
		// A deadline that has already passed makes the statement fail, as a slow database would.
		ctx, cancel := context.WithTimeout(models.WithRequest(dbtest.System(), models.RequestInfo{ID: "req-42"}), 0)
		defer cancel()
		if _, err := s.ListCases(ctx, models.CaseFilter{Query: "Secret Name 078-05-1120"}); err == nil {
			t.Fatal("a statement past its deadline succeeded")
		}
		_, _ = s.CreateCase(models.WithRequest(dbtest.System(), models.RequestInfo{ID: "req-43"}), nc) // duplicate: expected, not logged
		out := logs.String()
		if strings.Contains(out, "Secret") || strings.Contains(out, "078-05") {
			t.Fatalf("database log lines contain values:\n%s", out)
		}
		if !strings.Contains(out, `"request_id":"req-42"`) || !strings.Contains(out, "search_key LIKE $1") &&
			!strings.Contains(out, "search_key LIKE ?") {
			t.Errorf("the failure's log line lacks its request ID or statement:\n%s", out)
		}
		if strings.Contains(out, "req-43") {
			t.Errorf("an expected conflict was logged as a failure:\n%s", out)
		}
	})
}
