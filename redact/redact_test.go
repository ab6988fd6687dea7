package redact_test

import (
	"testing"

	"github.com/impactledger/impactledger/redact"
)

func TestInitials(t *testing.T) {
	for name, want := range map[string]string{
		"Jane Q. Roe":          "J. Q. R.",
		"  maría   del carmen": "M. D. C.",
		"Anne-Marie O'Neil":    "A. M. O.",
		"Émile Zola":           "É. Z.",
		"":                     "",
		"123 ...":              "",
	} {
		if got := redact.Initials(name); got != want {
			t.Errorf("Initials(%q) = %q; want %q", name, got, want)
		}
	}
}

func TestLastFour(t *testing.T) {
	for number, want := range map[string]string{
		"078-05-1120":         "1120",
		"078051120":           "1120",
		"123":                 "",
		"acct 0012 3456 7890": "7890",
	} {
		if got := redact.LastFour(number); got != want {
			t.Errorf("LastFour(%q) = %q; want %q", number, got, want)
		}
	}
}
