// Package documents keeps the files attached to losses (receipts, bank statements, letters): it decides a
// file's type from its content, seals it chunk by chunk with its case's data key while hashing it, and
// stores the sealed file through a small Storage interface, so that no file is ever held whole in memory
// and none is ever written to disk in the clear.
package documents

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/impactledger/impactledger/sealing"
)

// MaxSize is the largest document accepted, in bytes.
const MaxSize = 25 << 20

// The media types accepted, decided from the content and never from the name or the sender's claim.
const (
	PDF  = "application/pdf"
	PNG  = "image/png"
	JPEG = "image/jpeg"
	Text = "text/plain"
)

// ErrTooLarge means a document is larger than the limit it was sealed with.
var ErrTooLarge = fmt.Errorf("the document is larger than %d MiB", MaxSize>>20)

// ErrEmpty means a document has no content.
var ErrEmpty = errors.New("the document is empty")

// UnsupportedTypeError means a document's content is none of the accepted types; Detected is what it looks
// like instead.
type UnsupportedTypeError struct{ Detected string }

// Error names what was found.
func (e *UnsupportedTypeError) Error() string {
	return fmt.Sprintf("the content is %s; only PDF, PNG, JPEG and plain text documents are accepted", e.Detected)
}

// Detect decides a document's media type from its first bytes (up to 512 are looked at).
func Detect(head []byte) (string, error) {
	switch detected := http.DetectContentType(head); detected {
	case "application/pdf":
		return PDF, nil
	case "image/png":
		return PNG, nil
	case "image/jpeg":
		return JPEG, nil
	case "text/plain; charset=utf-8":
		return Text, nil
	default:
		return "", &UnsupportedTypeError{Detected: strings.SplitN(detected, ";", 2)[0]}
	}
}

// Info describes a sealed document's plaintext.
type Info struct {
	MediaType string
	Size      int64
	// SHA256 is the hex SHA-256 of the plaintext, for checking a download against the original.
	SHA256 string
}

// Seal reads a document from src, decides its type, and writes it sealed under dataKey for the name id to
// dst, hashing and counting as it goes. It stops with ErrTooLarge past max bytes, and refuses an unaccepted
// type before anything is written. Plain text must be UTF-8 throughout, not only at the start, so that a
// binary file behind a text-looking first block is refused too.
func Seal(dst io.Writer, src io.Reader, dataKey []byte, id string, max int64) (Info, error) {
	in := bufio.NewReaderSize(src, 64<<10)
	head, err := in.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return Info{}, err
	}
	if len(head) == 0 {
		return Info{}, ErrEmpty
	}
	mediaType, err := Detect(head)
	if err != nil {
		return Info{}, err
	}
	sealer, err := sealing.NewFileWriter(dst, dataKey, id)
	if err != nil {
		return Info{}, err
	}
	hash := sha256.New()
	sinks := []io.Writer{sealer, hash}
	var text *textCheck
	if mediaType == Text {
		text = &textCheck{}
		sinks = append(sinks, text)
	}
	n, err := io.Copy(io.MultiWriter(sinks...), io.LimitReader(in, max+1))
	if err != nil {
		return Info{}, err
	}
	if n > max {
		return Info{}, ErrTooLarge
	}
	if text != nil && !text.valid() {
		return Info{}, &UnsupportedTypeError{Detected: "binary data"}
	}
	if err := sealer.Close(); err != nil {
		return Info{}, err
	}
	return Info{MediaType: mediaType, Size: n, SHA256: hex.EncodeToString(hash.Sum(nil))}, nil
}

// Open returns a reader of the plaintext of a document sealed by Seal.
func Open(src io.Reader, dataKey []byte, id string) (io.Reader, error) {
	return sealing.NewFileReader(src, dataKey, id)
}

// textCheck follows a stream and notes whether it is UTF-8 text: no NUL or other control characters but
// tab, line feed, form feed and carriage return, and no broken sequences, even across writes.
type textCheck struct {
	carry []byte
	bad   bool
}

func (c *textCheck) Write(p []byte) (int, error) {
	if c.bad {
		return len(p), nil
	}
	buf := append(c.carry, p...)
	for len(buf) > 0 {
		r, size := utf8.DecodeRune(buf)
		if r == utf8.RuneError && size <= 1 {
			if !utf8.FullRune(buf) {
				break // the rest of this rune comes in the next write
			}
			c.bad = true
			return len(p), nil
		}
		if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\f' && r != '\r' {
			c.bad = true
			return len(p), nil
		}
		buf = buf[size:]
	}
	c.carry = append(c.carry[:0], buf...)
	return len(p), nil
}

func (c *textCheck) valid() bool { return !c.bad && len(c.carry) == 0 }

// SafeFileName turns the name a file was uploaded under into one safe to store, show and offer for
// download: only its last path element, without control or path characters, at most 200 bytes, and always
// ending in the extension of the type detected from its content (.pdf, .png, .jpg, .txt), whatever the
// uploader called it — invoice.js or page.html, stored as text, would otherwise run when opened from a
// download folder. "document" stands for a name of which nothing is left.
func SafeFileName(name, mediaType string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r), r == '"', r == '/', r == '\\', r == ':',
			unicode.Is(unicode.Bidi_Control, r):
			return -1
		}
		return r
	}, name)
	name = strings.Trim(strings.TrimSpace(name), ".")
	stem, ext := name, extension(mediaType)
	if given := filepath.Ext(name); given != "" && len(given) <= 10 {
		stem = strings.TrimRight(strings.TrimSuffix(name, given), ". ")
	}
	if stem == "" {
		stem = "document"
	}
	for len(stem)+len(ext) > 200 {
		_, size := utf8.DecodeLastRuneInString(stem)
		stem = stem[:len(stem)-size]
	}
	return stem + ext
}

func extension(mediaType string) string {
	switch mediaType {
	case PDF:
		return ".pdf"
	case PNG:
		return ".png"
	case JPEG:
		return ".jpg"
	case Text:
		return ".txt"
	}
	return ""
}
