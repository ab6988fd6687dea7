package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/handlers"
	"github.com/impactledger/impactledger/models"
)

// What Jane Roe wrote, in her words and several scripts. None of it may reach a clerk, a log or an audit
// event.
const (
	janeEmotional   = "I stopped answering the phone.\nEvery letter from a bank made me shake."
	janePhysical    = "Tôi mất ngủ suốt nhiều tháng."
	janeFinancial   = "I took unpaid leave to close the fraudulent accounts."
	janeRestitution = "I ask for the wages I lost and the credit monitoring I had to buy."
	janeRewrite     = "Looking back a year later, the fear has eased but not gone."
)

var janeSecrets = []string{"answering the phone", "mất ngủ", "unpaid leave", "credit monitoring I had", "fear has eased"}

// statementAt answers the decoded statement of a response that must have status want.
func statementAt(t *testing.T, res response, want int) api.Statement {
	t.Helper()
	if res.StatusCode != want {
		t.Fatalf("%s %s: %d %s; want %d", res.Request.Method, res.Request.URL.Path, res.StatusCode, res.Body, want)
	}
	var st api.Statement
	res.JSON(t, &st)
	if res.Header.Get("ETag") != fmt.Sprintf(`"%d"`, st.Version) {
		t.Fatalf("ETag %q for version %d", res.Header.Get("ETag"), st.Version)
	}
	return st
}

func section(n interface{ Get() (string, error) }) string {
	v, _ := n.Get()
	return v
}

// statementFixture is a case with Jane Roe in it, as an advocate on its team made it.
func statementFixture(t *testing.T, c *client) (caseID, victimID string) {
	t.Helper()
	created, _ := createCase(t, c, peters)
	caseID = created.Id.String()
	victimID = post(t, c, "/api/v1/cases/"+caseID+"/victims", map[string]any{"kind": "individual", "name": "Jane Roe"})["id"].(string)
	return caseID, victimID
}

