package fetch

import (
	"bytes"
	"container/list"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/temoto/robotstxt"
)

// robotsRedirects is how many redirects a robots.txt fetch follows; RFC
// 9309 asks for at least five.
const robotsRedirects = 5

// robotsRules is what a robots.txt means for our user agent.
type robotsRules struct {
	allowAll    bool
	disallowAll bool
	group       *robotstxt.Group
	delay       time.Duration
	reason      string // why everything is disallowed, when it is not the file's rules
}

func (r *robotsRules) allows(u *url.URL) bool {
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if path == "/robots.txt" {
		// RFC 9309 §2.5: the robots.txt itself is always allowed.
		return true
	}
	switch {
	case r.allowAll:
		return true
	case r.disallowAll:
		return false
	}
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	return r.group.Test(path)
}

type robotsEntry struct {
	key     string
	rules   *robotsRules
	err     *Error // set when robots.txt could not be fetched at all
	expires time.Time
}

type robotsCall struct {
	done  chan struct{}
	entry *robotsEntry // nil when the fetch was canceled: waiters try again
}

// robotsCache is a bounded LRU of robots.txt answers with one fetch in
// flight per key, so a burst of pages from a new host costs one robots.txt
// request.
type robotsCache struct {
	mu       sync.Mutex
	size     int
	ll       *list.List // of *robotsEntry, most recently used first
	items    map[string]*list.Element
	inflight map[string]*robotsCall
}

func newRobotsCache(size int) *robotsCache {
	return &robotsCache{
		size:     size,
		ll:       list.New(),
		items:    map[string]*list.Element{},
		inflight: map[string]*robotsCall{},
	}
}

func (c *robotsCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}

func (c *robotsCache) putLocked(e *robotsEntry) {
	if el, ok := c.items[e.key]; ok {
		el.Value = e
		c.ll.MoveToFront(el)
		return
	}
	c.items[e.key] = c.ll.PushFront(e)
	for c.ll.Len() > c.size {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.items, last.Value.(*robotsEntry).key)
	}
}

// robotsKey is scheme://host:port, the scope of a robots.txt (RFC 9309
// §2.3).
func robotsKey(u *url.URL) string {
	port, _ := portOf(u)
	return u.Scheme + "://" + strings.ToLower(u.Hostname()) + ":" + strconv.Itoa(int(port))
}

// Robots reports whether robots.txt allows u for our user agent and the
// Crawl-delay it asks for (capped at MaxCrawlDelay). The robots.txt is
// fetched through the guarded client at most once per scheme, host and port
// per RobotsTTL, shared by all callers. A robots.txt that could not be
// fetched because of a network failure returns that failure as err (with
// allowed false), since the host is then treated as disallowed for
// RobotsErrorTTL.
func (f *Fetcher) Robots(ctx context.Context, u *url.URL) (allowed bool, crawlDelay time.Duration, err error) {
	allowed, crawlDelay, _, err = f.robotsDecision(ctx, u)
	return allowed, crawlDelay, err
}

// robotsDecision is Robots plus the reason to give when u is refused.
func (f *Fetcher) robotsDecision(ctx context.Context, u *url.URL) (allowed bool, crawlDelay time.Duration, reason string, err error) {
	if u == nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return false, 0, "", &Error{Kind: KindInvalidURL, Err: errors.New("robots.txt needs an absolute http or https URL")}
	}
	e, err := f.robotsEntry(ctx, u)
	if err != nil {
		return false, 0, "", err
	}
	if e.err != nil {
		c := *e.err
		return false, 0, "", &c
	}
	if !e.rules.allows(u) {
		reason = e.rules.reason
		if reason == "" {
			reason = "robots.txt disallows this URL for our user agent"
		}
		return false, 0, reason, nil
	}
	return true, e.rules.delay, "", nil
}

func (f *Fetcher) robotsEntry(ctx context.Context, u *url.URL) (*robotsEntry, error) {
	key := robotsKey(u)
	c := f.robots
	for {
		c.mu.Lock()
		if el, ok := c.items[key]; ok {
			e := el.Value.(*robotsEntry)
			if f.now().Before(e.expires) {
				c.ll.MoveToFront(el)
				c.mu.Unlock()
				return e, nil
			}
		}
		if call, ok := c.inflight[key]; ok {
			c.mu.Unlock()
			select {
			case <-call.done:
				if call.entry != nil {
					return call.entry, nil
				}
				continue // the leader was canceled; fetch it ourselves
			case <-ctx.Done():
				return nil, classify(ctx, key+"/robots.txt", ctx.Err())
			}
		}
		call := &robotsCall{done: make(chan struct{})}
		c.inflight[key] = call
		c.mu.Unlock()

		e, cacheable, err := f.fetchRobots(ctx, u, key)

		c.mu.Lock()
		delete(c.inflight, key)
		if cacheable {
			c.putLocked(e)
		}
		if err == nil {
			call.entry = e
		}
		close(call.done)
		c.mu.Unlock()
		if err != nil {
			return nil, err
		}
		return e, nil
	}
}

