package models

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// ActorType says who did something the audit trail records.
type ActorType string

// The kinds of actor. Anonymous covers requests made before anyone signed in, such as a failed sign-in
// with an unknown email.
const (
	ActorUser      ActorType = "user"
	ActorVictim    ActorType = "victim"
	ActorSystem    ActorType = "system"
	ActorAnonymous ActorType = "anonymous"
)

// Actor is who a request acts for. Role is set for staff users and decides which cases they see.
type Actor struct {
	Type ActorType
	ID   string
	Role Role
}

// Outcome is how an audited action ended.
type Outcome string

// The outcomes of an audited action.
const (
	OutcomeSuccess Outcome = "success"
	OutcomeDenied  Outcome = "denied"
	OutcomeFailure Outcome = "failure"
)

// AuditEvent is one row of the append-only audit trail. It holds IDs and codes only, never personal data.
// Hash is an HMAC-SHA256, under the audit key named by KeyID, of every other field and PrevHash, chaining each
// row to the one before it. Events written before the chain was keyed have no KeyID and a plain SHA-256
// (see legacyHash); a checkpoint event seals them.
type AuditEvent struct {
	Seq        int64 `gorm:"primaryKey;autoIncrement:false"`
	ID         string
	OccurredAt time.Time
	ActorType  ActorType
	ActorID    string
	Action     string
	ObjectType string
	ObjectID   string
	CaseID     *string
	Outcome    Outcome
	RequestID  string
	ClientIP   string
	// Detail is a small JSON object of IDs, codes, field names and counts (never personal data), or "".
	Detail   string
	KeyID    string
	PrevHash string
	// PrevOccurredAt is when the event before it occurred (nil for the first event, and for events from
	// before the chain was keyed). Keyed with the rest, it shows whether that event was old enough to be
	// purged, once it no longer exists.
	PrevOccurredAt *time.Time
	Hash           string
}

// auditChain is the head of the chain: the sequence number, hash and time of the latest event, and MAC, an
// HMAC of the three under the key (KeyID) that chained that event, so that nobody but the service can move
// the head; a head it once wrote, restored from a backup, still shows by the events beyond it. A head without
// KeyID is the genesis (Seq 0) or a legacy head awaiting its checkpoint; neither has OccurredAt.
type auditChain struct {
	ID         int `gorm:"primaryKey"`
	Seq        int64
	Hash       string
	OccurredAt *time.Time
	KeyID      string
	MAC        string `gorm:"column:mac"`
}

func (auditChain) TableName() string { return "audit_chain" }

// RequestInfo is what the audit trail and the logs need to know of the request being served.
type RequestInfo struct {
	ID       string
	ClientIP string
	Actor    Actor
	// Operation is the API operation the request calls (the contract's operationId), once the router knows
	// it, for the refusals the store records on its own (a throttled sign-in).
	Operation string
}

type requestInfoKey struct{}

// WithRequest returns ctx carrying info, for the audit events and log lines of the work done under it.
func WithRequest(ctx context.Context, info RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, info)
}

// WithActor returns ctx acting as actor, for the rest of the request it serves.
func WithActor(ctx context.Context, actor Actor) context.Context {
	info := requestOf(ctx)
	info.Actor = actor
	return WithRequest(ctx, info)
}

// WithOperation returns ctx calling the API operation op (the contract's operationId).
func WithOperation(ctx context.Context, op string) context.Context {
	info := requestOf(ctx)
	info.Operation = op
	return WithRequest(ctx, info)
}

// AsSystem returns ctx acting as the system itself under name (such as "cli" or "jobs"): for work that runs
// on behalf of nobody in particular, which must say so, since a context that names no caller reaches nothing.
func AsSystem(ctx context.Context, name string) context.Context {
	return WithActor(ctx, Actor{Type: ActorSystem, ID: name})
}

// staffID is the ID of the staff account ctx acts for, or "" for any other caller (the system, which has no
// account), for the columns that name who made a record.
func staffID(ctx context.Context) string {
	if id := actorUserID(ctx); id != nil {
		return *id
	}
	return ""
}

// requestOf returns the request ctx serves. Work that names no caller has the zero Actor, which the access
// policy lets see nothing.
func requestOf(ctx context.Context) RequestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(RequestInfo)
	return info
}

