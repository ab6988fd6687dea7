package handlers_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/handlers"
	"github.com/impactledger/impactledger/models"
)

// slowRequest is a request whose body the test writes a piece at a time.
type slowRequest struct {
	c    *client
	pw   *io.PipeWriter
	done chan response
}

// waitForReads sends a body only once the server asks for it (Expect: 100-continue), which Go's server does
// when the handler first reads the body: by then the request has passed every check before its handler.
var waitForReads = &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{ExpectContinueTimeout: time.Minute}}

// startSlow sends method path with the first piece of its body, and returns once the handler has read it.
func (c *client) startSlow(method, path, contentType, first string, headers ...string) *slowRequest {
	c.t.Helper()
	pr, pw := io.Pipe()
	req, err := http.NewRequest(method, c.base+path, pr)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Expect", "100-continue")
	req.Header.Set("Cookie", c.cookie)
	req.Header.Set("X-CSRF-Token", c.csrf)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	sr := &slowRequest{c: c, pw: pw, done: make(chan response, 1)}
	go func() {
		res, err := waitForReads.Do(req)
		if err != nil {
			pr.CloseWithError(err)
			sr.done <- response{Response: &http.Response{StatusCode: 0}, Body: []byte(err.Error())}
			return
		}
		defer res.Body.Close()
		data, _ := io.ReadAll(res.Body)
		pr.Close()
		sr.done <- response{Response: res, Body: data}
	}()
	if _, err := io.WriteString(pw, first); err != nil {
		c.t.Fatalf("%s %s: the server did not read the body: %v", method, path, err)
	}
	return sr
}

// finish sends the rest of the body and answers the response, checked against the contract.
func (sr *slowRequest) finish(rest string) response {
	sr.c.t.Helper()
	_, _ = io.WriteString(sr.pw, rest)
	sr.pw.Close()
	res := <-sr.done
	if res.Request != nil {
		sr.c.checkContract(res.Request, res.Response, res.Body)
	}
	return res
}

// trickle sends the rest of the body a byte at a time, one every interval, until the server answers, and
// answers that response; the test fails unless one comes within limit.
func (sr *slowRequest) trickle(b byte, every, limit time.Duration) response {
	sr.c.t.Helper()
	timeout := time.NewTimer(limit)
	defer timeout.Stop()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case res := <-sr.done:
			sr.pw.Close()
			if res.Request != nil {
				sr.c.checkContract(res.Request, res.Response, res.Body)
			}
			return res
		case <-tick.C:
			// Fails once the client has its answer and stops sending.
			_, _ = sr.pw.Write([]byte{b})
		case <-timeout.C:
			sr.pw.CloseWithError(errors.New("the test gave up"))
			sr.c.t.Fatalf("no answer within %s to a body sent a byte every %s", limit, every)
		}
	}
}

// holdBodies lets a test hold heavy requests open with their bodies still to come, for as long as it needs.
func holdBodies(cfg *handlers.Config) { cfg.HeavyBodyWindow = time.Minute }

// tooMany checks that res refuses a heavy request, with Retry-After and a problem of type slug.
func tooMany(t *testing.T, res response, slug string) {
	t.Helper()
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("answered %d %s; want 429", res.StatusCode, res.Body)
	}
	if p := res.Problem(t); p.Type != "https://impactledger.org/problems/"+slug || res.Header.Get("Retry-After") == "" {
		t.Errorf("problem %+v with Retry-After %q; want type %s and a Retry-After", p, res.Header.Get("Retry-After"), slug)
	}
}

