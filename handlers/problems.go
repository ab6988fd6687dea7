package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/impactledger/impactledger/documents"
	"github.com/impactledger/impactledger/models"
)

// problemBase prefixes every problem type URI.
const problemBase = "https://impactledger.org/problems/"

// Problem is an RFC 9457 problem document, the body of every error response.
type Problem struct {
	Type      string            `json:"type"`
	Title     string            `json:"title"`
	Status    int               `json:"status"`
	Detail    string            `json:"detail,omitempty"`
	Instance  string            `json:"instance,omitempty"`
	RequestID string            `json:"request_id"`
	Errors    map[string]string `json:"errors,omitempty"`
	// ExistingID names the record that a refused duplicate would have repeated.
	ExistingID string `json:"existing_id,omitempty"`
	// retryAfter, when set, is sent as the Retry-After header.
	retryAfter time.Duration
}

// Error makes a Problem an error, so that any layer of the HTTP code can return one as it is.
func (p *Problem) Error() string { return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail) }

// newProblem builds a Problem of a kind named by slug.
func newProblem(status int, slug, title, detail string) *Problem {
	return &Problem{Type: problemBase + slug, Title: title, Status: status, Detail: detail}
}

func badRequest(detail string, fields map[string]string) *Problem {
	p := newProblem(http.StatusBadRequest, "bad-request", "The request is malformed", detail)
	p.Errors = fields
	return p
}

func notFound() *Problem {
	return newProblem(http.StatusNotFound, "not-found", "Not found",
		"There is no such resource, or it is not one you may see.")
}

func methodNotAllowed(method string) *Problem {
	return newProblem(http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed",
		fmt.Sprintf("%s is not allowed here.", truncate(method, 16)))
}

// idempotencyKeyRequired answers a request that moves money without an Idempotency-Key.
func idempotencyKeyRequired() *Problem {
	p := newProblem(http.StatusPreconditionRequired, "idempotency-key-required", "Idempotency-Key required",
		"This request moves money: send an Idempotency-Key header, a new key (such as a UUID) for each new entry, "+
			"and the same key again when you repeat a request whose answer you did not get, so that it is never recorded twice.")
	p.Errors = map[string]string{"Idempotency-Key": "is required"}
	return p
}

// problemFor maps any error a handler returns to the Problem that answers it. It is the one place where
// domain errors become HTTP statuses.
func problemFor(err error) *Problem {
	var (
		p           *Problem
		invalid     *models.ValidationError
		conflict    *models.ConflictError
		throttled   *models.ThrottledError
		oversized   *http.MaxBytesError
		unsupported *documents.UnsupportedTypeError
		reusedKey   models.IdempotencyKeyReusedError
		outOfOrder  *models.OutOfOrderError
	)
	switch {
	case errors.As(err, &p):
		return p
	case errors.Is(err, models.ErrNotFound):
		return notFound()
	case errors.Is(err, models.ErrVersionMismatch):
		return newProblem(http.StatusPreconditionFailed, "stale-version", "The resource was changed",
			"Someone changed this record after you read it. Read it again, then repeat your change.")
	case errors.As(err, &outOfOrder):
		return newProblem(http.StatusConflict, "out-of-date-order", "Posted out of date order", outOfOrder.Detail)
	case errors.As(err, &conflict):
		if conflict.ExistingID != "" {
			p := newProblem(http.StatusConflict, "duplicate", "Already recorded", conflict.Detail)
			p.ExistingID = conflict.ExistingID
			return p
		}
		return newProblem(http.StatusConflict, "conflict", "Conflict", conflict.Detail)
	case errors.Is(err, models.ErrForbidden):
		return newProblem(http.StatusForbidden, "forbidden", "Not allowed",
			"Your role does not allow this. Ask an administrator if you need it.")
	case errors.As(err, &throttled):
		p := newProblem(http.StatusTooManyRequests, "throttled", "Too many attempts", throttled.Error()+".")
		p.retryAfter = throttled.RetryAfter
		return p
	case errors.As(err, &invalid):
		p := newProblem(http.StatusUnprocessableEntity, "validation", "The request is invalid",
			"Some fields are invalid; see errors.")
		p.Errors = invalid.Fields
		return p
	case errors.Is(err, documents.ErrTooLarge):
		return tooLarge(documents.MaxSize)
	case errors.Is(err, models.ErrImportTooLarge):
		return tooLarge(models.MaxImportBytes)
	case errors.Is(err, models.ErrNoJobQueue):
		return newProblem(http.StatusServiceUnavailable, "imports-unavailable", "Imports are not available now",
			"The service cannot run imports at the moment. Try again in a few minutes; if it lasts, tell your administrator.")
	case errors.Is(err, models.ErrIdempotencyKeyRequired):
		return idempotencyKeyRequired()
	case errors.As(err, &reusedKey):
		p := newProblem(http.StatusUnprocessableEntity, "idempotency-key-reused", "Idempotency-Key already used", reusedKey.Error())
		p.Errors = map[string]string{"Idempotency-Key": "was already used for a different request"}
		return p
	case errors.As(err, &oversized):
		return tooLarge(oversized.Limit)
	case errors.Is(err, documents.ErrEmpty):
		p := newProblem(http.StatusUnprocessableEntity, "validation", "The request is invalid", "The file is empty.")
		p.Errors = map[string]string{"file": "is empty"}
		return p
	case errors.As(err, &unsupported):
		return newProblem(http.StatusUnsupportedMediaType, "unsupported-document-type", "Unsupported document type",
			fmt.Sprintf("The file's content is %s; only PDF, PNG, JPEG and plain text (UTF-8) documents are accepted.", unsupported.Detected))
	case errors.Is(err, context.DeadlineExceeded):
		return newProblem(http.StatusServiceUnavailable, "timeout", "The server took too long",
			"The request took too long to complete. Try again.")
	default:
		return nil
	}
}

