package handlers_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/models"
)

func TestAPITokens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		base := newClient(t, s)
		admin := base.signedIn(models.RoleAdmin)
		advocate := base.signedIn(models.RoleAdvocate)
		res := advocate.do("POST", "/api/v1/auth/tokens", map[string]any{"name": "nightly export", "scopes": []string{"write"}})
		var tok api.NewToken
		res.JSON(t, &tok)
		if res.StatusCode != http.StatusCreated || len(tok.Token) < 40 || tok.ExpiresAt.Sub(tok.CreatedAt).Hours() != 90*24 {
			t.Fatalf("create token: %d %s", res.StatusCode, res.Body)
		}
		bearer := &client{t: t, base: base.base, router: base.router, store: s}
		auth := []string{"Authorization", "Bearer " + tok.Token}

		// The token acts as the advocate: it may open a case (no CSRF token needed) and sees its team only.
		created := bearer.do("POST", "/api/v1/cases", peters, auth...)
		if created.StatusCode != http.StatusCreated {
			t.Fatalf("case by token: %d %s", created.StatusCode, created.Body)
		}
		other, _ := createCase(t, admin, map[string]any{"court_case_number": "9", "caption": "People v. Other", "court": "Denver", "jurisdiction": "us-co"})
		if r := bearer.do("GET", "/api/v1/cases/"+other.Id.String(), nil, auth...); r.StatusCode != http.StatusNotFound {
			t.Fatalf("token on a case off the advocate's team: %d", r.StatusCode)
		}
		if r := bearer.do("GET", "/api/v1/users", nil, auth...); r.StatusCode != http.StatusForbidden {
			t.Fatalf("advocate's token on an admin operation: %d", r.StatusCode)
		}
		// A token cannot manage tokens: a leaked one could otherwise mint successors or revoke the others.
		if r := bearer.do("POST", "/api/v1/auth/tokens", map[string]any{"name": "child"}, "Authorization", "bearer "+tok.Token); r.StatusCode != http.StatusForbidden {
			t.Fatalf("token creating a token: %d", r.StatusCode)
		}
		// Refusals are audited, at most one event a minute per actor: the first, the 404 on the other case,
		// is written; the two 403s after it only count towards the actor's next event.
		denied, _ := s.ListAuditEvents(dbtest.System(), models.AuditFilter{Outcome: models.OutcomeDenied, ActorID: advocate.user.ID})
		if len(denied.Items) != 1 || denied.Items[0].Action != "access.denied" || denied.Items[0].ObjectID != other.Id.String() ||
			denied.Items[0].Detail != `{"count":1,"operation":"getCase","reason":"not-found","status":404}` {
			t.Fatalf("denied events: %+v", denied.Items)
		}

		var list api.TokenList
		advocate.do("GET", "/api/v1/auth/tokens", nil).JSON(t, &list)
		if len(list.Items) != 1 || list.Items[0].LastUsedAt.IsNull() {
			t.Fatalf("token list: %+v", list)
		}
		// Another user cannot revoke it; its owner can, and then it stops working.
		if r := admin.do("DELETE", "/api/v1/auth/tokens/"+tok.Id.String(), nil); r.StatusCode != http.StatusNotFound {
			t.Fatalf("revoking someone else's token: %d", r.StatusCode)
		}
		if r := advocate.do("DELETE", "/api/v1/auth/tokens/"+tok.Id.String(), nil); r.StatusCode != http.StatusNoContent {
			t.Fatalf("revoke: %d %s", r.StatusCode, r.Body)
		}
		if r := bearer.do("GET", "/api/v1/cases", nil, auth...); r.StatusCode != http.StatusUnauthorized || r.Header.Get("WWW-Authenticate") == "" {
			t.Fatalf("revoked token: %d", r.StatusCode)
		}
		if r := bearer.do("GET", "/api/v1/cases", nil, "Authorization", "Bearer il_forged"); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("forged token: %d", r.StatusCode)
		}

		// A disabled account's tokens stop working at once.
		res = advocate.do("POST", "/api/v1/auth/tokens", map[string]any{"name": "second", "expires_in_days": 1})
		res.JSON(t, &tok)
		if r := admin.patchUser(advocate.user.ID, map[string]any{"active": false}); r.StatusCode != http.StatusOK {
			t.Fatalf("disable: %d %s", r.StatusCode, r.Body)
		}
		if r := bearer.do("GET", "/api/v1/cases", nil, "Authorization", "Bearer "+tok.Token); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("token of a disabled account: %d", r.StatusCode)
		}
		if r := advocate.do("GET", "/api/v1/auth/me", nil); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("session of a disabled account: %d", r.StatusCode)
		}
		if r := advocate.do("POST", "/api/v1/auth/tokens", map[string]any{"name": "x", "expires_in_days": 400}); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("disabled account makes a token: %d", r.StatusCode)
		}
		// Enabled again, the account's old tokens stay revoked.
		if r := admin.patchUser(advocate.user.ID, map[string]any{"active": true}); r.StatusCode != http.StatusOK {
			t.Fatalf("enable: %d", r.StatusCode)
		}
		if r := bearer.do("GET", "/api/v1/cases", nil, "Authorization", "Bearer "+tok.Token); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("token of a re-enabled account: %d", r.StatusCode)
		}
	})
}

