// Command impactledger serves ImpactLedger: the system of record for identity-theft victims' impact
// statements, itemized losses and restitution. main.go and config.go only wire the parts together.
package main

import (
	"context"
	"crypto/tls"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for the schema owner's connection
	"github.com/mattn/go-isatty"
	"github.com/pressly/goose/v3"

	"github.com/impactledger/impactledger/documents"
	"github.com/impactledger/impactledger/frontend"
	"github.com/impactledger/impactledger/handlers"
	"github.com/impactledger/impactledger/jobs"
	"github.com/impactledger/impactledger/migrations"
	"github.com/impactledger/impactledger/models"
	"github.com/impactledger/impactledger/password"
	"github.com/impactledger/impactledger/sealing"
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise the module or VCS version is used.
var version = ""

// shutdownGrace is how long in-flight requests get to finish after SIGTERM or SIGINT.
const shutdownGrace = 10 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `impactledger — the system of record for identity-theft victims' statements, losses and restitution.

Usage:
  impactledger [serve]              run the web service (the default)
  impactledger migrate up           apply pending database migrations
  impactledger migrate down --yes   undo the latest migration (destroys the data it created)
  impactledger migrate status       list migrations and whether each is applied
  impactledger users create --email E --name N --role R
                                    create a staff account, reading its password from standard input
  impactledger users list           list staff accounts
  impactledger users disable EMAIL  disable an account and end its sessions
  impactledger users unlock EMAIL   lift a sign-in lockout
  impactledger users reset-password EMAIL
                                    print a one-time code (24 hours) to set a new password with; the old
                                    one stops working, sessions end and API tokens are revoked
  impactledger users reset-mfa EMAIL
                                    turn two-factor sign-in off (lost authenticator), end its sessions and
                                    revoke its API tokens
  impactledger keys generate        print a new key-encryption key entry (key_id:base64)
  impactledger keys check           list the key ids in use and whether each is configured
  impactledger keys rotate          rewrap every data key under the first configured key
  impactledger import victims --case CASE_ID FILE.csv
                                    import a list of victims, all or nothing; exit 1 with the error report
  impactledger audit verify [--expect SEQ:HASH]
                                    check the audit trail's hash chain; exit 1 naming the first broken event,
                                    or when the trail no longer holds the head a previous run printed
  impactledger healthcheck          exit 0 when the local service answers /readyz (for container health checks)
  impactledger version              print the version
  impactledger COMMAND --help       help on one command

Configuration comes from the environment only:
`

// run executes one command line and returns the process exit status: 0 success, 1 failure, 2 usage or
// configuration error.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serveCommand(ctx, args, stdout, stderr)
	case "migrate":
		return migrateCommand(ctx, args, stdout, stderr)
	case "users":
		return usersCommand(ctx, args, stdin, stdout, stderr)
	case "audit":
		return auditCommand(ctx, args, stdout, stderr)
	case "keys":
		return keysCommand(ctx, args, stdout, stderr)
	case "import":
		return importCommand(ctx, args, stdout, stderr)
	case "healthcheck":
		return healthcheckCommand(ctx, args, stderr)
	case "version":
		fs := newFlagSet("version", "impactledger version\n\nPrints the version.\n", stderr)
		if code, done := parseFlags(fs, args); done {
			return code
		}
		fmt.Fprintln(stdout, "impactledger", buildVersion())
		return 0
	case "help", "-h", "-help", "--help":
		printUsage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "impactledger: unknown command %q\n\n", cmd)
		printUsage(stderr)
		return 2
	}
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, usage)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, v := range configVars {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", v.Name, v.Default, v.Meaning)
	}
	tw.Flush()
}

func newFlagSet(name, help string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), help)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args; done is true when the command should stop now with code (help, or a bad flag).
func parseFlags(fs *flag.FlagSet, args []string) (code int, done bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, true
		}
		return 2, true
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2, true
	}
	return 0, false
}

// setup reads the configuration, installs the logger and opens the database. Commands that may create the
// database also make its key file when it is new (see sqliteKeys).
func setup(ctx context.Context, stderr io.Writer) (config, *slog.Logger, *models.Store, int) {
	return setupWith(ctx, stderr, true)
}

