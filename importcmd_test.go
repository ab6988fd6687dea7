package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/models"
	"github.com/impactledger/impactledger/sealing"
)

// eachDatabase runs fn once per database under test with the environment set for it: a new SQLite file,
// and, with TEST_DATABASE_URL, a schema of its own on PostgreSQL with a key of its own.
func eachDatabase(t *testing.T, fn func(t *testing.T, env map[string]string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "impactledger.db")})
	})
	if u := dbtest.PostgresURL(t); u != "" {
		t.Run("postgres", func(t *testing.T) {
			key, err := sealing.GenerateKEK(time.Now())
			if err != nil {
				t.Fatal(err)
			}
			fn(t, map[string]string{"DATABASE_URL": dbtest.PostgresConfig(t, u).DSN, "IMPACTLEDGER_ENCRYPTION_KEYS": key,
				"IMPACTLEDGER_REQUIRE_MFA": "false"})
		})
	}
}

func setEnv(t *testing.T, env map[string]string) {
	for k, v := range env {
		t.Setenv(k, v)
	}
	t.Setenv("IMPACTLEDGER_DOCUMENTS_DIR", filepath.Join(t.TempDir(), "documents"))
	t.Setenv("IMPACTLEDGER_PASSWORD_ITERATIONS", "1000")
}

// newCaseFromTheCommandLine migrates the configured database and makes a case in it, as the service would.
func newCaseFromTheCommandLine(t *testing.T) string {
	t.Helper()
	ctx := dbtest.System()
	if code := run(ctx, []string{"migrate", "up"}, nil, io.Discard, io.Discard); code != 0 {
		t.Fatalf("migrate up: exit %d", code)
	}
	_, _, store, code := setup(ctx, io.Discard)
	if code != 0 {
		t.Fatalf("setup: exit %d", code)
	}
	defer store.Close()
	c, err := store.CreateCase(ctx, models.NewCase{CourtCaseNumber: "22CR371", Caption: "People v. Tina Peters",
		Court: "Mesa County District Court", Jurisdiction: "us-co"})
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func writeList(t *testing.T, rows ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "list.csv")
	content := "kind,name,ssn,loss_category,loss_amount\n" + strings.Join(rows, "\n") + "\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestImportVictimsCommand(t *testing.T) {
	eachDatabase(t, func(t *testing.T, env map[string]string) {
		setEnv(t, env)
		caseID := newCaseFromTheCommandLine(t)
		ctx := dbtest.System()

		broken := writeList(t, "individual,Ada Lovelace,078-05-1120,,", "persn,Bob,,,", "individual,Cy,078-05-1120,other,1.234")
		var out, errOut bytes.Buffer
		if code := run(ctx, []string{"import", "victims", "--case", caseID, broken}, nil, &out, &errOut); code != 1 {
			t.Fatalf("a list with errors: exit %d; stdout %q; stderr %q", code, out.String(), errOut.String())
		}
		wantReport := "line,column,message\n" +
			"3,kind,\"must be one of individual, business, government, insurer, compensation_fund\"\n" +
			"4,ssn,has the same SSN as line 2\n" +
			"4,loss_amount,must have at most two decimal places (whole cents)\n"
		if out.String() != wantReport || !strings.Contains(errOut.String(), "3 errors") || !strings.Contains(errOut.String(), "nothing was imported") {
			t.Fatalf("report %q; stderr %q", out.String(), errOut.String())
		}
		if strings.Contains(out.String()+errOut.String(), "078-05-1120") {
			t.Fatal("the report quotes an SSN from the file")
		}

		fixed := writeList(t, "individual,Ada Lovelace,078-05-1120,,", "business,Mesa Hardware LLC,,fraudulent_charges,\"1,234.56\"")
		out.Reset()
		errOut.Reset()
		// The flag may come after the file too.
		if code := run(ctx, []string{"import", "victims", fixed, "--case", caseID}, nil, &out, &errOut); code != 0 ||
			!strings.HasPrefix(out.String(), "imported 2 victims and 1 losses into case "+caseID) {
			t.Fatalf("the fixed list: exit %d; stdout %q; stderr %q", code, out.String(), errOut.String())
		}
		_, _, store, _ := setup(ctx, io.Discard)
		defer store.Close()
		page, err := store.ListVictims(ctx, caseID, models.VictimFilter{})
		if err != nil || len(page.Items) != 2 {
			t.Fatalf("victims after the import: %d, %v", len(page.Items), err)
		}
		audits, err := store.ListAuditEvents(ctx, models.AuditFilter{Action: "victim.import"})
		if err != nil || len(audits.Items) != 2 || audits.Items[0].ActorID != "cli" {
			t.Fatalf("audit events %+v, %v", audits.Items, err)
		}

		for _, tc := range []struct {
			args []string
			code int
			says string
		}{
			{[]string{"import"}, 2, "import victims --case"},
			{[]string{"import", "victims", fixed}, 2, "--case must be a case's ID"},
			{[]string{"import", "victims", "--case", caseID}, 2, "name one CSV file"},
			{[]string{"import", "victims", "--case", caseID, "a.csv", "b.csv"}, 2, "name one CSV file"},
			{[]string{"import", "victims", "--case", caseID, filepath.Join(t.TempDir(), "none.csv")}, 1, "is not a file that can be read"},
			{[]string{"import", "victims", "--case", "01a2d3f4-0000-7000-8000-000000000000", fixed}, 1, "there is no case"},
		} {
			errOut.Reset()
			if code := run(ctx, tc.args, nil, io.Discard, &errOut); code != tc.code || !strings.Contains(errOut.String(), tc.says) {
				t.Errorf("impactledger %v: exit %d, %q; want %d saying %q", tc.args, code, errOut.String(), tc.code, tc.says)
			}
		}
	})
}

