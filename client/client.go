// Package client is SpiderGo's Go SDK: typed calls to every /v1 route of a
// SpiderGo server, built on the public wire types of package api.
//
//	c, err := client.New("http://localhost:8080", os.Getenv("SPIDERGO_API_KEY"))
//	res, err := c.Scrape(ctx, &api.Request{URL: "https://example.com"})
//
// Reads (GET) are retried with backoff and jitter on network errors, 429 and
// 5xx answers, honouring Retry-After. Requests that start work (POST) are
// retried only when the server certainly did not start it: on a 429, and on
// a network error that happened before the request was written. A POST that
// failed with a 5xx or lost its connection mid-way may have started a crawl
// (and spent quota), so it is returned to the caller instead.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spidergo/spidergo/api"
)

// DefaultUserAgent is sent unless WithUserAgent says otherwise.
const DefaultUserAgent = "spidergo-go"

// DefaultTimeout bounds one call that is not a stream: long enough for a
// synchronous crawl, which the server stops after 90 seconds.
const DefaultTimeout = 3 * time.Minute

// RetryPolicy says how calls are retried.
type RetryPolicy struct {
	// MaxRetries is the number of retries after the first attempt
	// (0 disables retries).
	MaxRetries int
	// BaseDelay is the first backoff step; each retry doubles it, with
	// jitter, up to MaxDelay.
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// MaxRetryAfter is the longest Retry-After waited for; an answer that
	// asks for a longer wait (a spent daily quota) is returned at once.
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy is used unless WithRetry says otherwise.
var DefaultRetryPolicy = RetryPolicy{MaxRetries: 3, BaseDelay: 500 * time.Millisecond, MaxDelay: 10 * time.Second, MaxRetryAfter: time.Minute}

// Client calls one SpiderGo server with one API key. It is safe for
// concurrent use.
type Client struct {
	base    *url.URL
	key     string
	hc      *http.Client
	ua      string
	timeout time.Duration
	retry   RetryPolicy
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sends requests through hc (proxies, TLS settings, tests).
// Its Timeout, if any, also bounds streams; prefer WithTimeout.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithTimeout bounds each call that is not a stream (DefaultTimeout); 0
// means no bound beyond the caller's context.
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.ua = ua } }

// WithRetry replaces DefaultRetryPolicy.
func WithRetry(p RetryPolicy) Option { return func(c *Client) { c.retry = p } }

// New returns a client of the server at baseURL (e.g.
// "http://localhost:8080") authenticating with apiKey ("sk_live_…").
func New(baseURL, apiKey string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("spidergo client: base URL %q is not an http(s) URL", baseURL)
	}
	if apiKey == "" {
		return nil, errors.New("spidergo client: an API key is required")
	}
	c := &Client{base: u, key: apiKey, hc: &http.Client{}, ua: DefaultUserAgent, timeout: DefaultTimeout, retry: DefaultRetryPolicy}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// RateLimit is the key's quota as the server reported it with an answer.
type RateLimit struct {
	Limit     int
	Remaining int
	Reset     time.Time
}

func rateLimitOf(h http.Header) RateLimit {
	var rl RateLimit
	rl.Limit, _ = strconv.Atoi(h.Get("X-RateLimit-Limit"))
	rl.Remaining, _ = strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	if s, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
		rl.Reset = time.Unix(s, 0).UTC()
	}
	return rl
}

// Result is an envelope answer with the quota and request id that came
// with it. The envelope's fields (CRID, Status, Pages, Next, URLs…) are
// reachable directly: res.Pages.
type Result struct {
	*api.Envelope
	RateLimit RateLimit
	RequestID string
}

// call is one request of the API.
type call struct {
	method string
	path   string
	query  url.Values
	body   any
	// idempotent calls are retried on 5xx and on any network error.
	idempotent bool
	accept     string
}

