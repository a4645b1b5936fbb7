// Package app assembles SpiderGo — the store, the Redis client, the
// fetcher, the headless browser renderer, the crawl engine, the job runner and webhooks, the mailer, the
// account and API key services and the HTTP server — and runs the parts a
// process's role asks for:
//
//   - api: the HTTP API (and the flusher of API key last-used times);
//   - worker: the job runner and the sweepers (expired sessions and codes,
//     jobs past SPIDERGO_RETENTION), with only /healthz and
//     /readyz on the listen address, for the orchestrator's probes;
//   - all: both, the default and the embedded mode.
//
// On SQLite jobs run in the in-process crawl.Runner of the process that
// accepted them. On PostgreSQL River owns them (internal/dispatch): api
// processes only queue, workers run them.
//
// Building starts nothing; Run starts the role's components under one
// errgroup and stops them all when its context ends or one fails.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/errgroup"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/account"
	"github.com/spidergo/spidergo/internal/apikey"
	"github.com/spidergo/spidergo/internal/auth"
	"github.com/spidergo/spidergo/internal/config"
	"github.com/spidergo/spidergo/internal/crawl"
	"github.com/spidergo/spidergo/internal/dispatch"
	"github.com/spidergo/spidergo/internal/document"
	"github.com/spidergo/spidergo/internal/fetch"
	"github.com/spidergo/spidergo/internal/mail"
	"github.com/spidergo/spidergo/internal/metrics"
	"github.com/spidergo/spidergo/internal/oauth"
	"github.com/spidergo/spidergo/internal/outage"
	"github.com/spidergo/spidergo/internal/render"
	"github.com/spidergo/spidergo/internal/server"
	"github.com/spidergo/spidergo/internal/sqlstore"
)

// Roles a process can run.
const (
	RoleAll    = "all"
	RoleAPI    = "api"
	RoleWorker = "worker"
)

// Options are the parts of an App that tests and tools replace.
type Options struct {
	// Store is used instead of opening SPIDERGO_DATABASE_URL; the App does
	// not close it.
	Store spidergo.Store
	Now   func() time.Time
	// PasswordParams are argon2id's costs; zero means auth.DefaultParams.
	PasswordParams auth.Params
	// Mailer sends account mail; nil means SMTP when configured, else the
	// log.
	Mailer mail.Mailer
	// Quota replaces the API key quota counter.
	Quota spidergo.QuotaCounter
	// WebhookBackoff is the first wait before a webhook is retried (1 s).
	WebhookBackoff time.Duration
	// Metrics is the registry to feed; nil builds one when
	// SPIDERGO_ADMIN_ADDR is set and keeps none otherwise.
	Metrics *metrics.Metrics
	// AdminListener, when set, is served as the admin listener (and
	// metrics are kept) instead of listening on SPIDERGO_ADMIN_ADDR.
	AdminListener net.Listener
}

// App is one SpiderGo process's components, built and not yet running.
type App struct {
	cfg *config.Config
	log *slog.Logger

	Store   spidergo.Store
	Redis   *redis.Client // nil without SPIDERGO_REDIS_URL
	Fetcher *fetch.Fetcher
	// Renderer is nil when Chromium is not installed.
	Renderer *render.Browser
	// Documents reads PDF, DOCX and ODT pages; nil when turned off.
	Documents *document.Converter
	Engine    *crawl.Engine
	Webhooks  *crawl.Webhooks
	Jobs      *crawl.Jobs
	Accounts  *account.Service
	Keys      *apikey.Service
	Trials    *apikey.TrialCounter
	Server    *server.Server
	Metrics   *metrics.Metrics // nil when no metrics are kept
	// River is the PostgreSQL scheduler; nil in the embedded mode, where
	// the job service runs its in-process runner.
	River *dispatch.Scheduler

	// RedisWatch follows whether Redis answers (nil without Redis), and
	// LimitsWatch whether the database holding shared limits does (nil on
	// SQLite): each logs its outages once, and their users fall back
	// while they are down.
	RedisWatch  *outage.Watch
	LimitsWatch *outage.Watch

	pool     *pgxpool.Pool
	ownStore bool
	adminLn  net.Listener
}

