package models

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// textRule says what a free-text field accepts.
type textRule struct {
	required  bool
	maxRunes  int
	multiline bool
}

// cleanText trims value and checks it against rule, recording any problem under field. It returns the
// trimmed value, which is what gets stored.
func cleanText(v *ValidationError, field, value string, rule textRule) string {
	value = strings.TrimSpace(value)
	switch {
	case !utf8.ValidString(value):
		v.add(field, "must be valid UTF-8 text")
	case rule.required && value == "":
		v.add(field, "is required")
	case utf8.RuneCountInString(value) > rule.maxRunes:
		v.add(field, fmt.Sprintf("must be at most %d characters", rule.maxRunes))
	case hasControl(value, rule.multiline):
		if rule.multiline {
			v.add(field, "must not contain control characters")
		} else {
			v.add(field, "must be a single line without control characters")
		}
	}
	return value
}

func hasControl(s string, multiline bool) bool {
	for _, r := range s {
		if multiline && (r == '\n' || r == '\r' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}

// likePattern turns user text into a LIKE pattern matching it anywhere, with wildcards in the text escaped
// (the statement must say ESCAPE '\').
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}
