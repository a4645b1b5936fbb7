// Package server is SpiderGo's HTTP layer: one route table, handlers that
// decode a request, call a service and encode its answer, and one place
// that turns an error into a status and a JSON body. The rules live in the
// services it is given (internal/account, internal/apikey, the crawl
// runner); building and starting them is internal/app's job, so New starts
// nothing.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/account"
	"github.com/spidergo/spidergo/internal/apikey"
	"github.com/spidergo/spidergo/internal/config"
	"github.com/spidergo/spidergo/internal/crawl"
	"github.com/spidergo/spidergo/internal/fetch"
	"github.com/spidergo/spidergo/internal/firecrawl"
	"github.com/spidergo/spidergo/internal/render"
)

// Server serves the API.
type Server struct {
	cfg      *config.Config
	store    spidergo.Store
	log      *slog.Logger
	now      func() time.Time
	accounts *account.Service
	keys     *apikey.Service
	jobs     *jobRuntime
	renderer *render.Browser // nil when Chromium is not installed
	csrf     *http.CrossOriginProtection
	obs      Observer
	slow     time.Duration // requests slower are logged at WARN; 0: never
	fc       *firecrawl.Handler
	mcp      http.Handler
	mcpPoll  time.Duration // how often a waiting MCP tool looks at its job
	// streams ends when Serve begins to shut down: long-lived MCP
	// requests (a session's event stream, a tool waiting for a crawl) end
	// with it instead of holding the shutdown until its timeout.
	streams    context.Context
	endStreams context.CancelFunc

	mux     *http.ServeMux
	handler http.Handler

	// redisPing asks Redis for /readyz; nil without Redis.
	redisPing func(context.Context) error
}

// Deps are what the server serves: the store, the services and the job
// machinery, all built (and, where they run in the background, started)
// by the caller.
type Deps struct {
	Store    spidergo.Store
	Log      *slog.Logger
	Now      func() time.Time // nil means time.Now
	Accounts *account.Service
	Keys     *apikey.Service
	Trials   *apikey.TrialCounter
	Fetcher  *fetch.Fetcher
	Jobs     *crawl.Jobs
	// Observer, when set, is told about requests and the gate (metrics).
	Observer Observer
	// MCPPoll is how often an MCP tool waiting for a job looks at it
	// (default 1 s).
	MCPPoll time.Duration
	// Renderer is the headless browser the engine uses, for /readyz; nil
	// when Chromium is not installed.
	Renderer *render.Browser
	// RedisPing checks Redis for /readyz; nil when Redis is not
	// configured.
	RedisPing func(context.Context) error
}

// New builds the HTTP handler over d. It starts nothing.
func New(cfg *config.Config, d Deps) (*Server, error) {
	s := &Server{
		cfg: cfg, store: d.Store, log: d.Log, now: d.Now,
		accounts: d.Accounts, keys: d.Keys, renderer: d.Renderer, redisPing: d.RedisPing,
		jobs: &jobRuntime{fetcher: d.Fetcher, svc: d.Jobs, trials: d.Trials},
		csrf: http.NewCrossOriginProtection(),
		mux:  http.NewServeMux(),
		obs:  d.Observer,
		slow: cfg.SlowRequest,
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.fc = firecrawl.New(firecrawl.Config{
		Jobs: d.Jobs, Status: StatusOf,
		Actor: func(r *http.Request) crawl.Actor {
			return crawl.Actor{UserID: userIDFrom(r.Context()), KeyID: keyIDFrom(r.Context())}
		},
		Logf: func(r *http.Request, err error) {
			s.log.Error("request failed", "request_id", requestID(r.Context()), "method", r.Method, "path", r.URL.Path, "err", err)
		},
	})
	// Behind a proxy the Host header may name an internal address while
	// browsers send the public origin; the configured base URL is ours.
	if u, err := url.Parse(cfg.BaseURL); err == nil && u.Host != "" {
		if err := s.csrf.AddTrustedOrigin(u.Scheme + "://" + u.Host); err != nil {
			return nil, err
		}
	}
	s.streams, s.endStreams = context.WithCancel(context.Background())
	s.mcpPoll = d.MCPPoll
	s.mcp = s.newMCP()
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

// Serve answers h on ln until ctx is done, then stops accepting and lets
// in-flight requests finish within the shutdown timeout.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, shutdownTimeout time.Duration, log *slog.Logger) error {
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    hardHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", shutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); errors.Is(err, context.DeadlineExceeded) {
		log.Warn("shutdown timeout passed with requests still running")
		hs.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Serve answers the API on ln, under the connection limits, until ctx is
// done (see the function Serve).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, s.endStreams)
	defer stop()
	return Serve(ctx, s.LimitConns(ln), s.handler, s.cfg.ShutdownTimeout, s.log)
}

// Probes is the handler of a process that serves no API, a worker: the
// health and readiness routes only, with the API's error conventions.
// renderer is the worker's browser, nil when Chromium is not installed;
// redisPing checks Redis, nil when it is not configured.
func Probes(store spidergo.Store, renderer *render.Browser, redisPing func(context.Context) error, log *slog.Logger) http.Handler {
	s := &Server{store: store, renderer: renderer, redisPing: redisPing, log: log, now: time.Now, mux: http.NewServeMux()}
	s.mux.Handle("GET /healthz", s.wrap(s.handleHealthz))
	s.mux.Handle("GET /readyz", s.wrap(s.handleReadyz))
	s.mux.Handle("/", s.wrap(s.handleNoRoute))
	return s.withRequestID(s.withLogging(s.withRecover(s.mux)))
}
