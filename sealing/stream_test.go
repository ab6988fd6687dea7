package sealing_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"testing"

	"github.com/impactledger/impactledger/sealing"
)

func sealFile(t *testing.T, key []byte, name string, plain []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := sealing.NewFileWriter(&out, key, name)
	if err != nil {
		t.Fatal(err)
	}
	// Odd-sized writes, so that chunk boundaries fall inside them.
	for rest := plain; len(rest) > 0; {
		n := min(len(rest), 10_007)
		if _, err := w.Write(rest[:n]); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func openFile(key []byte, name string, sealed []byte) ([]byte, error) {
	r, err := sealing.NewFileReader(bytes.NewReader(sealed), key, name)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

func TestFilesRoundTrip(t *testing.T) {
	key, _ := sealing.NewDataKey()
	for _, size := range []int{0, 1, sealing.ChunkSize - 1, sealing.ChunkSize, sealing.ChunkSize + 1, 3*sealing.ChunkSize + 5} {
		plain := make([]byte, size)
		rand.Read(plain)
		sealed := sealFile(t, key, "doc-1", plain)
		if size > 16 && bytes.Contains(sealed, plain[:16]) {
			t.Fatalf("%d bytes: the plaintext shows through", size)
		}
		got, err := openFile(key, "doc-1", sealed)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("%d bytes: opened %d bytes, %v", size, len(got), err)
		}
	}
}

func TestTamperedFilesDoNotOpen(t *testing.T) {
	key, _ := sealing.NewDataKey()
	other, _ := sealing.NewDataKey()
	plain := make([]byte, 3*sealing.ChunkSize)
	rand.Read(plain)
	sealed := sealFile(t, key, "doc-1", plain)
	chunk := sealing.ChunkSize + 28
	header := 36
	flipped := bytes.Clone(sealed)
	flipped[len(flipped)/2] ^= 1
	swapped := bytes.Clone(sealed)
	copy(swapped[header:], sealed[header+chunk:header+2*chunk])
	copy(swapped[header+chunk:], sealed[header:header+chunk])
	for name, tc := range map[string]struct {
		key    []byte
		name   string
		sealed []byte
	}{
		"wrong key":              {other, "doc-1", sealed},
		"another document's":     {key, "doc-2", sealed},
		"a flipped bit":          {key, "doc-1", flipped},
		"chunks swapped":         {key, "doc-1", swapped},
		"cut at a chunk's end":   {key, "doc-1", sealed[:header+2*chunk]},
		"cut inside a chunk":     {key, "doc-1", sealed[:len(sealed)-100]},
		"only the header":        {key, "doc-1", sealed[:header]},
		"not a sealed file":      {key, "doc-1", plain},
		"a chunk appended twice": {key, "doc-1", append(bytes.Clone(sealed), sealed[len(sealed)-chunk:]...)},
	} {
		got, err := openFile(tc.key, tc.name, tc.sealed)
		if err == nil {
			t.Errorf("%s: opened %d bytes", name, len(got))
		} else if !errors.Is(err, sealing.ErrTampered) && !errors.Is(err, sealing.ErrNotSealed) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
