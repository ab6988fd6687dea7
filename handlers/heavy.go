package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
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

	mu       sync.Mutex
	running  map[string]int
	inFlight int
}

func newHeavyLimiter(perAccount, total int) *heavyLimiter {
	if perAccount <= 0 {
		perAccount = DefaultHeavyPerAccount
	}
	if total <= 0 {
		total = DefaultHeavyTotal
	}
	return &heavyLimiter{perAccount: perAccount, total: total, running: map[string]int{}}
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

// heavy reports whether the contract marks op as heavy (x-heavy: true).
func heavy(op *openapi3.Operation) bool {
	h, _ := op.Extensions["x-heavy"].(bool)
	return h
}

// checkHeavyOperations refuses a contract whose heavy operations could not be limited or whose refusals
// would break it: a heavy operation is for signed-in accounts only, and documents its 429.
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
			if op.Responses.Value("429") == nil {
				errs = append(errs, fmt.Errorf("%s is x-heavy but does not document its 429", op.OperationID))
			}
		}
	}
	return errors.Join(errs...)
}
