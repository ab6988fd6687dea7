package handlers

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"
)

// Defaults of the heavy-request bounds (Config.HeavyPerAccount and Config.HeavyTotal).
const (
	// DefaultHeavyPerAccount is how many heavy requests one account may have running at once: a second lets a
	// person start an upload while an order goes in, and no one person can take the whole instance.
	DefaultHeavyPerAccount = 2
	// DefaultHeavyTotal is how many heavy requests the instance serves at once, whoever sends them: each may
	// take 250 MiB or so at its peak (a 250,000-line order, a 64 MiB victim list).
	DefaultHeavyTotal = 4
)

// Defaults of the pace a heavy request's body must keep (Config.HeavyBodyMinBytes and HeavyBodyWindow).
const (
	// DefaultHeavyBodyMinBytes is how much of a heavy request's body each DefaultHeavyBodyWindow spent waiting
	// for it must bring. The place a heavy request holds is taken before its body is read, so a client that
	// sent its body slowly, or not at all, could hold places that others need (two accounts held all four
	// at 2 kB/s). 64 KiB every 5 s, about 100 kbit/s, is far below any link an office or a phone gives, so
	// that it refuses no person's upload, yet it frees a stalled place within seconds, and holding a place
	// costs a steady stream of data.
	DefaultHeavyBodyMinBytes = 64 << 10
	// DefaultHeavyBodyWindow is the time over which DefaultHeavyBodyMinBytes must arrive: long enough that a
	// network hiccup (a Wi-Fi roam, a few lost packets resent) does not cost someone a 20 MiB upload.
	DefaultHeavyBodyWindow = 5 * time.Second
)

// heavyRetryAfter is how long a refused heavy request is told to wait: about what one takes.
const heavyRetryAfter = 10 * time.Second

// heavyLimiter bounds the heavy requests this process serves at once (operations the contract marks
// x-heavy: entering a restitution order, uploading a victim list, and the exhibit builds to come), per
// account and in all. It counts in memory, unlike the limits kept in the database for every instance to
// share (sign-in attempts, unfinished imports): what it protects is this process's own memory, which another
// instance neither shares nor needs to know about, and a count that died with its process must not outlive
// it.
type heavyLimiter struct {
	perAccount, total int
	// minBytes must arrive of a heavy request's body for every window spent waiting for it.
	minBytes int64
	window   time.Duration

	mu       sync.Mutex
	running  map[string]int
	inFlight int
}

// newHeavyLimiter bounds heavy requests as cfg says, with the defaults for what it leaves at zero.
func newHeavyLimiter(cfg Config) *heavyLimiter {
	l := &heavyLimiter{perAccount: cfg.HeavyPerAccount, total: cfg.HeavyTotal, minBytes: cfg.HeavyBodyMinBytes,
		window: cfg.HeavyBodyWindow, running: map[string]int{}}
	if l.perAccount <= 0 {
		l.perAccount = DefaultHeavyPerAccount
	}
	if l.total <= 0 {
		l.total = DefaultHeavyTotal
	}
	if l.minBytes <= 0 {
		l.minBytes = DefaultHeavyBodyMinBytes
	}
	if l.window <= 0 {
		l.window = DefaultHeavyBodyWindow
	}
	return l
}

// acquire takes a place for a heavy request of account, answering how to give it back, or the problem that
// refuses the request when there is no place.
func (l *heavyLimiter) acquire(account string) (func(), *Problem) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var p *Problem
	switch {
	case l.running[account] >= l.perAccount:
		p = newProblem(http.StatusTooManyRequests, "too-many-heavy-requests", "Too many large requests at once",
			fmt.Sprintf("You already have %d large requests (such as entering an order or uploading a list) under way. "+
				"Wait for one to finish, then send this again.", l.perAccount))
	case l.inFlight >= l.total:
		p = newProblem(http.StatusTooManyRequests, "busy", "The service is busy",
			"The service is working on as many large requests as it can take at once. Send this again in a few seconds.")
	}
	if p != nil {
		p.retryAfter = heavyRetryAfter
		return nil, p
	}
	l.running[account]++
	l.inFlight++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.inFlight--
			if l.running[account]--; l.running[account] == 0 {
				delete(l.running, account)
			}
		})
	}, nil
}

