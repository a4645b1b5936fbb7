package config

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func TestDefaults(t *testing.T) {
	c, err := Load(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Addr", c.Addr, ":8080"},
		{"DatabaseURL", c.DatabaseURL, "sqlite:spidergo.db"},
		{"Role", c.Role, "all"},
		{"APIKeyDailyLimit", c.APIKeyDailyLimit, 1000},
		{"APIKeyMaxPerUser", c.APIKeyMaxPerUser, 3},
		{"TrialDailyLimit", c.TrialDailyLimit, 3},
		{"SecureCookies", c.SecureCookies, "auto"},
		{"RequireEmailVerification", c.RequireEmailVerification, false},
		{"FetchMaxBody", c.FetchMaxBody, int64(10 << 20)},
		{"UserAgent", c.UserAgent, "SpiderGo/dev (+http://localhost:8080)"},
		{"LogFormat", c.LogFormat, "text"},
		{"AdminAddr", c.AdminAddr, ""},
		{"SlowRequest", c.SlowRequest, 5 * time.Second},
		{"ExtractWorkers", c.ExtractWorkers, 0},
		{"ExtractWait", c.ExtractWait, 10 * time.Second},
		{"MaxSyncPerUser", c.MaxSyncPerUser, 4},
		{"Retention", c.Retention, 30 * 24 * time.Hour},
		{"MaxCrawlPages", c.MaxCrawlPages, 10000},
		{"FetchPerHostConcurrency", c.FetchPerHostConcurrency, 4},
		{"FetchPerHostDelay", c.FetchPerHostDelay, time.Duration(0)},
		{"WorkerConcurrency", c.WorkerConcurrency, 8},
		{"CrawlSpread", c.CrawlSpread, 7},
		{"JobLease", c.JobLease, time.Minute},
	}
	for _, tt := range checks {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	if len(c.FetchPorts) != 4 {
		t.Errorf("FetchPorts = %v", c.FetchPorts)
	}
}

func TestEnvAndFlags(t *testing.T) {
	env := map[string]string{
		"SPIDERGO_ADDR":                   ":9000",
		"SPIDERGO_API_KEY_DAILY_LIMIT":    "50",
		"SPIDERGO_SMTP_URL":               "smtp://u:p@mail.example:25",
		"SPIDERGO_FETCH_ALLOW":            "127.0.0.1:9000, 10.0.0.0/8",
		"SPIDERGO_TRUSTED_PROXIES":        "192.168.0.1",
		"SPIDERGO_OAUTH_GITHUB_CLIENT_ID": "id",
	}
	c, err := Load([]string{"--addr", ":7000", "--log-format=json"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":7000" {
		t.Errorf("flag must win over env: Addr = %q", c.Addr)
	}
	if c.APIKeyDailyLimit != 50 || c.LogFormat != "json" {
		t.Errorf("env/flag not applied: %+v", c)
	}
	if c, err := Load([]string{"--admin-addr", "127.0.0.1:9090", "--slow-request", "0"}, func(string) string { return "" }, io.Discard); err != nil || c.AdminAddr != "127.0.0.1:9090" || c.SlowRequest != 0 {
		t.Errorf("--admin-addr and --slow-request not applied: %v, %+v", err, c)
	}
	if !c.RequireEmailVerification {
		t.Error("verification must default to on when SMTP is set")
	}
	if len(c.FetchAllow) != 2 || len(c.TrustedProxies) != 1 || c.TrustedProxies[0].Bits() != 32 {
		t.Errorf("lists: allow %v proxies %v", c.FetchAllow, c.TrustedProxies)
	}
	if p, ok := c.OAuth["github"]; !ok || p.UserURL == "" {
		t.Errorf("github OAuth not enabled with defaults: %+v", c.OAuth)
	}
	if _, ok := c.OAuth["google"]; ok {
		t.Error("google OAuth enabled without a client id")
	}
}

func TestRenderSettings(t *testing.T) {
	env := map[string]string{"SPIDERGO_RENDER_CONCURRENCY": "3", "SPIDERGO_CHROMIUM_PATH": "/opt/chromium/chrome"}
	c, err := Load(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.RenderConcurrency != 3 || c.ChromiumPath != "/opt/chromium/chrome" {
		t.Errorf("RenderConcurrency %d, ChromiumPath %q", c.RenderConcurrency, c.ChromiumPath)
	}
	if c, err = Load([]string{"--render-concurrency=5"}, func(k string) string { return env[k] }, io.Discard); err != nil || c.RenderConcurrency != 5 {
		t.Errorf("flag: %v, %d", err, c.RenderConcurrency)
	}
	if c, _ = Load(nil, func(string) string { return "" }, io.Discard); c.RenderLoadAllResources {
		t.Error("rendered pages load every resource by default")
	}
	if c, err = Load([]string{"--render-load-all-resources=true"}, func(string) string { return "" }, io.Discard); err != nil || !c.RenderLoadAllResources {
		t.Errorf("--render-load-all-resources: %v, %v", err, c.RenderLoadAllResources)
	}
	if _, err = Load(nil, func(k string) string { return map[string]string{"SPIDERGO_RENDER_LOAD_ALL_RESOURCES": "sometimes"}[k] }, io.Discard); err == nil {
		t.Error("a bad SPIDERGO_RENDER_LOAD_ALL_RESOURCES was accepted")
	}
	if c, _ = Load(nil, func(string) string { return "" }, io.Discard); c.RenderConcurrency != 0 {
		t.Errorf("default RenderConcurrency = %d, want 0 (from the cores)", c.RenderConcurrency)
	}
}

func TestInvalid(t *testing.T) {
	tests := []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"SPIDERGO_API_KEY_DAILY_LIMIT": "lots"}, nil, "invalid SPIDERGO_API_KEY_DAILY_LIMIT"},
		{nil, []string{"--api-key-max-per-user", "0"}, "invalid --api-key-max-per-user"},
		{map[string]string{"SPIDERGO_DATABASE_URL": "mysql://x"}, nil, "invalid SPIDERGO_DATABASE_URL"},
		{map[string]string{"SPIDERGO_ROLE": "boss"}, nil, "must be all, api or worker"},
		{map[string]string{"SPIDERGO_FETCH_ALLOW": "nonsense"}, nil, `entry "nonsense"`},
		{map[string]string{"SPIDERGO_FETCH_ALLOW": "127.0.0.1:99999"}, nil, "port must be"},
		{map[string]string{"SPIDERGO_TRUSTED_PROXIES": "10.0.0.0/99"}, nil, "not a CIDR"},
		{map[string]string{"SPIDERGO_REDIS_URL": "localhost:6379"}, nil, "redis://"},
		{map[string]string{"SPIDERGO_SECURE_COOKIES": "maybe"}, nil, "auto, true or false"},
		{map[string]string{"SPIDERGO_TRIAL_DAILY_LIMIT": "-1"}, nil, "0 or more"},
		{map[string]string{"SPIDERGO_ADMIN_ADDR": "9090"}, nil, "invalid SPIDERGO_ADMIN_ADDR: must be host:port"},
		{map[string]string{"SPIDERGO_ADDR": ":9090", "SPIDERGO_ADMIN_ADDR": ":9090"}, nil, "must differ from SPIDERGO_ADDR"},
		{nil, []string{"--admin-addr", ":8080"}, "invalid --admin-addr: must differ"},
		{map[string]string{"SPIDERGO_SLOW_REQUEST": "-1s"}, nil, "invalid SPIDERGO_SLOW_REQUEST"},
		{map[string]string{"SPIDERGO_SLOW_REQUEST": "slow"}, nil, "invalid SPIDERGO_SLOW_REQUEST"},
		{map[string]string{"SPIDERGO_RENDER_CONCURRENCY": "0"}, nil, "invalid SPIDERGO_RENDER_CONCURRENCY"},
		{nil, []string{"--render-concurrency", "many"}, "invalid --render-concurrency"},
		{nil, []string{"extra"}, "unexpected argument"},
		{nil, []string{"--no-such-flag"}, "not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := Load(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is more than one line: %q", err)
			}
		})
	}
}

