package models

// Optional is one field of a partial update: Set says whether the caller gave it at all, and Value is what
// it was set to (a nil pointer in Value clears a nullable field).
type Optional[T any] struct {
	Value T
	Set   bool
}

// applyTo sets *dst to the value when the field was given.
func (o Optional[T]) applyTo(dst *T) {
	if o.Set {
		*dst = o.Value
	}
}

// Some returns an Optional that sets the field to v.
func Some[T any](v T) Optional[T] { return Optional[T]{Value: v, Set: true} }