// ActorOf returns who the request ctx serves acts as: the signed-in account, anonymous before sign-in, the
// system where the work said so (AsSystem), or the zero Actor for work that names no caller, which the
// access policy lets see nothing.
func ActorOf(ctx context.Context) Actor { return requestOf(ctx).Actor }

// audited describes an action about to be recorded.
type audited struct {
	Action     string
	ObjectType string
	ObjectID   string
	CaseID     string
	Outcome    Outcome
	// Detail holds IDs, codes, field names and counts only: never a value someone typed, nor personal data.
	Detail map[string]any
}

// CheckpointAction is the action of the event that seals the unkeyed events written before the chain was
// keyed: its keyed hash covers their head, so that rewriting any of them breaks the chain there.
const CheckpointAction = "audit.checkpoint"

// appendAudit records an event in tx, the transaction of the change it describes, so that the change and
// its record commit or roll back together.
func (s *Store) appendAudit(tx *gorm.DB, a audited) error {
	head, _, err := s.lockAuditHead(tx)
	if err != nil {
		return err
	}
	req := requestOf(tx.Statement.Context)
	switch req.Actor.Type {
	case ActorUser, ActorVictim, ActorSystem, ActorAnonymous:
	case "":
		// In-process work that names no caller (such as start-up) is the service's own doing. It is recorded
		// as the system's, though the access policy lets it reach no case.
		req.Actor.Type = ActorSystem
	default:
		// A kind of caller this service does not know is recorded as nobody known, with the ID it gave.
		req.Actor.Type = ActorAnonymous
	}
	e := AuditEvent{
		OccurredAt: s.now(),
		ActorType:  req.Actor.Type,
		ActorID:    req.Actor.ID,
		Action:     a.Action,
		ObjectType: a.ObjectType,
		ObjectID:   a.ObjectID,
		Outcome:    a.Outcome,
		RequestID:  req.ID,
		ClientIP:   req.ClientIP,
	}
	if a.CaseID != "" {
		e.CaseID = &a.CaseID
	}
	if len(a.Detail) > 0 {
		// encoding/json writes map keys in sorted order, so equal details are equal text.
		detail, err := json.Marshal(a.Detail)
		if err != nil {
			return fmt.Errorf("encoding an audit event's detail: %w", err)
		}
		e.Detail = string(detail)
	}
	return s.chain(tx, &head, e)
}

// lockAuditHead reads the chain head for tx, locked on PostgreSQL until tx ends (appends queue on it; SQLite's
// single writer queues them already), and checks it before anything is chained to it: a head that was wound
// back or rewritten outside the service would otherwise be extended, and what it hid would never show. A
// legacy head (unkeyed events only) gets its checkpoint first, so that no keyed event follows an unsealed one;
// sealed reports that it did.
func (s *Store) lockAuditHead(tx *gorm.DB) (head auditChain, sealed bool, err error) {
	if err := s.forUpdate(tx.Model(&auditChain{}).Where("id = 1")).Take(&head).Error; err != nil {
		return head, false, fmt.Errorf("reading the audit chain head: %w", err)
	}
	// Every event the service writes moves the head in its own transaction, so no event lies beyond a genuine
	// head: one that does was hidden by a head wound back, perhaps a row restored from a backup, whose MAC
	// holds. The primary key makes this one index probe.
	var beyond []AuditEvent
	if err := tx.Select("seq").Where("seq > ?", head.Seq).Limit(1).Find(&beyond).Error; err != nil {
		return head, false, err
	}
	if len(beyond) > 0 {
		return head, false, ErrAuditHeadTampered
	}
	switch {
	case head.KeyID != "":
		key, err := s.auditKey(tx, head.KeyID)
		if err != nil {
			return head, false, err
		}
		if !hmac.Equal([]byte(headMAC(key, head)), []byte(head.MAC)) {
			return head, false, ErrAuditHeadTampered
		}
	case head.Seq > 0:
		if err := s.checkpoint(tx, &head); err != nil {
			return head, false, err
		}
		return head, true, nil
	default:
		// The genesis head of an empty trail. The audit data key is made with the first event chained under
		// it and never removed: with it present, the trail was emptied and its head reset, and a new chain
		// started here would make that look intact.
		used, err := s.auditDataKeyExists(tx)
		if err != nil {
			return head, false, err
		}
		if used {
			return head, false, ErrAuditHeadTampered
		}
	}
	return head, false, nil
}

