//go:build !race

// Tests at full scale: 100,000 victims. They run without the race detector (`make test` runs them in a
// second pass), since it slows the embedded SQLite engine, which is Go code too, many times over.

package handlers_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/models"
)

// TestAtScaleCasesAnswerWithinASecondWhileALargeImportRuns imports 100,000 victims on SQLite, whose one
// writer the import shares with everything else, and meanwhile lists cases without pause, and opens a new
// case every two seconds. Every list must come within a second. A new case waits for the writer, which the
// import holds a chunk at a time; it must come within two seconds, where a writer held for the whole
// import would keep it waiting twenty.
func TestAtScaleCasesAnswerWithinASecondWhileALargeImportRuns(t *testing.T) {
	s := dbtest.SQLite(t)
	c := newClient(t, s).startJobs().signedIn(models.RoleAdvocate)
	kase, _ := createCase(t, c, peters)
	imp := startImport(t, c, kase.Id.String(), breachList(100_000, nil))

	var reads, writes []time.Duration
	lastWrite := time.Now()
	started := time.Now()
	for {
		t0 := time.Now()
		if res := c.do("GET", "/api/v1/cases", nil); res.StatusCode != http.StatusOK {
			t.Fatalf("GET /api/v1/cases: %d", res.StatusCode)
		}
		reads = append(reads, time.Since(t0))
		if time.Since(lastWrite) > 2*time.Second {
			lastWrite = time.Now()
			body := map[string]any{"court_case_number": "W-" + lastWrite.Format("150405.000"), "caption": "People v. Meanwhile",
				"court": "Mesa County District Court", "jurisdiction": "us-co"}
			if res := c.do("POST", "/api/v1/cases", body); res.StatusCode != http.StatusCreated {
				t.Fatalf("POST /api/v1/cases: %d %s", res.StatusCode, res.Body)
			}
			writes = append(writes, time.Since(lastWrite))
		}
		var now api.VictimImport
		c.do("GET", "/api/v1/victim-imports/"+imp.Id.String(), nil).JSON(t, &now)
		if now.Status == api.Succeeded || now.Status == api.Failed {
			if now.Status != api.Succeeded || now.Created != 100_000 {
				t.Fatalf("the import ended as %+v", now)
			}
			break
		}
		if time.Since(started) > 5*time.Minute {
			t.Fatalf("the import did not finish: %+v", now)
		}
		time.Sleep(20 * time.Millisecond)
	}
	slowest := func(d []time.Duration) time.Duration { return slices.Max(d) }
	t.Logf("import took %s; %d case lists, slowest %s; %d new cases, slowest %s",
		time.Since(started).Round(time.Millisecond), len(reads), slowest(reads), len(writes), slowest(writes))
	if len(reads) < 100 || len(writes) < 3 {
		t.Fatalf("only %d reads and %d writes while the import ran", len(reads), len(writes))
	}
	if slowest(reads) > time.Second || slowest(writes) > 2*time.Second {
		t.Fatalf("answers took too long: lists up to %s (at most a second), new cases up to %s (at most two)", slowest(reads), slowest(writes))
	}
}