// do sends c and returns a 2xx response, whose body the caller closes;
// any other answer is returned as *Error.
func (c *Client) do(ctx context.Context, cl call) (*http.Response, error) {
	var payload []byte
	if cl.body != nil {
		var err error
		if payload, err = json.Marshal(cl.body); err != nil {
			return nil, fmt.Errorf("spidergo client: encode request: %w", err)
		}
	}
	u := *c.base
	u.Path = strings.TrimRight(c.base.Path, "/") + cl.path
	u.RawQuery = cl.query.Encode()
	for attempt := 0; ; attempt++ {
		var wrote atomic.Bool
		trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) }}
		req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), cl.method, u.String(), bytes.NewReader(payload))
		if err != nil {
			return nil, fmt.Errorf("spidergo client: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+c.key)
		req.Header.Set("User-Agent", c.ua)
		if cl.accept != "" {
			req.Header.Set("Accept", cl.accept)
		} else {
			req.Header.Set("Accept", "application/json")
		}
		if payload != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := c.hc.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			// A request never written cannot have started anything.
			if (cl.idempotent || !wrote.Load()) && attempt < c.retry.MaxRetries {
				if werr := sleep(ctx, c.backoff(attempt)); werr != nil {
					return nil, werr
				}
				continue
			}
			return nil, fmt.Errorf("spidergo client: %s %s: %w", cl.method, cl.path, err)
		}
		if resp.StatusCode < 300 {
			return resp, nil
		}
		apiErr := errorOf(resp)
		retryable := resp.StatusCode == http.StatusTooManyRequests || (cl.idempotent && resp.StatusCode >= 500)
		if !retryable || attempt >= c.retry.MaxRetries {
			return nil, apiErr
		}
		wait := c.backoff(attempt)
		if apiErr.RetryAfter > 0 {
			if apiErr.RetryAfter > c.retry.MaxRetryAfter {
				return nil, apiErr
			}
			wait = apiErr.RetryAfter
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// backoff is the wait before retry n+1: BaseDelay·2ⁿ, capped, with ±50 %
// jitter so that many clients do not come back at the same instant.
func (c *Client) backoff(n int) time.Duration {
	d := c.retry.BaseDelay << min(n, 20)
	if c.retry.MaxDelay > 0 && d > c.retry.MaxDelay {
		d = c.retry.MaxDelay
	}
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// withTimeout bounds a non-stream call.
func (c *Client) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, c.timeout)
}

// getJSON runs cl and decodes its JSON answer into out.
func (c *Client) getJSON(ctx context.Context, cl call, out any) (http.Header, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	resp, err := c.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return nil, fmt.Errorf("spidergo client: %s %s: decode answer: %w", cl.method, cl.path, err)
	}
	return resp.Header, nil
}

// envelope runs cl and returns its envelope answer.
func (c *Client) envelope(ctx context.Context, cl call) (*Result, error) {
	var r api.Response
	h, err := c.getJSON(ctx, cl, &r)
	if err != nil {
		return nil, err
	}
	if r.Message == nil {
		return nil, fmt.Errorf("spidergo client: %s %s: answer has no envelope", cl.method, cl.path)
	}
	return &Result{Envelope: r.Message, RateLimit: rateLimitOf(h), RequestID: h.Get("X-Request-ID")}, nil
}

// Scrape fetches one page (req.URL) and returns it in res.Pages[0].
func (c *Client) Scrape(ctx context.Context, req *api.Request) (*Result, error) {
	return c.envelope(ctx, call{method: http.MethodPost, path: "/v1/scrape", body: req})
}

// Crawl runs a synchronous crawl of req.URL (at most 100 pages) and returns
// every page. req.Async is ignored; use StartCrawl for large crawls.
func (c *Client) Crawl(ctx context.Context, req *api.Request) (*Result, error) {
	r := *req
	r.Async = nil
	return c.envelope(ctx, call{method: http.MethodPost, path: "/v1/crawl", body: &r})
}

// StartCrawl queues an asynchronous crawl and returns its id; follow it
// with Wait, Job, Pages or Stream.
func (c *Client) StartCrawl(ctx context.Context, req *api.Request) (string, error) {
	r := *req
	r.Async = api.Ptr(true)
	res, err := c.envelope(ctx, call{method: http.MethodPost, path: "/v1/crawl", body: &r})
	if err != nil {
		return "", err
	}
	return res.CRID, nil
}

// BatchScrape queues one job scraping urls with the options of req (which
// may be nil) and returns its id.
func (c *Client) BatchScrape(ctx context.Context, urls []string, req *api.Request) (string, error) {
	var r api.Request
	if req != nil {
		r = *req
	}
	r.URL, r.URLs = "", urls
	res, err := c.envelope(ctx, call{method: http.MethodPost, path: "/v1/batch/scrape", body: &r})
	if err != nil {
		return "", err
	}
	return res.CRID, nil
}

// StartBatch queues one job scraping req.URLs with the options of req and
// returns its head: res.CRID, and res.InvalidURLs, the URLs left out when
// req.IgnoreInvalidURLs is set.
func (c *Client) StartBatch(ctx context.Context, req *api.Request) (*Result, error) {
	r := *req
	r.URL = ""
	return c.envelope(ctx, call{method: http.MethodPost, path: "/v1/batch/scrape", body: &r})
}

