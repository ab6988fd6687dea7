package models

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/impactledger/impactledger/documents"
)

// Document is a file attached to a loss (a receipt, a bank statement, a letter). The file itself lives
// sealed in a documents.Storage under the document's ID; FileName and VoidReason are sealed in the database.
// A voided document is kept and can still be read.
type Document struct {
	ID        string
	LossID    string
	CaseID    string
	FileName  string
	MediaType string
	SizeBytes int64
	// SHA256 is the hex SHA-256 of the plaintext, to check a download against.
	SHA256     string
	CreatedAt  time.Time
	CreatedBy  string
	VoidedAt   *time.Time
	VoidReason string
	VoidedBy   string
}

// documentRow is a document as stored.
type documentRow struct {
	ID          string `gorm:"primaryKey"`
	LossID      string
	CaseID      string
	FileName    string
	MediaType   string
	SizeBytes   int64
	SHA256      string `gorm:"column:sha256"`
	StorageName string
	CreatedAt   time.Time
	CreatedBy   string
	VoidedAt    *time.Time
	VoidReason  *string
	VoidedBy    *string
}

func (documentRow) TableName() string { return "documents" }

func documentSealer(key []byte, id string) sealer {
	return sealer{key: key, table: "documents", row: id}
}

// errVoidLoss refuses documents for a voided loss.
var errVoidLoss = &ConflictError{Detail: "This loss is void; no document can be attached to it."}

// AddDocument attaches the file read from content, uploaded under fileName, to the loss with lossID. The file
// is sealed with the case's data key into storage as it streams in (never held whole), committed there, and
// only then recorded, with its audit event, in one transaction; if that fails the file is removed again, so
// that a failed or cancelled upload leaves neither a row nor a file. Errors from documents.Seal (ErrEmpty,
// ErrTooLarge, *UnsupportedTypeError) and from reading content come back as they are.
func (s *Store) AddDocument(ctx context.Context, storage documents.Storage, lossID, fileName string, content io.Reader) (Document, error) {
	db := s.read.WithContext(ctx)
	loss, err := s.lossRowByID(db, lossID, false)
	if err != nil {
		return Document{}, err
	}
	if loss.VoidedAt != nil {
		return Document{}, errVoidLoss
	}
	key, err := s.caseKey(db, loss.CaseID)
	if err != nil {
		return Document{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Document{}, err
	}
	d := Document{ID: id.String(), LossID: lossID, CaseID: loss.CaseID}
	pending, err := storage.Create(ctx, d.ID)
	if err != nil {
		return Document{}, err
	}
	defer pending.Abort()
	info, err := documents.Seal(pending, content, key, d.ID, documents.MaxSize)
	if err != nil {
		return Document{}, err
	}
	if err := pending.Commit(); err != nil {
		return Document{}, err
	}
	d.FileName = documents.SafeFileName(fileName, info.MediaType)
	d.MediaType, d.SizeBytes, d.SHA256 = info.MediaType, info.Size, info.SHA256
	err = s.inTx(ctx, func(tx *gorm.DB) error {
		// The loss may have been voided while the file streamed in.
		current, err := s.lossRowByID(tx, lossID, true)
		if err != nil {
			return err
		}
		if current.VoidedAt != nil {
			return errVoidLoss
		}
		d.CreatedAt, d.CreatedBy = s.now(), requestOf(ctx).Actor.ID
		name, err := documentSealer(key, d.ID).seal("file_name", d.FileName)
		if err != nil {
			return err
		}
		row := documentRow{ID: d.ID, LossID: lossID, CaseID: d.CaseID, FileName: name, MediaType: d.MediaType,
			SizeBytes: d.SizeBytes, SHA256: d.SHA256, StorageName: d.ID, CreatedAt: d.CreatedAt, CreatedBy: d.CreatedBy}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return s.appendAudit(tx, audited{Action: "document.upload", ObjectType: "document", ObjectID: d.ID, CaseID: d.CaseID, Outcome: OutcomeSuccess})
	})
	if err != nil {
		// Not the request's context: a cancelled request must still clean up.
		if rmErr := storage.Remove(context.WithoutCancel(ctx), d.ID); rmErr != nil {
			return Document{}, errors.Join(err, rmErr)
		}
		return Document{}, err
	}
	return d, nil
}

// DocumentByID returns the metadata of the document with id, voided or not, and records the read.
func (s *Store) DocumentByID(ctx context.Context, id string) (Document, error) {
	db := s.read.WithContext(ctx)
	d, _, err := s.documentByID(db, id, false)
	if err != nil {
		return Document{}, err
	}
	if err := s.inTx(ctx, func(tx *gorm.DB) error {
		return s.appendAudit(tx, audited{Action: "document.read", ObjectType: "document", ObjectID: id, CaseID: d.CaseID, Outcome: OutcomeSuccess})
	}); err != nil {
		return Document{}, err
	}
	return d, nil
}

// OpenDocument returns the metadata of the document with id and a reader of its plaintext, opened from
// storage as it is read, once the download is on record. The caller closes the reader. A read fails with
// sealing.ErrTampered if the stored file was changed.
func (s *Store) OpenDocument(ctx context.Context, storage documents.Storage, id string) (Document, io.ReadCloser, error) {
	db := s.read.WithContext(ctx)
	d, row, err := s.documentByID(db, id, false)
	if err != nil {
		return Document{}, nil, err
	}
	key, err := s.caseKey(db, d.CaseID)
	if err != nil {
		return Document{}, nil, err
	}
	file, err := storage.Open(ctx, row.StorageName)
	if err != nil {
		return Document{}, nil, err
	}
	plain, err := documents.Open(file, key, row.StorageName)
	if err != nil {
		file.Close()
		return Document{}, nil, err
	}
	if err := s.inTx(ctx, func(tx *gorm.DB) error {
		return s.appendAudit(tx, audited{Action: "document.download", ObjectType: "document", ObjectID: id, CaseID: d.CaseID, Outcome: OutcomeSuccess})
	}); err != nil {
		file.Close()
		return Document{}, nil, err
	}
	return d, struct {
		io.Reader
		io.Closer
	}{plain, file}, nil
}

// VoidDocument marks the document with id void for reason. It is kept, in the database and in storage, and
// can still be read. Voiding a void document again changes nothing.
func (s *Store) VoidDocument(ctx context.Context, id, reason string) (Document, error) {
	verr := &ValidationError{}
	reason = cleanText(verr, "reason", reason, voidReasonRule)
	var d Document
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		var err error
		if d, _, err = s.documentByID(tx, id, true); err != nil {
			return err
		}
		if err := verr.orNil(); err != nil {
			return err
		}
		if d.VoidedAt != nil {
			return nil
		}
		key, err := s.dataKeyFor(tx, d.CaseID)
		if err != nil {
			return err
		}
		sealed, err := documentSealer(key, id).seal("void_reason", reason)
		if err != nil {
			return err
		}
		at, by := s.now(), requestOf(ctx).Actor.ID
		if err := tx.Model(&documentRow{}).Where("id = ?", id).Updates(map[string]any{
			"voided_at": at, "void_reason": sealed, "voided_by": by,
		}).Error; err != nil {
			return err
		}
		d.VoidedAt, d.VoidReason, d.VoidedBy = &at, reason, by
		return s.appendAudit(tx, audited{Action: "document.void", ObjectType: "document", ObjectID: id, CaseID: d.CaseID, Outcome: OutcomeSuccess})
	})
	if err != nil {
		return Document{}, err
	}
	return d, nil
}

