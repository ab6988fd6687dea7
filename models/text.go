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

// hasControl reports characters that do not belong in text people read: control characters (line breaks
// and tabs are allowed in multi-line text), the byte-order mark, line and paragraph separators in a single
// line, and the bidirectional overrides and isolates that can make text display as something it is not.
func hasControl(s string, multiline bool) bool {
	for _, r := range s {
		switch {
		case multiline && (r == '\n' || r == '\r' || r == '\t'):
		case unicode.IsControl(r), r == '\uFEFF', r >= '\u202A' && r <= '\u202E', r >= '\u2066' && r <= '\u2069':
			return true
		case !multiline && (r == '\u2028' || r == '\u2029'):
			return true
		}
	}
	return false
}

// CleanQuery trims a search text and checks it can be searched for; field names the parameter it came in.
func CleanQuery(field, q string) (string, error) {
	v := &ValidationError{}
	q = cleanText(v, field, q, textRule{maxRunes: 200})
	return q, v.orNil()
}

// likePattern turns user text into a LIKE pattern matching it anywhere, with wildcards in the text escaped
// (the statement must say ESCAPE '\').
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}