func setupWith(ctx context.Context, stderr io.Writer, mayCreate bool) (config, *slog.Logger, *models.Store, int) {
	cfg, log, code := configure(stderr, false)
	if code != 0 {
		return cfg, log, nil, code
	}
	store, code := openStore(ctx, &cfg, log, mayCreate)
	return cfg, log, store, code
}

// configure reads the configuration and installs the logger. ownerMigration says that the command is migrate,
// which as the schema's owner (IMPACTLEDGER_MIGRATE_DATABASE_URL) needs no encryption keys.
func configure(stderr io.Writer, ownerMigration bool) (config, *slog.Logger, int) {
	cfg, err := loadConfig(os.Getenv, isTerminal(stderr))
	if err != nil && ownerMigration && cfg.MigrateDSN != "" {
		err = withoutKeysRequired(err)
	}
	if err != nil {
		fmt.Fprintf(stderr, "impactledger: configuration: %v\n", err)
		return cfg, nil, 2
	}
	log := newLogger(cfg, stderr)
	slog.SetDefault(log)
	if n := cfg.DB.PasswordIterations; n != 0 && n < password.DefaultIterations {
		log.Warn("IMPACTLEDGER_PASSWORD_ITERATIONS is below the recommended work factor; use this only for tests",
			"iterations", n, "recommended", password.DefaultIterations)
	}
	cfg.DB.Logger = log
	return cfg, log, 0
}

// openStore opens the service's database, first loading (or, when mayCreate, making) a SQLite database's
// key file when no keys are configured.
func openStore(ctx context.Context, cfg *config, log *slog.Logger, mayCreate bool) (*models.Store, int) {
	if len(cfg.DB.Keys) == 0 && cfg.DB.Dialect == models.SQLite {
		keys, generated, err := sqliteKeys(cfg.DB.DSN, time.Now(), mayCreate)
		if err != nil {
			log.Error("cannot load the encryption keys", "error", err.Error())
			return nil, 1
		}
		if generated != "" {
			log.Warn("generated a key-encryption key for this new database; back it up, apart from the database, "+
				"since without it the sealed data cannot be read (README: Keys)", "key_file", generated)
		}
		cfg.DB.Keys, cfg.KeysFile = keys, keyFileOf(cfg.DB.DSN)
	}
	store, err := models.Open(ctx, cfg.DB)
	if err != nil {
		log.Error("cannot open the database", "database", describeDatabase(cfg.DB), "error", models.ScrubPassword(err.Error()))
		return nil, 1
	}
	return store, 0
}

// openOwner connects as the schema's owner (IMPACTLEDGER_MIGRATE_DATABASE_URL), for migrations and grants
// only: the service itself never uses this connection.
func openOwner(ctx context.Context, dsn string) (*sql.DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, errors.New(models.ScrubPassword(err.Error()))
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, errors.New(models.ScrubPassword(err.Error()))
	}
	return db, nil
}

// migrateUp applies pending migrations. With IMPACTLEDGER_MIGRATE_DATABASE_URL it runs them as the schema's
// owner and then grants the service's role what it needs; without, through the service's own pool, as the
// service's role (which then owns what it creates).
func migrateUp(ctx context.Context, cfg config, log *slog.Logger, appDB *sql.DB, d models.Dialect) ([]*goose.MigrationResult, error) {
	if cfg.MigrateDSN == "" {
		results, err := migrations.Up(ctx, appDB, d)
		if err != nil && d == models.Postgres && permissionDenied(err) {
			err = fmt.Errorf("%w (the service's role may not change the schema: set IMPACTLEDGER_MIGRATE_DATABASE_URL to the owner's URL)", err)
		}
		return results, err
	}
	owner, err := openOwner(ctx, cfg.MigrateDSN)
	if err != nil {
		return nil, fmt.Errorf("connecting as the schema's owner (IMPACTLEDGER_MIGRATE_DATABASE_URL): %w", err)
	}
	defer owner.Close()
	results, err := migrations.Up(ctx, owner, d)
	if err != nil {
		return results, err
	}
	_, err = grantService(ctx, cfg, log, owner)
	return results, err
}

