package models

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// AccessDeniedAction is the action of the audit events that record refused requests: a signed-in caller's
// 403s and 404s on records addressed by ID, and refusals by role, CSRF token or unfinished two-factor set-up.
// One action for every kind of refusal, the kind in the detail's "reason", so that one limit and one count
// cover them all: a scanner that mixes kinds of probes is counted as one.
const AccessDeniedAction = "access.denied"

// DenialWindow is how often at most an actor's refusals are written to the audit trail: the first refusal
// after a quiet window writes an event; the others only count towards the next event.
const DenialWindow = time.Minute

// Denial is a refused request, as the audit trail records it: codes and IDs only.
type Denial struct {
	// Operation is the API operation refused (the contract's operationId), or "".
	Operation string
	// Reason is the kind of refusal, such as "not-found", "forbidden", "csrf" or "mfa-enrollment-required".
	Reason string
	// Status is the HTTP status answered, or 0 outside HTTP.
	Status int
	// ObjectType and ObjectID name the record the request addressed; ObjectID is a UUID or "".
	ObjectType, ObjectID string
	// CaseID is the case the request addressed, when it addressed one by ID, or "".
	CaseID string
}

// auditDenialCounter counts an actor's refusals since their latest access.denied event.
type auditDenialCounter struct {
	ActorType   ActorType `gorm:"primaryKey"`
	ActorID     string    `gorm:"primaryKey"`
	LastEventAt *time.Time
	Suppressed  int64
}

func (auditDenialCounter) TableName() string { return "audit_denial_counters" }

// RecordDenial audits a refused request as an access.denied event, at most one per actor per DenialWindow,
// so that a scanner cannot flood the trail. An event's detail carries count: the refusals it stands for, that
// is itself and those of the same actor that wrote no event since the actor's previous access.denied event,
// so that the counts of an actor's events add up to every refusal but the ones since their latest event.
// The count lives in the database and changes in the transaction of the append, so that every instance of
// the service shares one limit per actor.
func (s *Store) RecordDenial(ctx context.Context, d Denial) error {
	actor := requestOf(ctx).Actor
	return s.inTx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		// Insert-if-absent, then lock: two first refusals of one actor at once queue on the row instead of
		// both finding none and both writing an event.
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).
			Create(&auditDenialCounter{ActorType: actor.Type, ActorID: actor.ID}).Error; err != nil {
			return err
		}
		var counter auditDenialCounter
		if err := s.forUpdate(tx.Where("actor_type = ? AND actor_id = ?", actor.Type, actor.ID)).Take(&counter).Error; err != nil {
			return err
		}
		if last := counter.LastEventAt; last != nil && now.Sub(*last) < DenialWindow && last.Sub(now) < DenialWindow {
			// Within the window (a clock a little behind another instance's counts as within it too).
			return tx.Model(&auditDenialCounter{}).Where("actor_type = ? AND actor_id = ?", actor.Type, actor.ID).
				Update("suppressed", gorm.Expr("suppressed + 1")).Error
		}
		detail := map[string]any{"count": counter.Suppressed + 1, "reason": d.Reason}
		if d.Status != 0 {
			detail["status"] = d.Status
		}
		if d.Operation != "" {
			detail["operation"] = d.Operation
		}
		if err := s.appendAudit(tx, audited{Action: AccessDeniedAction, ObjectType: d.ObjectType, ObjectID: d.ObjectID,
			CaseID: d.CaseID, Outcome: OutcomeDenied, Detail: detail}); err != nil {
			return err
		}
		return tx.Model(&auditDenialCounter{}).Where("actor_type = ? AND actor_id = ?", actor.Type, actor.ID).
			Updates(map[string]any{"last_event_at": now, "suppressed": 0}).Error
	})
}

// FlushDenials writes the refusals that are only counted so far: for each actor whose latest access.denied
// event is a DenialWindow old or more and who was refused again since, an access.denied event whose count is
// those refusals, with reason "summary" (it stands for no refusal of its own). Without it, a scan that
// stops would show as one refusal until the scanner came back, perhaps never; with it run every minute,
// every refusal is in the trail within two minutes, still at most one event per actor per minute. It writes
// at most 500 events a run and reports how many.
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
			if err := s.appendAudit(tx, audited{Action: AccessDeniedAction, Outcome: OutcomeDenied,
				Detail: map[string]any{"count": counter.Suppressed, "reason": "summary"}}); err != nil {
				return err
			}
			written++
			return tx.Model(&auditDenialCounter{}).Where("actor_type = ? AND actor_id = ?", row.ActorType, row.ActorID).
				Updates(map[string]any{"last_event_at": now, "suppressed": 0}).Error
		})
		if err != nil {
			return written, err
		}
	}
	return written, nil
}