// auditDataKeyExists reports whether the audit data key was ever made, that is whether an event was ever
// chained under it. It neither makes nor unwraps the key.
func (s *Store) auditDataKeyExists(db *gorm.DB) (bool, error) {
	var n int64
	err := db.Model(&dataKey{}).Where("scope = ?", AuditChainScope).Count(&n).Error
	return n > 0, err
}

// ErrAuditHeadTampered means the chain head was changed outside the service: it no longer matches its keyed
// MAC, events lie beyond it (it was wound back), or it was reset to the start of an empty trail once the
// audit data key existed. Nothing is appended until an administrator has looked (impactledger audit
// verify), since anything chained to it would make the change look intact.
var ErrAuditHeadTampered = errors.New("the audit chain head was changed outside the service; run `impactledger audit verify`")

// checkpoint seals a legacy chain: it appends a keyed event whose previous hash is the head of the unkeyed
// events written before the chain was keyed, and whose detail counts them.
func (s *Store) checkpoint(tx *gorm.DB, head *auditChain) error {
	// A legacy head must name the newest event, itself unkeyed, and no event may be keyed: otherwise a keyed
	// chain's head was wound back and stripped of its key to pass for a legacy one.
	var last AuditEvent
	err := tx.Where("seq = ?", head.Seq).Take(&last).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return ErrAuditHeadTampered
	case err != nil:
		return err
	case last.KeyID != "" || last.Hash != head.Hash:
		return ErrAuditHeadTampered
	}
	// Legacy heads do not record when their event occurred; the checkpoint keys it as its previous event's.
	head.OccurredAt = &last.OccurredAt
	var keyed []AuditEvent
	if err := tx.Select("seq").Where("key_id <> ''").Limit(1).Find(&keyed).Error; err != nil {
		return err
	}
	if len(keyed) > 0 {
		return ErrAuditHeadTampered
	}
	var legacy int64
	if err := tx.Model(&AuditEvent{}).Count(&legacy).Error; err != nil {
		return err
	}
	detail, _ := json.Marshal(map[string]int64{"legacy_events": legacy, "legacy_head_seq": head.Seq})
	return s.chain(tx, head, AuditEvent{
		OccurredAt: s.now(), ActorType: ActorSystem, Action: CheckpointAction, ObjectType: "audit_events",
		Outcome: OutcomeSuccess, Detail: string(detail),
	})
}

// chain gives e the next place after head, keys it with the signing audit key, stores it in tx and moves the
// head (in the database and in head) to it.
func (s *Store) chain(tx *gorm.DB, head *auditChain, e AuditEvent) error {
	keyID, key, err := s.signingAuditKey(tx)
	if err != nil {
		return err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	e.Seq, e.ID, e.KeyID, e.PrevHash, e.PrevOccurredAt = head.Seq+1, id.String(), keyID, head.Hash, head.OccurredAt
	e.Hash = e.mac(key)
	if err := tx.Create(&e).Error; err != nil {
		return fmt.Errorf("appending an audit event: %w", err)
	}
	next := auditChain{ID: 1, Seq: e.Seq, Hash: e.Hash, OccurredAt: &e.OccurredAt, KeyID: keyID}
	next.MAC = headMAC(key, next)
	if err := tx.Model(&auditChain{}).Where("id = 1").Updates(map[string]any{"seq": next.Seq, "hash": next.Hash,
		"occurred_at": e.OccurredAt, "key_id": next.KeyID, "mac": next.MAC}).Error; err != nil {
		return err
	}
	*head = next
	return nil
}

// SealAuditChain appends the checkpoint that carries a chain of unkeyed events over to the keyed chain, if
// the chain's head is such an event; otherwise it only checks the head. Start-up calls it right after the
// migrations, so that the unkeyed events are sealed before anyone could rewrite them unseen; appendAudit
// does the same before its first keyed event in any case. It reports whether it appended a checkpoint.
func (s *Store) SealAuditChain(ctx context.Context) (bool, error) {
	var sealed bool
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		var err error
		_, sealed, err = s.lockAuditHead(tx)
		return err
	})
	return sealed, err
}

