package dbtest

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/impactledger/impactledger/models"
)

// LegacyAuditHash is how audit events were chained before the chain was keyed (migration 14): plain SHA-256
// over the previous hash and a JSON array of the event's fields. It is written out here, apart from the
// models package, so that tests pin the format databases of that time hold: a change to how the store
// checks legacy events that no longer matches it fails them.
func LegacyAuditHash(prevHash string, seq int64, id string, at time.Time, actorType, actorID, action, objectType, objectID string,
	caseID *string, outcome, requestID, clientIP string) string {
	fields, _ := json.Marshal([]any{seq, id, at.UTC().Format(time.RFC3339Nano), actorType, actorID, action,
		objectType, objectID, caseID, outcome, requestID, clientIP})
	sum := sha256.Sum256(append([]byte(prevHash+"\n"), fields...))
	return hex.EncodeToString(sum[:])
}

// Rebind writes a statement's ? placeholders as $1, $2… for PostgreSQL, for tests that use database/sql.
func Rebind(d models.Dialect, query string) string {
	if d != models.Postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// WriteLegacyAuditChain appends n events to the audit trail as the service did before the chain was keyed,
// with their plain SHA-256 hashes, and moves the chain head to the last: a database of that time. The
// events are case creations by one user, one a second apart from start; the trail must be empty or hold
// legacy events only.
func WriteLegacyAuditChain(t testing.TB, db *sql.DB, d models.Dialect, n int, start time.Time) {
	t.Helper()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var seq int64
	var prev string
	if err := tx.QueryRow("SELECT seq, hash FROM audit_chain WHERE id = 1").Scan(&seq, &prev); err != nil {
		t.Fatal(err)
	}
	actor := uuid.NewString()
	insert := Rebind(d, "INSERT INTO audit_events (seq, id, occurred_at, actor_type, actor_id, action, object_type, object_id, "+
		"case_id, outcome, request_id, client_ip, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
	for i := range n {
		seq++
		id, caseID, requestID := uuid.NewString(), uuid.NewString(), uuid.NewString()
		at := start.Add(time.Duration(i) * time.Second).UTC().Truncate(time.Microsecond)
		hash := LegacyAuditHash(prev, seq, id, at, "user", actor, "case.create", "case", caseID, &caseID, "success", requestID, "192.0.2.7")
		if _, err := tx.Exec(insert, seq, id, at, "user", actor, "case.create", "case", caseID, caseID, "success",
			requestID, "192.0.2.7", prev, hash); err != nil {
			t.Fatalf("writing legacy audit event %d: %v", seq, err)
		}
		prev = hash
	}
	if _, err := tx.Exec(Rebind(d, "UPDATE audit_chain SET seq = ?, hash = ? WHERE id = 1"), seq, prev); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}
