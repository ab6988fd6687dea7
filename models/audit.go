package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
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

// AuditEvent is one row of the append-only audit trail. It holds IDs and codes only, never personal data;
// Hash covers every other field and PrevHash, chaining each row to the one before it.
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
	PrevHash   string
	Hash       string
}

// auditChain is the head of the chain: the sequence number and hash of the latest event.
type auditChain struct {
	ID   int `gorm:"primaryKey"`
	Seq  int64
	Hash string
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

// audited describes an action about to be recorded.
type audited struct {
	Action     string
	ObjectType string
	ObjectID   string
	CaseID     string
	Outcome    Outcome
}

// appendAudit records an event in tx, the transaction of the change it describes, so that the change and
// its record commit or roll back together.
func (s *Store) appendAudit(tx *gorm.DB, a audited) error {
	var head auditChain
	q := tx.Model(&auditChain{}).Where("id = 1")
	if s.dialect == Postgres {
		// Appends queue on the chain head; SQLite's single writer queues them already.
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := q.Take(&head).Error; err != nil {
		return fmt.Errorf("reading the audit chain head: %w", err)
	}
	id, err := uuid.NewV7()
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
		Seq:        head.Seq + 1,
		ID:         id.String(),
		OccurredAt: s.now(),
		ActorType:  req.Actor.Type,
		ActorID:    req.Actor.ID,
		Action:     a.Action,
		ObjectType: a.ObjectType,
		ObjectID:   a.ObjectID,
		Outcome:    a.Outcome,
		RequestID:  req.ID,
		ClientIP:   req.ClientIP,
		PrevHash:   head.Hash,
	}
	if a.CaseID != "" {
		e.CaseID = &a.CaseID
	}
	e.Hash = e.computeHash()
	if err := tx.Create(&e).Error; err != nil {
		return fmt.Errorf("appending an audit event: %w", err)
	}
	return tx.Model(&auditChain{}).Where("id = 1").Updates(map[string]any{"seq": e.Seq, "hash": e.Hash}).Error
}

// RecordDenied audits a refused request: action names what was attempted, such as "api.createCase" or
// "csrf". Refusals are rare and worth an auditor's eye, so each is recorded.
func (s *Store) RecordDenied(ctx context.Context, action string) error {
	return s.inTx(ctx, func(tx *gorm.DB) error {
		return s.appendAudit(tx, audited{Action: action, Outcome: OutcomeDenied})
	})
}

// computeHash is SHA-256 over the previous hash and a fixed JSON rendering of the event's fields.
func (e AuditEvent) computeHash() string {
	fields, _ := json.Marshal([]any{
		e.Seq, e.ID, e.OccurredAt.UTC().Format(time.RFC3339Nano), e.ActorType, e.ActorID, e.Action,
		e.ObjectType, e.ObjectID, e.CaseID, e.Outcome, e.RequestID, e.ClientIP,
	})
	sum := sha256.Sum256(append([]byte(e.PrevHash+"\n"), fields...))
	return hex.EncodeToString(sum[:])
}

// BrokenChainError names the first audit event whose record does not hold together.
type BrokenChainError struct {
	Seq    int64
	ID     string
	Reason string
}

// Error says where the chain breaks and how.
func (e *BrokenChainError) Error() string {
	return fmt.Sprintf("audit chain broken at event %d (id %s): %s", e.Seq, e.ID, e.Reason)
}

// AuditSummary is what a verification found intact.
type AuditSummary struct {
	Events         int64
	FirstSeq, Last int64
}

// genesisHash is the previous hash of the first event ever written.
const genesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// VerifyAudit walks the audit trail in order and recomputes every hash, up to the chain head as it stood
// when the walk began (events appended meanwhile are left for the next run). It returns a
// *BrokenChainError at the first event that was changed, removed or inserted out of line. Events older than
// 365 days may have been purged from the start; the oldest remaining one is then trusted as the anchor.
func (s *Store) VerifyAudit(ctx context.Context, progress func(done int64)) (AuditSummary, error) {
	var sum AuditSummary
	var head auditChain
	if err := s.read.WithContext(ctx).Where("id = 1").Take(&head).Error; err != nil {
		return sum, fmt.Errorf("reading the audit chain head: %w", err)
	}
	prevSeq, prevHash := int64(-1), ""
	const batch = 2000
	for prevSeq < head.Seq {
		var events []AuditEvent
		err := s.read.WithContext(ctx).Where("seq > ? AND seq <= ?", prevSeq, head.Seq).Order("seq").Limit(batch).Find(&events).Error
		if err != nil {
			return sum, err
		}
		for _, e := range events {
			switch {
			case prevSeq < 0 && e.Seq == 1 && e.PrevHash != genesisHash:
				return sum, &BrokenChainError{Seq: e.Seq, ID: e.ID, Reason: "the first event does not start the chain"}
			case prevSeq >= 0 && e.Seq != prevSeq+1:
				return sum, &BrokenChainError{Seq: e.Seq, ID: e.ID, Reason: fmt.Sprintf("events %d to %d are missing", prevSeq+1, e.Seq-1)}
			case prevSeq >= 0 && e.PrevHash != prevHash:
				return sum, &BrokenChainError{Seq: e.Seq, ID: e.ID, Reason: "it does not follow from the event before it"}
			case e.computeHash() != e.Hash:
				return sum, &BrokenChainError{Seq: e.Seq, ID: e.ID, Reason: "its content does not match its hash"}
			}
			if sum.Events == 0 {
				sum.FirstSeq = e.Seq
			}
			sum.Events++
			sum.Last = e.Seq
			prevSeq, prevHash = e.Seq, e.Hash
		}
		if progress != nil {
			progress(sum.Events)
		}
		if len(events) == 0 {
			break
		}
	}
	if sum.Last != head.Seq || (head.Seq > 0 && head.Hash != prevHash) {
		return sum, &BrokenChainError{Seq: head.Seq, ID: "-", Reason: "the chain head does not match the last event: events were removed from the end"}
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
