// Package render loads pages in headless Chromium for SpiderGo, for sites
// that build their content with JavaScript, and runs browser actions and
// screenshots on them. It knows nothing of crawls, users or extraction: a
// caller hands it a URL and options through the small [Renderer] interface
// and gets back the rendered DOM, which goes through the same extraction as
// a page fetched over HTTP.
//
// # The browser
//
// [New] checks that Chromium is installed (Config.ChromiumPath, else
// /usr/bin/chromium or a chromium on PATH) and returns [ErrNotInstalled]
// otherwise, so a server can keep running and answer "rendering is not
// installed". The browser process starts on the first render, headless,
// with a fresh temporary profile and the flags of a closed network (no
// background networking, component updates, sync, first-run, crash
// reporting, QUIC or WebRTC over UDP). Every page gets a fresh browser
// context (no cookies, storage or cache shared between pages) and runs in
// one of Config.Concurrency tabs, handed out fairly between the groups
// (jobs) that wait for one. A page has a deadline; a page that hangs is
// closed at the deadline, and a browser that crashed or stopped answering is
// restarted for the next page, while the page that saw it fails with
// [KindRenderError].
//
// # Safety
//
// Every request the browser makes passes SpiderGo's address guard, the one
// internal/fetch applies to its own fetches:
//
//   - The browser's only way out is an HTTP proxy that this package runs on
//     127.0.0.1, whose every connection is dialled by the fetcher's guarded
//     dialer ([Guard.DialContext]): the address is checked after DNS
//     resolution, at connect time, with SPIDERGO_FETCH_ALLOW and the allowed
//     ports. Chromium is told to send everything there, loopback included
//     (--proxy-bypass-list=<-loopback>), and to resolve no host name itself
//     (--host-resolver-rules), so navigations, sub-resources, redirects,
//     iframes, WebSockets, workers, service workers and prefetches all take
//     the same road.
//   - Before that, each request of the page is paused with the DevTools
//     Fetch domain and checked with [Guard.Check] (scheme, port, literal
//     addresses, localhost names): a refused one fails at once, without
//     reaching the proxy. Resource types the caller does not need (media,
//     fonts, images when no screenshot is asked) are dropped there too.
//   - WebRTC may not use UDP outside the proxy, so ICE cannot leak to
//     private addresses, and RTCPeerConnection is removed from pages.
//   - Downloads are denied for every browser context, and a navigation
//     answered with Content-Disposition: attachment is refused
//     ([KindDownloadRefused]).
//   - robots.txt is obeyed for the navigation when Request.RespectRobots is
//     set, and with Config.Limiter the page's host is held under the
//     fetcher's per-host limits for the whole render.
//   - Only web documents are rendered: a main document of another type
//     (PDF, image, JSON) fails with fetch's unsupported_content, so the
//     caller keeps its HTTP answer for it.
//
// # Errors
//
// Like fetch.Fetch, Render can return a Result together with an error: a
// page answered with a 4xx or 5xx status comes back with a *fetch.Error of
// kind http_4xx or http_5xx, and a page that rendered but whose wait_for
// selector never appeared or one of whose actions failed comes back with
// its DOM and an *[Error] saying which step failed and why. [KindOf] reads the kind of any error Render
// returns, including the fetch kinds (blocked_address, robots_disallowed,
// invalid_url) it passes through.
package render

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/fetch"
)

// Renderer renders one page. *Browser implements it; the crawl engine and
// the API depend on this interface only.
type Renderer interface {
	Render(ctx context.Context, req Request) (*Result, error)
}

// ScriptRunner is a Renderer that says whether it runs the
// execute_javascript action; a Renderer that is not one does not.
type ScriptRunner interface {
	ExecutesJavaScript() bool
}

// ExecuteJavaScriptSetting is the operator setting that allows the
// execute_javascript action.
const ExecuteJavaScriptSetting = "SPIDERGO_RENDER_EXECUTE_JAVASCRIPT"

// Guard is what the renderer needs of internal/fetch: the URL pre-check,
// the guarded dialer and robots.txt. *fetch.Fetcher implements it.
type Guard interface {
	Check(rawURL string) (*url.URL, error)
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
	Robots(ctx context.Context, u *url.URL) (allowed bool, crawlDelay time.Duration, err error)
}

var _ Guard = (*fetch.Fetcher)(nil)

// Request is one page to render.
type Request struct {
	// URL to load (http or https).
	URL string
	// Header holds extra request headers. They are sent only to the host
	// of URL, never to third-party sub-resources.
	Header http.Header
	// RespectRobots makes the navigation obey robots.txt.
	RespectRobots bool
	// Delay is the minimum gap between page starts on this host asked
	// for by the caller (a crawl's delay_ms); with Config.Limiter set, the
	// gap used is the larger of Delay and robots.txt's Crawl-delay.
	Delay time.Duration
	// Group names who asks (a job ID): when tabs are short, waiting groups
	// are served in turn, so one big crawl does not starve a small scrape.
	Group string
	// WaitFor is a CSS selector waited for after the page loads, at most
	// Config.MaxWait.
	WaitFor string
	// Wait is a fixed wait after the page loads, capped at Config.MaxWait.
	Wait time.Duration
	// Actions run in order after the waits.
	Actions []Action
	// Mobile emulates a phone: a small viewport, touch and a mobile user
	// agent.
	Mobile bool
	// Screenshot adds a PNG of the page to Result.Screenshots after the
	// actions; FullPage makes it cover the whole page, not the viewport.
	Screenshot bool
	FullPage   bool
	// Timeout bounds the whole render (0 means Config.PageTimeout; it is
	// never longer than Config.PageTimeout).
	Timeout time.Duration
}

