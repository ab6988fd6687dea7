package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/gin-gonic/gin"

	"github.com/impactledger/impactledger/models"
)

// defaultMaxBodyBytes bounds a request body unless its operation declares x-max-body-bytes.
const defaultMaxBodyBytes = 1 << 20

// contractValidator checks every /api/v1 request against the OpenAPI contract before a handler sees it,
// because the generated strict server decodes but does not validate.
type contractValidator struct {
	router routers.Router
	// heavy bounds the operations the contract marks x-heavy; nil leaves them unbounded.
	heavy *heavyLimiter
}

// uuidFormat is the shape of every ID in the API, of any UUID version.
const uuidFormat = `^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`

// defineFormats registers, once per process, the string formats kin-openapi checks only when told to.
var defineFormats = sync.OnceFunc(func() {
	openapi3.DefineStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(uuidFormat))
})

func newContractValidator(doc *openapi3.T) (*contractValidator, error) {
	defineFormats() // Route on paths alone: the contract's server URL is relative and says nothing about the host.
	routed := *doc
	routed.Servers = nil
	r, err := gorillamux.NewRouter(&routed)
	if err != nil {
		return nil, fmt.Errorf("routing the contract: %w", err)
	}
	return &contractValidator{router: r}, nil
}

func (v *contractValidator) handle(c *gin.Context) {
	if !strings.HasPrefix(c.Request.URL.Path, "/api/v1/") {
		c.Next()
		return
	}
	route, pathParams, err := v.router.FindRoute(c.Request)
	switch {
	case errors.Is(err, routers.ErrMethodNotAllowed):
		writeProblem(c, methodNotAllowed(c.Request.Method))
		return
	case err != nil:
		// Nothing under /api/v1 is served unless the contract declares it.
		writeProblem(c, notFound())
		return
	}
	// The operation names what was refused in the audit trail, should the request be refused. The embedded
	// contract carries operation IDs as oapi-codegen spells Go names (GetCase); the audit trail uses the
	// contract's own spelling (getCase).
	operation := contractOperationID(route.Operation.OperationID)
	c.Set(operationIDKey, operation)
	c.Request = c.Request.WithContext(models.WithOperation(c.Request.Context(), operation))
	p := authorize(c, route.Operation)
	if p == nil {
		p = requireStepUp(c, route.Operation)
	}
	if p != nil {
		writeProblem(c, p)
		return
	}
	streamed := streamedBody(route.Operation)
	if p := limitBody(c, route.Operation, streamed); p != nil {
		writeProblem(c, p)
		return
	}
	if requiresIdempotencyKey(route.Operation) && c.Request.Header.Get("Idempotency-Key") == "" {
		// A precondition, not a malformed request: the same request with a key will do.
		writeProblem(c, idempotencyKeyRequired())
		return
	}
	validated := c.Request
	if streamed {
		// kin-openapi reads the whole body into memory even to check security requirements (in case an
		// authentication function wants it), so a streamed body is hidden from it altogether.
		validated = c.Request.WithContext(c.Request.Context())
		validated.Body = http.NoBody
	}
	input := &openapi3filter.RequestValidationInput{
		Request:    validated,
		PathParams: pathParams,
		Route:      route,
		Options: &openapi3filter.Options{
			MultiError:         true,
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
			// kin-openapi decodes a multipart body by reading all of it into memory, 25 MiB uploads
			// included: such bodies are left to their handlers, which stream and check them.
			ExcludeRequestBody: streamed,
		},
	}
	if err := openapi3filter.ValidateRequest(c, input); err != nil {
		writeProblem(c, requestProblem(err))
		return
	}
	if v.heavy != nil && heavy(route.Operation) {
		// Taken before the handler reads the body, which is what costs memory.
		who, _ := signedInAs(c.Request.Context())
		release, p := v.heavy.acquire(string(who.actor.Type) + ":" + who.actor.ID)
		if p != nil {
			writeProblem(c, p)
			return
		}
		defer release()
		// The body must keep coming to keep the place: a client that stalls gives it back at once.
		v.heavy.pace(c, release)
	}
	c.Next()
}

// requiresIdempotencyKey reports whether op takes a required Idempotency-Key header, as every operation that
// moves money does.
func requiresIdempotencyKey(op *openapi3.Operation) bool {
	p := op.Parameters.GetByInAndName(openapi3.ParameterInHeader, "Idempotency-Key")
	return p != nil && p.Required
}

