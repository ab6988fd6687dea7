package handlers_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/documents"
	"github.com/impactledger/impactledger/models"
	"github.com/impactledger/impactledger/sealing"
)

// pdfHeader starts every made-up PDF.
const pdfHeader = "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"

// pdfStream is a PDF-looking stream of n bytes made as it is read (seeded, so that it can be made again),
// so that a test never holds a large file.
func pdfStream(n int64, seed byte) io.Reader {
	return io.MultiReader(strings.NewReader(pdfHeader), io.LimitReader(rand.NewChaCha8([32]byte{seed}), n-int64(len(pdfHeader))))
}

// zeros reads as endless zero bytes, cheaply, for uploads whose content past the header does not matter.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// largePDF is a PDF-looking stream of n bytes of little content, made as it is read.
func largePDF(n int64) io.Reader {
	return io.MultiReader(strings.NewReader(pdfHeader), io.LimitReader(zeros{}, n-int64(len(pdfHeader))))
}

// uploadStream posts content as the file part of a multipart body written on the fly into the request, so
// that the test never holds the body either.
func (c *client) uploadStream(ctx context.Context, lossID, fileName string, content io.Reader) (response, error) {
	c.t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		fw, err := mw.CreateFormFile("file", fileName)
		if err == nil {
			_, err = io.Copy(fw, content)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequestWithContext(ctx, "POST", c.base+"/api/v1/losses/"+lossID+"/documents", pr)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Cookie", c.cookie)
	req.Header.Set("X-CSRF-Token", c.csrf)
	res, err := testHTTP.Do(req)
	// A server that answered before reading everything leaves the writer waiting: release it.
	pr.CloseWithError(errors.New("the request is over"))
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return response{}, err
	}
	c.checkContract(req, res, body)
	return response{Response: res, Body: body}, nil
}

// download streams a document's content into a hash and answers the response, the hex SHA-256 and the size.
func (c *client) download(documentID string) (*http.Response, string, int64) {
	c.t.Helper()
	req, err := http.NewRequest("GET", c.base+"/api/v1/documents/"+documentID+"/content", nil)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Cookie", c.cookie)
	res, err := testHTTP.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	h := sha256.New()
	n, err := io.Copy(h, res.Body)
	if err != nil {
		c.t.Fatalf("downloading %s: %v", documentID, err)
	}
	return res, hex.EncodeToString(h.Sum(nil)), n
}