// TestHeavyRequestsAreBoundedPerAccount holds two heavy requests of one account open, with bodies still
// arriving, and checks that the account's third is refused with 429 and Retry-After, for orders and for
// victim-list uploads alike, while another account still gets through; once one of the two ends, the
// account may send again.
func TestHeavyRequestsAreBoundedPerAccount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		admin := newAdminClient(t, s, holdBodies)
		clerk, other := admin.signedIn(models.RoleClerk), admin.signedIn(models.RoleAdmin)
		lc := newLedgerCase(t, admin, "us-co", map[string]string{"Ann": "individual", "Bo": "individual"})
		orders := "/api/v1/cases/" + lc.caseID + "/restitution-orders"
		imports := "/api/v1/cases/" + lc.caseID + "/victim-imports"
		order := func(victim string) (string, string) {
			return `{"ordered_on": "2025-01-01", "defendant_ids": ["` + lc.defendant + `"], "lines": [`,
				`{"victim_id": "` + lc.victims[victim] + `", "amount_cents": 100}]}`
		}
		ann, annRest := order("Ann")

		t.Run("orders", func(t *testing.T) {
			first := clerk.as(t).startSlow("POST", orders, "application/json", ann)
			second := clerk.as(t).startSlow("POST", orders, "application/json", ann)
			tooMany(t, clerk.as(t).do("POST", orders, ann+annRest), "too-many-heavy-requests")
			if res := other.as(t).do("POST", orders, ann+annRest); res.StatusCode != http.StatusCreated {
				t.Errorf("another account's order: %d %s", res.StatusCode, res.Body)
			}
			for _, r := range []*slowRequest{first, second} {
				if res := r.finish(annRest); res.StatusCode != http.StatusCreated {
					t.Errorf("a slow order: %d %s", res.StatusCode, res.Body)
				}
			}
			if res := clerk.as(t).do("POST", orders, ann+annRest); res.StatusCode != http.StatusCreated {
				t.Errorf("an order once the others ended: %d %s", res.StatusCode, res.Body)
			}
		})
		t.Run("imports and orders share the bound", func(t *testing.T) {
			first := admin.as(t).startSlow("POST", imports, "text/csv", "kind,name\n")
			second := admin.as(t).startSlow("POST", orders, "application/json", ann)
			tooMany(t, admin.as(t).do("POST", imports, csvBody("kind,name\nindividual,Cy\n")), "too-many-heavy-requests")
			tooMany(t, admin.as(t).do("POST", orders, ann+annRest), "too-many-heavy-requests")
			if res := first.finish("individual,Dee\n"); res.StatusCode != http.StatusAccepted {
				t.Errorf("a slow import: %d %s", res.StatusCode, res.Body)
			}
			if res := second.finish(annRest); res.StatusCode != http.StatusCreated {
				t.Errorf("a slow order: %d %s", res.StatusCode, res.Body)
			}
		})
	})
}

// TestHeavyRequestsAreBoundedPerInstance checks the bound over every account: with room for two, two
// accounts' slow requests leave none for a third account.
func TestHeavyRequestsAreBoundedPerInstance(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		admin := newAdminClient(t, s, holdBodies, func(cfg *handlers.Config) { cfg.HeavyTotal = 2 })
		lc := newLedgerCase(t, admin, "us-co", map[string]string{"Ann": "individual"})
		orders := "/api/v1/cases/" + lc.caseID + "/restitution-orders"
		head := `{"ordered_on": "2025-01-01", "defendant_ids": ["` + lc.defendant + `"], "lines": [`
		rest := `{"victim_id": "` + lc.victims["Ann"] + `", "amount_cents": 100}]}`
		var slow []*slowRequest
		for range 2 {
			slow = append(slow, admin.signedIn(models.RoleClerk).startSlow("POST", orders, "application/json", head))
		}
		third := admin.signedIn(models.RoleClerk)
		tooMany(t, third.do("POST", orders, head+rest), "busy")
		// Light requests are never counted.
		if res := third.do("GET", orders, nil); res.StatusCode != http.StatusOK {
			t.Errorf("listing orders: %d %s", res.StatusCode, res.Body)
		}
		for i, r := range slow {
			if res := r.finish(rest); res.StatusCode != http.StatusCreated {
				t.Errorf("slow order %d: %d %s", i, res.StatusCode, res.Body)
			}
		}
		if res := third.do("POST", orders, head+rest); res.StatusCode != http.StatusCreated {
			t.Errorf("once the others ended: %d %s", res.StatusCode, res.Body)
		}
	})
}

