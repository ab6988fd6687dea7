package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/impactledger/impactledger/handlers"
	"github.com/impactledger/impactledger/models"
	"github.com/impactledger/impactledger/password"
	"github.com/impactledger/impactledger/sealing"
)

// defaultSQLitePath is where the zero-setup database lives when DATABASE_URL is empty.
const defaultSQLitePath = "data/impactledger.db"

// config is everything ImpactLedger reads from its environment, parsed once at start-up.
type config struct {
	DB models.Config
	// MigrateDSN is the PostgreSQL URL of the role that owns the schema, which migrations run as; empty runs
	// them as the service's own role (DB).
	MigrateDSN     string
	Addr           string
	LogLevel       slog.Level
	LogFormat      string // "text" or "json"
	AutoMigrate    bool
	TrustedProxies []string
	// RequireMFA makes two-factor sign-in mandatory for every staff account.
	RequireMFA bool
	// DocumentsDir is the folder of the sealed files attached to losses.
	DocumentsDir string
	// ImportWorkers is how many imports this instance runs at once.
	ImportWorkers int
	// MaxHeavyRequests is how many heavy requests (large orders, list uploads) this instance serves at once.
	MaxHeavyRequests int
	// TLSCertFile and TLSKeyFile, when set, make the service speak HTTPS itself.
	TLSCertFile, TLSKeyFile string
	// KeysFile is the file the key-encryption keys were read from (IMPACTLEDGER_ENCRYPTION_KEYS_FILE), if any.
	KeysFile string
}

// envVar documents one setting; configVars is the table the README and --help print.
type envVar struct{ Name, Default, Meaning string }

var configVars = []envVar{
	{"DATABASE_URL", "(empty: SQLite at ./" + defaultSQLitePath + ")", "postgres://… for PostgreSQL, or sqlite:PATH for another SQLite file. DATABASE_URL_FILE reads it from a file."},
	{"IMPACTLEDGER_MIGRATE_DATABASE_URL", "(empty: migrations run as DATABASE_URL's role)", "PostgreSQL only: postgres://… of the role that owns the schema. migrate and serve's start-up migration run as it, then grant DATABASE_URL's role only what the service needs, so that the service cannot alter tables, drop triggers, or change or empty the audit trail and ledger. IMPACTLEDGER_MIGRATE_DATABASE_URL_FILE reads it from a file."},
	{"IMPACTLEDGER_ADDR", "127.0.0.1:8080", "host:port to listen on."},
	{"IMPACTLEDGER_LOG_LEVEL", "info", "debug, info, warn or error."},
	{"IMPACTLEDGER_LOG_FORMAT", "auto", "text, json, or auto (text on a terminal, JSON otherwise)."},
	{"IMPACTLEDGER_AUTO_MIGRATE", "true", "Apply pending migrations when serve starts."},
	{"IMPACTLEDGER_DB_MAX_OPEN_CONNS", "10 (PostgreSQL), 4 readers + 1 writer (SQLite)", "Largest database pool."},
	{"IMPACTLEDGER_DB_MAX_IDLE_CONNS", "same as max open", "Idle connections kept open."},
	{"IMPACTLEDGER_TRUSTED_PROXIES", "(none)", "Comma-separated proxy IPs or CIDRs whose X-Forwarded-For is believed."},
	{"IMPACTLEDGER_TLS_CERT_FILE", "(none: plain HTTP)", "PEM certificate chain; with IMPACTLEDGER_TLS_KEY_FILE the service serves HTTPS itself (TLS 1.2 or later) and sends Strict-Transport-Security."},
	{"IMPACTLEDGER_TLS_KEY_FILE", "(none)", "PEM private key of IMPACTLEDGER_TLS_CERT_FILE."},
	{"IMPACTLEDGER_ENCRYPTION_KEYS", "(SQLite: a key file beside the database; PostgreSQL: required)", "Key-encryption keys, key_id:base64 comma-separated; the first wraps new data keys, all unwrap. IMPACTLEDGER_ENCRYPTION_KEYS_FILE reads them from a file."},
	{"IMPACTLEDGER_AUDIT_KEY", "(none: an audit data key wrapped by the encryption keys)", "Audit keys kept apart from the database and the encryption keys, key_id:base64(32 bytes) comma-separated: the first chains new audit events, all verify. IMPACTLEDGER_AUDIT_KEY_FILE reads them from a file."},
	{"IMPACTLEDGER_REQUIRE_MFA", "true (PostgreSQL), false (SQLite)", "Make two-factor sign-in (an authenticator app) mandatory: accounts without it must set it up at their next sign-in before doing anything else."},
	{"IMPACTLEDGER_LOCKOUT_MINUTES", "30", "How long 5 failed sign-ins within 15 minutes lock an account; 0 keeps it locked until an administrator unlocks it."},
	{"IMPACTLEDGER_PASSWORD_ITERATIONS", "600000", "PBKDF2 work factor of new password hashes; lower only for tests (a warning is logged)."},
	{"IMPACTLEDGER_IMPORT_WORKERS", "1", "How many victim imports this instance runs at once; each keeps a core busy. Queued imports wait their turn, on any instance."},
	{"IMPACTLEDGER_MAX_HEAVY_REQUESTS", "4", "How many heavy requests (entering a restitution order, uploading a victim list) this instance serves at once, each account at most 2 of them; more are answered 429. Each may take some 250 MiB at its peak."},
	{"IMPACTLEDGER_DOCUMENTS_DIR", "(SQLite: a documents folder beside the database, ./data/documents by default; PostgreSQL: ./data/documents)", "Folder of the documents attached to losses, and of uploaded victim lists while they import, each file sealed with its case's data key. Back it up with the database; several instances must share it."},
}