// writeError is the error funnel: it answers err as a problem document and logs what is not the caller's
// fault. Error text is never logged, because driver and library errors may quote the values they choked on.
func writeError(c *gin.Context, err error) {
	if p := answerFor(c, err); p != nil {
		writeProblem(c, p)
	}
}

// answerFor is the problem that answers err, logged when it is not the caller's fault; nil when the
// client went away and nobody is left to answer.
func answerFor(c *gin.Context, err error) *Problem {
	if c.Writer.Written() {
		return nil
	}
	if errors.Is(err, context.Canceled) && c.Request.Context().Err() != nil {
		c.Abort()
		return nil
	}
	var missingKey *models.AuditKeyMissingError
	if errors.Is(err, models.ErrAuditHeadTampered) || errors.As(err, &missingKey) {
		// Every change is audited in its own transaction: with the chain unable to take another event,
		// nothing can change until an administrator has looked. Logged by cause and key id, never by err's
		// text, which may wrap a driver's that quotes values.
		cause := []any{"cause", "head-tampered"}
		if missingKey != nil {
			cause = []any{"cause", "audit-key-missing", "audit_key_id", missingKey.KeyID}
		}
		slog.ErrorContext(c, "the audit trail cannot be extended", append([]any{"request_id", requestID(c)}, cause...)...)
		p := newProblem(http.StatusServiceUnavailable, "audit-unavailable", "Changes are paused",
			"The audit trail needs an administrator's attention, and nothing can be recorded until then. Tell your administrator.")
		p.retryAfter = time.Minute
		return p
	}
	p := problemFor(err)
	if p == nil {
		slog.ErrorContext(c, "unhandled error", "request_id", requestID(c), "error_class", models.ErrorClass(err))
		p = newProblem(http.StatusInternalServerError, "internal", "Internal server error",
			"Something went wrong on our side. The request ID helps support find out what.")
	}
	return p
}

// writeProblem sends p, stamped with this request's ID and path. A refusal is audited first (see
// auditDenial); when that fails, the failure is answered instead, as for any change that could not be
// recorded, so that no refusal goes out unrecorded.
func writeProblem(c *gin.Context, p *Problem) {
	if err := auditDenial(c, p); err != nil {
		if p = answerFor(c, err); p == nil {
			return
		}
	}
	out := *p
	out.RequestID = requestID(c)
	out.Instance = c.Request.URL.Path
	c.Header("Content-Type", "application/problem+json")
	if p.retryAfter > 0 {
		c.Header("Retry-After", strconv.Itoa(int(math.Ceil(p.retryAfter.Seconds()))))
	}
	c.AbortWithStatusJSON(out.Status, out)
}
