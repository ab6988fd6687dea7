package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// StatementStatus is where an impact statement stands: draft, then submitted, then final.
type StatementStatus string

// The statuses of an impact statement.
const (
	StatementDraft     StatementStatus = "draft"
	StatementSubmitted StatementStatus = "submitted"
	StatementFinal     StatementStatus = "final"
)

// StatementStatuses lists every status of an impact statement.
var StatementStatuses = []StatementStatus{StatementDraft, StatementSubmitted, StatementFinal}

// Delivery is how the victim means to give the statement at sentencing.
type Delivery string

// The ways of delivering a statement.
const (
	DeliveryWritten Delivery = "written"
	DeliveryOral    Delivery = "oral"
	DeliveryBoth    Delivery = "both"
)

// Deliveries lists every way of delivering a statement.
var Deliveries = []Delivery{DeliveryWritten, DeliveryOral, DeliveryBoth}

// MaxStatementRunes is the most characters (Unicode code points) each section of a statement, and its
// restitution request text, may hold.
const MaxStatementRunes = 50_000

// Sections are the parts of an impact statement, free text in the victim's words; empty means none.
type Sections struct {
	Emotional string
	Physical  string
	Financial string
	Other     string
}

// StatementText is what one revision of a statement says, and how it is to be given.
type StatementText struct {
	// Language is a language tag such as "en" or "zh-Hant"; empty means "en" when creating.
	Language string
	// Delivery is empty for DeliveryWritten when creating.
	Delivery Delivery
	Sections Sections
	// RestitutionRequest is the victim's own words on the restitution they ask for.
	RestitutionRequest string
}

// StatementRevision is one saved revision of a statement, as it was saved: revisions never change.
type StatementRevision struct {
	StatementText
	// Number counts the statement's revisions from 1.
	Number int
	// Status is the statement's status as of this revision.
	Status    StatementStatus
	CreatedAt time.Time
	// CreatedBy is the ID of the staff member who saved it; empty for work the system did.
	CreatedBy string
}

// Statement is a victim's impact statement as of its current revision, whose text it carries.
type Statement struct {
	StatementText
	ID       string
	CaseID   string
	VictimID string
	Status   StatementStatus
	// Revision is the number of the current revision.
	Revision int
	// Final is the last revision that was finalized, the one exhibits use; nil until one is. Editing a final
	// statement makes a new draft revision, and Final stays until that one is finalized in turn.
	Final     *StatementRevision
	CreatedAt time.Time
	UpdatedAt time.Time
	CreatedBy string
	UpdatedBy string
	// Version starts at 1 and grows by one with every save; it is the statement's ETag.
	Version int64
}

// StatementUpdate changes the fields that are Set and leaves the others alone; a section or restitution
// request set to empty is cleared.
type StatementUpdate struct {
	Language           Optional[string]
	Delivery           Optional[Delivery]
	Emotional          Optional[string]
	Physical           Optional[string]
	Financial          Optional[string]
	Other              Optional[string]
	RestitutionRequest Optional[string]
}

// StatementPage is one page of a victim's statements, newest first; NextAfterID is empty on the last page.
type StatementPage struct {
	Items       []Statement
	NextAfterID string
}

// StatementRevisionPage is one page of a statement's revisions, newest first; NextAfterID (a revision's ID)
// is empty on the last page.
type StatementRevisionPage struct {
	Items       []StatementRevision
	NextAfterID string
}

// statementRow is a statement as stored. It holds no text: that lives in its revisions.
type statementRow struct {
	ID            string `gorm:"primaryKey"`
	CaseID        string
	VictimID      string
	Language      string
	Delivery      Delivery
	Status        StatementStatus
	Revision      int
	FinalRevision *int
	CreatedAt     time.Time
	CreatedBy     *string
	UpdatedAt     time.Time
	UpdatedBy     *string
	Version       int64
}

func (statementRow) TableName() string { return "statements" }

// revisionRow is a revision as stored: the text columns hold ciphertext, NULL when empty. Rows are only
// ever inserted.
type revisionRow struct {
	ID                     string `gorm:"primaryKey"`
	StatementID            string
	Number                 int
	Status                 StatementStatus
	Language               string
	Delivery               Delivery
	Emotional              *string
	Physical               *string
	Financial              *string
	Other                  *string
	RestitutionRequestText *string
	CreatedAt              time.Time
	CreatedBy              *string
}

