package fetch

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"
)

// Fetcher fetches URLs safely and politely. It is safe for concurrent use;
// build one per process and share it.
type Fetcher struct {
	cfg       Config
	guard     *guard
	transport *http.Transport
	client    *http.Client
	limiter   HostLimiter
	robots    *robotsCache
	verdicts  verdictCache // CheckResolved's recent verdicts

	// Hooks for tests; production uses the clock, real sleeps and real
	// randomness.
	now    func() time.Time
	sleep  func(context.Context, time.Duration) error
	jitter func() float64
}

// Request is one fetch.
type Request struct {
	// URL to fetch; a bare host ("example.com/a") means https.
	URL string
	// Method is GET (when empty) or HEAD; a crawler has no use for others,
	// and only these may be retried safely.
	Method string
	// Header holds extra request headers. Host, hop-by-hop headers,
	// Content-Length and Accept-Encoding are refused (KindInvalidRequest):
	// the fetcher owns them. Authorization and Cookie are dropped when a
	// redirect leaves the original host.
	Header http.Header
	// RespectRobots makes the fetch obey robots.txt (the API's default is
	// true; false is an explicit choice of the caller).
	RespectRobots bool
	// Delay is the minimum gap between request starts to this host asked
	// for by the caller (a crawl's delay_ms). It can only slow pacing down:
	// the gap used is the largest of Delay, Config.PerHostDelay and the
	// robots.txt Crawl-delay.
	Delay time.Duration
	// Timeout, when positive and shorter than Config.Timeout, replaces it
	// for this fetch.
	Timeout time.Duration
	// AcceptGzip makes gzip payloads (application/gzip, or
	// application/octet-stream starting with the gzip magic, as .xml.gz
	// sitemaps are served) acceptable: they are returned decompressed,
	// under the same body cap, instead of as KindUnsupportedContent.
	AcceptGzip bool
	// AcceptDocuments makes PDF, DOCX and ODT answers acceptable (by their
	// media type, or application/octet-stream starting with "%PDF-", or
	// with a zip header and a .docx or .odt URL): their bytes are returned
	// as they are, under Config.MaxDocumentBytes, with ContentType naming
	// the document type, instead of as KindUnsupportedContent.
	AcceptDocuments bool
}

// Response is a fetched page.
type Response struct {
	// URL is the normalised URL that was asked for.
	URL string
	// FinalURL is the URL of the answer, after redirects.
	FinalURL string
	// Redirects lists the URLs redirected to, in order (FinalURL last).
	Redirects []string
	// StatusCode and Proto ("HTTP/1.1", "HTTP/2.0") of the final answer.
	StatusCode int
	Proto      string
	// ContentType is the media type without parameters ("text/html"),
	// sniffed when the server sent none. For an accepted gzip payload it is
	// the type of the decompressed content.
	ContentType string
	// Charset is the character set the body was decoded from ("utf-8",
	// "windows-1252", "shift_jis"); empty when there is no text body.
	Charset string
	// Header is the final answer's header.
	Header http.Header
	// Body is the payload, converted to UTF-8 for text types; empty for
	// HEAD and for unsupported content.
	Body []byte
	// PayloadSize is the number of bytes received after decompression and
	// before charset conversion.
	PayloadSize int64
	// Duration is the time spent in exchanges with servers (redirect hops
	// and retries included), not time spent waiting for the per-host
	// limiter.
	Duration time.Duration
	// FetchedAt is when the final answer's headers arrived.
	FetchedAt time.Time
}

