package render

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdpfetch "github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/inspector"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"golang.org/x/net/http/httpguts"

	"github.com/spidergo/spidergo/internal/fetch"
)

// Viewports. A desktop page is 1280×800 CSS pixels; a mobile one 390×844,
// touch enabled. Both at a device scale factor of 1, so a screenshot's
// pixels are CSS pixels.
const (
	desktopWidth, desktopHeight = 1280, 800
	mobileWidth, mobileHeight   = 390, 844
)

// quietFor is how long the network must be idle after the load event
// before the page counts as settled.
const quietFor = 300 * time.Millisecond

// noWebRTC runs before any script of every document of the page: pages get
// no way to start ICE at all (the command-line policy already keeps UDP
// off; this closes the API).
const noWebRTC = `(() => {
  for (const n of ["RTCPeerConnection", "webkitRTCPeerConnection", "RTCDataChannel", "RTCIceCandidate", "RTCSessionDescription"]) {
    try { Object.defineProperty(window, n, {value: undefined, configurable: false, writable: false}); } catch (e) {}
  }
})();`

// serializeDOM returns the document with its doctype.
const serializeDOM = `(() => {
  const d = document.doctype;
  return (d ? new XMLSerializer().serializeToString(d) + "\n" : "") + (document.documentElement ? document.documentElement.outerHTML : "");
})()`

var (
	errDeadline = errors.New("the page did not finish within its deadline")
	errCrashed  = errors.New("the tab crashed")
)

// refusedHeaders are the headers a caller may not set: the browser owns the
// connection, the host and the encoding, as the fetcher does.
var refusedHeaders = map[string]bool{
	"Host": true, "Connection": true, "Keep-Alive": true, "Proxy-Connection": true,
	"Proxy-Authenticate": true, "Proxy-Authorization": true, "Te": true, "Trailer": true,
	"Transfer-Encoding": true, "Upgrade": true, "Content-Length": true, "Accept-Encoding": true,
}

// validate checks the request's options, puts its header names in
// canonical form and returns the normalized URL.
func (b *Browser) validate(req *Request) (*url.URL, error) {
	u, err := b.guard.Check(req.URL)
	if err != nil {
		return nil, err
	}
	invalid := func(format string, args ...any) error {
		return newError(KindInvalidRequest, u.String(), fmt.Errorf(format, args...))
	}
	if req.Wait < 0 || req.Timeout < 0 {
		return nil, invalid("negative wait or timeout")
	}
	if len(req.Header) > 0 {
		hdr := make(http.Header, len(req.Header))
		for name, values := range req.Header {
			canon := textproto.CanonicalMIMEHeaderKey(name)
			if !httpguts.ValidHeaderFieldName(name) || refusedHeaders[canon] {
				return nil, invalid("header %q may not be set", name)
			}
			for _, v := range values {
				if !httpguts.ValidHeaderFieldValue(v) {
					return nil, invalid("invalid value for header %q", canon)
				}
				hdr.Add(canon, v)
			}
		}
		req.Header = hdr
	}
	if len(req.Actions) > b.cfg.MaxActions {
		return nil, invalid("%d actions, at most %d are allowed", len(req.Actions), b.cfg.MaxActions)
	}
	for i, a := range req.Actions {
		bad := func(why string) error { return invalid("action %d (%s): %s", i, a.Type, why) }
		switch a.Type {
		case ActionWait:
			if a.Milliseconds <= 0 && a.Selector == "" {
				return nil, bad("needs milliseconds or a selector")
			}
		case ActionClick:
			if a.Selector == "" {
				return nil, bad("needs a selector")
			}
		case ActionWrite:
			if a.Text == "" {
				return nil, bad("needs text")
			}
		case ActionPress:
			if _, ok := keyFor(a.Key); !ok {
				return nil, bad(fmt.Sprintf("unknown key %q", a.Key))
			}
		case ActionScroll:
			switch a.Direction {
			case "", "down", "up", "bottom":
			default:
				return nil, bad(`direction must be "up", "down" or "bottom"`)
			}
			if a.Amount < 0 {
				return nil, bad("negative amount")
			}
		case ActionScreenshot:
		case ActionExecuteJavaScript:
			if !b.cfg.ExecuteJavaScript {
				return nil, bad("scripts are off on this server (" + ExecuteJavaScriptSetting + ")")
			}
			if strings.TrimSpace(a.Script) == "" {
				return nil, bad("needs a script")
			}
		default:
			return nil, bad("unknown action type")
		}
		if a.Milliseconds < 0 {
			return nil, bad("negative milliseconds")
		}
	}
	return u, nil
}

