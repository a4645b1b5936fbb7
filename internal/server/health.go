package server

import (
	"context"
	"net/http"
	"time"

	"github.com/spidergo/spidergo"
)

// handleHealthz answers while the process runs.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReadyz answers 200 only while the database does. It reports the
// renderer's state too; a server without Chromium is still ready, it only
// refuses the options that need a browser.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		return &spidergo.Error{Code: spidergo.EUNAVAILABLE, Message: "The database is not reachable.", Err: err}
	}
	renderer := "not installed"
	if s.renderer != nil {
		renderer = "ready"
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ready", "renderer": renderer})
}
