// Package handlers serves ImpactLedger's HTTP API and web UI: one Server implementing the strict interface
// generated from api/openapi.yaml, the middleware that enforces the contract, and the one error funnel.
package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/documents"
	"github.com/impactledger/impactledger/models"
)

// Store is what the handlers need of the database; *models.Store satisfies it.
type Store interface {
	CreateCase(ctx context.Context, nc models.NewCase) (models.Case, error)
	CaseByID(ctx context.Context, id string) (models.Case, error)
	ListCases(ctx context.Context, f models.CaseFilter) (models.CasePage, error)
	UpdateCase(ctx context.Context, id string, version int64, u models.CaseUpdate) (models.Case, error)
	ListJurisdictions(ctx context.Context) ([]models.Jurisdiction, error)
	JurisdictionByCode(ctx context.Context, code string) (models.Jurisdiction, error)
	PutJurisdiction(ctx context.Context, code string, u models.JurisdictionUpdate) (models.Jurisdiction, bool, error)
	Today() models.Date
	RestitutionRequestOf(ctx context.Context, caseID string) (models.RestitutionRequest, error)
	CreateRestitutionOrder(ctx context.Context, caseID string, no models.NewRestitutionOrder) (models.RestitutionOrder, error)
	RestitutionOrderByID(ctx context.Context, id string, asOf models.Date, page models.LinePage) (models.OrderStatement, error)
	LedgerEntryByID(ctx context.Context, id string) (models.LedgerEntry, error)
	ListRestitutionOrders(ctx context.Context, caseID string, asOf models.Date, limit int, afterID string) (models.OrderPage, error)
	PreviewPayment(ctx context.Context, orderID string, p models.NewPayment) (models.LedgerEntry, error)
	RecordPayment(ctx context.Context, orderID, key string, p models.NewPayment) (models.LedgerEntry, bool, error)
	RecordRefund(ctx context.Context, orderID, key string, r models.NewRefund) (models.LedgerEntry, bool, error)
	RecordAdjustment(ctx context.Context, orderID, key string, a models.NewAdjustment) (models.LedgerEntry, bool, error)
	RecordDisbursement(ctx context.Context, orderID, key string, d models.NewDisbursement) (models.LedgerEntry, bool, error)
	ReversePayment(ctx context.Context, paymentID, key, reason string) (models.LedgerEntry, error)
	ListLedgerEntries(ctx context.Context, orderID string, f models.EntryFilter) (models.EntryPage, error)
	LedgerEntries(ctx context.Context, orderID string) ([]models.LedgerEntry, error)
	CaseRestitutionOf(ctx context.Context, caseID string, asOf models.Date, limit int, afterID string) (models.CaseRestitution, error)
	VictimRestitutionOf(ctx context.Context, victimID string, asOf models.Date) (models.VictimRestitution, error)
	SignIn(ctx context.Context, email, password string, second models.SecondFactor) (models.User, models.Session, string, error)
	StartMFAEnrollment(ctx context.Context, userID string) (string, error)
	ConfirmMFAEnrollment(ctx context.Context, userID, sessionID, code string) ([]string, string, error)
	ResetMFA(ctx context.Context, userID string) (models.User, error)
	SessionUser(ctx context.Context, token string) (models.User, models.Session, error)
	SignOut(ctx context.Context, token string) error
	Reauthenticate(ctx context.Context, userID, sessionID, password string, second models.SecondFactor) (time.Time, string, error)
	ChangePassword(ctx context.Context, userID, sessionID, current, next string) (string, error)
	ResetPassword(ctx context.Context, userID string) (string, time.Time, error)
	SetPasswordWithCode(ctx context.Context, email, code, next string) error
	TokenUser(ctx context.Context, secret string) (models.User, models.APIToken, error)
	CreateToken(ctx context.Context, userID string, nt models.NewToken) (models.APIToken, string, error)
	ListTokens(ctx context.Context, userID string) ([]models.APIToken, error)
	RevokeToken(ctx context.Context, userID, tokenID string) error
	ListUsers(ctx context.Context) ([]models.User, error)
	CreateUser(ctx context.Context, nu models.NewUser) (models.User, error)
	UserByID(ctx context.Context, id string) (models.User, error)
	UpdateUser(ctx context.Context, id string, version int64, u models.UserUpdate) (models.User, error)
	UnlockUser(ctx context.Context, id string) (models.User, error)
	Locked(u models.User) bool
	ListAuditEvents(ctx context.Context, f models.AuditFilter) (models.AuditPage, error)
	RecordDenial(ctx context.Context, d models.Denial) error
	CaseTeam(ctx context.Context, caseID string) ([]models.TeamMember, error)
	SetCaseTeam(ctx context.Context, caseID string, userIDs []string) ([]models.TeamMember, error)
	TeamCandidates(ctx context.Context, caseID string) ([]models.TeamMember, error)
	CreateVictim(ctx context.Context, caseID string, nv models.NewVictim) (models.Victim, error)
	VictimByID(ctx context.Context, id string, revealSSN bool) (models.Victim, error)
	VictimVersion(ctx context.Context, id string) (int64, error)
	ListVictims(ctx context.Context, caseID string, f models.VictimFilter) (models.VictimPage, error)
	UpdateVictim(ctx context.Context, id string, version int64, u models.VictimUpdate) (models.Victim, error)
	CreateDefendant(ctx context.Context, caseID string, nd models.NewDefendant) (models.Defendant, error)
	DefendantByID(ctx context.Context, id string) (models.Defendant, error)
	ListDefendants(ctx context.Context, caseID string, limit int, afterID string) (models.DefendantPage, error)
	UpdateDefendant(ctx context.Context, id string, version int64, u models.DefendantUpdate) (models.Defendant, error)
	CreateHearing(ctx context.Context, caseID string, nh models.NewHearing) (models.Hearing, error)
	HearingByID(ctx context.Context, id string) (models.Hearing, error)
	ListHearings(ctx context.Context, caseID string, limit int, afterID string) (models.HearingPage, error)
	UpdateHearing(ctx context.Context, id string, version int64, u models.HearingUpdate) (models.Hearing, error)
	CreateStatement(ctx context.Context, victimID string, text models.StatementText) (models.Statement, error)
	StatementByID(ctx context.Context, id string) (models.Statement, error)
	StatementVersion(ctx context.Context, id string) (int64, error)
	ListStatements(ctx context.Context, victimID string, limit int, afterID string) (models.StatementPage, error)
	ListStatementRevisions(ctx context.Context, id string, limit int, afterID string) (models.StatementRevisionPage, error)
	UpdateStatement(ctx context.Context, id string, version int64, u models.StatementUpdate) (models.Statement, error)
	SubmitStatement(ctx context.Context, id string, version int64) (models.Statement, error)
	FinalizeStatement(ctx context.Context, id string, version int64) (models.Statement, error)
	CreateLoss(ctx context.Context, victimID string, nl models.NewLoss) (models.Loss, error)
	LossByID(ctx context.Context, id string) (models.Loss, error)
	LossVersion(ctx context.Context, id string) (int64, error)
	ListLosses(ctx context.Context, victimID string, f models.LossFilter) (models.LossPage, error)
	UpdateLoss(ctx context.Context, id string, version int64, u models.LossUpdate) (models.Loss, error)
	VoidLoss(ctx context.Context, id string, version int64, reason string) (models.Loss, error)
	LossSummaryOf(ctx context.Context, caseID string) (models.LossSummary, error)
	AddDocument(ctx context.Context, storage documents.Storage, lossID, fileName string, content io.Reader) (models.Document, error)
	DocumentByID(ctx context.Context, id string) (models.Document, error)
	OpenDocument(ctx context.Context, storage documents.Storage, id string) (models.Document, io.ReadCloser, error)
	VoidDocument(ctx context.Context, id, reason string) (models.Document, error)
	StartVictimImport(ctx context.Context, storage documents.Storage, caseID, idempotencyKey string, content io.Reader) (models.VictimImport, bool, error)
	VictimImportByID(ctx context.Context, id string) (models.VictimImport, error)
	VictimImportErrors(ctx context.Context, id string, each func(models.ImportError) error) error
	ListVictimImports(ctx context.Context, caseID string, limit int, afterID string) (models.VictimImportPage, error)
}

