package render

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
)

// startTimeout bounds a browser start; healthTimeout bounds the check that
// decides whether a browser that failed a page must be restarted.
const (
	startTimeout  = 30 * time.Second
	healthTimeout = 3 * time.Second
)

// Browser renders pages in one headless Chromium process, restarted when it
// crashes or hangs. It is safe for concurrent use; build one per process
// with New and Close it on shutdown.
type Browser struct {
	cfg   Config
	path  string
	guard Guard
	slots *slots
	proxy *proxy

	mu     sync.Mutex // guards inst and closed; held while a browser starts
	inst   *instance
	closed bool

	starts   atomic.Int64
	restarts atomic.Int64
	rendered atomic.Int64
	failed   atomic.Int64
}

// instance is one running browser process.
type instance struct {
	ctx       context.Context // the chromedp browser context
	cancel    context.CancelFunc
	cancelAll context.CancelFunc // the allocator: stops the process
	userAgent string
	gone      atomic.Bool
}

// New checks cfg and that Chromium is installed, and starts the browser's
// guarded proxy. The browser process itself starts with the first render.
// When Chromium is missing the error is an *Error of kind KindNotInstalled
// that wraps ErrNotInstalled.
func New(cfg Config, g Guard) (*Browser, error) {
	if g == nil {
		return nil, errors.New("render: a Guard (the fetcher) is required")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	path, err := FindChromium(cfg.ChromiumPath)
	if err != nil {
		return nil, newError(KindNotInstalled, "", err)
	}
	p, err := startProxy(g)
	if err != nil {
		return nil, err
	}
	return &Browser{cfg: cfg, path: path, guard: g, slots: newSlots(cfg.Concurrency), proxy: p}, nil
}

// Path is the Chromium binary in use.
func (b *Browser) Path() string { return b.path }

// ExecutesJavaScript reports whether the execute_javascript action is
// allowed (Config.ExecuteJavaScript).
func (b *Browser) ExecutesJavaScript() bool { return b.cfg.ExecuteJavaScript }

// Status is the renderer's state, for /readyz and metrics.
type Status struct {
	Path        string `json:"path"`
	Running     bool   `json:"running"` // a browser process is up
	Concurrency int    `json:"concurrency"`
	Busy        int    `json:"busy"`    // tabs rendering now
	Waiting     int    `json:"waiting"` // renders queued for a tab
	Starts      int64  `json:"starts"`
	Restarts    int64  `json:"restarts"` // starts after a crash or hang
	Rendered    int64  `json:"rendered"`
	Failed      int64  `json:"failed"`
	Refused     int64  `json:"refused"` // connections the guard refused at the proxy
}

// Status reports the renderer's state.
func (b *Browser) Status() Status {
	busy, waiting := b.slots.stats(b.cfg.Concurrency)
	b.mu.Lock()
	running := b.inst != nil && !b.inst.gone.Load() && b.inst.ctx.Err() == nil
	b.mu.Unlock()
	return Status{
		Path: b.path, Running: running, Concurrency: b.cfg.Concurrency,
		Busy: busy, Waiting: waiting,
		Starts: b.starts.Load(), Restarts: b.restarts.Load(),
		Rendered: b.rendered.Load(), Failed: b.failed.Load(),
		Refused: b.proxy.refused.Load(),
	}
}

// Close stops the browser and the proxy. Renders in progress fail.
func (b *Browser) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	inst := b.inst
	b.inst = nil
	b.mu.Unlock()
	if inst != nil {
		inst.stop()
	}
	return b.proxy.close()
}

// debugf receives chromedp's own messages, which concern tabs closed at
// their deadline and the like: worth seeing when debugging only.
func (b *Browser) debugf(format string, args ...any) {
	if b.cfg.Debugf != nil {
		b.cfg.Debugf(format, args...)
	}
}

func (b *Browser) logf(format string, args ...any) {
	if b.cfg.Logf != nil {
		b.cfg.Logf(format, args...)
	}
}