// Render loads req.URL in a fresh browser context and returns the rendered
// page. See the package documentation for the rules and the errors.
func (b *Browser) Render(ctx context.Context, req Request) (*Result, error) {
	start := time.Now()
	u, err := b.validate(&req)
	if err != nil {
		return nil, err
	}
	delay := req.Delay
	if req.RespectRobots {
		allowed, crawlDelay, err := b.guard.Robots(ctx, u)
		if err != nil {
			return nil, err
		}
		if !allowed {
			return nil, &fetch.Error{Kind: fetch.KindRobotsDisallowed, URL: u.String(), Err: errors.New("robots.txt disallows this URL")}
		}
		delay = max(delay, crawlDelay)
	}
	if b.cfg.Limiter != nil {
		// The page's host is held for the whole render, under the same
		// per-host limits as HTTP fetches, before a tab is taken.
		release, err := b.cfg.Limiter.Acquire(ctx, strings.ToLower(u.Hostname()), delay)
		if err != nil {
			return nil, newError(KindCanceled, u.String(), err)
		}
		defer release()
	}
	if err := b.slots.acquire(ctx, req.Group); err != nil {
		return nil, newError(KindCanceled, u.String(), err)
	}
	defer b.slots.release()
	queued := time.Since(start)

	inst, err := b.instance(ctx)
	if err != nil {
		b.failed.Add(1)
		return nil, err
	}
	res, err := b.renderPage(ctx, inst, u, &req)
	if err == nil && res.StatusCode >= 400 {
		// As with fetch.Fetch, an error answer is still a page.
		kind := fetch.KindHTTP4xx
		if res.StatusCode >= 500 {
			kind = fetch.KindHTTP5xx
		}
		err = &fetch.Error{Kind: kind, URL: res.FinalURL, StatusCode: res.StatusCode, Err: fmt.Errorf("server answered %d", res.StatusCode)}
	}
	if res != nil {
		res.Timing.Queued = queued
		res.Timing.Total = time.Since(start)
	}
	switch KindOf(err) {
	case "":
		b.rendered.Add(1)
	case fetch.KindHTTP4xx, fetch.KindHTTP5xx:
		b.rendered.Add(1)
	case KindRenderError, KindTimeout:
		b.failed.Add(1)
		if ctx.Err() == nil {
			b.retire(inst, err)
		}
	default:
		b.failed.Add(1)
	}
	return res, err
}

// tab is the state of one page being rendered.
type tab struct {
	b       *Browser
	inst    *instance
	req     *Request
	seed    *url.URL
	ctx     context.Context
	abort   context.CancelCauseFunc
	mainID  cdp.FrameID
	images  bool
	blocked atomic.Int64

	mu       sync.Mutex
	navErr   error  // why the main document was refused
	lastMain string // the URL of the main document's last request
	inflight map[network.RequestID]bool
	changed  time.Time
	handlers sync.WaitGroup
}

func (b *Browser) renderPage(parent context.Context, inst *instance, u *url.URL, req *Request) (*Result, error) {
	timeout := b.cfg.PageTimeout
	if req.Timeout > 0 && req.Timeout < timeout {
		timeout = req.Timeout
	}
	tabCtx, closeTab := chromedp.NewContext(inst.ctx, chromedp.WithNewBrowserContext())
	defer closeTab()
	dctx, cancelDeadline := context.WithTimeoutCause(tabCtx, timeout, errDeadline)
	defer cancelDeadline()
	ctx, abort := context.WithCancelCause(dctx)
	defer abort(nil)
	stop := context.AfterFunc(parent, func() { abort(context.Cause(parent)) })
	defer stop()

	t := &tab{b: b, inst: inst, req: req, seed: u, ctx: ctx, abort: abort, inflight: map[network.RequestID]bool{}, changed: time.Now()}
	t.images = b.cfg.LoadAllResources || req.Screenshot
	for _, a := range req.Actions {
		if a.Type == ActionScreenshot {
			t.images = true
		}
	}
	res := &Result{URL: u.String()}
	err := t.run(res)
	// Let the request handlers finish before the tab closes.
	abort(nil)
	t.handlers.Wait()
	res.Blocked = int(t.blocked.Load())
	if err == nil {
		return res, nil
	}
	return t.classify(parent, res, err)
}