// TestStatementLifecycle walks a statement from first draft to final, edits the final statement into a new
// draft (the final revision staying the exhibits' until the new one is final), finalizes again, and reads
// the whole history back.
func TestStatementLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newClient(t, s).signedIn(models.RoleAdvocate)
		caseID, victimID := statementFixture(t, c)
		statements := "/api/v1/victims/" + victimID + "/statements"

		created := post(t, c, statements, map[string]any{
			"language": "vi",
			"sections": map[string]any{"emotional": janeEmotional, "financial": janeFinancial},
		})
		id := created["id"].(string)
		path := "/api/v1/statements/" + id
		st := statementAt(t, c.do("GET", path, nil), http.StatusOK)
		if st.Status != api.StatementDraft || st.Revision != 1 || !st.FinalRevision.IsNull() || st.Final != nil ||
			st.Language != "vi" || st.Delivery != api.DeliveryWritten || st.CaseId.String() != caseID ||
			st.VictimId.String() != victimID || section(st.Sections.Emotional) != janeEmotional ||
			!st.Sections.Physical.IsNull() || !st.RestitutionRequestText.IsNull() {
			t.Fatalf("created: %+v", st)
		}
		if _, ok := created["final"]; ok {
			t.Fatal("a statement never finalized answers a final revision")
		}

		// Preconditions: none, stale, then a merge patch of two sections; the third is kept.
		patch := `{"sections":{"emotional":null,"physical":"` + janePhysical + `"},"restitution_request_text":"` + janeRestitution + `"}`
		if res := c.do("PATCH", path, patch, "Content-Type", "application/merge-patch+json"); res.StatusCode != http.StatusPreconditionRequired {
			t.Fatalf("PATCH without If-Match: %d", res.StatusCode)
		}
		if res := c.do("PATCH", path, patch, "If-Match", `"7"`); res.StatusCode != http.StatusPreconditionFailed {
			t.Fatalf("PATCH with a stale If-Match: %d", res.StatusCode)
		}
		st = statementAt(t, c.do("PATCH", path, patch, "If-Match", `"1"`, "Content-Type", "application/merge-patch+json"), http.StatusOK)
		if st.Revision != 2 || st.Version != 2 || st.Status != api.StatementDraft || !st.Sections.Emotional.IsNull() ||
			section(st.Sections.Physical) != janePhysical || section(st.Sections.Financial) != janeFinancial ||
			section(st.RestitutionRequestText) != janeRestitution {
			t.Fatalf("after the merge patch: %+v", st)
		}
		// A patch that changes nothing saves nothing.
		same := statementAt(t, c.do("PATCH", path, map[string]any{"language": "vi"}, "If-Match", `"2"`), http.StatusOK)
		if same.Revision != 2 || same.Version != 2 {
			t.Fatalf("a patch changing nothing saved revision %d", same.Revision)
		}

		// Only a submitted statement can be finalized, and only a draft submitted.
		if res := c.do("POST", path+"/finalize", nil); res.StatusCode != http.StatusConflict {
			t.Fatalf("finalizing a draft: %d %s", res.StatusCode, res.Body)
		}
		st = statementAt(t, c.do("POST", path+"/submit", nil), http.StatusOK)
		if st.Status != api.StatementSubmitted || st.Revision != 3 {
			t.Fatalf("submitted: %+v", st)
		}
		if res := c.do("POST", path+"/submit", nil); res.StatusCode != http.StatusConflict {
			t.Fatalf("submitting twice: %d %s", res.StatusCode, res.Body)
		}
		if res := c.do("POST", path+"/finalize", nil, "If-Match", `"2"`); res.StatusCode != http.StatusPreconditionFailed {
			t.Fatalf("finalizing with a stale If-Match: %d %s", res.StatusCode, res.Body)
		}
		st = statementAt(t, c.do("POST", path+"/finalize", nil, "If-Match", `"3"`), http.StatusOK)
		if n, _ := st.FinalRevision.Get(); st.Status != api.StatementFinal || st.Revision != 4 || n != 4 {
			t.Fatalf("finalized: %+v", st)
		}
		if st.Final == nil || st.Final.Number != 4 || st.Final.Status != api.StatementFinal || section(st.Final.Sections.Physical) != janePhysical {
			t.Fatalf("final revision: %+v", st.Final)
		}
		if res := c.do("POST", path+"/finalize", nil); res.StatusCode != http.StatusConflict {
			t.Fatalf("finalizing a final statement: %d", res.StatusCode)
		}

		// Editing the final statement starts a new draft; the final revision stays for exhibits.
		st = statementAt(t, c.do("PATCH", path, map[string]any{"sections": map[string]any{"physical": janeRewrite}, "delivery": "both"},
			"If-Match", `"4"`), http.StatusOK)
		if n, _ := st.FinalRevision.Get(); st.Status != api.StatementDraft || st.Revision != 5 || n != 4 ||
			section(st.Sections.Physical) != janeRewrite || st.Delivery != api.DeliveryBoth ||
			st.Final == nil || st.Final.Number != 4 || section(st.Final.Sections.Physical) != janePhysical || st.Final.Delivery != api.DeliveryWritten {
			t.Fatalf("editing a final statement: %+v", st)
		}
		got := statementAt(t, c.do("GET", path, nil), http.StatusOK)
		if n, _ := got.FinalRevision.Get(); n != 4 || section(got.Final.Sections.Physical) != janePhysical || section(got.Sections.Physical) != janeRewrite {
			t.Fatalf("read back during the new draft: %+v", got)
		}
		statementAt(t, c.do("POST", path+"/submit", nil, "If-Match", `"5"`), http.StatusOK)
		st = statementAt(t, c.do("POST", path+"/finalize", nil), http.StatusOK)
		if n, _ := st.FinalRevision.Get(); st.Status != api.StatementFinal || st.Revision != 7 || n != 7 ||
			section(st.Final.Sections.Physical) != janeRewrite {
			t.Fatalf("finalized again: %+v", st)
		}

		// The whole history, newest first, paged; every revision with who, when, its status and its text.
		var revs []api.StatementRevision
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 5 {
				t.Fatal("the revisions never ended")
			}
			q := path + "/revisions?limit=3"
			if cursor != "" {
				q += "&cursor=" + cursor
			}
			res := c.do("GET", q, nil)
			var page api.StatementRevisionList
			res.JSON(t, &page)
			if res.StatusCode != http.StatusOK || len(page.Items) > 3 {
				t.Fatalf("revisions: %d %s", res.StatusCode, res.Body)
			}
			revs = append(revs, page.Items...)
			next, err := page.NextCursor.Get()
			if err != nil {
				break
			}
			cursor = next
		}
		wantStatus := []api.StatementStatus{api.StatementFinal, api.StatementSubmitted, api.StatementDraft, api.StatementFinal,
			api.StatementSubmitted, api.StatementDraft, api.StatementDraft}
		if len(revs) != len(wantStatus) {
			t.Fatalf("%d revisions; want %d", len(revs), len(wantStatus))
		}
		for i, rev := range revs {
			by, _ := rev.CreatedBy.Get()
			if rev.Number != 7-i || rev.Status != wantStatus[i] || by.String() != c.user.ID || rev.CreatedAt.IsZero() {
				t.Errorf("revision %d: number %d, status %s, by %s", i, rev.Number, rev.Status, by)
			}
		}
		first, second := revs[6], revs[5]
		if section(first.Sections.Emotional) != janeEmotional || !first.RestitutionRequestText.IsNull() ||
			!second.Sections.Emotional.IsNull() || section(second.RestitutionRequestText) != janeRestitution ||
			section(revs[3].Sections.Physical) != janePhysical || section(revs[0].Sections.Physical) != janeRewrite ||
			first.Language != "vi" || revs[2].Delivery != api.DeliveryBoth {
			t.Fatalf("revision texts: %+v / %+v", first, second)
		}

		// A second statement lists first.
		other := post(t, c, statements, map[string]any{"delivery": "oral"})["id"].(string)
		var list api.StatementList
		res := c.do("GET", statements, nil)
		res.JSON(t, &list)
		if res.StatusCode != http.StatusOK || len(list.Items) != 2 || list.Items[0].Id.String() != other || list.Items[1].Id.String() != id ||
			list.Items[1].Final == nil || !list.NextCursor.IsNull() {
			t.Fatalf("list: %d %s", res.StatusCode, res.Body)
		}

		// Every save, read and list is on record, with its case, and no record holds what it was about.
		audit, err := s.ListAuditEvents(dbtest.System(), models.AuditFilter{CaseID: caseID, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		counts := map[string]int{}
		for _, e := range audit.Items {
			counts[e.Action]++
			raw, _ := json.Marshal(e)
			for _, secret := range janeSecrets {
				if strings.Contains(string(raw), secret) {
					t.Errorf("audit event %s holds %q", e.Action, secret)
				}
			}
		}
		want := map[string]int{"statement.create": 2, "statement.update": 2, "statement.submit": 2, "statement.finalize": 2,
			"statement.read": 2, "statement.list": 1, "statement.revisions": 3}
		for action, n := range want {
			if counts[action] != n {
				t.Errorf("%d %s events; want %d (all: %v)", counts[action], action, n, counts)
			}
		}
	})
}