func (revisionRow) TableName() string { return "statement_revisions" }

var statementTextRule = textRule{maxRunes: MaxStatementRunes, multiline: true}

// normalize checks a statement's text and settings. Line breaks become "\n" (so that a statement typed on
// any system counts and compares the same); the text is trimmed at both ends and otherwise kept as written.
func (t *StatementText) normalize(verr *ValidationError) {
	t.Language = cleanLanguage(verr, "language", t.Language)
	oneOf(verr, "delivery", t.Delivery, Deliveries)
	for _, f := range []struct {
		field string
		value *string
	}{
		{"sections.emotional", &t.Sections.Emotional},
		{"sections.physical", &t.Sections.Physical},
		{"sections.financial", &t.Sections.Financial},
		{"sections.other", &t.Sections.Other},
		{"restitution_request_text", &t.RestitutionRequest},
	} {
		*f.value = cleanText(verr, f.field, normalizeLineBreaks(*f.value), statementTextRule)
	}
}

var lineBreaks = strings.NewReplacer("\r\n", "\n", "\r", "\n")

func normalizeLineBreaks(s string) string { return lineBreaks.Replace(s) }

func (u StatementUpdate) applyTo(t *StatementText) {
	u.Language.applyTo(&t.Language)
	u.Delivery.applyTo(&t.Delivery)
	u.Emotional.applyTo(&t.Sections.Emotional)
	u.Physical.applyTo(&t.Sections.Physical)
	u.Financial.applyTo(&t.Sections.Financial)
	u.Other.applyTo(&t.Sections.Other)
	u.RestitutionRequest.applyTo(&t.RestitutionRequest)
}

// statementsAllowed says whether the caller of ctx may have statements at all, or with write change them,
// as the access policy decides. The contract's x-roles refuses the same callers first; this keeps any other
// way into the store from handing statement text to them.
func statementsAllowed(ctx context.Context, write bool) bool {
	switch accessIn(ctx).Statements {
	case StatementsWrite:
		return true
	case StatementsRead:
		return !write
	default:
		return false
	}
}

// refuseStatement records a refused statement action and answers ErrForbidden.
func (s *Store) refuseStatement(ctx context.Context, action, objectType, objectID string) error {
	if err := s.inTx(ctx, func(tx *gorm.DB) error {
		return s.appendAudit(tx, audited{Action: action, ObjectType: objectType, ObjectID: objectID, Outcome: OutcomeDenied})
	}); err != nil {
		return err
	}
	return ErrForbidden
}