// grantService grants the service's role (DATABASE_URL's user) what it needs, through the owner's
// connection, and returns the role's name; empty when the service connects as the owner itself, which the
// start-up warning then reports.
func grantService(ctx context.Context, cfg config, log *slog.Logger, owner *sql.DB) (string, error) {
	pc, err := pgconn.ParseConfig(cfg.DB.DSN)
	if err != nil {
		return "", fmt.Errorf("DATABASE_URL: %s", models.ScrubPassword(err.Error()))
	}
	err = migrations.GrantApp(ctx, owner, pc.User)
	if errors.Is(err, migrations.ErrServiceIsOwner) {
		log.Warn("DATABASE_URL and IMPACTLEDGER_MIGRATE_DATABASE_URL use the same role, so nothing was granted; "+
			"give the service a role of its own (README: Running on PostgreSQL)", "role", pc.User)
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return pc.User, nil
}

// permissionDenied reports an error of PostgreSQL's insufficient_privilege class (42501).
func permissionDenied(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "42501" || strings.Contains(err.Error(), "SQLSTATE 42501")
}

// warnIfPrivileged logs a warning when the service's connections could undo what the database enforces:
// with a role that owns tables (or acts as their owner), or a superuser, whoever takes over the service can
// drop the triggers that keep the audit trail and the ledger append-only.
func warnIfPrivileged(ctx context.Context, log *slog.Logger, db *sql.DB) {
	r, err := migrations.RoleOf(ctx, db)
	if err != nil {
		log.Warn("cannot check the database role's privileges", "error_class", models.ErrorClass(err))
		return
	}
	if r.Privileged() {
		log.Warn("the service connects to PostgreSQL as a role that owns its tables or is a superuser, so whoever "+
			"took over the service could drop the triggers that keep the audit trail and the ledger append-only and "+
			"rewrite them; run migrations as the owner with IMPACTLEDGER_MIGRATE_DATABASE_URL and set DATABASE_URL to a "+
			"role of the service's own that owns nothing (README: Running on PostgreSQL)",
			"role", r.Name, "superuser", r.Superuser, "tables_owned", r.OwnedTables)
	}
}

func serveCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", "impactledger serve\n\nRuns the web service until SIGINT or SIGTERM.\n", stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "impactledger serve\n\nRuns the web service until SIGINT or SIGTERM. Configuration:\n")
		printUsage(stderr)
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	cfg, log, store, code := setup(ctx, stderr)
	if code != 0 {
		return code
	}
	defer store.Close()
	sqlDB, err := store.SQLDB()
	if err != nil {
		log.Error("cannot reach the database pool", "error_type", fmt.Sprintf("%T", err))
		return 1
	}
	dialect := store.Dialect()
	applied := 0
	if cfg.AutoMigrate {
		results, err := migrateUp(ctx, cfg, log, sqlDB, dialect)
		if err != nil {
			log.Error("cannot apply migrations", "error", models.ScrubPassword(err.Error()))
			return 1
		}
		applied = len(results)
	}
	if dialect == models.Postgres {
		warnIfPrivileged(ctx, log, sqlDB)
	}
	// With the schema current the keys must open the data, or the service does not start. With it behind
	// (IMPACTLEDGER_AUTO_MIGRATE=false), readiness keeps checking until migrate up has run.
	current := migrations.Current(ctx, sqlDB, dialect) == nil
	if current {
		if err := store.CheckKeys(ctx); err != nil {
			log.Error("refusing to start", "error", err.Error())
			return 1
		}
		if code := sealAuditChain(ctx, store, log); code != 0 {
			return code
		}
	} else {
		log.Warn("the database schema is behind; not ready, and no background job runs, until `impactledger migrate up` has run and the service restarts")
	}
	docs, err := documents.NewDir(cfg.DocumentsDir)
	if err != nil {
		log.Error("cannot open the documents folder", "path", cfg.DocumentsDir, "error", err.Error())
		return 1
	}
	queue, err := jobs.New(jobs.Config{Store: store, Documents: docs, Logger: log, ImportWorkers: cfg.ImportWorkers})
	if err != nil {
		log.Error("cannot set up the job queue", "error", err.Error())
		return 1
	}
	if current {
		// Jobs run on their own context, so that SIGTERM stops them through Stop, which lets them let go.
		if err := queue.Start(context.WithoutCancel(ctx)); err != nil {
			log.Error("cannot start the job queue", "error", err.Error())
			return 1
		}
	}
	tlsConfig, err := serverTLS(cfg)
	if err != nil {
		log.Error("cannot serve HTTPS", "error", err.Error())
		return 1
	}
	router, err := handlers.NewRouter(handlers.Config{
		HSTS:       tlsConfig != nil,
		Store:      store,
		Dialect:    store.Dialect(),
		UI:         frontend.Dist(),
		RequireMFA: cfg.RequireMFA,
		Documents:  docs,
		HeavyTotal: cfg.MaxHeavyRequests,
		Ready: func(ctx context.Context) error {
			if err := store.Ping(ctx); err != nil {
				return err
			}
			if err := migrations.Current(ctx, sqlDB, dialect); err != nil {
				return err
			}
			return store.CheckKeys(ctx)
		},
		TrustedProxies: cfg.TrustedProxies,
		Logger:         log,
	})
	if err != nil {
		log.Error("cannot build the router", "error", err.Error())
		return 1
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		log.Error("cannot listen", "addr", cfg.Addr, "error", err.Error())
		return 1
	}
	scheme := "http://"
	if tlsConfig != nil {
		ln, scheme = tls.NewListener(ln, tlsConfig), "https://"
	}
	if warning := transportWarning(cfg, ln.Addr().String()); warning != "" {
		log.Warn(warning, "addr", ln.Addr().String())
	}
	warnAboutKeysBesideData(log, cfg)
	srv := &http.Server{
		Handler:           router,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("impactledger started", "version", buildVersion(), "addr", scheme+ln.Addr().String(),
		"database", describeDatabase(cfg.DB), "documents", cfg.DocumentsDir, "migrations_applied", applied, "ui_built", frontend.Built(), "require_mfa", cfg.RequireMFA,
		"audit_key", store.AuditKeyIDs()[0])

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		log.Error("server stopped", "error", err.Error())
		return 1
	case <-ctx.Done():
	}
	log.Info("shutting down; finishing in-flight requests", "grace_seconds", shutdownGrace.Seconds())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	shutdownErr := srv.Shutdown(shutdownCtx)
	if current {
		// A running import is cancelled; it lets go of its place and carries on at the next start.
		if err := queue.Stop(shutdownCtx); err != nil {
			log.Error("the job queue did not stop cleanly", "error", err.Error())
		}
	}
	if shutdownErr != nil {
		log.Error("shutdown did not finish in time", "error", shutdownErr.Error())
		return 1
	}
	log.Info("stopped")
	return 0
}

func migrateCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const help = "impactledger migrate up|down|status\n\n" +
		"  up      apply every pending migration\n" +
		"  down    undo the latest migration; it drops what that migration created, data included, so it needs --yes\n" +
		"  status  list migrations and whether each is applied\n\n"
	fs := newFlagSet("migrate", help, stderr)
	yes := fs.Bool("yes", false, "confirm that migrate down may destroy data")
	if len(args) == 0 {
		fs.Usage()
		return 2
	}
	action := args[0]
	if code, done := parseFlags(fs, args[1:]); done {
		return code
	}
	if action != "up" && action != "down" && action != "status" {
		if action == "-h" || action == "--help" || action == "help" {
			fs.Usage()
			return 0
		}
		fmt.Fprintf(stderr, "impactledger migrate: unknown action %q\n\n", action)
		fs.Usage()
		return 2
	}
	if action == "down" && !*yes {
		fmt.Fprintln(stderr, "impactledger migrate down: this drops the tables and data of the latest migration; "+
			"back up the database, then run it again with --yes")
		return 2
	}
	cfg, log, code := configure(stderr, true)
	if code != 0 {
		return code
	}
	var (
		sqlDB *sql.DB
		// store is open when migrating as the service itself, with its keys; as the owner there are none.
		store *models.Store
	)
	if cfg.MigrateDSN != "" {
		// As the schema's owner; the service's own role is granted its privileges after up and down.
		owner, err := openOwner(ctx, cfg.MigrateDSN)
		if err != nil {
			log.Error("cannot connect as the schema's owner (IMPACTLEDGER_MIGRATE_DATABASE_URL)",
				"database", describeDatabase(models.Config{Dialect: models.Postgres, DSN: cfg.MigrateDSN}), "error", err.Error())
			return 1
		}
		defer owner.Close()
		sqlDB = owner
	} else {
		var code int
		if store, code = openStore(ctx, &cfg, log, true); code != 0 {
			return code
		}
		defer store.Close()
		var err error
		if sqlDB, err = store.SQLDB(); err != nil {
			log.Error("cannot reach the database pool", "error_type", fmt.Sprintf("%T", err))
			return 1
		}
	}
	p, err := migrations.NewProvider(sqlDB, cfg.DB.Dialect)
	if err != nil {
		log.Error("cannot load migrations", "error", err.Error())
		return 1
	}
	switch action {
	case "up":
		results, err := p.Up(ctx)
		for _, r := range results {
			fmt.Fprintf(stdout, "applied %s (%s)\n", r.Source.Path, r.Duration.Round(time.Millisecond))
		}
		if err != nil {
			log.Error("migrate up failed", "error", models.ScrubPassword(err.Error()))
			return 1
		}
		if len(results) == 0 {
			fmt.Fprintln(stdout, "no pending migrations")
		}
		// Sealing a trail written before the chain was keyed needs the audit key; migrating as the schema's
		// owner, which holds no keys, leaves it to the service's next start.
		if store != nil {
			if code := sealAuditChain(ctx, store, log); code != 0 {
				return code
			}
		}
	case "down":
		r, err := p.Down(ctx)
		if err != nil {
			log.Error("migrate down failed", "error", models.ScrubPassword(err.Error()))
			return 1
		}
		fmt.Fprintf(stdout, "undid %s\n", r.Source.Path)
	case "status":
		statuses, err := p.Status(ctx)
		if err != nil {
			log.Error("migrate status failed", "error", models.ScrubPassword(err.Error()))
			return 1
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "VERSION\tSTATE\tAPPLIED AT\tFILE")
		for _, s := range statuses {
			at := "-"
			if !s.AppliedAt.IsZero() {
				at = s.AppliedAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", s.Source.Version, s.State, at, s.Source.Path)
		}
		tw.Flush()
		return 0
	}
	if cfg.MigrateDSN != "" {
		// After every change of schema, so that tables a migration added are covered and nothing else is held.
		role, err := grantService(ctx, cfg, log, sqlDB)
		if err != nil {
			log.Error("cannot grant the service's role its privileges", "error", models.ScrubPassword(err.Error()))
			return 1
		}
		if role != "" {
			fmt.Fprintf(stdout, "granted %s what the service needs and nothing more\n", role)
		}
	}
	return 0
}