// Map lists req.URL's site without fetching its pages: res.URLs.
func (c *Client) Map(ctx context.Context, req *api.Request) (*Result, error) {
	return c.envelope(ctx, call{method: http.MethodPost, path: "/v1/map", body: req})
}

// Job returns a job's status, counts and one page of its results: up to
// limit pages (0: the server's default of 100) after cursor ("" for the
// first). res.Next is the cursor of the following page, "" at the end.
func (c *Client) Job(ctx context.Context, crid, cursor string, limit int) (*Result, error) {
	q := url.Values{}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	return c.envelope(ctx, call{method: http.MethodGet, path: "/v1/crawl/" + url.PathEscape(crid), query: q, idempotent: true})
}

// Cancel stops a queued or running job; the pages fetched so far stay.
func (c *Client) Cancel(ctx context.Context, crid string) (*Result, error) {
	return c.envelope(ctx, call{method: http.MethodDelete, path: "/v1/crawl/" + url.PathEscape(crid)})
}

// History lists the caller's jobs, newest first: up to limit (0: the
// server's default of 20) after cursor.
func (c *Client) History(ctx context.Context, cursor string, limit int) (*api.History, error) {
	q := url.Values{}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var h api.History
	if _, err := c.getJSON(ctx, call{method: http.MethodGet, path: "/v1/history", query: q, idempotent: true}, &h); err != nil {
		return nil, err
	}
	return &h, nil
}

// Usage returns the key's quota today; it takes no quota.
func (c *Client) Usage(ctx context.Context) (*api.Usage, error) {
	var u api.Usage
	if _, err := c.getJSON(ctx, call{method: http.MethodGet, path: "/v1/usage", idempotent: true}, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

type webhookSecret struct {
	Secret string `json:"webhook_secret"`
}

// WebhookSecret returns the key the caller's webhooks are signed with
// (check them with api.Verify).
func (c *Client) WebhookSecret(ctx context.Context) (string, error) {
	var s webhookSecret
	_, err := c.getJSON(ctx, call{method: http.MethodGet, path: "/v1/webhook-secret", idempotent: true}, &s)
	return s.Secret, err
}

// RotateWebhookSecret replaces that key and returns the new one.
func (c *Client) RotateWebhookSecret(ctx context.Context) (string, error) {
	var s webhookSecret
	_, err := c.getJSON(ctx, call{method: http.MethodPost, path: "/v1/webhook-secret"}, &s)
	return s.Secret, err
}

// WebhookDeliveries lists a job's webhook deliveries in the order they are
// sent, with how each went: up to limit (0: the server's default of 100)
// after cursor.
func (c *Client) WebhookDeliveries(ctx context.Context, crid, cursor string, limit int) (*api.WebhookDeliveries, error) {
	q := url.Values{}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out api.WebhookDeliveries
	if _, err := c.getJSON(ctx, call{method: http.MethodGet, path: "/v1/crawl/" + url.PathEscape(crid) + "/webhooks", query: q, idempotent: true}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Redeliver queues one of a job's webhook deliveries again and returns it,
// pending. Queuing a delivery twice sends it once more, not twice, so the
// call is retried like a read.
func (c *Client) Redeliver(ctx context.Context, crid, deliveryID string) (*api.WebhookDelivery, error) {
	var out api.Redelivered
	path := "/v1/crawl/" + url.PathEscape(crid) + "/webhooks/" + url.PathEscape(deliveryID) + "/redeliver"
	if _, err := c.getJSON(ctx, call{method: http.MethodPost, path: path, idempotent: true}, &out); err != nil {
		return nil, err
	}
	if out.Delivery == nil {
		return nil, fmt.Errorf("spidergo client: POST %s: answer has no delivery", path)
	}
	return out.Delivery, nil
}

// Finished reports whether status is final.
func Finished(status string) bool {
	return status == api.StatusCompleted || status == api.StatusCancelled || status == api.StatusFailed
}

// Wait polls a job until it has finished and returns its last status with
// no pages (read them with Pages). Polls start at one a second and slow
// down to one every 10 seconds.
func (c *Client) Wait(ctx context.Context, crid string) (*Result, error) {
	delay := time.Second
	for {
		res, err := c.Job(ctx, crid, "", 1)
		if err != nil {
			return nil, err
		}
		if Finished(res.Status) {
			res.Pages, res.Next = nil, ""
			return res, nil
		}
		if err := sleep(ctx, delay); err != nil {
			return nil, err
		}
		delay = min(delay*3/2, 10*time.Second)
	}
}