// Config is everything the router is built from.
type Config struct {
	Store Store
	// Ready reports whether the database answers and its schema is current; /readyz calls it.
	Ready func(ctx context.Context) error
	// Dialect names the database for /healthz and /readyz.
	Dialect models.Dialect
	// UI is the built web frontend, served at / with a fallback to index.html.
	UI fs.FS
	// TrustedProxies lists the proxies whose X-Forwarded-For is believed; empty trusts none.
	TrustedProxies []string
	// Logger receives the access log; nil uses slog.Default.
	Logger *slog.Logger
	// RequireMFA makes two-factor sign-in mandatory: a session without it may only set it up.
	RequireMFA bool
	// Documents keeps the sealed files attached to losses, and uploaded imports while they run.
	Documents documents.Storage
	// HSTS makes every response tell browsers to use HTTPS only, for a service that serves HTTPS itself.
	HSTS bool
	// HeavyPerAccount and HeavyTotal bound the heavy requests (x-heavy in the contract) this process serves
	// at once, per account and in all; 0 means DefaultHeavyPerAccount and DefaultHeavyTotal.
	HeavyPerAccount, HeavyTotal int
	// HeavyBodyMinBytes and HeavyBodyWindow are the slowest a heavy request's body may arrive: each
	// HeavyBodyWindow spent waiting for it must bring HeavyBodyMinBytes, or the request is refused with 408
	// and its place given back; 0 means DefaultHeavyBodyMinBytes and DefaultHeavyBodyWindow.
	HeavyBodyMinBytes int64
	HeavyBodyWindow   time.Duration
}