// configError is a configuration mistake: the process exits with status 2 and the message.
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }

func configErrorf(format string, args ...any) error {
	return &configError{fmt.Sprintf(format, args...)}
}

// errKeysRequired refuses PostgreSQL without key-encryption keys. Only migrate as the schema's owner may do
// without them: it never opens the service's store, so a deploy step that migrates need not hold the keys.
var errKeysRequired = configErrorf("IMPACTLEDGER_ENCRYPTION_KEYS: required with PostgreSQL (make one with `impactledger keys generate`, keep it in your secret store and back it up)")

// withoutKeysRequired is err less errKeysRequired: nil when that was its only complaint.
func withoutKeysRequired(err error) error {
	var rest []error
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			if e != errKeysRequired {
				rest = append(rest, e)
			}
		}
	} else if err != errKeysRequired {
		rest = append(rest, err)
	}
	return errors.Join(rest...)
}

// loadConfig reads the environment through getenv (os.Getenv in production, a map in tests).
func loadConfig(getenv func(string) string, stdoutIsTerminal bool) (config, error) {
	cfg := config{Addr: "127.0.0.1:8080", LogLevel: slog.LevelInfo, AutoMigrate: true}
	var errs []error

	dbURL, err := secret(getenv, "DATABASE_URL")
	if err != nil {
		errs = append(errs, err)
	} else if cfg.DB, err = parseDatabaseURL(dbURL); err != nil {
		errs = append(errs, err)
	}
	if owner, err := secret(getenv, "IMPACTLEDGER_MIGRATE_DATABASE_URL"); err != nil {
		errs = append(errs, err)
	} else if owner != "" {
		// Never quote the URL back: it holds the owner's password.
		if parsed, err := parseDatabaseURL(owner); err != nil || parsed.Dialect != models.Postgres {
			errs = append(errs, configErrorf("IMPACTLEDGER_MIGRATE_DATABASE_URL: not a valid PostgreSQL URL (postgres://owner:password@host:5432/dbname)"))
		} else if cfg.DB.Dialect != models.Postgres {
			errs = append(errs, configErrorf("IMPACTLEDGER_MIGRATE_DATABASE_URL: only with PostgreSQL; set DATABASE_URL to the service's own postgres://… role (SQLite has no roles)"))
		}
		cfg.MigrateDSN = owner
	}
	if v := getenv("IMPACTLEDGER_ADDR"); v != "" {
		cfg.Addr = v
	}
	if v := getenv("IMPACTLEDGER_LOG_LEVEL"); v != "" {
		if err := cfg.LogLevel.UnmarshalText([]byte(v)); err != nil {
			errs = append(errs, configErrorf("IMPACTLEDGER_LOG_LEVEL: %q is not one of debug, info, warn, error", v))
		}
	}
	switch v := strings.ToLower(getenv("IMPACTLEDGER_LOG_FORMAT")); v {
	case "", "auto":
		cfg.LogFormat = "json"
		if stdoutIsTerminal {
			cfg.LogFormat = "text"
		}
	case "text", "json":
		cfg.LogFormat = v
	default:
		errs = append(errs, configErrorf("IMPACTLEDGER_LOG_FORMAT: %q is not one of auto, text, json", v))
	}
	if v := getenv("IMPACTLEDGER_AUTO_MIGRATE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, configErrorf("IMPACTLEDGER_AUTO_MIGRATE: %q is not true or false", v))
		}
		cfg.AutoMigrate = b
	}
	for name, dst := range map[string]*int{
		"IMPACTLEDGER_DB_MAX_OPEN_CONNS": &cfg.DB.MaxOpenConns,
		"IMPACTLEDGER_DB_MAX_IDLE_CONNS": &cfg.DB.MaxIdleConns,
	} {
		if v := getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1000 {
				errs = append(errs, configErrorf("%s: %q is not a whole number from 1 to 1000", name, v))
			}
			*dst = n
		}
	}
	if keys, err := secret(getenv, "IMPACTLEDGER_ENCRYPTION_KEYS"); err != nil {
		errs = append(errs, err)
	} else if keys != "" {
		if cfg.DB.Keys, err = sealing.ParseKEKs(keys); err != nil {
			errs = append(errs, configErrorf("IMPACTLEDGER_ENCRYPTION_KEYS: %v", err))
		}
	} else if cfg.DB.Dialect == models.Postgres {
		errs = append(errs, errKeysRequired)
	}
	if keys, err := secret(getenv, "IMPACTLEDGER_AUDIT_KEY"); err != nil {
		errs = append(errs, err)
	} else if keys != "" {
		if cfg.DB.AuditKeys, err = sealing.ParseKEKs(keys); err != nil {
			errs = append(errs, configErrorf("IMPACTLEDGER_AUDIT_KEY: %v", err))
		}
	}
	cfg.RequireMFA = cfg.DB.Dialect == models.Postgres
	if v := getenv("IMPACTLEDGER_REQUIRE_MFA"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, configErrorf("IMPACTLEDGER_REQUIRE_MFA: %q is not true or false", v))
		}
		cfg.RequireMFA = b
	}
	if v := getenv("IMPACTLEDGER_LOCKOUT_MINUTES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 525_600 {
			errs = append(errs, configErrorf("IMPACTLEDGER_LOCKOUT_MINUTES: %q is not a whole number of minutes from 0 to 525600", v))
		}
		cfg.DB.LockoutMinutes = &n
	}
	if v := getenv("IMPACTLEDGER_PASSWORD_ITERATIONS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < password.MinIterations || n > 10_000_000 {
			errs = append(errs, configErrorf("IMPACTLEDGER_PASSWORD_ITERATIONS: %q is not a whole number from %d to 10000000", v, password.MinIterations))
		}
		cfg.DB.PasswordIterations = n
	}
	cfg.ImportWorkers = 1
	if v := getenv("IMPACTLEDGER_IMPORT_WORKERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 64 {
			errs = append(errs, configErrorf("IMPACTLEDGER_IMPORT_WORKERS: %q is not a whole number from 1 to 64", v))
		}
		cfg.ImportWorkers = n
	}
	cfg.MaxHeavyRequests = handlers.DefaultHeavyTotal
	if v := getenv("IMPACTLEDGER_MAX_HEAVY_REQUESTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			errs = append(errs, configErrorf("IMPACTLEDGER_MAX_HEAVY_REQUESTS: %q is not a whole number from 1 to 1000", v))
		}
		cfg.MaxHeavyRequests = n
	}
	cfg.DocumentsDir = defaultDocumentsDir(cfg.DB)
	if v := getenv("IMPACTLEDGER_DOCUMENTS_DIR"); v != "" {
		cfg.DocumentsDir = v
	}
	cfg.TLSCertFile, cfg.TLSKeyFile = getenv("IMPACTLEDGER_TLS_CERT_FILE"), getenv("IMPACTLEDGER_TLS_KEY_FILE")
	if (cfg.TLSCertFile == "") != (cfg.TLSKeyFile == "") {
		errs = append(errs, configErrorf("IMPACTLEDGER_TLS_CERT_FILE and IMPACTLEDGER_TLS_KEY_FILE: set both (to serve HTTPS) or neither"))
	}
	cfg.KeysFile = getenv("IMPACTLEDGER_ENCRYPTION_KEYS_FILE")
	if v := getenv("IMPACTLEDGER_TRUSTED_PROXIES"); v != "" {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				cfg.TrustedProxies = append(cfg.TrustedProxies, p)
			}
		}
	}
	return cfg, errors.Join(errs...)
}

