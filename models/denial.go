package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// AccessDeniedAction is the action of the audit events that record refused requests: a signed-in caller's
// 403s and 404s on records addressed by ID, refusals by role, CSRF token or unfinished two-factor set-up,
// and attempts refused because their address failed to sign in too often. One action for every kind of
// refusal, the kind in the detail's "reason", so that one limit and one count cover them all: a scanner that
// mixes kinds of probes is counted as one.
const AccessDeniedAction = "access.denied"

// DenialWindow is how often at most an actor's refusals are written to the audit trail: the first refusal
// after a quiet window writes an event; the others only count towards the next event.
const DenialWindow = time.Minute

// The bounds of what an access.denied event says about the refusals it counts: up to MaxListedDenials
// distinct objects in full, then up to maxDenialFingerprints more counted by a short fingerprint each, so
// that the counter row stays small however wide the scan.
const (
	MaxListedDenials      = 20
	maxDenialFingerprints = 200
)

// Denial is a refused request, as the audit trail records it: codes and IDs only.
type Denial struct {
	// Operation is the API operation refused (the contract's operationId), or "".
	Operation string
	// Reason is the kind of refusal, such as "not-found", "forbidden", "csrf", "mfa-enrollment-required" or
	// "throttled".
	Reason string
	// Status is the HTTP status answered, or 0 outside HTTP.
	Status int
	// ObjectType and ObjectID name the record the request addressed; ObjectID is a UUID or "".
	ObjectType, ObjectID string
	// CaseID is the case the request addressed, when it addressed one by ID, or "".
	CaseID string
}

// deniedObject is what a refused request addressed, as an access.denied event lists it: codes and IDs.
type deniedObject struct {
	Operation  string `json:"operation,omitempty"`
	ObjectType string `json:"object_type,omitempty"`
	ObjectID   string `json:"object_id,omitempty"`
	CaseID     string `json:"case_id,omitempty"`
}

func (d Denial) object() deniedObject {
	return deniedObject{Operation: d.Operation, ObjectType: d.ObjectType, ObjectID: d.ObjectID, CaseID: d.CaseID}
}

// deniedObjects is what the refusals an actor met since their latest access.denied event addressed, kept
// in the counter row so that the next event can say which objects a scan went after: the first
// MaxListedDenials distinct objects in full, a fingerprint of each further one up to maxDenialFingerprints
// (enough to count them once each without keeping them), and whether any was beyond even that.
type deniedObjects struct {
	Listed   []deniedObject `json:"listed,omitempty"`
	Beyond   []string       `json:"beyond,omitempty"`
	Overflow bool           `json:"overflow,omitempty"`
}

// parseDeniedObjects reads a counter row's objects column; anything unreadable reads as none, since the
// list only adds to what the count says.
func parseDeniedObjects(text string) deniedObjects {
	var o deniedObjects
	if text != "" {
		_ = json.Unmarshal([]byte(text), &o)
	}
	return o
}

func (o deniedObjects) encode() string {
	if len(o.Listed) == 0 && len(o.Beyond) == 0 && !o.Overflow {
		return ""
	}
	text, _ := json.Marshal(o)
	return string(text)
}

// full reports whether nothing more can change: every bound reached, and one more object met beyond them.
func (o deniedObjects) full() bool { return o.Overflow }

// add notes obj and reports whether that changed anything. A refusal that addressed nothing in particular
// adds nothing.
func (o *deniedObjects) add(obj deniedObject) bool {
	if obj == (deniedObject{}) || slices.Contains(o.Listed, obj) {
		return false
	}
	text, _ := json.Marshal(obj)
	sum := sha256.Sum256(text)
	fingerprint := hex.EncodeToString(sum[:4])
	switch {
	case slices.Contains(o.Beyond, fingerprint):
		return false
	case len(o.Listed) < MaxListedDenials:
		o.Listed = append(o.Listed, obj)
	case len(o.Beyond) < maxDenialFingerprints:
		o.Beyond = append(o.Beyond, fingerprint)
	case !o.Overflow:
		o.Overflow = true
	default:
		return false
	}
	return true
}

// describe adds to an event's detail what the refusals it counts addressed: "objects", the distinct objects
// listed; "objects_beyond", how many more distinct objects there were, or "objects_beyond_at_least" when
// there were too many to count.
func (o deniedObjects) describe(detail map[string]any) {
	if len(o.Listed) > 0 {
		detail["objects"] = o.Listed
	}
	switch {
	case o.Overflow:
		detail["objects_beyond_at_least"] = len(o.Beyond) + 1
	case len(o.Beyond) > 0:
		detail["objects_beyond"] = len(o.Beyond)
	}
}

// auditDenialCounter counts an actor's refusals since their latest access.denied event, and keeps what they
// addressed (Objects, deniedObjects as JSON). ObjectsFull is set once Objects can change no more, so that a
// wide scan's refusals are counted without reading it.
type auditDenialCounter struct {
	ActorType   ActorType `gorm:"primaryKey"`
	ActorID     string    `gorm:"primaryKey"`
	LastEventAt *time.Time
	Suppressed  int64
	Objects     string
	ObjectsFull bool
}

