// Package password holds the staff password policy (NIST SP 800-63B: a minimum length, no composition
// rules, and a list of common passwords to refuse) and the salted PBKDF2-HMAC-SHA256 hashing, from Go's
// FIPS 140-3 module, that stores them.
package password

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn/frequency"
	"golang.org/x/text/unicode/norm"
)

// Length bounds, in characters.
const (
	MinLength = 12
	MaxLength = 128
)

// DefaultIterations is the PBKDF2 work factor OWASP recommends for PBKDF2-HMAC-SHA256.
const DefaultIterations = 600_000

// MinIterations is the least work factor accepted at all, for test suites that lower it.
const MinIterations = 1_000

// common is zxcvbn's list of the 30,000 most common passwords from breaches, lower-cased.
var common = func() map[string]struct{} {
	list := frequency.FrequencyLists["passwords"]
	set := make(map[string]struct{}, len(list))
	for _, p := range list {
		set[strings.ToLower(p)] = struct{}{}
	}
	return set
}()

// CommonCount is how many common passwords are refused.
func CommonCount() int { return len(common) }

// Check explains why pw may not be used, or returns nil. The reasons are fit to show to the person choosing it.
func Check(pw string) error {
	if !utf8.ValidString(pw) {
		return errors.New("must be valid text")
	}
	n := utf8.RuneCountInString(norm.NFC.String(pw))
	switch {
	case n < MinLength:
		return fmt.Errorf("must be at least %d characters", MinLength)
	case n > MaxLength:
		return fmt.Errorf("must be at most %d characters", MaxLength)
	}
	lower := strings.ToLower(pw)
	if _, found := common[lower]; found || isRepetition(lower) || isCommonCore(lower) {
		return errors.New("is too common: it appears in lists of passwords from breaches, or is one with " +
			"digits, symbols or look-alike letters added; choose another")
	}
	return nil
}

// leet undoes the letter substitutions people make to dress up a word ("P@ssw0rd").
var leet = strings.NewReplacer("@", "a", "4", "a", "3", "e", "1", "i", "!", "i", "0", "o", "$", "s", "5", "s", "7", "t")

// isCommonCore reports a common password (or nothing at all) underneath digits and symbols added at its
// ends and look-alike letters: "welcome12345", "Summer2024!!", "P@ssw0rd1234", "123456789012".
func isCommonCore(lower string) bool {
	trim := func(r rune) bool { return !unicode.IsLetter(r) }
	for _, candidate := range []string{lower, leet.Replace(lower)} {
		core := strings.TrimFunc(candidate, trim)
		if core == "" || isRepetition(core) {
			return true
		}
		if _, found := common[core]; found {
			return true
		}
	}
	// A long run of digits with a common password of digits inside, such as 123456789012.
	digits := strings.TrimFunc(lower, func(r rune) bool { return !unicode.IsDigit(r) })
	for n := len(digits); n >= 6; n-- {
		if _, found := common[digits[:n]]; found && n*2 >= len(lower) {
			return true
		}
	}
	return false
}

// isRepetition catches a short common password repeated to reach the length, such as "passwordpassword".
func isRepetition(pw string) bool {
	for size := 1; size <= len(pw)/2; size++ {
		if len(pw)%size == 0 && strings.Repeat(pw[:size], len(pw)/size) == pw {
			return true
		}
	}
	return false
}

// Hash returns pw salted and hashed with PBKDF2-HMAC-SHA256, encoded with its parameters so that the work
// factor can grow later without invalidating stored hashes.
func Hash(pw string, iterations int) (string, error) {
	if iterations < MinIterations {
		return "", fmt.Errorf("password: %d iterations is below the minimum of %d", iterations, MinIterations)
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key, err := pbkdf2.Key(sha256.New, norm.NFC.String(pw), salt, iterations, 32)
	if err != nil {
		return "", err
	}
	enc := base64.RawStdEncoding
	return fmt.Sprintf("pbkdf2-sha256$%d$%s$%s", iterations, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// NeedsRehash reports whether an encoded hash was made with another work factor than iterations, so that
// a successful sign-in can bring it up to date.
func NeedsRehash(encoded string, iterations int) bool {
	parts := strings.Split(encoded, "$")
	return len(parts) != 4 || parts[1] != strconv.Itoa(iterations)
}

// Verify reports whether pw matches an encoded hash made by Hash, comparing in constant time.
func Verify(pw, encoded string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return false
	}
	iterations, err := strconv.Atoi(parts[1])
	if err != nil || iterations < MinIterations {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[2])
	want, err2 := enc.DecodeString(parts[3])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, norm.NFC.String(pw), salt, iterations, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}
