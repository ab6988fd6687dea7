package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// compose is the part of the Compose specification these tests read.
type compose struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Build       any               `yaml:"build"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Ports       []string          `yaml:"ports"`
		Volumes     []string          `yaml:"volumes"`
		DependsOn   map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
		Healthcheck struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

// No Docker engine runs in CI, so these tests read the files the way Compose and Docker would.
func TestComposeFile(t *testing.T) {
	raw, err := os.ReadFile("docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatalf("docker-compose.yml is not valid YAML: %v", err)
	}
	db, app := c.Services["db"], c.Services["app"]
	if db.Image != "postgres:16" {
		t.Errorf("db image %q; want postgres:16", db.Image)
	}
	if app.Build == nil {
		t.Error("app is not built from this repository's Dockerfile")
	}
	if app.DependsOn["db"].Condition != "service_healthy" {
		t.Error("app must wait for a healthy db")
	}
	for name, svc := range map[string][]string{"db": db.Healthcheck.Test, "app": app.Healthcheck.Test} {
		if len(svc) == 0 {
			t.Errorf("%s has no healthcheck", name)
		}
	}
	if !slices.Equal(app.Healthcheck.Test, []string{"CMD", "/impactledger", "healthcheck"}) {
		t.Errorf("app healthcheck %v; the distroless image has only the binary", app.Healthcheck.Test)
	}
	if len(db.Volumes) == 0 || !strings.HasPrefix(db.Volumes[0], "pgdata:") || c.Volumes == nil {
		t.Error("PostgreSQL data must live in the named volume pgdata")
	}
	if _, ok := c.Volumes["pgdata"]; !ok {
		t.Error("volume pgdata is not declared")
	}
	if u := app.Environment["DATABASE_URL"]; !strings.HasPrefix(u, "postgres://") || !strings.Contains(u, "@db:5432/") {
		t.Errorf("app DATABASE_URL %q does not point at the db service", u)
	}

	// Two database roles: the app connects as one that owns nothing, and only the one-off migrate service
	// knows the owner's password; the roles are made by the init script on the db's first start.
	migrate := c.Services["migrate"]
	if !slices.Equal(migrate.Command, []string{"migrate", "up"}) || migrate.DependsOn["db"].Condition != "service_healthy" {
		t.Errorf("the migrate service runs %v after %v; want migrate up once the db is healthy", migrate.Command, migrate.DependsOn)
	}
	if u := migrate.Environment["IMPACTLEDGER_MIGRATE_DATABASE_URL"]; !strings.HasPrefix(u, "postgres://impactledger_owner:${IMPACTLEDGER_DB_OWNER_PASSWORD:?") {
		t.Errorf("the migrate service's owner URL is %q; want impactledger_owner with its password from .env", u)
	}
	if u := migrate.Environment["DATABASE_URL"]; !strings.HasPrefix(u, "postgres://impactledger_app@db:5432/") {
		t.Errorf("the migrate service's DATABASE_URL %q should name impactledger_app, without a password", u)
	}
	if u := app.Environment["DATABASE_URL"]; !strings.HasPrefix(u, "postgres://impactledger_app:${IMPACTLEDGER_DB_APP_PASSWORD:?") {
		t.Errorf("the app's DATABASE_URL is %q; want impactledger_app with its password from .env", u)
	}
	for name, v := range app.Environment {
		if strings.Contains(v, "OWNER_PASSWORD") || name == "IMPACTLEDGER_MIGRATE_DATABASE_URL" {
			t.Errorf("the app holds the owner's password in %s", name)
		}
	}
	if app.Environment["IMPACTLEDGER_AUTO_MIGRATE"] != "false" || app.DependsOn["migrate"].Condition != "service_completed_successfully" {
		t.Error("the app must leave migrations to the migrate service and start after it succeeded")
	}
	if !slices.Contains(db.Volumes, "./docker/initdb:/docker-entrypoint-initdb.d:ro") {
		t.Errorf("db volumes %v do not mount the init script", db.Volumes)
	}
	for _, v := range []string{"IMPACTLEDGER_DB_OWNER_PASSWORD", "IMPACTLEDGER_DB_APP_PASSWORD"} {
		if !strings.HasPrefix(db.Environment[v], "${"+v+":?") {
			t.Errorf("the db service does not pass %s from .env to the init script", v)
		}
	}
	script, err := os.Stat("docker/initdb/10-impactledger-roles.sh")
	if err != nil || script.Mode().Perm()&0o111 == 0 {
		t.Errorf("the init script must exist and be executable (the image sources a script that is not): %v", err)
	}

	// Every secret comes from .env: no literal password, and .env.example names every variable used.
	example, err := os.ReadFile(".env.example")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`\$\{([A-Z_]+)`).FindAllStringSubmatch(string(raw), -1) {
		if !strings.Contains(string(example), m[1]+"=") {
			t.Errorf(".env.example does not mention %s", m[1])
		}
	}
	if pw := db.Environment["POSTGRES_PASSWORD"]; !strings.HasPrefix(pw, "${POSTGRES_PASSWORD") {
		t.Errorf("POSTGRES_PASSWORD is %q; it must come from .env", pw)
	}
	if keys := app.Environment["IMPACTLEDGER_ENCRYPTION_KEYS"]; !strings.HasPrefix(keys, "${IMPACTLEDGER_ENCRYPTION_KEYS:?") {
		t.Errorf("the app's IMPACTLEDGER_ENCRYPTION_KEYS is %q; PostgreSQL requires it, from .env", keys)
	}
}

func TestDockerfile(t *testing.T) {
	raw, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(raw)
	froms := regexp.MustCompile(`(?m)^FROM \S+`).FindAllString(df, -1)
	if len(froms) != 3 || !strings.Contains(froms[0], "node:") || !strings.Contains(froms[1], "golang:1.26") {
		t.Errorf("stages %v; want node build, Go 1.26 build, runtime", froms)
	}
	for _, want := range []string{"CGO_ENABLED=0", "npm ci", "npm run build", "USER 65532", "HEALTHCHECK", "COPY --from=ui /src/frontend/dist"} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	ignore, err := os.ReadFile(".dockerignore")
	if err != nil || !strings.Contains(string(ignore), ".env") || !strings.Contains(string(ignore), "data") {
		t.Error(".dockerignore must keep .env and local data out of the build context")
	}
}

// TestREADMEDocumentsEveryVariable keeps the README's configuration table in step with the code.
func TestREADMEDocumentsEveryVariable(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range configVars {
		if !strings.Contains(string(readme), "| `"+v.Name+"` |") {
			t.Errorf("README's configuration table lacks %s", v.Name)
		}
	}
}
