package handlers_test

import (
	"context"
	"net/http"
	"net/url"
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
		// Refusals are audited.
		denied, _ := s.ListAuditEvents(context.Background(), models.AuditFilter{Outcome: models.OutcomeDenied, ActorID: advocate.user.ID})
		if len(denied.Items) == 0 || denied.Items[0].Action != "api.ListUsers" {
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
		all, _ := s.ListUsers(context.Background())
		for _, u := range all {
			if u.Role == models.RoleAdmin && u.Active {
				admins++
			}
		}
		if admins < 1 {
			t.Fatalf("concurrent demotions (%d, %d) left no administrator", first, second)
		}

		c, _ := createCase(t, base.signedIn(models.RoleAdmin), peters)
		editor := base.signedIn(models.RoleAdmin)
		statuses := make(chan int, 20)
		for range 20 {
			go func() {
				statuses <- editor.do("PUT", "/api/v1/cases/"+c.Id.String()+"/team",
					map[string]any{"members": []map[string]string{{"user_id": editor.user.ID}}}).StatusCode
			}()
		}
		for range 20 {
			if st := <-statuses; st != http.StatusOK {
				t.Errorf("concurrent team edit: %d", st)
			}
		}
	})
}