// Server implements api.StrictServerInterface.
type Server struct {
	store      Store
	ready      func(ctx context.Context) error
	dialect    models.Dialect
	requireMFA bool
	documents  documents.Storage
}

var _ api.StrictServerInterface = (*Server)(nil)

// NewRouter builds the whole HTTP surface: probes, the contract at /api/openapi.json, the validated API
// under /api/v1, and the UI everywhere else.
func NewRouter(cfg Config) (*gin.Engine, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	doc, err := api.GetSpec()
	if err != nil {
		return nil, fmt.Errorf("loading the embedded contract: %w", err)
	}
	specJSON, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encoding the contract: %w", err)
	}
	validator, err := newContractValidator(doc)
	if err != nil {
		return nil, err
	}
	if err := checkHeavyOperations(doc); err != nil {
		return nil, fmt.Errorf("the contract: %w", err)
	}
	validator.heavy = newHeavyLimiter(cfg)

	gin.SetMode(gin.ReleaseMode)
	engine := gin.New()
	engine.ContextWithFallback = true
	engine.HandleMethodNotAllowed = true
	engine.RedirectTrailingSlash = false
	engine.RedirectFixedPath = false
	if err := engine.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		return nil, fmt.Errorf("trusted proxies: %w", err)
	}
	engine.Use(withRequestID, withAccessLog(log), gin.CustomRecovery(recoverToProblem), withSecurityHeaders(cfg.HSTS),
		withDenialAudit(cfg.Store), withSession(cfg.Store, cfg.RequireMFA), validator.handle)

	engine.GET("/api/openapi.json", func(c *gin.Context) {
		c.Header("Cache-Control", "no-cache")
		c.Data(http.StatusOK, "application/json", specJSON)
	})
	srv := &Server{store: cfg.Store, ready: cfg.Ready, dialect: cfg.Dialect, requireMFA: cfg.RequireMFA, documents: cfg.Documents}
	strict := api.NewStrictHandlerWithOptions(srv, nil, api.StrictGinServerOptions{
		RequestErrorHandlerFunc: func(c *gin.Context, err error) {
			if strings.HasPrefix(c.ContentType(), "multipart/") {
				writeProblem(c, badRequest("The request body could not be read as multipart/form-data.", nil))
				return
			}
			writeProblem(c, badRequest("The request body could not be read as JSON.", nil))
		},
		HandlerErrorFunc:         writeError,
		ResponseErrorHandlerFunc: writeError,
	})
	streamed, err := newStreamedServer(doc, strict, srv)
	if err != nil {
		return nil, err
	}
	api.RegisterHandlersWithOptions(engine, streamed, api.GinServerOptions{
		ErrorHandler: func(c *gin.Context, err error, status int) {
			fields := map[string]string{}
			if m := parameterName.FindStringSubmatch(err.Error()); m != nil {
				fields[m[1]] = "is invalid or given more than once"
			}
			writeProblem(c, badRequest("A parameter is invalid.", fields))
		},
	})

	ui := uiHandler(cfg.UI)
	engine.NoRoute(func(c *gin.Context) {
		if isAPIPath(c.Request.URL.Path) || (c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead) {
			writeProblem(c, notFound())
			return
		}
		ui(c)
	})
	engine.NoMethod(func(c *gin.Context) { writeProblem(c, methodNotAllowed(c.Request.Method)) })
	return engine, nil
}

// parameterName finds the parameter in the errors the generated server gives for parameters it cannot bind.
var parameterName = regexp.MustCompile(`[Pp]arameter '?([A-Za-z_][A-Za-z0-9_-]*)`)

// requestContext returns the context of the request behind a strict handler's ctx. The generated server
// passes gin's pooled *gin.Context, which gin hands to the next request once this one returns; database
// drivers watch a context from goroutines of their own, so they must get the request's context instead.
func requestContext(ctx context.Context) context.Context {
	if gc, ok := ctx.(*gin.Context); ok && gc.Request != nil {
		return gc.Request.Context()
	}
	return ctx
}

// GetHealthz answers as long as the process serves requests.
func (s *Server) GetHealthz(context.Context, api.GetHealthzRequestObject) (api.GetHealthzResponseObject, error) {
	return api.GetHealthz200JSONResponse{Status: api.Ok}, nil
}

// GetReadyz answers 200 only when the database answers and its schema is current.
func (s *Server) GetReadyz(ctx context.Context, _ api.GetReadyzRequestObject) (api.GetReadyzResponseObject, error) {
	ctx, cancel := context.WithTimeout(requestContext(ctx), 3*time.Second)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		slog.WarnContext(ctx, "not ready", "error_class", models.ErrorClass(err))
		return nil, newProblem(http.StatusServiceUnavailable, "not-ready", "Not ready",
			"The database is unreachable or its schema is not current.")
	}
	return api.GetReadyz200JSONResponse{Status: api.Ok, Database: new(api.HealthDatabase(s.dialect))}, nil
}