func (auditDenialCounter) TableName() string { return "audit_denial_counters" }

// denialActor is who ctx's refusals are counted for: the signed-in account, or for anyone else its client
// address, keyed as the sign-in throttle keys it, since that is all that tells one anonymous caller from
// another.
func denialActor(ctx context.Context) Actor {
	req := requestOf(ctx)
	if (req.Actor.Type == ActorUser || req.Actor.Type == ActorVictim) && req.Actor.ID != "" {
		return req.Actor
	}
	return Actor{Type: ActorAnonymous, ID: addressKey(req.ClientIP)}
}

// withinWindow reports whether an event written at last keeps a refusal at now from writing another: less
// than DenialWindow before now, or less than that after it (another instance's clock a little ahead).
func withinWindow(last *time.Time, now time.Time) bool {
	return last != nil && now.Sub(*last) < DenialWindow && last.Sub(now) < DenialWindow
}

// RecordDenial audits a refused request as an access.denied event, at most one per actor per DenialWindow,
// so that a scanner cannot flood the trail; anonymous callers count per client address. An event's detail
// carries count: the refusals it stands for, that is itself and those of the same actor that wrote no event
// since the actor's previous access.denied event, so that the counts of an actor's events add up to every
// refusal but the ones since their latest event; and what those refusals addressed (see describe), so that
// a prober cannot hide which records it went after behind one harmless refusal. The count lives in the
// database and changes in the transaction of the append, so that every instance of the service shares one
// limit per actor.
//
// Most refusals of a scan only count: they are counted with one conditional UPDATE and no transaction (see
// countDenial), so that a caller looping on refusals holds SQLite's one writer as briefly as possible. Only
// a refusal that writes an event, or that adds an object to the list, takes the locked path.
func (s *Store) RecordDenial(ctx context.Context, d Denial) error {
	who := denialActor(ctx)
	// The event is the counted actor's: for an anonymous caller, its address.
	ctx = WithActor(ctx, who)
	obj := d.object()
	if counted, err := s.countDenial(ctx, who, obj); err != nil || counted {
		return err
	}
	key := "actor_type = ? AND actor_id = ?"
	return s.inTx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		// Insert-if-absent, then lock: two first refusals of one actor at once queue on the row instead of
		// both finding none and both writing an event.
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).
			Create(&auditDenialCounter{ActorType: who.Type, ActorID: who.ID}).Error; err != nil {
			return err
		}
		var counter auditDenialCounter
		if err := s.forUpdate(tx.Where(key, who.Type, who.ID)).Take(&counter).Error; err != nil {
			return err
		}
		objects := parseDeniedObjects(counter.Objects)
		if withinWindow(counter.LastEventAt, now) {
			objects.add(obj)
			return tx.Model(&auditDenialCounter{}).Where(key, who.Type, who.ID).Updates(map[string]any{
				"suppressed": gorm.Expr("suppressed + 1"), "objects": objects.encode(), "objects_full": objects.full()}).Error
		}
		detail := map[string]any{"count": counter.Suppressed + 1, "reason": d.Reason}
		if d.Status != 0 {
			detail["status"] = d.Status
		}
		if d.Operation != "" {
			detail["operation"] = d.Operation
		}
		// This refusal's own object is the event's; the list is the counted ones'.
		objects.describe(detail)
		if err := s.appendAudit(tx, audited{Action: AccessDeniedAction, ObjectType: d.ObjectType, ObjectID: d.ObjectID,
			CaseID: d.CaseID, Outcome: OutcomeDenied, Detail: detail}); err != nil {
			return err
		}
		return tx.Model(&auditDenialCounter{}).Where(key, who.Type, who.ID).
			Updates(map[string]any{"last_event_at": now, "suppressed": 0, "objects": "", "objects_full": false}).Error
	})
}

// countDenial counts a refusal without a transaction when counting is all it takes: the actor's latest
// event is recent, and obj is already listed (or the list is full). It reads the counter without a lock and
// adds to it in a single UPDATE conditioned on what it read, so that no count is lost: when an event was
// written or the objects changed in between, nothing is updated, and it reports false for the locked path
// to take over, as it does when a refusal is due to write an event or add an object. Refusals of one actor
// counted at the same moment under the same condition share one UPDATE (see denialBatches.count).
func (s *Store) countDenial(ctx context.Context, who Actor, obj deniedObject) (bool, error) {
	var rows []auditDenialCounter
	if err := s.read.WithContext(ctx).Where("actor_type = ? AND actor_id = ?", who.Type, who.ID).Limit(1).
		Find(&rows).Error; err != nil {
		return false, err
	}
	now := s.now()
	if len(rows) == 0 || !withinWindow(rows[0].LastEventAt, now) {
		return false, nil
	}
	// Nothing can be added to a full list, so a wide scan is counted without reading or comparing it; other
	// lists are held to the one obj was found in.
	condition, value := "objects_full = ?", any(true)
	if !rows[0].ObjectsFull {
		if objects := parseDeniedObjects(rows[0].Objects); objects.add(obj) {
			return false, nil
		}
		condition, value = "objects = ?", rows[0].Objects
	}
	batch := string(who.Type) + "\x00" + who.ID + "\x00" + condition + fmt.Sprint(value)
	return s.denials.count(ctx, s.write, batch, func(conn *gorm.DB, n int64) (bool, error) {
		// The window test is repeated in SQL, since another instance may have written an event meanwhile.
		res := conn.Model(&auditDenialCounter{}).Where("actor_type = ? AND actor_id = ? AND last_event_at > ? AND last_event_at < ?",
			who.Type, who.ID, now.Add(-DenialWindow), now.Add(DenialWindow)).Where(condition, value).
			Update("suppressed", gorm.Expr("suppressed + ?", n))
		return res.RowsAffected == 1, res.Error
	})
}