// CreateStatement validates text and starts an impact statement of the victim with victimID as a draft at
// revision 1. It answers ErrNotFound for a victim the actor may not see, ErrForbidden for an actor who may
// not write statements, or a *ValidationError.
func (s *Store) CreateStatement(ctx context.Context, victimID string, text StatementText) (Statement, error) {
	if !statementsAllowed(ctx, true) {
		return Statement{}, s.refuseStatement(ctx, "statement.create", "victim", victimID)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Statement{}, err
	}
	if text.Language == "" {
		text.Language = "en"
	}
	if text.Delivery == "" {
		text.Delivery = DeliveryWritten
	}
	verr := &ValidationError{}
	text.normalize(verr)
	var st Statement
	err = s.inTx(ctx, func(tx *gorm.DB) error {
		// Whether the victim is visible comes before whether the body is valid.
		victim, err := victimRowByID(tx, victimID)
		if err != nil {
			return err
		}
		if err := verr.orNil(); err != nil {
			return err
		}
		key, err := s.dataKeyFor(tx, victim.CaseID)
		if err != nil {
			return err
		}
		at, by := s.now(), actorUserID(ctx)
		row := statementRow{
			ID: id.String(), CaseID: victim.CaseID, VictimID: victim.ID, Language: text.Language,
			Delivery: text.Delivery, Status: StatementDraft, Revision: 1, CreatedAt: at, CreatedBy: by,
			UpdatedAt: at, UpdatedBy: by, Version: 1,
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		rev := StatementRevision{StatementText: text, Number: 1, Status: StatementDraft, CreatedAt: at, CreatedBy: deref(by)}
		if err := insertRevision(tx, key, row.ID, rev); err != nil {
			return err
		}
		st = statementOf(row, rev, nil)
		return s.appendAudit(tx, audited{Action: "statement.create", ObjectType: "statement", ObjectID: row.ID, CaseID: row.CaseID, Outcome: OutcomeSuccess})
	})
	if err != nil {
		return Statement{}, err
	}
	return st, nil
}

// StatementByID returns the statement with id as of its current revision, with its final revision, and
// records the read in the audit trail. A statement the actor may not see is ErrNotFound; an actor who may
// not have statements gets ErrForbidden, and the refusal is recorded.
func (s *Store) StatementByID(ctx context.Context, id string) (Statement, error) {
	if !statementsAllowed(ctx, false) {
		return Statement{}, s.refuseStatement(ctx, "statement.read", "statement", id)
	}
	db := s.read.WithContext(ctx)
	row, err := s.statementRowByID(db, id, false)
	if err != nil {
		return Statement{}, err
	}
	key, err := s.caseKey(db, row.CaseID)
	if err != nil {
		return Statement{}, err
	}
	list, err := openStatements(db, key, []statementRow{row})
	if err != nil {
		return Statement{}, err
	}
	// Nothing is answered unless its reading is on record.
	if err := s.inTx(ctx, func(tx *gorm.DB) error {
		return s.appendAudit(tx, audited{Action: "statement.read", ObjectType: "statement", ObjectID: row.ID, CaseID: row.CaseID, Outcome: OutcomeSuccess})
	}); err != nil {
		return Statement{}, err
	}
	return list[0], nil
}

// StatementVersion returns the version of a statement the request's actor may see, without reading (or
// auditing) its text, so that a change can check its If-Match first.
func (s *Store) StatementVersion(ctx context.Context, id string) (int64, error) {
	if !statementsAllowed(ctx, false) {
		return 0, s.refuseStatement(ctx, "statement.read", "statement", id)
	}
	row, err := s.statementRowByID(s.read.WithContext(ctx), id, false)
	return row.Version, err
}

// ListStatements returns one page of the statements of the victim with victimID, newest first, each as of
// its current revision, and records one statement.list event for the victim. limit is the page size (0 means
// DefaultPageSize) and afterID the last statement of the previous page.
func (s *Store) ListStatements(ctx context.Context, victimID string, limit int, afterID string) (StatementPage, error) {
	if !statementsAllowed(ctx, false) {
		return StatementPage{}, s.refuseStatement(ctx, "statement.list", "victim", victimID)
	}
	db := s.read.WithContext(ctx)
	victim, err := victimRowByID(db, victimID)
	if err != nil {
		return StatementPage{}, err
	}
	limit = pageSize(limit)
	q := inVisibleCases(db.Model(&statementRow{})).Where("victim_id = ?", victim.ID)
	if afterID != "" {
		if !ValidID(afterID) {
			return StatementPage{}, &ValidationError{Fields: map[string]string{"cursor": "is not a cursor this server issued"}}
		}
		q = q.Where("id < ?", afterID)
	}
	var rows []statementRow
	if err := q.Order("id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return StatementPage{}, err
	}
	page := StatementPage{Items: []Statement{}}
	if len(rows) > limit {
		rows = rows[:limit]
		page.NextAfterID = rows[limit-1].ID
	}
	if len(rows) > 0 {
		key, err := s.caseKey(db, victim.CaseID)
		if err != nil {
			return StatementPage{}, err
		}
		if page.Items, err = openStatements(db, key, rows); err != nil {
			return StatementPage{}, err
		}
	}
	if err := s.inTx(ctx, func(tx *gorm.DB) error {
		return s.appendAudit(tx, audited{Action: "statement.list", ObjectType: "victim", ObjectID: victim.ID, CaseID: victim.CaseID, Outcome: OutcomeSuccess})
	}); err != nil {
		return StatementPage{}, err
	}
	return page, nil
}

// ListStatementRevisions returns one page of the revisions of the statement with id, newest first, each
// with its text, and records one statement.revisions event. limit is the page size (0 means
// DefaultPageSize) and afterID the ID of the last revision of the previous page.
func (s *Store) ListStatementRevisions(ctx context.Context, id string, limit int, afterID string) (StatementRevisionPage, error) {
	if !statementsAllowed(ctx, false) {
		return StatementRevisionPage{}, s.refuseStatement(ctx, "statement.revisions", "statement", id)
	}
	db := s.read.WithContext(ctx)
	row, err := s.statementRowByID(db, id, false)
	if err != nil {
		return StatementRevisionPage{}, err
	}
	limit = pageSize(limit)
	q := db.Model(&revisionRow{}).Where("statement_id = ?", row.ID)
	if afterID != "" {
		if !ValidID(afterID) {
			return StatementRevisionPage{}, &ValidationError{Fields: map[string]string{"cursor": "is not a cursor this server issued"}}
		}
		var after []int
		if err := db.Model(&revisionRow{}).Where("id = ? AND statement_id = ?", afterID, row.ID).Pluck("number", &after).Error; err != nil {
			return StatementRevisionPage{}, err
		}
		if len(after) == 0 {
			return StatementRevisionPage{}, &ValidationError{Fields: map[string]string{"cursor": "is not a cursor of this statement's revisions"}}
		}
		q = q.Where("number < ?", after[0])
	}
	var rows []revisionRow
	if err := q.Order("number DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return StatementRevisionPage{}, err
	}
	page := StatementRevisionPage{Items: make([]StatementRevision, 0, len(rows))}
	if len(rows) > limit {
		rows = rows[:limit]
		page.NextAfterID = rows[limit-1].ID
	}
	key, err := s.caseKey(db, row.CaseID)
	if err != nil {
		return StatementRevisionPage{}, err
	}
	for _, r := range rows {
		rev, err := openRevision(key, r)
		if err != nil {
			return StatementRevisionPage{}, err
		}
		page.Items = append(page.Items, rev)
	}
	if err := s.inTx(ctx, func(tx *gorm.DB) error {
		return s.appendAudit(tx, audited{Action: "statement.revisions", ObjectType: "statement", ObjectID: row.ID, CaseID: row.CaseID, Outcome: OutcomeSuccess})
	}); err != nil {
		return StatementRevisionPage{}, err
	}
	return page, nil
}

// UpdateStatement applies u to the statement with id, provided the stored version is still version, and
// saves the result as a new revision. A submitted or final statement that changes goes back to draft (what
// is finalized is always what was submitted); a final one keeps its final revision for exhibits until the
// new draft is finalized in turn. A change that changes nothing saves nothing. It answers ErrNotFound,
// ErrForbidden, ErrVersionMismatch or a *ValidationError without changing anything.
func (s *Store) UpdateStatement(ctx context.Context, id string, version int64, u StatementUpdate) (Statement, error) {
	return s.saveStatement(ctx, "statement.update", id, version, func(st *Statement) (bool, error) {
		before := st.StatementText
		u.applyTo(&st.StatementText)
		verr := &ValidationError{}
		st.normalize(verr)
		if err := verr.orNil(); err != nil {
			return false, err
		}
		if st.StatementText == before {
			return false, nil
		}
		st.Status = StatementDraft
		return true, nil
	})
}

// SubmitStatement marks a draft statement submitted, as a new revision. version, when not 0, must be the
// stored version (ErrVersionMismatch otherwise); a statement that is not a draft is a *ConflictError.
func (s *Store) SubmitStatement(ctx context.Context, id string, version int64) (Statement, error) {
	return s.saveStatement(ctx, "statement.submit", id, version, func(st *Statement) (bool, error) {
		if st.Status != StatementDraft {
			return false, &ConflictError{Detail: fmt.Sprintf("Only a draft can be submitted; this statement is %s.", st.Status)}
		}
		st.Status = StatementSubmitted
		return true, nil
	})
}

// FinalizeStatement makes a submitted statement final, as a new revision that becomes its final revision.
// version, when not 0, must be the stored version (ErrVersionMismatch otherwise); a statement that is not
// submitted is a *ConflictError: a draft must be submitted first, and a final one is final already.
func (s *Store) FinalizeStatement(ctx context.Context, id string, version int64) (Statement, error) {
	return s.saveStatement(ctx, "statement.finalize", id, version, func(st *Statement) (bool, error) {
		if st.Status != StatementSubmitted {
			return false, &ConflictError{Detail: fmt.Sprintf("Only a submitted statement can be finalized; this statement is %s.", st.Status)}
		}
		st.Status = StatementFinal
		return true, nil
	})
}

// saveStatement runs one change of a statement in a transaction: it reads and locks the statement, checks
// version (0: any), lets change edit it, and, when change reports a change, appends the result as the next
// revision and records action in the audit trail. Concurrent saves queue on the row lock (PostgreSQL) or the
// single writer (SQLite), and the version guard in the UPDATE refuses all but the first of those that read
// the same version; the unique revision number backs both.
func (s *Store) saveStatement(ctx context.Context, action, id string, version int64, change func(*Statement) (bool, error)) (Statement, error) {
	if !statementsAllowed(ctx, true) {
		return Statement{}, s.refuseStatement(ctx, action, "statement", id)
	}
	var st Statement
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		row, err := s.statementRowByID(tx, id, true)
		if err != nil {
			return err
		}
		if version != 0 && row.Version != version {
			return ErrVersionMismatch
		}
		key, err := s.dataKeyFor(tx, row.CaseID)
		if err != nil {
			return err
		}
		list, err := openStatements(tx, key, []statementRow{row})
		if err != nil {
			return err
		}
		st = list[0]
		changed, err := change(&st)
		if err != nil || !changed {
			return err
		}
		at, by := s.now(), actorUserID(ctx)
		rev := StatementRevision{StatementText: st.StatementText, Number: row.Revision + 1, Status: st.Status, CreatedAt: at, CreatedBy: deref(by)}
		if err := insertRevision(tx, key, row.ID, rev); errors.Is(err, gorm.ErrDuplicatedKey) {
			// The row lock makes this unreachable; should it ever be bypassed, a revision number already taken
			// still only means that another save of the same version won.
			return ErrVersionMismatch
		} else if err != nil {
			return err
		}
		next := row
		next.Language, next.Delivery, next.Status, next.Revision = rev.Language, rev.Delivery, rev.Status, rev.Number
		next.UpdatedAt, next.UpdatedBy, next.Version = at, by, row.Version+1
		final := st.Final
		if rev.Status == StatementFinal {
			next.FinalRevision, final = &rev.Number, &rev
		}
		res := tx.Model(&statementRow{}).Where("id = ? AND version = ?", row.ID, row.Version).Updates(map[string]any{
			"language": next.Language, "delivery": next.Delivery, "status": next.Status, "revision": next.Revision,
			"final_revision": next.FinalRevision, "updated_at": next.UpdatedAt, "updated_by": next.UpdatedBy,
			"version": next.Version,
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrVersionMismatch
		}
		st = statementOf(next, rev, final)
		return s.appendAudit(tx, audited{Action: action, ObjectType: "statement", ObjectID: row.ID, CaseID: row.CaseID, Outcome: OutcomeSuccess})
	})
	if err != nil {
		return Statement{}, err
	}
	return st, nil
}

