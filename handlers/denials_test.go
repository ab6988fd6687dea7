package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/handlers"
	"github.com/impactledger/impactledger/models"
)

// deniedEvents lists an actor's access.denied events, oldest first.
func deniedEvents(t *testing.T, s *models.Store, actorID string) []models.AuditEvent {
	t.Helper()
	page, err := s.ListAuditEvents(dbtest.System(), models.AuditFilter{ActorID: actorID, Action: models.AccessDeniedAction})
	if err != nil {
		t.Fatal(err)
	}
	events := page.Items
	for i, j := 0, len(events)-1; i < j; i, j = i+1, j-1 {
		events[i], events[j] = events[j], events[i]
	}
	return events
}

func detailOf(t *testing.T, e models.AuditEvent) map[string]any {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal([]byte(e.Detail), &d); err != nil {
		t.Fatalf("detail %q: %v", e.Detail, err)
	}
	return d
}

// TestProbesLeaveATrace is a scanner: a signed-in advocate asks, within one minute and through two
// instances of the service sharing the database, for 200 cases and victims of another team and for
// operations their role may not call, some without the CSRF token. Every request is refused as before,
// and the trail keeps one access.denied event for the minute; when the clock has moved on a minute, the
// next refusal writes a second event whose count stands for it and the 199 refusals that wrote none.
func TestProbesLeaveATrace(t *testing.T) {
	var clock atomic.Pointer[time.Time]
	now := time.Now()
	clock.Store(&now)
	var cfg models.Config
	edit := func(c *models.Config) {
		c.Now = func() time.Time { return *clock.Load() }
		cfg = *c
	}
	dbtest.EachWith(t, edit, func(t *testing.T, s *models.Store) {
		now := time.Now()
		clock.Store(&now)
		var logs bytes.Buffer
		var mu sync.Mutex
		logger := slog.New(slog.NewJSONHandler(lockedWriter{&mu, &logs}, nil))
		admin := newClient(t, s, func(c *handlers.Config) { c.Logger = logger }).signedIn(models.RoleAdmin)
		// A second instance of the service over the same database.
		other, err := models.Open(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { other.Close() })
		second := newClient(t, other)

		var caseIDs, victimIDs []string
		for i := range 3 {
			c, _ := createCase(t, admin, map[string]any{"court_case_number": fmt.Sprint("22CR", i), "caption": "People v. Ring",
				"court": "Mesa County District Court", "jurisdiction": "us-co"})
			caseIDs = append(caseIDs, c.Id.String())
			v := post(t, admin, "/api/v1/cases/"+c.Id.String()+"/victims", map[string]any{"kind": "individual", "name": fmt.Sprint("Resident ", i)})
			victimIDs = append(victimIDs, v["id"].(string))
		}
		scanner := admin.signedIn(models.RoleAdvocate)
		onSecond := *scanner
		onSecond.base = second.base

		paths := []string{"/api/v1/users", "/api/v1/audit-events"}
		for _, id := range caseIDs {
			paths = append(paths, "/api/v1/cases/"+id, "/api/v1/cases/"+id+"/victims", "/api/v1/cases/"+id+"/losses/summary")
		}
		for _, id := range victimIDs {
			paths = append(paths, "/api/v1/victims/"+id, "/api/v1/victims/"+id+"/statements")
		}
		refused := 0
		for i := 0; refused < 200; i++ {
			c := scanner
			if i%2 == 1 {
				c = &onSecond
			}
			var res response
			switch {
			case i%10 == 9:
				// No CSRF token: refused before anything else is looked at.
				res = c.do("PATCH", "/api/v1/cases/"+caseIDs[0], map[string]any{"caption": "x"}, "X-CSRF-Token", "", "If-Match", `"1"`)
			case i < len(paths):
				res = c.do("GET", paths[i], nil)
			default:
				res = c.do("GET", "/api/v1/victims/"+uuid.NewString(), nil)
			}
			if res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusForbidden {
				t.Fatalf("probe %d: %d %s", i, res.StatusCode, res.Body)
			}
			refused++
		}
		events := deniedEvents(t, s, scanner.user.ID)
		if len(events) != 1 {
			t.Fatalf("%d access.denied events for 200 refusals within a minute; want 1: %+v", len(events), events)
		}
		first := events[0]
		if d := detailOf(t, first); first.Outcome != models.OutcomeDenied || first.ObjectType != "" || d["count"] != 1.0 ||
			d["status"] != 403.0 || d["reason"] != "forbidden" || d["operation"] != "listUsers" {
			t.Fatalf("first event %+v", first)
		}

		// A minute on, the next refusal is written, counting the 199 before it that wrote none.
		later := now.Add(models.DenialWindow + time.Second)
		clock.Store(&later)
		probe := uuid.NewString()
		if res := onSecond.do("GET", "/api/v1/cases/"+probe, nil); res.StatusCode != http.StatusNotFound {
			t.Fatalf("probe: %d", res.StatusCode)
		}
		events = deniedEvents(t, s, scanner.user.ID)
		if len(events) != 2 {
			t.Fatalf("%d access.denied events after a minute; want 2", len(events))
		}
		next := events[1]
		if d := detailOf(t, next); d["count"] != 200.0 || d["status"] != 404.0 || d["reason"] != "not-found" || d["operation"] != "getCase" ||
			next.ObjectType != "case" || next.ObjectID != probe || next.CaseID == nil || *next.CaseID != probe {
			t.Fatalf("second event %+v", next)
		}

		// Another actor's refusals are limited on their own, and an administrator reads the count in the API.
		prosecutor := admin.signedIn(models.RoleProsecutor)
		if res := prosecutor.do("GET", "/api/v1/victims/"+victimIDs[0], nil); res.StatusCode != http.StatusNotFound {
			t.Fatalf("prosecutor off the team: %d", res.StatusCode)
		}
		if got := deniedEvents(t, s, prosecutor.user.ID); len(got) != 1 || got[0].ObjectType != "victim" || got[0].ObjectID != victimIDs[0] {
			t.Fatalf("prosecutor's events %+v", got)
		}
		var list api.AuditEventList
		admin.do("GET", "/api/v1/audit-events?action=access.denied&actor_id="+scanner.user.ID, nil).JSON(t, &list)
		if len(list.Items) != 2 || list.Items[0].Detail["count"] != 200.0 || list.Items[0].KeyId != models.AuditDataKeyID {
			t.Fatalf("audit events over HTTP: %+v", list.Items)
		}
		if _, err := s.VerifyAudit(dbtest.System(), nil); err != nil {
			t.Fatal(err)
		}

		// The access log names the account behind each request by ID, and nothing of the person.
		mu.Lock()
		defer mu.Unlock()
		var sawAdmin, sawAnonymous bool
		for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			var entry map[string]any
			if json.Unmarshal([]byte(line), &entry) != nil || entry["msg"] != "request" {
				continue
			}
			id, ok := entry["actor_id"].(string)
			if !ok {
				t.Fatalf("access log line without actor_id: %s", line)
			}
			switch {
			case id == admin.user.ID && entry["route"] == "/api/v1/cases":
				sawAdmin = true
			case id == "" && entry["route"] == "/api/v1/auth/login":
				sawAnonymous = true
			}
		}
		if !sawAdmin || !sawAnonymous || strings.Contains(logs.String(), admin.user.Email) || strings.Contains(logs.String(), "Staff admin") {
			t.Fatalf("access log (admin %v, anonymous sign-in %v):\n%s", sawAdmin, sawAnonymous, logs.String())
		}
	})
}

