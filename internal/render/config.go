package render

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spidergo/spidergo/internal/fetch"
)

// Defaults for the zero values of Config.
const (
	DefaultChromiumPath       = "/usr/bin/chromium"
	DefaultPageTimeout        = 30 * time.Second
	DefaultMaxWait            = 10 * time.Second
	DefaultIdleWait           = 2 * time.Second
	DefaultMaxActions         = 50
	DefaultMaxScrolls         = 20
	DefaultMaxScreenshotBytes = 10 << 20
	DefaultMaxHTMLBytes       = 10 << 20
	DefaultMaxPageHeight      = 16384
)

// Config configures a Browser. The zero value is usable: every zero field
// takes the default named beside it.
type Config struct {
	// ChromiumPath is the browser binary (SPIDERGO_CHROMIUM_PATH). Empty
	// means DefaultChromiumPath when it exists, else chromium,
	// chromium-browser, google-chrome-stable or google-chrome on PATH.
	ChromiumPath string
	// Concurrency is the number of pages rendered at once
	// (SPIDERGO_RENDER_CONCURRENCY); 0 means DefaultConcurrency().
	Concurrency int
	// PageTimeout bounds one render, queueing for a tab excluded
	// (DefaultPageTimeout); Request.Timeout can only shorten it.
	PageTimeout time.Duration
	// MaxWait caps wait_for, wait_for_ms and each wait action
	// (DefaultMaxWait).
	MaxWait time.Duration
	// IdleWait caps the wait for the network to go quiet after the load
	// event (DefaultIdleWait); negative disables it.
	IdleWait time.Duration
	// MaxActions caps the number of actions of one request
	// (DefaultMaxActions).
	MaxActions int
	// MaxScrolls caps the steps of a scroll to the bottom
	// (DefaultMaxScrolls).
	MaxScrolls int
	// MaxScreenshotBytes caps one PNG (DefaultMaxScreenshotBytes).
	MaxScreenshotBytes int
	// MaxHTMLBytes caps the rendered DOM (DefaultMaxHTMLBytes).
	MaxHTMLBytes int
	// MaxPageHeight caps the height of a full-page screenshot in CSS
	// pixels (DefaultMaxPageHeight).
	MaxPageHeight int
	// ExecuteJavaScript allows the execute_javascript action
	// (SPIDERGO_RENDER_EXECUTE_JAVASCRIPT); off, the action fails. What a
	// script makes the page fetch goes through the address guard like all
	// of the browser's traffic.
	ExecuteJavaScript bool
	// LoadAllResources turns off the default skipping of media and fonts
	// (and of images when no screenshot is asked), which saves time and
	// memory without changing the DOM.
	LoadAllResources bool
	// Limiter, when set, holds each page's host for the whole render
	// under the per-host limits HTTP fetches use: pass the limiter given
	// to fetch.Config.Limiter so browser and HTTP traffic share them.
	Limiter fetch.HostLimiter
	// UserAgent, when set, replaces Chromium's own on desktop pages.
	UserAgent string
	// ExtraFlags are added to Chromium's command line ("name" or
	// "name=value", without the leading dashes). Tests and unusual hosts
	// only; the safety flags cannot be removed this way.
	ExtraFlags []string
	// Logf, when set, receives the browser's start, crash and restart
	// messages.
	Logf func(format string, args ...any)
	// Debugf, when set, receives the DevTools client's own messages.
	Debugf func(format string, args ...any)
}

// DefaultConcurrency is the number of tabs used when Config.Concurrency is
// 0: one per core, at least 2 and at most 8. A tab costs roughly 50-150 MB
// of memory and keeps a core busy while scripts run.
func DefaultConcurrency() int {
	return min(max(runtime.NumCPU(), 2), 8)
}

// FindChromium returns the browser binary New would use for path (an
// explicit path, or "" for the defaults), or an error wrapping
// ErrNotInstalled. The server uses it to report the renderer's state.
func FindChromium(path string) (string, error) {
	if path != "" {
		if p, err := exec.LookPath(path); err == nil {
			return p, nil
		}
		return "", fmt.Errorf("%w: %s is not an executable file", ErrNotInstalled, path)
	}
	if st, err := os.Stat(DefaultChromiumPath); err == nil && !st.IsDir() {
		return DefaultChromiumPath, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: no %s and no chromium on PATH (install Debian's chromium package or set SPIDERGO_CHROMIUM_PATH)", ErrNotInstalled, DefaultChromiumPath)
}

// Available reports whether a browser can be found for cfg, with the error
// that explains why not.
func Available(cfg Config) error {
	_, err := FindChromium(cfg.ChromiumPath)
	return err
}

// ConfigFromEnv reads SPIDERGO_CHROMIUM_PATH and
// SPIDERGO_RENDER_CONCURRENCY through getenv (os.Getenv in production).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	var cfg Config
	cfg.ChromiumPath = strings.TrimSpace(getenv("SPIDERGO_CHROMIUM_PATH"))
	if v := strings.TrimSpace(getenv("SPIDERGO_RENDER_CONCURRENCY")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 256 {
			return cfg, fmt.Errorf("SPIDERGO_RENDER_CONCURRENCY=%q: want a number from 1 to 256", v)
		}
		cfg.Concurrency = n
	}
	if v := strings.TrimSpace(getenv("SPIDERGO_RENDER_EXECUTE_JAVASCRIPT")); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return cfg, fmt.Errorf("SPIDERGO_RENDER_EXECUTE_JAVASCRIPT=%q: want true or false", v)
		}
		cfg.ExecuteJavaScript = b
	}
	if v := strings.TrimSpace(getenv("SPIDERGO_RENDER_LOAD_ALL_RESOURCES")); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return cfg, fmt.Errorf("SPIDERGO_RENDER_LOAD_ALL_RESOURCES=%q: want true or false", v)
		}
		cfg.LoadAllResources = b
	}
	return cfg, nil
}

func (cfg Config) withDefaults() (Config, error) {
	if cfg.Concurrency < 0 {
		return cfg, errors.New("render: Concurrency must not be negative")
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = DefaultConcurrency()
	}
	durations := []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"PageTimeout", &cfg.PageTimeout, DefaultPageTimeout},
		{"MaxWait", &cfg.MaxWait, DefaultMaxWait},
	}
	for _, d := range durations {
		if *d.v < 0 {
			return cfg, fmt.Errorf("render: %s must not be negative", d.name)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if cfg.IdleWait == 0 {
		cfg.IdleWait = DefaultIdleWait
	}
	ints := []struct {
		name string
		v    *int
		def  int
	}{
		{"MaxActions", &cfg.MaxActions, DefaultMaxActions},
		{"MaxScrolls", &cfg.MaxScrolls, DefaultMaxScrolls},
		{"MaxScreenshotBytes", &cfg.MaxScreenshotBytes, DefaultMaxScreenshotBytes},
		{"MaxHTMLBytes", &cfg.MaxHTMLBytes, DefaultMaxHTMLBytes},
		{"MaxPageHeight", &cfg.MaxPageHeight, DefaultMaxPageHeight},
	}
	for _, d := range ints {
		if *d.v < 0 {
			return cfg, fmt.Errorf("render: %s must not be negative", d.name)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if strings.ContainsAny(cfg.UserAgent, "\r\n") {
		return cfg, errors.New("render: UserAgent must be a single line")
	}
	return cfg, nil
}
