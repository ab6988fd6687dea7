// Package frontend embeds ImpactLedger's built web UI (frontend/dist, made by `npm run build`) so that the
// single binary serves it.
package frontend

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

//go:embed placeholder
var placeholder embed.FS

// Dist returns the built UI, or, when the binary was built before the UI, a one-page placeholder that says
// how to build it.
func Dist() fs.FS {
	built, err := fs.Sub(dist, "dist")
	if err == nil {
		if _, err := fs.Stat(built, "index.html"); err == nil {
			return built
		}
	}
	page, _ := fs.Sub(placeholder, "placeholder")
	return page
}

// Built reports whether Dist is the real UI rather than the placeholder.
func Built() bool {
	_, err := fs.Stat(dist, "dist/index.html")
	return err == nil
}