func TestImportVictimsCommandStoppedImportsNothing(t *testing.T) {
	eachDatabase(t, func(t *testing.T, env map[string]string) {
		setEnv(t, env)
		caseID := newCaseFromTheCommandLine(t)
		rows := make([]string, 3000)
		for i := range rows {
			rows[i] = fmt.Sprintf("individual,Person %d,,other,%d", i, i)
		}
		path := writeList(t, rows...)
		// Interrupted as soon as it starts writing, as by Ctrl-C.
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var errOut bytes.Buffer
		done := make(chan int)
		go func() {
			done <- run(ctx, []string{"import", "victims", "--case", caseID, path}, nil, io.Discard, &errOut)
		}()
		_, _, store, _ := setup(context.Background(), io.Discard)
		defer store.Close()
		for deadline := time.Now().Add(time.Minute); ; {
			page, err := store.ListVictimImports(dbtest.System(), caseID, 1, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) == 1 && page.Items[0].Status == models.ImportImporting && page.Items[0].RowsDone > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the import never got to writing: %+v", page.Items)
			}
			time.Sleep(time.Millisecond)
		}
		cancel()
		if code := <-done; code != 1 || !strings.Contains(errOut.String(), "stopped; nothing was imported") {
			t.Fatalf("interrupted: exit %d, %q", code, errOut.String())
		}
		page, err := store.ListVictims(dbtest.System(), caseID, models.VictimFilter{})
		imports, _ := store.ListVictimImports(dbtest.System(), caseID, 1, "")
		if err != nil || len(page.Items) != 0 || imports.Items[0].Status != models.ImportFailed || imports.Items[0].Failure != models.ImportStopped {
			t.Fatalf("after the interruption: %d victims (%v), import %+v", len(page.Items), err, imports.Items)
		}
	})
}

// TestImportVictimsCommandRecoversADeadOne leaves a command-line import half written, as a killed run does
// where no service runs to notice: the next command line rolls it back first, and the same list imports.
func TestImportVictimsCommandRecoversADeadOne(t *testing.T) {
	eachDatabase(t, func(t *testing.T, env map[string]string) {
		setEnv(t, env)
		caseID := newCaseFromTheCommandLine(t)
		rows := make([]string, 1200)
		for i := range rows {
			rows[i] = fmt.Sprintf("individual,Person %d,%03d-%02d-%04d,other,%d", i, 100+i/9000, 10+(i/100)%89, 1000+i%9000, i)
		}
		path := writeList(t, rows...)
		ctx := models.WithRequest(context.Background(), models.RequestInfo{ID: "test", Actor: models.Actor{Type: models.ActorSystem, ID: "cli"}})
		_, _, store, _ := setup(ctx, io.Discard)
		defer store.Close()
		imp, err := store.StartCommandLineImport(ctx, caseID, path)
		if err != nil {
			t.Fatal(err)
		}
		// A run that dies once it has written its first chunk, its heartbeat long stopped.
		stop, cancel := context.WithCancel(ctx)
		open := func() (io.ReadCloser, error) { return os.Open(path) }
		_ = store.RunVictimImport(stop, imp.ID, models.ImportRun{OpenLocal: open, Progress: func(v models.VictimImport) {
			if v.Status == models.ImportImporting && v.RowsDone > 0 {
				cancel()
			}
		}})
		db, _ := store.SQLDB()
		if _, err := db.Exec(map[bool]string{true: "UPDATE victim_imports SET heartbeat_at = $1", false: "UPDATE victim_imports SET heartbeat_at = ?"}[store.Dialect() == models.Postgres],
			time.Now().Add(-time.Hour).UTC()); err != nil {
			t.Fatal(err)
		}
		var out, errOut bytes.Buffer
		if code := run(context.Background(), []string{"import", "victims", "--case", caseID, path}, nil, &out, &errOut); code != 0 {
			t.Fatalf("exit %d: %s %s", code, out.String(), errOut.String())
		}
		if !strings.Contains(errOut.String(), "rolled back import "+imp.ID) || !strings.HasPrefix(out.String(), "imported 1200 victims") {
			t.Fatalf("stdout %q; stderr %q", out.String(), errOut.String())
		}
		dead, err := store.VictimImportByID(ctx, imp.ID)
		if err != nil || dead.Status != models.ImportFailed || dead.Failure != models.ImportStopped {
			t.Fatalf("the dead import: %+v, %v", dead, err)
		}
	})
}
