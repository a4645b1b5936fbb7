// Package server is SpiderGo's HTTP layer: one route table, handlers that
// return errors, and one place that turns an error into a status and a JSON
// body. It holds no business rules of its own beyond request shapes.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/auth"
	"github.com/spidergo/spidergo/internal/config"
	"github.com/spidergo/spidergo/internal/mail"
)

// Server serves the API and owns the background work started for it.
type Server struct {
	cfg   *config.Config
	store spidergo.Store
	log   *slog.Logger
	now   func() time.Time
	acct  *accounts
	keys  *apiKeys
	jobs  *jobRuntime
	// redis is the client of SPIDERGO_REDIS_URL, shared by the quota
	// counters and the per-host fetch limiter; nil without Redis.
	redis *redis.Client

	mux     *http.ServeMux
	handler http.Handler

	// closers stop background work on shutdown, last added first.
	mu      sync.Mutex
	closers []func()
}

// Options are the parts of a Server that tests replace.
type Options struct {
	Now func() time.Time
	// PasswordParams are argon2id's costs; zero means auth.DefaultParams.
	PasswordParams auth.Params
	// Mailer sends account mail; nil means SMTP when configured, else the log.
	Mailer mail.Mailer
	// Quota replaces the API key quota counter (otherwise the store, or
	// Redis when configured).
	Quota spidergo.QuotaCounter
	// WebhookBackoff is the first wait before a webhook is retried (1 s).
	WebhookBackoff time.Duration
}

// New builds a server over an open store.
func New(cfg *config.Config, store spidergo.Store, log *slog.Logger, opts Options) (*Server, error) {
	s := &Server{cfg: cfg, store: store, log: log, now: opts.Now, mux: http.NewServeMux()}
	if s.now == nil {
		s.now = time.Now
	}
	if cfg.RedisURL != "" {
		ro, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("SPIDERGO_REDIS_URL: %w", err)
		}
		s.redis = redis.NewClient(ro)
		s.onClose(func() { s.redis.Close() })
	}
	if err := s.initAccounts(opts); err != nil {
		return nil, err
	}
	if err := s.initAPIKeys(opts); err != nil {
		return nil, err
	}
	if err := s.initJobs(opts); err != nil {
		return nil, err
	}
	for _, rt := range s.routes() {
		s.mux.Handle(rt.pattern, s.wrap(rt.h))
	}
	if err := s.mountDashboard(); err != nil {
		return nil, err
	}
	s.mux.Handle("/", s.wrap(s.handleNoRoute))
	s.handler = s.withRequestID(s.withLogging(s.withLimits(s.withRecover(s.mux))))
	return s, nil
}

// Handler returns the server's root handler.
func (s *Server) Handler() http.Handler { return s.handler }

// onClose registers background work to stop on Close.
func (s *Server) onClose(f func()) {
	s.mu.Lock()
	s.closers = append(s.closers, f)
	s.mu.Unlock()
}

// Close stops background work. The store is the caller's to close.
func (s *Server) Close() {
	s.mu.Lock()
	cs := s.closers
	s.closers = nil
	s.mu.Unlock()
	for i := len(cs) - 1; i >= 0; i-- {
		cs[i]()
	}
}

// Serve accepts connections on ln until ctx is done, then stops accepting,
// lets in-flight requests finish within the shutdown timeout and stops
// background work.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    hardHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(s.limitConns(ln)) }()
	select {
	case err := <-errc:
		s.Close()
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "timeout", s.cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	s.Close()
	if errors.Is(err, context.DeadlineExceeded) {
		s.log.Warn("shutdown timeout passed with requests still running")
		hs.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