// statementRowByID reads the stored statement with id, provided the request's actor may see its case; with
// lock, the row stays locked until the transaction ends.
func (s *Store) statementRowByID(db *gorm.DB, id string, lock bool) (statementRow, error) {
	if !ValidID(id) {
		return statementRow{}, ErrNotFound
	}
	var row statementRow
	q := inVisibleCases(db.Model(&statementRow{})).Where("id = ?", id)
	if lock {
		q = s.forUpdate(q)
	}
	err := q.Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return statementRow{}, ErrNotFound
	}
	return row, err
}

// actorUserID is the ID of the staff member the request acts for, or nil for anyone else (the system).
func actorUserID(ctx context.Context) *string {
	actor := requestOf(ctx).Actor
	if actor.Type != ActorUser || !ValidID(actor.ID) {
		return nil
	}
	return &actor.ID
}

func revisionSealer(key []byte, id string) sealer {
	return sealer{key: key, table: "statement_revisions", row: id}
}

// insertRevision seals rev's text under key, bound to a new revision row, and stores it.
func insertRevision(tx *gorm.DB, key []byte, statementID string, rev StatementRevision) error {
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	row := revisionRow{
		ID: id.String(), StatementID: statementID, Number: rev.Number, Status: rev.Status,
		Language: rev.Language, Delivery: rev.Delivery, CreatedAt: rev.CreatedAt,
	}
	if rev.CreatedBy != "" {
		row.CreatedBy = &rev.CreatedBy
	}
	seal := revisionSealer(key, row.ID)
	for _, f := range revisionColumns(&row, &rev.StatementText) {
		if *f.sealed, err = seal.sealOptional(f.column, *f.plain); err != nil {
			return err
		}
	}
	return tx.Create(&row).Error
}

