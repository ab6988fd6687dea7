package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/models"
	"github.com/impactledger/impactledger/sealing"
)

func TestParseDatabaseURL(t *testing.T) {
	for _, tc := range []struct {
		in      string
		dialect models.Dialect
		dsn     string
		bad     bool
	}{
		{"", models.SQLite, "data/impactledger.db", false},
		{"sqlite:/var/lib/il/x.db", models.SQLite, "/var/lib/il/x.db", false},
		{"sqlite:rel.db", models.SQLite, "rel.db", false},
		{"postgres://u:p@db:5432/il?sslmode=disable", models.Postgres, "postgres://u:p@db:5432/il?sslmode=disable", false},
		{"postgresql://db/il", models.Postgres, "postgresql://db/il", false},
		{"mysql://db/il", "", "", true},
		{"sqlite:", "", "", true},
		{"postgres://", "", "", true},
		{"/tmp/x.db", "", "", true},
	} {
		got, err := parseDatabaseURL(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("parseDatabaseURL(%q) accepted; want an error", tc.in)
			}
			continue
		}
		if err != nil || got.Dialect != tc.dialect || got.DSN != tc.dsn {
			t.Errorf("parseDatabaseURL(%q) = %+v, %v", tc.in, got, err)
		}
	}
}

func TestDescribeDatabaseNeverShowsThePassword(t *testing.T) {
	got := describeDatabase(models.Config{Dialect: models.Postgres, DSN: "postgres://il:s3cret@db.internal:5432/il"})
	if strings.Contains(got, "s3cret") || !strings.Contains(got, "db.internal:5432") {
		t.Fatalf("describeDatabase = %q", got)
	}
	if s := models.ScrubPassword("failed to connect to postgres://il:s3cret@db/il password=hunter2"); strings.Contains(s, "s3cret") || strings.Contains(s, "hunter2") {
		t.Fatalf("ScrubPassword left a password: %q", s)
	}
}

func TestLoadConfig(t *testing.T) {
	env := map[string]string{
		"IMPACTLEDGER_ADDR":               "0.0.0.0:9000",
		"IMPACTLEDGER_LOG_FORMAT":         "auto",
		"IMPACTLEDGER_AUTO_MIGRATE":       "false",
		"IMPACTLEDGER_DB_MAX_OPEN_CONNS":  "20",
		"IMPACTLEDGER_TRUSTED_PROXIES":    "10.0.0.0/8, 192.168.1.1",
		"DATABASE_URL_FILE":               writeFile(t, "postgres://il:pw@db:5432/il\n"),
		"IMPACTLEDGER_ENCRYPTION_KEYS":    "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"IMPACTLEDGER_MAX_HEAVY_REQUESTS": "8",
	}
	cfg, err := loadConfig(func(k string) string { return env[k] }, true)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "0.0.0.0:9000" || cfg.LogFormat != "text" || cfg.AutoMigrate || cfg.DB.MaxOpenConns != 20 ||
		cfg.DB.Dialect != models.Postgres || cfg.DB.DSN != "postgres://il:pw@db:5432/il" || len(cfg.TrustedProxies) != 2 ||
		cfg.MaxHeavyRequests != 8 {
		t.Fatalf("loadConfig = %+v", cfg)
	}

	bad := map[string]string{"DATABASE_URL": "mysql://x", "IMPACTLEDGER_LOG_LEVEL": "loud", "IMPACTLEDGER_AUTO_MIGRATE": "perhaps",
		"IMPACTLEDGER_MAX_HEAVY_REQUESTS": "0"}
	_, err = loadConfig(func(k string) string { return bad[k] }, false)
	for _, name := range []string{"DATABASE_URL", "IMPACTLEDGER_LOG_LEVEL", "IMPACTLEDGER_AUTO_MIGRATE", "IMPACTLEDGER_MAX_HEAVY_REQUESTS"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("error %v does not name %s", err, name)
		}
	}
}