// classify turns a failure into the error Render returns, keeping the
// Result when the page itself rendered.
func (t *tab) classify(parent context.Context, res *Result, err error) (*Result, error) {
	var re *Error
	if errors.As(err, &re) && re.URL == "" {
		re.URL = t.seed.String()
	}
	switch {
	case parent.Err() != nil:
		return nil, newError(KindCanceled, t.seed.String(), parent.Err())
	case errors.As(err, &re) && (re.Kind == KindWaitFor || re.Kind == KindActionFailed):
		return res, err
	case errors.As(err, &re):
		return nil, err
	case fetch.KindOf(err) != "":
		return nil, err
	case errors.Is(context.Cause(t.ctx), errCrashed):
		return nil, newError(KindRenderError, t.seed.String(), errCrashed)
	case errors.Is(context.Cause(t.ctx), errDeadline) || errors.Is(err, context.DeadlineExceeded):
		return nil, newError(KindTimeout, t.seed.String(), errDeadline)
	}
	return nil, newError(KindRenderError, t.seed.String(), err)
}

func (t *tab) run(res *Result) error {
	ctx := t.ctx
	// Subscribing opens the tab in its own browser context.
	paused := chromedp.Events(ctx, cdpfetch.RequestPaused)
	c := chromedp.FromContext(ctx)
	if c == nil || c.Target == nil {
		return errors.New("no tab")
	}
	t.mainID = cdp.FrameID(c.Target.TargetID)
	t.handlers.Add(1)
	go func() {
		defer t.handlers.Done()
		for ev, err := range paused {
			if err != nil {
				return
			}
			t.handlers.Add(1)
			go func() {
				defer t.handlers.Done()
				t.decide(ev)
			}()
		}
	}()
	if err := chromedp.Listen(ctx, t.event); err != nil {
		return err
	}
	setup := []chromedp.Action[chromedp.Void]{
		func(ctx context.Context, _ *chromedp.Target) (chromedp.Void, error) {
			_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior:         browser.SetDownloadBehaviorBehaviorDeny,
				BrowserContextID: c.BrowserContextID,
			})
			return chromedp.Void{}, err
		},
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, cdpfetch.Enable, cdpfetch.EnableParams{Patterns: []*cdpfetch.RequestPattern{
				{URLPattern: "*", RequestStage: cdpfetch.RequestStageRequest},
				{URLPattern: "*", ResourceType: network.ResourceTypeDocument, RequestStage: cdpfetch.RequestStageResponse},
			}})
			return err
		}),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: noWebRTC})
			return err
		}),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			// Service workers would answer the page's requests from their
			// own cache; the page's requests must reach the interception.
			_, err := cdp.Call(ctx, tg, network.SetBypassServiceWorker, network.SetBypassServiceWorkerParams{Bypass: true})
			return err
		}),
	}
	if t.req.Mobile {
		setup = append(setup,
			chromedp.EmulateViewport(mobileWidth, mobileHeight, chromedp.EmulateMobile, chromedp.EmulateTouch),
			t.userAgent(mobileUserAgent(t.b.cfg.UserAgent, t.inst.userAgent)),
		)
	} else {
		setup = append(setup, chromedp.EmulateViewport(desktopWidth, desktopHeight))
		if t.b.cfg.UserAgent != "" {
			setup = append(setup, t.userAgent(t.b.cfg.UserAgent))
		}
	}
	if err := chromedp.Do(ctx, setup...); err != nil {
		return err
	}

	loadStart := time.Now()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(t.seed.String()))
	res.Timing.Load = time.Since(loadStart)
	if nerr := t.navError(); nerr != nil {
		return nerr
	}
	if err != nil {
		var le *chromedp.LoadError
		if errors.As(err, &le) {
			if perr := t.b.proxy.recentFailure(hostPort(t.mainURL())); perr != nil && fetch.KindOf(perr) != "" {
				return perr
			}
			return newError(KindRenderError, t.seed.String(), fmt.Errorf("navigation failed: %s", le.ErrorText))
		}
		return err
	}
	if resp != nil {
		res.StatusCode = int(resp.Status)
		res.ContentType = resp.MimeType
	}

	waitStart := time.Now()
	t.waitIdle(t.b.cfg.IdleWait)
	if t.req.WaitFor != "" {
		if err := t.waitSelector(t.req.WaitFor); err != nil {
			res.Timing.Waits = time.Since(waitStart)
			t.snapshot(res)
			if ctx.Err() != nil {
				return err
			}
			return newError(KindWaitFor, "", fmt.Errorf("%q did not appear within %s", t.req.WaitFor, t.b.cfg.MaxWait))
		}
	}
	if t.req.Wait > 0 {
		if err := sleep(ctx, min(t.req.Wait, t.b.cfg.MaxWait)); err != nil {
			return err
		}
	}
	res.Timing.Waits = time.Since(waitStart)

	actStart := time.Now()
	for i, a := range t.req.Actions {
		if err := t.act(a, res); err != nil {
			res.Timing.Actions = time.Since(actStart)
			if ctx.Err() != nil {
				return err
			}
			var re *Error
			if errors.As(err, &re) {
				return err
			}
			t.snapshot(res)
			return &Error{Kind: KindActionFailed, Action: i, Err: fmt.Errorf("%s: %w", describe(a), err)}
		}
	}
	if t.req.Screenshot {
		png, err := t.screenshot(t.req.FullPage)
		if err != nil {
			return err
		}
		res.Screenshots = append(res.Screenshots, png)
	}
	res.Timing.Actions = time.Since(actStart)
	return t.snapshot(res)
}