// fetchRobots fetches and interprets one robots.txt (RFC 9309 §2.3.1):
// 2xx is parsed; 4xx means no robots.txt, so everything is allowed; 5xx,
// 429 and network failures mean the site cannot tell us, so nothing is
// allowed until RobotsErrorTTL passes. Errors that would stop the page
// fetch just the same (blocked address, cancellation, a limiter failure)
// are returned as err and not cached.
func (f *Fetcher) fetchRobots(ctx context.Context, u *url.URL, key string) (e *robotsEntry, cacheable bool, err error) {
	ru := &url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/robots.txt"}
	resp, err := f.do(ctx, ru, doOptions{
		method:       http.MethodGet,
		header:       http.Header{},
		timeout:      f.cfg.Timeout,
		maxRedirects: robotsRedirects,
		maxBody:      MaxRobotsBytes,
		delay:        0,
		raw:          true,
	})
	now := f.now()
	ok := func(r *robotsRules) (*robotsEntry, bool, error) {
		return &robotsEntry{key: key, rules: r, expires: now.Add(f.cfg.RobotsTTL)}, true, nil
	}
	unreachable := func(cause *Error) (*robotsEntry, bool, error) {
		return &robotsEntry{key: key, rules: &robotsRules{disallowAll: true}, err: cause, expires: now.Add(f.cfg.RobotsErrorTTL)}, true, nil
	}
	if err != nil && resp == nil {
		switch KindOf(err) {
		case KindTooManyRedirects, KindInvalidURL, KindUnsupportedContent:
			// A redirect maze or an undecodable file is "unavailable"
			// (RFC 9309 §2.3.1.2/2.3.1.3): no restrictions.
			return ok(&robotsRules{allowAll: true})
		case KindDNSError, KindConnectError, KindTLSError, KindTimeout, KindTooLarge:
			var fe *Error
			errors.As(err, &fe)
			c := *fe
			c.Err = fmt.Errorf("robots.txt unreachable, host treated as disallowed: %w", fe.Err)
			c.detail = fmt.Sprintf("The robots.txt of %s could not be fetched, so the site is treated as disallowing every page for now: %s", u.Hostname(), Detail(fe))
			return unreachable(&c)
		case KindBlockedAddress:
			var fe *Error
			if errors.As(err, &fe) && fe.URL != "" && fe.URL != ru.String() {
				// robots.txt redirects to an address the guard refuses: the
				// page itself is not refused, its robots.txt is unreachable
				// (the rule above), and the page must say so rather than
				// take the blame for the redirect target.
				return unreachable(&Error{Kind: KindRobotsDisallowed, URL: ru.String(),
					Err:    fmt.Errorf("robots.txt unreachable (redirect to a refused destination %s), host treated as disallowed: %w", fe.URL, fe.Err),
					detail: fmt.Sprintf("The robots.txt of %s redirects to an address this server does not fetch, so it is unreachable and the site is treated as disallowing every page for now.", u.Hostname())})
			}
		}
		return nil, false, err
	}
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
		return ok(parseRobots(resp.Body, f.cfg.RobotsAgent))
	case s == http.StatusTooManyRequests || s >= 500:
		// The server is there but cannot say what it allows: pages are
		// refused as robots_disallowed, with the status as the reason.
		return &robotsEntry{key: key, rules: &robotsRules{
			disallowAll: true,
			reason:      fmt.Sprintf("robots.txt answered %d; the host is treated as disallowed for now", s),
		}, expires: now.Add(f.cfg.RobotsErrorTTL)}, true, nil
	default:
		// 3xx without a usable Location, 4xx, or anything odd: unavailable.
		return ok(&robotsRules{allowAll: true})
	}
}

// parseRobots reads a robots.txt for agent. The file is first rewritten to
// one clean "field: value" line per rule, because the parser rejects a
// whole file over one malformed line while RFC 9309 asks crawlers to use
// every line they understand.
func parseRobots(body []byte, agent string) *robotsRules {
	data, err := robotstxt.FromBytes(sanitizeRobots(body))
	if err != nil {
		// Unreachable with sanitised input (the fuzz test holds it to
		// that); if it ever happens, no rules is the RFC's reading.
		return &robotsRules{allowAll: true}
	}
	g := data.FindGroup(agent)
	delay := g.CrawlDelay
	if delay < 0 || delay > MaxCrawlDelay {
		// Negative means the float overflowed the duration: a huge value.
		delay = MaxCrawlDelay
	}
	return &robotsRules{group: g, delay: delay}
}

// neverMatchingPath stands in for an empty Allow/Disallow value. An empty
// rule matches nothing but still closes a group of User-agent lines; the
// parser would drop it and merge "User-agent: a / Disallow: (empty)" into
// the next group. "%%" never occurs in an escaped URL path.
const neverMatchingPath = "/%%"

func sanitizeRobots(body []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(body))
	seenAgent := false
	lines := bytes.FieldsFunc(body, func(r rune) bool { return r == '\n' || r == '\r' })
	for _, line := range lines {
		if i := bytes.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		i := bytes.IndexByte(line, ':')
		if i < 0 {
			continue
		}
		field := strings.ToLower(strings.TrimSpace(string(line[:i])))
		value := ""
		if fs := strings.Fields(strings.ToValidUTF8(string(line[i+1:]), "\uFFFD")); len(fs) > 0 {
			value = fs[0]
		}
		switch field {
		case "user-agent", "useragent":
			if value == "" {
				continue
			}
			seenAgent = true
			out.WriteString("user-agent: " + value + "\n")
		case "allow", "disallow":
			if !seenAgent {
				continue
			}
			if value == "" {
				value = neverMatchingPath
			}
			out.WriteString(field + ": " + value + "\n")
		case "crawl-delay", "crawldelay":
			if !seenAgent {
				continue
			}
			v, err := strconv.ParseFloat(value, 64)
			if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
				continue
			}
			out.WriteString("crawl-delay: " + value + "\n")
		case "sitemap":
			if value != "" {
				out.WriteString("sitemap: " + value + "\n")
			}
		}
	}
	return out.Bytes()
}
