package sealing

import (
	"bufio"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Files (stored documents) are sealed as a stream of chunks, so that neither sealing nor opening ever holds
// a whole file in memory. Each file gets its own key, derived with HKDF-SHA256 from the data key, a random
// salt kept in the file's header, and the file's name; every chunk is AES-256-GCM with a random nonce and
// the chunk's number and whether it is the last as associated data. Chunks cannot be reordered, dropped,
// or cut off at the end, and a file renamed to another document's name does not open.
//
// Layout: "ILF1" | salt (32 bytes) | chunks, each nonce | ciphertext | tag, all full-sized but the last.
const (
	fileMagic = "ILF1"
	saltSize  = 32
	// ChunkSize is how much plaintext one chunk holds.
	ChunkSize = 64 << 10
	// chunkOverhead is GCM's random nonce and tag around each chunk.
	chunkOverhead = 12 + 16
)

// fileKey derives the key of one sealed file.
func fileKey(dataKey, salt []byte, name string) ([]byte, error) {
	if len(dataKey) != KeySize {
		return nil, fmt.Errorf("sealing: key of %d bytes; want %d", len(dataKey), KeySize)
	}
	return hkdf.Key(sha256.New, dataKey, salt, "impactledger file|"+name, KeySize)
}

func chunkAAD(name string, index uint64, last bool) []byte {
	aad := make([]byte, 0, len(name)+32)
	aad = append(aad, "impactledger file chunk|"...)
	aad = append(aad, name...)
	aad = binary.BigEndian.AppendUint64(append(aad, '|'), index)
	if last {
		return append(aad, '|', 1)
	}
	return append(aad, '|', 0)
}

// FileWriter seals what is written to it into an underlying writer, one chunk at a time. Close seals the
// last chunk; a file whose writer was not closed does not open.
type FileWriter struct {
	dst   io.Writer
	aead  cipher.AEAD
	name  string
	buf   []byte
	out   []byte
	index uint64
	err   error
}

// NewFileWriter starts sealing a file called name (such as a document's ID) under dataKey into dst.
func NewFileWriter(dst io.Writer, dataKey []byte, name string) (*FileWriter, error) {
	salt := make([]byte, saltSize)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	key, err := fileKey(dataKey, salt, name)
	if err != nil {
		return nil, err
	}
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if _, err := dst.Write(append([]byte(fileMagic), salt...)); err != nil {
		return nil, err
	}
	return &FileWriter{dst: dst, aead: aead, name: name, buf: make([]byte, 0, ChunkSize),
		out: make([]byte, 0, ChunkSize+chunkOverhead)}, nil
}

// Write seals p, holding back at most one chunk until it is full.
func (w *FileWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n := 0
	for len(p) > 0 {
		// A full chunk is sealed only once more data arrives, since the last chunk is marked as such.
		if len(w.buf) == ChunkSize {
			if w.err = w.flush(false); w.err != nil {
				return n, w.err
			}
		}
		take := min(ChunkSize-len(w.buf), len(p))
		w.buf = append(w.buf, p[:take]...)
		p, n = p[take:], n+take
	}
	return n, nil
}

// Close seals the last chunk (possibly empty). It does not close the underlying writer.
func (w *FileWriter) Close() error {
	if w.err != nil {
		return w.err
	}
	w.err = w.flush(true)
	if w.err == nil {
		w.err = errors.New("sealing: write after Close")
		return nil
	}
	return w.err
}

func (w *FileWriter) flush(last bool) error {
	w.out = w.aead.Seal(w.out[:0], nil, w.buf, chunkAAD(w.name, w.index, last))
	w.index++
	w.buf = w.buf[:0]
	_, err := w.dst.Write(w.out)
	return err
}

// FileReader opens a file sealed by FileWriter as it is read. A read fails with ErrTampered as soon as a
// chunk does not authenticate, and with ErrTampered at the end if the file was cut short.
type FileReader struct {
	src   *bufio.Reader
	aead  cipher.AEAD
	name  string
	chunk []byte
	// opened holds the current chunk's plaintext; plain is what of it is still unread.
	opened []byte
	plain  []byte
	index  uint64
	done   bool
	err    error
}

// NewFileReader starts opening the file called name sealed under dataKey in src.
func NewFileReader(src io.Reader, dataKey []byte, name string) (*FileReader, error) {
	header := make([]byte, len(fileMagic)+saltSize)
	if _, err := io.ReadFull(src, header); err != nil || string(header[:len(fileMagic)]) != fileMagic {
		return nil, ErrNotSealed
	}
	key, err := fileKey(dataKey, header[len(fileMagic):], name)
	if err != nil {
		return nil, err
	}
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	return &FileReader{src: bufio.NewReaderSize(src, ChunkSize+chunkOverhead), aead: aead, name: name,
		chunk: make([]byte, ChunkSize+chunkOverhead), opened: make([]byte, 0, ChunkSize)}, nil
}

// Read returns opened plaintext.
func (r *FileReader) Read(p []byte) (int, error) {
	for len(r.plain) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.done {
			return 0, io.EOF
		}
		r.err = r.next()
	}
	n := copy(p, r.plain)
	r.plain = r.plain[n:]
	return n, nil
}

// next opens the following chunk. A chunk is the last when nothing follows it.
func (r *FileReader) next() error {
	n, err := io.ReadFull(r.src, r.chunk)
	switch {
	case errors.Is(err, io.EOF):
		return ErrTampered // cut off before the last chunk
	case errors.Is(err, io.ErrUnexpectedEOF):
	case err != nil:
		return err
	}
	last := n < len(r.chunk)
	if !last {
		if _, err := r.src.Peek(1); errors.Is(err, io.EOF) {
			last = true
		} else if err != nil {
			return err
		}
	}
	if n < chunkOverhead {
		return ErrTampered
	}
	plain, err := r.aead.Open(r.opened[:0], nil, r.chunk[:n], chunkAAD(r.name, r.index, last))
	if err != nil {
		return ErrTampered
	}
	r.index++
	r.plain, r.done = plain, last
	return nil
}
