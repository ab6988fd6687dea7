// Command bench measures case creation, listing, search and reads over real HTTP against the full router,
// on SQLite and (with BENCH_DATABASE_URL or TEST_DATABASE_URL) PostgreSQL, and prints a table of requests
// per second and latency percentiles. With -import it measures bulk imports of victim lists instead: wall
// time, rows per second and memory, beside psql's \copy of the same rows into a plain table. With -orders it
// measures the peak resident memory of a serve process entering 250,000-line restitution orders, one and
// four at once (see orders.go), optionally beside a baseline revision. With -probes it measures how much a
// signed-in scanner probing random IDs slows case creation down (see probes.go).
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/impactledger/impactledger/frontend"
	"github.com/impactledger/impactledger/handlers"
	"github.com/impactledger/impactledger/migrations"
	"github.com/impactledger/impactledger/models"
	"github.com/impactledger/impactledger/sealing"
)

func main() {
	duration := flag.Duration("duration", 5*time.Second, "how long each scenario runs")
	workers := flag.Int("c", 16, "concurrent clients")
	preload := flag.Int("preload", 10000, "cases created before the read scenarios")
	imports := flag.Bool("import", false, "measure bulk imports of victim lists instead")
	importRows := flag.Int("rows", 100_000, "victims in the list -import imports")
	orders := flag.Bool("orders", false, "measure the peak memory of a serve process entering large restitution orders instead")
	orderLines := flag.Int("lines", 250_000, "lines of each order -orders enters")
	rounds := flag.Int("rounds", 3, "how many times -orders and -probes measure each build and scenario (the tables give medians)")
	probes := flag.Bool("probes", false, "measure case creation beside a signed-in scanner probing random victim IDs instead")
	creators := flag.Int("creators", 4, "with -probes, concurrent case creators")
	scanners := flag.Int("scanners", 8, "with -probes, concurrent scanning clients")
	baseline := flag.String("baseline", "", "with -orders, a git revision to build and measure beside this tree")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *orders {
		if err := benchOrders(*orderLines, *rounds, *baseline); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}

	targets := []target{{"sqlite", sqliteTarget}}
	pgURL := os.Getenv("BENCH_DATABASE_URL")
	if pgURL == "" {
		pgURL = os.Getenv("TEST_DATABASE_URL")
	}
	if pgURL != "" {
		targets = append(targets, target{"postgres", func() (models.Config, func(), error) { return postgresTarget(pgURL) }})
	} else {
		fmt.Fprintln(os.Stderr, "PostgreSQL skipped: set BENCH_DATABASE_URL=postgres://... to include it")
	}

	if *probes {
		if err := benchProbes(targets, *duration, *creators, *scanners, *rounds); err != nil {
			fmt.Fprintln(os.Stderr, err)
			pprof.StopCPUProfile()
			os.Exit(1)
		}
		return
	}
	if *imports {
		if err := benchImports(targets, pgURL, *importRows); err != nil {
			fmt.Fprintln(os.Stderr, err)
			pprof.StopCPUProfile()
			os.Exit(1)
		}
		return
	}
	fmt.Printf("ImpactLedger HTTP benchmark: %d clients, %s per scenario, %d CPUs, %s\n\n",
		*workers, *duration, runtime.NumCPU(), runtime.Version())
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "database\tscenario\trequests\treq/s\tp50 ms\tp99 ms\terrors\t")
	for _, t := range targets {
		rows, err := benchTarget(t.cfg, *workers, *duration, *preload)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", t.name, err)
			os.Exit(1)
		}
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.0f\t%.2f\t%.2f\t%d\t\n", t.name, r.name, r.count,
				float64(r.count)/r.elapsed.Seconds(), ms(r.p50), ms(r.p99), r.errors)
		}
	}
	tw.Flush()
}

