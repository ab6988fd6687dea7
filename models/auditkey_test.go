package models_test

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/models"
	"github.com/impactledger/impactledger/sealing"
)

// allEvents reads the whole audit trail, oldest first.
func allEvents(t *testing.T, s *models.Store) []models.AuditEvent {
	t.Helper()
	var events []models.AuditEvent
	f := models.AuditFilter{Limit: 500}
	for {
		page, err := s.ListAuditEvents(dbtest.System(), f)
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, page.Items...)
		if page.NextBeforeSeq == 0 {
			break
		}
		f.BeforeSeq = page.NextBeforeSeq
	}
	slices.Reverse(events)
	return events
}

func sqlExec(t *testing.T, s *models.Store, query string, args ...any) {
	t.Helper()
	if _, err := rawDB(t, s).Exec(dbtest.Rebind(s.Dialect(), query), args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// attackerMAC is the keyed hash an attacker who read the source computes, under a key of their own.
func attackerMAC(key []byte, e models.AuditEvent) string {
	fields, _ := json.Marshal([]any{
		e.Seq, e.ID, e.OccurredAt.UTC().Format(time.RFC3339Nano), e.ActorType, e.ActorID, e.Action,
		e.ObjectType, e.ObjectID, e.CaseID, e.Outcome, e.RequestID, e.ClientIP, e.Detail, e.KeyID, stampOf(e.PrevOccurredAt),
	})
	m := hmac.New(sha256.New, key)
	m.Write([]byte("impactledger audit event v2\n" + e.PrevHash + "\n"))
	m.Write(fields)
	return hex.EncodeToString(m.Sum(nil))
}

func attackerHeadMAC(key []byte, last models.AuditEvent) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("impactledger audit head v2\n" + strconv.FormatInt(last.Seq, 10) + "\n" + last.Hash + "\n" + stampOf(&last.OccurredAt)))
	return hex.EncodeToString(m.Sum(nil))
}

func stampOf(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func legacyHashOf(e models.AuditEvent) string {
	return dbtest.LegacyAuditHash(e.PrevHash, e.Seq, e.ID, e.OccurredAt, string(e.ActorType), e.ActorID, e.Action,
		e.ObjectType, e.ObjectID, e.CaseID, string(e.Outcome), e.RequestID, e.ClientIP)
}

// rewrite is someone with the database owner's rights: the append-only triggers off, event from's action
// changed to action (unless action is empty), and every event from there on given a new hash by rehash
// (which may change its key id and the previous event's time), each chained to the one before, and the head
// moved to the last.
func rewrite(t *testing.T, s *models.Store, from int64, action string, rehash func(e *models.AuditEvent), headMAC func(last models.AuditEvent) string) {
	t.Helper()
	disableAuditTriggers(t, s)
	prev := ""
	var last models.AuditEvent
	for _, e := range allEvents(t, s) {
		if e.Seq < from {
			prev = e.Hash
			continue
		}
		if e.Seq == from && action != "" {
			e.Action = action
		}
		if e.Seq > 1 || e.PrevHash != "0000000000000000000000000000000000000000000000000000000000000000" {
			e.PrevHash = prev
		}
		rehash(&e)
		sqlExec(t, s, "UPDATE audit_events SET action = ?, key_id = ?, prev_hash = ?, prev_occurred_at = ?, hash = ? WHERE seq = ?",
			e.Action, e.KeyID, e.PrevHash, e.PrevOccurredAt, e.Hash, e.Seq)
		prev, last = e.Hash, e
	}
	sqlExec(t, s, "UPDATE audit_chain SET seq = ?, hash = ?, key_id = ?, mac = ? WHERE id = 1", last.Seq, last.Hash, last.KeyID, headMAC(last))
}

// revealedChain records a victim's SSN being revealed as event 3, between other events: the event an insider
// would want to hide.
func revealedChain(t *testing.T, s *models.Store) int64 {
	t.Helper()
	ctx := dbtest.System()
	c := mustCreate(t, s, mesaCase("22CR371"))
	v, err := s.CreateVictim(ctx, c.ID, janeRoe())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.VictimByID(ctx, v.ID, true); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		mustCreate(t, s, mesaCase(fmt.Sprintf("22CR%03d", i)))
	}
	events := allEvents(t, s)
	if events[2].Action != "victim.reveal_ssn" || events[2].Seq != 3 {
		t.Fatalf("event 3 is %+v; want the reveal", events[2])
	}
	return 3
}

