//go:build !race

// Tests at full scale: 100,000 victims. They run without the race detector (`make test` runs them in a
// second pass), since it slows the embedded SQLite engine, which is Go code too, many times over.

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/models"
)

// service is impactledger serve running as a process of its own: this test binary, run as main.
type service struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string
	logs *bytes.Buffer
}

func startService(t *testing.T, addr string) *service {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve")
	cmd.Env = append(os.Environ(), asMainEnv+"=1", "IMPACTLEDGER_ADDR="+addr, "IMPACTLEDGER_LOG_FORMAT=json", "IMPACTLEDGER_LOG_LEVEL=warn")
	logs := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = logs, &syncWriter{w: logs}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &service{t: t, cmd: cmd, base: "http://" + addr, logs: logs}
	t.Cleanup(func() { s.kill() })
	for deadline := time.Now().Add(time.Minute); ; {
		res, err := http.Get(s.base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the service did not become ready: %s", logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill ends the process at once, as a power cut or the OOM killer would: no shutdown of any kind.
func (s *service) kill() {
	if s.cmd.ProcessState == nil {
		s.cmd.Process.Signal(syscall.SIGKILL)
		s.cmd.Wait()
	}
}

// session is a signed-in staff member of the service.
type session struct {
	t            *testing.T
	cookie, csrf string
}

func (s *service) signIn(email, password string) *session {
	s.t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	res, err := http.Post(s.base+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	var info struct {
		CSRF string `json:"csrf_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&info); err != nil || res.StatusCode != http.StatusOK {
		s.t.Fatalf("signing in: %d %v", res.StatusCode, err)
	}
	for _, c := range res.Cookies() {
		if c.Name == "il_session" {
			return &session{t: s.t, cookie: c.Name + "=" + c.Value, csrf: info.CSRF}
		}
	}
	s.t.Fatal("no session cookie")
	return nil
}

func (ss *session) do(s *service, method, path, contentType string, body io.Reader, out any, headers ...string) int {
	ss.t.Helper()
	req, err := http.NewRequest(method, s.base+path, body)
	if err != nil {
		ss.t.Fatal(err)
	}
	req.Header.Set("Cookie", ss.cookie)
	req.Header.Set("X-CSRF-Token", ss.csrf)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		ss.t.Fatal(err)
	}
	defer res.Body.Close()
	if out != nil {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			ss.t.Fatalf("%s %s: %d, %v", method, path, res.StatusCode, err)
		}
	}
	return res.StatusCode
}

type importState struct {
	ID         string `json:"id"`
	Status     string `json:"status"`
	RowsTotal  int    `json:"rows_total"`
	RowsDone   int    `json:"rows_done"`
	Created    int    `json:"created"`
	Losses     int    `json:"losses_created"`
	ErrorCount int    `json:"error_count"`
}

// hundredThousand is a breach notification list of 100,000 individuals, each with an SSN, a birth date,
// contact details and an address, and a loss.
func hundredThousand() string {
	var b strings.Builder
	b.WriteString("kind,name,ssn,date_of_birth,email,phone,address_line1,city,state,postal_code,loss_category,loss_amount,loss_description\n")
	for i := 1; i <= 100_000; i++ {
		fmt.Fprintf(&b, "individual,Person %d,%03d-%02d-%04d,1970-01-%02d,p%d@example.com,970-555-%04d,%d Main St,Grand Junction,CO,81501,fraudulent_charges,\"%d.%02d\",Card charged\n",
			i, 100+(i/(9000*89))%500, 10+(i/9000)%89, 1000+i%9000, 1+i%28, i, i%10000, i, i, i%100)
	}
	return b.String()
}

// TestAtScaleAKilledServiceFinishesTheImportExactlyOnce kills the service with SIGKILL while it writes a
// 100,000-row import, starts it again, and checks that the import finishes by itself with every row
// imported exactly once and one audit event.
func TestAtScaleAKilledServiceFinishesTheImportExactlyOnce(t *testing.T) {
	list := hundredThousand()
	eachDatabase(t, func(t *testing.T, env map[string]string) {
		setEnv(t, env)
		caseID := newCaseFromTheCommandLine(t)
		const email, password = "sam@mesa.gov", "correct horse battery staple"
		if code := run(context.Background(), []string{"users", "create", "--email", email, "--name", "Sam Supervisor", "--role", "supervisor"},
			strings.NewReader(password+"\n"), io.Discard, io.Discard); code != 0 {
			t.Fatalf("users create: exit %d", code)
		}
		addr := freeAddr(t)
		first := startService(t, addr)
		sam := first.signIn(email, password)
		var imp importState
		if code := sam.do(first, "POST", "/api/v1/cases/"+caseID+"/victim-imports", "text/csv", strings.NewReader(list), &imp,
			"Idempotency-Key", "breach-list-1"); code != http.StatusAccepted {
			t.Fatalf("upload: %d", code)
		}
		for deadline := time.Now().Add(5 * time.Minute); ; {
			sam.do(first, "GET", "/api/v1/victim-imports/"+imp.ID, "", nil, &imp)
			if imp.Status == "importing" && imp.RowsDone >= 30_000 {
				break
			}
			if imp.Status == "succeeded" || imp.Status == "failed" || time.Now().After(deadline) {
				t.Fatalf("the import was never killed mid-way: %+v\n%s", imp, first.logs)
			}
			time.Sleep(20 * time.Millisecond)
		}
		first.kill()
		killedAt := imp.RowsDone

		_, _, store, code := setup(context.Background(), io.Discard)
		if code != 0 {
			t.Fatal("setup")
		}
		defer store.Close()
		ctx := dbtest.System()
		if page, err := store.ListVictims(ctx, caseID, models.VictimFilter{}); err != nil || len(page.Items) != 0 {
			t.Fatalf("after the kill, %d victims are visible (%v); want none until the import ends", len(page.Items), err)
		}

		second := startService(t, addr)
		if os.Getenv("SCALE_DEBUG") != "" {
			time.Sleep(40 * time.Second)
			t.Fatalf("debug: %s\n%s", queueState(t, store), second.logs)
		}
		started := time.Now()
		for deadline := time.Now().Add(90 * time.Second); ; {
			sam.do(second, "GET", "/api/v1/victim-imports/"+imp.ID, "", nil, &imp)
			if imp.Status == "succeeded" || imp.Status == "failed" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the import did not finish after the restart: %+v\n%s\n%s", imp, second.logs, queueState(t, store))
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("%s: killed at row %d; finished %s after the restart", env["DATABASE_URL"][:6], killedAt, time.Since(started).Round(time.Second))
		if imp.Status != "succeeded" || imp.Created != 100_000 || imp.Losses != 100_000 || imp.ErrorCount != 0 {
			t.Fatalf("after the restart: %+v", imp)
		}
		// Every row exactly once: count what anyone can now see.
		victims, after := 0, ""
		for {
			page, err := store.ListVictims(ctx, caseID, models.VictimFilter{Limit: models.MaxPageSize, AfterID: after})
			if err != nil {
				t.Fatal(err)
			}
			victims += len(page.Items)
			if after = page.NextAfterID; after == "" {
				break
			}
		}
		sum, err := store.LossSummaryOf(ctx, caseID)
		if err != nil {
			t.Fatal(err)
		}
		var claimed int64
		for i := 1; i <= 100_000; i++ {
			claimed += int64(i*100 + i%100)
		}
		if victims != 100_000 || sum.Totals.Count != 100_000 || sum.Totals.ClaimedCents != claimed {
			t.Fatalf("%d victims and %d losses claiming %d cents; want 100,000, 100,000 and %d", victims, sum.Totals.Count, sum.Totals.ClaimedCents, claimed)
		}
		audits, err := store.ListAuditEvents(ctx, models.AuditFilter{Action: "victim.import"})
		if err != nil || len(audits.Items) != 1 || audits.Items[0].Outcome != models.OutcomeSuccess {
			t.Fatalf("audit events %+v, %v; want one success", audits.Items, err)
		}
		// The same upload again, with its key: the same import, nothing new.
		var again importState
		if code := sam.do(second, "POST", "/api/v1/cases/"+caseID+"/victim-imports", "text/csv", strings.NewReader(list), &again,
			"Idempotency-Key", "breach-list-1"); code != http.StatusAccepted || again.ID != imp.ID {
			t.Fatalf("the upload again: %d %+v", code, again)
		}
		// The sealed upload was removed once the import ended.
		if leftovers, _ := filepath.Glob(filepath.Join(os.Getenv("IMPACTLEDGER_DOCUMENTS_DIR"), "*")); len(leftovers) != 0 {
			t.Fatalf("files left in the documents folder: %v", leftovers)
		}
	})
}

// queueState describes the job queue and the imports, for a test that failed waiting on them.
func queueState(t *testing.T, store *models.Store) string {
	db, err := store.SQLDB()
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, q := range []string{
		"SELECT kind, state, attempt, coalesce(attempted_by, ''), scheduled_at, errors FROM river_job ORDER BY id",
		"SELECT leader_id, elected_at, expires_at FROM river_leader",
		"SELECT status, rows_done, coalesce(worker_token, ''), heartbeat_at, nudged_at FROM victim_imports",
	} {
		rows, err := db.Query(q)
		if err != nil {
			fmt.Fprintf(&b, "%s: %v\n", q, err)
			continue
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rows.Scan(ptrs...)
			fmt.Fprintf(&b, "%v\n", vals)
		}
		rows.Close()
	}
	return b.String()
}
