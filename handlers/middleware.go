package handlers

import (
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/impactledger/impactledger/models"
)

const (
	requestIDKey       = "request_id"
	serverRequestIDKey = "server_request_id"
)

// acceptableRequestID keeps caller-chosen request IDs short and free of characters that could forge log lines.
var acceptableRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// withRequestID takes the caller's X-Request-ID when it is a plain token, or makes one, and echoes it.
// The audit trail gets an ID of the server's own, so that no caller can write text of its choosing into
// rows that are kept for years; the access log line carries both.
func withRequestID(c *gin.Context) {
	serverID := uuid.NewString()
	id := c.GetHeader("X-Request-ID")
	if !acceptableRequestID.MatchString(id) {
		id = serverID
	}
	c.Set(requestIDKey, id)
	c.Set(serverRequestIDKey, serverID)
	// A request acts anonymously until its session says who it is.
	c.Request = c.Request.WithContext(models.WithRequest(c.Request.Context(), models.RequestInfo{
		ID: serverID, ClientIP: c.ClientIP(), Actor: models.Actor{Type: models.ActorAnonymous},
	}))
	c.Header("X-Request-ID", id)
	c.Next()
}

func requestID(c *gin.Context) string { return c.GetString(requestIDKey) }

// contentSecurityPolicy allows only this origin's own scripts, styles and calls, and no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; " +
	"frame-ancestors 'none'"

// hstsHeader keeps browsers on HTTPS for two years once they have seen it, as a service that ends TLS itself
// should say; it names no subdomains, which may be other services'.
const hstsHeader = "max-age=63072000"

// withSecurityHeaders sets the headers every response carries; API responses are never cached, since they
// hold victims' data. With hsts, the service serves HTTPS itself and tells browsers to use nothing else.
func withSecurityHeaders(hsts bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		if hsts {
			c.Writer.Header().Set("Strict-Transport-Security", hstsHeader)
		}
		securityHeaders(c)
	}
}

func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
	if isAPIPath(c.Request.URL.Path) {
		h.Set("Cache-Control", "no-store")
	}
	c.Next()
}

// isAPIPath reports whether path belongs to the API (or its probes), which never falls back to the UI.
func isAPIPath(path string) bool {
	return path == "/api" || strings.HasPrefix(path, "/api/") || path == "/healthz" || path == "/readyz"
}

// withAccessLog logs one line per request: the route template, never the query string, which may carry
// search terms such as a victim's name; and who made it by account ID (a UUID, never a name or email; empty
// before sign-in), so that a refusal in the log can be traced to the account that met it.
func withAccessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "(unmatched)"
		}
		status := c.Writer.Status()
		level := slog.LevelInfo
		if status >= http.StatusInternalServerError {
			level = slog.LevelError
		}
		log.LogAttrs(c, level, "request",
			slog.String("request_id", requestID(c)),
			slog.String("server_request_id", c.GetString(serverRequestIDKey)),
			slog.String("method", truncate(c.Request.Method, 16)),
			slog.String("route", route),
			slog.String("actor_id", models.ActorOf(c.Request.Context()).ID),
			slog.Int("status", status),
			slog.Int("bytes", max(c.Writer.Size(), 0)),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
		)
	}
}

// recoverToProblem turns a panic into a generic 500 problem and a log line without the panic's value.
func recoverToProblem(c *gin.Context, recovered any) {
	slog.ErrorContext(c, "panic while serving a request", "request_id", requestID(c), "route", c.FullPath(),
		"stack", string(debug.Stack()))
	writeProblem(c, newProblem(http.StatusInternalServerError, "internal", "Internal server error",
		"Something went wrong on our side. The request ID helps support find out what."))
}

// truncate keeps at most n bytes of s, for values whose length a client controls.
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