// mac is the event's keyed hash: HMAC-SHA256 under key over the previous hash and a fixed JSON rendering of
// every other field, detail, key id and the previous event's time included.
func (e AuditEvent) mac(key []byte) string {
	fields, _ := json.Marshal([]any{
		e.Seq, e.ID, e.OccurredAt.UTC().Format(time.RFC3339Nano), e.ActorType, e.ActorID, e.Action,
		e.ObjectType, e.ObjectID, e.CaseID, e.Outcome, e.RequestID, e.ClientIP, e.Detail, e.KeyID,
		stamp(e.PrevOccurredAt),
	})
	m := hmac.New(sha256.New, key)
	m.Write([]byte("impactledger audit event v2\n" + e.PrevHash + "\n"))
	m.Write(fields)
	return hex.EncodeToString(m.Sum(nil))
}

// stamp renders an optional time as the keyed hashes cover it: RFC 3339 in UTC, or "" for none.
func stamp(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// headMAC binds the chain head's sequence number, hash and time to one another under the key of the event it
// names.
func headMAC(key []byte, head auditChain) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("impactledger audit head v2\n" + strconv.FormatInt(head.Seq, 10) + "\n" + head.Hash + "\n" + stamp(head.OccurredAt)))
	return hex.EncodeToString(m.Sum(nil))
}

// legacyHash is how events were chained before the chain was keyed: plain SHA-256 over the previous hash and
// a fixed JSON rendering of the fields those events had. Anyone can recompute it, so it is trusted only for
// the unkeyed events a checkpoint sealed.
func (e AuditEvent) legacyHash() string {
	fields, _ := json.Marshal([]any{
		e.Seq, e.ID, e.OccurredAt.UTC().Format(time.RFC3339Nano), e.ActorType, e.ActorID, e.Action,
		e.ObjectType, e.ObjectID, e.CaseID, e.Outcome, e.RequestID, e.ClientIP,
	})
	sum := sha256.Sum256(append([]byte(e.PrevHash+"\n"), fields...))
	return hex.EncodeToString(sum[:])
}

// BrokenChainError names the first audit event whose record does not hold together, or that cannot be
// checked at all because the key that chained it (MissingKeyID) is not available.
type BrokenChainError struct {
	Seq    int64
	ID     string
	Reason string
	// MissingKeyID, when set, is the audit key the event was chained with, which is not configured.
	MissingKeyID string
}

// Error says where the chain breaks and how, or which event cannot be verified and why.
func (e *BrokenChainError) Error() string {
	if e.MissingKeyID != "" {
		return fmt.Sprintf("audit event %d (id %s) cannot be verified: it was chained with audit key %q, which is not configured "+
			"(keep every audit key that chained events in IMPACTLEDGER_AUDIT_KEY, after the one that signs)", e.Seq, e.ID, e.MissingKeyID)
	}
	return fmt.Sprintf("audit chain broken at event %d (id %s): %s", e.Seq, e.ID, e.Reason)
}

// AuditSummary is what a verification found intact.
type AuditSummary struct {
	// Events counts the events checked, FirstSeq to Last. When a purge removed every event, Events and
	// FirstSeq are 0 and Last is the head's event, which no longer exists.
	Events         int64
	FirstSeq, Last int64
	// Legacy counts the unkeyed events from before the chain was keyed; Keyed the others.
	Legacy, Keyed int64
	// HeadHash is the hash of event Last: written down outside the database with Last (an AuditAnchor), it
	// shows later whether the chain up to it is still the same.
	HeadHash string
}

// AuditRetention is how long an audit event is kept at least: the database's triggers let its owner purge
// an event only once it is older than this, and verification accepts a trail that no longer starts at
// event 1 only where that is so of the events missing.
const AuditRetention = 365 * 24 * time.Hour

// AuditAnchor is an event's number and hash as a verification printed them for its head, kept somewhere
// other than the database. Checked later (VerifyAudit), it shows whether the trail still holds that event
// unchanged, which nothing inside the database can show once events were removed from the end and the head
// wound back with them.
type AuditAnchor struct {
	Seq  int64
	Hash string
}

// String writes the anchor as ParseAuditAnchor reads it.
func (a AuditAnchor) String() string { return strconv.FormatInt(a.Seq, 10) + ":" + a.Hash }

// ParseAuditAnchor reads an anchor written SEQ:HASH, an event number and its 64 hexadecimal digits.
func ParseAuditAnchor(text string) (AuditAnchor, error) {
	seqText, hash, _ := strings.Cut(strings.TrimSpace(text), ":")
	seq, err := strconv.ParseInt(seqText, 10, 64)
	if _, hexErr := hex.DecodeString(hash); err != nil || seq < 1 || len(hash) != 64 || hexErr != nil {
		return AuditAnchor{}, errors.New("an audit anchor is SEQ:HASH, an event number and its 64-digit hash, as `impactledger audit verify` prints the head")
	}
	return AuditAnchor{Seq: seq, Hash: strings.ToLower(hash)}, nil
}