// TestAHeavyBodyTooSlowGivesUpItsPlace has two accounts hold the instance's two places with an order and a
// victim list whose bodies come a byte every 50 ms, far below the pace (1 KiB a second, for a short test),
// as an attacker's would: a third account is refused while they hold them, each slow body is answered 408
// within seconds, and the third account's order then goes through.
func TestAHeavyBodyTooSlowGivesUpItsPlace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		admin := newAdminClient(t, s, func(cfg *handlers.Config) {
			cfg.HeavyTotal, cfg.HeavyBodyMinBytes, cfg.HeavyBodyWindow = 2, 1<<10, time.Second
		})
		lc := newLedgerCase(t, admin, "us-co", map[string]string{"Ann": "individual"})
		orders := "/api/v1/cases/" + lc.caseID + "/restitution-orders"
		head := `{"ordered_on": "2025-01-01", "defendant_ids": ["` + lc.defendant + `"], "lines": [`
		rest := `{"victim_id": "` + lc.victims["Ann"] + `", "amount_cents": 100}]}`
		slow := map[string]*slowRequest{
			"order":       admin.signedIn(models.RoleClerk).startSlow("POST", orders, "application/json", head),
			"victim list": admin.signedIn(models.RoleAdmin).startSlow("POST", "/api/v1/cases/"+lc.caseID+"/victim-imports", "text/csv", "kind,name\nindividual,A"),
		}
		third := admin.signedIn(models.RoleClerk)
		tooMany(t, third.do("POST", orders, head+rest), "busy")
		for name, r := range slow {
			res := r.trickle(' ', 50*time.Millisecond, 15*time.Second)
			if res.StatusCode != http.StatusRequestTimeout {
				t.Fatalf("the slow %s: answered %d %s; want 408", name, res.StatusCode, res.Body)
			}
			if p := res.Problem(t); p.Type != "https://impactledger.org/problems/body-too-slow" {
				t.Errorf("the slow %s: problem %+v; want type body-too-slow", name, p)
			}
		}
		if res := third.do("POST", orders, head+rest); res.StatusCode != http.StatusCreated {
			t.Errorf("once the slow bodies were refused: %d %s", res.StatusCode, res.Body)
		}
	})
}

// TestTwentyUploadsAtOnceLeaveFiveUnfinished lets one person send twenty victim lists at once (the bound on
// heavy requests raised out of the way), every one of them past the checks made before its file is read:
// five are accepted and left unfinished, and the others are refused with 409.
func TestTwentyUploadsAtOnceLeaveFiveUnfinished(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		admin := newAdminClient(t, s, holdBodies, func(cfg *handlers.Config) { cfg.HeavyPerAccount, cfg.HeavyTotal = 20, 20 })
		kase, _ := createCase(t, admin, peters)
		path := "/api/v1/cases/" + kase.Id.String() + "/victim-imports"
		var uploads []*slowRequest
		for range 20 {
			uploads = append(uploads, admin.startSlow("POST", path, "text/csv", "kind,name\n"))
		}
		statuses := map[int]int{}
		for i, u := range uploads {
			res := u.finish(fmt.Sprintf("individual,Person %d\n", i))
			statuses[res.StatusCode]++
		}
		var imports api.VictimImportList
		admin.do("GET", path, nil).JSON(t, &imports)
		unfinished := 0
		for _, imp := range imports.Items {
			if imp.FinishedAt.IsNull() {
				unfinished++
			}
		}
		if statuses[http.StatusAccepted] != models.MaxUnfinishedImports || statuses[http.StatusConflict] != 20-models.MaxUnfinishedImports ||
			unfinished != models.MaxUnfinishedImports {
			t.Errorf("twenty uploads at once answered %v and left %d unfinished; want %d accepted and unfinished, the rest 409",
				statuses, unfinished, models.MaxUnfinishedImports)
		}
	})
}