// benchImports imports one list of rows victims into each target, and times psql's \copy of it on
// PostgreSQL.
func benchImports(targets []target, pgURL string, rows int) error {
	list := breachList(rows)
	fmt.Printf("ImpactLedger import benchmark: %d victims with SSN, birth date, email, phone, address and a loss (%.1f MiB of CSV), %d CPUs, %s\n\n",
		rows, float64(len(list))/(1<<20), runtime.NumCPU(), runtime.Version())
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "database\twhat\twall s\trows/s\tupload s\tvalidate s\twrite+publish s\tpeak heap MiB\t")
	for _, t := range targets {
		r, err := benchImport(t.cfg, list, rows)
		if err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		fmt.Fprintf(tw, "%s\timport (HTTP upload, River job)\t%.1f\t%.0f\t%.2f\t%.2f\t%.1f\t%.0f\t\n", t.name, r.total.Seconds(),
			float64(rows)/r.total.Seconds(), r.upload.Seconds(), r.validate.Seconds(), (r.total - r.upload - r.validate).Seconds(), float64(r.heapPeak)/(1<<20))
	}
	if pgURL != "" {
		d, err := copyFloor(pgURL, list)
		if err != nil {
			fmt.Fprintf(tw, "postgres\tpsql \\copy (floor): %v\t\t\t\t\t\t\t\n", err)
		} else {
			fmt.Fprintf(tw, "postgres\tpsql \\copy into a plain table (floor)\t%.1f\t%.0f\t\t\t\t\t\n", d.Seconds(), float64(rows)/d.Seconds())
		}
	}
	tw.Flush()
	fmt.Printf("\nPeak resident memory of the whole benchmark process (the list itself included): %.0f MiB\n", float64(peakRSS())/(1<<20))
	return nil
}

// target is a database to measure: its name and a function making a fresh one.
type target struct {
	name string
	cfg  func() (models.Config, func(), error)
}