func wantBrokenAt(t *testing.T, s *models.Store, seq int64) *models.BrokenChainError {
	t.Helper()
	_, err := s.VerifyAudit(dbtest.System(), nil)
	var broken *models.BrokenChainError
	if !errors.As(err, &broken) || broken.Seq != seq {
		t.Fatalf("VerifyAudit = %v; want the chain broken at event %d", err, seq)
	}
	return broken
}

// TestRecomputedChainIsCaught is the insider of the security review: with the database owner's rights they
// rewrite a victim.reveal_ssn event as victim.read and recompute every hash after it, with the plain SHA-256
// the chain used to have, with an HMAC under a key of their own, or passing the rewritten events off as
// unkeyed ones from before the checkpoint. Each time verification names the rewritten event.
func TestRecomputedChainIsCaught(t *testing.T) {
	wrongKey := make([]byte, 32)
	rand.Read(wrongKey)
	for _, tc := range []struct {
		name    string
		rehash  func(e *models.AuditEvent)
		headMAC func(last models.AuditEvent) string
	}{
		{"plain SHA-256", func(e *models.AuditEvent) { e.Hash = legacyHashOf(*e) },
			func(last models.AuditEvent) string { return "" }},
		{"HMAC under another key", func(e *models.AuditEvent) { e.Hash = attackerMAC(wrongKey, *e) },
			func(last models.AuditEvent) string { return attackerHeadMAC(wrongKey, last) }},
		{"passed off as unkeyed", func(e *models.AuditEvent) { e.KeyID, e.PrevOccurredAt = "", nil; e.Hash = legacyHashOf(*e) },
			func(last models.AuditEvent) string { return "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, s *models.Store) {
				seq := revealedChain(t, s)
				if sum, err := s.VerifyAudit(dbtest.System(), nil); err != nil || sum.Keyed != 7 || sum.Legacy != 0 {
					t.Fatalf("before the rewrite: %+v, %v", sum, err)
				}
				rewrite(t, s, seq, "victim.read", tc.rehash, tc.headMAC)
				if events := allEvents(t, s); events[seq-1].Action != "victim.read" {
					t.Fatalf("the rewrite did not take: %+v", events[seq-1])
				}
				wantBrokenAt(t, s, seq)
			})
		})
	}
	// Passing the whole trail off as unkeyed leaves no keyed event to break at, but a chain of unkeyed events
	// that no checkpoint sealed is not taken for intact.
	t.Run("all passed off as unkeyed", func(t *testing.T) {
		dbtest.Each(t, func(t *testing.T, s *models.Store) {
			seq := revealedChain(t, s)
			rewrite(t, s, 1, "", func(e *models.AuditEvent) {
				if e.Seq == seq {
					e.Action = "victim.read"
				}
				e.KeyID, e.PrevOccurredAt = "", nil
				e.Hash = legacyHashOf(*e)
			}, func(models.AuditEvent) string { return "" })
			if b := wantBrokenAt(t, s, 7); !strings.Contains(b.Reason, "no checkpoint") {
				t.Fatalf("reason %q", b.Reason)
			}
		})
	})
}

