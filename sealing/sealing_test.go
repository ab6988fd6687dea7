package sealing_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/impactledger/impactledger/sealing"
)

func newKEK(t *testing.T) sealing.KEK {
	t.Helper()
	entry, err := sealing.GenerateKEK(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	keks, err := sealing.ParseKEKs(entry)
	if err != nil {
		t.Fatal(err)
	}
	return keks[0]
}

func TestParseKEKs(t *testing.T) {
	a, b := newKEK(t), newKEK(t)
	if !strings.HasPrefix(a.ID, "kek-20261125-") || a.ID == b.ID {
		t.Fatalf("generated ids %q, %q", a.ID, b.ID)
	}
	good := "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=, k2:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
	keks, err := sealing.ParseKEKs(good)
	if err != nil || len(keks) != 2 || keks[0].ID != "k1" || keks[1].Key[0] != 1 {
		t.Fatalf("ParseKEKs = %+v, %v", keks, err)
	}
	for _, bad := range []string{"", "k1", "k1:short", "bad id:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="} {
		_, err := sealing.ParseKEKs(bad)
		if err == nil {
			t.Errorf("ParseKEKs(%q) accepted", bad)
		} else if strings.Contains(err.Error(), "AAAA") {
			t.Errorf("the error quotes key material: %v", err)
		}
	}
}

func TestEnvelope(t *testing.T) {
	kek, other := newKEK(t), newKEK(t)
	dek, err := sealing.NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	wrapped, err := sealing.Wrap(kek, "case-1", dek)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := sealing.Unwrap(kek, "case-1", wrapped); err != nil || !bytes.Equal(got, dek) {
		t.Fatalf("unwrap: %v", err)
	}
	if _, err := sealing.Unwrap(other, "case-1", wrapped); err == nil {
		t.Fatal("another KEK unwrapped the data key")
	}
	if _, err := sealing.Unwrap(kek, "case-2", wrapped); err == nil {
		t.Fatal("a wrapped key moved to another record unwrapped")
	}

	place := sealing.Place{Table: "victims", Column: "ssn", RowID: "row-1"}
	sealed, err := sealing.Seal(dek, place, []byte("078-05-1120"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "078") {
		t.Fatal("the sealed value shows the plaintext")
	}
	again, _ := sealing.Seal(dek, place, []byte("078-05-1120"))
	if again == sealed {
		t.Fatal("sealing twice gave the same ciphertext: nonces repeat")
	}
	if plain, err := sealing.Open(dek, place, sealed); err != nil || string(plain) != "078-05-1120" {
		t.Fatalf("open: %q %v", plain, err)
	}
	for name, p := range map[string]sealing.Place{
		"another row":    {Table: "victims", Column: "ssn", RowID: "row-2"},
		"another column": {Table: "victims", Column: "phone", RowID: "row-1"},
		"another table":  {Table: "defendants", Column: "ssn", RowID: "row-1"},
	} {
		if _, err := sealing.Open(dek, p, sealed); !errors.Is(err, sealing.ErrTampered) {
			t.Errorf("opened in %s: %v", name, err)
		}
	}
	flipped := []byte(sealed)
	flipped[len(flipped)-2] ^= 1
	if _, err := sealing.Open(dek, place, string(flipped)); err == nil {
		t.Error("a changed ciphertext opened")
	}
	for _, junk := range []string{"", "plain text", "v1.", "v1.!!!", "v1.AAAA"} {
		if _, err := sealing.Open(dek, place, junk); err == nil {
			t.Errorf("Open(%q) succeeded", junk)
		}
	}
}

func TestBlindIndex(t *testing.T) {
	k1, k2 := newKEK(t).Key, newKEK(t).Key
	a := sealing.BlindIndex(k1, "ssn", "078051120")
	if a != sealing.BlindIndex(k1, "ssn", "078051120") || len(a) != 64 {
		t.Fatal("the index of one value is not stable")
	}
	if a == sealing.BlindIndex(k2, "ssn", "078051120") || a == sealing.BlindIndex(k1, "phone", "078051120") ||
		a == sealing.BlindIndex(k1, "ssn", "078051121") {
		t.Fatal("indexes under another key, purpose or value collide")
	}
}