// storedFiles lists what the document folder holds, committed files and uploads in progress alike.
func storedFiles(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// lossWithVictim makes a case with a victim and a loss as an advocate, and answers the client and the loss.
func lossWithVictim(t *testing.T, s *models.Store) (*client, string, string) {
	t.Helper()
	c := newClient(t, s).signedIn(models.RoleAdvocate)
	created, _ := createCase(t, c, peters)
	victim := post(t, c, "/api/v1/cases/"+created.Id.String()+"/victims", resident())["id"].(string)
	loss := post(t, c, lossesOf(victim), map[string]any{"category": "fraudulent_charges", "claimed_cents": 482137})["id"].(string)
	return c, created.Id.String(), loss
}

// TestTwentyMiBPDFRoundTrips uploads a 20 MiB PDF over real HTTP and downloads it again: the bytes are the
// same (SHA-256 of what was sent, of the metadata and of what came back), the server's memory stays
// bounded while it streams, and the stored file is ciphertext that does not open without the case's key.
func TestTwentyMiBPDFRoundTrips(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c, caseID, loss := lossWithVictim(t, s)
		const size = 20 << 20
		sent := sha256.New()

		// Allocation is measured over the whole process (client and server share it), so it bounds the
		// server's from above. TotalAlloc counts every byte allocated, collected or not, so it does not depend
		// on when the collector runs; the peak of HeapInuse is sampled as well, for the record.
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		var peak uint64
		var sampling sync.WaitGroup
		stop := make(chan struct{})
		sampling.Go(func() {
			var m runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-time.After(10 * time.Millisecond):
					runtime.ReadMemStats(&m)
					peak = max(peak, m.HeapInuse)
				}
			}
		})
		res, err := c.uploadStream(context.Background(), loss, "statement-2021-05.pdf", io.TeeReader(pdfStream(size, 1), sent))
		close(stop)
		sampling.Wait()
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("upload: %d %s", res.StatusCode, res.Body)
		}
		allocated := after.TotalAlloc - before.TotalAlloc
		grew := int64(peak) - int64(before.HeapInuse)
		t.Logf("20 MiB upload: %.2f MiB allocated in all, heap in use at most %.2f MiB above its start", float64(allocated)/(1<<20), float64(grew)/(1<<20))
		if allocated > 8<<20 {
			t.Errorf("the upload allocated %d bytes; a streamed 20 MiB upload needs far less than 8 MiB", allocated)
		}

		var doc api.Document
		res.JSON(t, &doc)
		want := hex.EncodeToString(sent.Sum(nil))
		if doc.Sha256 != want || doc.SizeBytes != size || doc.MediaType != api.MediaPDF || doc.FileName != "statement-2021-05.pdf" ||
			doc.LossId.String() != loss || doc.CaseId.String() != caseID || !doc.VoidedAt.IsNull() || doc.CreatedBy != c.user.ID {
			t.Fatalf("metadata %+v; want SHA-256 %s", doc, want)
		}
		if res.Header.Get("Location") != "/api/v1/documents/"+doc.Id.String() {
			t.Errorf("Location %q", res.Header.Get("Location"))
		}
		var meta api.Document
		c.do("GET", "/api/v1/documents/"+doc.Id.String(), nil).JSON(t, &meta)
		if meta.Sha256 != want || meta.SizeBytes != size {
			t.Errorf("metadata read back %+v", meta)
		}

		got, sum, n := c.download(doc.Id.String())
		if got.StatusCode != http.StatusOK || sum != want || n != size {
			t.Fatalf("download: %d, %d bytes, SHA-256 %s; want %s", got.StatusCode, n, sum, want)
		}
		disposition, params, err := mime.ParseMediaType(got.Header.Get("Content-Disposition"))
		if err != nil || disposition != "attachment" || params["filename"] != "statement-2021-05.pdf" ||
			got.Header.Get("Content-Type") != "application/pdf" || got.Header.Get("X-Content-Type-Options") != "nosniff" ||
			got.Header.Get("Content-Length") != strconv.Itoa(size) || got.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("download headers %v", got.Header)
		}

		// The stored file is sealed: none of the document's bytes are in it, and without the case's key it
		// does not open.
		files := storedFiles(t, c.docsDir)
		if len(files) != 1 || files[0] != doc.Id.String()+".sealed" {
			t.Fatalf("stored files %v", files)
		}
		raw, err := os.ReadFile(filepath.Join(c.docsDir, files[0]))
		if err != nil {
			t.Fatal(err)
		}
		plain := make([]byte, 1<<20)
		if _, err := io.ReadFull(pdfStream(size, 1), plain); err != nil {
			t.Fatal(err)
		}
		// Samples of 64 bytes: a shorter one, such as "%PDF" alone, turns up in 20 MiB of ciphertext by chance
		// (about once in 200 runs).
		if bytes.HasPrefix(raw, []byte("%PDF")) {
			t.Fatal("the stored file starts as a PDF")
		}
		for _, sample := range [][]byte{plain[:64], plain[4096:4160], plain[len(plain)-64:]} {
			if bytes.Contains(raw, sample) {
				t.Fatalf("the stored file holds plaintext %q", sample[:8])
			}
		}
		wrongKey, _ := sealing.NewDataKey()
		if r, err := documents.Open(bytes.NewReader(raw), wrongKey, doc.Id.String()); err == nil {
			if _, err := io.Copy(io.Discard, r); !errors.Is(err, sealing.ErrTampered) {
				t.Fatalf("opening with another key: %v", err)
			}
		}

		// The loss lists it; every step is on record, without the file's name.
		l, _ := get(t, c, "/api/v1/losses/"+loss)
		if docs := l["documents"].([]any); len(docs) != 1 || docs[0].(map[string]any)["sha256"] != want {
			t.Errorf("the loss's documents: %v", l["documents"])
		}
		audit, err := s.ListAuditEvents(dbtest.System(), models.AuditFilter{CaseID: caseID, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		counts := map[string]int{}
		for _, e := range audit.Items {
			counts[e.Action]++
			raw, _ := json.Marshal(e)
			if strings.Contains(string(raw), "statement-2021") {
				t.Errorf("audit event %s names the file", e.Action)
			}
		}
		if counts["document.upload"] != 1 || counts["document.read"] != 1 || counts["document.download"] != 1 {
			t.Errorf("audit: %v", counts)
		}
	})
}

