package models

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ErrNotFound means the record does not exist (or, once access control exists, is not visible).
var ErrNotFound = errors.New("not found")

// ErrVersionMismatch means the caller changed an older version of a record than the stored one.
var ErrVersionMismatch = errors.New("the record was changed since that version was read")

// ConflictError means a change would break a uniqueness rule; Detail says which, in words fit for the user.
// ExistingID, when set, names the record the change would duplicate.
type ConflictError struct {
	Detail     string
	ExistingID string
}

// Error describes the conflict.
func (e *ConflictError) Error() string { return "conflict: " + e.Detail }

// ValidationError lists what is wrong with a record, field by field, in words fit for the user.
type ValidationError struct{ Fields map[string]string }

// Error lists every invalid field and why.
func (e *ValidationError) Error() string {
	keys := slices.Sorted(maps.Keys(e.Fields))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %s", k, e.Fields[k])
	}
	return "invalid: " + strings.Join(parts, "; ")
}

// add records a problem with field, keeping the first one found.
func (e *ValidationError) add(field, msg string) {
	if e.Fields == nil {
		e.Fields = map[string]string{}
	}
	if _, seen := e.Fields[field]; !seen {
		e.Fields[field] = msg
	}
}

// orNil returns e when it holds any problem, so callers can `return v.orNil()`.
func (e *ValidationError) orNil() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

// ErrForbidden means the request's actor may see the record but not do what it asked, such as revealing a
// victim's full SSN.
var ErrForbidden = errors.New("not allowed")
