package totp_test

import (
	"encoding/base32"
	"strings"
	"testing"
	"time"

	"github.com/impactledger/impactledger/totp"
)

// RFC 6238 appendix B, SHA-1 rows, with the RFC's 8-digit values cut to the 6 digits apps show.
func TestRFC6238Vectors(t *testing.T) {
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890"))
	for unix, want := range map[int64]string{
		59:          "287082",
		1111111109:  "081804",
		1111111111:  "050471",
		1234567890:  "005924",
		2000000000:  "279037",
		20000000000: "353130",
	} {
		got, err := totp.Code(secret, totp.Step(time.Unix(unix, 0)))
		if err != nil || got != want {
			t.Errorf("T=%d: %q, %v; want %q", unix, got, err, want)
		}
	}
}

func TestVerify(t *testing.T) {
	secret, err := totp.NewSecret()
	if err != nil || len(secret) != 32 {
		t.Fatalf("secret %q, %v", secret, err)
	}
	now := time.Date(2026, 11, 25, 9, 0, 10, 0, time.UTC)
	code, _ := totp.Code(secret, totp.Step(now))
	step, ok := totp.Verify(secret, code, now)
	if !ok || step != totp.Step(now) {
		t.Fatal("the current code is refused")
	}
	if _, ok := totp.Verify(secret, code, now.Add(31*time.Second)); !ok {
		t.Error("a code from the step before is refused (clock skew)")
	}
	if _, ok := totp.Verify(secret, code, now.Add(95*time.Second)); ok {
		t.Error("a code three steps old is accepted")
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if _, ok := totp.Verify(secret, bad, now); ok {
			t.Errorf("Verify(%q) accepted", bad)
		}
	}
	uri := totp.URI(secret, "ImpactLedger", "dana@mesa.gov")
	if !strings.HasPrefix(uri, "otpauth://totp/ImpactLedger:dana@mesa.gov?") || !strings.Contains(uri, "secret="+secret) {
		t.Errorf("URI = %q", uri)
	}
}