// genesisHash is the previous hash of the first event ever written.
const genesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// VerifyAudit walks the audit trail in order and checks every event, up to the chain head as it stood when
// the walk began: a keyed event's HMAC under the key it names, an unkeyed one's plain SHA-256, which counts
// only before the first keyed event, and each event's link to the one before. It returns a
// *BrokenChainError at the first event that was changed, removed, inserted out of line or chained with a key
// that is not available; at the head when it was changed or its unkeyed events were never sealed by a
// checkpoint; at the first event beyond the head, which a head wound back was hiding (the head is read again
// at the end, so that events appended during the walk are not taken for those); at event 1 when the trail
// was emptied; and at each anchor in expect that the trail does not hold with its hash.
//
// A trail may start after event 1 only where a purge removed the events before it, which the triggers
// allow only for events older than AuditRetention: the event before the first remaining one must be that
// old, as its keyed time in the first remaining event shows (for an event from before the chain was keyed,
// which does not record it, the event itself must be that old).
func (s *Store) VerifyAudit(ctx context.Context, progress func(done int64), expect ...AuditAnchor) (AuditSummary, error) {
	var sum AuditSummary
	db := s.read.WithContext(ctx)
	head, err := readAuditHead(db)
	if err != nil {
		return sum, err
	}
	purgeable := s.now().Add(-AuditRetention)
	keys := map[string][]byte{}
	keyOf := func(id string) ([]byte, bool, error) {
		if k, ok := keys[id]; ok {
			return k, true, nil
		}
		k, err := s.auditKey(db, id)
		var missing *AuditKeyMissingError
		if errors.As(err, &missing) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		keys[id] = k
		return k, true, nil
	}
	anchored := map[int64]string{}
	for _, a := range expect {
		anchored[a.Seq] = ""
	}
	prevSeq, prevHash, lastKeyID := int64(-1), "", ""
	var prevAt time.Time
	const batch = 2000
	for prevSeq < head.Seq {
		var events []AuditEvent
		err := db.Where("seq > ? AND seq <= ?", prevSeq, head.Seq).Order("seq").Limit(batch).Find(&events).Error
		if err != nil {
			return sum, err
		}
		for _, e := range events {
			broken := func(reason string) error { return &BrokenChainError{Seq: e.Seq, ID: e.ID, Reason: reason} }
			switch {
			case prevSeq < 0 && e.Seq == 1 && e.PrevHash != genesisHash:
				return sum, broken("the first event does not start the chain")
			case prevSeq >= 0 && e.Seq != prevSeq+1:
				return sum, broken(fmt.Sprintf("events %d to %d are missing", prevSeq+1, e.Seq-1))
			case prevSeq >= 0 && e.PrevHash != prevHash:
				return sum, broken("it does not follow from the event before it")
			case prevSeq >= 0 && e.KeyID != "" && (e.PrevOccurredAt == nil || !e.PrevOccurredAt.Equal(prevAt)):
				return sum, broken("it does not follow from the event before it: the time it records for that event differs")
			}
			if e.KeyID == "" {
				switch {
				case sum.Keyed > 0:
					return sum, broken("it is not keyed, yet it follows keyed events: only events written before the checkpoint may be unkeyed")
				case e.Detail != "" || e.PrevOccurredAt != nil || e.legacyHash() != e.Hash:
					return sum, broken("its content does not match its hash")
				}
				sum.Legacy++
			} else {
				key, ok, err := keyOf(e.KeyID)
				switch {
				case err != nil:
					return sum, err
				case !ok:
					return sum, &BrokenChainError{Seq: e.Seq, ID: e.ID, MissingKeyID: e.KeyID}
				case !hmac.Equal([]byte(e.mac(key)), []byte(e.Hash)):
					return sum, broken("its content does not match its keyed hash")
				}
				sum.Keyed++
			}
			if prevSeq < 0 && e.Seq != 1 {
				// Checked once the event's content is known to be genuine, since the time checked is part of it.
				before := e.PrevOccurredAt
				if e.KeyID == "" {
					before = &e.OccurredAt
				}
				if before == nil || !before.Before(purgeable) {
					return sum, broken(fmt.Sprintf("events 1 to %d are missing: a purge removes only events older than %d days, "+
						"and the event before this one was not", e.Seq-1, AuditRetention/(24*time.Hour)))
				}
			}
			if _, ok := anchored[e.Seq]; ok {
				anchored[e.Seq] = e.Hash
			}
			if sum.Events == 0 {
				sum.FirstSeq = e.Seq
			}
			sum.Events++
			sum.Last = e.Seq
			prevSeq, prevHash, lastKeyID, prevAt = e.Seq, e.Hash, e.KeyID, e.OccurredAt
		}
		if progress != nil {
			progress(sum.Events)
		}
		if len(events) == 0 {
			break
		}
	}
	sum.HeadHash = prevHash
	if err := s.verifyHead(head, sum, lastKeyID, purgeable, keyOf); err != nil {
		return sum, err
	}
	if sum.Events == 0 && head.Seq > 0 {
		sum.Last, sum.HeadHash = head.Seq, head.Hash
	}
	if err := s.verifyNothingBeyond(db, head); err != nil {
		return sum, err
	}
	if head.Seq == 0 && sum.Events == 0 {
		used, err := s.auditTrailUsed(db, head)
		if err != nil {
			return sum, err
		}
		if used != "" {
			// The evidence and the first event commit together, moving the head: a head still at the
			// genesis when read after the evidence was not just passed by an append.
			now, err := readAuditHead(db)
			if err != nil {
				return sum, err
			}
			if now.Seq == 0 {
				return sum, &BrokenChainError{Seq: 1, ID: "-", Reason: "the trail was emptied: it holds no event, yet " + used}
			}
		}
	}
	for _, a := range expect {
		hash := anchored[a.Seq]
		switch {
		case hash == a.Hash, sum.Events == 0 && a.Seq == head.Seq && a.Hash == head.Hash:
		case hash != "":
			return sum, &BrokenChainError{Seq: a.Seq, ID: "-", Reason: fmt.Sprintf("its hash is not the expected %s: "+
				"this trail is not the one that hash was taken from", a.Hash)}
		case a.Seq > sum.Last:
			return sum, &BrokenChainError{Seq: a.Seq, ID: "-", Reason: fmt.Sprintf("it was expected, but the trail ends at event %d: "+
				"events were removed from the end and the head wound back with them", sum.Last)}
		default:
			return sum, &BrokenChainError{Seq: a.Seq, ID: "-", Reason: fmt.Sprintf("it was expected, but the trail starts at event %d: "+
				"it was purged or removed; check against a newer head", sum.FirstSeq)}
		}
	}
	return sum, nil
}