// TestConcurrentStatementPatches sends two changes made from the same version at once, round after round:
// one wins, the other is told the statement changed under it, and exactly the winners' revisions exist.
// Two submissions at once: one submits, the other finds it submitted already.
func TestConcurrentStatementPatches(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newClient(t, s).signedIn(models.RoleAdvocate)
		_, victimID := statementFixture(t, c)
		id := post(t, c, "/api/v1/victims/"+victimID+"/statements", map[string]any{"sections": map[string]any{"other": "start"}})["id"].(string)
		path := "/api/v1/statements/" + id
		race := func(n int, call func(i int) response) ([]int, [][]byte) {
			var wg sync.WaitGroup
			statuses, bodies := make([]int, n), make([][]byte, n)
			start := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					<-start
					r := call(i)
					statuses[i], bodies[i] = r.StatusCode, r.Body
				})
			}
			close(start)
			wg.Wait()
			return statuses, bodies
		}
		const rounds = 4
		for round := 1; round <= rounds; round++ {
			statuses, bodies := race(2, func(i int) response {
				return c.do("PATCH", path, map[string]any{"sections": map[string]any{"other": fmt.Sprintf("round %d writer %d", round, i)}},
					"If-Match", fmt.Sprintf(`"%d"`, round))
			})
			winner := slices.Index(statuses, http.StatusOK)
			slices.Sort(statuses)
			if statuses[0] != http.StatusOK || statuses[1] != http.StatusPreconditionFailed {
				t.Fatalf("round %d: statuses %v: %s / %s", round, statuses, bodies[0], bodies[1])
			}
			st := statementAt(t, c.do("GET", path, nil), http.StatusOK)
			if st.Version != int64(round+1) || st.Revision != round+1 || section(st.Sections.Other) != fmt.Sprintf("round %d writer %d", round, winner) {
				t.Fatalf("round %d kept %+v", round, st)
			}
		}
		var revs api.StatementRevisionList
		c.do("GET", path+"/revisions?limit=50", nil).JSON(t, &revs)
		if len(revs.Items) != rounds+1 {
			t.Fatalf("%d revisions after %d winning changes; want %d", len(revs.Items), rounds, rounds+1)
		}
		for i, rev := range revs.Items {
			if rev.Number != rounds+1-i {
				t.Fatalf("revision numbers %d at %d: not contiguous", rev.Number, i)
			}
		}

		statuses, bodies := race(2, func(int) response { return c.do("POST", path+"/submit", nil) })
		slices.Sort(statuses)
		if statuses[0] != http.StatusOK || statuses[1] != http.StatusConflict {
			t.Fatalf("concurrent submissions: %v: %s / %s", statuses, bodies[0], bodies[1])
		}
	})
}

