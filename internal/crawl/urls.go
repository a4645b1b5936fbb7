package crawl

import (
	"net/url"
	"strings"

	"github.com/nlnwa/whatwg-url/canonicalizer"
	"golang.org/x/net/publicsuffix"
)

// canon parses URLs as browsers do, drops the fragment and sorts the query
// keys, so that equivalent spellings of one page collapse to one key.
var canon = canonicalizer.New(canonicalizer.WithRemoveFragment(), canonicalizer.WithSortQuery(canonicalizer.SortKeys))

// Normalize returns the dedup key of raw: the WHATWG-canonical URL without
// fragment, with sorted query keys, default port removed and an empty query
// dropped; ignoreQuery drops the whole query. ok is false for anything but
// http(s).
func Normalize(raw string, ignoreQuery bool) (string, bool) {
	u, err := canon.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", false
	}
	if s := u.Scheme(); s != "http" && s != "https" {
		return "", false
	}
	if u.Hostname() == "" || u.Username() != "" || u.Password() != "" {
		return "", false
	}
	if ignoreQuery || u.Search() == "" {
		u.SetSearch("")
	}
	out := u.Href(true)
	out = strings.TrimSuffix(out, "?")
	// Browsers accept stray "%" signs that Go's URL parser (and so the
	// fetcher) refuses; such a link cannot be fetched.
	if _, err := url.Parse(out); err != nil {
		return "", false
	}
	return out, true
}

// scope decides whether a URL belongs to a crawl: the seed's host
// (case-insensitive, a leading "www." ignored) on the seed's port, any
// scheme; allow_subdomains widens it to the seed's registrable domain and
// allow_external to everything.
type scope struct {
	host, port, domain string
	subdomains, any    bool
}

func newScope(seed string, subdomains, external bool) scope {
	u, _ := url.Parse(seed)
	s := scope{subdomains: subdomains, any: external}
	if u != nil {
		s.host = siteHost(u.Hostname())
		s.port = effectivePort(u)
		s.domain = registrable(s.host)
	}
	return s
}

func (s scope) contains(u *url.URL) bool {
	if s.any {
		return true
	}
	h := siteHost(u.Hostname())
	if h == s.host {
		return effectivePort(u) == s.port
	}
	if s.subdomains && s.domain != "" {
		return h == s.domain || strings.HasSuffix(h, "."+s.domain)
	}
	return false
}

func siteHost(h string) string {
	return strings.TrimPrefix(strings.ToLower(strings.TrimSuffix(h, ".")), "www.")
}

// effectivePort counts the default ports of http and https as equal, so
// http://a/ and https://a/ are one site.
func effectivePort(u *url.URL) string {
	p := u.Port()
	if p == "" || p == "80" || p == "443" {
		return ""
	}
	return p
}

func registrable(host string) string {
	d, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return host
	}
	return d
}
