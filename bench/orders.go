package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"
)

// The order benchmark measures what entering very large restitution orders costs the service's process in
// memory: it runs `impactledger serve` as a child process on an SQLite database holding one case with as many
// victims as the order has lines, posts one order (or four at once, from four accounts) over HTTP, and reads
// the child's peak resident set (VmHWM in /proc/PID/status, which Linux keeps for the life of the process).
// Each measurement starts a fresh process on a fresh copy of the database, so that the peak is that of the
// orders alone. Given -baseline REV, it builds that revision too and measures both, alternating, so that the
// ratio between them is taken on one machine under one load.

// orderBenchPassword is the password of the benchmark's accounts.
const orderBenchPassword = "benchmark passphrase that is long enough"

// orderBenchAccounts is how many accounts post orders at once, at most: one order each, so that no account
// waits behind another.
const orderBenchAccounts = 4

// orderBinary is one build of the service under measurement.
type orderBinary struct {
	name, path string
	// template is a data folder holding the seeded case, copied for each measurement.
	template string
	caseID   string
	body     []byte
}

// orderSample is one measurement: the child's resident set before the orders, its peak, and how long the
// orders took.
type orderSample struct {
	idle, peak uint64
	wall       time.Duration
	statuses   []int
}

func benchOrders(lines, rounds int, baseline string) error {
	if runtime.GOOS != "linux" {
		return fmt.Errorf("the order benchmark reads /proc and runs on Linux only")
	}
	work, err := os.MkdirTemp("", "impactledger-orders-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	bins := []*orderBinary{{name: "this tree", path: filepath.Join(work, "current")}}
	if err := goBuild(".", bins[0].path); err != nil {
		return err
	}
	if baseline != "" {
		b := &orderBinary{name: baseline, path: filepath.Join(work, "baseline")}
		if err := buildRevision(baseline, filepath.Join(work, "baseline-src"), b.path); err != nil {
			return err
		}
		bins = append([]*orderBinary{b}, bins...)
	}
	fmt.Printf("ImpactLedger order benchmark: %d-line restitution orders over HTTP to a `serve` process on SQLite, %d rounds, %d CPUs, %s\n",
		lines, rounds, runtime.NumCPU(), runtime.Version())
	fmt.Printf("Peak RSS is the child process's VmHWM; each measurement starts a fresh process on a fresh copy of the database.\n\n")
	for _, b := range bins {
		start := time.Now()
		if err := seedOrderCase(b, filepath.Join(work, "seed-"+filepath.Base(b.path)), lines); err != nil {
			return fmt.Errorf("%s: seeding: %w", b.name, err)
		}
		fmt.Fprintf(os.Stderr, "%s: seeded %d victims in %.0f s; the order body is %.1f MiB\n", b.name, lines, time.Since(start).Seconds(), float64(len(b.body))/(1<<20))
	}
	scenarios := []int{1, orderBenchAccounts}
	samples := map[string][]orderSample{}
	for round := 1; round <= rounds; round++ {
		for _, n := range scenarios {
			for _, b := range bins {
				s, err := measureOrders(b, filepath.Join(work, "run"), n)
				if err != nil {
					return fmt.Errorf("%s, %d at once: %w", b.name, n, err)
				}
				key := fmt.Sprintf("%s\x00%d", b.name, n)
				samples[key] = append(samples[key], s)
				fmt.Fprintf(os.Stderr, "round %d: %s, %d at once: idle %.0f MiB, peak %.0f MiB, %.1f s, statuses %v\n",
					round, b.name, n, mib(s.idle), mib(s.peak), s.wall.Seconds(), s.statuses)
			}
		}
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "build\torders at once\tidle RSS MiB\tpeak RSS MiB (median)\tpeak min–max\tgrowth MiB\twall s\tanswers\t")
	peaks := map[int][]float64{}
	for _, n := range scenarios {
		for _, b := range bins {
			ss := samples[fmt.Sprintf("%s\x00%d", b.name, n)]
			idle := median(ss, func(s orderSample) float64 { return mib(s.idle) })
			peak := median(ss, func(s orderSample) float64 { return mib(s.peak) })
			lo, hi := spread(ss, func(s orderSample) float64 { return mib(s.peak) })
			wall := median(ss, func(s orderSample) float64 { return s.wall.Seconds() })
			peaks[n] = append(peaks[n], peak)
			fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.0f\t%.0f–%.0f\t%.0f\t%.1f\t%v\t\n", b.name, n, idle, peak, lo, hi, peak-idle, wall, ss[len(ss)-1].statuses)
		}
	}
	tw.Flush()
	if len(bins) == 2 {
		fmt.Println()
		for _, n := range scenarios {
			fmt.Printf("%d at once: this tree's peak is %.2f× %s's\n", n, peaks[n][1]/peaks[n][0], bins[0].name)
		}
	}
	return nil
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

func median(ss []orderSample, f func(orderSample) float64) float64 {
	vs := make([]float64, len(ss))
	for i, s := range ss {
		vs[i] = f(s)
	}
	slices.Sort(vs)
	if len(vs)%2 == 1 {
		return vs[len(vs)/2]
	}
	return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2
}

func spread(ss []orderSample, f func(orderSample) float64) (float64, float64) {
	lo, hi := f(ss[0]), f(ss[0])
	for _, s := range ss[1:] {
		lo, hi = min(lo, f(s)), max(hi, f(s))
	}
	return lo, hi
}

// goBuild builds the service in dir into out.
func goBuild(dir, out string) error {
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building %s: %w", dir, err)
	}
	return nil
}

// buildRevision builds the service as it was at the git revision rev, from an exported copy in src.
func buildRevision(rev, src, out string) error {
	if err := os.MkdirAll(src, 0o700); err != nil {
		return err
	}
	archive := exec.Command("git", "archive", "--format=tar", rev)
	untar := exec.Command("tar", "-x", "-C", src)
	pipe, err := archive.StdoutPipe()
	if err != nil {
		return err
	}
	untar.Stdin, archive.Stderr, untar.Stderr = pipe, os.Stderr, os.Stderr
	if err := untar.Start(); err != nil {
		return err
	}
	if err := archive.Run(); err != nil {
		return fmt.Errorf("git archive %s: %w", rev, err)
	}
	if err := untar.Wait(); err != nil {
		return err
	}
	return goBuild(src, out)
}

// child is a running `serve` process.
type child struct {
	cmd  *exec.Cmd
	base string
	logs bytes.Buffer
	mu   sync.Mutex
}

func (c *child) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.logs.Write(p)
}