func readAuditHead(db *gorm.DB) (auditChain, error) {
	var head auditChain
	if err := db.Where("id = 1").Take(&head).Error; err != nil {
		return head, fmt.Errorf("reading the audit chain head: %w", err)
	}
	return head, nil
}

// verifyHead checks the chain head against the walk that ended in sum: it must name the last event walked,
// under that event's key, with a genuine MAC. When no event is left up to a head past the genesis, a purge
// removed them all only if the head's own event, the newest, was older than AuditRetention.
func (s *Store) verifyHead(head auditChain, sum AuditSummary, lastKeyID string, purgeable time.Time,
	keyOf func(string) ([]byte, bool, error)) error {
	headBroken := func(reason string) error { return &BrokenChainError{Seq: head.Seq, ID: "-", Reason: reason} }
	emptied := sum.Events == 0 && head.Seq > 0
	switch {
	case head.Seq == 0:
		return nil
	case emptied && head.KeyID != "" && (head.OccurredAt == nil || !head.OccurredAt.Before(purgeable)):
		return &BrokenChainError{Seq: 1, ID: "-", Reason: fmt.Sprintf("events 1 to %d are missing: the trail is empty, and its head "+
			"names event %d, which is younger than the %d days after which a purge may remove it", head.Seq, head.Seq, AuditRetention/(24*time.Hour))}
	case !emptied && (sum.Last != head.Seq || head.Hash != sum.HeadHash):
		return headBroken("the chain head does not match the last event: events were removed from the end")
	case !emptied && head.KeyID != lastKeyID:
		return headBroken("the chain head does not match the last event's key: it was changed outside the service")
	case head.KeyID == "":
		return headBroken(fmt.Sprintf("the chain ends in %d unkeyed events that no checkpoint has sealed, so nothing shows whether "+
			"they were rewritten; start the service or run `impactledger migrate up` to seal them", sum.Legacy))
	}
	key, ok, err := keyOf(head.KeyID)
	switch {
	case err != nil:
		return err
	case !ok:
		return &BrokenChainError{Seq: head.Seq, ID: "-", MissingKeyID: head.KeyID}
	case !hmac.Equal([]byte(headMAC(key, head)), []byte(head.MAC)):
		return headBroken("the chain head does not match its keyed hash: it was wound back or changed outside the service")
	}
	return nil
}

