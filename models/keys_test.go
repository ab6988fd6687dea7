package models_test

import (
	"bytes"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"testing"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/models"
	"github.com/impactledger/impactledger/sealing"
)

const secretNote = "Victim Jane Roe, SSN 078-05-1120, lives at 12 Orchard Lane"

// TestNotesAreSealedAtRest reads the database the way a thief with a copy would: the raw SQLite file and
// its write-ahead log, or PostgreSQL's stored column values; the note must not be there in plain text.
func TestNotesAreSealedAtRest(t *testing.T) {
	cfg := dbtest.SQLiteConfig(t)
	s, err := models.Open(dbtest.System(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	migrate(t, s)
	nc := mesaCase("22CR371")
	nc.Notes = secretNote
	c := mustCreate(t, s, nc)
	if got, _ := s.CaseByID(dbtest.System(), c.ID); got.Notes != secretNote {
		t.Fatalf("read back %q", got.Notes)
	}
	s.Close()
	for _, file := range []string{cfg.DSN, cfg.DSN + "-wal"} {
		raw, err := os.ReadFile(file)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte("078-05-1120")) || bytes.Contains(raw, []byte("Orchard")) {
			t.Fatalf("%s holds the note in plain text", file)
		}
	}

	pgURL := dbtest.PostgresURL(t)
	if pgURL == "" {
		return
	}
	pgCfg := dbtest.PostgresConfig(t, pgURL)
	pg, err := models.Open(dbtest.System(), pgCfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	migrate(t, pg)
	mustCreate(t, pg, nc)
	var stored string
	if err := rawDB(t, pg).QueryRow("SELECT notes FROM cases").Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains([]byte(stored), []byte("Orchard")) {
		t.Fatal("PostgreSQL holds the note in plain text")
	}
	out := pgDump(t, pgCfg.DSN)
	if !bytes.Contains(out, []byte("People v. Tina Peters")) {
		t.Fatal("pg_dump did not dump the test schema's cases")
	}
	if bytes.Contains(out, []byte("078-05-1120")) || bytes.Contains(out, []byte("Orchard")) {
		t.Fatal("pg_dump shows the note in plain text")
	}
}

// pgDump dumps the data of the test schema named in dsn's search_path with the real pg_dump, as a backup
// would be taken. PostgreSQL's client tools come with the server, so a missing pg_dump fails the test.
func pgDump(t *testing.T, dsn string) []byte {
	t.Helper()
	dump, err := exec.LookPath("pg_dump")
	if err != nil {
		t.Fatal("pg_dump is not installed; it comes with PostgreSQL's client tools (apt-get install postgresql-client)")
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	schema := q.Get("search_path")
	q.Del("search_path")
	u.RawQuery = q.Encode()
	out, err := exec.Command(dump, "--data-only", "--schema="+schema, u.String()).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	return out
}

// TestSealedValuesAreBoundToTheirRow copies one case's sealed notes into another case behind the app's
// back: reading the second case must fail rather than show the first case's notes.
func TestSealedValuesAreBoundToTheirRow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		a := mesaCase("22CR371")
		a.Notes = secretNote
		ca := mustCreate(t, s, a)
		cb := mustCreate(t, s, mesaCase("22CR372"))
		db := rawDB(t, s)
		var sealed string
		if err := db.QueryRow(rebindQ(s, "SELECT notes FROM cases WHERE id = ?"), ca.ID).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(rebindQ(s, "UPDATE cases SET notes = ? WHERE id = ?"), sealed, cb.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := s.CaseByID(dbtest.System(), cb.ID); err == nil {
			t.Fatalf("a ciphertext moved to another row opened: %q", got.Notes)
		}
	})
}

// TestRotationKeepsEverythingReadable rotates to a new first key, drops the old one, and reads every case.
func TestRotationKeepsEverythingReadable(t *testing.T) {
	cfg := dbtest.SQLiteConfig(t)
	s, err := models.Open(dbtest.System(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	migrate(t, s)
	for _, n := range []string{"1", "2", "3"} {
		nc := mesaCase("22CR" + n)
		nc.Notes = "note " + n
		mustCreate(t, s, nc)
	}
	s.Close()

	newKey := dbtest.NewKeys(t)[0]
	cfg.Keys = []sealing.KEK{newKey, cfg.Keys[0]}
	s, err = models.Open(dbtest.System(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The three cases' data keys and the audit chain's key.
	if n, err := s.RotateKeys(dbtest.System(), nil); err != nil || n != 4 {
		t.Fatalf("RotateKeys = %d, %v; want 4 data keys rewrapped", n, err)
	}
	s.Close()

	cfg.Keys = []sealing.KEK{newKey}
	s, err = models.Open(dbtest.System(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CheckKeys(dbtest.System()); err != nil {
		t.Fatal(err)
	}
	page, err := s.ListCases(dbtest.System(), models.CaseFilter{})
	if err != nil || len(page.Items) != 3 {
		t.Fatalf("after rotation: %d cases, %v", len(page.Items), err)
	}

	// The right id with the wrong bytes is refused too, naming the key.
	impostor := dbtest.NewKeys(t)[0]
	impostor.ID = newKey.ID
	cfg.Keys = []sealing.KEK{impostor}
	wrongBytes, err := models.Open(dbtest.System(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer wrongBytes.Close()
	var wrongKey *models.WrongKeyError
	if err := wrongBytes.CheckKeys(dbtest.System()); !errors.As(err, &wrongKey) || wrongKey.ID != newKey.ID {
		t.Fatalf("CheckKeys with the wrong bytes under the right id: %v", err)
	}

	// With only a key that never wrapped anything, the store says which key it needs.
	cfg.Keys = dbtest.NewKeys(t)
	wrong, err := models.Open(dbtest.System(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer wrong.Close()
	var missing *models.MissingKeyError
	if err := wrong.CheckKeys(dbtest.System()); !errors.As(err, &missing) || missing.IDs[0] != newKey.ID {
		t.Fatalf("CheckKeys with the wrong key: %v", err)
	}
}

func migrate(t *testing.T, s *models.Store) {
	t.Helper()
	if err := dbtest.Migrate(s); err != nil {
		t.Fatal(err)
	}
}

func rebindQ(s *models.Store, q string) string {
	if s.Dialect() != models.Postgres {
		return q
	}
	out, n := []byte{}, 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			out = append(out, []byte("$"+string(rune('0'+n)))...)
			continue
		}
		out = append(out, q[i])
	}
	return string(out)
}

// TestRolledBackKeysAreForgotten: a data key made and read back in a transaction that rolls back must not
// stay in memory, or values sealed under it later would have no stored key to open them.
func TestRolledBackKeysAreForgotten(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := dbtest.System()
		if err := s.MakeKeyThenRollBack(ctx, models.GlobalScope); err != nil {
			t.Fatal(err)
		}
		dana := mustCreateUser(t, s, "dana@mesa.gov", models.RoleAdvocate)
		if _, err := s.StartMFAEnrollment(ctx, dana.ID); err != nil {
			t.Fatal(err)
		}
		var stored int
		if err := rawDB(t, s).QueryRow("SELECT count(*) FROM data_keys WHERE scope = 'global'").Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if stored != 1 {
			t.Fatalf("a secret was sealed under a data key that is stored %d times", stored)
		}
	})
}
