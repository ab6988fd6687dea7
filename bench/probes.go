package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/impactledger/impactledger/models"
)

// benchProbes measures what a scanner costs everyone else. Each signed-in refusal is counted in the
// database (access.denied), and on SQLite every write waits for the one writer, so a caller looping
// GET /api/v1/victims/{random id} competes with every real change. Each round runs creators case creators
// alone for d, then the same creators beside scanners clients probing random victim IDs as fast as they
// are answered, and compares the creators' median latency; the summary gives the medians over rounds.
func benchProbes(targets []target, d time.Duration, creators, scanners, rounds int) error {
	fmt.Printf("ImpactLedger probe benchmark: %d case creators, %d scanners, %s per phase, %d rounds, %d CPUs, %s\n\n",
		creators, scanners, d, rounds, runtime.NumCPU(), runtime.Version())
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "database\tround\tcreate p50 ms alone\tcreate p50 ms scanned\tratio\tcreate/s alone\tcreate/s scanned\tprobes/s\tprobe p50 ms\terrors\t")
	for _, t := range targets {
		rows, err := benchProbeTarget(t.cfg, d, creators, scanners, rounds)
		if err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		var alone, scanned, ratios, probes []float64
		for i, r := range rows {
			ratio := ms(r.scanned.p50) / ms(r.alone.p50)
			fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.2f\t%.2f\t%.0f\t%.0f\t%.0f\t%.2f\t%d\t\n", t.name, i+1, ms(r.alone.p50), ms(r.scanned.p50), ratio,
				perSecond(r.alone), perSecond(r.scanned), perSecond(r.probes), ms(r.probes.p50), r.alone.errors+r.scanned.errors+r.probes.errors)
			alone, scanned, ratios = append(alone, ms(r.alone.p50)), append(scanned, ms(r.scanned.p50)), append(ratios, ratio)
			probes = append(probes, perSecond(r.probes))
		}
		fmt.Fprintf(tw, "%s\tmedian\t%.2f\t%.2f\t%.2f\t\t\t%.0f\t\t\t\n", t.name, medianOf(alone), medianOf(scanned), medianOf(ratios), medianOf(probes))
	}
	return tw.Flush()
}

// probeRound is one round's case creation alone and under a scan, and the scan itself.
type probeRound struct{ alone, scanned, probes result }

func perSecond(r result) float64 { return float64(r.count) / r.elapsed.Seconds() }

func medianOf(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func benchProbeTarget(cfgFn func() (models.Config, func(), error), d time.Duration, creators, scanners, rounds int) ([]probeRound, error) {
	ctx := context.Background()
	sv, err := serveFresh(ctx, cfgFn)
	if err != nil {
		return nil, err
	}
	defer sv.close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: creators + scanners}}
	admin, err := signIn(ctx, sv.store, client, sv.srv.URL)
	if err != nil {
		return nil, err
	}
	// The scanner is a clerk: signed in, allowed to read, refused every victim it does not find.
	scanner, err := signInAs(ctx, sv.store, client, sv.srv.URL, "scanner@example.gov", models.RoleClerk)
	if err != nil {
		return nil, err
	}
	var seq atomic.Int64
	create := func() (int, error) {
		body, _ := json.Marshal(map[string]string{
			"court_case_number": fmt.Sprintf("PROBE-%08d", seq.Add(1)), "caption": "People v. Probe",
			"court": "Mesa County District Court", "jurisdiction": "us-co",
		})
		return send(client, admin, "POST", sv.srv.URL+"/api/v1/cases", body)
	}
	probe := func() (int, error) {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
		id := hex.EncodeToString(b)
		status, err := send(client, scanner, "GET", sv.srv.URL+"/api/v1/victims/"+id[:8]+"-"+id[8:12]+"-"+id[12:16]+"-"+id[16:20]+"-"+id[20:], nil)
		if status == http.StatusNotFound {
			// The answer a probe expects: not an error of the benchmark.
			status = http.StatusOK
		}
		return status, err
	}
	// Warm up: the first case creation makes the audit data key, the first refusal the counter row.
	for range 20 {
		if status, err := create(); err != nil || status != http.StatusCreated {
			return nil, fmt.Errorf("warming up: status %d, %v", status, err)
		}
		if status, err := probe(); err != nil || status != http.StatusOK {
			return nil, fmt.Errorf("warming up a probe: status %d, %v", status, err)
		}
	}
	var out []probeRound
	for range rounds {
		var r probeRound
		r.alone = run("create case", creators, d, create)
		var wg sync.WaitGroup
		wg.Go(func() { r.probes = run("probe", scanners, d, probe) })
		r.scanned = run("create case", creators, d, create)
		wg.Wait()
		out = append(out, r)
	}
	return out, nil
}