// TestRefusedUploadsLeaveNothing refuses a renamed executable (415, naming what it is), a file over 25 MiB
// (413, streamed or declared), an empty file and a body without a file part (422), and a cancelled
// upload: none leaves a row or a file.
func TestRefusedUploadsLeaveNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c, _, loss := lossWithVictim(t, s)
		nothingStored := func(what string) {
			t.Helper()
			if files := storedFiles(t, c.docsDir); len(files) != 0 {
				t.Errorf("%s left files %v", what, files)
			}
			if l, _ := get(t, c, "/api/v1/losses/"+loss); len(l["documents"].([]any)) != 0 {
				t.Errorf("%s left a document: %v", what, l["documents"])
			}
		}
		elf := append([]byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00"), bytes.Repeat([]byte{0x90, 0}, 300)...)
		mz := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), bytes.Repeat([]byte{0xcc, 0}, 300)...)
		for name, content := range map[string][]byte{"ELF": elf, "MZ": mz} {
			res := c.do("POST", "/api/v1/losses/"+loss+"/documents", filePart{"file", "receipt.pdf", content})
			if res.StatusCode != http.StatusUnsupportedMediaType {
				t.Fatalf("%s named receipt.pdf: %d %s", name, res.StatusCode, res.Body)
			}
			if p := res.Problem(t); !strings.Contains(p.Detail, "application/octet-stream") {
				t.Errorf("%s: detail %q does not name what was found", name, p.Detail)
			}
			nothingStored(name)
		}
		// Text that turns binary after its first block is no text.
		mixed := append(bytes.Repeat([]byte("A receipt line.\n"), 64), elf...)
		if res := c.do("POST", "/api/v1/losses/"+loss+"/documents", filePart{"file", "receipt.txt", mixed}); res.StatusCode != http.StatusUnsupportedMediaType {
			t.Fatalf("text turning binary: %d %s", res.StatusCode, res.Body)
		}
		nothingStored("text turning binary")

		res, err := c.uploadStream(context.Background(), loss, "huge.pdf", largePDF(documents.MaxSize+1))
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("25 MiB and a byte: %d %s", res.StatusCode, res.Body)
		}
		res.Problem(t)
		nothingStored("an oversized upload")
		declared, err := http.NewRequest("POST", c.base+"/api/v1/losses/"+loss+"/documents", largePDF(30<<20))
		if err != nil {
			t.Fatal(err)
		}
		declared.ContentLength = 30 << 20
		declared.Header.Set("Content-Type", "multipart/form-data; boundary=x")
		declared.Header.Set("Cookie", c.cookie)
		declared.Header.Set("X-CSRF-Token", c.csrf)
		if r, err := testHTTP.Do(declared); err != nil || r.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("a declared 30 MiB body: %v %v", r, err)
		} else {
			r.Body.Close()
		}

		if res := c.do("POST", "/api/v1/losses/"+loss+"/documents", filePart{"file", "empty.pdf", nil}); res.StatusCode != http.StatusUnprocessableEntity ||
			res.Problem(t).Errors["file"] == "" {
			t.Fatalf("an empty file: %d %s", res.StatusCode, res.Body)
		}
		body, contentType := multipartBody(t)
		if res := c.do("POST", "/api/v1/losses/"+loss+"/documents", string(body), "Content-Type", contentType); res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("no file part: %d %s", res.StatusCode, res.Body)
		}
		body, contentType = multipartBody(t, filePart{"attachment", "a.txt", []byte("hello\n")})
		if res := c.do("POST", "/api/v1/losses/"+loss+"/documents", string(body), "Content-Type", contentType); res.StatusCode != http.StatusBadRequest {
			t.Fatalf("a part of another name: %d %s", res.StatusCode, res.Body)
		}
		if res := c.do("POST", "/api/v1/losses/"+loss+"/documents", `{"file": "x"}`); res.StatusCode != http.StatusUnsupportedMediaType {
			t.Fatalf("JSON instead of multipart: %d %s", res.StatusCode, res.Body)
		}
		nothingStored("malformed bodies")

		// A client that goes away half-way: once the server has started storing, the request is cancelled.
		ctx, cancel := context.WithCancel(context.Background())
		started := make(chan struct{})
		go func() {
			defer close(started)
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
				if len(storedFiles(t, c.docsDir)) > 0 {
					return
				}
			}
		}()
		halfway := io.MultiReader(largePDF(4<<20), readerFunc(func([]byte) (int, error) {
			<-started
			cancel()
			return 0, context.Canceled
		}))
		if _, err := c.uploadStream(ctx, loss, "cancelled.pdf", halfway); err == nil {
			t.Fatal("the cancelled upload succeeded")
		}
		for deadline := time.Now().Add(10 * time.Second); len(storedFiles(t, c.docsDir)) > 0 && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		nothingStored("a cancelled upload")
	})
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// TestDocumentNamesTypesAndVoiding keeps a document's name safe and its UTF-8 intact for the download,
// accepts plain text and PNG by their content, and voids a document without erasing it.
func TestDocumentNamesTypesAndVoiding(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c, _, loss := lossWithVictim(t, s)
		upload := func(name string, content []byte) api.Document {
			t.Helper()
			res := c.do("POST", "/api/v1/losses/"+loss+"/documents", filePart{"file", name, content})
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("uploading %q: %d %s", name, res.StatusCode, res.Body)
			}
			var d api.Document
			res.JSON(t, &d)
			return d
		}
		letter := []byte("Estimada Sra. Roe: su reclamación está en trámite.\n")
		d := upload("../../reçu März.txt", letter)
		if d.FileName != "reçu März.txt" || d.MediaType != api.MediaText || d.SizeBytes != int64(len(letter)) {
			t.Fatalf("text document %+v", d)
		}
		res := c.do("GET", "/api/v1/documents/"+d.Id.String()+"/content", nil)
		_, params, err := mime.ParseMediaType(res.Header.Get("Content-Disposition"))
		if res.StatusCode != http.StatusOK || !bytes.Equal(res.Body, letter) || err != nil || params["filename"] != "reçu März.txt" ||
			!strings.Contains(res.Header.Get("Content-Disposition"), "filename*=utf-8''re%C3%A7u%20M%C3%A4rz.txt") ||
			res.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Fatalf("text download: %d %v %q", res.StatusCode, res.Header, res.Body)
		}
		png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{1, 2, 3}, 100)...)
		if p := upload("scan.jpeg", png); p.MediaType != api.MediaPNG || p.FileName != "scan.png" {
			t.Fatalf("png named .jpeg: %+v", p)
		}

		r := c.do("POST", "/api/v1/documents/"+d.Id.String()+"/void", map[string]any{"reason": "Wrong victim's letter."})
		var voided api.Document
		r.JSON(t, &voided)
		if r.StatusCode != http.StatusOK || voided.VoidedAt.IsNull() || voided.VoidReason.MustGet() != "Wrong victim's letter." {
			t.Fatalf("void: %d %s", r.StatusCode, r.Body)
		}
		if again := c.do("POST", "/api/v1/documents/"+d.Id.String()+"/void", map[string]any{"reason": "Other."}); again.StatusCode != http.StatusOK ||
			!strings.Contains(string(again.Body), "Wrong victim") {
			t.Fatalf("voiding again: %d %s", again.StatusCode, again.Body)
		}
		if res := c.do("GET", "/api/v1/documents/"+d.Id.String()+"/content", nil); res.StatusCode != http.StatusOK || !bytes.Equal(res.Body, letter) {
			t.Fatalf("a void document is still kept: %d", res.StatusCode)
		}
		l, _ := get(t, c, "/api/v1/losses/"+loss)
		if docs := l["documents"].([]any); len(docs) != 2 || docs[0].(map[string]any)["voided_at"] == nil {
			t.Fatalf("the loss's documents: %v", docs)
		}
		if r := c.do("GET", "/api/v1/documents/01a211c6-f93c-78c4-8695-72deaf645c6f/content", nil); r.StatusCode != http.StatusNotFound {
			t.Fatalf("an absent document: %d", r.StatusCode)
		}
	})
}