// New validates cfg and builds a Fetcher. Errors name the offending field
// or allow-list entry.
func New(cfg Config) (*Fetcher, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	al, err := parseAllow(cfg.Allow)
	if err != nil {
		return nil, err
	}
	f := &Fetcher{
		cfg:    cfg,
		guard:  newGuard(cfg, al),
		now:    time.Now,
		sleep:  sleepCtx,
		jitter: rand.Float64,
	}
	f.limiter = cfg.Limiter
	if f.limiter == nil {
		f.limiter = NewMemoryLimiter(cfg.PerHostConcurrency)
	}
	var tlsConf *tls.Config
	if cfg.TLSConfig != nil {
		tlsConf = cfg.TLSConfig.Clone()
	} else {
		tlsConf = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	f.transport = &http.Transport{
		// No proxy, ever: a proxy from the environment would make the
		// guard check the proxy's address instead of the target's.
		Proxy:                  nil,
		DialContext:            f.guard.dialContext,
		TLSClientConfig:        tlsConf,
		TLSHandshakeTimeout:    cfg.TLSTimeout,
		ResponseHeaderTimeout:  cfg.HeaderTimeout,
		MaxResponseHeaderBytes: cfg.MaxHeaderBytes,
		// We ask for gzip and br ourselves and decode under the body cap;
		// the transport's transparent gzip would hide the encoding from
		// the cap.
		DisableCompression:  true,
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: max(cfg.PerHostConcurrency, 2),
		IdleConnTimeout:     90 * time.Second,
	}
	f.client = &http.Client{
		Transport: f.transport,
		// Redirects are followed by Fetch itself so every hop goes through
		// the URL checks, robots.txt and the per-host limiter.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	f.robots = newRobotsCache(cfg.RobotsCacheSize)
	return f, nil
}

// CloseIdleConnections closes kept-alive connections; call it when the
// Fetcher is no longer used.
func (f *Fetcher) CloseIdleConnections() { f.transport.CloseIdleConnections() }

// hopHeaders are the headers a caller may not set: Host decides where the
// request goes, hop-by-hop headers (RFC 9110 §7.6.1) concern the
// connection the fetcher manages, and the fetcher negotiates encoding and
// length itself.
var refusedHeaders = map[string]string{
	"Host":                "the host comes from the URL",
	"Connection":          "hop-by-hop header",
	"Keep-Alive":          "hop-by-hop header",
	"Proxy-Connection":    "hop-by-hop header",
	"Proxy-Authenticate":  "hop-by-hop header",
	"Proxy-Authorization": "hop-by-hop header",
	"Te":                  "hop-by-hop header",
	"Trailer":             "hop-by-hop header",
	"Transfer-Encoding":   "hop-by-hop header",
	"Upgrade":             "hop-by-hop header",
	"Content-Length":      "requests carry no body",
	"Accept-Encoding":     "the fetcher negotiates compression itself",
}

func validateRequest(req Request) (method string, hdr http.Header, err error) {
	invalid := func(format string, args ...any) error {
		return &Error{Kind: KindInvalidRequest, URL: truncateForError(req.URL), Err: fmt.Errorf(format, args...)}
	}
	switch strings.ToUpper(req.Method) {
	case "", http.MethodGet:
		method = http.MethodGet
	case http.MethodHead:
		method = http.MethodHead
	default:
		return "", nil, invalid("method %q is not supported (GET or HEAD)", req.Method)
	}
	if req.Delay < 0 {
		return "", nil, invalid("negative delay %s", req.Delay)
	}
	if req.Timeout < 0 {
		return "", nil, invalid("negative timeout %s", req.Timeout)
	}
	hdr = make(http.Header, len(req.Header))
	for name, values := range req.Header {
		if !httpguts.ValidHeaderFieldName(name) {
			return "", nil, invalid("invalid header name %q", name)
		}
		canon := textproto.CanonicalMIMEHeaderKey(name)
		if why, bad := refusedHeaders[canon]; bad {
			return "", nil, invalid("header %q may not be set: %s", canon, why)
		}
		for _, v := range values {
			if !httpguts.ValidHeaderFieldValue(v) {
				return "", nil, invalid("invalid value for header %q", canon)
			}
			hdr.Add(canon, v)
		}
	}
	return method, hdr, nil
}

// Fetch fetches req.URL, following redirects. See the package
// documentation for the rules applied. On success err is nil. When the
// server answered 4xx or 5xx, or with content that is not text, both the
// Response and an *Error (KindHTTP4xx, KindHTTP5xx, KindUnsupportedContent)
// are returned. Otherwise the Response is nil.
func (f *Fetcher) Fetch(ctx context.Context, req Request) (*Response, error) {
	method, hdr, err := validateRequest(req)
	if err != nil {
		return nil, err
	}
	u, err := f.Check(req.URL)
	if err != nil {
		return nil, err
	}
	timeout := f.cfg.Timeout
	if req.Timeout > 0 && req.Timeout < timeout {
		timeout = req.Timeout
	}
	o := doOptions{
		method:        method,
		header:        hdr,
		respectRobots: req.RespectRobots,
		delay:         req.Delay,
		timeout:       timeout,
		maxRedirects:  f.cfg.MaxRedirects,
		maxBody:       f.cfg.MaxBodyBytes,
		acceptGzip:    req.AcceptGzip,
	}
	if req.AcceptDocuments {
		o.maxDocument = f.cfg.MaxDocumentBytes
	}
	if f.cfg.Observer == nil {
		return f.do(ctx, u, o)
	}
	start := time.Now()
	resp, err := f.do(ctx, u, o)
	f.observe(start, resp, err)
	return resp, err
}

type doOptions struct {
	method        string
	header        http.Header
	respectRobots bool
	delay         time.Duration
	timeout       time.Duration
	maxRedirects  int // negative: return redirects unfollowed
	maxBody       int64
	acceptGzip    bool
	// maxDocument, when positive, accepts documents under this cap.
	maxDocument int64
	// raw returns the decoded bytes as they are, truncated at maxBody
	// instead of failing, without content-type rules (robots.txt).
	raw bool
}

// do runs the redirect loop; each hop is checked like a new URL.
func (f *Fetcher) do(ctx context.Context, u *url.URL, o doOptions) (*Response, error) {
	resp := &Response{URL: u.String()}
	origHost := u.Hostname()
	cur := u
	for {
		var crawlDelay time.Duration
		if o.respectRobots {
			allowed, cd, reason, err := f.robotsDecision(ctx, cur)
			if err != nil {
				return nil, err
			}
			if !allowed {
				return nil, &Error{Kind: KindRobotsDisallowed, URL: cur.String(), Err: errors.New(reason)}
			}
			crawlDelay = cd
		}
		if !strings.EqualFold(cur.Hostname(), origHost) && (o.header.Get("Authorization") != "" || o.header.Get("Cookie") != "") {
			// Credentials meant for one site must not follow a redirect to
			// another.
			o.header = o.header.Clone()
			o.header.Del("Authorization")
			o.header.Del("Cookie")
		}
		delay := max(f.cfg.PerHostDelay, o.delay, crawlDelay)
		budget := o.timeout - resp.Duration
		if budget <= 0 {
			return nil, &Error{Kind: KindTimeout, URL: cur.String(), Err: fmt.Errorf("fetch took longer than %s", o.timeout)}
		}
		ex, err := f.exchange(ctx, cur, o, delay, budget)
		if ex != nil {
			resp.Duration += ex.duration
		}
		if err != nil {
			return nil, err
		}
		if ex.location != "" && o.maxRedirects >= 0 {
			if len(resp.Redirects) >= o.maxRedirects {
				return nil, &Error{Kind: KindTooManyRedirects, URL: cur.String(), Err: fmt.Errorf("more than %d redirects", o.maxRedirects)}
			}
			next, err := normalizeURL(ex.location, cur)
			if err != nil {
				return nil, err
			}
			if err := f.checkDestination(next); err != nil {
				return nil, err
			}
			resp.Redirects = append(resp.Redirects, next.String())
			cur = next
			continue
		}
		resp.FinalURL = cur.String()
		resp.StatusCode = ex.status
		resp.Proto = ex.proto
		resp.Header = ex.header
		resp.FetchedAt = ex.fetchedAt
		resp.ContentType = ex.body.contentType
		resp.Charset = ex.body.charset
		resp.Body = ex.body.data
		resp.PayloadSize = ex.body.payload
		if ex.body.err != nil {
			ex.body.err.URL = cur.String()
		}
		switch {
		case ex.status >= 400 && ex.status < 500:
			return resp, &Error{Kind: KindHTTP4xx, URL: cur.String(), StatusCode: ex.status, Err: fmt.Errorf("server answered %d %s", ex.status, http.StatusText(ex.status))}
		case ex.status >= 500 && ex.status < 600:
			return resp, &Error{Kind: KindHTTP5xx, URL: cur.String(), StatusCode: ex.status, Err: fmt.Errorf("server answered %d %s", ex.status, http.StatusText(ex.status))}
		case ex.body.err != nil:
			return resp, ex.body.err
		}
		return resp, nil
	}
}

// exchangeResult is one hop's answer after retries.
type exchangeResult struct {
	status    int
	proto     string
	header    http.Header
	location  string // set for a redirect status with a Location
	body      bodyResult
	fetchedAt time.Time
	duration  time.Duration
}

// exchange performs one hop with the per-host limiter and the bounded
// retries: 429/503 (Retry-After honoured up to MaxRetryAfter) and one retry
// of a failed connection. Only GET and HEAD reach here, so both are safe.
// budget is what is left of the fetch's network time; waits for the limiter
// and between retries do not consume it.
func (f *Fetcher) exchange(ctx context.Context, u *url.URL, o doOptions, delay, budget time.Duration) (*exchangeResult, error) {
	var spent time.Duration
	connRetried := false
	for attempt := 0; ; attempt++ {
		if spent >= budget {
			return &exchangeResult{duration: spent}, &Error{Kind: KindTimeout, URL: u.String(), Err: fmt.Errorf("fetch took longer than %s", o.timeout)}
		}
		var waitStart time.Time
		if f.cfg.Observer != nil {
			waitStart = time.Now()
		}
		release, err := f.limiter.Acquire(ctx, limiterKey(u), delay)
		if f.cfg.Observer != nil {
			f.cfg.Observer.LimiterWaited(time.Since(waitStart))
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, classify(ctx, u.String(), ctx.Err())
			}
			return nil, fmt.Errorf("fetch: per-host limiter: %w", err)
		}
		start := time.Now()
		ex, retryAfter, ferr := f.once(ctx, u, o, attempt, budget-spent)
		release()
		spent += time.Since(start)
		if ferr != nil {
			if ferr.Kind == KindConnectError && !connRetried && ctx.Err() == nil {
				connRetried = true
				if f.sleep(ctx, f.backoff(0)) == nil {
					continue
				}
			}
			return &exchangeResult{duration: spent}, ferr
		}
		if retryAfter >= 0 {
			if err := f.sleep(ctx, retryAfter); err != nil {
				return &exchangeResult{duration: spent}, classify(ctx, u.String(), err)
			}
			continue
		}
		ex.duration = spent
		return ex, nil
	}
}

// once is a single HTTP exchange under the exchange deadline. When the
// answer is a 429/503 worth retrying (retries left and a usable wait) it
// returns the wait instead of a result; otherwise retryAfter is negative.
func (f *Fetcher) once(ctx context.Context, u *url.URL, o doOptions, attempt int, timeout time.Duration) (_ *exchangeResult, retryAfter time.Duration, _ *Error) {
	ectx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ectx, o.method, u.String(), nil)
	if err != nil {
		return nil, -1, &Error{Kind: KindInvalidURL, URL: u.String(), Err: err}
	}
	for k, v := range o.header {
		req.Header[k] = v
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", f.cfg.UserAgent)
	}
	if req.Header.Get("Accept") == "" {
		if o.raw {
			req.Header.Set("Accept", "text/plain,*/*;q=0.5")
		} else {
			req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
		}
	}
	req.Header.Set("Accept-Encoding", "gzip, deflate, br")

	hr, err := f.client.Do(req)
	if err != nil {
		return nil, -1, classify(ctx, u.String(), err)
	}
	defer hr.Body.Close()
	ex := &exchangeResult{
		status:    hr.StatusCode,
		proto:     hr.Proto,
		header:    hr.Header,
		fetchedAt: f.now(),
	}
	if attempt < f.cfg.MaxRetries && (hr.StatusCode == http.StatusTooManyRequests || hr.StatusCode == http.StatusServiceUnavailable) {
		if wait, ok := f.retryWait(ctx, hr.Header.Get("Retry-After"), attempt); ok {
			drain(hr.Body)
			return nil, wait, nil
		}
	}
	if isRedirect(hr.StatusCode) {
		if loc := hr.Header.Get("Location"); loc != "" {
			ex.location = loc
			drain(hr.Body)
			return ex, -1, nil
		}
	}
	if o.method == http.MethodHead {
		ex.body = bodyResult{contentType: mediaType(hr.Header.Get("Content-Type"))}
		return ex, -1, nil
	}
	if o.raw {
		ex.body, err = readRaw(hr, o.maxBody)
	} else {
		ex.body, err = readContent(hr, o.maxBody, o.acceptGzip, o.maxDocument)
	}
	if err != nil {
		return nil, -1, classify(ctx, u.String(), err)
	}
	return ex, -1, nil
}