// secret reads NAME, or the file NAME_FILE points to (for Docker and Kubernetes secrets), but not both.
func secret(getenv func(string) string, name string) (string, error) {
	v, file := getenv(name), getenv(name+"_FILE")
	switch {
	case v != "" && file != "":
		return "", configErrorf("set %s or %s_FILE, not both", name, name)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", configErrorf("%s_FILE: %v", name, err)
		}
		return strings.TrimSpace(string(b)), nil
	default:
		return v, nil
	}
}

// parseDatabaseURL picks the database: empty for the default SQLite file, sqlite:PATH, or postgres://….
func parseDatabaseURL(raw string) (models.Config, error) {
	switch {
	case raw == "":
		return models.Config{Dialect: models.SQLite, DSN: defaultSQLitePath}, nil
	case strings.HasPrefix(raw, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(raw, "sqlite:"), "//")
		if path == "" {
			return models.Config{}, configErrorf("DATABASE_URL: sqlite: needs a file path, as in sqlite:data/impactledger.db")
		}
		return models.Config{Dialect: models.SQLite, DSN: path}, nil
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return models.Config{}, configErrorf("DATABASE_URL: not a valid PostgreSQL URL (postgres://user:password@host:5432/dbname)")
		}
		return models.Config{Dialect: models.Postgres, DSN: raw}, nil
	default:
		return models.Config{}, configErrorf("DATABASE_URL: use postgres://user:password@host:5432/dbname, sqlite:PATH, or leave it empty for ./%s", defaultSQLitePath)
	}
}

