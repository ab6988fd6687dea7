package handlers_test

import (
	"net/http"
	"testing"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/dbtest"
)

// FuzzCaseBodies sends arbitrary bodies to the case operations: whatever arrives, the answer is a created
// or changed case or a problem document, never a server error. `go test` runs the seeds; `go test -fuzz
// FuzzCaseBodies ./handlers` explores further.
func FuzzCaseBodies(f *testing.F) {
	for _, seed := range []string{
		`{"court_case_number":"1","caption":"x","court":"x","jurisdiction":"us-co"}`,
		`{"court_case_number":"1","caption":"x","court":"x","jurisdiction":"us-co","sentencing_date":null}`,
		`{"court_case_number":"\u0000","caption":"\u202e","court":"\ud800","jurisdiction":"us-co"}`,
		`{"caption":1e999}`, `{"notes":[[[[[[[[[[]]]]]]]]]]}`, `{"a":1,"a":2}`, `null`, `"x"`, `{`, ``,
		`{"status":"intake","status":"closed"}`, `{"sentencing_date":"0000-00-00"}`, `{"sentencing_date":"9999-12-31"}`,
	} {
		f.Add(seed)
	}
	c := newAdminClient(f, dbtest.SQLite(f))
	var created api.Case
	c.do("POST", "/api/v1/cases", peters).JSON(f, &created)
	f.Fuzz(func(t *testing.T, body string) {
		c := c.as(t)
		for _, req := range []struct{ method, path string }{
			{"POST", "/api/v1/cases"},
			{"PATCH", "/api/v1/cases/" + created.Id.String()},
		} {
			res := c.do(req.method, req.path, body, "If-Match", `"1"`)
			switch {
			case res.StatusCode == http.StatusCreated || res.StatusCode == http.StatusOK:
			case res.StatusCode >= 400 && res.StatusCode < 500:
				res.Problem(t)
			default:
				t.Fatalf("%s %s with %q: status %d %s", req.method, req.path, body, res.StatusCode, res.Body)
			}
		}
	})
}