// authorize enforces the operation's access declaration from the contract: x-public operations are open,
// x-roles lists the roles that may call the others, and an operation that declares neither is closed to
// everyone (deny by default). Which cases a caller reaches is the access policy's to narrow, in the store.
func authorize(c *gin.Context, op *openapi3.Operation) *Problem {
	if public, _ := op.Extensions["x-public"].(bool); public {
		return nil
	}
	who, ok := signedInAs(c.Request.Context())
	if !ok {
		return notSignedIn()
	}
	if role := models.ContractRole(who.actor); role == "" || !slices.Contains(declaredRoles(op), role) {
		return newProblem(http.StatusForbidden, "forbidden", "Not allowed",
			"Your role does not allow this. Ask an administrator if you need it.")
	}
	return nil
}

// contractOperationID spells an operation ID as the contract does: lower camel case.
func contractOperationID(id string) string {
	if id == "" {
		return id
	}
	return strings.ToLower(id[:1]) + id[1:]
}

// requireStepUp enforces an API token's scopes and the operation's x-reauthentication declaration: a
// token without the write scope may only read, and an operation that needs a recent re-authentication
// (always, or when its query says so) needs a session that proved its password within
// models.ReauthenticationWindow, or a token with the sensitive scope. Operations whose need depends on more
// than the request's shape (x-reauthentication: conditional) call stepUp from their handlers.
func requireStepUp(c *gin.Context, op *openapi3.Operation) *Problem {
	who, ok := signedInAs(c.Request.Context())
	if !ok {
		return nil // A public operation: authorize has let it through.
	}
	if who.viaToken && who.readOnly && unsafeMethod(c.Request.Method) {
		return newProblem(http.StatusForbidden, "read-only-token", "This API token may only read",
			"The token has the read scope, which cannot change data. Make a token with the write scope for this.")
	}
	if !declaresStepUp(c, op) {
		return nil
	}
	return stepUp(who)
}

// declaresStepUp reads an operation's x-reauthentication: true always needs a step-up, and
// {when-query: {name: value}} does when any of those query parameters has that value.
func declaresStepUp(c *gin.Context, op *openapi3.Operation) bool {
	switch v := op.Extensions["x-reauthentication"].(type) {
	case bool:
		return v
	case map[string]any:
		when, _ := v["when-query"].(map[string]any)
		for name, want := range when {
			if slices.Contains(c.QueryArray(name), fmt.Sprint(want)) {
				return true
			}
		}
	}
	return false
}

// stepUp refuses a caller who has not proved their password recently enough for an action that needs it:
// a session that last proved it more than models.ReauthenticationWindow ago (401, so that the client asks
// for the password and repeats the request), or an API token without the sensitive scope (403: a script
// cannot re-authenticate).
func stepUp(who signedIn) *Problem {
	switch {
	case who.viaToken && who.sensitive, !who.viaToken && who.recent:
		return nil
	case who.viaToken:
		return newProblem(http.StatusForbidden, "sensitive-scope-required", "This API token may not do this",
			"This action needs an API token with the sensitive scope, made from a session that re-authenticated "+
				"within the last 15 minutes.")
	default:
		return reauthenticationRequired()
	}
}

// stepUpFor is stepUp for an operation that judges its own need (x-reauthentication: conditional). A refusal
// is audited as every other is, when its problem is written.
func (s *Server) stepUpFor(ctx context.Context) error {
	who, _ := signedInAs(ctx)
	if p := stepUp(who); p != nil {
		return p
	}
	return nil
}

func reauthenticationRequired() *Problem {
	return newProblem(http.StatusUnauthorized, "reauthentication-required", "Confirm it is you",
		"This action needs your password (and your authenticator code, if you use one) from within the last 15 "+
			"minutes. Re-authenticate with POST /api/v1/auth/reauthenticate, then repeat the request.")
}

// declaredRoles reads an operation's x-roles.
func declaredRoles(op *openapi3.Operation) []string {
	list, _ := op.Extensions["x-roles"].([]any)
	roles := make([]string, 0, len(list))
	for _, r := range list {
		if name, ok := r.(string); ok {
			roles = append(roles, name)
		}
	}
	return roles
}

