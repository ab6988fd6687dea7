package models

import (
	"fmt"

	"gorm.io/gorm"
)

// AuditChainScope is the data_keys scope of the default audit key, the key that chains audit events when no
// IMPACTLEDGER_AUDIT_KEY is configured. It is a data key like a case's, wrapped by the key-encryption key and
// rewrapped by rotation, so that the database never holds it in the clear and events chained under it stay
// verifiable after an old key-encryption key is retired (a key derived from a key-encryption key would die
// with it). It never seals data, and no other data key chains events.
const AuditChainScope = "audit-chain"

// AuditDataKeyID is the key id events record when they were chained under the AuditChainScope data key. It
// holds a colon, which configured key ids cannot, so that it never names one of those.
const AuditDataKeyID = "data-key:" + AuditChainScope

// AuditKeyMissingError means the audit chain's head was chained with an audit key that is not available: an
// IMPACTLEDGER_AUDIT_KEY entry no longer configured, or the audit data key gone from the database. Nothing
// is appended then, since a new event could not show that the chain before it is intact.
type AuditKeyMissingError struct{ KeyID string }

// Error names the key and what to do.
func (e *AuditKeyMissingError) Error() string {
	if e.KeyID == AuditDataKeyID {
		return fmt.Sprintf("the audit chain was last chained with %s, and the database no longer holds that data key; "+
			"restore the data_keys row of scope %q from a backup", e.KeyID, AuditChainScope)
	}
	return fmt.Sprintf("the audit chain was last chained with audit key %q, which is not configured; add it back to "+
		"IMPACTLEDGER_AUDIT_KEY (after the key that signs new events)", e.KeyID)
}

// signingAuditKey is the key that chains new events: the first configured audit key, else the audit data key,
// made on first use.
func (s *Store) signingAuditKey(tx *gorm.DB) (string, []byte, error) {
	if len(s.auditKeys) > 0 {
		return s.auditKeys[0].ID, s.auditKeys[0].Key, nil
	}
	k, err := s.dataKeyFor(tx, AuditChainScope)
	if err != nil {
		return "", nil, err
	}
	return AuditDataKeyID, k, nil
}

// auditKey returns the audit key with id, or an *AuditKeyMissingError. It never makes a key: a missing audit
// data key is a loss to report, not a gap to fill with a new key the old events do not match.
func (s *Store) auditKey(db *gorm.DB, id string) ([]byte, error) {
	if id == AuditDataKeyID {
		keys, err := s.dataKeysFor(db, []string{AuditChainScope}, false)
		if err != nil {
			return nil, err
		}
		if k, ok := keys[AuditChainScope]; ok {
			return k, nil
		}
		return nil, &AuditKeyMissingError{KeyID: id}
	}
	for _, k := range s.auditKeys {
		if k.ID == id {
			return k.Key, nil
		}
	}
	return nil, &AuditKeyMissingError{KeyID: id}
}

// AuditKeyIDs lists the configured audit keys in order (the first chains new events), or AuditDataKeyID
// when none is configured: ids only, for the start-up line.
func (s *Store) AuditKeyIDs() []string {
	if len(s.auditKeys) == 0 {
		return []string{AuditDataKeyID}
	}
	ids := make([]string, len(s.auditKeys))
	for i, k := range s.auditKeys {
		ids[i] = k.ID
	}
	return ids
}