// TestRequiredMFARefusalsAreLimited checks that an account refused everything until it sets up two-factor
// sign-in leaves one access.denied event a minute, not one per request.
func TestRequiredMFARefusalsAreLimited(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newClient(t, s, func(cfg *handlers.Config) { cfg.RequireMFA = true }).signedIn(models.RoleAdvocate)
		for range 20 {
			wantProblem(t, c.do("GET", "/api/v1/cases", nil), http.StatusForbidden, "mfa-enrollment-required")
		}
		events := deniedEvents(t, s, c.user.ID)
		if len(events) != 1 || detailOf(t, events[0])["reason"] != "mfa-enrollment-required" {
			t.Fatalf("events %+v", events)
		}
	})
}

// auditUnavailableLog is the log line of a change refused because the audit trail cannot be extended.
func auditUnavailableLog(t *testing.T, logs string) map[string]any {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var entry map[string]any
		if json.Unmarshal([]byte(line), &entry) == nil && entry["msg"] == "the audit trail cannot be extended" {
			return entry
		}
	}
	t.Fatalf("no log line for the refused change:\n%s", logs)
	return nil
}

// TestTamperedChainPausesChanges winds the audit chain's head back, as someone hiding the newest events
// would, and then removes the audit data key: changes, which must each be audited, are answered 503 with a
// problem, never a 500, until an administrator has looked. The log says why by cause and key id, never with
// an error's text, which may carry a driver's.
func TestTamperedChainPausesChanges(t *testing.T) {
	var cfg models.Config
	dbtest.EachWith(t, func(c *models.Config) { cfg = *c }, func(t *testing.T, s *models.Store) {
		// The error funnel logs through the default logger, as the service's main sets it.
		var logs bytes.Buffer
		var mu sync.Mutex
		previous := slog.Default()
		slog.SetDefault(slog.New(slog.NewJSONHandler(lockedWriter{&mu, &logs}, nil)))
		t.Cleanup(func() { slog.SetDefault(previous) })
		admin := newAdminClient(t, s)
		createCase(t, admin, peters)
		db, err := s.SQLDB()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("UPDATE audit_chain SET seq = seq - 1 WHERE id = 1"); err != nil {
			t.Fatal(err)
		}
		newCase := map[string]any{"court_case_number": "23CR1", "caption": "People v. Other",
			"court": "Mesa County District Court", "jurisdiction": "us-co"}
		res := admin.do("POST", "/api/v1/cases", newCase)
		wantProblem(t, res, http.StatusServiceUnavailable, "audit-unavailable")
		if res.Header.Get("Retry-After") == "" {
			t.Fatal("no Retry-After")
		}
		mu.Lock()
		entry := auditUnavailableLog(t, logs.String())
		mu.Unlock()
		if _, ok := entry["error"]; ok || entry["cause"] != "head-tampered" {
			t.Fatalf("log line %v; want the cause and no error text", entry)
		}

		// Another instance, started after the audit data key was removed, cannot extend the chain either.
		if _, err := db.Exec("UPDATE audit_chain SET seq = seq + 1 WHERE id = 1"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(dbtest.Rebind(s.Dialect(), "DELETE FROM data_keys WHERE scope = ?"), models.AuditChainScope); err != nil {
			t.Fatal(err)
		}
		fresh, err := models.Open(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { fresh.Close() })
		onFresh := *admin
		onFresh.base = newClient(t, fresh).base
		mu.Lock()
		logs.Reset()
		mu.Unlock()
		wantProblem(t, onFresh.do("POST", "/api/v1/cases", newCase), http.StatusServiceUnavailable, "audit-unavailable")
		mu.Lock()
		entry = auditUnavailableLog(t, logs.String())
		mu.Unlock()
		if _, ok := entry["error"]; ok || entry["cause"] != "audit-key-missing" || entry["audit_key_id"] != models.AuditDataKeyID {
			t.Fatalf("log line %v; want the cause and key id and no error text", entry)
		}
	})
}

// TestProbesNameWhatTheyWentAfter is the prober of the security review: one harmless refusal (GET
// /api/v1/users, 403) writes the minute's event, and 30 probes of victim and case IDs after it must not
// vanish into a bare count. The next event lists the first 20 distinct objects probed (operation, type, ID,
// and case ID where the path gave one), a repeated probe once, and says how many more distinct objects
// there were.
func TestProbesNameWhatTheyWentAfter(t *testing.T) {
	var clock atomic.Pointer[time.Time]
	dbtest.EachWith(t, func(c *models.Config) { c.Now = func() time.Time { return *clock.Load() } }, func(t *testing.T, s *models.Store) {
		now := time.Now()
		clock.Store(&now)
		prober := newClient(t, s).signedIn(models.RoleAdvocate)
		wantProblem(t, prober.do("GET", "/api/v1/users", nil), http.StatusForbidden, "forbidden")
		type probe struct{ path, operation, objectType, id string }
		var probes []probe
		for i := range 25 {
			id := uuid.NewString()
			if i%2 == 0 {
				probes = append(probes, probe{"/api/v1/victims/" + id, "getVictim", "victim", id})
			} else {
				probes = append(probes, probe{"/api/v1/cases/" + id, "getCase", "case", id})
			}
		}
		// Five of the first objects probed again: 30 refusals of 25 distinct objects.
		probes = append(probes, probes[:5]...)
		for _, p := range probes {
			wantProblem(t, prober.do("GET", p.path, nil), http.StatusNotFound, "not-found")
		}
		if events := deniedEvents(t, s, prober.user.ID); len(events) != 1 {
			t.Fatalf("%d access.denied events within the minute; want 1", len(events))
		}
		later := now.Add(models.DenialWindow)
		clock.Store(&later)
		if _, err := s.FlushDenials(dbtest.System()); err != nil {
			t.Fatal(err)
		}
		events := deniedEvents(t, s, prober.user.ID)
		if len(events) != 2 {
			t.Fatalf("%d access.denied events after the flush; want 2", len(events))
		}
		d := detailOf(t, events[1])
		listed, _ := d["objects"].([]any)
		if d["count"] != 30.0 || d["reason"] != "summary" || len(listed) != models.MaxListedDenials || d["objects_beyond"] != 5.0 {
			t.Fatalf("summary detail %s; want 30 refusals, 20 objects listed and 5 more", events[1].Detail)
		}
		for i, o := range listed {
			p, object := probes[i], o.(map[string]any)
			want := map[string]any{"operation": p.operation, "object_type": p.objectType, "object_id": p.id}
			if p.objectType == "case" {
				want["case_id"] = p.id
			}
			if fmt.Sprint(object) != fmt.Sprint(want) {
				t.Errorf("object %d is %v; want %v", i, object, want)
			}
		}
		if _, err := s.VerifyAudit(dbtest.System(), nil); err != nil {
			t.Fatal(err)
		}
	})
}

// TestThrottledAttemptsCannotFloodTheTrail is anyone on the internet: 300 password resets with made-up
// codes and then 100 sign-ins, from one address. The first MaxAddressFailures are audited one by one as the
// failures they are; once the address is throttled, its refusals leave one access.denied event a minute,
// counted for the address, and the next event counts the rest and names the operations refused.
func TestThrottledAttemptsCannotFloodTheTrail(t *testing.T) {
	var clock atomic.Pointer[time.Time]
	dbtest.EachWith(t, func(c *models.Config) { c.Now = func() time.Time { return *clock.Load() } }, func(t *testing.T, s *models.Store) {
		now := time.Now()
		clock.Store(&now)
		anonymous := newClient(t, s)
		trailLength := func() int64 {
			sum, err := s.VerifyAudit(dbtest.System(), nil)
			if err != nil {
				t.Fatal(err)
			}
			return sum.Events
		}
		before := trailLength()
		for i := range 300 {
			res := anonymous.do("POST", "/api/v1/auth/password-reset", map[string]string{"email": fmt.Sprintf("guess%d@mesa.gov", i),
				"code": "AAAAA-BBBBB-CCCCC-DDDDD", "new_password": "my fresh passphrase"})
			if want := http.StatusUnauthorized; i >= models.MaxAddressFailures {
				wantProblem(t, res, http.StatusTooManyRequests, "throttled")
			} else if res.StatusCode != want {
				t.Fatalf("reset %d: %d %s", i, res.StatusCode, res.Body)
			}
		}
		for range 100 {
			res, _ := anonymous.login(map[string]string{"email": "dana@mesa.gov", "password": "not the password"})
			wantProblem(t, res, http.StatusTooManyRequests, "throttled")
		}
		if added := trailLength() - before; added != models.MaxAddressFailures+1 {
			t.Fatalf("400 refused attempts from one address added %d audit events; want %d failures and one event for the throttle",
				added, models.MaxAddressFailures)
		}
		events := deniedEvents(t, s, "127.0.0.1")
		if len(events) != 1 || events[0].ActorType != models.ActorAnonymous || events[0].ClientIP != "127.0.0.1" {
			t.Fatalf("the address's access.denied events: %+v", events)
		}
		if d := detailOf(t, events[0]); d["count"] != 1.0 || d["reason"] != "throttled" || d["operation"] != "resetPasswordWithCode" {
			t.Fatalf("the first throttled refusal: %s", events[0].Detail)
		}
		later := now.Add(models.DenialWindow)
		clock.Store(&later)
		if _, err := s.FlushDenials(dbtest.System()); err != nil {
			t.Fatal(err)
		}
		events = deniedEvents(t, s, "127.0.0.1")
		if len(events) != 2 || events[1].Detail != `{"count":349,"objects":[{"operation":"resetPasswordWithCode","object_type":"user"},`+
			`{"operation":"login","object_type":"user"}],"reason":"summary"}` {
			t.Fatalf("a minute on: %+v", events)
		}
	})
}