// TestWoundBackHeadIsCaught removes the newest events and winds the chain head back to the event before them,
// which a plain head allowed: verification must see it, and the service must not chain new events to it,
// which would make the removal look intact for ever after.
func TestWoundBackHeadIsCaught(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		revealedChain(t, s)
		events := allEvents(t, s)
		disableAuditTriggers(t, s)
		sqlExec(t, s, "DELETE FROM audit_events WHERE seq > 4")
		sqlExec(t, s, "UPDATE audit_chain SET seq = ?, hash = ? WHERE id = 1", events[3].Seq, events[3].Hash)
		wantBrokenAt(t, s, 4)
		if _, err := s.CreateCase(dbtest.System(), mesaCase("23CR001")); !errors.Is(err, models.ErrAuditHeadTampered) {
			t.Fatalf("CreateCase on a wound-back head: %v; want ErrAuditHeadTampered", err)
		}
		// Stripping the head's key to pass it off as a legacy head does not help either.
		sqlExec(t, s, "UPDATE audit_chain SET key_id = '', mac = '' WHERE id = 1")
		if _, err := s.CreateCase(dbtest.System(), mesaCase("23CR002")); !errors.Is(err, models.ErrAuditHeadTampered) {
			t.Fatalf("CreateCase on a head stripped of its key: %v; want ErrAuditHeadTampered", err)
		}
		wantBrokenAt(t, s, 4)
		// Nor does resetting it to the start of an empty trail while the events remain.
		sqlExec(t, s, "UPDATE audit_chain SET seq = 0, hash = ? WHERE id = 1", "0000000000000000000000000000000000000000000000000000000000000000")
		wantBrokenAt(t, s, 1)
		if _, err := s.CreateCase(dbtest.System(), mesaCase("23CR003")); !errors.Is(err, models.ErrAuditHeadTampered) {
			t.Fatalf("CreateCase on a head reset to the start: %v; want ErrAuditHeadTampered", err)
		}
	})
}

// TestLegacyChainIsCarriedOver starts from a trail written before the chain was keyed (1,501 events with
// plain SHA-256): a checkpoint seals it, verification then passes, and rewriting a legacy event with its
// hashes recomputed is caught at the checkpoint, whose keyed hash covers the legacy head.
func TestLegacyChainIsCarriedOver(t *testing.T) {
	const legacy = 1501
	start := time.Now().Add(-48 * time.Hour)
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := dbtest.System()
		dbtest.WriteLegacyAuditChain(t, rawDB(t, s), s.Dialect(), legacy, start)
		if b := wantBrokenAt(t, s, legacy); !strings.Contains(b.Reason, "no checkpoint") {
			t.Fatalf("unsealed legacy chain: %v", b)
		}
		sealed, err := s.SealAuditChain(ctx)
		if err != nil || !sealed {
			t.Fatalf("SealAuditChain = %v, %v", sealed, err)
		}
		if sealed, err := s.SealAuditChain(ctx); err != nil || sealed {
			t.Fatalf("SealAuditChain again = %v, %v; want nothing to do", sealed, err)
		}
		mustCreate(t, s, mesaCase("24CR001"))
		sum, err := s.VerifyAudit(ctx, nil)
		if err != nil || sum.Legacy != legacy || sum.Keyed != 2 || sum.Events != legacy+2 {
			t.Fatalf("after the checkpoint: %+v, %v", sum, err)
		}
		events := allEvents(t, s)
		cp := events[legacy]
		if cp.Action != models.CheckpointAction || cp.PrevHash != events[legacy-1].Hash || cp.KeyID != models.AuditDataKeyID ||
			cp.Detail != fmt.Sprintf(`{"legacy_events":%d,"legacy_head_seq":%d}`, legacy, legacy) || cp.ActorType != models.ActorSystem {
			t.Fatalf("checkpoint %+v", cp)
		}

		// The insider rewrites legacy event 700 and recomputes the legacy hashes after it, up to the head of
		// the legacy events; the checkpoint's keyed hash, which they cannot recompute, still names the old head.
		disableAuditTriggers(t, s)
		prev := events[698].Hash
		for _, e := range events[699:legacy] {
			if e.Seq == 700 {
				e.Action = "case.read"
			}
			e.PrevHash = prev
			e.Hash = legacyHashOf(e)
			sqlExec(t, s, "UPDATE audit_events SET action = ?, prev_hash = ?, hash = ? WHERE seq = ?", e.Action, e.PrevHash, e.Hash, e.Seq)
			prev = e.Hash
		}
		if b := wantBrokenAt(t, s, legacy+1); !strings.Contains(b.Reason, "does not follow") {
			t.Fatalf("reason %q", b.Reason)
		}
		// Pointing the checkpoint at the new legacy head breaks its keyed hash instead.
		sqlExec(t, s, "UPDATE audit_events SET prev_hash = ? WHERE seq = ?", prev, legacy+1)
		wantBrokenAt(t, s, legacy+1)
	})
}

