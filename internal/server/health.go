package server

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/outage"
)

// handleHealthz answers while the process runs.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReadyz answers 200 only while the database and, when configured,
// Redis do. It reports the renderer's state too; a server without Chromium
// is still ready, it only refuses the options that need a browser.
//
// Without Redis the process still serves (API key requests are refused,
// limits fall back to the database or the process; see docs/operations.md),
// but it is not ready: the answer is 503 with the failing check named, so
// that the orchestrator and the operator see the outage.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		return &spidergo.Error{Code: spidergo.EUNAVAILABLE, Message: "The database is not reachable.", Err: err,
			Details: map[string]any{"database": "unreachable"}}
	}
	renderer := "not installed"
	if s.renderer != nil {
		renderer = "ready"
	}
	redis := "not configured"
	if s.redisPing != nil {
		if err := s.redisPing(ctx); err != nil {
			return &spidergo.Error{Code: spidergo.EUNAVAILABLE,
				Message: "Redis is not reachable: API key requests are refused, and trial counts, throttles and per-host limits are kept in the database or in each process until it answers.",
				Err:     fmt.Errorf("%w: %w", outage.ErrDown, err),
				Details: map[string]any{"database": "ready", "redis": "unreachable", "renderer": renderer}}
		}
		redis = "ready"
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ready", "renderer": renderer, "redis": redis})
}