// serviceEnv is the environment of every command the benchmark runs on the data folder dir.
func serviceEnv(dir string, extra ...string) []string {
	env := append(os.Environ(), "DATABASE_URL=sqlite:"+filepath.Join(dir, "impactledger.db"),
		"IMPACTLEDGER_DOCUMENTS_DIR="+filepath.Join(dir, "documents"), "IMPACTLEDGER_LOG_FORMAT=json",
		"IMPACTLEDGER_LOG_LEVEL=error", "IMPACTLEDGER_PASSWORD_ITERATIONS=1000")
	return append(env, extra...)
}

func runCommand(bin, dir string, stdin string, args ...string) error {
	cmd := exec.Command(bin, args...)
	cmd.Env = serviceEnv(dir)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", filepath.Base(bin), strings.Join(args, " "), err, out.String())
	}
	return nil
}

func startChild(bin, dir string) (*child, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	c := &child{base: "http://" + addr}
	c.cmd = exec.Command(bin, "serve")
	c.cmd.Env = serviceEnv(dir, "IMPACTLEDGER_ADDR="+addr)
	c.cmd.Stdout, c.cmd.Stderr = c, c
	if err := c.cmd.Start(); err != nil {
		return nil, err
	}
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		res, err := http.Get(c.base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return c, nil
			}
		}
	}
	c.stop()
	return nil, fmt.Errorf("the service did not become ready: %s", c.logs.String())
}

// stop ends the child as an operator would (SIGTERM) and waits for it.
func (c *child) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
}

// memory reads the child's current and peak resident set.
func (c *child) memory() (rss, hwm uint64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var kb uint64
		if _, err := fmt.Sscanf(sc.Text(), "VmRSS: %d kB", &kb); err == nil {
			rss = kb << 10
		}
		if _, err := fmt.Sscanf(sc.Text(), "VmHWM: %d kB", &kb); err == nil {
			hwm = kb << 10
		}
	}
	return rss, hwm, sc.Err()
}

func accountEmail(i int) string { return fmt.Sprintf("orders-%d@example.gov", i) }

