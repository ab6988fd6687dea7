package handlers_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/handlers"
	"github.com/impactledger/impactledger/models"
)

func TestServedContractIsValidOpenAPI30(t *testing.T) {
	c := newClient(t, dbtest.SQLite(t))
	res := c.do("GET", "/api/openapi.json", nil)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /api/openapi.json: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	doc, err := openapi3.NewLoader().LoadFromData(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.0.") {
		t.Fatalf("openapi %q; want 3.0.x", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the served contract is invalid: %v", err)
	}
	// Every operation carries an operationId, a tag, a summary and its error responses.
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" || len(op.Tags) == 0 || op.Summary == "" || op.Responses.Default() == nil {
				t.Errorf("%s %s lacks an operationId, tag, summary or default (error) response", method, path)
			}
		}
	}
}

func TestRequestIDIsEchoedAndSanitised(t *testing.T) {
	c := newClient(t, dbtest.SQLite(t))
	res := c.do("GET", "/api/v1/cases/42", nil, "X-Request-ID", "support-ticket-7781")
	if got := res.Header.Get("X-Request-ID"); got != "support-ticket-7781" {
		t.Fatalf("X-Request-ID = %q; want the caller's", got)
	}
	if p := res.Problem(t); p.RequestID != "support-ticket-7781" || strings.Contains(p.Detail, "support-ticket") {
		t.Fatalf("problem %+v: request_id must be the caller's, and not inside detail", p)
	}
	forged := c.do("GET", "/healthz", nil, "X-Request-ID", "x\" level=ERROR msg=forged")
	if got := forged.Header.Get("X-Request-ID"); got == "" || strings.Contains(got, " ") {
		t.Fatalf("an unsafe X-Request-ID was kept: %q", got)
	}
}

func TestSecurityHeaders(t *testing.T) {
	c := newClient(t, dbtest.SQLite(t))
	for _, path := range []string{"/api/v1/cases", "/", "/cases/new"} {
		res := c.do("GET", path, nil)
		h := res.Header
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") ||
			strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: missing nosniff or Referrer-Policy: %v", path, h)
		}
		if strings.HasPrefix(path, "/api/") && h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q; API responses must not be stored", path, h.Get("Cache-Control"))
		}
	}
}

func TestUIIsServedWithFallbackButAPINeverFallsBack(t *testing.T) {
	c := newClient(t, dbtest.SQLite(t))
	for _, path := range []string{"/", "/cases/new", "/cases/01a211c6-f93c-78c4-8695-72deaf645c6f", "/%ff", "/a%c0%ae%c0%ae/x", "/assets/app-1.js/"} {
		res := c.do("GET", path, nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(string(res.Body), `<div id=app>`) {
			t.Errorf("GET %s: %d %q; want the app's index.html", path, res.StatusCode, res.Body)
		}
	}
	asset := c.do("GET", "/assets/app-1.js", nil)
	if asset.StatusCode != http.StatusOK || !strings.Contains(asset.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("asset: %d, Cache-Control %q", asset.StatusCode, asset.Header.Get("Cache-Control"))
	}
	for _, path := range []string{"/api/v1/nothing", "/api/v2/cases", "/api/"} {
		res := c.do("GET", path, nil)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d; want 404", path, res.StatusCode)
		}
		res.Problem(t)
	}
	if res := c.do("POST", "/cases/new", `{}`); res.StatusCode != http.StatusNotFound {
		t.Errorf("POST to a UI path: %d; want a 404 problem", res.StatusCode)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newAdminClient(t, s)
		var h api.Health
		res := c.do("GET", "/readyz", nil)
		res.JSON(t, &h)
		if res.StatusCode != http.StatusOK || h.Database == nil || string(*h.Database) != string(s.Dialect()) {
			t.Fatalf("readyz: %d %s", res.StatusCode, res.Body)
		}
		if res := c.do("GET", "/healthz", nil); res.StatusCode != http.StatusOK {
			t.Fatalf("healthz: %d", res.StatusCode)
		}
	})
}

func TestReadinessFailsWhenTheSchemaIsBehind(t *testing.T) {
	c := newClient(t, dbtest.SQLite(t), func(cfg *handlers.Config) {
		cfg.Ready = func(context.Context) error { return errors.New("schema behind") }
	})
	res := c.do("GET", "/readyz", nil)
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("readyz with a failing check: %d %s", res.StatusCode, res.Body)
	}
	res.Problem(t)
}
