package handlers_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/models"
)

var peters = map[string]any{
	"court_case_number": "22CR371",
	"caption":           "People v. Tina Peters",
	"court":             "Mesa County District Court",
	"jurisdiction":      "us-co",
}

func createCase(t *testing.T, c *client, body map[string]any) (api.Case, string) {
	t.Helper()
	res := c.do("POST", "/api/v1/cases", body)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", res.StatusCode, res.Body)
	}
	var out api.Case
	res.JSON(t, &out)
	return out, res.Header.Get("ETag")
}

func TestCaseLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newAdminClient(t, s)
		res := c.do("POST", "/api/v1/cases", peters, "X-Request-ID", "intake-desk-1")
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("create: %d %s", res.StatusCode, res.Body)
		}
		var created api.Case
		res.JSON(t, &created)
		loc := res.Header.Get("Location")
		if loc != "/api/v1/cases/"+created.Id.String() || created.Status != api.Intake || created.Version != 1 ||
			res.Header.Get("ETag") != `"1"` {
			t.Fatalf("create answered Location %q ETag %q body %+v", loc, res.Header.Get("ETag"), created)
		}

		got := c.do("GET", loc, nil)
		if got.StatusCode != http.StatusOK || got.Header.Get("ETag") != `"1"` {
			t.Fatalf("get: %d ETag %q", got.StatusCode, got.Header.Get("ETag"))
		}

		// PATCH without If-Match is refused before anything changes; a stale one too.
		if r := c.do("PATCH", loc, map[string]any{"status": "charged"}); r.StatusCode != http.StatusPreconditionRequired {
			t.Fatalf("patch without If-Match: %d", r.StatusCode)
		} else {
			r.Problem(t)
		}
		patched := c.do("PATCH", loc, `{"status":"charged","sentencing_date":"2024-10-03","notes":"Sentencing set."}`,
			"If-Match", `"1"`, "Content-Type", "application/merge-patch+json")
		if patched.StatusCode != http.StatusOK || patched.Header.Get("ETag") != `"2"` {
			t.Fatalf("patch: %d %s", patched.StatusCode, patched.Body)
		}
		var after api.Case
		patched.JSON(t, &after)
		if after.Status != api.Charged || after.Notes != "Sentencing set." || after.Caption != created.Caption ||
			after.SentencingDate.MustGet().String() != "2024-10-03" {
			t.Fatalf("after patch: %+v", after)
		}
		stale := c.do("PATCH", loc, map[string]any{"caption": "People v. Someone Else"}, "If-Match", `"1"`)
		if stale.StatusCode != http.StatusPreconditionFailed {
			t.Fatalf("stale If-Match: %d %s", stale.StatusCode, stale.Body)
		}
		stale.Problem(t)

		// null clears a nullable field; application/json works as well as merge-patch.
		cleared := c.do("PATCH", loc, `{"sentencing_date":null}`, "If-Match", `"2"`)
		var afterClear api.Case
		cleared.JSON(t, &afterClear)
		if cleared.StatusCode != http.StatusOK || !afterClear.SentencingDate.IsNull() || afterClear.Version != 3 {
			t.Fatalf("clearing the date: %d %s", cleared.StatusCode, cleared.Body)
		}

		// Each change was audited with the request that made it, in order.
		page, err := s.ListAuditEvents(dbtest.System(), models.AuditFilter{CaseID: created.Id.String()})
		events := page.Items
		if err != nil {
			t.Fatal(err)
		}
		// The caller chose its request ID; the audit trail keeps one of the server's own.
		if len(events) != 3 || events[2].Action != "case.create" || !models.ValidID(events[2].RequestID) ||
			events[2].ClientIP != "127.0.0.1" || events[0].Action != "case.update" {
			t.Fatalf("audit events after create and two patches: %+v", events)
		}

		final := c.do("GET", loc, nil)
		var stored api.Case
		final.JSON(t, &stored)
		if stored.Caption != "People v. Tina Peters" || stored.Status != api.Charged || stored.Version != 3 {
			t.Fatalf("stored after all: %+v", stored)
		}
	})
}

func TestListCasesOverHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newAdminClient(t, s)
		for i := range 5 {
			body := map[string]any{
				"court_case_number": fmt.Sprintf("23CR%03d", i),
				"caption":           fmt.Sprintf("People v. Ring Member %d", i),
				"court":             "Mesa County District Court",
				"jurisdiction":      "us-federal",
			}
			if i < 2 {
				body["status"] = "convicted"
			}
			createCase(t, c, body)
		}
		createCase(t, c, peters)

		var ids []string
		path := "/api/v1/cases?limit=4"
		for range 3 {
			res := c.do("GET", path, nil)
			var page api.CaseList
			res.JSON(t, &page)
			for _, item := range page.Items {
				ids = append(ids, item.Id.String())
			}
			if page.NextCursor.IsNull() {
				break
			}
			path = "/api/v1/cases?limit=4&cursor=" + url.QueryEscape(page.NextCursor.MustGet())
		}
		if len(ids) != 6 {
			t.Fatalf("paged through %d cases; want 6", len(ids))
		}

		for query, want := range map[string]int{
			"q=ring+member":                5,
			"q=PETERS":                     1,
			"q=23cr001":                    1,
			"status=convicted":             2,
			"status=convicted&q=peters":    0,
			"q=ring&status=intake&limit=2": 2,
		} {
			res := c.do("GET", "/api/v1/cases?"+query, nil)
			var page api.CaseList
			res.JSON(t, &page)
			if res.StatusCode != http.StatusOK || len(page.Items) != want {
				t.Errorf("?%s: %d with %d items; want %d", query, res.StatusCode, len(page.Items), want)
			}
		}
	})
}

func TestBadRequestsGetProblems(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newAdminClient(t, s)
		created, _ := createCase(t, c, peters)
		loc := "/api/v1/cases/" + created.Id.String()
		huge := `{"court_case_number":"1","caption":"x","court":"x","jurisdiction":"us-co","notes":"` +
			strings.Repeat("a", 1<<20) + `"}`
		for _, tc := range []struct {
			name, method, path string
			body               any
			headers            []string
			status             int
			fields             []string
		}{
			{"malformed JSON", "POST", "/api/v1/cases", `{"caption":`, nil, 400, nil},
			{"not an object", "POST", "/api/v1/cases", `[1,2]`, nil, 400, nil},
			{"empty body", "POST", "/api/v1/cases", "", nil, 400, nil},
			{"unknown field", "POST", "/api/v1/cases", `{"caption":"x","court":"x","court_case_number":"1","jurisdiction":"us-co","judge":"y"}`, nil, 400, []string{"judge"}},
			{"wrong media type", "POST", "/api/v1/cases", `caption=x`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, nil},
			{"too large", "POST", "/api/v1/cases", huge, nil, 413, nil},
			{"missing and invalid fields", "POST", "/api/v1/cases", `{"caption":"","court":"x","status":"paroled","sentencing_date":"2024-02-30"}`, nil, 422, []string{"caption", "court_case_number", "jurisdiction", "status", "sentencing_date"}},
			{"wrong type", "POST", "/api/v1/cases", `{"caption":5,"court":"x","court_case_number":"1","jurisdiction":"us-co"}`, nil, 422, []string{"caption"}},
			{"unknown jurisdiction", "POST", "/api/v1/cases", `{"caption":"x","court":"x","court_case_number":"1","jurisdiction":"us-zz"}`, nil, 422, []string{"jurisdiction"}},
			{"blank caption", "POST", "/api/v1/cases", `{"caption":"   ","court":"x","court_case_number":"1","jurisdiction":"us-co"}`, nil, 422, []string{"caption"}},
			{"duplicate number", "POST", "/api/v1/cases", peters, nil, 409, nil},
			{"bad limit", "GET", "/api/v1/cases?limit=501", nil, nil, 400, []string{"limit"}},
			{"bad status filter", "GET", "/api/v1/cases?status=paroled", nil, nil, 400, []string{"status"}},
			{"bad cursor", "GET", "/api/v1/cases?cursor=not-a-cursor", nil, nil, 400, []string{"cursor"}},
			{"bad id", "GET", "/api/v1/cases/42", nil, nil, 400, []string{"case_id"}},
			{"absent case", "GET", "/api/v1/cases/01a211c6-f93c-78c4-8695-72deaf645c6f", nil, nil, 404, nil},
			{"absent case without If-Match", "PATCH", "/api/v1/cases/01a211c6-f93c-78c4-8695-72deaf645c6f", `{}`, nil, 404, nil},
			{"absent case with If-Match", "PATCH", "/api/v1/cases/01a211c6-f93c-78c4-8695-72deaf645c6f", `{}`, []string{"If-Match", `"1"`}, 404, nil},
			{"If-Match not ours", "PATCH", loc, `{}`, []string{"If-Match", `"abc"`}, 412, nil},
			{"null for a required field", "PATCH", loc, `{"caption":null}`, []string{"If-Match", `"1"`}, 422, []string{"caption"}},
			{"unknown API path", "GET", "/api/v1/defendants", nil, nil, 404, nil},
			{"unknown API root path", "GET", "/api/nothing", nil, nil, 404, nil},
			{"method not allowed", "DELETE", loc, nil, nil, 405, nil},
			{"NUL in the search", "GET", "/api/v1/cases?q=a%00b", nil, nil, 422, []string{"q"}},
			{"cursor in another UUID spelling", "GET", "/api/v1/cases?cursor=" + base64.RawURLEncoding.EncodeToString([]byte("urn:uuid:"+created.Id.String())), nil, nil, 400, []string{"cursor"}},
			{"limit given twice", "GET", "/api/v1/cases?limit=1&limit=2", nil, nil, 400, []string{"limit"}},
			{"year 0", "POST", "/api/v1/cases", `{"caption":"x","court":"x","court_case_number":"9","jurisdiction":"us-co","sentencing_date":"0000-01-01"}`, nil, 422, []string{"sentencing_date"}},
			{"bidi override in caption", "POST", "/api/v1/cases", `{"caption":"a\u202eb","court":"x","court_case_number":"9","jurisdiction":"us-co"}`, nil, 422, []string{"caption"}},
			{"trailing data", "POST", "/api/v1/cases", `{"caption":"x","court":"x","court_case_number":"9","jurisdiction":"us-co"} {"a":1}`, nil, 400, nil},
			{"invalid UTF-8", "POST", "/api/v1/cases", "{\"caption\":\"\xff\",\"court\":\"x\",\"court_case_number\":\"9\",\"jurisdiction\":\"us-co\"}", nil, 400, nil},
			{"Latin-1 charset", "POST", "/api/v1/cases", `{}`, []string{"Content-Type", "application/json; charset=iso-8859-1"}, 415, nil},
			{"empty PATCH body", "PATCH", loc, "", []string{"If-Match", `"1"`}, 400, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := c.do(tc.method, tc.path, tc.body, tc.headers...)
				if res.StatusCode != tc.status {
					t.Fatalf("status %d; want %d: %s", res.StatusCode, tc.status, res.Body)
				}
				p := res.Problem(t)
				if tc.name == "empty body" || tc.name == "empty PATCH body" {
					if !strings.Contains(p.Detail, "required") {
						t.Errorf("detail %q does not say the body is required", p.Detail)
					}
				}
				for _, f := range tc.fields {
					if p.Errors[f] == "" {
						t.Errorf("errors lack %q: %v", f, p.Errors)
					}
				}
			})
		}
		// Nothing above changed the case.
		var stored api.Case
		c.do("GET", loc, nil).JSON(t, &stored)
		if stored.Version != 1 {
			t.Fatalf("bad requests changed the case: %+v", stored)
		}
	})
}

