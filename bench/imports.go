package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/impactledger/impactledger/documents"
	"github.com/impactledger/impactledger/frontend"
	"github.com/impactledger/impactledger/handlers"
	"github.com/impactledger/impactledger/jobs"
	"github.com/impactledger/impactledger/migrations"
	"github.com/impactledger/impactledger/models"
	"github.com/impactledger/impactledger/password"
	"github.com/impactledger/impactledger/sealing"
)

// importHeader is the header of the benchmark's breach list: every column a victim list may have but the
// second address line, the language and the minor flag.
const importHeader = "kind,name,ssn,date_of_birth,email,phone,address_line1,city,state,postal_code,loss_category,loss_amount,loss_description"

// breachList is a breach notification list of rows individuals, each with an SSN, a birth date, an email,
// a phone number, an address and one loss.
func breachList(rows int) []byte {
	var b bytes.Buffer
	b.WriteString(importHeader + "\n")
	for i := 1; i <= rows; i++ {
		fmt.Fprintf(&b, "individual,Resident %s %d,%03d-%02d-%04d,19%02d-%02d-%02d,resident%d@example.com,970555%04d,%d Orchard Lane,Grand Junction,CO,81501,fraudulent_charges,\"%d.%02d\",Card opened in their name and charged\n",
			surname(int64(i)), i, 100+(i/(9000*89))%500, 10+(i/9000)%89, 1000+i%9000, 30+i%70, 1+i%12, 1+i%28, i, i%10000, i, i%5000, i%100)
	}
	return b.Bytes()
}

// importResult is one import's figures.
type importResult struct {
	upload, validate, total time.Duration
	// heapPeak is the most Go heap in use while it ran, above what was in use before.
	heapPeak uint64
}