func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// drain reads a little of a body we do not want so a small answer leaves
// its connection reusable; a big one is cut off by closing instead.
func drain(body io.Reader) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 4<<10))
}

// limiterKey is the host politeness applies to: the host name, whatever
// the scheme or port, since that is what a site's operator sees as one
// visitor.
func limiterKey(u *url.URL) string { return strings.ToLower(u.Hostname()) }

// retryWait decides how long to wait before retrying a 429/503. A
// Retry-After (seconds or HTTP date) is honoured when it is at most
// MaxRetryAfter and fits before the caller's deadline; a longer one ends the
// retries, because waiting less than the server asked is impolite and
// waiting longer is the crawler's decision, not a fetch's. Without
// Retry-After the wait is exponential backoff with jitter.
func (f *Fetcher) retryWait(ctx context.Context, header string, attempt int) (time.Duration, bool) {
	var wait time.Duration
	header = strings.TrimSpace(header)
	switch {
	case header == "":
		wait = -1
	default:
		if secs, err := strconv.ParseInt(header, 10, 64); err == nil {
			if secs < 0 {
				wait = -1
			} else if secs > int64(f.cfg.MaxRetryAfter/time.Second) {
				return 0, false
			} else {
				wait = time.Duration(secs) * time.Second
			}
		} else if t, err := http.ParseTime(header); err == nil {
			wait = max(t.Sub(f.now()), 0)
		} else {
			wait = -1
		}
	}
	if wait < 0 {
		wait = f.backoff(attempt)
	}
	if wait > f.cfg.MaxRetryAfter {
		return 0, false
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= wait {
		return 0, false
	}
	return wait, true
}

// backoff is RetryBaseDelay·2^attempt scaled by a jitter factor in
// [0.5, 1.5), so that clients refused together do not return together.
func (f *Fetcher) backoff(attempt int) time.Duration {
	d := f.cfg.RetryBaseDelay << min(attempt, 16)
	return time.Duration(float64(d) * (0.5 + f.jitter()))
}
