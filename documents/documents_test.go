package documents_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/impactledger/impactledger/documents"
	"github.com/impactledger/impactledger/sealing"
)

const docID = "0193a3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b"

// pdfStream is a PDF-looking stream of n bytes made on the fly, so that the test itself holds no file.
func pdfStream(n int64) io.Reader {
	return io.MultiReader(strings.NewReader("%PDF-1.7\n"), io.LimitReader(rand.Reader, n-9))
}

func TestTwentyMiBRoundTripsInBoundedMemory(t *testing.T) {
	key, _ := sealing.NewDataKey()
	path := t.TempDir()
	dir, err := documents.NewDir(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const size = 20 << 20

	want := sha256.New()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	pending, err := dir.Create(ctx, docID)
	if err != nil {
		t.Fatal(err)
	}
	info, err := documents.Seal(pending, io.TeeReader(pdfStream(size), want), key, docID, documents.MaxSize)
	if err != nil {
		t.Fatal(err)
	}
	if err := pending.Commit(); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
		t.Errorf("sealing 20 MiB allocated %d bytes; want it streamed", grew)
	}
	if info.Size != size || info.MediaType != documents.PDF || info.SHA256 != hex.EncodeToString(want.Sum(nil)) {
		t.Fatalf("info %+v", info)
	}

	stored, err := dir.Open(ctx, docID)
	if err != nil {
		t.Fatal(err)
	}
	defer stored.Close()
	plain, err := documents.Open(stored, key, docID)
	if err != nil {
		t.Fatal(err)
	}
	got := sha256.New()
	runtime.ReadMemStats(&before)
	n, err := io.Copy(got, plain)
	runtime.ReadMemStats(&after)
	if err != nil || n != size || hex.EncodeToString(got.Sum(nil)) != info.SHA256 {
		t.Fatalf("read back %d bytes, %v", n, err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
		t.Errorf("opening 20 MiB allocated %d bytes; want it streamed", grew)
	}

	// The stored file is unreadable without the key.
	raw, err := os.ReadFile(filepath.Join(path, docID+".sealed"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("%PDF-1.7\n")) { // the whole header: four bytes alone turn up in 20 MiB of ciphertext by chance
		t.Fatal("the stored file shows the PDF header")
	}
	other, _ := sealing.NewDataKey()
	if _, err := io.Copy(io.Discard, must(documents.Open(bytes.NewReader(raw), other, docID))); !errors.Is(err, sealing.ErrTampered) {
		t.Fatalf("opened with another key: %v", err)
	}
}

func TestTypesAreDecidedByContent(t *testing.T) {
	key, _ := sealing.NewDataKey()
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...)
	jpeg := append([]byte{0xff, 0xd8, 0xff, 0xe0}, make([]byte, 100)...)
	elf := append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 100)...)
	exe := append([]byte("MZ\x90\x00\x03"), make([]byte, 100)...)
	textThenBinary := append([]byte(strings.Repeat("receipt line\n", 100)), 0, 1, 2, 0x7f, 'E', 'L', 'F')
	for name, tc := range map[string]struct {
		content []byte
		want    string
		err     bool
	}{
		"pdf":                  {[]byte("%PDF-1.4\n%âãÏÓ\n1 0 obj"), documents.PDF, false},
		"png":                  {png, documents.PNG, false},
		"jpeg":                 {jpeg, documents.JPEG, false},
		"text":                 {[]byte("Receipt: credit freeze, Equifax, $10.00\nPagó en efectivo.\n"), documents.Text, false},
		"a renamed executable": {elf, "", true},
		"a Windows executable": {exe, "", true},
		"html":                 {[]byte("<!DOCTYPE html><script>alert(1)</script>"), "", true},
		"zip":                  {[]byte("PK\x03\x04rest of a zip"), "", true},
		"text, then binary":    {textThenBinary, "", true},
		"empty":                {nil, "", true},
	} {
		info, err := documents.Seal(io.Discard, bytes.NewReader(tc.content), key, docID, documents.MaxSize)
		if tc.err != (err != nil) || info.MediaType != tc.want {
			t.Errorf("%s: %+v, %v", name, info, err)
		}
	}
	var unsupported *documents.UnsupportedTypeError
	if _, err := documents.Seal(io.Discard, bytes.NewReader(elf), key, docID, documents.MaxSize); !errors.As(err, &unsupported) {
		t.Errorf("an executable: %v", err)
	}
}

func TestTooLarge(t *testing.T) {
	key, _ := sealing.NewDataKey()
	if _, err := documents.Seal(io.Discard, pdfStream(1001), key, docID, 1000); !errors.Is(err, documents.ErrTooLarge) {
		t.Fatalf("1001 bytes with a limit of 1000: %v", err)
	}
	if _, err := documents.Seal(io.Discard, pdfStream(1000), key, docID, 1000); err != nil {
		t.Fatalf("1000 bytes with a limit of 1000: %v", err)
	}
}

func TestAbortedUploadsLeaveNothing(t *testing.T) {
	path := t.TempDir()
	dir, _ := documents.NewDir(path)
	p, err := dir.Create(context.Background(), docID)
	if err != nil {
		t.Fatal(err)
	}
	p.Write([]byte("partial"))
	p.Abort()
	p.Abort()
	if entries, _ := os.ReadDir(path); len(entries) != 0 {
		t.Fatalf("left %v", entries)
	}
	if _, err := dir.Open(context.Background(), docID); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("open after abort: %v", err)
	}
	for _, bad := range []string{"../etc/passwd", "", "x", docID + "/../x"} {
		if _, err := dir.Create(context.Background(), bad); err == nil {
			t.Errorf("created %q", bad)
		}
	}
}

func TestSafeFileName(t *testing.T) {
	for _, tc := range []struct{ in, media, want string }{
		{"Bank statement.pdf", documents.PDF, "Bank statement.pdf"},
		{`C:\Users\jr\receipt.png`, documents.PNG, "receipt.png"},
		{"../../etc/passwd", documents.Text, "passwd.txt"},
		{"evil\u202egpj.exe", documents.PDF, "evilgpj.pdf"},
		{"line\nbreak\".pdf", documents.PDF, "linebreak.pdf"},
		{"Scan.PDF", documents.PDF, "Scan.pdf"},
		{"statement.pdf.exe", documents.PDF, "statement.pdf.pdf"},
		{"...", documents.PDF, "document.pdf"},
		{"", documents.PDF, "document.pdf"},
		// Uploads stored as text under names that would run when opened.
		{"invoice.js", documents.Text, "invoice.txt"},
		{"page.html", documents.Text, "page.txt"},
		{"logo.svg", documents.Text, "logo.txt"},
		{"run.bat", documents.Text, "run.txt"},
		{"app.hta", documents.Text, "app.txt"},
		{"notes", documents.Text, "notes.txt"},
		{"photo.jpeg", documents.JPEG, "photo.jpg"},
		{"chart.PNG", documents.PNG, "chart.png"},
		{"receipt.pdf", documents.PNG, "receipt.png"},
	} {
		got := documents.SafeFileName(tc.in, tc.media)
		if got != tc.want {
			t.Errorf("SafeFileName(%q, %s) = %q; want %q", tc.in, tc.media, got, tc.want)
		}
		if again := documents.SafeFileName(got, tc.media); again != got {
			t.Errorf("SafeFileName is not idempotent: %q became %q", got, again)
		}
	}
	if got := documents.SafeFileName(strings.Repeat("é", 150)+".pdf", documents.PDF); len(got) > 200 || !strings.HasPrefix(got, "éé") {
		t.Errorf("a long name became %q", got)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
