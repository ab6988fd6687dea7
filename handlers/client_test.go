package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/uuid"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/documents"
	"github.com/impactledger/impactledger/handlers"
	"github.com/impactledger/impactledger/jobs"
	"github.com/impactledger/impactledger/models"
)

// Downloads are checked against the contract too: their bodies are files, decoded as such.
func init() {
	for _, mediaType := range []string{documents.PDF, documents.PNG, documents.JPEG} {
		openapi3filter.RegisterBodyDecoder(mediaType, openapi3filter.FileBodyDecoder)
	}
}

// testUI stands in for the built frontend.
var testUI = fstest.MapFS{
	"index.html":       {Data: []byte("<!doctype html><title>ImpactLedger</title><div id=app></div>")},
	"assets/app-1.js":  {Data: []byte("console.log('app')")},
	"assets/app-1.css": {Data: []byte("body{}")},
}

// client drives a real HTTP server over the full router and checks every response it receives against the
// OpenAPI contract.
type client struct {
	t      testing.TB
	base   string
	router routers.Router
	store  *models.Store
	// cookie and csrf, when set, sign every request in as one staff member.
	cookie, csrf string
	user         models.User
	// docsDir is the folder the server stores documents in.
	docsDir string
	// jobs is the server's job queue: jobs are queued, and worked once startJobs starts it.
	jobs *jobs.Queue
	// handler is the server's router, for tests that call it in this goroutine rather than over HTTP.
	handler http.Handler
}

// csvBody is a request body sent as text/csv.
type csvBody string

// filePart is a request body of one multipart/form-data part, for uploads small enough to hold.
type filePart struct {
	Field, FileName string
	Content         []byte
}

// multipartBody writes parts as a multipart/form-data body and returns it with its Content-Type.
func multipartBody(t testing.TB, parts ...filePart) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		fw, err := w.CreateFormFile(p.Field, p.FileName)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(p.Content); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), w.FormDataContentType()
}

// newClient serves the router over s; edits change its configuration first.
func newClient(t testing.TB, s *models.Store, edits ...func(*handlers.Config)) *client {
	t.Helper()
	docsDir := t.TempDir()
	docs, err := documents.NewDir(docsDir)
	if err != nil {
		t.Fatal(err)
	}
	queue, err := jobs.New(jobs.Config{Store: s, Documents: docs, Logger: slog.New(slog.DiscardHandler),
		PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// Imports are queued from the start; startJobs works them.
	s.SetJobQueue(queue)
	cfg := handlers.Config{
		Store:     s,
		Dialect:   s.Dialect(),
		UI:        testUI,
		Ready:     s.Ping,
		Logger:    slog.New(slog.DiscardHandler),
		Documents: docs,
	}
	for _, edit := range edits {
		edit(&cfg)
	}
	router, err := handlers.NewRouter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(router)
	t.Cleanup(srv.Close)
	doc, err := api.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	doc.Servers = nil
	contract, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, base: srv.URL, router: contract, store: s, docsDir: docsDir, jobs: queue, handler: router}
}

// startJobs starts working the server's jobs, until the test ends.
func (c *client) startJobs() *client {
	c.t.Helper()
	if err := c.jobs.Start(context.Background()); err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.jobs.Stop(ctx); err != nil {
			c.t.Errorf("stopping the job queue: %v", err)
		}
	})
	return c
}

// newAdminClient is newClient signed in as an administrator, who may call every operation.
func newAdminClient(t testing.TB, s *models.Store, edits ...func(*handlers.Config)) *client {
	return newClient(t, s, edits...).signedIn(models.RoleAdmin)
}

// signedIn returns a copy of c signed in as a new staff member with role.
func (c *client) signedIn(role models.Role) *client {
	c.t.Helper()
	u, err := c.store.CreateUser(dbtest.System(), models.NewUser{
		Email: string(role) + "-" + uuid.NewString()[:8] + "@mesa.gov", DisplayName: "Staff " + string(role),
		Role: role, Password: staffPassword,
	})
	if err != nil {
		c.t.Fatal(err)
	}
	anon := *c
	anon.cookie, anon.csrf = "", ""
	res := anon.do("POST", "/api/v1/auth/login", map[string]string{"email": u.Email, "password": staffPassword})
	if res.StatusCode != http.StatusOK {
		c.t.Fatalf("signing in as %s: %d %s", role, res.StatusCode, res.Body)
	}
	var info api.SessionInfo
	res.JSON(c.t, &info)
	signed := anon
	signed.user, signed.csrf = u, info.CsrfToken
	for _, ck := range res.Cookies() {
		if ck.Name == "il_session" {
			signed.cookie = ck.Name + "=" + ck.Value
		}
	}
	return &signed
}

// testHTTP bounds every request, so that a hung handler fails its test instead of stalling the suite.
var testHTTP = &http.Client{Timeout: 20 * time.Second}

// response is a received response with its body read.
type response struct {
	*http.Response
	Body []byte
}

// JSON decodes the body into v.
func (r response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.Body, err)
	}
}

// Problem decodes a problem body and checks the parts every problem must have.
func (r response) Problem(t testing.TB) handlers.Problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("status %d with Content-Type %q; want application/problem+json: %s", r.StatusCode, ct, r.Body)
	}
	var p handlers.Problem
	r.JSON(t, &p)
	if p.Status != r.StatusCode || p.Type == "" || p.Title == "" || p.RequestID == "" ||
		p.RequestID != r.Header.Get("X-Request-ID") {
		t.Fatalf("incomplete problem %+v (status %d, X-Request-ID %q)", p, r.StatusCode, r.Header.Get("X-Request-ID"))
	}
	return p
}

// as returns a copy of c that reports to t, for subtests and fuzz iterations.
func (c *client) as(t testing.TB) *client {
	cc := *c
	cc.t = t
	return &cc
}

func (c *client) do(method, path string, body any, headers ...string) response {
	c.t.Helper()
	var reader io.Reader
	contentType := "application/json"
	switch b := body.(type) {
	case filePart:
		var raw []byte
		raw, contentType = multipartBody(c.t, b)
		reader = bytes.NewReader(raw)
	case csvBody:
		reader, contentType = strings.NewReader(string(b)), "text/csv"
	case nil:
	case string:
		reader = strings.NewReader(b)
	case []byte:
		reader = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		reader = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.base+path, reader)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if c.cookie != "" {
		req.Header.Set("Cookie", c.cookie)
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := testHTTP.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if res.StatusCode >= 500 && res.StatusCode != http.StatusServiceUnavailable {
		c.t.Errorf("%s %s answered %d: %s", method, path, res.StatusCode, data)
	}
	c.checkContract(req, res, data)
	return response{Response: res, Body: data}
}

// checkContract validates a response against the operation the contract declares for its request.
func (c *client) checkContract(req *http.Request, res *http.Response, body []byte) {
	c.t.Helper()
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		return // Not an operation of the contract (UI, unknown paths); those tests check the body themselves.
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{IncludeResponseStatus: true},
		},
		Status:  res.StatusCode,
		Header:  res.Header,
		Body:    io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
		c.t.Errorf("%s %s: response %d breaks the contract: %v\nbody: %s", req.Method, req.URL.Path, res.StatusCode, oneLine(err), body)
	}
}

func oneLine(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "\nSchema:"); i > 0 {
		msg = msg[:i]
	}
	return msg
}
