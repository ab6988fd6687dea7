package handlers_test

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/models"
)

// listRow is the CSV row of victim n of a breach notification list: an individual with an SSN, a birth date
// and an address unique to n, and a loss of n dollars and n%100 cents.
func listRow(n int) string {
	return fmt.Sprintf("Person %d,individual,%s,1970-01-%02d,p%d@example.com,970-555-%04d,%d Main St,Grand Junction,CO,81501,fraudulent_charges,\"%d.%02d\",Card charged",
		n, listSSN(n), 1+n%28, n, n%10000, n, n, n%100)
}

// listSSN is an SSN unique to n, of a kind that is issued.
func listSSN(n int) string {
	return fmt.Sprintf("%03d-%02d-%04d", 100+(n/(9000*89))%500, 10+(n/9000)%89, 1000+n%9000)
}

const listHeader = "name,kind,ssn,date_of_birth,email,phone,address_line1,city,state,postal_code,loss_category,loss_amount,loss_description"

// breachList is a list of victims 1 to n, with edit applied to each row (by its line number) first.
func breachList(n int, edit func(line int, row string) string) string {
	var b strings.Builder
	b.WriteString(listHeader + "\n")
	for i := 1; i <= n; i++ {
		row := listRow(i)
		if edit != nil {
			row = edit(i+1, row)
		}
		b.WriteString(row + "\n")
	}
	return b.String()
}

// startImport posts a list and checks the 202 and its Location.
func startImport(t *testing.T, c *client, caseID string, file string, headers ...string) api.VictimImport {
	t.Helper()
	res := c.do("POST", "/api/v1/cases/"+caseID+"/victim-imports", csvBody(file), headers...)
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("POST victim-imports: %d %s", res.StatusCode, res.Body)
	}
	var imp api.VictimImport
	res.JSON(t, &imp)
	if loc := res.Header.Get("Location"); loc != "/api/v1/victim-imports/"+imp.Id.String() {
		t.Fatalf("Location %q for import %s", loc, imp.Id)
	}
	return imp
}

// waitImport polls an import until it ends, checking that its progress never goes back within a stage and
// that its ETag changes exactly when its state does.
func waitImport(t *testing.T, c *client, id string) api.VictimImport {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	last, lastTag := api.VictimImport{}, ""
	for time.Now().Before(deadline) {
		res := c.do("GET", "/api/v1/victim-imports/"+id, nil)
		var imp api.VictimImport
		res.JSON(t, &imp)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET import: %d %s", res.StatusCode, res.Body)
		}
		if imp.Status == last.Status && imp.RowsDone < last.RowsDone {
			t.Fatalf("progress went back from %d to %d while %s", last.RowsDone, imp.RowsDone, imp.Status)
		}
		tag := res.Header.Get("ETag")
		same := imp.Status == last.Status && imp.RowsDone == last.RowsDone && imp.RowsTotal == last.RowsTotal && imp.ErrorCount == last.ErrorCount
		if tag == "" || (tag == lastTag) != same {
			t.Fatalf("ETag %q after %q for %+v after %+v", tag, lastTag, imp, last)
		}
		lastTag = tag
		if imp.Status == api.Succeeded || imp.Status == api.Failed {
			return imp
		}
		last = imp
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("import %s did not finish: %+v", id, last)
	return last
}

// countVictims counts the victims of a case the caller can see, through the API.
func countVictims(t *testing.T, c *client, caseID string) int {
	t.Helper()
	n, cursor := 0, ""
	for {
		path := "/api/v1/cases/" + caseID + "/victims?limit=500"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		res := c.do("GET", path, nil)
		var page api.VictimList
		res.JSON(t, &page)
		n += len(page.Items)
		if !page.NextCursor.IsSpecified() || page.NextCursor.IsNull() {
			return n
		}
		cursor = page.NextCursor.MustGet()
	}
}