func TestUserAdministration(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		base := newClient(t, s)
		admin := base.signedIn(models.RoleAdmin)
		clerk := base.signedIn(models.RoleClerk)

		bad := admin.do("POST", "/api/v1/users", map[string]any{"email": "x@mesa.gov", "display_name": "X", "role": "clerk", "password": "password1234"})
		if bad.StatusCode != http.StatusUnprocessableEntity || bad.Problem(t).Errors["password"] == "" {
			t.Fatalf("common password: %d %s", bad.StatusCode, bad.Body)
		}
		if r := admin.do("POST", "/api/v1/users", map[string]any{"email": clerk.user.Email, "display_name": "X", "role": "clerk", "password": staffPassword}); r.StatusCode != http.StatusConflict {
			t.Fatalf("taken email: %d", r.StatusCode)
		}
		// A role change ends the account's sessions.
		if r := admin.do("PATCH", "/api/v1/users/"+clerk.user.ID, `{"role":"advocate"}`, "Content-Type", "application/merge-patch+json",
			"If-Match", admin.userETag(clerk.user.ID)); r.StatusCode != http.StatusOK {
			t.Fatalf("role change: %d %s", r.StatusCode, r.Body)
		}
		if r := clerk.do("GET", "/api/v1/auth/me", nil); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("session after a role change: %d", r.StatusCode)
		}
		// The last active administrator stays.
		if r := admin.patchUser(admin.user.ID, map[string]any{"role": "clerk"}); r.StatusCode != http.StatusConflict {
			t.Fatalf("demoting the last admin: %d", r.StatusCode)
		}
		// Unlock.
		for range models.MaxAccountFailures {
			base.do("POST", "/api/v1/auth/login", map[string]string{"email": clerk.user.Email, "password": "wrong password!!"})
		}
		var users api.UserList
		admin.do("GET", "/api/v1/users", nil).JSON(t, &users)
		locked := false
		for _, u := range users.Items {
			locked = locked || (u.Id.String() == clerk.user.ID && u.Locked)
		}
		if !locked {
			t.Fatal("the account is not shown as locked")
		}
		var unlocked api.User
		if r := admin.do("POST", "/api/v1/users/"+clerk.user.ID+"/unlock", nil); r.StatusCode != http.StatusOK {
			t.Fatalf("unlock: %d", r.StatusCode)
		} else if r.JSON(t, &unlocked); unlocked.Locked {
			t.Fatal("still locked after unlock")
		}
	})
}

func TestAuditEventsOverHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		base := newClient(t, s)
		admin := base.signedIn(models.RoleAdmin)
		supervisor := base.signedIn(models.RoleSupervisor)
		c, _ := createCase(t, admin, peters)
		for i := range 3 {
			etag := admin.do("GET", "/api/v1/cases/"+c.Id.String(), nil).Header.Get("ETag")
			admin.do("PATCH", "/api/v1/cases/"+c.Id.String(), map[string]any{"notes": string(rune('a' + i))}, "If-Match", etag)
		}
		base.do("POST", "/api/v1/auth/login", map[string]string{"email": "nobody@mesa.gov", "password": "wrong password!!"})

		list := func(query string) api.AuditEventList {
			var out api.AuditEventList
			res := supervisor.do("GET", "/api/v1/audit-events?"+query, nil)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("?%s: %d %s", query, res.StatusCode, res.Body)
			}
			res.JSON(t, &out)
			return out
		}
		if got := list("case_id=" + c.Id.String()); len(got.Items) != 4 || got.Items[0].Action != "case.update" {
			t.Fatalf("by case: %+v", got.Items)
		}
		if got := list("action=auth.sign_in&outcome=failure"); len(got.Items) != 1 || got.Items[0].ActorType != "anonymous" {
			t.Fatalf("failed sign-ins: %+v", got.Items)
		}
		if got := list("actor_id=" + admin.user.ID + "&action=case.update"); len(got.Items) != 3 {
			t.Fatalf("by actor: %d", len(got.Items))
		}
		// Paging walks the trail newest first without gaps.
		var seqs []int64
		query := "limit=2"
		for range 20 {
			page := list(query)
			for _, e := range page.Items {
				seqs = append(seqs, e.Seq)
			}
			if page.NextCursor.IsNull() {
				break
			}
			query = "limit=2&cursor=" + url.QueryEscape(page.NextCursor.MustGet())
		}
		for i := 1; i < len(seqs); i++ {
			if seqs[i] != seqs[i-1]-1 {
				t.Fatalf("paging skipped or repeated: %v", seqs)
			}
		}
		if seqs[len(seqs)-1] != 1 {
			t.Fatalf("paging did not reach the first event: %v", seqs)
		}
		future := url.QueryEscape("2100-01-01T00:00:00Z")
		if got := list("from=" + future); len(got.Items) != 0 {
			t.Fatalf("events in the future: %d", len(got.Items))
		}
		if r := base.signedIn(models.RoleAdvocate).do("GET", "/api/v1/audit-events", nil); r.StatusCode != http.StatusForbidden {
			t.Fatalf("advocate reads the audit trail: %d", r.StatusCode)
		}
	})
}

// TestConcurrentAdministration checks the changes that must queue: two administrators demoting each other
// at once leave one administrator, and concurrent team edits never fail.
func TestConcurrentAdministration(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		base := newClient(t, s)
		a, b := base.signedIn(models.RoleAdmin), base.signedIn(models.RoleAdmin)
		results := make(chan int, 2)
		// Each reads the other's ETag first: once one demotion lands, the other administrator is signed out.
		aTag, bTag := b.userETag(a.user.ID), a.userETag(b.user.ID)
		go func() {
			results <- a.do("PATCH", "/api/v1/users/"+b.user.ID, map[string]any{"role": "clerk"}, "If-Match", bTag).StatusCode
		}()
		go func() {
			results <- b.do("PATCH", "/api/v1/users/"+a.user.ID, map[string]any{"role": "clerk"}, "If-Match", aTag).StatusCode
		}()
		first, second := <-results, <-results
		admins := 0
		all, _ := s.ListUsers(dbtest.System())
		for _, u := range all {
			if u.Role == models.RoleAdmin && u.Active {
				admins++
			}
		}
		if admins < 1 {
			t.Fatalf("concurrent demotions (%d, %d) left no administrator", first, second)
		}

		c, _ := createCase(t, base.signedIn(models.RoleAdmin), peters)
		editor, advocate := base.signedIn(models.RoleAdmin), base.signedIn(models.RoleAdvocate)
		statuses := make(chan int, 20)
		for range 20 {
			go func() {
				statuses <- editor.do("PUT", "/api/v1/cases/"+c.Id.String()+"/team", map[string]any{"members": []map[string]string{
					{"user_id": editor.user.ID}, {"user_id": advocate.user.ID}}}).StatusCode
			}()
		}
		for range 20 {
			if st := <-statuses; st != http.StatusOK {
				t.Errorf("concurrent team edit: %d", st)
			}
		}
	})
}

