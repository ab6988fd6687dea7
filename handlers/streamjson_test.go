package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"
	"github.com/google/uuid"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/dbtest"
)

// orderContract is the contract's createRestitutionOrder, routed, with its body prepared for streaming.
type orderContract struct {
	router   *contractValidator
	route    *routers.Route
	params   map[string]string
	streamed *streamedSchema
	// limit caps the bodies read, as x-max-body-bytes does.
	limit int64
}

const orderPath = "/api/v1/cases/0198c0de-0000-7000-8000-000000000001/restitution-orders"

func newOrderContract(t testing.TB) *orderContract {
	t.Helper()
	doc, err := api.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	v, err := newContractValidator(doc)
	if err != nil {
		t.Fatal(err)
	}
	route, params, err := v.router.FindRoute(httptest.NewRequest("POST", orderPath, nil))
	if err != nil {
		t.Fatal(err)
	}
	st, err := newStreamedSchema(route.Operation)
	if err != nil {
		t.Fatal(err)
	}
	return &orderContract{router: v, route: route, params: params, streamed: st, limit: limit}
}

// limit caps the bodies of these tests, so that a body over it shows how each way answers a body too large.
const limit = 1 << 16

// whole is how the service checked and decoded an order's body before it was streamed: read whole and
// checked for UTF-8 and trailing data, validated by kin-openapi against the contract, then decoded by the
// generated server (gin's JSON binding).
func (oc *orderContract) whole(body []byte) (*api.RestitutionOrderCreate, *Problem) {
	req := httptest.NewRequest("POST", orderPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Body = http.MaxBytesReader(nil, req.Body, oc.limit)
	if p := checkJSONBody(req); p != nil {
		return nil, p
	}
	input := &openapi3filter.RequestValidationInput{Request: req, PathParams: oc.params, Route: oc.route,
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if err := openapi3filter.ValidateRequest(context.Background(), input); err != nil {
		return nil, requestProblem(err)
	}
	var out api.RestitutionOrderCreate
	if err := binding.JSON.Bind(req, &out); err != nil {
		return nil, errNotBound
	}
	return &out, nil
}

// stream is how the service checks and decodes it now.
func (oc *orderContract) stream(body []byte) (*api.RestitutionOrderCreate, *Problem) {
	return decodeOrderCreate(http.MaxBytesReader(nil, io.NopCloser(bytes.NewReader(body)), oc.limit), oc.streamed)
}

// agree fails t unless both ways answer body alike: the same problem, or the same decoded order.
func (oc *orderContract) agree(t testing.TB, body []byte) *Problem {
	t.Helper()
	wantBody, want := oc.whole(body)
	gotBody, got := oc.stream(body)
	switch {
	case (want == nil) != (got == nil):
		t.Errorf("%.200q: the contract answers %+v; streamed, %+v", body, want, got)
	case want != nil && (want.Status != got.Status || want.Type != got.Type || want.Detail != got.Detail || !reflect.DeepEqual(want.Errors, got.Errors)):
		t.Errorf("%.200q: the contract answers\n  %d %s %v\nstreamed,\n  %d %s %v", body, want.Status, want.Detail, want.Errors, got.Status, got.Detail, got.Errors)
	case want == nil && !reflect.DeepEqual(wantBody, gotBody):
		t.Errorf("%.200q: the contract decodes %+v; streamed, %+v", body, wantBody, gotBody)
	}
	return got
}

const (
	victimA   = "0198c0de-0000-7000-8000-00000000000a"
	victimB   = "0198c0de-0000-7000-8000-00000000000b"
	defendant = "0198c0de-0000-7000-8000-0000000000d1"
)

// orderJSON is a valid order with its lines, or with the given members in place of the usual ones.
func orderJSON(lines string, members ...string) string {
	m := map[string]string{"ordered_on": `"2025-01-15"`, "defendant_ids": `["` + defendant + `"]`, "lines": lines}
	for i := 0; i+1 < len(members); i += 2 {
		m[members[i]] = members[i+1]
	}
	var b strings.Builder
	b.WriteString("{")
	for _, k := range []string{"ordered_on", "jurisdiction", "interest_rate_bps", "defendant_ids", "court_order_reference", "lines", "extra"} {
		if v, ok := m[k]; ok && v != "-" {
			if b.Len() > 1 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q: %s", k, v)
		}
	}
	b.WriteString("}")
	return b.String()
}

func line(victim, amount string) string {
	return fmt.Sprintf(`{"victim_id": %q, "amount_cents": %s}`, victim, amount)
}

// badOrderBodies are bodies that the contract refuses, each for its own reason, and the status it refuses
// them with.
var badOrderBodies = []struct {
	name   string
	body   string
	status int
}{
	{"empty", ``, 400},
	{"blank", "  \n", 400},
	{"not JSON", `lines`, 400},
	{"cut short", `{"ordered_on": "2025-01-15", "lines": [` + line(victimA, "100"), 400},
	{"cut short in a line", `{"lines": [{"victim_id": "` + victimA, 400},
	{"a bad token in a line", `{"lines": [{"victim_id": x}]}`, 400},
	{"a comma too many", `{"lines": [` + line(victimA, "1") + `,]}`, 400},
	{"a byte-order mark", "\ufeff" + orderJSON("["+line(victimA, "1")+"]"), 400},
	{"trailing data", orderJSON("["+line(victimA, "1")+"]") + ` {}`, 400},
	{"trailing junk", orderJSON("["+line(victimA, "1")+"]") + ` xyz`, 400},
	{"a second closing brace", orderJSON("["+line(victimA, "1")+"]") + `}`, 400},
	{"not UTF-8 in a string", `{"court_order_reference": "` + "\xff" + `"}`, 400},
	{"not UTF-8 after malformed JSON", `{"lines": [` + "} \xc3", 400},
	{"a character cut at the end", orderJSON("[]") + " \xe2\x82", 400},
	{"an array", `[` + line(victimA, "1") + `]`, 400},
	{"a string", `"order"`, 400},
	{"null", `null`, 400},
	{"a number", `12`, 400},
	{"an unknown field", orderJSON("["+line(victimA, "1")+"]", "extra", `{"deep": [[[[{"x": 1}]]]]}`), 400},
	{"an unknown field in a line", orderJSON(`[{"victim_id": "` + victimA + `", "amount_cents": 1, "note": "x"}]`), 400},
	{"an unknown field and a bad amount", orderJSON(`[{"victim_id": "` + victimA + `", "amount_cents": 0, "note": "x"}]`), 400},
	{"a field in another letter case", `{"ordered_on": "2025-01-15", "defendant_ids": ["` + defendant + `"], "Lines": [` + line(victimA, "1") + `]}`, 400},
	{"no lines", orderJSON("-"), 422},
	{"no lines or date", orderJSON("-", "ordered_on", "-"), 422},
	{"empty lines", orderJSON("[]"), 422},
	{"lines null", orderJSON("null"), 422},
	{"lines an object", orderJSON(`{"victim_id": "` + victimA + `"}`), 422},
	{"lines a string", orderJSON(`"lines"`), 422},
	{"a line that is a string", orderJSON(`["` + victimA + `"]`), 422},
	{"a line that is an array", orderJSON(`[[1, 2]]`), 422},
	{"a line that is null", orderJSON(`[null, ` + line(victimA, "1") + `]`), 422},
	{"an amount of zero", orderJSON("[" + line(victimA, "1") + ", " + line(victimB, "0") + "]"), 422},
	{"a negative amount", orderJSON("[" + line(victimA, "-5") + "]"), 422},
	{"an amount over $100 billion", orderJSON("[" + line(victimA, "10000000000001") + "]"), 422},
	{"an amount beyond int64", orderJSON("[" + line(victimA, "99999999999999999999999") + "]"), 422},
	{"an amount beyond float64", orderJSON("[" + line(victimA, "1e400") + "]"), 422},
	{"an amount in dollars", orderJSON("[" + line(victimA, "12.34") + "]"), 422},
	{"an amount as a string", orderJSON("[" + line(victimA, `"100"`) + "]"), 422},
	{"an amount null", orderJSON("[" + line(victimA, `null`) + "]"), 422},
	{"an amount as an object", orderJSON("[" + line(victimA, `{"cents": 1}`) + "]"), 422},
	{"no amount", orderJSON(`[{"victim_id": "` + victimA + `"}]`), 422},
	{"no victim", orderJSON(`[{"amount_cents": 5}]`), 422},
	{"an empty line", orderJSON(`[{}]`), 422},
	{"a victim that is no UUID", orderJSON("[" + line("victim-a", "1") + "]"), 422},
	{"a victim in braces", orderJSON("[" + line("{"+victimA+"}", "1") + "]"), 422},
	{"a victim without dashes", orderJSON("[" + line(strings.ReplaceAll(victimA, "-", ""), "1") + "]"), 422},
	{"a victim as a number", orderJSON(`[{"victim_id": 7, "amount_cents": 1}]`), 422},
	{"many bad lines", orderJSON("[" + line("x", "0") + ", " + line(victimA, "1") + ", " + line("y", `"z"`) + "]"), 422},
	{"a bad date", orderJSON("[]", "ordered_on", `"15/01/2025"`), 422},
	{"a day the calendar lacks", orderJSON("["+line(victimA, "1")+"]", "ordered_on", `"2025-02-31"`), 422},
	{"a date as a number", orderJSON("["+line(victimA, "1")+"]", "ordered_on", `20250115`), 422},
	{"no defendants", orderJSON("["+line(victimA, "1")+"]", "defendant_ids", `[]`), 422},
	{"a defendant that is no UUID", orderJSON("["+line(victimA, "1")+"]", "defendant_ids", `["d1", "`+defendant+`"]`), 422},
	{"defendants as a string", orderJSON("["+line(victimA, "1")+"]", "defendant_ids", `"`+defendant+`"`), 422},
	{"101 defendants", orderJSON("["+line(victimA, "1")+"]", "defendant_ids", `[`+strings.Repeat(`"`+defendant+`", `, 100)+`"`+defendant+`"]`), 422},
	{"a bad jurisdiction", orderJSON("["+line(victimA, "1")+"]", "jurisdiction", `"US CO"`), 422},
	{"a jurisdiction as a list", orderJSON("["+line(victimA, "1")+"]", "jurisdiction", `["us-co"]`), 422},
	{"a rate over 100%", orderJSON("["+line(victimA, "1")+"]", "interest_rate_bps", `10001`), 422},
	{"a fractional rate", orderJSON("["+line(victimA, "1")+"]", "interest_rate_bps", `5.5`), 422},
	{"a rate null", orderJSON("["+line(victimA, "1")+"]", "interest_rate_bps", `null`), 422},
	{"a reference too long", orderJSON("["+line(victimA, "1")+"]", "court_order_reference", `"`+strings.Repeat("x", 201)+`"`), 422},
	{"bad values everywhere", orderJSON("["+line(victimA, "0")+"]", "ordered_on", `"x"`, "jurisdiction", `""`, "interest_rate_bps", `-1`, "defendant_ids", `[1]`, "court_order_reference", `7`), 422},
	// Numbers kin-openapi takes for integers that the generated types cannot hold: refused as unreadable.
	{"an amount written 1.0", orderJSON("[" + line(victimA, "1.0") + "]"), 400},
	{"an amount written 1e3", orderJSON("[" + line(victimA, "1e3") + "]"), 400},
	{"a rate written 500.0", orderJSON("["+line(victimA, "1")+"]", "interest_rate_bps", `500.0`), 400},
	{"too large", orderJSON("[" + strings.Repeat(line(victimA, "1")+", ", limit/60) + line(victimB, "1") + "]"), 413},
	{"too large and malformed", orderJSON("[" + strings.Repeat(line(victimA, "1")+" ", limit/60) + "]"), 413},
}

// TestStreamedOrderAgreesWithTheContract checks that a restitution order's body, now read as a stream and
// checked value by value, is refused exactly as the contract middleware refused it when it was read whole:
// the same status, detail and field errors for each bad body, and the same decoded order for good ones.
func TestStreamedOrderAgreesWithTheContract(t *testing.T) {
	oc := newOrderContract(t)
	for _, tc := range badOrderBodies {
		t.Run(tc.name, func(t *testing.T) {
			if p := oc.agree(t, []byte(tc.body)); p == nil || p.Status != tc.status {
				t.Errorf("answered %+v; want status %d", p, tc.status)
			}
		})
	}
	for _, body := range []string{
		orderJSON("[" + line(victimA, "1") + "]"),
		orderJSON("["+line(strings.ToUpper(victimA), "10000000000000")+", "+line(victimB, "250")+"]", "jurisdiction", `"us-federal"`,
			"interest_rate_bps", "500", "court_order_reference", `"Judgment, docket 42 \u00e9\ud83d\ude00"`),
		orderJSON("["+line(victimA, "1")+"]", "court_order_reference", `""`, "defendant_ids", `["`+defendant+`", "`+victimB+`"]`),
		"\n\t " + orderJSON("["+line(victimA, "7")+"]") + " \r\n",
		`{"lines":[{"amount_cents":5,"victim_id":"` + victimA + `"}],"ordered_on":"2025-01-15","defendant_ids":["` + defendant + `"]}`,
	} {
		if p := oc.agree(t, []byte(body)); p != nil {
			t.Errorf("%s: refused %+v", body, p)
		}
	}
}

// A member named twice is the one place the two ways differ: a generic decoder keeps the last, which would
// let a body say two things at once; the streamed one refuses it.
func TestStreamedOrderRefusesAMemberNamedTwice(t *testing.T) {
	oc := newOrderContract(t)
	for _, body := range []string{
		`{"ordered_on": "2025-01-15", "ordered_on": "2025-01-16", "defendant_ids": ["` + defendant + `"], "lines": [` + line(victimA, "1") + `]}`,
		orderJSON(`[{"victim_id": "` + victimA + `", "amount_cents": 1, "amount_cents": 100000}]`),
		`{"lines": [` + line(victimA, "1") + `], "lines": [` + line(victimB, "1") + `], "ordered_on": "2025-01-15", "defendant_ids": ["` + defendant + `"]}`,
	} {
		if _, p := oc.stream([]byte(body)); p == nil || p.Status != http.StatusBadRequest || len(p.Errors) != 1 {
			t.Errorf("%s: answered %+v; want 400 naming the field", body, p)
		}
	}
}

// FuzzStreamedOrderAgreesWithTheContract looks for bodies that the two ways answer differently. `go test`
// runs the seeds; `go test -fuzz FuzzStreamedOrder ./handlers` explores further.
func FuzzStreamedOrderAgreesWithTheContract(f *testing.F) {
	for _, tc := range badOrderBodies {
		if tc.status != http.StatusRequestEntityTooLarge {
			f.Add(tc.body)
		}
	}
	f.Add(orderJSON("[" + line(victimA, "1") + "]"))
	oc := newOrderContract(f)
	f.Fuzz(func(t *testing.T, body string) {
		if repeatsAMember(body) {
			t.Skip("a member named twice is refused on purpose (TestStreamedOrderRefusesAMemberNamedTwice)")
		}
		if nestsDeeperThan(body, maxJSONDepth) {
			t.Skip("nesting past maxJSONDepth is refused on purpose (TestStreamedOrderRefusesDeepNestingCheaply)")
		}
		oc.agree(t, []byte(body))
	})
}

// repeatsAMember reports whether some object in body, read as far as it is JSON, names a member twice.
func repeatsAMember(body string) bool {
	dec := json.NewDecoder(strings.NewReader(body))
	var keys []map[string]bool // per open container: its names so far, nil for an array
	var wantKey []bool
	for {
		t, err := dec.Token()
		if err != nil {
			return false
		}
		n := len(keys)
		if k, ok := t.(string); ok && n > 0 && keys[n-1] != nil && wantKey[n-1] {
			if keys[n-1][k] {
				return true
			}
			keys[n-1][k], wantKey[n-1] = true, false
			continue
		}
		switch t {
		case json.Delim('{'):
			keys, wantKey = append(keys, map[string]bool{}), append(wantKey, true)
		case json.Delim('['):
			keys, wantKey = append(keys, nil), append(wantKey, false)
		case json.Delim('}'), json.Delim(']'):
			keys, wantKey = keys[:n-1], wantKey[:n-1]
			if n > 1 && keys[n-2] != nil {
				wantKey[n-2] = true
			}
		default:
			if n > 0 && keys[n-1] != nil {
				wantKey[n-1] = true
			}
		}
	}
}

// nestsDeeperThan reports whether body, read as far as it is JSON, opens more than n arrays and objects at
// once.
func nestsDeeperThan(body string, n int) bool {
	dec := json.NewDecoder(strings.NewReader(body))
	for depth := 0; depth <= n; {
		t, err := dec.Token()
		if err != nil {
			return false
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return true
}

// TestAnOrderIsDecodedAsItArrives feeds an order of 50,000 lines (3.8 MiB of JSON) to the streamed decoder
// and checks that every line is handed on before the decoder has read 64 KiB past its end: the body is never
// held whole. It counts bytes rather than measuring the heap, which is the whole test process's and moves
// with whatever else runs; BenchmarkOrderBody measures and bounds the heap itself.
func TestAnOrderIsDecodedAsItArrives(t *testing.T) {
	oc := newOrderContract(t)
	oc.limit = maxBodyBytes(oc.route.Operation)
	var body bytes.Buffer
	fmt.Fprintf(&body, `{"ordered_on": "2025-01-15", "defendant_ids": [%q], "lines": [`, defendant)
	ends := make([]int64, 50_000) // where each line ends in the body
	for i := range ends {
		if i > 0 {
			body.WriteString(",")
		}
		fmt.Fprintf(&body, "\n  {\"victim_id\": \"0198c0de-0000-7000-8000-%012d\", \"amount_cents\": %d}", i, 100+i)
		ends[i] = int64(body.Len())
	}
	body.WriteString("\n]}\n")
	in := &countedReader{r: bytes.NewReader(body.Bytes())}
	var ahead int64
	lines := 0
	_, p := decodeStreamed(http.MaxBytesReader(nil, io.NopCloser(in), oc.limit), oc.streamed, func(property string, i int, _ any, valid bool) {
		if property == "lines" && valid {
			ahead = max(ahead, in.n-ends[i])
			lines++
		}
	})
	if p != nil || lines != len(ends) {
		t.Fatalf("answered %+v after %d valid lines; want all %d", p, lines, len(ends))
	}
	t.Logf("%.1f MiB of JSON: each line was handed on at most %d bytes after it was read", float64(body.Len())/(1<<20), ahead)
	if ahead > 64<<10 {
		t.Errorf("the decoder read %d bytes past a line before handing it on; want at most 64 KiB", ahead)
	}
}

// countedReader counts the bytes read through it.
type countedReader struct {
	r io.Reader
	n int64
}

func (c *countedReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// BenchmarkOrderBody reads a 250,000-line order (about 19 MiB of JSON) the way the service did before it
// was streamed (whole, into kin-openapi's generic values and again into the generated type) and as it does
// now, and reports how far each took the live heap above where it started (peak-live-MiB, sampled after a
// collection every few milliseconds) beside Go's usual allocation figures. It fails when the streamed way
// took the live heap up by as much as the JSON itself: run alone, nothing else moves that heap.
//
//	go test ./handlers -run '^$' -bench OrderBody -benchtime 3x
func BenchmarkOrderBody(b *testing.B) {
	oc := newOrderContract(b)
	oc.limit = maxBodyBytes(oc.route.Operation)
	var body bytes.Buffer
	fmt.Fprintf(&body, `{"ordered_on": "2025-01-15", "defendant_ids": [%q], "lines": [`, defendant)
	for i := range 250_000 {
		if i > 0 {
			body.WriteString(",")
		}
		fmt.Fprintf(&body, "\n  {\"victim_id\": \"0198c0de-0000-7000-8000-%012d\", \"amount_cents\": %d}", i, 100+i)
	}
	body.WriteString("\n]}\n")
	for _, way := range []struct {
		name string
		read func([]byte) (*api.RestitutionOrderCreate, *Problem)
	}{{"whole", oc.whole}, {"streamed", oc.stream}} {
		b.Run(way.name, func(b *testing.B) {
			b.ReportAllocs()
			var peak uint64
			for b.Loop() {
				peak = max(peak, dbtest.LiveHeapPeak(func() {
					if order, p := way.read(body.Bytes()); p != nil || len(order.Lines) != 250_000 {
						b.Fatalf("refused %+v", p)
					}
				}))
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-live-MiB")
			b.ReportMetric(float64(body.Len())/(1<<20), "body-MiB")
			if way.name == "streamed" && peak >= uint64(body.Len()) {
				b.Errorf("reading %.1f MiB of JSON took the live heap up by %.1f MiB; want less than the JSON itself",
					float64(body.Len())/(1<<20), float64(peak)/(1<<20))
			}
		})
	}
}

// repeated reads as n copies of one byte, so that a test can send tens of MiB without holding them.
type repeated struct {
	b byte
	n int64
}

func (r *repeated) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.n)]
	for i := range p {
		p[i] = r.b
	}
	r.n -= int64(len(p))
	return len(p), nil
}

// allocatedBy answers how many bytes fn allocated, from the process's running total: nothing else in this
// package's tests runs beside it (none calls t.Parallel), and a margin of a MiB absorbs what stray goroutines
// allocate meanwhile.
func allocatedBy(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestStreamedOrderRefusesDeepNestingCheaply sends bodies of the largest size an order may have (32 MiB)
// that open arrays without end, wherever the walk over a body meets them: encoding/json's decoder keeps a
// stack entry per open array, so that one such body once took a gigabyte. Each is refused with 400 after a
// few allocations, and nesting up to the limit is still read as JSON.
func TestStreamedOrderRefusesDeepNestingCheaply(t *testing.T) {
	oc := newOrderContract(t)
	oc.limit = maxBodyBytes(oc.route.Operation)
	detail := fmt.Sprintf("more than %d deep", maxJSONDepth)
	for _, tc := range []struct{ name, head string }{
		{"in an unknown field", `{"x": `},
		{"as the body", ``},
		{"as the lines", `{"lines": `},
		{"in a line", `{"lines": [{"victim_id": `},
		{"as a line's unknown field", `{"lines": [{"note": `},
		{"as a date", `{"ordered_on": `},
		{"in the defendants", `{"defendant_ids": [`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := io.MultiReader(strings.NewReader(tc.head), &repeated{'[', oc.limit - int64(len(tc.head))})
			var p *Problem
			allocated := allocatedBy(func() {
				_, p = decodeOrderCreate(http.MaxBytesReader(nil, io.NopCloser(body), oc.limit), oc.streamed)
			})
			if p == nil || p.Status != http.StatusBadRequest || !strings.Contains(p.Detail, detail) {
				t.Errorf("answered %+v; want 400 saying the body nests %s", p, detail)
			}
			t.Logf("refused after allocating %d bytes", allocated)
			if allocated > 1<<20 {
				t.Errorf("refusing it allocated %.1f MiB; want less than 1 MiB", float64(allocated)/(1<<20))
			}
		})
	}
	t.Run("up to the limit", func(t *testing.T) {
		nested := strings.Repeat("[", maxJSONDepth-1) + strings.Repeat("]", maxJSONDepth-1)
		_, p := oc.stream([]byte(orderJSON("["+line(victimA, "1")+"]", "extra", nested)))
		if p == nil || p.Errors["extra"] == "" {
			t.Errorf("answered %+v; want the unknown field named", p)
		}
		if _, p := oc.stream([]byte(orderJSON("["+line(victimA, "1")+"]", "extra", "["+nested+"]"))); p == nil || !strings.Contains(p.Detail, detail) {
			t.Errorf("one deeper: answered %+v; want %s", p, detail)
		}
	})
}

// recordedOrders stands in for the Server behind the streamed order handler, keeping the contexts it is
// given.
type recordedOrders struct{ reach, create context.Context }

func (r *recordedOrders) caseInReach(ctx context.Context, _ string) error {
	r.reach = ctx
	return nil
}

func (r *recordedOrders) CreateRestitutionOrder(ctx context.Context, _ api.CreateRestitutionOrderRequestObject) (api.CreateRestitutionOrderResponseObject, error) {
	r.create = ctx
	return api.CreateRestitutionOrder201JSONResponse{}, nil
}

// TestTheOrderHandlerGivesTheServerTheRequestsContext checks that the streamed order handler hands the
// server the request's own context, as every other handler does, and never gin's *gin.Context, which gin
// reuses for another request once this one returns.
func TestTheOrderHandlerGivesTheServerTheRequestsContext(t *testing.T) {
	oc := newOrderContract(t)
	rec := &recordedOrders{}
	ss := &streamedServer{orders: rec, schemas: map[string]*streamedSchema{"createRestitutionOrder": oc.streamed}}
	gin.SetMode(gin.TestMode)
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	type marker struct{}
	req := httptest.NewRequest("POST", orderPath, strings.NewReader(orderJSON("["+line(victimA, "1")+"]")))
	c.Request = req.WithContext(context.WithValue(req.Context(), marker{}, "this request"))
	ss.CreateRestitutionOrder(c, uuid.MustParse("0198c0de-0000-7000-8000-000000000001"))
	for step, ctx := range map[string]context.Context{"checking the case": rec.reach, "entering the order": rec.create} {
		if _, pooled := ctx.(*gin.Context); pooled || ctx != c.Request.Context() {
			t.Errorf("%s was given %T; want the request's own context", step, ctx)
		}
	}
}