// New builds every component for cfg. It opens the database (migrating it)
// unless opts.Store is given, and connects nothing else yet.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger, opts Options) (a *App, err error) {
	switch cfg.Role {
	case RoleAll, RoleAPI, RoleWorker:
	default:
		return nil, fmt.Errorf("SPIDERGO_ROLE: %q is not all, api or worker", cfg.Role)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	a = &App{cfg: cfg, log: log, Store: opts.Store, adminLn: opts.AdminListener}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if a.Store == nil {
		db, err := sqlstore.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("database: %w", err)
		}
		db.SetMaxConnections(cfg.DatabaseMaxConnections)
		a.Store, a.ownStore = db, true
	}
	if cfg.RedisURL != "" {
		ro, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("SPIDERGO_REDIS_URL: %w", err)
		}
		a.Redis = redis.NewClient(ro)
		a.RedisWatch = outage.New("redis", "API key requests are refused (503); trial counts, throttles and per-host limits fall back to the database or this process", log)
	}
	// On PostgreSQL the database holds the limits that Redis would, for
	// installs without Redis and while Redis is down.
	var limits *sqlstore.DB
	if db, ok := a.Store.(*sqlstore.DB); ok && db.Postgres() {
		limits = db
		a.LimitsWatch = outage.New("database (shared limits)", "trial counts and per-host limits are kept in this process, throttles in this process at a stricter limit", log)
	}

	mailer := opts.Mailer
	if mailer == nil {
		if mailer, err = mail.New(cfg.SMTPURL, cfg.MailFrom, log); err != nil {
			return nil, err
		}
	}
	obs := a.observe(opts.Metrics)
	fc := fetch.Config{UserAgent: cfg.UserAgent, Allow: cfg.FetchAllow, Ports: cfg.FetchPorts, MaxBodyBytes: cfg.FetchMaxBody, MaxDocumentBytes: cfg.DocumentMaxBytes,
		PerHostConcurrency: cfg.FetchPerHostConcurrency, PerHostDelay: cfg.FetchPerHostDelay}
	fc.Observer = obs.fetch
	fc.Limiter = hostLimiter(cfg, a.Redis, a.RedisWatch, limits, a.LimitsWatch)
	if a.Fetcher, err = fetch.New(fc); err != nil {
		return nil, fmt.Errorf("fetcher: %w", err)
	}
	if a.Renderer, err = newRenderer(cfg, log, a.Fetcher, fc.Limiter); err != nil {
		return nil, err
	}
	ec := crawl.EngineConfig{Fetcher: a.Fetcher, Cache: a.Store, Now: now, Observer: obs.crawl,
		ExtractWorkers: cfg.ExtractWorkers, ExtractWait: cfg.ExtractWait}
	if cfg.Documents {
		a.Documents = document.New(document.Config{MaxPages: cfg.DocumentMaxPages, Timeout: cfg.DocumentTimeout,
			Workers: cfg.DocumentWorkers, CacheDir: cfg.DocumentCacheDir})
		ec.Documents = a.Documents
	}
	if a.Renderer != nil {
		ec.Renderer = a.Renderer
		if a.Metrics != nil {
			a.Metrics.WatchRenderer(func() metrics.RendererStats {
				st := a.Renderer.Status()
				return metrics.RendererStats{Running: st.Running, Concurrency: st.Concurrency, Busy: st.Busy, Waiting: st.Waiting,
					Starts: st.Starts, Restarts: st.Restarts, Rendered: st.Rendered, Failed: st.Failed, Refused: st.Refused}
			})
		}
	}
	a.Engine = crawl.NewEngine(ec)
	// Frontier and delivery claims name the process. On SQLite the host
	// name, stable across restarts, lets a restarted process take its own
	// claims back at once; on PostgreSQL workers on one host must not take
	// each other's live claims, so the process id is added. A dead
	// worker's claims come back when their lease runs out.
	host, _ := os.Hostname()
	owner := host
	db, postgres := a.Store.(*sqlstore.DB)
	postgres = postgres && db.Postgres()
	if postgres {
		owner = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	a.Webhooks = crawl.NewWebhooks(crawl.WebhooksConfig{Poster: a.Fetcher, Secrets: a.Store, Store: a.Store, Log: log, Now: now,
		Owner: owner, Attempts: cfg.WebhookAttempts, Backoff: opts.WebhookBackoff})
	jc := crawl.JobsConfig{Owner: owner, Store: a.Store, Engine: a.Engine, Webhooks: a.Webhooks, Log: log, Now: now,
		Normalize:  crawl.CheckUserURL(a.Fetcher),
		MaxPerUser: cfg.MaxJobsPerUser, MaxSyncPerUser: cfg.MaxSyncPerUser, MaxCrawlPages: cfg.MaxCrawlPages,
		LeaseTTL: cfg.JobLease, Observer: obs.crawl}
	if postgres {
		if err := a.useRiver(ctx, db, &jc); err != nil {
			return nil, err
		}
	}
	a.Jobs = crawl.NewJobs(jc)

	ac := account.Config{
		RequireEmailVerification: cfg.RequireEmailVerification,
		PasswordParams:           opts.PasswordParams,
		Providers:                providers(cfg),
		Now:                      now,
		CancelJobs:               a.Jobs.CancelUser,
		Redis:                    scripter(a.Redis),
		RedisHealth:              a.RedisWatch,
		LimitsHealth:             a.LimitsWatch,
	}
	if limits != nil {
		ac.Limits = limits
	}
	a.Accounts = account.New(a.Store, mailer, log, ac)
	counter := opts.Quota
	if counter == nil {
		counter = apikey.NewCounter(a.Store, a.Redis, a.RedisWatch)
	}
	a.Keys = apikey.New(a.Store, counter, log, apikey.Config{DailyLimit: cfg.APIKeyDailyLimit, MaxPerUser: cfg.APIKeyMaxPerUser, Now: now})
	a.Trials = apikey.NewTrialCounter(cfg.TrialDailyLimit)
	if a.Redis != nil {
		a.Trials.Share(apikey.RedisTrials{Client: a.Redis}, a.RedisWatch)
	}
	if limits != nil {
		a.Trials.Share(limits, a.LimitsWatch)
	}

	a.Server, err = server.New(cfg, server.Deps{
		Store: a.Store, Log: log, Now: now, Accounts: a.Accounts, Keys: a.Keys, Trials: a.Trials,
		Fetcher: a.Fetcher, Jobs: a.Jobs, Renderer: a.Renderer, RedisPing: a.redisPing(),
		Observer: obs.http,
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// newRenderer builds the headless browser from the chromium-path and
// render-concurrency settings, sharing the fetcher's address guard and
// per-host limits. A missing Chromium is not an error: the server runs
// without rendering (nil), which is logged once here.
func newRenderer(cfg *config.Config, log *slog.Logger, f *fetch.Fetcher, limiter fetch.HostLimiter) (*render.Browser, error) {
	rc, err := render.ConfigFromEnv(func(name string) string {
		switch name {
		case "SPIDERGO_CHROMIUM_PATH":
			return cfg.ChromiumPath
		case "SPIDERGO_RENDER_CONCURRENCY":
			if cfg.RenderConcurrency > 0 {
				return fmt.Sprint(cfg.RenderConcurrency)
			}
		}
		return ""
	})
	if err != nil {
		return nil, err
	}
	rc.Limiter = limiter
	rc.UserAgent = cfg.UserAgent
	rc.ExecuteJavaScript = cfg.RenderExecuteJavaScript
	rc.LoadAllResources = cfg.RenderLoadAllResources
	rc.Logf = func(format string, args ...any) { log.Info(fmt.Sprintf(format, args...), "component", "renderer") }
	b, err := render.New(rc, f)
	if render.KindOf(err) == render.KindNotInstalled {
		log.Warn("rendering is not installed: render browser, screenshots and browser actions are refused, auto stays on HTTP", "err", err)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("renderer: %w", err)
	}
	log.Info("renderer ready", "chromium", b.Path(), "concurrency", b.Status().Concurrency)
	return b, nil
}

// useRiver makes River on PostgreSQL the job scheduler: api processes
// queue jobs, workers run them, all does both.
func (a *App) useRiver(ctx context.Context, db *sqlstore.DB, jc *crawl.JobsConfig) error {
	pc, err := pgxpool.ParseConfig(a.cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("SPIDERGO_DATABASE_URL: %w", err)
	}
	workers := 0
	if a.cfg.Role != RoleAPI {
		workers = a.cfg.WorkerConcurrency
	}
	// River's workers (crawls and webhook senders), its maintenance, the
	// notification listener and a few queries of the job service.
	pc.MaxConns = int32(min(workers+dispatch.HookWorkers+8, max(a.cfg.DatabaseMaxConnections, 4)))
	if a.pool, err = pgxpool.NewWithConfig(ctx, pc); err != nil {
		return fmt.Errorf("database pool: %w", err)
	}
	if a.River, err = dispatch.New(dispatch.Config{Pool: a.pool, DB: db.SQL(), Store: db, Creator: db, Log: a.log,
		Now: jc.Now, Workers: workers, MaxPerUser: a.cfg.MaxJobsPerUser, Lease: a.cfg.JobLease, Spread: a.cfg.CrawlSpread,
		Deliveries: db, Hooks: a.Webhooks}); err != nil {
		return err
	}
	jc.Scheduler = a.River.Bind
	// Webhook deliveries go out through River too, from any worker.
	a.Webhooks.UseQueue(a.River)
	return nil
}

// hostLimiter builds the per-host politeness limiter as a chain: Redis
// when configured, then the database when it is shared (PostgreSQL), then
// this process's memory, behind a gate of this process's own slots. A
// link that does not answer hands over to the next, so politeness holds
// across processes while either shared store answers, and per process
// when none does. Every link allows SPIDERGO_FETCH_PER_HOST_CONCURRENCY
// requests per host and keeps at least SPIDERGO_FETCH_PER_HOST_DELAY
// between starts, for the fetcher and the renderer alike.
func hostLimiter(cfg *config.Config, rdb *redis.Client, redisWatch *outage.Watch, limits *sqlstore.DB, limitsWatch *outage.Watch) fetch.HostLimiter {
	var l fetch.HostLimiter = fetch.NewMemoryLimiter(cfg.FetchPerHostConcurrency)
	opts := fetch.LeaseLimiterOptions{Concurrency: cfg.FetchPerHostConcurrency}
	if limits != nil {
		l = fetch.NewFallbackLimiter(fetch.NewLeaseLimiter(limits, opts), l, limitsWatch)
	}
	if rdb != nil {
		l = fetch.NewFallbackLimiter(fetch.NewRedisLimiter(rdb, opts), l, redisWatch)
	}
	if limits != nil || rdb != nil {
		// Requests beyond what this process could run at once wait here,
		// not polling the shared store.
		l = fetch.NewGatedLimiter(fetch.NewMemoryLimiter(cfg.FetchPerHostConcurrency), l)
	}
	return fetch.WithMinDelay(l, cfg.FetchPerHostDelay)
}

// redisPing is /readyz's check of Redis, which also tells the watch how
// Redis is, so a recovery is seen even while no request uses Redis; nil
// without Redis.
func (a *App) redisPing() func(context.Context) error {
	if a.Redis == nil {
		return nil
	}
	return func(ctx context.Context) error {
		err := a.Redis.Ping(ctx).Err()
		if ctx.Err() == nil {
			a.RedisWatch.Report(err)
		}
		return err
	}
}

// scripter is rdb as the interface, nil when rdb is: a nil *redis.Client
// in an interface would not compare equal to nil.
func scripter(rdb *redis.Client) redis.Scripter {
	if rdb == nil {
		return nil
	}
	return rdb
}

// providers are the configured OAuth providers, calling back to the base
// URL.
func providers(cfg *config.Config) map[string]*oauth.Provider {
	out := map[string]*oauth.Provider{}
	for name, p := range cfg.OAuth {
		out[name] = &oauth.Provider{
			Name: name, ClientID: p.ClientID, ClientSecret: p.ClientSecret,
			AuthURL: p.AuthURL, TokenURL: p.TokenURL, UserURL: p.UserURL, EmailsURL: p.EmailsURL,
			RedirectURL: cfg.BaseURL + "/auth/oauth/" + name,
		}
	}
	return out
}

// Handler is what the process answers on its listen address: the API, or
// for a worker only the health probes.
func (a *App) Handler() http.Handler {
	if a.cfg.Role == RoleWorker {
		return server.Probes(a.Store, a.Renderer, a.redisPing(), a.log)
	}
	return a.Server.Handler()
}

// Run serves ln and runs the role's background work until ctx ends or a
// component fails; then it stops everything, letting in-flight requests
// finish within SPIDERGO_SHUTDOWN_TIMEOUT before jobs are stopped, and
// returns the first failure.
func (a *App) Run(ctx context.Context, ln net.Listener) error {
	adminLn, err := a.listenAdmin()
	if err != nil {
		ln.Close()
		return err
	}
	if a.cfg.Role != RoleAPI {
		// Jobs left unfinished by the last process continue here.
		if err := a.Jobs.Resume(ctx); err != nil {
			ln.Close()
			if adminLn != nil {
				adminLn.Close()
			}
			return fmt.Errorf("resume jobs: %w", err)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	served := make(chan struct{})
	g.Go(func() error {
		defer close(served)
		if a.cfg.Role == RoleWorker {
			return server.Serve(gctx, ln, a.Handler(), a.cfg.ShutdownTimeout, a.log)
		}
		return a.Server.Serve(gctx, ln)
	})
	if a.cfg.Role != RoleWorker {
		g.Go(func() error { return a.Keys.RunFlusher(gctx, apikey.FlushEvery) })
	}
	if adminLn != nil {
		// Every role: a worker's jobs are what most needs watching.
		a.log.Info("admin listener", "addr", adminLn.Addr().String())
		sampleContention()
		g.Go(func() error { return server.Serve(gctx, adminLn, a.AdminHandler(), a.cfg.ShutdownTimeout, a.log) })
	}
	if a.River != nil {
		g.Go(func() error { return a.River.Run(gctx) })
	}
	// Stored webhook deliveries: sent from here on SQLite, handed to
	// River on PostgreSQL. Undelivered ones stay stored for the next
	// start.
	g.Go(func() error { return a.Webhooks.Run(gctx) })
	g.Go(func() error {
		<-gctx.Done()
		// Requests still running may be submitting or streaming jobs: the
		// scheduler stops after them. In the embedded mode an api process
		// runs the crawls it accepted, so it stops its runner too; on
		// PostgreSQL a worker hands its running jobs back to River.
		<-served
		a.Jobs.Close()
		return nil
	})
	if a.cfg.Role != RoleAPI {
		g.Go(func() error { return a.Accounts.RunSweeper(gctx) })
		// Finished jobs past SPIDERGO_RETENTION go, with their pages.
		g.Go(func() error { return a.Jobs.RunRetention(gctx, a.cfg.Retention, crawl.RetentionEvery) })
	}
	err = g.Wait()
	a.Accounts.Close() // mail still being sent
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// Close releases what New opened: the browser, idle fetch connections,
// Redis and the database when the App opened it.
func (a *App) Close() error {
	var errs []error
	if a.Renderer != nil {
		errs = append(errs, a.Renderer.Close())
	}
	if a.Fetcher != nil {
		a.Fetcher.CloseIdleConnections()
	}
	if a.Documents != nil {
		errs = append(errs, a.Documents.Close())
	}
	if a.Redis != nil {
		errs = append(errs, a.Redis.Close())
	}
	if a.pool != nil {
		a.pool.Close()
	}
	if a.ownStore && a.Store != nil {
		errs = append(errs, a.Store.Close())
	}
	return errors.Join(errs...)
}
