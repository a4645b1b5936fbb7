package server

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/account"
	"github.com/spidergo/spidergo/internal/apikey"
	"github.com/spidergo/spidergo/internal/auth"
	"github.com/spidergo/spidergo/internal/config"
	"github.com/spidergo/spidergo/internal/crawl"
	"github.com/spidergo/spidergo/internal/document"
	"github.com/spidergo/spidergo/internal/fetch"
	"github.com/spidergo/spidergo/internal/mail"
	"github.com/spidergo/spidergo/internal/oauth"
	"github.com/spidergo/spidergo/internal/render"
)

// testOptions are the parts of a test server that tests replace.
type testOptions struct {
	Now            func() time.Time
	PasswordParams auth.Params
	Mailer         mail.Mailer
	// Quota replaces the store as the quota counter.
	Quota          spidergo.QuotaCounter
	WebhookBackoff time.Duration
	Observer       Observer
	// Render gives the server a headless browser, as internal/app does
	// when Chromium is installed; newServer fails when it is not.
	Render bool
}

// rig is what a test server runs on besides its handler.
type rig struct {
	quota spidergo.QuotaCounter
	once  sync.Once
	stop  func()
}

var (
	rigsMu sync.Mutex
	rigs   = map[*Server]*rig{}
)

// newServer assembles a server as internal/app does for the role "all" —
// the services, the fetcher, engine, webhooks and runner — and starts the
// runner and the last-used flusher. closeServer stops them; so does the
// test's cleanup.
func newServer(t testing.TB, cfg *config.Config, store spidergo.Store, log *slog.Logger, o testOptions) (*Server, error) {
	t.Helper()
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Mailer == nil {
		o.Mailer = &mail.Log{Logger: log}
	}
	providers := map[string]*oauth.Provider{}
	for name, p := range cfg.OAuth {
		providers[name] = &oauth.Provider{Name: name, ClientID: p.ClientID, ClientSecret: p.ClientSecret,
			AuthURL: p.AuthURL, TokenURL: p.TokenURL, UserURL: p.UserURL, EmailsURL: p.EmailsURL,
			RedirectURL: cfg.BaseURL + "/auth/oauth/" + name}
	}
	var jobs *crawl.Jobs
	accounts := account.New(store, o.Mailer, log, account.Config{
		RequireEmailVerification: cfg.RequireEmailVerification, PasswordParams: o.PasswordParams, Providers: providers, Now: o.Now,
		CancelJobs: func(ctx context.Context, userID string) error { return jobs.CancelUser(ctx, userID) },
	})
	q := o.Quota
	if q == nil {
		q = store
	}
	keys := apikey.New(store, q, log, apikey.Config{DailyLimit: cfg.APIKeyDailyLimit, MaxPerUser: cfg.APIKeyMaxPerUser, Now: o.Now})
	f, err := fetch.New(fetch.Config{UserAgent: cfg.UserAgent, Allow: cfg.FetchAllow, Ports: cfg.FetchPorts, MaxBodyBytes: cfg.FetchMaxBody, MaxDocumentBytes: cfg.DocumentMaxBytes})
	if err != nil {
		return nil, err
	}
	ec := crawl.EngineConfig{Fetcher: f, Cache: store, Now: o.Now, ExtractWorkers: cfg.ExtractWorkers, ExtractWait: cfg.ExtractWait}
	if cfg.Documents {
		ec.Documents = testDocuments()
	}
	var browser *render.Browser
	if o.Render {
		if browser, err = render.New(render.Config{ChromiumPath: cfg.ChromiumPath, Concurrency: 2, UserAgent: cfg.UserAgent, ExecuteJavaScript: cfg.RenderExecuteJavaScript}, f); err != nil {
			return nil, err
		}
		ec.Renderer = browser
	}
	engine := crawl.NewEngine(ec)
	hooks := crawl.NewWebhooks(crawl.WebhooksConfig{Poster: f, Secrets: store, Store: store, Log: log, Now: o.Now, Backoff: o.WebhookBackoff,
		Poll: 20 * time.Millisecond})
	jobs = crawl.NewJobs(crawl.JobsConfig{Store: store, Engine: engine, Webhooks: hooks, Log: log, Now: o.Now,
		Normalize: crawl.CheckUserURL(f), MaxPerUser: cfg.MaxJobsPerUser, MaxSyncPerUser: cfg.MaxSyncPerUser})
	d := Deps{Store: store, Log: log, Now: o.Now, Accounts: accounts, Keys: keys, Trials: apikey.NewTrialCounter(cfg.TrialDailyLimit),
		Fetcher: f, Jobs: jobs, Observer: o.Observer, MCPPoll: 20 * time.Millisecond, Renderer: browser}
	s, err := New(cfg, d)
	if err != nil {
		return nil, err
	}
	if err := jobs.Resume(context.Background()); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	flushed := make(chan struct{})
	go func() { defer close(flushed); keys.RunFlusher(ctx, apikey.FlushEvery) }()
	delivered := make(chan struct{})
	go func() { defer close(delivered); hooks.Run(ctx) }()
	r := &rig{quota: q, stop: func() {
		cancel()
		<-flushed
		<-delivered
		jobs.Close()
		accounts.Close()
		if browser != nil {
			browser.Close()
		}
		f.CloseIdleConnections()
	}}
	rigsMu.Lock()
	rigs[s] = r
	rigsMu.Unlock()
	t.Cleanup(func() { closeServer(s) })
	return s, nil
}

// The document reader is shared by the test servers of the binary: its
// PDF reader is compiled once, on the first PDF, and kept on disk between
// runs.
var (
	documentsOnce sync.Once
	documents     *document.Converter
)

func testDocuments() *document.Converter {
	documentsOnce.Do(func() {
		documents = document.New(document.Config{Workers: 2, MaxPages: 3, CacheDir: filepath.Join(os.TempDir(), "spidergo-test-pdfium")})
	})
	return documents
}

// closeServer stops what newServer started, once.
func closeServer(s *Server) {
	rigsMu.Lock()
	r := rigs[s]
	rigsMu.Unlock()
	if r != nil {
		r.once.Do(r.stop)
	}
}

// quotaOf is the quota counter of a test server.
func quotaOf(s *Server) spidergo.QuotaCounter {
	rigsMu.Lock()
	defer rigsMu.Unlock()
	return rigs[s].quota
}
