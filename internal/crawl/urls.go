package crawl

import (
	"net/url"
	"slices"
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
	key, _, ok := normalizeParsed(raw, ignoreQuery)
	return key, ok
}

// normalizeParsed is Normalize that also returns the key parsed, so that
// the engine parses each link once with each parser, not twice with Go's.
func normalizeParsed(raw string, ignoreQuery bool) (string, *url.URL, bool) {
	u, err := canon.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", nil, false
	}
	if s := u.Scheme(); s != "http" && s != "https" {
		return "", nil, false
	}
	if u.Hostname() == "" || u.Username() != "" || u.Password() != "" {
		return "", nil, false
	}
	if ignoreQuery || u.Search() == "" {
		u.SetSearch("")
	}
	out := u.Href(true)
	out = strings.TrimSuffix(out, "?")
	// Browsers accept stray "%" signs that Go's URL parser (and so the
	// fetcher) refuses; such a link cannot be fetched.
	pu, err := url.Parse(out)
	if err != nil {
		return "", nil, false
	}
	return out, pu, true
}

// normalizeLink is normalizeParsed for a link extract returned: an
// absolute http(s) URL already serialized by the WHATWG parser, without its
// fragment. Serializing a parsed URL and parsing it again gives the same
// URL, so a link without a query (nothing to sort) and without user info
// is its own key and needs no second WHATWG parse: only Go's parse, which
// the scope checks read and which refuses what the fetcher would refuse.
// Anything else goes the full way.
func normalizeLink(link string, ignoreQuery bool) (string, *url.URL, bool) {
	key := link
	if i := strings.IndexByte(link, '?'); i >= 0 {
		sorted, ok := sortPlainQuery(link[i+1:])
		if !ok {
			return normalizeParsed(link, ignoreQuery)
		}
		if key = link[:i]; !ignoreQuery && sorted != "" {
			key += "?" + sorted
		}
	}
	if strings.ContainsAny(key, "@#") || !(strings.HasPrefix(key, "https://") || strings.HasPrefix(key, "http://")) {
		return normalizeParsed(link, ignoreQuery)
	}
	pu, err := url.Parse(key)
	if err != nil || pu.Host == "" || pu.User != nil {
		return normalizeParsed(link, ignoreQuery)
	}
	return key, pu, true
}

// sortPlainQuery sorts a query's parameters by name, keeping the order of
// equal names, as the canonical parse does — for queries whose every
// parameter is name=value made of letters, digits and "-._", which the
// canonical form writes back unchanged. It reports false for any other
// query, which takes the full parse.
func sortPlainQuery(q string) (string, bool) {
	if q == "" {
		return "", true
	}
	var params []string
	for p := range strings.SplitSeq(q, "&") {
		eq := strings.IndexByte(p, '=')
		if eq <= 0 {
			return "", false
		}
		for i := 0; i < len(p); i++ {
			c := p[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '=' && i == eq) {
				return "", false
			}
		}
		params = append(params, p)
	}
	if len(params) > 1 {
		slices.SortStableFunc(params, func(a, b string) int {
			return strings.Compare(a[:strings.IndexByte(a, '=')], b[:strings.IndexByte(b, '=')])
		})
	}
	return strings.Join(params, "&"), true
}

// scope decides whether a URL belongs to a crawl: the seed's host
// (case-insensitive, a leading "www." ignored) on the seed's port, any
// scheme, under the seed's directory (a seed /docs/intro keeps the crawl in
// /docs/). entireSite drops the directory; allow_subdomains widens the host
// to the seed's registrable domain and allow_external to everything (both
// imply the entire site).
type scope struct {
	host, port, domain string
	// dir is the seed's directory ("/docs/"); "" when the whole site is
	// in scope.
	dir             string
	subdomains, any bool
}

func newScope(seed string, subdomains, external, entireSite bool) scope {
	u, _ := url.Parse(seed)
	s := scope{subdomains: subdomains, any: external}
	if u != nil {
		s.host = siteHost(u.Hostname())
		s.port = effectivePort(u)
		s.domain = registrable(s.host)
		if !entireSite && !subdomains && !external {
			p := u.EscapedPath()
			if i := strings.LastIndexByte(p, '/'); i > 0 {
				s.dir = p[:i+1]
			}
		}
	}
	return s
}

func (s scope) contains(u *url.URL) bool {
	if s.any {
		return true
	}
	h := siteHost(u.Hostname())
	if h == s.host {
		return effectivePort(u) == s.port && s.underDir(u)
	}
	if s.subdomains && s.domain != "" {
		return h == s.domain || strings.HasSuffix(h, "."+s.domain)
	}
	return false
}

// underDir reports whether u's path is in the seed's directory; the
// directory itself without its slash ("/docs" for "/docs/") counts too.
func (s scope) underDir(u *url.URL) bool {
	if s.dir == "" {
		return true
	}
	p := u.EscapedPath()
	return strings.HasPrefix(p, s.dir) || p == s.dir[:len(s.dir)-1]
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

// indexFiles are the file names servers answer a directory with; a link
// to one is the directory's page.
var indexFiles = map[string]bool{
	"index.html": true, "index.htm": true, "index.shtml": true, "index.php": true,
	"index.asp": true, "index.aspx": true, "index.jsp": true, "index.cfm": true,
	"default.asp": true, "default.aspx": true, "default.htm": true, "default.html": true,
}

// foldKey is the key under which equivalent spellings of one page meet:
// the host without "www.", an index file dropped for its directory, a
// trailing slash dropped. The first spelling admitted is the one fetched;
// later ones are skipped as "duplicate_similar".
func foldKey(u *url.URL) string {
	p := u.EscapedPath()
	if i := strings.LastIndexByte(p, '/'); i >= 0 && indexFiles[strings.ToLower(p[i+1:])] {
		p = p[:i+1]
	}
	p = strings.TrimRight(p, "/")
	var b strings.Builder
	b.Grow(len(u.Scheme) + len(u.Host) + len(p) + len(u.RawQuery) + 4)
	b.WriteString(u.Scheme)
	b.WriteString("://")
	b.WriteString(siteHost(u.Hostname()))
	if port := effectivePort(u); port != "" {
		b.WriteByte(':')
		b.WriteString(port)
	}
	b.WriteString(p)
	if u.RawQuery != "" {
		b.WriteByte('?')
		b.WriteString(u.RawQuery)
	}
	return b.String()
}