// revisionColumns pairs each sealed column of a revision row with its place in a statement's text.
func revisionColumns(row *revisionRow, t *StatementText) []struct {
	column string
	sealed **string
	plain  *string
} {
	return []struct {
		column string
		sealed **string
		plain  *string
	}{
		{"emotional", &row.Emotional, &t.Sections.Emotional},
		{"physical", &row.Physical, &t.Sections.Physical},
		{"financial", &row.Financial, &t.Sections.Financial},
		{"other", &row.Other, &t.Sections.Other},
		{"restitution_request_text", &row.RestitutionRequestText, &t.RestitutionRequest},
	}
}

// openRevision decrypts a stored revision with its case's data key.
func openRevision(key []byte, row revisionRow) (StatementRevision, error) {
	rev := StatementRevision{
		StatementText: StatementText{Language: row.Language, Delivery: row.Delivery},
		Number:        row.Number, Status: row.Status, CreatedAt: row.CreatedAt, CreatedBy: deref(row.CreatedBy),
	}
	open := revisionSealer(key, row.ID)
	var err error
	for _, f := range revisionColumns(&row, &rev.StatementText) {
		if *f.plain, err = open.openOptional(f.column, *f.sealed); err != nil {
			return StatementRevision{}, fmt.Errorf("statement %s revision %d: %w", row.StatementID, row.Number, err)
		}
	}
	return rev, nil
}

