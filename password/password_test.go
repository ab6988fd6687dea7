package password_test

import (
	"crypto/fips140"
	"os"
	"strings"
	"testing"

	"github.com/impactledger/impactledger/password"
)

func TestCheck(t *testing.T) {
	if n := password.CommonCount(); n < 10_000 {
		t.Fatalf("only %d common passwords are refused; the policy needs at least 10,000", n)
	}
	for pw, ok := range map[string]bool{
		"correct horse battery staple": true,
		"Ünïcödé-pässwörd-✓":           true,
		"short pw":                     false,
		strings.Repeat("x", 129):       false,
		strings.Repeat("é", 127) + "x": true,  // 128 characters, more bytes
		"1qaz2wsx3edc":                 false, // on the common list
		"Qwertyuiop123":                false, // on the common list, whatever the case
		"passwordpassword":             false, // a repetition
		"abcabcabcabc":                 false,
		"welcome12345":                 false, // a common password with digits added
		"Summer2024!!":                 false,
		"P@ssw0rd1234":                 false, // and look-alike letters
		"123456789012":                 false,
		"!!!!????####":                 false, // no word at all
		"orange tractor 1987":          true,  // a common word inside a longer passphrase is fine
	} {
		if err := password.Check(pw); (err == nil) != ok {
			t.Errorf("Check(%q) = %v; want ok=%v", pw, err, ok)
		}
	}
}

func TestHashAndVerify(t *testing.T) {
	h, err := password.Hash("correct horse battery staple", password.MinIterations)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "pbkdf2-sha256$1000$") {
		t.Fatalf("hash %q does not record its algorithm and work factor", h)
	}
	h2, _ := password.Hash("correct horse battery staple", password.MinIterations)
	if h == h2 {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	if !password.Verify("correct horse battery staple", h) || password.Verify("correct horse battery stapler", h) {
		t.Fatal("Verify accepts the wrong password or refuses the right one")
	}
	// The same text typed as composed or decomposed characters is the same password.
	composed, decomposed := "caf\u00e9 au lait, s'il vous plait", "cafe\u0301 au lait, s'il vous plait"
	hc, _ := password.Hash(composed, password.MinIterations)
	if !password.Verify(decomposed, hc) {
		t.Fatal("Unicode normalization is not applied")
	}
	for _, bad := range []string{"", "pbkdf2-sha256$1000$x$", "md5$1$2$3", "pbkdf2-sha256$10$AAAA$AAAA"} {
		if password.Verify("x", bad) {
			t.Errorf("Verify accepted the malformed hash %q", bad)
		}
	}
	if _, err := password.Hash("x", 10); err == nil {
		t.Error("Hash accepted a work factor below the minimum")
	}
}

// TestFIPSModeWhenAsked checks that GODEBUG=fips140=on really switches Go's FIPS 140-3 module on, and that CI
// runs the suite that way.
func TestFIPSModeWhenAsked(t *testing.T) {
	asked := strings.Contains(os.Getenv("GODEBUG"), "fips140=on") || strings.Contains(os.Getenv("GODEBUG"), "fips140=only")
	if asked && !fips140.Enabled() {
		t.Fatal("GODEBUG asks for FIPS 140-3 mode, but the module is not enabled")
	}
	if os.Getenv("CI") != "" && !fips140.Enabled() {
		t.Fatal("CI must run the test suite with GODEBUG=fips140=on")
	}
	if !fips140.Enabled() {
		t.Log("FIPS 140-3 mode is off in this run; CI runs with GODEBUG=fips140=on")
	}
}