// TestFirstKeyedEventSealsALegacyChain checks that the checkpoint cannot be skipped: a service that appends
// to a legacy chain without start-up having sealed it seals it first, in the same transaction.
func TestFirstKeyedEventSealsALegacyChain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		dbtest.WriteLegacyAuditChain(t, rawDB(t, s), s.Dialect(), 3, time.Now().Add(-time.Hour))
		mustCreate(t, s, mesaCase("24CR002"))
		events := allEvents(t, s)
		if len(events) != 5 || events[3].Action != models.CheckpointAction || events[4].Action != "case.create" {
			t.Fatalf("events %+v", events)
		}
		if sum, err := s.VerifyAudit(dbtest.System(), nil); err != nil || sum.Legacy != 3 || sum.Keyed != 2 {
			t.Fatalf("VerifyAudit = %+v, %v", sum, err)
		}
		// An unkeyed event slipped in after the keyed ones is a break, however well its plain hash chains.
		e := events[4]
		next := models.AuditEvent{Seq: 6, ID: "01a00000-0000-7000-8000-000000000006", OccurredAt: e.OccurredAt, ActorType: models.ActorSystem,
			Action: "case.read", Outcome: models.OutcomeSuccess, PrevHash: e.Hash}
		next.Hash = legacyHashOf(next)
		sqlExec(t, s, "INSERT INTO audit_events (seq, id, occurred_at, actor_type, action, outcome, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			next.Seq, next.ID, next.OccurredAt, next.ActorType, next.Action, next.Outcome, next.PrevHash, next.Hash)
		sqlExec(t, s, "UPDATE audit_chain SET seq = 6, hash = ?, key_id = '', mac = '' WHERE id = 1", next.Hash)
		if b := wantBrokenAt(t, s, 6); !strings.Contains(b.Reason, "not keyed") {
			t.Fatalf("reason %q", b.Reason)
		}
	})
}