// sealAuditChain carries an audit trail written before the chain was keyed over to the keyed chain, right
// after the migrations, by appending its checkpoint; on a keyed chain it only checks the head. A head that
// fails the check (changed outside the service, or chained with an audit key no longer configured) stops
// the command: every change is audited, so the service could record nothing anyway.
func sealAuditChain(ctx context.Context, store *models.Store, log *slog.Logger) int {
	sealed, err := store.SealAuditChain(ctx)
	var missing *models.AuditKeyMissingError
	switch {
	// The texts logged are the service's own, naming a key id at most: err may wrap a driver's.
	case errors.As(err, &missing):
		log.Error("refusing to start: the audit chain cannot be extended", "error", missing.Error(), "audit_key_id", missing.KeyID)
		return 1
	case errors.Is(err, models.ErrAuditHeadTampered):
		log.Error("refusing to start: the audit chain cannot be extended", "error", models.ErrAuditHeadTampered.Error())
		return 1
	case err != nil:
		log.Error("cannot check the audit chain", "error_class", models.ErrorClass(err))
		return 1
	case sealed:
		log.Info("sealed the audit events written before the chain was keyed with a checkpoint event", "action", models.CheckpointAction)
	}
	return 0
}

func auditCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const help = "impactledger audit verify [--expect SEQ:HASH]...\n\n" +
		"Checks every audit event in order: its keyed hash (HMAC-SHA256 under the audit key it names), or for the\n" +
		"events written before the chain was keyed, their plain SHA-256 up to the checkpoint that sealed them.\n" +
		"Exits 0 when the chain is intact, printing its head (event and hash); 1 naming the first\n" +
		"event that was changed, removed, inserted out of line, hidden beyond a head wound back, or chained\n" +
		"with an audit key not configured. A trail may start after event 1 only where a purge removed events\n" +
		"older than 365 days.\n\n" +
		"Nothing inside the database shows events removed from the end together with the head wound back\n" +
		"(say, to a copy from a backup). Keep the head line each run prints somewhere other than the database,\n" +
		"and pass it back with --expect: the run then also exits 1 unless the trail holds that event with that\n" +
		"hash.\n\n"
	fs := newFlagSet("audit", help, stderr)
	var anchors anchorList
	fs.Var(&anchors, "expect", "`SEQ:HASH` of an event a previous run printed as the head; exit 1 unless the trail holds it (repeatable)")
	if len(args) == 0 || args[0] != "verify" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fs.Usage()
			return 0
		}
		fs.Usage()
		return 2
	}
	if code, done := parseFlags(fs, args[1:]); done {
		return code
	}
	_, log, store, code := setup(ctx, stderr)
	if code != 0 {
		return code
	}
	defer store.Close()
	var progress func(int64)
	if isTerminal(stderr) {
		progress = func(done int64) { fmt.Fprintf(stderr, "\rverified %d events", done) }
	}
	sum, err := store.VerifyAudit(ctx, progress, anchors...)
	if progress != nil {
		fmt.Fprintln(stderr)
	}
	var (
		broken     *models.BrokenChainError
		missingKEK *models.MissingKeyError
		wrongKEK   *models.WrongKeyError
	)
	switch {
	case errors.As(err, &broken):
		fmt.Fprintln(stdout, broken.Error())
		return 1
	case errors.As(err, &missingKEK):
		// The audit data key is wrapped by a key-encryption key that is missing or wrong. The texts logged
		// are the service's own, naming key ids only: err may wrap a driver's.
		log.Error("audit verify failed", "error", missingKEK.Error())
		return 1
	case errors.As(err, &wrongKEK):
		log.Error("audit verify failed", "error", wrongKEK.Error())
		return 1
	case err != nil:
		log.Error("audit verify failed", "error_class", models.ErrorClass(err))
		return 1
	case sum.Last == 0:
		fmt.Fprintln(stdout, "audit chain intact: no events yet")
		return 0
	case sum.Events == 0:
		fmt.Fprintf(stdout, "audit chain intact: no events remain; events 1 to %d were purged after %d days\n", sum.Last,
			models.AuditRetention/(24*time.Hour))
	default:
		fmt.Fprintf(stdout, "audit chain intact: %d events (%d to %d): %d legacy (plain SHA-256, before the checkpoint), %d keyed\n",
			sum.Events, sum.FirstSeq, sum.Last, sum.Legacy, sum.Keyed)
	}
	for _, a := range anchors {
		fmt.Fprintf(stdout, "expected event %d found with its hash\n", a.Seq)
	}
	head := models.AuditAnchor{Seq: sum.Last, Hash: sum.HeadHash}
	fmt.Fprintf(stdout, "head: event %d, hash %s (keep it outside the database; check later with --expect %s)\n", head.Seq, head.Hash, head)
	return 0
}

