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
	Hash     string
}

// auditChain is the head of the chain: the sequence number and hash of the latest event, and MAC, an HMAC of
// both under the key (KeyID) that chained that event, so that the head cannot be wound back to hide the
// events after it. A head without KeyID is the genesis (Seq 0) or a legacy head awaiting its checkpoint.
type auditChain struct {
	ID    int `gorm:"primaryKey"`
	Seq   int64
	Hash  string
	KeyID string
	MAC   string `gorm:"column:mac"`
}

func (auditChain) TableName() string { return "audit_chain" }

// RequestInfo is what the audit trail and the logs need to know of the request being served.
type RequestInfo struct {
	ID       string
	ClientIP string
	Actor    Actor
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

// ActorOf returns who the request ctx serves acts as: the signed-in account, anonymous before sign-in, or
// the system for work outside any request.
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
	switch {
	case head.KeyID != "":
		key, err := s.auditKey(tx, head.KeyID)
		if err != nil {
			return head, false, err
		}
		if !hmac.Equal([]byte(headMAC(key, head.Seq, head.Hash)), []byte(head.MAC)) {
			return head, false, ErrAuditHeadTampered
		}
	case head.Seq > 0:
		if err := s.checkpoint(tx, &head); err != nil {
			return head, false, err
		}
		return head, true, nil
	default:
		// The genesis head of an empty trail; one reset to it over events that remain is tampering.
		var rows []AuditEvent
		if err := tx.Select("seq").Limit(1).Find(&rows).Error; err != nil {
			return head, false, err
		}
		if len(rows) > 0 {
			return head, false, ErrAuditHeadTampered
		}
	}
	return head, false, nil
}

// ErrAuditHeadTampered means the chain head no longer matches its keyed MAC: it was changed outside the
// service. Nothing is appended until an administrator has looked (impactledger audit verify), since
// anything chained to it would make the change look intact.
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
	e.Seq, e.ID, e.KeyID, e.PrevHash = head.Seq+1, id.String(), keyID, head.Hash
	e.Hash = e.mac(key)
	if err := tx.Create(&e).Error; err != nil {
		return fmt.Errorf("appending an audit event: %w", err)
	}
	next := auditChain{ID: 1, Seq: e.Seq, Hash: e.Hash, KeyID: keyID, MAC: headMAC(key, e.Seq, e.Hash)}
	if err := tx.Model(&auditChain{}).Where("id = 1").
		Updates(map[string]any{"seq": next.Seq, "hash": next.Hash, "key_id": next.KeyID, "mac": next.MAC}).Error; err != nil {
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

// RecordDenied audits a refused request that concerns no particular record, such as a missing CSRF token:
// action names the refusal. It goes through the same per-actor limit as RecordDenial.
func (s *Store) RecordDenied(ctx context.Context, action string) error {
	return s.RecordDenial(ctx, Denial{Reason: action})
}

// mac is the event's keyed hash: HMAC-SHA256 under key over the previous hash and a fixed JSON rendering of
// every other field, detail and key id included.
func (e AuditEvent) mac(key []byte) string {
	fields, _ := json.Marshal([]any{
		e.Seq, e.ID, e.OccurredAt.UTC().Format(time.RFC3339Nano), e.ActorType, e.ActorID, e.Action,
		e.ObjectType, e.ObjectID, e.CaseID, e.Outcome, e.RequestID, e.ClientIP, e.Detail, e.KeyID,
	})
	m := hmac.New(sha256.New, key)
	m.Write([]byte("impactledger audit event v2\n" + e.PrevHash + "\n"))
	m.Write(fields)
	return hex.EncodeToString(m.Sum(nil))
}

// headMAC binds the chain head's sequence number to its hash under the key of the event it names.
func headMAC(key []byte, seq int64, hash string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("impactledger audit head v2\n" + strconv.FormatInt(seq, 10) + "\n" + hash))
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
	Events         int64
	FirstSeq, Last int64
	// Legacy counts the unkeyed events from before the chain was keyed; Keyed the others.
	Legacy, Keyed int64
	// HeadHash is the hash of the last event checked: written down outside the database, it shows later
	// whether the chain up to it is still the same.
	HeadHash string
}