// TestImportAcceptance is the acceptance: a 10,000-line list with errors on lines 3, 17 and 9,999
// reports exactly those and imports nothing; the fixed list imports every row; sending it again with the
// same Idempotency-Key creates nothing new.
func TestImportAcceptance(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newClient(t, s).startJobs().signedIn(models.RoleAdvocate)
		kase, _ := createCase(t, c, peters)
		caseID := kase.Id.String()
		const rows = 9999 // and the header: 10,000 lines
		broken := breachList(rows, func(line int, row string) string {
			switch line {
			case 3:
				return strings.Replace(row, ",individual,", ",persn,", 1)
			case 17:
				return strings.Replace(row, "1970-01-", "1970-13-", 1)
			case 9999:
				return strings.Replace(row, "Card charged", "Card charged,twice", 1) // an unquoted comma
			}
			return row
		})
		imp := startImport(t, c, caseID, broken)
		if imp.Status != api.Validating || imp.RowsTotal != rows || imp.Created != 0 {
			t.Fatalf("accepted %+v", imp)
		}
		failed := waitImport(t, c, imp.Id.String())
		want := []api.ImportError{
			{Line: 3, Column: "kind", Message: "must be one of individual, business, government, insurer, compensation_fund"},
			{Line: 17, Column: "date_of_birth", Message: "must be a date in the form YYYY-MM-DD"},
			{Line: 9999, Column: "", Message: "has 14 values, but the header has 13 columns; a value holding a comma must be in quotes"},
		}
		if failed.Status != api.Failed || failed.ErrorCount != 3 || !slices.Equal(failed.Errors, want) || failed.Created != 0 ||
			failed.RowsTotal != rows || failed.Failure.IsSpecified() && !failed.Failure.IsNull() {
			t.Fatalf("the broken list ended as %+v", failed)
		}
		if n := countVictims(t, c, caseID); n != 0 {
			t.Fatalf("%d victims imported from a list with errors", n)
		}

		// The error report holds the same three errors, as CSV.
		res := c.do("GET", "/api/v1/victim-imports/"+imp.Id.String()+"/errors.csv", nil)
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
			!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment;") {
			t.Fatalf("error report: %d %v", res.StatusCode, res.Header)
		}
		records, err := csv.NewReader(strings.NewReader(string(res.Body))).ReadAll()
		if err != nil || len(records) != 4 || !slices.Equal(records[0], []string{"line", "column", "message"}) ||
			!slices.Equal(records[3], []string{"9999", "", want[2].Message}) {
			t.Fatalf("error report %q: %v", res.Body, err)
		}

		fixed := breachList(rows, nil)
		key := "Idempotency-Key"
		first := startImport(t, c, caseID, fixed, key, "list-2024-10-03")
		done := waitImport(t, c, first.Id.String())
		if done.Status != api.Succeeded || done.Created != rows || done.LossesCreated != rows || done.ErrorCount != 0 ||
			len(done.Errors) != 0 || !done.FinishedAt.IsSpecified() || done.FinishedAt.IsNull() {
			t.Fatalf("the fixed list ended as %+v", done)
		}
		again := startImport(t, c, caseID, fixed, key, "list-2024-10-03")
		if again.Id != first.Id || again.Status != api.Succeeded {
			t.Fatalf("the same key and file again made %+v", again)
		}
		if n := countVictims(t, c, caseID); n != rows {
			t.Fatalf("%d victims after the replay; want %d", n, rows)
		}
		var list api.VictimImportList
		c.do("GET", "/api/v1/cases/"+caseID+"/victim-imports", nil).JSON(t, &list)
		if len(list.Items) != 2 || list.Items[0].Id != first.Id || list.Items[1].Id != imp.Id {
			t.Fatalf("imports listed: %+v", list.Items)
		}
		// One audit event per import, and none per victim.
		page, err := s.ListAuditEvents(t.Context(), models.AuditFilter{CaseID: caseID, Limit: models.MaxPageSize})
		if err != nil {
			t.Fatal(err)
		}
		imports, creates := 0, 0
		for _, e := range page.Items {
			switch e.Action {
			case "victim.import":
				imports++
			case "victim.create":
				creates++
			}
		}
		if imports != 2 || creates != 0 {
			t.Fatalf("%d victim.import and %d victim.create events; want 2 and 0", imports, creates)
		}
	})
}

func TestImportRequestsThatAreRefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		base := newClient(t, s)
		c := base.signedIn(models.RoleAdvocate)
		kase, _ := createCase(t, c, peters)
		path := "/api/v1/cases/" + kase.Id.String() + "/victim-imports"
		list := breachList(2, nil)

		if res := c.do("POST", path, list); res.StatusCode != http.StatusUnsupportedMediaType {
			t.Errorf("a list sent as JSON: %d %s", res.StatusCode, res.Body)
		}
		if res := c.do("POST", path, csvBody(list), "Content-Type", "text/csv; charset=iso-8859-1"); res.StatusCode != http.StatusUnsupportedMediaType {
			t.Errorf("a list in Latin-1: %d %s", res.StatusCode, res.Body)
		}
		res := c.do("POST", path, csvBody(""))
		if p := res.Problem(t); res.StatusCode != http.StatusUnprocessableEntity || p.Errors["file"] != "is empty" {
			t.Errorf("an empty list: %d %+v", res.StatusCode, p)
		}
		for _, bad := range []string{strings.Repeat("k", 256), "key with spaces"} {
			if res := c.do("POST", path, csvBody(list), "Idempotency-Key", bad); res.StatusCode != http.StatusBadRequest {
				t.Errorf("Idempotency-Key %q: %d %s", bad, res.StatusCode, res.Body)
			}
		}
		startImport(t, c, kase.Id.String(), list, "Idempotency-Key", "k1")
		res = c.do("POST", path, csvBody(breachList(3, nil)), "Idempotency-Key", "k1")
		if p := res.Problem(t); res.StatusCode != http.StatusUnprocessableEntity || !strings.HasSuffix(p.Type, "/idempotency-key-reused") {
			t.Errorf("a reused key with another list: %d %+v", res.StatusCode, p)
		}
		// Someone else's key is theirs alone.
		other := base.signedIn(models.RoleAdmin)
		if imp := startImport(t, other, kase.Id.String(), list, "Idempotency-Key", "k1"); imp.CreatedBy != other.user.ID {
			t.Errorf("an administrator's import with the same key: %+v", imp)
		}
		// A declared size over 64 MiB is refused before a byte is read.
		req, err := http.NewRequest("POST", c.base+path, io.LimitReader(zeros{}, models.MaxImportBytes+1))
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = models.MaxImportBytes + 1
		req.Header.Set("Content-Type", "text/csv")
		req.Header.Set("Cookie", c.cookie)
		req.Header.Set("X-CSRF-Token", c.csrf)
		got, err := testHTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got.Body.Close()
		if got.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("a declared 64 MiB + 1: %d", got.StatusCode)
		}
		var imports api.VictimImportList
		c.do("GET", path, nil).JSON(t, &imports)
		if len(imports.Items) != 2 {
			t.Fatalf("%d imports after the refusals; want the advocate's and the administrator's", len(imports.Items))
		}
		// Up to five unfinished imports a person (the advocate has one); the queue is not running here, so
		// they stay unfinished.
		for i := 1; i < models.MaxUnfinishedImports; i++ {
			startImport(t, c, kase.Id.String(), breachList(i+1, nil))
		}
		res = c.do("POST", path, csvBody(breachList(9, nil)))
		if p := res.Problem(t); res.StatusCode != http.StatusConflict || !strings.Contains(p.Detail, "have not finished") {
			t.Errorf("a sixth unfinished import: %d %+v", res.StatusCode, p)
		}
		// Without a running job queue, an upload is refused, not left waiting.
		s.SetJobQueue(nil)
		res = other.do("POST", path, csvBody(list))
		if p := res.Problem(t); res.StatusCode != http.StatusServiceUnavailable || !strings.HasSuffix(p.Type, "/imports-unavailable") {
			t.Errorf("no job queue: %d %+v", res.StatusCode, p)
		}
		// Nothing about an import crosses its case's team.
		outsider := base.signedIn(models.RoleAdvocate)
		for _, p := range []string{"/api/v1/victim-imports/" + imports.Items[0].Id.String(),
			"/api/v1/victim-imports/" + imports.Items[0].Id.String() + "/errors.csv", path} {
			if res := outsider.do("GET", p, nil); res.StatusCode != http.StatusNotFound {
				t.Errorf("an advocate off the team read %s: %d", p, res.StatusCode)
			}
		}
	})
}