func TestRunExitCodes(t *testing.T) {
	t.Setenv("DATABASE_URL", "oracle://nope")
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"serve"}, nil, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "DATABASE_URL") {
		t.Errorf("serve with a bad DATABASE_URL: exit %d, stderr %q; want 2 naming DATABASE_URL", code, errOut.String())
	}
	for _, args := range [][]string{{"frobnicate"}, {"migrate"}, {"migrate", "sideways"}, {"migrate", "down"}, {"serve", "--bogus"}} {
		if code := run(context.Background(), args, nil, io.Discard, io.Discard); code != 2 {
			t.Errorf("impactledger %v: exit %d; want 2", args, code)
		}
	}
	for _, args := range [][]string{{"--help"}, {"serve", "--help"}, {"migrate", "--help"}, {"version"}, {"version", "-h"}} {
		out.Reset()
		errOut.Reset()
		if code := run(context.Background(), args, nil, &out, &errOut); code != 0 || out.Len()+errOut.Len() == 0 {
			t.Errorf("impactledger %v: exit %d with no output; want 0 and help", args, code)
		}
	}
}

func TestMigrateCommand(t *testing.T) {
	t.Setenv("DATABASE_URL", "sqlite:"+filepath.Join(t.TempDir(), "m.db"))
	var out bytes.Buffer
	if code := run(context.Background(), []string{"migrate", "up"}, nil, &out, io.Discard); code != 0 || !strings.Contains(out.String(), "applied") {
		t.Fatalf("migrate up: exit %d, %q", code, out.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"migrate", "status"}, nil, &out, io.Discard); code != 0 || !strings.Contains(out.String(), "applied") {
		t.Fatalf("migrate status: exit %d, %q", code, out.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"migrate", "down", "--yes"}, nil, &out, io.Discard); code != 0 || !strings.Contains(out.String(), "undid") {
		t.Fatalf("migrate down: exit %d, %q", code, out.String())
	}
}

// TestServeFinishesInFlightRequestsOnShutdown starts the real service, begins a request, signals shutdown
// while the request body is still arriving, and checks that the request completes and serve exits cleanly.
func TestServeFinishesInFlightRequestsOnShutdown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv("IMPACTLEDGER_ADDR", addr)
	t.Setenv("DATABASE_URL", "sqlite:"+filepath.Join(t.TempDir(), "serve.db"))
	t.Setenv("IMPACTLEDGER_LOG_FORMAT", "json")
	t.Setenv("IMPACTLEDGER_PASSWORD_ITERATIONS", "1000")
	run(context.Background(), []string{"migrate", "up"}, nil, io.Discard, io.Discard)
	if code := run(context.Background(), []string{"users", "create", "--email", "dana@mesa.gov", "--name", "Dana", "--role", "advocate"},
		strings.NewReader("correct horse battery staple\n"), io.Discard, io.Discard); code != 0 {
		t.Fatalf("users create: exit %d", code)
	}

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var logs bytes.Buffer
	exited := make(chan int, 1)
	go func() { exited <- run(ctx, nil, nil, io.Discard, &syncWriter{w: &logs}) }()
	base := "http://" + addr
	waitReady(t, base)

	body, feed := io.Pipe()
	done := make(chan *http.Response, 1)
	go func() {
		req, _ := http.NewRequest("POST", base+"/api/v1/auth/login", body)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("in-flight request failed: %v", err)
			done <- nil
			return
		}
		done <- res
	}()
	fmt.Fprint(feed, `{"email":"dana@mesa.gov",`)
	time.Sleep(200 * time.Millisecond) // the request is now in flight
	stop()
	time.Sleep(200 * time.Millisecond) // shutdown has begun
	fmt.Fprint(feed, `"password":"correct horse battery staple"}`)
	feed.Close()

	if res := <-done; res == nil || res.StatusCode != http.StatusOK {
		t.Fatalf("in-flight request during shutdown: %+v", res)
	}
	select {
	case code := <-exited:
		if code != 0 {
			t.Fatalf("serve exited %d; logs:\n%s", code, logs.String())
		}
	case <-time.After(12 * time.Second):
		t.Fatal("serve did not stop within the 10 s grace period")
	}
}

func TestStartupLineNamesVersionAddressAndDatabase(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv("IMPACTLEDGER_ADDR", addr)
	path := filepath.Join(t.TempDir(), "data", "il.db")
	t.Setenv("DATABASE_URL", "sqlite:"+path)
	ctx, stop := context.WithCancel(context.Background())
	var logs bytes.Buffer
	exited := make(chan int, 1)
	go func() { exited <- run(ctx, nil, nil, io.Discard, &syncWriter{w: &logs}) }()
	waitReady(t, "http://"+addr)
	if code := run(context.Background(), []string{"healthcheck"}, nil, io.Discard, io.Discard); code != 0 {
		t.Errorf("healthcheck against a ready service: exit %d", code)
	}
	stop()
	<-exited
	if code := run(context.Background(), []string{"healthcheck"}, nil, io.Discard, io.Discard); code != 1 {
		t.Errorf("healthcheck with the service stopped: exit %d; want 1", code)
	}
	first := ""
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "impactledger started") {
			first = line
			break
		}
	}
	for _, want := range []string{"impactledger started", addr, "sqlite", path, `"version"`, `"audit_key":"data-key:audit-chain"`} {
		if !strings.Contains(first, want) {
			t.Errorf("start-up line %q lacks %q", first, want)
		}
	}
}