// Action types.
const (
	ActionWait       = "wait"
	ActionClick      = "click"
	ActionWrite      = "write"
	ActionPress      = "press"
	ActionScroll     = "scroll"
	ActionScreenshot = "screenshot"
	// ActionExecuteJavaScript runs Action.Script in the page; only when
	// Config.ExecuteJavaScript is set.
	ActionExecuteJavaScript = "execute_javascript"
)

// Action is one browser step.
//
//   - wait: Milliseconds, or until Selector appears (capped at
//     Config.MaxWait);
//   - click: the first element matching Selector;
//   - write: Text typed into Selector, or into the focused element when
//     Selector is empty;
//   - press: one key, such as "Enter", "Tab", "ArrowDown" or "a";
//   - scroll: Direction "down" (default) or "up" by Amount pixels (0
//     means one viewport), or Direction "bottom": down until the page
//     stops growing (lazy-loaded lists), at most Config.MaxScrolls steps;
//   - screenshot: adds a PNG to Result.Screenshots (of the whole page
//     when FullPage is set);
//   - execute_javascript: runs Script in the page (awaiting a promise it
//     returns) and discards its result; only with
//     Config.ExecuteJavaScript.
//
// It is the API's action: the request's list reaches the browser as it
// was validated, with no second shape to keep in step.
type Action = api.Action

// Result is a rendered page.
type Result struct {
	// URL is the URL asked for; FinalURL the page's location at the end
	// (after redirects, client-side navigation and actions).
	URL      string
	FinalURL string
	// StatusCode and ContentType of the main document's HTTP answer (0
	// and "" when the browser got none, for example for about:blank).
	StatusCode  int
	ContentType string
	// HTML is the rendered DOM, serialized (doctype included), UTF-8.
	HTML string
	// Screenshots are PNG images: those of screenshot actions in order,
	// then the one asked for by Request.Screenshot.
	Screenshots [][]byte
	// Blocked counts the page's requests refused by the guard or dropped
	// as unneeded resource types.
	Blocked int
	// Timing of the render.
	Timing Timing
}

// Timing breaks down where a render's time went.
type Timing struct {
	Queued  time.Duration // waiting for a tab
	Load    time.Duration // navigation until the load event
	Waits   time.Duration // network idle, wait_for and wait
	Actions time.Duration // actions and screenshots
	Total   time.Duration // from the call to the return
}

// Error kinds of the renderer, in addition to the fetch kinds it passes
// through. They are part of the API contract, so they never change spelling.
const (
	// KindNotInstalled: Chromium is not installed (the API answers 400
	// render_not_installed).
	KindNotInstalled = "render_not_installed"
	// KindRenderError: the browser or the tab failed (crash, lost
	// connection, navigation error); the browser is restarted if needed
	// and later renders go on.
	KindRenderError = "render_error"
	// KindTimeout: the page did not finish within its deadline.
	KindTimeout = fetch.KindTimeout
	// KindWaitFor: the wait_for selector did not appear in time; the
	// Result is returned as the page was.
	KindWaitFor = "wait_for_timeout"
	// KindActionFailed: an action failed; Error.Action is its index and
	// the Result is returned as the page was.
	KindActionFailed = "action_failed"
	// KindDownloadRefused: the navigation led to a download.
	KindDownloadRefused = "download_refused"
	// KindScreenshotTooLarge: a screenshot exceeded Config.MaxScreenshotBytes.
	KindScreenshotTooLarge = "screenshot_too_large"
	// KindTooLarge: the rendered DOM exceeded Config.MaxHTMLBytes.
	KindTooLarge = fetch.KindTooLarge
	// KindInvalidRequest: the request's options are unusable (unknown
	// action, too many actions, negative wait).
	KindInvalidRequest = fetch.KindInvalidRequest
	// KindCanceled: the caller's context ended.
	KindCanceled = fetch.KindCanceled
)

// ErrNotInstalled is returned by New (wrapped in an *Error of kind
// KindNotInstalled) when no Chromium binary can be found.
var ErrNotInstalled = errors.New("chromium is not installed")

// ErrClosed is returned by Render after Close.
var ErrClosed = errors.New("render: the browser has been closed")

// Error is a rendering failure.
type Error struct {
	Kind string
	URL  string
	// Action is the index of the failed action for KindActionFailed, else
	// -1.
	Action int
	Err    error
}

func (e *Error) Error() string {
	msg := "render: " + e.Kind
	if e.Action >= 0 && e.Kind == KindActionFailed {
		msg += fmt.Sprintf(" (action %d)", e.Action)
	}
	if e.URL != "" {
		msg += " " + e.URL
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

func newError(kind, u string, err error) *Error {
	return &Error{Kind: kind, URL: u, Action: -1, Err: err}
}

// KindOf returns the kind of an error from Render or New: a render kind, a
// fetch kind passed through, or "" for nil.
func KindOf(err error) string {
	if err == nil {
		return ""
	}
	var re *Error
	if errors.As(err, &re) {
		return re.Kind
	}
	if k := fetch.KindOf(err); k != "" {
		return k
	}
	return KindRenderError
}