// documentByID reads and opens the document with id, provided the request's actor may see its case. With
// lock, its row stays locked until db's transaction ends.
func (s *Store) documentByID(db *gorm.DB, id string, lock bool) (Document, documentRow, error) {
	if !ValidID(id) {
		return Document{}, documentRow{}, ErrNotFound
	}
	var row documentRow
	q := inVisibleCases(db.Model(&documentRow{})).Where("id = ?", id)
	if lock {
		q = s.forUpdate(q)
	}
	err := q.Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Document{}, documentRow{}, ErrNotFound
	}
	if err != nil {
		return Document{}, documentRow{}, err
	}
	key, err := s.caseKey(db, row.CaseID)
	if err != nil {
		return Document{}, documentRow{}, err
	}
	d, err := openDocument(key, row)
	return d, row, err
}

// documentsOf returns the documents of the given losses of one case, by loss, oldest first.
func (s *Store) documentsOf(db *gorm.DB, key []byte, lossIDs []string) (map[string][]Document, error) {
	var rows []documentRow
	if err := db.Where("loss_id IN ?", lossIDs).Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := map[string][]Document{}
	for _, row := range rows {
		d, err := openDocument(key, row)
		if err != nil {
			return nil, err
		}
		out[row.LossID] = append(out[row.LossID], d)
	}
	return out, nil
}

func openDocument(key []byte, row documentRow) (Document, error) {
	d := Document{ID: row.ID, LossID: row.LossID, CaseID: row.CaseID, MediaType: row.MediaType,
		SizeBytes: row.SizeBytes, SHA256: row.SHA256, CreatedAt: row.CreatedAt, CreatedBy: row.CreatedBy,
		VoidedBy: deref(row.VoidedBy)}
	if row.VoidedAt != nil {
		at := row.VoidedAt.UTC()
		d.VoidedAt = &at
	}
	seal := documentSealer(key, row.ID)
	var err error
	if d.FileName, err = seal.open("file_name", row.FileName); err != nil {
		return Document{}, err
	}
	// Documents stored before names took their detected type's extension are shown and downloaded as if
	// they had.
	d.FileName = documents.SafeFileName(d.FileName, d.MediaType)
	if d.VoidReason, err = seal.openOptional("void_reason", row.VoidReason); err != nil {
		return Document{}, err
	}
	return d, nil
}