func TestIfMatch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newAdminClient(t, s)
		created, _ := createCase(t, c, peters)
		loc := "/api/v1/cases/" + created.Id.String()
		for _, tc := range []struct {
			ifMatch string
			status  int
		}{
			{`W/"1"`, 412},    // weak tags never match a change
			{`*`, 428},        // would skip the check
			{`1`, 400},        // not an entity tag
			{`"01"`, 412},     // not the tag this server issued
			{`"7", "8"`, 412}, // none current
			{`"7", "1"`, 200}, // one current
			{` "2" `, 200},    // spaces around a tag
		} {
			res := c.do("PATCH", loc, map[string]any{"notes": "change with If-Match " + tc.ifMatch}, "If-Match", tc.ifMatch)
			if res.StatusCode != tc.status {
				t.Errorf("If-Match %s: %d; want %d: %s", tc.ifMatch, res.StatusCode, tc.status, res.Body)
			}
		}
		// Media type names are case-insensitive.
		current := c.do("GET", loc, nil).Header.Get("ETag")
		res := c.do("PATCH", loc, `{"status":"charged"}`, "If-Match", current, "Content-Type", "Application/Merge-Patch+JSON")
		if res.StatusCode != 200 {
			t.Errorf("mixed-case Content-Type: %d %s", res.StatusCode, res.Body)
		}
	})
}
