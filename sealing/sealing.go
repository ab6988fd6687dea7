// Package sealing is ImpactLedger's envelope encryption: key-encryption keys (KEKs) from the environment
// wrap random data keys (DEKs), and data keys seal sensitive values with AES-256-GCM, bound by associated
// data to the table, column and row they belong to. It also makes blind indexes: keyed hashes of normalised
// values, for exact-match lookups without decrypting. Everything comes from Go's standard library, inside
// its FIPS 140-3 module. The package knows nothing of HTTP or the database.
package sealing

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// KeySize is the length of every key: AES-256.
const KeySize = 32

// KEK is a key-encryption key: it wraps data keys and never touches data itself.
type KEK struct {
	ID  string
	Key []byte
}

// keyID is what a key ID may look like: short and safe to print in logs and messages.
var keyID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// ParseKEKs reads a comma-separated list of key_id:base64(32 bytes). The first wraps new data keys; all
// of them unwrap. Key material never appears in its errors.
func ParseKEKs(list string) ([]KEK, error) {
	var keks []KEK
	seen := map[string]bool{}
	for i, entry := range strings.Split(list, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		id, encoded, ok := strings.Cut(entry, ":")
		if !ok || !keyID.MatchString(id) {
			return nil, fmt.Errorf("key %d: not of the form key_id:base64 (the id: letters, digits, . _ -)", i+1)
		}
		key, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil || len(key) != KeySize {
			return nil, fmt.Errorf("key %q: not the base64 of exactly %d bytes", id, KeySize)
		}
		if seen[id] {
			return nil, fmt.Errorf("key %q: listed twice", id)
		}
		seen[id] = true
		keks = append(keks, KEK{ID: id, Key: key})
	}
	if len(keks) == 0 {
		return nil, errors.New("no keys listed")
	}
	return keks, nil
}

// GenerateKEK makes a new key-encryption key entry, key_id:base64, dated so that its age is plain.
func GenerateKEK(now time.Time) (string, error) {
	key := make([]byte, KeySize)
	suffix := make([]byte, 3)
	if _, err := rand.Read(key); err != nil {
		return "", err
	}
	if _, err := rand.Read(suffix); err != nil {
		return "", err
	}
	id := "kek-" + now.UTC().Format("20060102") + "-" + hex.EncodeToString(suffix)
	return id + ":" + base64.StdEncoding.EncodeToString(key), nil
}

// NewDataKey makes a random data key.
func NewDataKey() ([]byte, error) {
	key := make([]byte, KeySize)
	_, err := rand.Read(key)
	return key, err
}

// Wrap seals a data key under kek; name binds the wrapped key to the record it is stored in.
func Wrap(kek KEK, name string, dataKey []byte) (string, error) {
	return seal(kek.Key, "impactledger data key|"+name, dataKey)
}

// Unwrap opens a data key wrapped by Wrap under kek and name.
func Unwrap(kek KEK, name, wrapped string) ([]byte, error) {
	key, err := open(kek.Key, "impactledger data key|"+name, wrapped)
	if err != nil {
		return nil, fmt.Errorf("unwrapping data key %s with key %q: %w", name, kek.ID, err)
	}
	return key, nil
}

// Place names where a sealed value is stored. Its parts are the associated data of the seal, so a value
// copied to another table, column or row no longer opens.
type Place struct {
	Table, Column, RowID string
}

func (p Place) aad() string { return "impactledger value|" + p.Table + "|" + p.Column + "|" + p.RowID }

// Seal encrypts plaintext under dataKey for place.
func Seal(dataKey []byte, place Place, plaintext []byte) (string, error) {
	return seal(dataKey, place.aad(), plaintext)
}

// Open decrypts a value sealed by Seal for the same place.
func Open(dataKey []byte, place Place, sealed string) ([]byte, error) {
	plain, err := open(dataKey, place.aad(), sealed)
	if err != nil {
		return nil, fmt.Errorf("opening %s.%s of %s: %w", place.Table, place.Column, place.RowID, err)
	}
	return plain, nil
}

// ErrNotSealed means a value does not have the form Seal produces.
var ErrNotSealed = errors.New("not a sealed value")

// ErrTampered means a sealed value failed its authentication: wrong key, wrong place, or changed bytes.
var ErrTampered = errors.New("the sealed value does not open with this key in this place")

// sealedPrefix marks the format of sealed values, so that it can change later without guessing.
const sealedPrefix = "v1."

func seal(key []byte, aad string, plaintext []byte) (string, error) {
	aead, err := newGCM(key)
	if err != nil {
		return "", err
	}
	// The AEAD draws its own random nonce and puts it in front, as FIPS 140-3 requires.
	out := aead.Seal(nil, nil, plaintext, []byte(aad))
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(out), nil
}

func open(key []byte, aad, sealed string) ([]byte, error) {
	encoded, ok := strings.CutPrefix(sealed, sealedPrefix)
	if !ok {
		return nil, ErrNotSealed
	}
	raw, err := base64.RawStdEncoding.DecodeString(encoded)
	if err != nil {
		return nil, ErrNotSealed
	}
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if len(raw) < aead.Overhead() {
		return nil, ErrNotSealed
	}
	plain, err := aead.Open(nil, nil, raw, []byte(aad))
	if err != nil {
		return nil, ErrTampered
	}
	return plain, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("sealing: key of %d bytes; want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCMWithRandomNonce(block)
}

// BlindIndex is a keyed SHA-256 of a normalised value (HMAC), for exact-match lookups such as a duplicate
// SSN without storing or decrypting it. purpose keeps indexes of different fields apart, so that equal
// values in different fields do not match.
func BlindIndex(indexKey []byte, purpose, normalized string) string {
	mac := hmac.New(sha256.New, indexKey)
	mac.Write([]byte(purpose))
	mac.Write([]byte{0})
	mac.Write([]byte(normalized))
	return hex.EncodeToString(mac.Sum(nil))
}
