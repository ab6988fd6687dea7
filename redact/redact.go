// Package redact reduces personal data to what Fed. R. Crim. P. 49.1 lets a filing show: SSNs and taxpayer
// numbers to their last four digits, birth dates to the year, minors to their initials, financial account
// numbers to their last four digits, home addresses to city and state. It is pure functions over plain
// values; callers decide when a rule applies.
package redact

import (
	"strings"
	"unicode"
)

// Initials reduces a name to the initials of its words, each followed by a full stop: "Jane Q. Roe" becomes
// "J. Q. R.". A name with no letters gives "".
func Initials(name string) string {
	var out []string
	for _, word := range strings.FieldsFunc(name, func(r rune) bool { return unicode.IsSpace(r) || r == '-' }) {
		for _, r := range word {
			if unicode.IsLetter(r) {
				out = append(out, string(unicode.ToUpper(r))+".")
				break
			}
		}
	}
	return strings.Join(out, " ")
}

// LastFour keeps the last four digits of a number such as an SSN or an account number, ignoring everything
// but digits; a number of fewer than four digits gives "".
func LastFour(number string) string {
	var digits []rune
	for _, r := range number {
		if r >= '0' && r <= '9' {
			digits = append(digits, r)
		}
	}
	if len(digits) < 4 {
		return ""
	}
	return string(digits[len(digits)-4:])
}
