// Package config reads SpiderGo's settings from the environment and from
// the serve command's flags (flags win), applies defaults and validates
// them. It holds no globals: Load returns a Config.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of the server.
type Config struct {
	Addr string
	// AdminAddr is the admin listener (metrics, pprof); "" turns it off.
	AdminAddr    string
	DatabaseURL  string
	RedisURL     string
	Role         string // all, api or worker
	BaseURL      string
	FetchAllow   []string
	FetchPorts   []int
	FetchMaxBody int64
	// Documents turns the reading of PDF, DOCX and ODT pages on.
	Documents bool
	// DocumentMaxBytes caps a document body; DocumentMaxPages the pages
	// of a PDF read; DocumentTimeout the reading of one document;
	// DocumentWorkers the documents read at once (0: GOMAXPROCS);
	// DocumentCacheDir keeps the compiled PDF reader ("" keeps nothing).
	DocumentMaxBytes int64
	DocumentMaxPages int
	DocumentTimeout  time.Duration
	DocumentWorkers  int
	DocumentCacheDir string
	APIKeyDailyLimit int
	APIKeyMaxPerUser int
	TrialDailyLimit  int
	TrustedProxies   []netip.Prefix
	SMTPURL          string
	MailFrom         string
	// RequireEmailVerification defaults to whether SMTP is configured.
	RequireEmailVerification bool
	SecureCookies            string // auto, true or false
	ChromiumPath             string
	// RenderConcurrency is the number of pages rendered at once; 0 means
	// one per core, from 2 to 8.
	RenderConcurrency int
	// RenderExecuteJavaScript allows the execute_javascript browser
	// action (off by default).
	RenderExecuteJavaScript bool
	// RenderLoadAllResources makes the browser load media, fonts and
	// images it would otherwise skip.
	RenderLoadAllResources bool
	UserAgent              string
	MaxJobsPerUser         int
	LogFormat              string // text or json
	LogLevel               string // debug, info, warn, error
	ShutdownTimeout        time.Duration
	// SlowRequest is the duration past which a request is logged at WARN;
	// 0 turns the line off.
	SlowRequest time.Duration
	// ExtractWorkers bounds pages extracted at once (0: GOMAXPROCS);
	// ExtractWait is how long a synchronous request's page waits for one.
	ExtractWorkers int
	ExtractWait    time.Duration
	// MaxSyncPerUser bounds one user's synchronous requests at once.
	MaxSyncPerUser int
	// Retention is how long finished jobs are kept; 0 keeps them forever.
	Retention time.Duration
	// BodyTimeout bounds the reading of one request body.
	BodyTimeout time.Duration
	// MaxConnections and MaxConnectionsPerClient bound open connections,
	// so that a flood of slow clients cannot use up file descriptors.
	MaxConnections          int
	MaxConnectionsPerClient int
	OAuth                   map[string]OAuthProvider
	// MaxCrawlPages caps an async crawl's page limit.
	MaxCrawlPages int
	// WebhookAttempts is how many times a webhook event is tried.
	WebhookAttempts int
	// FetchPerHostConcurrency and FetchPerHostDelay are the fetcher's
	// per-host politeness defaults (requests in flight, gap between starts).
	FetchPerHostConcurrency int
	FetchPerHostDelay       time.Duration
	// WorkerConcurrency bounds the async jobs one worker runs at once on
	// PostgreSQL (River's worker count).
	WorkerConcurrency int
	// DatabaseMaxConnections bounds the PostgreSQL connections of each of
	// the process's two pools (queries, and River's).
	DatabaseMaxConnections int
	// CrawlSpread is how many other workers a large async crawl may use
	// besides the one running it (PostgreSQL).
	CrawlSpread int
	// JobLease is how long a worker's claim on a job's pages lasts without
	// a heartbeat; it also paces how soon a dead worker's job is taken over.
	JobLease time.Duration
}

// OAuthProvider is one sign-in provider's client settings. The endpoint
// URLs default to the provider's own; tests point them at a local fake.
type OAuthProvider struct {
	ClientID, ClientSecret     string
	AuthURL, TokenURL, UserURL string
	EmailsURL                  string // GitHub only: the verified-emails endpoint
}