// TestUploadsAreNamedForTheirDetectedType: script, page and program files whose content passes as text were
// stored as text and downloaded under their own names, which run when opened; each is now named, shown and
// downloaded with the extension of the type its content was detected as.
func TestUploadsAreNamedForTheirDetectedType(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c, _, loss := lossWithVictim(t, s)
		pdf := []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
		for _, tc := range []struct {
			name    string
			content []byte
			want    string
		}{
			{"invoice.js", []byte("window.location = 'https://example.invalid/';\n"), "invoice.txt"},
			{"statement.html", []byte("Your refund is ready: open the attached page to claim it.\n"), "statement.txt"},
			{"logo.svg", []byte("<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>\n"), "logo.txt"},
			{"refund.bat", []byte("@echo off\r\ndel /q *\r\n"), "refund.txt"},
			{"update.hta", []byte("<hta:application/><script>new ActiveXObject('WScript.Shell')</script>\n"), "update.txt"},
			{"receipt.exe", pdf, "receipt.pdf"},
		} {
			res := c.do("POST", "/api/v1/losses/"+loss+"/documents", filePart{"file", tc.name, tc.content})
			var d api.Document
			res.JSON(t, &d)
			if res.StatusCode != http.StatusCreated || d.FileName != tc.want {
				t.Errorf("uploading %q: %d, stored as %q; want %q", tc.name, res.StatusCode, d.FileName, tc.want)
				continue
			}
			got := c.do("GET", "/api/v1/documents/"+d.Id.String()+"/content", nil)
			_, params, err := mime.ParseMediaType(got.Header.Get("Content-Disposition"))
			if err != nil || params["filename"] != tc.want {
				t.Errorf("%q downloads as %q", tc.name, got.Header.Get("Content-Disposition"))
			}
			if meta, _ := get(t, c, "/api/v1/documents/"+d.Id.String()); meta["file_name"] != tc.want {
				t.Errorf("%q reads back as %v", tc.name, meta["file_name"])
			}
		}
	})
}