// TestWhoChangesACaseTeam: administrators, supervisors and the team's own advocates change a team; a
// prosecutor or clerk may not, an advocate off the team does not see the case; and no change may leave the
// case without an active advocate or prosecutor to work it (409, nothing changed).
func TestWhoChangesACaseTeam(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		base := newClient(t, s)
		admin := base.signedIn(models.RoleAdmin)
		supervisor, clerk := base.signedIn(models.RoleSupervisor), base.signedIn(models.RoleClerk)
		advocate, outsider := base.signedIn(models.RoleAdvocate), base.signedIn(models.RoleAdvocate)
		prosecutor := base.signedIn(models.RoleProsecutor)
		c, _ := createCase(t, advocate, peters)
		path := "/api/v1/cases/" + c.Id.String() + "/team"
		members := func(callers ...*client) map[string]any {
			list := []map[string]string{}
			for _, cl := range callers {
				list = append(list, map[string]string{"user_id": cl.user.ID})
			}
			return map[string]any{"members": list}
		}
		teamOf := func() []string {
			var team api.CaseTeam
			admin.do("GET", path, nil).JSON(t, &team)
			var ids []string
			for _, m := range team.Members {
				ids = append(ids, m.UserId.String())
			}
			slices.Sort(ids)
			return ids
		}
		if r := advocate.do("PUT", path, members(advocate, prosecutor)); r.StatusCode != http.StatusOK {
			t.Fatalf("the team's advocate adds a prosecutor: %d %s", r.StatusCode, r.Body)
		}
		for name, caller := range map[string]*client{"prosecutor on the team": prosecutor, "clerk": clerk} {
			if r := caller.do("PUT", path, members(prosecutor)); r.StatusCode != http.StatusForbidden {
				t.Errorf("%s changes the team: %d %s", name, r.StatusCode, r.Body)
			}
		}
		if r := outsider.do("PUT", path, members(outsider)); r.StatusCode != http.StatusNotFound {
			t.Errorf("an advocate off the team changes it: %d %s", r.StatusCode, r.Body)
		}
		// Those who change a team choose among the office's active staff; others may not list them.
		var candidates api.CaseTeam
		if r := advocate.do("GET", path+"/candidates", nil); r.StatusCode != http.StatusOK {
			t.Errorf("the team's advocate lists candidates: %d %s", r.StatusCode, r.Body)
		} else if r.JSON(t, &candidates); len(candidates.Members) != 6 {
			t.Errorf("%d candidates; want the 6 active staff accounts", len(candidates.Members))
		}
		for name, caller := range map[string]*client{"prosecutor": prosecutor, "clerk": clerk} {
			if r := caller.do("GET", path+"/candidates", nil); r.StatusCode != http.StatusForbidden {
				t.Errorf("the %s lists candidates: %d", name, r.StatusCode)
			}
		}
		if r := outsider.do("GET", path+"/candidates", nil); r.StatusCode != http.StatusNotFound {
			t.Errorf("an advocate off the team lists its candidates: %d", r.StatusCode)
		}
		before := teamOf()
		for name, body := range map[string]map[string]any{
			"no one":                         members(),
			"administrators and clerks only": members(admin, supervisor, clerk),
		} {
			r := supervisor.do("PUT", path, body)
			if p := r.Problem(t); r.StatusCode != http.StatusConflict || !strings.Contains(p.Detail, "advocate or prosecutor") {
				t.Errorf("a team of %s: %d %s", name, r.StatusCode, r.Body)
			}
		}
		if after := teamOf(); !slices.Equal(after, before) {
			t.Errorf("a refused change changed the team from %v to %v", before, after)
		}
		// An advocate may leave a case another can work, and then no longer sees it.
		if r := advocate.do("PUT", path, members(prosecutor)); r.StatusCode != http.StatusOK {
			t.Fatalf("the advocate leaves the prosecutor in charge: %d %s", r.StatusCode, r.Body)
		}
		if r := advocate.do("GET", "/api/v1/cases/"+c.Id.String(), nil); r.StatusCode != http.StatusNotFound {
			t.Errorf("the advocate who left still reads the case: %d", r.StatusCode)
		}
		if r := supervisor.do("PUT", path, members(supervisor, outsider)); r.StatusCode != http.StatusOK {
			t.Errorf("a supervisor sets the team: %d %s", r.StatusCode, r.Body)
		}
	})
}
