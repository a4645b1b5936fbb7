package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	wurl "github.com/nlnwa/whatwg-url/url"
)

// maxURLLength bounds what is parsed at all; longer URLs are not crawlable
// in practice and only cost memory.
const maxURLLength = 16 << 10

// schemePrefix matches "scheme:" at the start of a URL as RFC 3986 spells a
// scheme. It tells "example.com/a" (a bare host, fetched as https) from
// "ftp://x" or "javascript:x" (refused).
var schemePrefix = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.\-]*:`)

// whatwg parses like a browser does, which is what decides the host: it
// turns 2130706433, 0x7f.1, 017700000001 and 127.1 into 127.0.0.1, applies
// IDNA and percent-decodes host names, so the pre-check sees the address a
// browser would use.
var whatwg = wurl.NewParser()

// Check is the cheap pre-check an API runs on a seed URL before queueing a
// fetch, to answer 400 with a clear reason. It normalises the URL (a bare
// host becomes https://host/, the host is lower-cased and IDNA-encoded,
// numeric IPv4 spellings become dotted quads, the fragment is dropped) and
// refuses, without any network access:
//   - anything but http and https, userinfo, an empty host (KindInvalidURL);
//   - a port that no rule allows, a literal IP the guard refuses, and
//     localhost names (KindBlockedAddress).
//
// A host name that resolves to a refused address passes Check; the dial
// guard stops it during Fetch.
func (f *Fetcher) Check(rawURL string) (*url.URL, error) {
	u, err := normalizeURL(rawURL, nil)
	if err != nil {
		return nil, err
	}
	if err := f.checkDestination(u); err != nil {
		return nil, err
	}
	return u, nil
}

// CheckResolved is Check plus a look-up of the host name with the
// fetcher's resolver: a name whose every address the guard refuses is
// refused (KindBlockedAddress) before anything is queued. A look-up that
// fails or finds nothing passes, so the fetch reports it on the page
// (dns_error). The dial-time check stays the authority: a name may
// resolve elsewhere by the time it is fetched (DNS rebinding).
func (f *Fetcher) CheckResolved(ctx context.Context, rawURL string) (*url.URL, error) {
	u, err := f.Check(rawURL)
	if err != nil {
		return nil, err
	}
	host := u.Hostname()
	if _, err := netip.ParseAddr(host); err == nil {
		return u, nil // Check has decided literal addresses
	}
	port, err := portOf(u)
	if err != nil || f.guard.nameAllowed(host, port) {
		return u, nil
	}
	key := normalizeHostName(host) + ":" + strconv.Itoa(int(port))
	refused, known := f.verdicts.get(key, f.now())
	if !known {
		lctx, cancel := context.WithTimeout(ctx, f.cfg.ConnectTimeout)
		defer cancel()
		addrs, err := f.guard.resolver.LookupNetIP(lctx, "ip", host)
		if err != nil || len(addrs) == 0 {
			return u, nil
		}
		for _, a := range addrs {
			ap := netip.AddrPortFrom(a, port)
			e := f.guard.decide(ap, false)
			if e == nil || f.guard.allowedByName(lctx, ap) {
				refused = nil
				break
			}
			if refused == nil {
				refused = e
			}
		}
		f.verdicts.put(key, refused, f.now())
	}
	if refused == nil {
		return u, nil
	}
	e := *refused
	e.URL = u.String()
	return nil, &e
}

// verdictTTL is how long CheckResolved remembers a name's verdict, so a
// batch of many URLs on one host costs one look-up.
const (
	verdictTTL     = 30 * time.Second
	maxVerdictKeys = 4096
)

// verdictCache remembers CheckResolved's verdicts per host and port.
type verdictCache struct {
	mu sync.Mutex
	m  map[string]verdict
}

type verdict struct {
	refused *Error
	expires time.Time
}

func (c *verdictCache) get(key string, now time.Time) (*Error, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[key]
	if !ok || !now.Before(v.expires) {
		return nil, false
	}
	return v.refused, true
}

func (c *verdictCache) put(key string, refused *Error, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxVerdictKeys {
		// Dropping all at once keeps this bounded without an LRU; the
		// price is a few extra look-ups.
		c.m = map[string]verdict{}
	}
	c.m[key] = verdict{refused: refused, expires: now.Add(verdictTTL)}
}

// normalizeURL parses ref (relative to base when base is not nil, as a
// redirect Location is) and returns it as a net/url URL, or a
// KindInvalidURL error.
func normalizeURL(ref string, base *url.URL) (*url.URL, error) {
	raw := strings.TrimSpace(ref)
	// why is the user's sentence; format and args the cause for logs.
	invalidWhy := func(why, format string, args ...any) error {
		return &Error{Kind: KindInvalidURL, URL: truncateForError(raw), Err: fmt.Errorf(format, args...),
			detail: fmt.Sprintf("URL %q is not a valid URL: %s.", truncateForError(raw), why)}
	}
	invalid := func(format string, args ...any) error {
		return invalidWhy("it cannot be read as a URL", format, args...)
	}
	if raw == "" {
		return nil, invalidWhy("it is empty", "empty URL")
	}
	if len(raw) > maxURLLength {
		return nil, invalidWhy(fmt.Sprintf("it is longer than %d bytes", maxURLLength), "URL longer than %d bytes", maxURLLength)
	}
	if emptyAuthority(raw) {
		// Browsers skip the extra slash and take the first path segment
		// as the host ("http:///path" becomes http://path/); a user who
		// typed this forgot the host.
		return nil, invalidWhy("it has no host name", "URL has an empty host")
	}
	var (
		w   *wurl.Url
		err error
	)
	if base == nil {
		if strings.HasPrefix(raw, "//") {
			raw = "https:" + raw
		} else if !schemePrefix.MatchString(raw) || looksLikeHostPort(raw) {
			raw = "https://" + raw
		}
		w, err = whatwg.Parse(raw)
	} else {
		w, err = whatwg.ParseRef(base.String(), raw)
	}
	if err != nil {
		return nil, &Error{Kind: KindInvalidURL, URL: truncateForError(raw), Err: unwrapWhatwg(err), detail: invalidDetail(raw, err)}
	}
	switch w.Scheme() {
	case "http", "https":
	default:
		return nil, invalidWhy(fmt.Sprintf("only http and https URLs are fetched, not %s", w.Scheme()), "scheme %q is not fetched (only http and https)", w.Scheme())
	}
	if w.Username() != "" || w.Password() != "" {
		return nil, invalidWhy("URLs with a user name or password are not fetched", "URLs with user:password@ are not fetched")
	}
	if w.Hostname() == "" {
		return nil, invalidWhy("it has no host name", "URL has no host")
	}
	u, err := url.Parse(w.Href(true))
	if err != nil {
		return nil, invalid("%v", err)
	}
	if u.Host == "" || u.User != nil {
		return nil, invalid("URL has no usable host")
	}
	return u, nil
}

// emptyAuthority reports an http(s) URL written with three slashes and no
// host: "http:///path".
func emptyAuthority(raw string) bool {
	i := strings.Index(raw, ":")
	if i < 0 {
		return false
	}
	switch strings.ToLower(raw[:i]) {
	case "http", "https":
	default:
		return false
	}
	rest := strings.ReplaceAll(raw[i+1:], "\\", "/")
	return strings.HasPrefix(rest, "///")
}

// looksLikeHostPort tells "localhost:8080/x" or "example.com:443" (a host
// with a port, which the scheme pattern mistakes for a scheme) from
// "mailto:x" (a scheme).
func looksLikeHostPort(raw string) bool {
	i := strings.IndexByte(raw, ':')
	if i < 0 {
		return false
	}
	rest := raw[i+1:]
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		rest = rest[:j]
	}
	if rest == "" {
		return false
	}
	_, err := strconv.ParseUint(rest, 10, 16)
	return err == nil
}

// unwrapWhatwg keeps the library's message but drops its echo of the URL,
// which Error.URL already carries.
func unwrapWhatwg(err error) error {
	msg := err.Error()
	if i := strings.Index(msg, " Url: "); i > 0 {
		msg = msg[:i]
	}
	return errors.New(strings.TrimPrefix(msg, "Error: "))
}

func truncateForError(s string) string {
	const limit = 512
	if len(s) > limit {
		return s[:limit] + "…"
	}
	return s
}

// portOf returns u's explicit port or the scheme's default.
func portOf(u *url.URL) (uint16, error) {
	p := u.Port()
	if p == "" {
		if u.Scheme == "https" {
			return 443, nil
		}
		return 80, nil
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("bad port %q", p)
	}
	return uint16(n), nil
}

// checkDestination applies the guard's rules that need no network: ports,
// literal IPs and localhost names.
func (f *Fetcher) checkDestination(u *url.URL) error {
	port, err := portOf(u)
	if err != nil {
		return &Error{Kind: KindInvalidURL, URL: u.String(), Err: err, detail: fmt.Sprintf("URL %q is not a valid URL: its port is not a number from 1 to 65535.", u.String())}
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if e := f.guard.decide(netip.AddrPortFrom(ip, port), false); e != nil {
			if len(f.guard.allow.names) > 0 && f.guard.allow.ports[port] {
				// A host-name entry might resolve to this very address; only
				// the dial, with a resolver at hand, can tell.
				return nil
			}
			e.URL = u.String()
			return e
		}
		return nil
	}
	if f.guard.nameAllowed(host, port) {
		return nil
	}
	name := normalizeHostName(host)
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		// RFC 6761: these names mean the loopback interface whatever DNS
		// says; refuse them up front unless a loopback address is open.
		v4 := f.guard.decide(netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), port), false)
		v6 := f.guard.decide(netip.AddrPortFrom(netip.IPv6Loopback(), port), false)
		if v4 != nil && v6 != nil {
			v4.URL = u.String()
			return v4
		}
		return nil
	}
	if !f.guard.portPossible(port) {
		e := f.guard.portRefused(port, fmt.Errorf("port %d is not allowed", port))
		e.URL = u.String()
		return e
	}
	return nil
}