// verifyNothingBeyond looks for an event beyond the head read at the start of a verification. The service
// moves the head in the transaction of each event it appends, so such an event was appended during the walk
// or hidden by a head wound back, perhaps to a row restored from a backup, whose MAC holds. The events are
// read before the head is read again, so that an event committed in between shows in the head.
func (s *Store) verifyNothingBeyond(db *gorm.DB, head auditChain) error {
	var beyond []AuditEvent
	if err := db.Select("seq, id").Where("seq > ?", head.Seq).Order("seq").Limit(1).Find(&beyond).Error; err != nil {
		return err
	}
	if len(beyond) == 0 {
		return nil
	}
	now, err := readAuditHead(db)
	if err != nil {
		return err
	}
	if now.Seq >= beyond[0].Seq {
		return nil
	}
	reason := fmt.Sprintf("it lies beyond the chain head (event %d): the head was wound back to hide it and the events after it", now.Seq)
	if now.Seq == 0 {
		reason = "the chain head was reset to the start while events remain"
	}
	return &BrokenChainError{Seq: beyond[0].Seq, ID: beyond[0].ID, Reason: reason}
}

// auditTrailUsed says what shows that audit events were written, for a trail with none and a genesis head,
// or "" when nothing does: the head says so, the audit data key (made with the first event chained under it)
// exists, or staff accounts do (the creation of each is audited).
func (s *Store) auditTrailUsed(db *gorm.DB, head auditChain) (string, error) {
	if head.Hash != genesisHash || head.KeyID != "" || head.MAC != "" || head.OccurredAt != nil {
		return "its head was written by the service", nil
	}
	used, err := s.auditDataKeyExists(db)
	if err != nil || used {
		return "the audit data key, made with the first event, exists", err
	}
	var accounts int64
	if err := db.Model(&User{}).Count(&accounts).Error; err != nil || accounts > 0 {
		return "staff accounts exist, and the creation of each was audited", err
	}
	return "", nil
}

// AuditFilter selects audit events, newest first. Empty fields select everything.
type AuditFilter struct {
	ActorID string
	CaseID  string
	Action  string
	Outcome Outcome
	// From and To bound OccurredAt: at or after From, before To.
	From, To time.Time
	// Limit is the page size (1 to MaxPageSize; 0 means DefaultPageSize).
	Limit int
	// BeforeSeq continues a listing below this sequence number (the previous page's last).
	BeforeSeq int64
}

// AuditPage is one page of audit events; NextBeforeSeq is 0 on the last page.
type AuditPage struct {
	Items         []AuditEvent
	NextBeforeSeq int64
}

// ListAuditEvents returns the events f selects, newest first.
func (s *Store) ListAuditEvents(ctx context.Context, f AuditFilter) (AuditPage, error) {
	limit := pageSize(f.Limit)
	q := s.read.WithContext(ctx).Order("seq DESC").Limit(limit + 1)
	for column, value := range map[string]string{"actor_id": f.ActorID, "case_id": f.CaseID, "action": f.Action, "outcome": string(f.Outcome)} {
		if value != "" {
			q = q.Where(column+" = ?", value)
		}
	}
	if !f.From.IsZero() {
		q = q.Where("occurred_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("occurred_at < ?", f.To.UTC())
	}
	if f.BeforeSeq > 0 {
		q = q.Where("seq < ?", f.BeforeSeq)
	}
	var events []AuditEvent
	if err := q.Find(&events).Error; err != nil {
		return AuditPage{}, err
	}
	page := AuditPage{Items: events}
	if len(events) > limit {
		page.Items = events[:limit]
		page.NextBeforeSeq = page.Items[limit-1].Seq
	}
	return page, nil
}