func waitReady(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the service did not become ready")
}

func writeFile(t *testing.T, content string) string {
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAuditVerifyCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	t.Setenv("DATABASE_URL", "sqlite:"+path)
	if code := run(context.Background(), []string{"migrate", "up"}, nil, io.Discard, io.Discard); code != 0 {
		t.Fatalf("migrate up: exit %d", code)
	}
	keys, _, err := sqliteKeys(path, time.Now(), false)
	if err != nil {
		t.Fatal(err)
	}
	store, err := models.Open(context.Background(), models.Config{Dialect: models.SQLite, DSN: path, Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for i := range 3 {
		if _, err := store.CreateCase(dbtest.System(), models.NewCase{CourtCaseNumber: fmt.Sprint("22CR", i),
			Caption: "People v. Tina Peters", Court: "Mesa County District Court", Jurisdiction: "us-co"}); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	if code := run(context.Background(), []string{"audit", "verify"}, nil, &out, io.Discard); code != 0 || !strings.Contains(out.String(), "intact: 3 events") {
		t.Fatalf("audit verify on intact data: exit %d, %q", code, out.String())
	}
	db, _ := store.SQLDB()
	for _, stmt := range []string{"DROP TRIGGER audit_events_no_update", "UPDATE audit_events SET action = 'case.read' WHERE seq = 2"} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	out.Reset()
	if code := run(context.Background(), []string{"audit", "verify"}, nil, &out, io.Discard); code != 1 || !strings.Contains(out.String(), "event 2") {
		t.Fatalf("audit verify after tampering: exit %d, %q; want 1 naming event 2", code, out.String())
	}
}

func TestUsersCommand(t *testing.T) {
	t.Setenv("DATABASE_URL", "sqlite:"+filepath.Join(t.TempDir(), "users.db"))
	t.Setenv("IMPACTLEDGER_PASSWORD_ITERATIONS", "1000")
	if code := run(context.Background(), []string{"migrate", "up"}, nil, io.Discard, io.Discard); code != 0 {
		t.Fatalf("migrate up: exit %d", code)
	}
	create := func(email, pw string) (int, string) {
		var out, errOut bytes.Buffer
		code := run(context.Background(), []string{"users", "create", "--email", email, "--name", "Ada Admin", "--role", "admin"},
			strings.NewReader(pw+"\n"), &out, &errOut)
		return code, out.String() + errOut.String()
	}
	if code, out := create("ada@mesa.gov", "correct horse battery staple"); code != 0 || !strings.Contains(out, "created ada@mesa.gov (admin)") {
		t.Fatalf("users create: exit %d, %q", code, out)
	}
	if code, out := create("ada@mesa.gov", "correct horse battery staple"); code != 1 || !strings.Contains(out, "already has this email") {
		t.Fatalf("users create with a taken email: exit %d, %q", code, out)
	}
	if code, out := create("bob@mesa.gov", "password1234"); code != 2 || !strings.Contains(out, "password is too common") {
		t.Fatalf("users create with a common password: exit %d, %q", code, out)
	}
	var out bytes.Buffer
	if code := run(context.Background(), []string{"users", "list"}, nil, &out, io.Discard); code != 0 || !strings.Contains(out.String(), "ada@mesa.gov") || strings.Contains(out.String(), "bob@") {
		t.Fatalf("users list: exit %d, %q", code, out.String())
	}
	out.Reset()
	var errOut bytes.Buffer
	if code := run(context.Background(), []string{"users", "disable", "ada@mesa.gov"}, nil, io.Discard, &errOut); code != 1 || !strings.Contains(errOut.String(), "last active administrator") {
		t.Fatalf("disabling the last administrator: exit %d, %q; want it refused", code, errOut.String())
	}
	if code, out := create("grace@mesa.gov", "another long passphrase here"); code != 0 {
		t.Fatalf("users create: exit %d, %q", code, out)
	}
	if code := run(context.Background(), []string{"users", "disable", "ADA@mesa.gov"}, nil, &out, io.Discard); code != 0 || !strings.Contains(out.String(), "disabled") {
		t.Fatalf("users disable: exit %d, %q", code, out.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"users", "unlock", "ada@mesa.gov"}, nil, &out, io.Discard); code != 0 || !strings.Contains(out.String(), "unlocked ada@mesa.gov") {
		t.Fatalf("users unlock: exit %d, %q", code, out.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"users", "reset-mfa", "grace@mesa.gov"}, nil, &out, io.Discard); code != 0 || !strings.Contains(out.String(), "two-factor sign-in is off for grace@mesa.gov") {
		t.Fatalf("users reset-mfa: exit %d, %q", code, out.String())
	}
	out.Reset()
	errOut.Reset()
	if code := run(context.Background(), []string{"users", "reset-password", "grace@mesa.gov"}, nil, &out, &errOut); code != 0 ||
		!regexp.MustCompile(`^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}\n$`).MatchString(out.String()) || !strings.Contains(errOut.String(), "grace@mesa.gov") {
		t.Fatalf("users reset-password: exit %d, %q (stderr %q); want the code alone on stdout", code, out.String(), errOut.String())
	}
	if code := run(context.Background(), []string{"users", "reset-password", "nobody@mesa.gov"}, nil, io.Discard, io.Discard); code != 1 {
		t.Fatalf("users reset-password of an unknown account: exit %d; want 1", code)
	}
	if code := run(context.Background(), []string{"users", "reset-mfa", "nobody@mesa.gov"}, nil, io.Discard, io.Discard); code != 1 {
		t.Fatalf("users reset-mfa of an unknown account: exit %d; want 1", code)
	}
	if code := run(context.Background(), []string{"users", "disable", "nobody@mesa.gov"}, nil, io.Discard, io.Discard); code != 1 {
		t.Fatalf("users disable of an unknown account: exit %d; want 1", code)
	}
}

func TestKeysGenerate(t *testing.T) {
	var out bytes.Buffer
	if code := run(context.Background(), []string{"keys", "generate"}, nil, &out, io.Discard); code != 0 {
		t.Fatalf("keys generate: exit %d", code)
	}
	keks, err := sealing.ParseKEKs(strings.TrimSpace(out.String()))
	if err != nil || len(keks) != 1 {
		t.Fatalf("keys generate printed %q, which does not parse: %v", out.String(), err)
	}
	if code := run(context.Background(), []string{"keys", "burn"}, nil, io.Discard, io.Discard); code != 2 {
		t.Fatalf("keys burn: exit %d; want 2", code)
	}
}

// TestEncryptionKeysAtStartUp walks the key rules: a new SQLite database gets a key file (0600) and a
// warning; a database whose key file is missing is refused; PostgreSQL without keys is refused; and a
// database sealed under a key that is no longer configured refuses to start, naming the key.
func TestEncryptionKeysAtStartUp(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "il.db")
	t.Setenv("DATABASE_URL", "sqlite:"+db)
	t.Setenv("IMPACTLEDGER_PASSWORD_ITERATIONS", "1000")
	var errOut bytes.Buffer
	if code := run(context.Background(), []string{"migrate", "up"}, nil, io.Discard, &errOut); code != 0 {
		t.Fatalf("migrate up on a new database: exit %d %s", code, errOut.String())
	}
	info, err := os.Stat(keyFileOf(db))
	if err != nil || info.Mode().Perm() != 0o600 || !strings.Contains(errOut.String(), "back it up") {
		t.Fatalf("key file %v (mode %v), log %q", err, info, errOut.String())
	}
	// Seal something under that key.
	keys, _, _ := sqliteKeys(db, time.Now(), false)
	store, err := models.Open(context.Background(), models.Config{Dialect: models.SQLite, DSN: db, Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateCase(dbtest.System(), models.NewCase{CourtCaseNumber: "1", Caption: "People v. Peters",
		Court: "Mesa County District Court", Jurisdiction: "us-co", Notes: "sealed"}); err != nil {
		t.Fatal(err)
	}
	store.Close()
	var out bytes.Buffer
	if code := run(context.Background(), []string{"keys", "check"}, nil, &out, io.Discard); code != 0 || !strings.Contains(out.String(), keys[0].ID) {
		t.Fatalf("keys check: exit %d %q", code, out.String())
	}

	// The key file goes missing: refused, and no new key is made over the sealed data.
	os.Rename(keyFileOf(db), keyFileOf(db)+".bak")
	errOut.Reset()
	if code := run(context.Background(), []string{"keys", "check"}, nil, io.Discard, &errOut); code != 1 || !strings.Contains(errOut.String(), "restore the key file") {
		t.Fatalf("without its key file: exit %d %q", code, errOut.String())
	}
	if _, err := os.Stat(keyFileOf(db)); err == nil {
		t.Fatal("a new key file was made over existing data")
	}

	// Another key configured instead: start-up refuses, naming the key it needs.
	other, _ := sealing.GenerateKEK(time.Now())
	t.Setenv("IMPACTLEDGER_ENCRYPTION_KEYS", other)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	t.Setenv("IMPACTLEDGER_ADDR", ln.Addr().String())
	ln.Close()
	errOut.Reset()
	if code := run(context.Background(), []string{"serve"}, nil, io.Discard, &errOut); code != 1 || !strings.Contains(errOut.String(), keys[0].ID) {
		t.Fatalf("serve with the wrong key: exit %d %q", code, errOut.String())
	}

	// Rotation: the new key first, the old one second; rotate; then the old key can go.
	old, _ := os.ReadFile(keyFileOf(db) + ".bak")
	t.Setenv("IMPACTLEDGER_ENCRYPTION_KEYS", other+","+strings.TrimSpace(string(old)))
	out.Reset()
	if code := run(context.Background(), []string{"keys", "rotate"}, nil, &out, io.Discard); code != 0 || !strings.Contains(out.String(), "rewrapped 2 data keys") { // the case's and the audit chain's
		t.Fatalf("keys rotate: exit %d %q", code, out.String())
	}
	t.Setenv("IMPACTLEDGER_ENCRYPTION_KEYS", other)
	if code := run(context.Background(), []string{"keys", "check"}, nil, io.Discard, io.Discard); code != 0 {
		t.Fatalf("keys check after rotation without the old key: exit %d", code)
	}
	// The audit chain's key was rewrapped with the case's: the trail still verifies without the old key.
	if code, out := auditVerify(t); code != 0 || !strings.Contains(out, "intact: 2 events") { // the case, and the rotation
		t.Fatalf("audit verify after rotation without the old key: exit %d %q", code, out)
	}

	t.Setenv("IMPACTLEDGER_ENCRYPTION_KEYS", "")
	t.Setenv("DATABASE_URL", "postgres://u@127.0.0.1:5432/none")
	errOut.Reset()
	if code := run(context.Background(), []string{"serve"}, nil, io.Discard, &errOut); code != 2 || !strings.Contains(errOut.String(), "IMPACTLEDGER_ENCRYPTION_KEYS") {
		t.Fatalf("PostgreSQL without keys: exit %d %q", code, errOut.String())
	}
}

// TestKeyFileIsMadeOnce starts two first runs at once on a new database: both must end up with the same key.
func TestKeyFileIsMadeOnce(t *testing.T) {
	db := filepath.Join(t.TempDir(), "data", "il.db")
	results := make(chan string, 8)
	for range 8 {
		go func() {
			keys, _, err := sqliteKeys(db, time.Now(), true)
			if err != nil {
				results <- "error: " + err.Error()
				return
			}
			results <- keys[0].ID
		}()
	}
	first := <-results
	for range 7 {
		if got := <-results; got != first {
			t.Fatalf("concurrent first starts got different keys: %s and %s", first, got)
		}
	}
	if _, _, err := sqliteKeys(filepath.Join(t.TempDir(), "other.db"), time.Now(), false); err == nil {
		t.Fatal("a key was made where making one was not allowed")
	}
}

func TestDocumentsDirDefaultsBesideTheDatabase(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, filepath.Join("data", "documents")},
		{map[string]string{"DATABASE_URL": "sqlite:/srv/il/cases.db"}, "/srv/il/documents"},
		{map[string]string{"DATABASE_URL": "postgres://il@db:5432/il", "IMPACTLEDGER_ENCRYPTION_KEYS": "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}, filepath.Join("data", "documents")},
		{map[string]string{"IMPACTLEDGER_DOCUMENTS_DIR": "/mnt/evidence"}, "/mnt/evidence"},
	} {
		cfg, err := loadConfig(func(k string) string { return tc.env[k] }, false)
		if err != nil || cfg.DocumentsDir != tc.want {
			t.Errorf("%v: documents in %q (%v); want %q", tc.env, cfg.DocumentsDir, err, tc.want)
		}
	}
}
