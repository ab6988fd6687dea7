# ImpactLedger developer commands. `make run` serves the app; `make test` runs every test.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
NPM_STAMP := frontend/node_modules/.package-lock.json

.PHONY: run test build ui generate check-generated lint bench bench-import bench-restitution bench-orders bench-probes clean help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

run: ui ## build the UI and serve on http://127.0.0.1:8080 (SQLite in ./data unless DATABASE_URL is set)
	$(GO) run -ldflags "$(LDFLAGS)" .

build: ui ## build bin/impactledger: one static binary with the UI inside
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/impactledger .

ui: $(NPM_STAMP) ## build the web UI into frontend/dist
	cd frontend && npm run build --silent

$(NPM_STAMP): frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund

test: ui ## run every test (SQLite; PostgreSQL too when TEST_DATABASE_URL is set)
	@./scripts/test

generate: $(NPM_STAMP) ## regenerate the Go server and the UI's API types from api/openapi.yaml
	$(GO) generate ./...
	cd frontend && npm run generate --silent

check-generated: generate ## fail when generated code differs from what is committed
	@git diff --exit-code -- api frontend/src/api || { echo "generated code is stale: run make generate and commit"; exit 1; }

lint: $(NPM_STAMP) ## go vet, staticcheck, the TypeScript checker and redocly on the contract
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	cd frontend && npm run typecheck --silent
	cd frontend && npx --no-install redocly lint --config ../api/redocly.yaml --format=stylish ../api/openapi.yaml

bench: ## case and victim throughput over HTTP on SQLite (and PostgreSQL with BENCH_DATABASE_URL)
	$(GO) run ./bench

bench-import: ## a 100,000-victim import on SQLite (and PostgreSQL with BENCH_DATABASE_URL, beside psql \copy)
	$(GO) run ./bench -import

bench-restitution: ## a payment over 100,000 lines, a victim over 10,000 entries, a case over 100,000 lines (SQLite, and PostgreSQL with BENCH_DATABASE_URL)
	$(GO) test ./models -run '^$$' -bench Restitution -benchtime 3x

bench-orders: ## peak RSS of a serve process entering 250,000-line orders, one and four at once (BASELINE=rev to compare)
	$(GO) run ./bench -orders $(if $(BASELINE),-baseline $(BASELINE))

bench-probes: ## case creation alone and beside a signed-in scanner probing random victim IDs (SQLite, and PostgreSQL with BENCH_DATABASE_URL)
	$(GO) run ./bench -probes

clean: ## remove build output (keeps ./data)
	rm -rf bin frontend/dist/assets frontend/dist/index.html