// pace holds the body of c's request, a heavy one, to the limiter's pace, calling release (which gives back
// the request's place) the moment the body falls behind.
func (l *heavyLimiter) pace(c *gin.Context, release func()) {
	req := c.Request
	if req.Body == nil || req.Body == http.NoBody {
		return
	}
	b := &pacedBody{ReadCloser: req.Body, rc: http.NewResponseController(c.Writer), minBytes: l.minBytes,
		window: l.window, budget: l.window, onSlow: release}
	if srv, ok := req.Context().Value(http.ServerContextKey).(*http.Server); ok && srv.ReadTimeout > 0 {
		// The server set a deadline for reading the whole request when it began (a moment ago), which the
		// pace replaces: it must never reach past it.
		b.until = time.Now().Add(srv.ReadTimeout)
	}
	req.Body = b
}

// pacedBody is the body of a heavy request, held to a minimum pace: every window spent waiting for it must
// bring minBytes, or it fails with bodyTooSlow. Only the time spent waiting in Read counts, so that a
// handler busy between reads (sealing what it read, waiting for the database) never makes its client look
// slow. The wait is bounded by the connection's read deadline, set afresh before each read.
type pacedBody struct {
	io.ReadCloser
	rc       *http.ResponseController
	minBytes int64
	window   time.Duration
	// until is the server's own deadline for reading the request; zero when it sets none.
	until time.Time
	// budget is the waiting left in the current window, got what the window has brought so far.
	budget time.Duration
	got    int64
	// unpaced is set once the body has ended or the connection takes no deadline: reads pass through.
	unpaced bool
	// err is the refusal, once the body fell behind; onSlow runs then.
	err    error
	onSlow func()
}

func (b *pacedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.unpaced {
		return b.ReadCloser.Read(p)
	}
	deadline := time.Now().Add(b.budget)
	if !b.until.IsZero() && deadline.After(b.until) {
		deadline = b.until
	}
	if err := b.rc.SetReadDeadline(deadline); err != nil {
		// Only a writer that is no connection (a test's recorder in the same process) takes no deadline.
		b.unpaced = true
		return b.ReadCloser.Read(p)
	}
	start := time.Now()
	n, err := b.ReadCloser.Read(p)
	b.budget -= time.Since(start)
	if b.got += int64(n); b.got >= b.minBytes {
		b.got, b.budget = 0, b.window
	}
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded), err == nil && b.budget <= 0:
		b.err = bodyTooSlow(b.minBytes, b.window)
		b.onSlow()
		return n, b.err
	case err != nil:
		// At the body's end the server clears the deadline itself and watches the connection for the client
		// going away, which a deadline set now would cut short (cancelling the request): none is set again.
		b.unpaced = true
	}
	return n, err
}

// bodyTooSlow refuses a heavy request whose body did not keep the pace.
func bodyTooSlow(minBytes int64, window time.Duration) *Problem {
	return newProblem(http.StatusRequestTimeout, "body-too-slow", "The request body arrived too slowly",
		fmt.Sprintf("The body of a large request must keep arriving, at least %d KiB for every %v spent waiting for it, "+
			"or the request gives its place to others. Send it again over a steadier connection.", minBytes>>10, window))
}

// heavy reports whether the contract marks op as heavy (x-heavy: true).
func heavy(op *openapi3.Operation) bool {
	h, _ := op.Extensions["x-heavy"].(bool)
	return h
}

// checkHeavyOperations refuses a contract whose heavy operations could not be limited or whose refusals
// would break it: a heavy operation is for signed-in accounts only, and documents its 408 (a body too slow)
// and its 429.
func checkHeavyOperations(doc *openapi3.T) error {
	var errs []error
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if !heavy(op) {
				continue
			}
			if public, _ := op.Extensions["x-public"].(bool); public {
				errs = append(errs, fmt.Errorf("%s is x-heavy and x-public: heavy requests are counted per account", op.OperationID))
			}
			for _, status := range []string{"408", "429"} {
				if op.Responses.Value(status) == nil {
					errs = append(errs, fmt.Errorf("%s is x-heavy but does not document its %s", op.OperationID, status))
				}
			}
		}
	}
	return errors.Join(errs...)
}
