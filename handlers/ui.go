package handlers

import (
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"
)

// uiHandler serves the built single-page app: real files as they are (hashed assets cached for a year),
// and index.html for every other path so that the app's own router can take over.
func uiHandler(ui fs.FS) gin.HandlerFunc {
	files := http.FileServerFS(ui)
	return func(c *gin.Context) {
		// Only a clean, valid path names a file; anything else is a route of the app (or nonsense), and
		// gets index.html.
		name := strings.TrimPrefix(c.Request.URL.Path, "/")
		if name != "" && name != "index.html" && fs.ValidPath(name) && "/"+name == path.Clean(c.Request.URL.Path) {
			if info, err := fs.Stat(ui, name); err == nil && !info.IsDir() {
				if strings.HasPrefix(name, "assets/") {
					c.Header("Cache-Control", "public, max-age=31536000, immutable")
				}
				files.ServeHTTP(c.Writer, c.Request)
				return
			}
		}
		index, err := fs.ReadFile(ui, "index.html")
		if err != nil {
			writeError(c, err)
			return
		}
		c.Header("Cache-Control", "no-cache")
		c.Data(http.StatusOK, "text/html; charset=utf-8", index)
	}
}