// TestStatementTextLimits counts the 50,000-character limit in characters, not bytes, names the field that
// breaks it, and takes a whole statement of the longest sections even when its JSON escapes every one.
func TestStatementTextLimits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newClient(t, s).signedIn(models.RoleAdvocate)
		_, victimID := statementFixture(t, c)
		statements := "/api/v1/victims/" + victimID + "/statements"
		// Two-, three- and four-byte characters: 50,000 of them are some 150,000 bytes.
		longest := strings.Repeat("é語😀", models.MaxStatementRunes/3) + strings.Repeat("ü", models.MaxStatementRunes%3)
		if n := len([]rune(longest)); n != models.MaxStatementRunes {
			t.Fatalf("the test text has %d characters", n)
		}
		created := statementAt(t, c.do("POST", statements, map[string]any{"sections": map[string]any{"emotional": longest},
			"restitution_request_text": longest}), http.StatusCreated)
		if section(created.Sections.Emotional) != longest || section(created.RestitutionRequestText) != longest {
			t.Fatal("the longest text did not come back whole")
		}
		path := "/api/v1/statements/" + created.Id.String()

		for _, tc := range []struct {
			method, path, field string
			body                any
		}{
			{"POST", statements, "sections.emotional", map[string]any{"sections": map[string]any{"emotional": longest + "x"}}},
			{"POST", statements, "restitution_request_text", map[string]any{"restitution_request_text": longest + "😀"}},
			{"PATCH", path, "sections.financial", map[string]any{"sections": map[string]any{"financial": longest + "é"}}},
			{"PATCH", path, "restitution_request_text", map[string]any{"restitution_request_text": longest + "x"}},
			{"POST", statements, "sections.other", map[string]any{"sections": map[string]any{"other": "a bell\a"}}},
			{"PATCH", path, "sections.physical", map[string]any{"sections": map[string]any{"physical": "abc\u202Edef"}}},
			{"POST", statements, "language", map[string]any{"language": "Vietnamese!"}},
			{"POST", statements, "delivery", map[string]any{"delivery": "sung"}},
		} {
			res := c.do(tc.method, tc.path, tc.body, "If-Match", `"1"`)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("%s %s with a bad %s: %d %s", tc.method, tc.path, tc.field, res.StatusCode, res.Body)
				continue
			}
			if p := res.Problem(t); p.Errors[tc.field] == "" {
				t.Errorf("%s with a bad %s: errors %v do not name it", tc.method, tc.field, p.Errors)
			}
		}
		// PATCH at the limit, in a section that had none.
		st := statementAt(t, c.do("PATCH", path, map[string]any{"sections": map[string]any{"financial": longest}}, "If-Match", `"1"`), http.StatusOK)
		if section(st.Sections.Financial) != longest || st.Revision != 2 {
			t.Fatal("a patch at the limit was not kept")
		}

		// Every section at the limit, every character escaped as JSON allows (\uXXXX\uXXXX for 😀): more than
		// 1 MiB of body for a statement the contract allows.
		emoji := strings.Repeat(`\ud83d\ude00`, models.MaxStatementRunes)
		body := `{"sections":{"emotional":"` + emoji + `","physical":"` + emoji + `","financial":"` + emoji +
			`","other":"` + emoji + `"},"restitution_request_text":"` + emoji + `"}`
		if len(body) <= 1<<20 {
			t.Fatalf("the escaped body is only %d bytes", len(body))
		}
		full := statementAt(t, c.do("POST", statements, body), http.StatusCreated)
		if section(full.Sections.Other) != strings.Repeat("😀", models.MaxStatementRunes) {
			t.Fatal("the escaped statement did not come back whole")
		}
	})
}

