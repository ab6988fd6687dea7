package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/handlers"
	"github.com/impactledger/impactledger/models"
)

// orderLines writes the body of an order of n lines as it is read, so that the test itself never holds
// it: the defendants, n lines, and last a court reference, but no ordered_on, so that the contract refuses
// the order only once it has read it all.
type orderLines struct {
	n, next int
	buf     bytes.Buffer
}

func (o *orderLines) Read(p []byte) (int, error) {
	for o.buf.Len() < len(p) && o.next <= o.n {
		switch {
		case o.next == 0:
			fmt.Fprintf(&o.buf, `{"defendant_ids": ["%s"], "lines": [`, uuid.NewString())
		case o.next < o.n:
			fmt.Fprintf(&o.buf, "\n  {\"victim_id\": \"%s\", \"amount_cents\": %d},", uuid.NewString(), 100+o.next)
		default:
			fmt.Fprintf(&o.buf, "\n  {\"victim_id\": \"%s\", \"amount_cents\": %d}\n], \"court_order_reference\": \"Judgment\"}", uuid.NewString(), 100+o.next)
		}
		o.next++
	}
	n, err := o.buf.Read(p)
	if err == io.EOF && o.next <= o.n {
		err = nil
	}
	return n, err
}

// TestALongOrderIsReadToItsEnd sends an order of 50,000 lines (3.8 MiB of JSON) that the contract refuses
// only at its end, and checks that the service reads it all, through the contract middleware and the streamed
// decoder, and answers 422 for the missing ordered_on alone. That it reads the lines as they come, not the
// JSON whole, is TestAnOrderIsDecodedAsItArrives's to check, and what that costs BenchmarkOrderBody's: a
// bound on the test process's heap here depended on what other tests' goroutines were doing.
func TestALongOrderIsReadToItsEnd(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newAdminClient(t, s)
		kase, _ := createCase(t, c, peters)
		body := &orderLines{n: 50_000}
		req := httptest.NewRequest("POST", "/api/v1/cases/"+kase.Id.String()+"/restitution-orders", body)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Cookie", c.cookie)
		req.Header.Set("X-CSRF-Token", c.csrf)
		res := httptest.NewRecorder()
		c.handler.ServeHTTP(res, req)
		var p handlers.Problem
		if err := json.Unmarshal(res.Body.Bytes(), &p); err != nil || res.Code != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors["ordered_on"] != "is required" {
			t.Fatalf("answered %d %s; want 422 for ordered_on alone", res.Code, res.Body)
		}
	})
}

// TestAnOrderIsReadByItsStreamingDecoder sends an order naming its lines twice, which only the streaming
// decoder refuses (a generic decode keeps the second): the order's body reaches that decoder, not the
// generated server's, whose body the contract middleware no longer checks.
func TestAnOrderIsReadByItsStreamingDecoder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newAdminClient(t, s)
		lc := newLedgerCase(t, c, "us-co", map[string]string{"Ann": "individual"})
		line := `[{"victim_id": "` + lc.victims["Ann"] + `", "amount_cents": 100}]`
		res := c.do("POST", "/api/v1/cases/"+lc.caseID+"/restitution-orders",
			`{"ordered_on": "2025-01-01", "defendant_ids": ["`+lc.defendant+`"], "lines": `+line+`, "lines": `+line+`}`)
		if p := res.Problem(t); res.StatusCode != http.StatusBadRequest || p.Errors["lines"] == "" {
			t.Errorf("%d %s; want 400 naming lines", res.StatusCode, res.Body)
		}
	})
}

// sentBody is a request body that counts how much of it the client has sent.
type sentBody struct {
	r    io.Reader
	sent atomic.Int64
}

func (b *sentBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.sent.Add(int64(n))
	return n, err
}

// postAsked sends body to path with Expect: 100-continue, so that the client sends the body only once the
// server asks for it, and answers the response with how many bytes of the body went out.
func (c *client) postAsked(path string, body []byte) (response, int64) {
	c.t.Helper()
	sb := &sentBody{r: bytes.NewReader(body)}
	req, err := http.NewRequest("POST", c.base+path, sb)
	if err != nil {
		c.t.Fatal(err)
	}
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Expect", "100-continue")
	req.Header.Set("Cookie", c.cookie)
	req.Header.Set("X-CSRF-Token", c.csrf)
	res, err := waitForReads.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	c.checkContract(req, res, data)
	return response{Response: res, Body: data}, sb.sent.Load()
}

// TestAnOrderForACaseOutOfReachIsRefusedUnread has a prosecutor post a valid order of 20,000 lines for a
// case that does not exist and for one outside their team: each is answered 404 before a byte of the body
// is read, so that such posts cost the service one query, whatever their size. An administrator's order for
// the case is read and entered, which shows that the count sees a body that is read.
func TestAnOrderForACaseOutOfReachIsRefusedUnread(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		admin := newAdminClient(t, s)
		lc := newLedgerCase(t, admin, "us-co", map[string]string{"Ann": "individual"})
		var body bytes.Buffer
		fmt.Fprintf(&body, `{"ordered_on": "2025-01-01", "defendant_ids": ["%s"], "lines": [`, lc.defendant)
		for i := range 20_000 {
			if i > 0 {
				body.WriteString(",")
			}
			fmt.Fprintf(&body, "\n  {\"victim_id\": \"%s\", \"amount_cents\": %d}", uuid.NewString(), 100+i)
		}
		body.WriteString("\n]}")
		prosecutor := admin.signedIn(models.RoleProsecutor)
		for name, caseID := range map[string]string{"a made-up case": uuid.NewString(), "a case outside the team": lc.caseID} {
			res, sent := prosecutor.as(t).postAsked("/api/v1/cases/"+caseID+"/restitution-orders", body.Bytes())
			if res.StatusCode != http.StatusNotFound || sent != 0 {
				t.Errorf("%s: answered %d after %d bytes of the body; want 404 before any", name, res.StatusCode, sent)
			}
		}
		order := fmt.Sprintf(`{"ordered_on": "2025-01-01", "defendant_ids": ["%s"], "lines": [{"victim_id": "%s", "amount_cents": 100}]}`,
			lc.defendant, lc.victims["Ann"])
		if res, sent := admin.postAsked("/api/v1/cases/"+lc.caseID+"/restitution-orders", []byte(order)); res.StatusCode != http.StatusCreated || sent != int64(len(order)) {
			t.Errorf("the administrator's order: answered %d after %d of its %d bytes; want 201 after all", res.StatusCode, sent, len(order))
		}
	})
}