// openStatements reads and opens the current and final revisions of rows, which all belong to the case
// whose data key is key, and returns the statements in the order of rows. Revisions are chosen by the
// numbers in rows, never by the statements' rows as they are now, so that a save committed in between
// cannot mismatch a row and its text.
func openStatements(db *gorm.DB, key []byte, rows []statementRow) ([]Statement, error) {
	if len(rows) == 0 {
		return []Statement{}, nil
	}
	clauses := make([]string, len(rows))
	args := make([]any, 0, 2*len(rows))
	for i, row := range rows {
		numbers := []int{row.Revision}
		if row.FinalRevision != nil && *row.FinalRevision != row.Revision {
			numbers = append(numbers, *row.FinalRevision)
		}
		clauses[i] = "(statement_id = ? AND number IN ?)"
		args = append(args, row.ID, numbers)
	}
	var revRows []revisionRow
	if err := db.Model(&revisionRow{}).Where(strings.Join(clauses, " OR "), args...).Find(&revRows).Error; err != nil {
		return nil, err
	}
	type at struct {
		statement string
		number    int
	}
	revs := make(map[at]StatementRevision, len(revRows))
	for _, r := range revRows {
		rev, err := openRevision(key, r)
		if err != nil {
			return nil, err
		}
		revs[at{r.StatementID, r.Number}] = rev
	}
	out := make([]Statement, len(rows))
	for i, row := range rows {
		current, ok := revs[at{row.ID, row.Revision}]
		if !ok {
			return nil, fmt.Errorf("statement %s: revision %d is missing", row.ID, row.Revision)
		}
		var final *StatementRevision
		if row.FinalRevision != nil {
			f, ok := revs[at{row.ID, *row.FinalRevision}]
			if !ok {
				return nil, fmt.Errorf("statement %s: final revision %d is missing", row.ID, *row.FinalRevision)
			}
			final = &f
		}
		out[i] = statementOf(row, current, final)
	}
	return out, nil
}

// statementOf puts a statement together from its row, its current revision and its final one.
func statementOf(row statementRow, current StatementRevision, final *StatementRevision) Statement {
	return Statement{
		StatementText: current.StatementText,
		ID:            row.ID, CaseID: row.CaseID, VictimID: row.VictimID, Status: row.Status,
		Revision: row.Revision, Final: final, CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt,
		CreatedBy: deref(row.CreatedBy), UpdatedBy: deref(row.UpdatedBy), Version: row.Version,
	}
}