// Version is filled in by the binary so the default user agent names it.
var defaultVersion = "dev"

// setting is one row of the settings table: its environment variable, its
// flag, its default and how to parse it into a Config.
type setting struct {
	env, flag, def, usage string
	set                   func(c *Config, v string) error
}

func settings() []setting {
	return []setting{
		{"SPIDERGO_ADDR", "addr", ":8080", "listen address", func(c *Config, v string) error {
			if v == "" {
				return errors.New("must not be empty")
			}
			c.Addr = v
			return nil
		}},
		{"SPIDERGO_ADMIN_ADDR", "admin-addr", "", "admin listen address for /metrics and /debug/pprof/ (off when empty; keep it private, e.g. 127.0.0.1:9090)", func(c *Config, v string) error {
			if v == "" {
				c.AdminAddr = ""
				return nil
			}
			if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
				return errors.New("must be host:port or :port, e.g. 127.0.0.1:9090")
			}
			if v == c.Addr {
				return errors.New("must differ from SPIDERGO_ADDR: metrics and pprof are never served on the public address")
			}
			c.AdminAddr = v
			return nil
		}},
		{"SPIDERGO_DATABASE_URL", "database-url", "sqlite:spidergo.db", "sqlite:PATH or postgres://…", func(c *Config, v string) error {
			if !strings.HasPrefix(v, "sqlite:") && !strings.HasPrefix(v, "postgres://") && !strings.HasPrefix(v, "postgresql://") {
				return errors.New("must start with sqlite: or postgres://")
			}
			if v == "sqlite:" {
				return errors.New("sqlite: needs a file path, e.g. sqlite:spidergo.db")
			}
			c.DatabaseURL = v
			return nil
		}},
		{"SPIDERGO_REDIS_URL", "redis-url", "", "redis://…; enables Redis for quotas, limits and cache", func(c *Config, v string) error {
			if v != "" && !strings.HasPrefix(v, "redis://") && !strings.HasPrefix(v, "rediss://") {
				return errors.New("must start with redis:// or rediss://")
			}
			c.RedisURL = v
			return nil
		}},
		{"SPIDERGO_ROLE", "role", "all", "all, api or worker", func(c *Config, v string) error {
			switch v {
			case "all", "api", "worker":
				c.Role = v
				return nil
			}
			return errors.New("must be all, api or worker")
		}},
		{"SPIDERGO_BASE_URL", "base-url", "http://localhost:8080", "public URL of this server (links in mail, OAuth callbacks, user agent)", func(c *Config, v string) error {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return errors.New("must be an absolute http(s) URL")
			}
			c.BaseURL = strings.TrimRight(v, "/")
			return nil
		}},
		{"SPIDERGO_FETCH_ALLOW", "fetch-allow", "", "comma list of CIDRs or host:port the fetcher may reach despite the private-address block", func(c *Config, v string) error {
			c.FetchAllow = nil
			for _, e := range splitList(v) {
				if err := checkAllowEntry(e); err != nil {
					return fmt.Errorf("entry %q: %w", e, err)
				}
				c.FetchAllow = append(c.FetchAllow, e)
			}
			return nil
		}},
		{"SPIDERGO_FETCH_PORTS", "fetch-ports", "80,443,8080,8443", "comma list of ports the fetcher may connect to", func(c *Config, v string) error {
			c.FetchPorts = nil
			for _, e := range splitList(v) {
				p, err := strconv.Atoi(e)
				if err != nil || p < 1 || p > 65535 {
					return fmt.Errorf("port %q is not a number from 1 to 65535", e)
				}
				c.FetchPorts = append(c.FetchPorts, p)
			}
			return nil
		}},
		{"SPIDERGO_FETCH_MAX_BODY", "fetch-max-body", "10485760", "largest page body in bytes, after decompression", func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1024 {
				return errors.New("must be a whole number of bytes, at least 1024")
			}
			c.FetchMaxBody = n
			return nil
		}},
		{"SPIDERGO_DOCUMENTS", "documents", "true", "read PDF, DOCX and ODT pages into Markdown and text; false leaves them unsupported_content", func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return errors.New("must be true or false")
			}
			c.Documents = b
			return nil
		}},
		{"SPIDERGO_DOCUMENT_MAX_BYTES", "document-max-bytes", "52428800", "largest PDF, DOCX or ODT body in bytes, after decompression", func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1024 {
				return errors.New("must be a whole number of bytes, at least 1024")
			}
			c.DocumentMaxBytes = n
			return nil
		}},
		{"SPIDERGO_DOCUMENT_MAX_PAGES", "document-max-pages", "200", "pages of a PDF read; later pages are left out and the page lists markdown and text in Truncated", positiveInt(func(c *Config, n int) { c.DocumentMaxPages = n })},
		{"SPIDERGO_DOCUMENT_TIMEOUT", "document-timeout", "60s", "longest time spent reading one document; past it the page gets document_timeout", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return errors.New("must be a positive duration such as 60s")
			}
			c.DocumentTimeout = d
			return nil
		}},
		{"SPIDERGO_DOCUMENT_WORKERS", "document-workers", "", "documents read at once across all requests (default GOMAXPROCS); each PDF reader may use up to 256 MB", func(c *Config, v string) error {
			if v == "" {
				c.DocumentWorkers = 0
				return nil
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return errors.New("must be a whole number, 1 or more")
			}
			c.DocumentWorkers = n
			return nil
		}},
		{"SPIDERGO_DOCUMENT_CACHE_DIR", "document-cache-dir", "", "directory keeping the compiled PDF reader between restarts (the first PDF after a start otherwise compiles it, which takes seconds)", func(c *Config, v string) error {
			c.DocumentCacheDir = v
			return nil
		}},
		{"SPIDERGO_API_KEY_DAILY_LIMIT", "api-key-daily-limit", "1000", "requests per key per UTC day", positiveInt(func(c *Config, n int) { c.APIKeyDailyLimit = n })},
		{"SPIDERGO_API_KEY_MAX_PER_USER", "api-key-max-per-user", "3", "active keys per user", positiveInt(func(c *Config, n int) { c.APIKeyMaxPerUser = n })},
		{"SPIDERGO_TRIAL_DAILY_LIMIT", "trial-daily-limit", "3", "trial requests per client IP per day (0 turns trials off)", func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return errors.New("must be a whole number, 0 or more")
			}
			c.TrialDailyLimit = n
			return nil
		}},
		{"SPIDERGO_TRUSTED_PROXIES", "trusted-proxies", "", "comma list of CIDRs whose X-Forwarded-For is believed", func(c *Config, v string) error {
			c.TrustedProxies = nil
			for _, e := range splitList(v) {
				p, err := parsePrefix(e)
				if err != nil {
					return fmt.Errorf("entry %q is not a CIDR or IP address", e)
				}
				c.TrustedProxies = append(c.TrustedProxies, p)
			}
			return nil
		}},
		{"SPIDERGO_SMTP_URL", "smtp-url", "", "smtp://user:pass@host:port; without it mail goes to the log", func(c *Config, v string) error {
			if v != "" {
				u, err := url.Parse(v)
				if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
					return errors.New("must look like smtp://user:pass@host:port")
				}
			}
			c.SMTPURL = v
			return nil
		}},
		{"SPIDERGO_MAIL_FROM", "mail-from", "SpiderGo <no-reply@localhost>", "sender address of mail", func(c *Config, v string) error {
			c.MailFrom = v
			return nil
		}},
		{"SPIDERGO_REQUIRE_EMAIL_VERIFICATION", "require-email-verification", "", "on iff SMTP is set, unless given", func(c *Config, v string) error {
			if v == "" {
				c.RequireEmailVerification = c.SMTPURL != ""
				return nil
			}
			b, err := strconv.ParseBool(v)
			if err != nil {
				return errors.New("must be true or false")
			}
			c.RequireEmailVerification = b
			return nil
		}},
		{"SPIDERGO_SECURE_COOKIES", "secure-cookies", "auto", "auto (Secure when the request came over TLS), true or false", func(c *Config, v string) error {
			switch v {
			case "auto", "true", "false":
				c.SecureCookies = v
				return nil
			}
			return errors.New("must be auto, true or false")
		}},
		{"SPIDERGO_CHROMIUM_PATH", "chromium-path", "", "browser for render (default /usr/bin/chromium if present)", func(c *Config, v string) error {
			if v == "" {
				if _, err := os.Stat("/usr/bin/chromium"); err == nil {
					v = "/usr/bin/chromium"
				}
			}
			c.ChromiumPath = v
			return nil
		}},
		{"SPIDERGO_RENDER_CONCURRENCY", "render-concurrency", "", "pages rendered in the browser at once (default one per core, from 2 to 8)", func(c *Config, v string) error {
			c.RenderConcurrency = 0
			if v == "" {
				return nil
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 256 {
				return errors.New("must be a number from 1 to 256")
			}
			c.RenderConcurrency = n
			return nil
		}},
		{"SPIDERGO_RENDER_EXECUTE_JAVASCRIPT", "render-execute-javascript", "false", "allow the execute_javascript browser action: requests may run their own scripts in rendered pages", func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return errors.New("must be true or false")
			}
			c.RenderExecuteJavaScript = b
			return nil
		}},
		{"SPIDERGO_RENDER_LOAD_ALL_RESOURCES", "render-load-all-resources", "false", "load media, fonts and (without a screenshot) images in rendered pages instead of skipping them", func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return errors.New("must be true or false")
			}
			c.RenderLoadAllResources = b
			return nil
		}},
		{"SPIDERGO_USER_AGENT", "user-agent", "", "user agent of the fetcher (default SpiderGo/<version> (+<base url>))", func(c *Config, v string) error {
			if v == "" {
				v = "SpiderGo/" + defaultVersion + " (+" + c.BaseURL + ")"
			}
			c.UserAgent = v
			return nil
		}},
		{"SPIDERGO_MAX_JOBS_PER_USER", "max-jobs-per-user", "5", "crawl jobs one user may have running at once", positiveInt(func(c *Config, n int) { c.MaxJobsPerUser = n })},
		{"SPIDERGO_EXTRACT_WORKERS", "extract-workers", "", "pages extracted at once across all requests (default GOMAXPROCS)", func(c *Config, v string) error {
			if v == "" {
				c.ExtractWorkers = 0
				return nil
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return errors.New("must be a whole number, 1 or more")
			}
			c.ExtractWorkers = n
			return nil
		}},
		{"SPIDERGO_EXTRACT_WAIT", "extract-wait", "10s", "how long a synchronous request waits for an extract slot before a 503 server_busy", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return errors.New("must be a positive duration such as 10s")
			}
			c.ExtractWait = d
			return nil
		}},
		{"SPIDERGO_MAX_SYNC_PER_USER", "max-sync-per-user", "4", "synchronous requests (scrape, sync crawl, map) one user may have running at once; more get a 429", positiveInt(func(c *Config, n int) { c.MaxSyncPerUser = n })},
		{"SPIDERGO_RETENTION", "retention", "30d", "how long finished jobs and their pages are kept (e.g. 30d, 12h); 0 keeps them forever", func(c *Config, v string) error {
			d, err := parseRetention(v)
			if err != nil {
				return err
			}
			c.Retention = d
			return nil
		}},
		{"SPIDERGO_MAX_CRAWL_PAGES", "max-crawl-pages", "10000", "largest page limit of an async crawl", positiveInt(func(c *Config, n int) { c.MaxCrawlPages = n })},
		{"SPIDERGO_FETCH_PER_HOST_CONCURRENCY", "fetch-per-host-concurrency", "4", "requests in flight to one host, across all jobs (and all processes on Redis or PostgreSQL)", positiveInt(func(c *Config, n int) { c.FetchPerHostConcurrency = n })},
		{"SPIDERGO_FETCH_PER_HOST_DELAY", "fetch-per-host-delay", "0s", "least gap between two request starts to one host, fetched or rendered (across all processes on Redis or PostgreSQL); robots.txt Crawl-delay and a request's delay can only raise it", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return errors.New("must be a duration such as 250ms, 0s or more")
			}
			c.FetchPerHostDelay = d
			return nil
		}},
		{"SPIDERGO_WEBHOOK_ATTEMPTS", "webhook-attempts", "10", "times a webhook event is tried before it is given up (backoff 1 s doubling, at most 5 min between tries)", positiveInt(func(c *Config, n int) { c.WebhookAttempts = n })},
		{"SPIDERGO_DATABASE_MAX_CONNECTIONS", "database-max-connections", "32", "PostgreSQL connections each of a process's two pools (queries, River) may open", positiveInt(func(c *Config, n int) { c.DatabaseMaxConnections = n })},
		{"SPIDERGO_WORKER_CONCURRENCY", "worker-concurrency", "8", "async jobs one worker process runs at once (PostgreSQL)", positiveInt(func(c *Config, n int) { c.WorkerConcurrency = n })},
		{"SPIDERGO_CRAWL_SPREAD", "crawl-spread", "7", "how many other workers one large async crawl may use at once besides its own (PostgreSQL); 0 keeps each crawl on one worker", func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return errors.New("must be a whole number, 0 or more")
			}
			c.CrawlSpread = n
			return nil
		}},
		{"SPIDERGO_JOB_LEASE", "job-lease", "1m", "how long a worker's claim on a job's pages lasts without a heartbeat; on PostgreSQL a dead worker's job moves on after about 7 leases", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Second {
				return errors.New("must be a duration of 1s or more")
			}
			c.JobLease = d
			return nil
		}},
		{"SPIDERGO_LOG_FORMAT", "log-format", "text", "text or json", func(c *Config, v string) error {
			if v != "text" && v != "json" {
				return errors.New("must be text or json")
			}
			c.LogFormat = v
			return nil
		}},
		{"SPIDERGO_LOG_LEVEL", "log-level", "info", "debug, info, warn or error", func(c *Config, v string) error {
			switch v {
			case "debug", "info", "warn", "error":
				c.LogLevel = v
				return nil
			}
			return errors.New("must be debug, info, warn or error")
		}},
		{"SPIDERGO_BODY_TIMEOUT", "body-timeout", "30s", "how long a client may take to send a request body (408 past it)", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return errors.New("must be a positive duration such as 30s")
			}
			c.BodyTimeout = d
			return nil
		}},
		{"SPIDERGO_MAX_CONNECTIONS", "max-connections", "4096", "open connections the server keeps at once; more get a 503", positiveInt(func(c *Config, n int) { c.MaxConnections = n })},
		{"SPIDERGO_MAX_CONNECTIONS_PER_CLIENT", "max-connections-per-client", "64", "open connections one client address may keep (trusted proxies are not counted); more get a 503", positiveInt(func(c *Config, n int) { c.MaxConnectionsPerClient = n })},
		{"SPIDERGO_SLOW_REQUEST", "slow-request", "5s", "requests slower than this are logged at WARN (0 turns it off)", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return errors.New("must be a duration such as 5s, or 0 to turn it off")
			}
			c.SlowRequest = d
			return nil
		}},
		{"SPIDERGO_SHUTDOWN_TIMEOUT", "shutdown-timeout", "20s", "how long in-flight requests may run after a stop signal", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return errors.New("must be a positive duration such as 20s")
			}
			c.ShutdownTimeout = d
			return nil
		}},
	}
}

