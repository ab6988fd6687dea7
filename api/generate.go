// Package api holds the OpenAPI contract of ImpactLedger and the Go types and gin strict server generated
// from it. The contract, openapi.yaml, is the source of truth: edit it, then run `go generate ./...`.
package api

//go:generate go tool oapi-codegen -config cfg.yaml openapi.yaml
