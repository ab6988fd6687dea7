package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/sealing"
)

// TestServeMigratesAsTheOwnerAndServesAsItsOwnRole starts the real service on PostgreSQL with
// IMPACTLEDGER_MIGRATE_DATABASE_URL naming the schema's owner and DATABASE_URL a role of the service's own:
// the start-up migration makes every table the owner's, the service's role is granted what it needs and
// not UPDATE on the audit trail, and the service then signs in and opens a case as its role, without the
// warning about a privileged role. migrate up as the owner grants again, without the keys or the service's
// password. Started with DATABASE_URL set to the owner, the service warns that its role owns its tables.
func TestServeMigratesAsTheOwnerAndServesAsItsOwnRole(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		t.Skip("does not apply to SQLite, which has no database roles (IMPACTLEDGER_MIGRATE_DATABASE_URL is refused with it)")
	})
	pgURL := dbtest.PostgresURL(t)
	if pgURL == "" {
		return // PostgreSQL runs with TEST_DATABASE_URL, which CI always sets
	}
	t.Run("postgres", func(t *testing.T) {
		ownerCfg, serviceCfg, role := dbtest.PostgresWithServiceRole(t, pgURL)
		keys, err := sealing.GenerateKEK(time.Now())
		if err != nil {
			t.Fatal(err)
		}
		t.Setenv("IMPACTLEDGER_ENCRYPTION_KEYS", keys)
		t.Setenv("IMPACTLEDGER_MIGRATE_DATABASE_URL", ownerCfg.DSN)
		t.Setenv("DATABASE_URL", serviceCfg.DSN)
		t.Setenv("IMPACTLEDGER_LOG_FORMAT", "json")
		t.Setenv("IMPACTLEDGER_PASSWORD_ITERATIONS", "1000")
		t.Setenv("IMPACTLEDGER_REQUIRE_MFA", "false")
		t.Setenv("IMPACTLEDGER_DOCUMENTS_DIR", t.TempDir())
		u, _ := url.Parse(serviceCfg.DSN)
		servicePassword, _ := u.User.Password()

		logs, stop := serveUntilStopped(t)
		base := "http://" + mustGetenv(t, "IMPACTLEDGER_ADDR")
		var out bytes.Buffer
		if code := run(context.Background(), []string{"users", "create", "--email", "ada@mesa.gov", "--name", "Ada", "--role", "admin"},
			strings.NewReader("correct horse battery staple\n"), &out, &out); code != 0 {
			t.Fatalf("users create as the service's role: exit %d %s", code, out.String())
		}
		cookie, csrf := signInOver(t, base, "ada@mesa.gov", "correct horse battery staple")
		body := `{"court_case_number":"22CR371","caption":"People v. Tina Peters","court":"Mesa County District Court","jurisdiction":"us-co"}`
		req, _ := http.NewRequest("POST", base+"/api/v1/cases", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Cookie", cookie)
		req.Header.Set("X-CSRF-Token", csrf)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("creating a case as the service's role: %d", res.StatusCode)
		}
		stop()

		owner, err := sql.Open("pgx", ownerCfg.DSN)
		if err != nil {
			t.Fatal(err)
		}
		defer owner.Close()
		var ownerName string
		var tables, ownedByOwner, appendOnlyUpdatable int
		if err := owner.QueryRow(`SELECT current_user, count(*), count(*) FILTER (WHERE pg_get_userbyid(c.relowner) = current_user),
			count(*) FILTER (WHERE c.relname = 'audit_events' AND has_table_privilege($1, c.oid, 'UPDATE'))
			FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = current_schema() AND c.relkind = 'r'`, role).Scan(&ownerName, &tables, &ownedByOwner, &appendOnlyUpdatable); err != nil {
			t.Fatal(err)
		}
		if tables < 20 || ownedByOwner != tables || appendOnlyUpdatable != 0 {
			t.Fatalf("after serve's migration: %d tables, %d owned by %s, audit_events updatable by %s: %d",
				tables, ownedByOwner, ownerName, role, appendOnlyUpdatable)
		}
		if !strings.Contains(logs.String(), "impactledger started") || strings.Contains(logs.String(), `"migrations_applied":0,`) {
			t.Errorf("serve did not start after migrating:\n%s", logs.String())
		}
		if strings.Contains(logs.String(), "owns its tables") {
			t.Errorf("warned about a privileged role while serving as %s:\n%s", role, logs.String())
		}
		if strings.Contains(logs.String(), servicePassword) {
			t.Errorf("a password reached the logs:\n%s", logs.String())
		}

		// A deploy step that migrates needs the owner's URL and the service's role, but neither the keys nor the
		// service's password: it never connects as the service.
		t.Setenv("IMPACTLEDGER_ENCRYPTION_KEYS", "")
		u.User = url.User(role)
		t.Setenv("DATABASE_URL", u.String())
		out.Reset()
		if code := run(context.Background(), []string{"migrate", "up"}, nil, &out, &out); code != 0 ||
			!strings.Contains(out.String(), "no pending migrations") || !strings.Contains(out.String(), "granted "+role) {
			t.Fatalf("migrate up as the owner: exit %d %q", code, out.String())
		}
		t.Setenv("IMPACTLEDGER_ENCRYPTION_KEYS", keys)

		// The service connecting as the owner: it serves, and says what to fix.
		t.Setenv("IMPACTLEDGER_MIGRATE_DATABASE_URL", "")
		t.Setenv("DATABASE_URL", ownerCfg.DSN)
		logs, stop = serveUntilStopped(t)
		stop()
		warning := ""
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, "owns its tables") {
				warning = line
			}
		}
		for _, want := range []string{`"level":"WARN"`, "IMPACTLEDGER_MIGRATE_DATABASE_URL", `"role":"` + ownerName + `"`} {
			if !strings.Contains(warning, want) {
				t.Errorf("the warning about serving as the owner %q lacks %q; logs:\n%s", warning, want, logs.String())
			}
		}
	})
}