// benchImport uploads list over HTTP to a case of a fresh database and waits, polling as the UI does, for
// the job queue to import it.
func benchImport(cfgFn func() (models.Config, func(), error), list []byte, rows int) (importResult, error) {
	ctx := context.Background()
	cfg, cleanup, err := cfgFn()
	if err != nil {
		return importResult{}, err
	}
	defer cleanup()
	quiet := slog.New(slog.DiscardHandler)
	cfg.Logger, cfg.PasswordIterations = quiet, password.MinIterations
	entry, err := sealing.GenerateKEK(time.Now())
	if err != nil {
		return importResult{}, err
	}
	if cfg.Keys, err = sealing.ParseKEKs(entry); err != nil {
		return importResult{}, err
	}
	store, err := models.Open(ctx, cfg)
	if err != nil {
		return importResult{}, err
	}
	defer store.Close()
	db, err := store.SQLDB()
	if err != nil {
		return importResult{}, err
	}
	if _, err := migrations.Up(ctx, db, store.Dialect()); err != nil {
		return importResult{}, err
	}
	docsDir, err := os.MkdirTemp("", "impactledger-bench-docs-")
	if err != nil {
		return importResult{}, err
	}
	defer os.RemoveAll(docsDir)
	docs, err := documents.NewDir(docsDir)
	if err != nil {
		return importResult{}, err
	}
	queue, err := jobs.New(jobs.Config{Store: store, Documents: docs, Logger: quiet, PollInterval: 100 * time.Millisecond})
	if err != nil {
		return importResult{}, err
	}
	if err := queue.Start(ctx); err != nil {
		return importResult{}, err
	}
	defer func() {
		stop, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = queue.Stop(stop)
	}()
	router, err := handlers.NewRouter(handlers.Config{Store: store, Dialect: store.Dialect(), UI: frontend.Dist(),
		Ready: store.Ping, Logger: quiet, Documents: docs})
	if err != nil {
		return importResult{}, err
	}
	srv := httptest.NewServer(router)
	defer srv.Close()
	client := &http.Client{}
	auth, err := signIn(ctx, store, client, srv.URL)
	if err != nil {
		return importResult{}, err
	}
	kase, err := store.CreateCase(ctx, models.NewCase{CourtCaseNumber: "BENCH-IMPORT", Caption: "People v. Breach",
		Court: "Mesa County District Court", Jurisdiction: "us-co"})
	if err != nil {
		return importResult{}, err
	}

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak atomic.Uint64
	sampling, stopSampling := context.WithCancel(ctx)
	defer stopSampling()
	go func() {
		var m runtime.MemStats
		for sampling.Err() == nil {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()

	var res importResult
	start := time.Now()
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/cases/"+kase.ID+"/victim-imports", bytes.NewReader(list))
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Cookie", auth.cookie)
	req.Header.Set("X-CSRF-Token", auth.csrf)
	reply, err := client.Do(req)
	if err != nil {
		return importResult{}, err
	}
	var imp struct {
		ID      string `json:"id"`
		Status  string `json:"status"`
		Created int    `json:"created"`
		Errors  int    `json:"error_count"`
	}
	err = json.NewDecoder(reply.Body).Decode(&imp)
	reply.Body.Close()
	if err != nil || reply.StatusCode != http.StatusAccepted {
		return importResult{}, fmt.Errorf("upload: status %d, %v", reply.StatusCode, err)
	}
	res.upload = time.Since(start)
	for imp.Status != "succeeded" && imp.Status != "failed" {
		time.Sleep(100 * time.Millisecond)
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/victim-imports/"+imp.ID, nil)
		req.Header.Set("Cookie", auth.cookie)
		reply, err := client.Do(req)
		if err != nil {
			return importResult{}, err
		}
		err = json.NewDecoder(reply.Body).Decode(&imp)
		reply.Body.Close()
		if err != nil {
			return importResult{}, err
		}
		if imp.Status != "validating" && res.validate == 0 {
			res.validate = time.Since(start) - res.upload
		}
	}
	res.total = time.Since(start)
	stopSampling()
	if imp.Status != "succeeded" || imp.Created != rows {
		return importResult{}, fmt.Errorf("the import ended %s with %d victims and %d errors", imp.Status, imp.Created, imp.Errors)
	}
	if p := peak.Load(); p > before.HeapInuse {
		res.heapPeak = p - before.HeapInuse
	}
	return res, nil
}

// copyFloor times psql's \copy of the same rows, as plain text, into a plain table without indexes: the
// fastest PostgreSQL takes rows from a file, the floor an import can be compared to.
func copyFloor(serverURL string, list []byte) (time.Duration, error) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		return 0, fmt.Errorf("psql is not installed")
	}
	admin, err := sql.Open("pgx", serverURL)
	if err != nil {
		return 0, err
	}
	defer admin.Close()
	table := fmt.Sprintf("bench_copy_floor_%d", time.Now().UnixNano())
	columns := strings.Split(importHeader, ",")
	if _, err := admin.Exec("CREATE TABLE " + table + " (" + strings.Join(columns, " text, ") + " text)"); err != nil {
		return 0, err
	}
	defer admin.Exec("DROP TABLE " + table)
	dir, err := os.MkdirTemp("", "impactledger-bench-copy-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "list.csv")
	if err := os.WriteFile(file, list, 0o600); err != nil {
		return 0, err
	}
	start := time.Now()
	out, err := exec.Command(psql, serverURL, "-v", "ON_ERROR_STOP=1", "-c",
		`\copy `+table+` FROM '`+file+`' WITH (FORMAT csv, HEADER)`).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("psql \\copy: %v: %s", err, out)
	}
	return time.Since(start), nil
}

// peakRSS is the process's largest resident set so far, from Linux's /proc, or 0 elsewhere.
func peakRSS() uint64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		var kb uint64
		if _, err := fmt.Sscanf(line, "VmHWM: %d kB", &kb); err == nil {
			return kb << 10
		}
	}
	return 0
}