// Load builds a Config from the environment (getenv) and args, the serve
// command's flags. Flags win over the environment. The error names the
// setting and what is wrong with it, in one line.
func Load(args []string, getenv func(string) string, stderr io.Writer) (*Config, error) {
	table := settings()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	given := map[string]string{}
	for _, s := range table {
		help := s.usage + " (" + s.env
		if s.def != "" {
			help += ", default " + s.def
		}
		fs.Func(s.flag, help+")", func(v string) error {
			given[s.flag] = v
			return nil
		})
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	c := &Config{OAuth: map[string]OAuthProvider{}}
	// The table is ordered so that settings read by later defaults (base URL
	// before user agent, SMTP before verification) are set first.
	for _, s := range table {
		v, source := s.def, ""
		if e, ok := lookup(getenv, s.env); ok {
			v, source = e, s.env
		}
		if f, ok := given[s.flag]; ok {
			v, source = f, "--"+s.flag
		}
		if err := s.set(c, strings.TrimSpace(v)); err != nil {
			if source == "" {
				source = s.env
			}
			return nil, fmt.Errorf("invalid %s: %v", source, err)
		}
	}
	loadOAuth(c, getenv)
	return c, nil
}

// SetVersion makes the default user agent name the running release.
func SetVersion(v string) { defaultVersion = v }

func lookup(getenv func(string) string, name string) (string, bool) {
	v := getenv(name)
	return v, v != ""
}

// loadOAuth reads SPIDERGO_OAUTH_<PROVIDER>_{CLIENT_ID,CLIENT_SECRET,AUTH_URL,TOKEN_URL,USER_URL,EMAILS_URL}.
// A provider is enabled when its client id is set.
func loadOAuth(c *Config, getenv func(string) string) {
	defaults := map[string]OAuthProvider{
		"google": {
			AuthURL:  "https://accounts.google.com/o/oauth2/v2/auth",
			TokenURL: "https://oauth2.googleapis.com/token",
			UserURL:  "https://openidconnect.googleapis.com/v1/userinfo",
		},
		"github": {
			AuthURL:   "https://github.com/login/oauth/authorize",
			TokenURL:  "https://github.com/login/oauth/access_token",
			UserURL:   "https://api.github.com/user",
			EmailsURL: "https://api.github.com/user/emails",
		},
	}
	for name, p := range defaults {
		prefix := "SPIDERGO_OAUTH_" + strings.ToUpper(name) + "_"
		p.ClientID = getenv(prefix + "CLIENT_ID")
		if p.ClientID == "" {
			continue
		}
		p.ClientSecret = getenv(prefix + "CLIENT_SECRET")
		for env, field := range map[string]*string{"AUTH_URL": &p.AuthURL, "TOKEN_URL": &p.TokenURL, "USER_URL": &p.UserURL, "EMAILS_URL": &p.EmailsURL} {
			if v := getenv(prefix + env); v != "" {
				*field = v
			}
		}
		c.OAuth[name] = p
	}
}

func positiveInt(set func(*Config, int)) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return errors.New("must be a whole number, 1 or more")
		}
		set(c, n)
		return nil
	}
}

// parseRetention reads a retention period: a Go duration (12h), a number
// of days (30d) or 0 for forever.
func parseRetention(v string) (time.Duration, error) {
	bad := errors.New("must be 0 (keep forever), a number of days such as 30d, or a duration such as 12h")
	if v == "0" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 100*365 {
			return 0, bad
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, bad
	}
	if d > 0 && d < time.Hour {
		return 0, errors.New("must be at least 1h (or 0 to keep jobs forever)")
	}
	return d, nil
}

func splitList(v string) []string {
	var out []string
	for _, e := range strings.Split(v, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// checkAllowEntry accepts a CIDR, a bare IP, or host:port.
func checkAllowEntry(e string) error {
	if _, err := parsePrefix(e); err == nil {
		return nil
	}
	host, port, err := splitHostPort(e)
	if err != nil || host == "" {
		return errors.New("want a CIDR (10.0.0.0/8) or host:port (127.0.0.1:9000)")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return errors.New("port must be a number from 1 to 65535")
	}
	return nil
}

func splitHostPort(e string) (string, string, error) {
	i := strings.LastIndex(e, ":")
	if i < 0 {
		return "", "", errors.New("no port")
	}
	return strings.Trim(e[:i], "[]"), e[i+1:], nil
}