// snapshot reads the DOM and the location into res.
func (t *tab) snapshot(res *Result) error {
	html, err := chromedp.Run(t.ctx, chromedp.Evaluate[string](serializeDOM))
	if err != nil {
		return err
	}
	if len(html) > t.b.cfg.MaxHTMLBytes {
		return newError(KindTooLarge, "", fmt.Errorf("the rendered DOM is %d bytes, more than %d", len(html), t.b.cfg.MaxHTMLBytes))
	}
	res.HTML = html
	loc, err := chromedp.Run(t.ctx, chromedp.Location())
	if err != nil {
		return err
	}
	res.FinalURL = loc
	return nil
}

func (t *tab) userAgent(ua string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if ua == "" {
			return nil
		}
		_, err := cdp.Call(ctx, tg, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua})
		return err
	})
}

// mobileUserAgent is the configured agent marked as mobile, or the
// browser's own made into an Android phone's (same engine and version).
func mobileUserAgent(configured, browserUA string) string {
	if configured != "" {
		if strings.Contains(configured, "Mobile") {
			return configured
		}
		return configured + " Mobile"
	}
	ua := browserUA
	if i, j := strings.Index(ua, "("), strings.Index(ua, ")"); i >= 0 && j > i {
		ua = ua[:i] + "(Linux; Android 14; Pixel 8)" + ua[j+1:]
	}
	if !strings.Contains(ua, " Mobile") {
		ua = strings.Replace(ua, " Safari/", " Mobile Safari/", 1)
	}
	return ua
}

// event runs on the tab's message loop: it must be quick and never call
// the browser.
func (t *tab) event(ev any) {
	switch ev := ev.(type) {
	case *inspector.EventTargetCrashed:
		t.abort(errCrashed)
	case *network.EventRequestWillBeSent:
		t.mu.Lock()
		t.inflight[ev.RequestID] = true
		t.changed = time.Now()
		t.mu.Unlock()
	case *network.EventLoadingFinished:
		t.done(ev.RequestID)
	case *network.EventLoadingFailed:
		t.done(ev.RequestID)
	case *page.EventJavascriptDialogOpening:
		// A dialog blocks the page's scripts: dismiss it.
		t.handlers.Add(1)
		go func() {
			defer t.handlers.Done()
			chromedp.Call(t.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false}) //nolint:errcheck
		}()
	}
}

func (t *tab) done(id network.RequestID) {
	t.mu.Lock()
	delete(t.inflight, id)
	t.changed = time.Now()
	t.mu.Unlock()
}

// mainURL is the URL the main frame asked for last (after redirects).
func (t *tab) mainURL() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.lastMain == "" {
		return t.seed.String()
	}
	return t.lastMain
}

// hostPort is u's "host:port", with the scheme's default port.
func hostPort(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

func (t *tab) navError() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.navErr
}