// serveUntilStopped runs serve, in this process, on a free port until stop is called, and waits until it is ready.
func serveUntilStopped(t *testing.T) (logs *bytes.Buffer, stop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv("IMPACTLEDGER_ADDR", addr)
	ctx, cancel := context.WithCancel(context.Background())
	logs = &bytes.Buffer{}
	exited := make(chan int, 1)
	go func() { exited <- run(ctx, nil, nil, io.Discard, &syncWriter{w: logs}) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case code := <-exited:
			if code != 0 {
				t.Errorf("serve exited %d; logs:\n%s", code, logs.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	}
	t.Cleanup(stop)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if res, err := http.Get("http://" + addr + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return logs, stop
			}
		}
		select {
		case code := <-exited:
			stopped = true
			t.Fatalf("serve exited %d before it was ready; logs:\n%s", code, logs.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the service did not become ready; logs:\n%s", logs.String())
		}
	}
}

// signInOver signs in over HTTP and returns the session cookie to send back and the CSRF token. The cookie is
// Secure, which a cookie jar would not send over plain HTTP, so it is carried by hand.
func signInOver(t *testing.T, base, email, password string) (cookie, csrf string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	res, err := http.Post(base+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var login struct {
		CSRFToken string `json:"csrf_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&login); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("signing in: %d %v", res.StatusCode, err)
	}
	for _, c := range res.Cookies() {
		if c.Name == "il_session" {
			return c.Name + "=" + c.Value, login.CSRFToken
		}
	}
	t.Fatal("no session cookie")
	return "", ""
}

func mustGetenv(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set", name)
	}
	return v
}

// TestMigrateDatabaseURLConfig reads IMPACTLEDGER_MIGRATE_DATABASE_URL (or its _FILE): a PostgreSQL URL,
// only beside a PostgreSQL DATABASE_URL, never quoted back in an error, since it holds the owner's password.
func TestMigrateDatabaseURLConfig(t *testing.T) {
	const keys = "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	const owner = "postgres://il_owner:0wnerS3cret@db:5432/il"
	for _, tc := range []struct {
		env  map[string]string
		want string // the owner URL read, or "error"
	}{
		{map[string]string{"DATABASE_URL": "postgres://il_app:pw@db:5432/il", "IMPACTLEDGER_ENCRYPTION_KEYS": keys}, ""},
		{map[string]string{"DATABASE_URL": "postgres://il_app:pw@db:5432/il", "IMPACTLEDGER_ENCRYPTION_KEYS": keys,
			"IMPACTLEDGER_MIGRATE_DATABASE_URL": owner}, owner},
		{map[string]string{"DATABASE_URL": "postgres://il_app:pw@db:5432/il", "IMPACTLEDGER_ENCRYPTION_KEYS": keys,
			"IMPACTLEDGER_MIGRATE_DATABASE_URL_FILE": writeFile(t, owner+"\n")}, owner},
		{map[string]string{"IMPACTLEDGER_MIGRATE_DATABASE_URL": owner}, "error"},
		{map[string]string{"DATABASE_URL": "sqlite:x.db", "IMPACTLEDGER_MIGRATE_DATABASE_URL": owner}, "error"},
		{map[string]string{"DATABASE_URL": "postgres://il_app:pw@db:5432/il", "IMPACTLEDGER_ENCRYPTION_KEYS": keys,
			"IMPACTLEDGER_MIGRATE_DATABASE_URL": "mysql://il_owner:0wnerS3cret@db/il"}, "error"},
	} {
		cfg, err := loadConfig(func(k string) string { return tc.env[k] }, false)
		switch {
		case tc.want == "error" && err == nil:
			t.Errorf("%v: accepted", tc.env)
		case tc.want == "error" && (!strings.Contains(err.Error(), "IMPACTLEDGER_MIGRATE_DATABASE_URL") || strings.Contains(err.Error(), "0wnerS3cret")):
			t.Errorf("%v: error %q should name the variable and not quote the password", tc.env, err)
		case tc.want != "error" && (err != nil || cfg.MigrateDSN != tc.want):
			t.Errorf("%v: read %q, %v; want %q", tc.env, cfg.MigrateDSN, err, tc.want)
		}
	}
}