// flags returns Chromium's command line for a closed network, with every
// request sent to the guarded proxy.
func (b *Browser) flags() []chromedp.ExecAllocatorOption {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(b.path),
		chromedp.Headless,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-crash-reporter", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("safebrowsing-disable-auto-update", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-notifications", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-hang-monitor", true),
		chromedp.Flag("disable-ipc-flooding-protection", true),
		chromedp.Flag("disable-popup-blocking", false),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,InterestFeedContentSuggestions,CalculateNativeWinOcclusion,AutofillServerCommunication,CertificateTransparencyComponentUpdater,DnsOverHttps,NetworkTimeServiceQuerying"),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("no-service-autorun", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.WindowSize(1280, 800),
		// Everything goes through the guarded proxy, loopback included,
		// and the browser resolves no name itself (the proxy does, and the
		// guard checks the answer).
		chromedp.ProxyServer("http://" + b.proxy.addr()),
		chromedp.Flag("proxy-bypass-list", "<-loopback>"),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"),
		// WebRTC may not send UDP outside the proxy (there is no UDP
		// through an HTTP proxy, so none at all), so ICE cannot reach
		// private addresses.
		chromedp.Flag("force-webrtc-ip-handling-policy", "disable_non_proxied_udp"),
		chromedp.Flag("webrtc-ip-handling-policy", "disable_non_proxied_udp"),
	}
	if os.Getuid() == 0 {
		// Chromium's sandbox needs user namespaces it cannot have as root.
		opts = append(opts, chromedp.NoSandbox)
	}
	for _, f := range b.cfg.ExtraFlags {
		name, value, hasValue := strings.Cut(strings.TrimLeft(f, "-"), "=")
		if hasValue {
			opts = append(opts, chromedp.Flag(name, value))
		} else {
			opts = append(opts, chromedp.Flag(name, true))
		}
	}
	return opts
}

// instance returns the running browser, starting one when there is none
// or the last one died.
func (b *Browser) instance(ctx context.Context) (*instance, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, newError(KindRenderError, "", ErrClosed)
	}
	if b.inst != nil && !b.inst.gone.Load() && b.inst.ctx.Err() == nil {
		return b.inst, nil
	}
	if b.inst != nil {
		old := b.inst
		b.inst = nil
		go old.stop()
		b.restarts.Add(1)
		b.logf("render: restarting the browser")
	}
	inst, err := b.start(ctx)
	if err != nil {
		return nil, err
	}
	b.inst = inst
	return inst, nil
}

// start launches a browser process and waits until it answers.
func (b *Browser) start(ctx context.Context) (*instance, error) {
	allocCtx, cancelAll := chromedp.NewExecAllocator(context.Background(), b.flags()...)
	bctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithErrorf(b.debugf), chromedp.WithLogf(b.debugf))
	inst := &instance{ctx: bctx, cancel: cancel, cancelAll: cancelAll}
	type started struct {
		ua  string
		err error
	}
	done := make(chan started, 1)
	go func() {
		// The first Do binds the browser's life to bctx, which has no
		// deadline; the wait below bounds the start instead.
		if err := chromedp.Do(bctx); err != nil {
			done <- started{err: err}
			return
		}
		v, err := chromedp.CallBrowser(bctx, browser.GetVersion, cdp.Empty{})
		if err == nil {
			// Downloads are refused in the default context too.
			_, err = chromedp.CallBrowser(bctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{Behavior: browser.SetDownloadBehaviorBehaviorDeny})
		}
		done <- started{ua: v.UserAgent, err: err}
	}()
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	var res started
	select {
	case res = <-done:
	case <-timer.C:
		res.err = fmt.Errorf("the browser did not answer within %s", startTimeout)
	case <-ctx.Done():
		res.err = ctx.Err()
	}
	if res.err != nil {
		inst.stop()
		if ctx.Err() != nil {
			return nil, newError(KindCanceled, "", ctx.Err())
		}
		return nil, newError(KindRenderError, "", fmt.Errorf("starting %s: %w", b.path, res.err))
	}
	inst.userAgent = res.ua
	b.starts.Add(1)
	b.logf("render: browser started (%s, %d tabs)", b.path, b.cfg.Concurrency)
	return inst, nil
}

// stop ends the browser process and waits for it.
func (i *instance) stop() {
	i.gone.Store(true)
	i.cancel()
	i.cancelAll()
}

// healthy reports whether the browser still answers.
func (i *instance) healthy() bool {
	if i.gone.Load() || i.ctx.Err() != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(i.ctx, healthTimeout)
	defer cancel()
	_, err := chromedp.CallBrowser(ctx, browser.GetVersion, cdp.Empty{})
	return err == nil
}

// retire marks inst for a restart when it has died or stopped answering;
// the next render starts a new browser.
func (b *Browser) retire(inst *instance, why error) {
	if inst.healthy() {
		return
	}
	b.mu.Lock()
	if b.inst == inst {
		b.inst = nil
		b.restarts.Add(1)
	}
	b.mu.Unlock()
	b.logf("render: the browser failed (%v); it will be restarted", why)
	go inst.stop()
}