// anchorList collects the --expect flags of audit verify.
type anchorList []models.AuditAnchor

func (l *anchorList) String() string { return fmt.Sprint([]models.AuditAnchor(*l)) }

func (l *anchorList) Set(text string) error {
	a, err := models.ParseAuditAnchor(text)
	if err != nil {
		return err
	}
	*l = append(*l, a)
	return nil
}

// keysCommand makes, checks and rotates key-encryption keys.
func keysCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const help = "impactledger keys generate|check|rotate\n\n" +
		"  generate  print a new key-encryption key entry, key_id:base64(32 random bytes); keep it secret and backed up\n" +
		"  check     list the key ids that wrap data keys, and whether each is configured (exit 1 if one is missing)\n" +
		"  rotate    rewrap every data key under the first configured key, in resumable batches; then the old key\n" +
		"            can be removed from IMPACTLEDGER_ENCRYPTION_KEYS\n\n"
	fs := newFlagSet("keys", help, stderr)
	if len(args) == 0 {
		fs.Usage()
		return 2
	}
	action := args[0]
	if code, done := parseFlags(fs, args[1:]); done {
		return code
	}
	switch action {
	case "-h", "--help", "help":
		fs.Usage()
		return 0
	case "generate":
		entry, err := sealing.GenerateKEK(time.Now())
		if err != nil {
			fmt.Fprintf(stderr, "keys generate: %v\n", err)
			return 1
		}
		fmt.Fprintln(stdout, entry)
		return 0
	case "check", "rotate":
	default:
		fs.Usage()
		return 2
	}
	// Checking and rotating keys never makes a database or a key.
	ctx = models.AsSystem(ctx, "cli")
	_, log, store, code := setupWith(ctx, stderr, false)
	if code != 0 {
		return code
	}
	defer store.Close()
	if action == "rotate" {
		var progress func(done, total int64)
		if isTerminal(stderr) {
			progress = func(done, total int64) { fmt.Fprintf(stderr, "\rrewrapped %d of %d data keys", done, total) }
		}
		done, err := store.RotateKeys(ctx, progress)
		if progress != nil {
			fmt.Fprintln(stderr)
		}
		if err != nil {
			log.Error("keys rotate stopped; run it again to carry on", "rewrapped", done, "error", err.Error())
			return 1
		}
		fmt.Fprintf(stdout, "rewrapped %d data keys under %s\n", done, store.ConfiguredKeyIDs()[0])
	}
	usage, err := store.KeyUsage(ctx)
	if err != nil {
		log.Error("keys check failed", "error_class", models.ErrorClass(err))
		return 1
	}
	configured := store.ConfiguredKeyIDs()
	missing := false
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY ID\tDATA KEYS\tCONFIGURED")
	for _, id := range configured {
		fmt.Fprintf(tw, "%s\t%d\tyes\n", id, usage[id])
	}
	for id, n := range usage {
		if !slices.Contains(configured, id) {
			missing = true
			fmt.Fprintf(tw, "%s\t%d\tNO: add it back, or nothing it wraps can be read\n", id, n)
		}
	}
	tw.Flush()
	if missing {
		return 1
	}
	return 0
}