// decide answers one paused request: refused by the guard, dropped as an
// unneeded resource, or continued (to the guarded proxy).
func (t *tab) decide(ev cdpfetch.EventRequestPaused) {
	ctx := t.ctx
	fail := func(reason network.ErrorReason) {
		t.blocked.Add(1)
		chromedp.Call(ctx, cdpfetch.FailRequest, cdpfetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: reason}) //nolint:errcheck
	}
	proceed := func(headers []*cdpfetch.HeaderEntry) {
		chromedp.Call(ctx, cdpfetch.ContinueRequest, cdpfetch.ContinueRequestParams{RequestID: ev.RequestID, Headers: headers}) //nolint:errcheck
	}
	main := ev.ResourceType == network.ResourceTypeDocument && ev.FrameID == t.mainID
	if main && ev.ResponseStatusCode == 0 && ev.ResponseErrorReason == "" {
		t.mu.Lock()
		t.lastMain = ev.Request.URL
		t.mu.Unlock()
	}
	if ev.ResponseStatusCode != 0 || ev.ResponseErrorReason != "" {
		// A document's answer: refuse downloads.
		for _, h := range ev.ResponseHeaders {
			if strings.EqualFold(h.Name, "Content-Disposition") && isAttachment(h.Value) {
				if main {
					t.setNavErr(newError(KindDownloadRefused, ev.Request.URL, errors.New("the page is a download (Content-Disposition: attachment)")))
				}
				fail(network.ErrorReasonAborted)
				return
			}
		}
		if main && (ev.ResponseStatusCode < 300 || ev.ResponseStatusCode >= 400) {
			// Only documents a browser renders into a DOM: a PDF, an image
			// or an archive is the HTTP fetcher's business.
			for _, h := range ev.ResponseHeaders {
				if strings.EqualFold(h.Name, "Content-Type") && !renderable(h.Value) {
					mt, _, _ := mime.ParseMediaType(h.Value)
					t.setNavErr(&fetch.Error{Kind: fetch.KindUnsupportedContent, URL: ev.Request.URL, StatusCode: int(ev.ResponseStatusCode), Err: fmt.Errorf("%s is not rendered in the browser", mt)})
					fail(network.ErrorReasonAborted)
					return
				}
			}
		}
		proceed(nil)
		return
	}
	u, err := t.b.guard.Check(ev.Request.URL)
	if err != nil {
		if main {
			t.setNavErr(err)
		}
		fail(network.ErrorReasonBlockedByClient)
		return
	}
	if !t.b.cfg.LoadAllResources {
		switch ev.ResourceType {
		case network.ResourceTypeMedia, network.ResourceTypeFont:
			fail(network.ErrorReasonBlockedByClient)
			return
		case network.ResourceTypeImage:
			if !t.images {
				fail(network.ErrorReasonBlockedByClient)
				return
			}
		}
	}
	if len(t.req.Header) > 0 && strings.EqualFold(u.Hostname(), t.seed.Hostname()) {
		// The caller's headers (credentials, cookies) go to the page's own
		// host only, never to third parties.
		var hs []*cdpfetch.HeaderEntry
		for k, v := range ev.Request.Headers {
			if _, override := t.req.Header[textproto.CanonicalMIMEHeaderKey(k)]; override {
				continue
			}
			hs = append(hs, &cdpfetch.HeaderEntry{Name: k, Value: fmt.Sprint(v)})
		}
		for k, vs := range t.req.Header {
			for _, v := range vs {
				hs = append(hs, &cdpfetch.HeaderEntry{Name: k, Value: v})
			}
		}
		proceed(hs)
		return
	}
	proceed(nil)
}

func (t *tab) setNavErr(err error) {
	t.mu.Lock()
	if t.navErr == nil {
		t.navErr = err
	}
	t.mu.Unlock()
}

// renderable reports whether a main document of this Content-Type is
// worth a browser: HTML, XHTML, SVG, XML and plain text.
func renderable(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return true // let the browser sniff what the server could not name
	}
	switch mt {
	case "text/html", "application/xhtml+xml", "image/svg+xml", "application/xml", "text/xml", "text/plain":
		return true
	}
	return false
}

func isAttachment(v string) bool {
	d, _, err := mime.ParseMediaType(v)
	if err != nil {
		return strings.HasPrefix(strings.ToLower(strings.TrimSpace(v)), "attachment")
	}
	return d == "attachment"
}

// waitIdle waits until no request has been in flight for quietFor, at most
// limit.
func (t *tab) waitIdle(limit time.Duration) {
	if limit <= 0 {
		return
	}
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for time.Now().Before(deadline) {
		t.mu.Lock()
		quiet := len(t.inflight) == 0 && time.Since(t.changed) >= quietFor
		t.mu.Unlock()
		if quiet {
			return
		}
		select {
		case <-t.ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// waitSelector waits for sel to be in the DOM, at most MaxWait.
func (t *tab) waitSelector(sel string) error {
	ctx, cancel := context.WithTimeout(t.ctx, t.b.cfg.MaxWait)
	defer cancel()
	return chromedp.Do(ctx, chromedp.WaitReady(chromedp.CSS(sel)))
}

func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-timer.C:
		return nil
	}
}