// seedOrderCase makes b's template: a database with the benchmark's accounts and one case with a defendant
// and lines victims, imported from a list by the command line, and the body of an order over all of them.
func seedOrderCase(b *orderBinary, dir string, lines int) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := runCommand(b.path, dir, "", "migrate", "up"); err != nil {
		return err
	}
	for i := range orderBenchAccounts {
		if err := runCommand(b.path, dir, orderBenchPassword+"\n", "users", "create", "--email", accountEmail(i),
			"--name", fmt.Sprintf("Orders %d", i), "--role", "admin"); err != nil {
			return err
		}
	}
	c, err := startChild(b.path, dir)
	if err != nil {
		return err
	}
	auth, err := logIn(benchHTTP, c.base, accountEmail(0), orderBenchPassword)
	if err != nil {
		c.stop()
		return err
	}
	var kase, defendant struct{ ID string }
	err = postJSON(c, auth, "/api/v1/cases", map[string]string{"court_case_number": "25CR0001", "caption": "People v. Orders",
		"court": "Mesa County District Court", "jurisdiction": "us-co"}, &kase)
	if err == nil {
		err = postJSON(c, auth, "/api/v1/cases/"+kase.ID+"/defendants", map[string]string{"name": "Dana Defendant"}, &defendant)
	}
	c.stop()
	if err != nil {
		return err
	}
	list := filepath.Join(dir, "victims.csv")
	var csv bytes.Buffer
	csv.WriteString("kind,name\n")
	for i := 1; i <= lines; i++ {
		fmt.Fprintf(&csv, "individual,Victim %d\n", i)
	}
	if err := os.WriteFile(list, csv.Bytes(), 0o600); err != nil {
		return err
	}
	if err := runCommand(b.path, dir, "", "import", "victims", "--case", kase.ID, list); err != nil {
		return err
	}
	if err := os.Remove(list); err != nil {
		return err
	}
	ids, err := victimIDs(filepath.Join(dir, "impactledger.db"), kase.ID)
	if err != nil {
		return err
	}
	if len(ids) != lines {
		return fmt.Errorf("the case has %d victims; want %d", len(ids), lines)
	}
	// Written as a client library would: one line per victim, amounts of a few thousand dollars.
	var body bytes.Buffer
	fmt.Fprintf(&body, `{"ordered_on": "2025-01-15", "defendant_ids": ["%s"], "court_order_reference": "Judgment, docket 42", "lines": [`, defendant.ID)
	for i, id := range ids {
		if i > 0 {
			body.WriteString(",")
		}
		fmt.Fprintf(&body, "\n  {\"victim_id\": \"%s\", \"amount_cents\": %d}", id, 100_000+int64(i)*37%900_000)
	}
	body.WriteString("\n]}\n")
	b.template, b.caseID, b.body = dir, kase.ID, body.Bytes()
	return nil
}

// victimIDs reads the IDs of a case's victims straight from the database file, so that the service's
// process never holds them.
func victimIDs(path, caseID string) ([]string, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.Query("SELECT id FROM victims WHERE case_id = ? ORDER BY id", caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

var benchHTTP = &http.Client{Timeout: 10 * time.Minute}

func postJSON(c *child, auth session, path string, in, out any) error {
	raw, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequest("POST", c.base+path, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cookie", auth.cookie)
	req.Header.Set("X-CSRF-Token", auth.csrf)
	res, err := benchHTTP.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated {
		return fmt.Errorf("POST %s: %d %s", path, res.StatusCode, data)
	}
	return json.Unmarshal(data, out)
}

// measureOrders copies b's template to dir, starts the service on it, signs n accounts in, and has each post
// the order at the same moment.
func measureOrders(b *orderBinary, dir string, n int) (orderSample, error) {
	if err := os.RemoveAll(dir); err != nil {
		return orderSample{}, err
	}
	if err := exec.Command("cp", "-a", b.template, dir).Run(); err != nil {
		return orderSample{}, fmt.Errorf("copying the template: %w", err)
	}
	c, err := startChild(b.path, dir)
	if err != nil {
		return orderSample{}, err
	}
	defer c.stop()
	sessions := make([]session, n)
	for i := range sessions {
		if sessions[i], err = logIn(benchHTTP, c.base, accountEmail(i), orderBenchPassword); err != nil {
			return orderSample{}, err
		}
	}
	time.Sleep(time.Second)
	var s orderSample
	if s.idle, _, err = c.memory(); err != nil {
		return orderSample{}, err
	}
	s.statuses = make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for i := range n {
		wg.Go(func() {
			req, err := http.NewRequestWithContext(ctx, "POST", c.base+"/api/v1/cases/"+b.caseID+"/restitution-orders", bytes.NewReader(b.body))
			if err != nil {
				errs[i] = err
				return
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Cookie", sessions[i].cookie)
			req.Header.Set("X-CSRF-Token", sessions[i].csrf)
			res, err := benchHTTP.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			data, _ := io.ReadAll(res.Body)
			res.Body.Close()
			s.statuses[i] = res.StatusCode
			if res.StatusCode != http.StatusCreated && res.StatusCode != http.StatusTooManyRequests {
				errs[i] = fmt.Errorf("order %d: %d %.300s", i, res.StatusCode, data)
			}
		})
	}
	wg.Wait()
	s.wall = time.Since(start)
	if _, s.peak, err = c.memory(); err != nil {
		return orderSample{}, err
	}
	for _, err := range errs {
		if err != nil {
			return orderSample{}, err
		}
	}
	return s, nil
}