// TestStatementAccess checks who gets statements: a clerk gets 403 from every statement operation and never
// a word of the text; a prosecutor on the team reads statements and revisions but changes nothing; an
// advocate off the team gets 404 from everything, before any precondition; an unknown statement is 404.
func TestStatementAccess(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		anon := newClient(t, s)
		admin := anon.signedIn(models.RoleAdmin)
		advocate := anon.signedIn(models.RoleAdvocate)
		prosecutor := anon.signedIn(models.RoleProsecutor)
		clerk := anon.signedIn(models.RoleClerk)
		offTeam := anon.signedIn(models.RoleAdvocate)
		caseID, victimID := statementFixture(t, advocate)
		team := []map[string]string{{"user_id": advocate.user.ID}, {"user_id": prosecutor.user.ID}, {"user_id": clerk.user.ID}}
		if r := admin.do("PUT", "/api/v1/cases/"+caseID+"/team", map[string]any{"members": team}); r.StatusCode != http.StatusOK {
			t.Fatalf("setting the team: %d %s", r.StatusCode, r.Body)
		}
		statements := "/api/v1/victims/" + victimID + "/statements"
		id := post(t, advocate, statements, map[string]any{"sections": map[string]any{"emotional": janeEmotional}})["id"].(string)
		path := "/api/v1/statements/" + id
		type op struct{ method, path string }
		reads := []op{{"GET", statements}, {"GET", path}, {"GET", path + "/revisions"}}
		writes := []op{{"POST", statements}, {"PATCH", path}, {"POST", path + "/submit"}, {"POST", path + "/finalize"}}
		bodyOf := func(o op) any {
			switch o.method {
			case "PATCH":
				return map[string]any{"sections": map[string]any{"other": "an addition"}}
			case "POST":
				if o.path == statements {
					return map[string]any{}
				}
			}
			return nil
		}

		for _, o := range append(slices.Clone(reads), writes...) {
			res := clerk.do(o.method, o.path, bodyOf(o), "If-Match", `"1"`)
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("clerk %s %s: %d; want 403", o.method, o.path, res.StatusCode)
			}
			if bytes.Contains(res.Body, []byte("answering the phone")) {
				t.Errorf("clerk %s %s received statement text", o.method, o.path)
			}
			// Off the team, the statement does not exist, whatever the precondition says.
			for _, ifMatch := range []string{"", `"99"`} {
				var headers []string
				if ifMatch != "" {
					headers = []string{"If-Match", ifMatch}
				}
				if res := offTeam.do(o.method, o.path, bodyOf(o), headers...); res.StatusCode != http.StatusNotFound {
					t.Errorf("off-team advocate %s %s (If-Match %q): %d; want 404", o.method, o.path, ifMatch, res.StatusCode)
				}
			}
		}
		for _, o := range reads {
			res := prosecutor.do(o.method, o.path, nil)
			if res.StatusCode != http.StatusOK || !bytes.Contains(res.Body, []byte("answering the phone")) {
				t.Errorf("prosecutor %s %s: %d; want 200 with the text", o.method, o.path, res.StatusCode)
			}
		}
		for _, o := range writes {
			if res := prosecutor.do(o.method, o.path, bodyOf(o), "If-Match", `"1"`); res.StatusCode != http.StatusForbidden {
				t.Errorf("prosecutor %s %s: %d; want 403", o.method, o.path, res.StatusCode)
			}
		}
		st := statementAt(t, advocate.do("GET", path, nil), http.StatusOK)
		if st.Version != 1 {
			t.Fatalf("refused writes changed the statement to version %d", st.Version)
		}
		missing := "/api/v1/statements/00000000-0000-7000-8000-000000000000"
		for _, p := range []string{missing, missing + "/revisions"} {
			if res := advocate.do("GET", p, nil); res.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s: %d; want 404", p, res.StatusCode)
			}
		}
		if res := advocate.do("POST", "/api/v1/victims/00000000-0000-7000-8000-000000000000/statements", map[string]any{}); res.StatusCode != http.StatusNotFound {
			t.Errorf("a statement for an unknown victim: %d; want 404", res.StatusCode)
		}
	})
}