// healthcheckCommand asks the service on IMPACTLEDGER_ADDR whether it is ready, for container images that have
// no shell or curl to do it.
func healthcheckCommand(ctx context.Context, args []string, stderr io.Writer) int {
	fs := newFlagSet("healthcheck", "impactledger healthcheck\n\nExits 0 when the service on IMPACTLEDGER_ADDR answers /readyz with 200, 1 otherwise.\n", stderr)
	if code, done := parseFlags(fs, args); done {
		return code
	}
	cfg, err := loadConfig(os.Getenv, false)
	if err != nil {
		fmt.Fprintf(stderr, "healthcheck: configuration: %v\n", err)
		return 2
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		fmt.Fprintf(stderr, "healthcheck: IMPACTLEDGER_ADDR %q is not host:port\n", cfg.Addr)
		return 2
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	client, scheme := http.DefaultClient, "http://"
	if cfg.TLSCertFile != "" {
		pinned, err := pinnedClient(cfg.TLSCertFile)
		if err != nil {
			fmt.Fprintf(stderr, "healthcheck: %v\n", err)
			return 2
		}
		client, scheme = pinned, "https://"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+net.JoinHostPort(host, port)+"/readyz", nil)
	if err != nil {
		fmt.Fprintf(stderr, "healthcheck: %v\n", err)
		return 1
	}
	res, err := client.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "healthcheck: %v\n", err)
		return 1
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "healthcheck: /readyz answered %d\n", res.StatusCode)
		return 1
	}
	return 0
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}

// buildVersion is the -ldflags version, else the module version, else the VCS revision.
func buildVersion() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "dev-" + s.Value[:12]
		}
	}
	return "dev"
}