// limitBody refuses a body the operation does not take, of a media type it does not accept, or larger than
// it allows, and caps what can be read of the rest. A JSON body that is not streamed is read and checked
// whole here.
func limitBody(c *gin.Context, op *openapi3.Operation, streamed bool) *Problem {
	req := c.Request
	if req.ContentLength == 0 || req.Body == nil || req.Body == http.NoBody {
		return nil
	}
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return badRequest("This operation takes no request body.", nil)
	}
	content := op.RequestBody.Value.Content
	mediaType, params, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	charset := strings.ToLower(params["charset"])
	if err != nil || content.Get(mediaType) == nil || (charset != "" && charset != "utf-8") {
		return newProblem(http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
			fmt.Sprintf("Send the body as %s, in UTF-8.", strings.Join(mediaTypes(content), " or ")))
	}
	// The generated server picks the body's decoder by a case-sensitive prefix; give it the canonical name
	// (with the boundary, for a multipart body).
	if strings.HasPrefix(mediaType, "multipart/") {
		req.Header.Set("Content-Type", mime.FormatMediaType(mediaType, map[string]string{"boundary": params["boundary"]}))
	} else {
		req.Header.Set("Content-Type", mediaType)
	}
	limit := maxBodyBytes(op)
	if req.ContentLength > limit {
		return tooLarge(limit)
	}
	req.Body = http.MaxBytesReader(c.Writer, req.Body, limit)
	if strings.HasSuffix(mediaType, "json") && !streamed {
		return checkJSONBody(req)
	}
	return nil
}