// genesisHash is the previous hash of the first event ever written.
const genesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// VerifyAudit walks the audit trail in order and checks every event, up to the chain head as it stood when
// the walk began (events appended meanwhile are left for the next run): a keyed event's HMAC under the key
// it names, an unkeyed one's plain SHA-256, which counts only before the first keyed event, and each event's
// link to the one before. It returns a *BrokenChainError at the first event that was changed, removed,
// inserted out of line or chained with a key that is not available, or at the head when it was wound back
// or its unkeyed events were never sealed by a checkpoint. Events older than 365 days may have been purged
// from the start; the oldest remaining one is then trusted as the anchor.
func (s *Store) VerifyAudit(ctx context.Context, progress func(done int64)) (AuditSummary, error) {
	var sum AuditSummary
	var head auditChain
	db := s.read.WithContext(ctx)
	if err := db.Where("id = 1").Take(&head).Error; err != nil {
		return sum, fmt.Errorf("reading the audit chain head: %w", err)
	}
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
	prevSeq, prevHash, lastKeyID := int64(-1), "", ""
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
			}
			if e.KeyID == "" {
				switch {
				case sum.Keyed > 0:
					return sum, broken("it is not keyed, yet it follows keyed events: only events written before the checkpoint may be unkeyed")
				case e.Detail != "" || e.legacyHash() != e.Hash:
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
			if sum.Events == 0 {
				sum.FirstSeq = e.Seq
			}
			sum.Events++
			sum.Last = e.Seq
			prevSeq, prevHash, lastKeyID = e.Seq, e.Hash, e.KeyID
		}
		if progress != nil {
			progress(sum.Events)
		}
		if len(events) == 0 {
			break
		}
	}
	sum.HeadHash = prevHash
	headBroken := func(reason string) error { return &BrokenChainError{Seq: head.Seq, ID: "-", Reason: reason} }
	if sum.Last != head.Seq || (head.Seq > 0 && head.Hash != prevHash) {
		return sum, headBroken("the chain head does not match the last event: events were removed from the end")
	}
	if head.Seq == 0 {
		var rows []AuditEvent
		if err := db.Select("seq, id").Order("seq").Limit(1).Find(&rows).Error; err != nil {
			return sum, err
		}
		if len(rows) == 0 {
			return sum, nil
		}
		// An event committed after the head was read moved the head in the same transaction: read it again
		// to tell an append made meanwhile from a head reset over events that remain.
		var now auditChain
		if err := db.Where("id = 1").Take(&now).Error; err != nil {
			return sum, fmt.Errorf("reading the audit chain head: %w", err)
		}
		if now.Seq == 0 {
			return sum, &BrokenChainError{Seq: rows[0].Seq, ID: rows[0].ID, Reason: "the chain head was reset to the start while events remain"}
		}
		return sum, nil
	}
	if head.KeyID != lastKeyID {
		return sum, headBroken("the chain head does not match the last event's key: it was changed outside the service")
	}
	if head.KeyID == "" {
		return sum, headBroken(fmt.Sprintf("the chain ends in %d unkeyed events that no checkpoint has sealed, so nothing shows whether "+
			"they were rewritten; start the service or run `impactledger migrate up` to seal them", sum.Legacy))
	}
	key, ok, err := keyOf(head.KeyID)
	switch {
	case err != nil:
		return sum, err
	case !ok:
		return sum, &BrokenChainError{Seq: head.Seq, ID: "-", MissingKeyID: head.KeyID}
	case !hmac.Equal([]byte(headMAC(key, head.Seq, head.Hash)), []byte(head.MAC)):
		return sum, headBroken("the chain head does not match its keyed hash: it was wound back or changed outside the service")
	}
	return sum, nil
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