func TestHelpShowsDefaults(t *testing.T) {
	var out strings.Builder
	_, err := Load([]string{"--help"}, func(string) string { return "" }, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("Load(--help) = %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{"(SPIDERGO_ADDR, default :8080)", "(SPIDERGO_BODY_TIMEOUT, default 30s)", "(SPIDERGO_REDIS_URL)", "(SPIDERGO_RENDER_CONCURRENCY)", "(SPIDERGO_CHROMIUM_PATH)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

func TestLimits(t *testing.T) {
	tests := []struct {
		env, value string
		ok         bool
		check      func(c *Config) bool
	}{
		{"SPIDERGO_RETENTION", "0", true, func(c *Config) bool { return c.Retention == 0 }},
		{"SPIDERGO_RETENTION", "7d", true, func(c *Config) bool { return c.Retention == 7*24*time.Hour }},
		{"SPIDERGO_RETENTION", "36h", true, func(c *Config) bool { return c.Retention == 36*time.Hour }},
		{"SPIDERGO_RETENTION", "5m", false, nil},
		{"SPIDERGO_RETENTION", "-1d", false, nil},
		{"SPIDERGO_RETENTION", "forever", false, nil},
		{"SPIDERGO_EXTRACT_WORKERS", "3", true, func(c *Config) bool { return c.ExtractWorkers == 3 }},
		{"SPIDERGO_EXTRACT_WORKERS", "0", false, nil},
		{"SPIDERGO_EXTRACT_WAIT", "250ms", true, func(c *Config) bool { return c.ExtractWait == 250*time.Millisecond }},
		{"SPIDERGO_EXTRACT_WAIT", "0s", false, nil},
		{"SPIDERGO_MAX_SYNC_PER_USER", "1", true, func(c *Config) bool { return c.MaxSyncPerUser == 1 }},
		{"SPIDERGO_MAX_SYNC_PER_USER", "0", false, nil},
		{"SPIDERGO_CRAWL_SPREAD", "0", true, func(c *Config) bool { return c.CrawlSpread == 0 }},
		{"SPIDERGO_CRAWL_SPREAD", "3", true, func(c *Config) bool { return c.CrawlSpread == 3 }},
		{"SPIDERGO_CRAWL_SPREAD", "-1", false, nil},
		{"SPIDERGO_CRAWL_SPREAD", "many", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.env+"="+tt.value, func(t *testing.T) {
			c, err := Load(nil, func(k string) string {
				if k == tt.env {
					return tt.value
				}
				return ""
			}, io.Discard)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok %v", err, tt.ok)
			}
			if err != nil && !strings.Contains(err.Error(), tt.env) {
				t.Errorf("error %q does not name %s", err, tt.env)
			}
			if tt.check != nil && !tt.check(c) {
				t.Errorf("not applied: %+v", c)
			}
		})
	}
}
