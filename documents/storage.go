package documents

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
)

// Storage keeps sealed document files by name. A new file becomes visible only when committed, so that a
// failed or cancelled upload leaves nothing behind.
type Storage interface {
	// Create starts a new file called name.
	Create(ctx context.Context, name string) (Pending, error)
	// Open reads the file called name; a missing one answers an error matching os.ErrNotExist.
	Open(ctx context.Context, name string) (io.ReadCloser, error)
	// Remove deletes the file called name, if it exists.
	Remove(ctx context.Context, name string) error
}

// Pending is a file being written: Commit makes it visible under its name, Abort throws it away. Abort
// after Commit does nothing, so it can always be deferred.
type Pending interface {
	io.Writer
	Commit() error
	Abort()
}

// Dir is a Storage in a local directory, the default: files are written to a temporary name, synced, and
// renamed into place, readable only by the service's user.
type Dir struct{ path string }

// NewDir returns a Dir at path, creating the directory (0700) if needed.
func NewDir(path string) (*Dir, error) {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("document storage: %w", err)
	}
	return &Dir{path: path}, nil
}

// validName keeps names to document IDs, so that no name can reach outside the directory.
var validName = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func (d *Dir) file(name string) (string, error) {
	if !validName.MatchString(name) {
		return "", fmt.Errorf("document storage: %q is not a document ID", name)
	}
	return filepath.Join(d.path, name+".sealed"), nil
}

// Create starts writing the file called name.
func (d *Dir) Create(_ context.Context, name string) (Pending, error) {
	final, err := d.file(name)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(d.path, ".upload-*")
	if err != nil {
		return nil, fmt.Errorf("document storage: %w", err)
	}
	return &pendingFile{f: f, final: final, dir: d.path}, nil
}

// Open reads the file called name.
func (d *Dir) Open(_ context.Context, name string) (io.ReadCloser, error) {
	path, err := d.file(name)
	if err != nil {
		return nil, err
	}
	return os.Open(path)
}

// Remove deletes the file called name.
func (d *Dir) Remove(_ context.Context, name string) error {
	path, err := d.file(name)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

type pendingFile struct {
	f          *os.File
	final, dir string
	done       bool
}

func (p *pendingFile) Write(b []byte) (int, error) { return p.f.Write(b) }

func (p *pendingFile) Commit() error {
	if p.done {
		return errors.New("document storage: already committed or aborted")
	}
	p.done = true
	if err := p.f.Chmod(0o600); err != nil {
		p.discard()
		return err
	}
	if err := p.f.Sync(); err != nil {
		p.discard()
		return err
	}
	if err := p.f.Close(); err != nil {
		os.Remove(p.f.Name())
		return err
	}
	if err := os.Rename(p.f.Name(), p.final); err != nil {
		os.Remove(p.f.Name())
		return err
	}
	// The rename itself must survive a crash too.
	if d, err := os.Open(p.dir); err == nil {
		defer d.Close()
		return d.Sync()
	}
	return nil
}

func (p *pendingFile) Abort() {
	if !p.done {
		p.done = true
		p.discard()
	}
}

func (p *pendingFile) discard() {
	p.f.Close()
	os.Remove(p.f.Name())
}