// checkJSONBody reads a JSON body (already capped) and refuses what a decoder would otherwise let through
// quietly: bytes that are not UTF-8 (they would be replaced) and anything after the first value.
func checkJSONBody(req *http.Request) *Problem {
	body, err := io.ReadAll(req.Body)
	var oversized *http.MaxBytesError
	switch {
	case errors.As(err, &oversized):
		return tooLarge(oversized.Limit)
	case err != nil:
		return badRequest("The request body could not be read.", nil)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	if !utf8.Valid(body) {
		return badRequest("The request body is not valid UTF-8.", nil)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var first json.RawMessage
	if err := dec.Decode(&first); err != nil {
		return nil // Empty or malformed: the contract check explains which.
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("The request body has more after its JSON value.", nil)
	}
	return nil
}

func mediaTypes(content openapi3.Content) []string {
	types := make([]string, 0, len(content))
	for t := range content {
		types = append(types, t)
	}
	sort.Strings(types)
	return types
}

// streamedBody reports whether an operation takes a multipart or CSV body, or a JSON body too large to hold
// as generic values (streamedJSON), which its handler reads as a stream and validates itself.
func streamedBody(op *openapi3.Operation) bool {
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return false
	}
	if _, ok := streamedOperation(op); ok {
		return true
	}
	for mediaType := range op.RequestBody.Value.Content {
		if strings.HasPrefix(mediaType, "multipart/") || mediaType == "text/csv" {
			return true
		}
	}
	return false
}

// maxBodyBytes reads the operation's x-max-body-bytes, for uploads and imports that need more than 1 MiB.
func maxBodyBytes(op *openapi3.Operation) int64 {
	if n, ok := op.Extensions["x-max-body-bytes"].(float64); ok && n > 0 {
		return int64(n)
	}
	return defaultMaxBodyBytes
}

func tooLarge(limit int64) *Problem {
	return newProblem(http.StatusRequestEntityTooLarge, "too-large", "The request body is too large",
		fmt.Sprintf("This operation accepts at most %d bytes.", limit))
}

// unsupportedProperty is how kin-openapi words a property that additionalProperties: false forbids.
var unsupportedProperty = regexp.MustCompile(`^property "(.*)" is unsupported$`)

// requestProblem explains a contract violation: 413 for an oversized body, 400 for a malformed body, an
// unknown field or a bad parameter, and 422 with field errors for a well-formed body with invalid values.
func requestProblem(err error) *Problem {
	var pc problemCollector
	pc.visit(err)
	return pc.problem()
}

// problemCollector gathers what is wrong with a request, from kin-openapi's errors or from a handler that
// checks a streamed body against the same schemas, and words it as one problem: both ways of checking a body
// answer alike because they share this.
type problemCollector struct {
	params, fields, unknown map[string]string
	malformed               string
	oversized               *http.MaxBytesError
}

func (pc *problemCollector) visit(err error) {
	switch e := err.(type) {
	case openapi3.MultiError:
		for _, inner := range e {
			pc.visit(inner)
		}
	case *openapi3filter.RequestError:
		var parseErr *openapi3filter.ParseError
		switch {
		case e.Parameter != nil:
			pc.param(e.Parameter.Name, parameterMessage(e))
		case errors.As(e.Err, &pc.oversized):
		case errors.Is(e.Err, openapi3filter.ErrInvalidRequired):
			pc.malformed = "The request body is required."
		case errors.As(e.Err, &parseErr):
			pc.malformed = "The request body is not valid JSON."
		case e.Err == nil:
			pc.malformed = "The request body " + e.Reason + "."
		default:
			pc.visit(e.Err)
		}
	case *openapi3.SchemaError:
		pc.schemaError(nil, e)
	default:
		pc.malformed = "The request could not be read."
	}
}

func (pc *problemCollector) param(name, message string) {
	if pc.params == nil {
		pc.params = map[string]string{}
	}
	pc.params[name] = message
}

// schemaError records e, found in the value at prefix (a JSON pointer's segments) of the body.
func (pc *problemCollector) schemaError(prefix []string, e *openapi3.SchemaError) {
	path := append(slices.Clip(prefix), e.JSONPointer()...)
	if m := unsupportedProperty.FindStringSubmatch(e.Reason); m != nil {
		name := m[1]
		if len(name) > 64 {
			name = name[:64] + "…"
		}
		if pc.unknown == nil {
			pc.unknown = map[string]string{}
		}
		pc.unknown[strings.Join(append(path, name), ".")] = "is not a field of this resource"
		return
	}
	if len(path) == 0 {
		pc.malformed = "The request body must be a JSON object."
		return
	}
	field := strings.Join(path, ".")
	if pc.fields == nil {
		pc.fields = map[string]string{}
	}
	if _, seen := pc.fields[field]; !seen {
		pc.fields[field] = schemaMessage(e)
	}
}

// invalid reports whether anything was found wrong.
func (pc *problemCollector) invalid() bool {
	return pc.oversized != nil || pc.malformed != "" || len(pc.unknown)+len(pc.params)+len(pc.fields) > 0
}

func (pc *problemCollector) problem() *Problem {
	switch {
	case pc.oversized != nil:
		return tooLarge(pc.oversized.Limit)
	case pc.malformed != "":
		return badRequest(pc.malformed, nil)
	case len(pc.unknown) > 0:
		return badRequest("The body has fields this operation does not know.", pc.unknown)
	case len(pc.params) > 0:
		return badRequest("Some parameters are invalid; see errors.", pc.params)
	case len(pc.fields) > 0:
		p := newProblem(http.StatusUnprocessableEntity, "validation", "The request is invalid",
			"Some fields are invalid; see errors.")
		p.Errors = pc.fields
		return p
	default:
		return badRequest("The request does not match the API contract.", nil)
	}
}

func parameterMessage(e *openapi3filter.RequestError) string {
	var schemaErr *openapi3.SchemaError
	if errors.As(e.Err, &schemaErr) {
		return schemaMessage(schemaErr)
	}
	if e.Reason != "" {
		return e.Reason
	}
	return "is invalid"
}

// schemaMessage words a schema violation for people, without echoing the offending value.
func schemaMessage(e *openapi3.SchemaError) string {
	s := e.Schema
	switch e.SchemaField {
	case "required":
		return "is required"
	case "enum":
		allowed := make([]string, len(s.Enum))
		for i, v := range s.Enum {
			allowed[i] = fmt.Sprint(v)
		}
		return "must be one of " + strings.Join(allowed, ", ")
	case "maxLength":
		return fmt.Sprintf("must be at most %d characters", *s.MaxLength)
	case "minLength":
		if s.MinLength == 1 {
			return "must not be empty"
		}
		return fmt.Sprintf("must be at least %d characters", s.MinLength)
	case "format":
		if s.Format == "date" {
			return "must be a date in the form YYYY-MM-DD"
		}
		return "must be a valid " + s.Format
	case "type":
		if s.Type != nil {
			return "must be of type " + strings.Join(s.Type.Slice(), " or ")
		}
	case "nullable":
		return "must not be null"
	case "minimum":
		return fmt.Sprintf("must be at least %v", *s.Min)
	case "maximum":
		return fmt.Sprintf("must be at most %v", *s.Max)
	}
	return "is invalid"
}