// defaultDocumentsDir is where documents live unless configured: beside a SQLite database, so that the
// database, its key file and its documents travel together; data/documents with PostgreSQL.
func defaultDocumentsDir(db models.Config) string {
	if db.Dialect == models.SQLite && db.DSN != "" {
		return filepath.Join(filepath.Dir(db.DSN), "documents")
	}
	return filepath.Join(filepath.Dir(defaultSQLitePath), "documents")
}

// describeDatabase names the database for the start-up line: kind and host or file, never a password.
func describeDatabase(db models.Config) string {
	if db.Dialect == models.SQLite {
		return "sqlite file=" + db.DSN
	}
	u, err := url.Parse(db.DSN)
	if err != nil {
		return "postgres"
	}
	return fmt.Sprintf("postgres host=%s db=%s", u.Host, strings.TrimPrefix(u.Path, "/"))
}

// keyFileOf is where the embedded SQLite default keeps its generated key-encryption key: beside the database.
func keyFileOf(dbPath string) string { return dbPath + ".keys" }

// sqliteKeys supplies the key-encryption keys of a SQLite database when none are configured: those in the
// key file beside it, or, for a database that does not exist yet and only when create is true, a new key
// written there (0600, created exclusively and synced, so that two first starts cannot both write one). A
// database that exists without its key file is refused, never given a new key over its sealed data.
func sqliteKeys(dbPath string, now time.Time, create bool) (keys []sealing.KEK, generated string, err error) {
	file := keyFileOf(dbPath)
	if keys, err := readKeyFile(file); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return keys, "", err
	}
	for _, f := range []string{dbPath, dbPath + "-wal"} {
		info, err := os.Stat(f)
		switch {
		case err == nil && info.Size() > 0:
			return nil, "", fmt.Errorf("the database %s exists but its key file %s does not: restore the key file from "+
				"your backup, or set IMPACTLEDGER_ENCRYPTION_KEYS; without the key its sealed data cannot be read", dbPath, file)
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return nil, "", fmt.Errorf("checking the database %s: %w", f, err)
		}
	}
	if !create {
		return nil, "", fmt.Errorf("no database at %s and no key file %s", dbPath, file)
	}
	entry, err := sealing.GenerateKEK(now)
	if err != nil {
		return nil, "", err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return nil, "", err
	}
	if err := writeNewFile(file, []byte(entry+"\n")); err != nil {
		if errors.Is(err, fs.ErrExist) {
			// Another process made it first: use that one.
			keys, err := readKeyFile(file)
			return keys, "", err
		}
		return nil, "", fmt.Errorf("writing key file %s: %w", file, err)
	}
	keys, err = sealing.ParseKEKs(entry)
	return keys, file, err
}

func readKeyFile(file string) ([]sealing.KEK, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	keys, err := sealing.ParseKEKs(strings.TrimSpace(string(raw)))
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", file, err)
	}
	return keys, nil
}

// writeNewFile creates file (failing if it exists), writes data and syncs it and its folder, so that a crash
// cannot leave an empty key file beside sealed data.
func writeNewFile(file string, data []byte) error {
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(file)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	dir, err := os.Open(filepath.Dir(file))
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
}