// TestStatementTextStaysOutOfLogs captures everything the router and the database log at every level while
// statements are written, refused and read, and finds none of their text there.
func TestStatementTextStaysOutOfLogs(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(lockedWriter{&mu, &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	dbtest.EachWith(t, func(cfg *models.Config) { cfg.Logger = logger }, func(t *testing.T, s *models.Store) {
		c := newClient(t, s, func(cfg *handlers.Config) { cfg.Logger = logger }).signedIn(models.RoleAdvocate)
		_, victimID := statementFixture(t, c)
		statements := "/api/v1/victims/" + victimID + "/statements"
		id := post(t, c, statements, map[string]any{"sections": map[string]any{"emotional": janeEmotional, "physical": janePhysical}})["id"].(string)
		path := "/api/v1/statements/" + id
		c.do("PATCH", path, map[string]any{"sections": map[string]any{"financial": janeFinancial}}, "If-Match", `"9"`)
		c.do("PATCH", path, map[string]any{"sections": map[string]any{"financial": janeFinancial + "\a"}}, "If-Match", `"1"`)
		c.do("PATCH", path, map[string]any{"restitution_request_text": janeRestitution, "sections": map[string]any{"other": janeRewrite}}, "If-Match", `"1"`)
		c.do("POST", path+"/finalize", nil)
		c.do("GET", path+"/revisions", nil)
		c.do("GET", statements, nil)
	})
	mu.Lock()
	defer mu.Unlock()
	if logs.Len() == 0 {
		t.Fatal("nothing was logged; the test captures the wrong logger")
	}
	for _, secret := range janeSecrets {
		if bytes.Contains(logs.Bytes(), []byte(secret)) {
			t.Errorf("the logs hold %q", secret)
		}
	}
}

// lockedWriter serialises writes from the router's and the database's goroutines into one buffer.
type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