// denialBatches gathers the refusals being counted at the same moment (group commit). A scanner sending
// many requests at once would otherwise queue one write per refusal on SQLite's one writer, ahead of every
// real change; batched, it holds at most one place in that queue while the refusals arriving meanwhile wait
// to be counted together after it. Nothing is kept beyond the requests waiting: each is answered only once
// its refusal is counted in the database.
type denialBatches struct {
	mu      sync.Mutex
	pending map[string]*denialBatch
}

// denialBatch is n refusals counted by one UPDATE; done is closed once it ran, counted telling whether it
// counted them.
type denialBatch struct {
	n       int64
	done    chan struct{}
	counted bool
}

// count adds one refusal to the batch of key, or opens it. The refusal that opens a batch waits for a
// connection of the writing pool and, once it holds it, closes the batch and runs update with the number of
// refusals in it; the others wait for the outcome. When the batch was not counted (its condition no longer
// held, or the update failed), each of its refusals reports false and takes the locked path on its own.
func (b *denialBatches) count(ctx context.Context, write *gorm.DB, key string, update func(conn *gorm.DB, n int64) (bool, error)) (bool, error) {
	b.mu.Lock()
	batch, joined := b.pending[key]
	if !joined {
		batch = &denialBatch{done: make(chan struct{})}
		b.pending[key] = batch
	}
	batch.n++
	b.mu.Unlock()
	if joined {
		select {
		case <-batch.done:
			return batch.counted, nil
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	closeBatch := func() int64 {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.pending[key] == batch {
			delete(b.pending, key)
		}
		return batch.n
	}
	defer close(batch.done)
	defer closeBatch() // when no connection came
	err := write.WithContext(ctx).Connection(func(conn *gorm.DB) error {
		counted, err := update(conn, closeBatch())
		batch.counted = counted
		return err
	})
	return batch.counted, err
}

// FlushDenials writes the refusals that are only counted so far: for each actor whose latest access.denied
// event is a DenialWindow old or more and who was refused again since, an access.denied event whose count is
// those refusals, with reason "summary" (it stands for no refusal of its own) and what they addressed.
// Without it, a scan that stops would show as one refusal until the scanner came back, perhaps never; with it
// run every minute, every refusal is in the trail within two minutes, still at most one event per actor per
// minute. It writes at most 500 events a run and reports how many.
func (s *Store) FlushDenials(ctx context.Context) (int, error) {
	var due []auditDenialCounter
	if err := s.read.WithContext(ctx).Where("suppressed > 0 AND last_event_at <= ?", s.now().Add(-DenialWindow)).
		Order("last_event_at").Limit(500).Find(&due).Error; err != nil {
		return 0, err
	}
	written := 0
	for _, row := range due {
		// The event is the actor's, as the refusals it counts were; it belongs to no request.
		actorCtx := WithRequest(ctx, RequestInfo{Actor: Actor{Type: row.ActorType, ID: row.ActorID}})
		err := s.inTx(actorCtx, func(tx *gorm.DB) error {
			now := s.now()
			var counter auditDenialCounter
			err := s.forUpdate(tx.Where("actor_type = ? AND actor_id = ?", row.ActorType, row.ActorID)).Take(&counter).Error
			if err != nil {
				return err
			}
			// Another instance flushed it, or a new refusal wrote an event, since the list was read.
			if counter.Suppressed == 0 || counter.LastEventAt == nil || now.Sub(*counter.LastEventAt) < DenialWindow {
				return nil
			}
			detail := map[string]any{"count": counter.Suppressed, "reason": "summary"}
			parseDeniedObjects(counter.Objects).describe(detail)
			if err := s.appendAudit(tx, audited{Action: AccessDeniedAction, Outcome: OutcomeDenied, Detail: detail}); err != nil {
				return err
			}
			written++
			return tx.Model(&auditDenialCounter{}).Where("actor_type = ? AND actor_id = ?", row.ActorType, row.ActorID).
				Updates(map[string]any{"last_event_at": now, "suppressed": 0, "objects": "", "objects_full": false}).Error
		})
		if err != nil {
			return written, err
		}
	}
	return written, nil
}