type result struct {
	name          string
	count, errors int64
	elapsed       time.Duration
	p50, p99      time.Duration
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// served is the full router over a fresh, migrated database, served on loopback.
type served struct {
	store *models.Store
	srv   *httptest.Server
	close func()
}

// serveFresh makes a fresh database with cfgFn, migrates it and serves the router over it, quietly.
func serveFresh(ctx context.Context, cfgFn func() (models.Config, func(), error)) (*served, error) {
	cfg, cleanup, err := cfgFn()
	if err != nil {
		return nil, err
	}
	quiet := slog.New(slog.DiscardHandler)
	cfg.Logger = quiet
	entry, err := sealing.GenerateKEK(time.Now())
	if err != nil {
		cleanup()
		return nil, err
	}
	if cfg.Keys, err = sealing.ParseKEKs(entry); err != nil {
		cleanup()
		return nil, err
	}
	store, err := models.Open(ctx, cfg)
	if err != nil {
		cleanup()
		return nil, err
	}
	fail := func(err error) (*served, error) {
		store.Close()
		cleanup()
		return nil, err
	}
	db, err := store.SQLDB()
	if err != nil {
		return fail(err)
	}
	if _, err := migrations.Up(ctx, db, store.Dialect()); err != nil {
		return fail(err)
	}
	router, err := handlers.NewRouter(handlers.Config{Store: store, Dialect: store.Dialect(), UI: frontend.Dist(),
		Ready: store.Ping, Logger: quiet})
	if err != nil {
		return fail(err)
	}
	srv := httptest.NewServer(router)
	return &served{store: store, srv: srv, close: func() { srv.Close(); store.Close(); cleanup() }}, nil
}

func benchTarget(cfgFn func() (models.Config, func(), error), workers int, d time.Duration, preload int) ([]result, error) {
	ctx := context.Background()
	sv, err := serveFresh(ctx, cfgFn)
	if err != nil {
		return nil, err
	}
	defer sv.close()
	store, srv := sv.store, sv.srv
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	auth, err := signIn(ctx, store, client, srv.URL)
	if err != nil {
		return nil, err
	}
	do := func(method, u string, body []byte) (int, error) { return send(client, auth, method, u, body) }

	var seq atomic.Int64
	create := func() (int, error) {
		n := seq.Add(1)
		body, _ := json.Marshal(map[string]string{
			"court_case_number": fmt.Sprintf("BENCH-%08d", n),
			// One in a hundred cases shares each surname, so a surname search matches 1% of the table.
			"caption":      fmt.Sprintf("People v. %s (ring member %d)", surname(n), n),
			"court":        "Mesa County District Court",
			"jurisdiction": "us-co",
		})
		return do("POST", srv.URL+"/api/v1/cases", body)
	}
	for seq.Load() < int64(preload) {
		if status, err := create(); err != nil || status != http.StatusCreated {
			return nil, fmt.Errorf("preloading: status %d, %v", status, err)
		}
	}
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/cases?limit=1", nil)
	req.Header.Set("Cookie", auth.cookie)
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	var page struct {
		Items []struct {
			ID string `json:"id"`
		}
	}
	err = json.NewDecoder(res.Body).Decode(&page)
	res.Body.Close()
	if err != nil || len(page.Items) == 0 {
		return nil, fmt.Errorf("reading a case id: %v", err)
	}
	get := func(path string) func() (int, error) {
		return func() (int, error) { return do("GET", srv.URL+path, nil) }
	}
	// Victims of one case: every field sealed, every read audited.
	caseID := page.Items[0].ID
	var victims atomic.Int64
	createVictim := func() (int, error) {
		n := victims.Add(1)
		body, _ := json.Marshal(map[string]any{
			"kind": "individual", "name": fmt.Sprintf("Resident %s %d", surname(n), n),
			"date_of_birth": fmt.Sprintf("19%02d-%02d-%02d", 30+n%70, 1+n%12, 1+n%28),
			"ssn":           fmt.Sprintf("%03d-%02d-%04d", 100+(n/(9999*99))%500, 1+(n/9999)%99, 1+n%9999),
			"email":         fmt.Sprintf("resident%d@example.com", n), "phone": fmt.Sprintf("970555%04d", n%10000),
			"mailing_address": map[string]string{"line1": fmt.Sprintf("%d Orchard Lane", n), "city": "Grand Junction",
				"state": "CO", "postal_code": "81501"},
			"notes": "Learned of the misuse from a credit alert; prefers calls after 5 pm.",
		})
		return do("POST", srv.URL+"/api/v1/cases/"+caseID+"/victims", body)
	}
	for victims.Load() < 200 {
		if status, err := createVictim(); err != nil || status != http.StatusCreated {
			return nil, fmt.Errorf("preloading victims: status %d, %v", status, err)
		}
	}
	victimID, err := firstID(client, auth, srv.URL+"/api/v1/cases/"+caseID+"/victims?limit=1")
	if err != nil {
		return nil, err
	}
	// Reads run on exactly preload cases, so that runs compare; creation runs last.
	results := []result{
		run("get case", workers, d, get("/api/v1/cases/"+caseID)),
		run("list 50", workers, d, get("/api/v1/cases?limit=50")),
		run("search 1% hits", workers, d, get("/api/v1/cases?limit=50&q="+url.QueryEscape(surname(7)))),
		run("search 1 hit", workers, d, get("/api/v1/cases?limit=50&q="+url.QueryEscape(fmt.Sprintf("member %d)", preload/2)))),
		run("get victim", workers, d, get("/api/v1/victims/"+victimID)),
		run("list 50 victims", workers, d, get("/api/v1/cases/"+caseID+"/victims?limit=50")),
		run("create case", workers, d, create),
		run("create victim", workers, d, createVictim),
	}
	return results, nil
}

// firstID answers the id of the first item of a list.
func firstID(client *http.Client, auth session, u string) (string, error) {
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Cookie", auth.cookie)
	res, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var page struct {
		Items []struct {
			ID string `json:"id"`
		}
	}
	if err := json.NewDecoder(res.Body).Decode(&page); err != nil || len(page.Items) == 0 {
		return "", fmt.Errorf("reading an id from %s: %v", u, err)
	}
	return page.Items[0].ID, nil
}

// run calls op from workers goroutines for d and summarises the latencies.
func run(name string, workers int, d time.Duration, op func() (int, error)) result {
	var (
		mu        sync.Mutex
		latencies []time.Duration
		errs      atomic.Int64
		wg        sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(d)
	for range workers {
		wg.Go(func() {
			var local []time.Duration
			for time.Now().Before(deadline) {
				t0 := time.Now()
				status, err := op()
				local = append(local, time.Since(t0))
				if err != nil || status >= 400 {
					errs.Add(1)
				}
			}
			mu.Lock()
			latencies = append(latencies, local...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[int(float64(len(latencies)-1)*p)]
	}
	return result{name: name, count: int64(len(latencies)), errors: errs.Load(), elapsed: elapsed, p50: pct(0.50), p99: pct(0.99)}
}

// session is a signed-in staff member's cookie and CSRF token.
type session struct{ cookie, csrf string }

// signIn creates an administrator and signs in over HTTP, as a browser would.
func signIn(ctx context.Context, store *models.Store, client *http.Client, base string) (session, error) {
	return signInAs(ctx, store, client, base, "bench@example.gov", models.RoleAdmin)
}

// signInAs creates a staff account with email and role and signs in over HTTP.
func signInAs(ctx context.Context, store *models.Store, client *http.Client, base, email string, role models.Role) (session, error) {
	const pw = "benchmark passphrase that is long enough"
	if _, err := store.CreateUser(ctx, models.NewUser{Email: email, DisplayName: "Bench", Role: role, Password: pw}); err != nil {
		return session{}, err
	}
	return logIn(client, base, email, pw)
}

// logIn signs an existing account in over HTTP, as a browser would.
func logIn(client *http.Client, base, email, password string) (session, error) {
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	res, err := client.Post(base+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		return session{}, err
	}
	defer res.Body.Close()
	var info struct {
		CSRF string `json:"csrf_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&info); err != nil || res.StatusCode != http.StatusOK {
		return session{}, fmt.Errorf("signing in: status %d, %v", res.StatusCode, err)
	}
	for _, c := range res.Cookies() {
		if c.Name == "il_session" {
			return session{cookie: c.Name + "=" + c.Value, csrf: info.CSRF}, nil
		}
	}
	return session{}, fmt.Errorf("signing in: no session cookie")
}

func send(client *http.Client, auth session, method, u string, body []byte) (int, error) {
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Cookie", auth.cookie)
	req.Header.Set("X-CSRF-Token", auth.csrf)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}

func sqliteTarget() (models.Config, func(), error) {
	dir, err := os.MkdirTemp("", "impactledger-bench-")
	if err != nil {
		return models.Config{}, nil, err
	}
	return models.Config{Dialect: models.SQLite, DSN: filepath.Join(dir, "bench.db")}, func() { os.RemoveAll(dir) }, nil
}

// postgresTarget makes a schema of its own on the server and drops it afterwards.
func postgresTarget(serverURL string) (models.Config, func(), error) {
	admin, err := sql.Open("pgx", serverURL)
	if err != nil {
		return models.Config{}, nil, err
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "bench_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		return models.Config{}, nil, err
	}
	u, err := url.Parse(serverURL)
	if err != nil {
		admin.Close()
		return models.Config{}, nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	cleanup := func() {
		_, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	}
	return models.Config{Dialect: models.Postgres, DSN: u.String(), MaxOpenConns: 16}, cleanup, nil
}

// surname gives case n one of a hundred made-up surnames.
func surname(n int64) string {
	first := []string{"Ash", "Birch", "Cedar", "Dale", "Elm", "Fern", "Glen", "Heath", "Ivy", "Juniper"}
	second := []string{"ford", "well", "ton", "by", "wood", "more", "field", "brook", "ley", "worth"}
	return first[n%10] + second[(n/10)%10]
}