// TestAuditChainSurvivesKeyRotation rotates the key-encryption keys and removes the old one: the audit data
// key is rewrapped with the other data keys, so events chained under it still verify and new ones follow.
func TestAuditChainSurvivesKeyRotation(t *testing.T) {
	var cfg models.Config
	dbtest.EachWith(t, func(c *models.Config) { cfg = *c }, func(t *testing.T, s *models.Store) {
		ctx := dbtest.System()
		revealedChain(t, s)
		if e := allEvents(t, s)[0]; e.KeyID != models.AuditDataKeyID {
			t.Fatalf("event chained with %q; want the audit data key", e.KeyID)
		}
		oldKEK, newKEK := cfg.Keys[0], dbtest.NewKeys(t)[0]
		reopen := func(keks ...sealing.KEK) *models.Store {
			c := cfg
			c.Keys = keks
			s, err := models.Open(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
		both := reopen(newKEK, oldKEK)
		if _, err := both.RotateKeys(ctx, nil); err != nil {
			t.Fatal(err)
		}
		rotated := reopen(newKEK)
		if usage, err := rotated.KeyUsage(ctx); err != nil || usage[oldKEK.ID] != 0 {
			t.Fatalf("key usage after rotation %v, %v", usage, err)
		}
		mustCreate(t, rotated, mesaCase("24CR003"))
		sum, err := rotated.VerifyAudit(ctx, nil)
		if err != nil || sum.Keyed != 9 {
			t.Fatalf("after rotation without the old key: %+v, %v", sum, err)
		}
	})
}

// TestConfiguredAuditKeys runs the chain under keys of the operator's own (IMPACTLEDGER_AUDIT_KEY): the first
// chains new events, all verify, rotation to a new key keeps the old events verifiable while the old key stays
// listed, and a chain under a key no longer configured is reported, naming the key, and not extended.
func TestConfiguredAuditKeys(t *testing.T) {
	var cfg models.Config
	dbtest.EachWith(t, func(c *models.Config) { cfg = *c }, func(t *testing.T, s *models.Store) {
		ctx := dbtest.System()
		k1, k2, k3 := dbtest.NewKeys(t)[0], dbtest.NewKeys(t)[0], dbtest.NewKeys(t)[0]
		k1.ID, k2.ID, k3.ID = "audit-1", "audit-2", "audit-3"
		reopen := func(audit ...sealing.KEK) *models.Store {
			c := cfg
			c.AuditKeys = audit
			s, err := models.Open(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
		// The default audit data key first, then an operator's key: both verify.
		mustCreate(t, s, mesaCase("25CR001"))
		one := reopen(k1)
		mustCreate(t, one, mesaCase("25CR002"))
		if sum, err := one.VerifyAudit(ctx, nil); err != nil || sum.Keyed != 2 {
			t.Fatalf("data key then audit-1: %+v, %v", sum, err)
		}
		two := reopen(k2, k1)
		mustCreate(t, two, mesaCase("25CR003"))
		events := allEvents(t, two)
		if got := []string{events[0].KeyID, events[1].KeyID, events[2].KeyID}; !slices.Equal(got, []string{models.AuditDataKeyID, "audit-1", "audit-2"}) {
			t.Fatalf("key ids %v", got)
		}
		if sum, err := two.VerifyAudit(ctx, nil); err != nil || sum.Keyed != 3 {
			t.Fatalf("audit-2 then audit-1: %+v, %v", sum, err)
		}
		// audit-1 dropped: its event cannot be verified, and verification says so by name.
		alone := reopen(k2)
		_, err := alone.VerifyAudit(ctx, nil)
		var broken *models.BrokenChainError
		if !errors.As(err, &broken) || broken.Seq != 2 || broken.MissingKeyID != "audit-1" || !strings.Contains(err.Error(), `"audit-1"`) {
			t.Fatalf("VerifyAudit without audit-1 = %v; want event 2 unverifiable under audit-1", err)
		}
		// A head chained under a key no longer configured is not extended.
		stranger := reopen(k3)
		var missing *models.AuditKeyMissingError
		if _, err := stranger.CreateCase(ctx, mesaCase("25CR004")); !errors.As(err, &missing) || missing.KeyID != "audit-2" {
			t.Fatalf("CreateCase with only audit-3: %v; want audit-2 missing", err)
		}
		// Nothing was ever chained under the audit data key after audit-1 came: no new one was made.
		var scopes int
		if err := rawDB(t, s).QueryRow(dbtest.Rebind(s.Dialect(), "SELECT count(*) FROM data_keys WHERE scope = ?"), models.AuditChainScope).Scan(&scopes); err != nil || scopes != 1 {
			t.Fatalf("audit data keys: %d, %v", scopes, err)
		}
	})
}

// TestLostAuditDataKeyIsNotReplaced deletes the audit data key: the service refuses to chain events under a
// new one, which the old events would not match, and verification names the key.
func TestLostAuditDataKeyIsNotReplaced(t *testing.T) {
	var cfg models.Config
	dbtest.EachWith(t, func(c *models.Config) { cfg = *c }, func(t *testing.T, s *models.Store) {
		ctx := dbtest.System()
		mustCreate(t, s, mesaCase("26CR001"))
		sqlExec(t, s, "DELETE FROM data_keys WHERE scope = ?", models.AuditChainScope)
		fresh, err := models.Open(ctx, cfg) // nothing cached in memory
		if err != nil {
			t.Fatal(err)
		}
		defer fresh.Close()
		var missing *models.AuditKeyMissingError
		if _, err := fresh.CreateCase(ctx, mesaCase("26CR002")); !errors.As(err, &missing) || missing.KeyID != models.AuditDataKeyID {
			t.Fatalf("CreateCase without the audit data key: %v", err)
		}
		_, err = fresh.VerifyAudit(ctx, nil)
		var broken *models.BrokenChainError
		if !errors.As(err, &broken) || broken.Seq != 1 || broken.MissingKeyID != models.AuditDataKeyID {
			t.Fatalf("VerifyAudit = %v", err)
		}
	})
}
