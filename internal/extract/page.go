package extract

import (
	"golang.org/x/net/publicsuffix"
	"net"
	"net/url"
	"strings"

	whatwg "github.com/nlnwa/whatwg-url/url"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// page is what one walk over the parsed tree collects; every output but the
// content is computed from it without walking the tree again.
type page struct {
	doc      *html.Node
	body     *html.Node
	pageURL  *url.URL
	base     *whatwg.Url // the page URL with <base href> applied; nil when unknown
	elements int

	title    string
	h1s      []string // text of the page's first <h1> elements, see headline
	htmlLang string
	metas    []metaTag
	heads    []linkTag // <link> elements
	baseHref string

	anchors    []anchor
	images     []*html.Node // img and picture/source
	jsonLD     []string
	microdata  []*html.Node // top-level itemscope elements
	resolved   map[string]string
	origin     string // the base's scheme and host, for absPath; "" until needed
	urlParser  whatwg.Parser
	pageHost   string
	pageDomain string
	// story caches page.story: 0 not yet known, 1 a story, 2 not one.
	storyKnown int8
}

type metaTag struct{ key, content string }

type linkTag struct{ rel, href, sizes string }

// anchor is an <a> or <area> element with an href attribute.
type anchor struct{ href, rel string }

func newPage(doc *html.Node, pageURL *url.URL) *page {
	p := &page{doc: doc, pageURL: pageURL, resolved: map[string]string{}, urlParser: whatwg.NewParser()}
	// scopeEnd is the first node after the current top-level itemscope
	// element's subtree; walking in document order, reaching it means leaving
	// the item.
	var scope, scopeEnd *html.Node
	walk(doc, func(n *html.Node) bool {
		if scope != nil && n == scopeEnd {
			scope, scopeEnd = nil, nil
		}
		if n.Type != html.ElementNode {
			return true
		}
		p.elements++
		switch n.DataAtom {
		case atom.Html:
			if p.htmlLang == "" {
				p.htmlLang = strings.TrimSpace(attr(n, "lang"))
				if p.htmlLang == "" {
					p.htmlLang = strings.TrimSpace(attr(n, "xml:lang"))
				}
			}
		case atom.Body:
			if p.body == nil {
				p.body = n
			}
		case atom.Title:
			// An <svg> may hold its own <title>; the document's is in <head>.
			if p.title == "" && !inside(n, atom.Svg) {
				p.title = collapseSpace(textOf(n))
			}
		case atom.H1:
			p.addH1(n)
		case atom.Div, atom.Span, atom.P, atom.Strong:
			if headingOne(n) {
				// Apps built without heading elements mark the title so.
				p.addH1(n)
			}
		case atom.Base:
			if p.baseHref == "" {
				p.baseHref = strings.TrimSpace(attr(n, "href"))
			}
		case atom.Meta:
			content, ok := attrOK(n, "content")
			if !ok {
				break
			}
			key := attr(n, "property")
			if key == "" {
				key = attr(n, "name")
			}
			if key == "" {
				if he := attr(n, "http-equiv"); he != "" {
					key = "http-equiv:" + he
				}
			}
			if key == "" {
				if ip := attr(n, "itemprop"); ip != "" {
					key = "itemprop:" + ip
				}
			}
			if key = strings.ToLower(strings.TrimSpace(key)); key != "" {
				p.metas = append(p.metas, metaTag{key, strings.TrimSpace(content)})
			}
		case atom.Link:
			p.heads = append(p.heads, linkTag{
				rel:   strings.ToLower(strings.TrimSpace(attr(n, "rel"))),
				href:  strings.TrimSpace(attr(n, "href")),
				sizes: attr(n, "sizes"),
			})
		case atom.A, atom.Area:
			if href, ok := attrOK(n, "href"); ok {
				p.anchors = append(p.anchors, anchor{href, attr(n, "rel")})
			}
		case atom.Img, atom.Source:
			p.images = append(p.images, n)
		case atom.Script:
			if isJSONLD(n) {
				p.jsonLD = append(p.jsonLD, textOf(n))
			}
			return false
		case atom.Style, atom.Template:
			return false
		}
		if _, ok := attrOK(n, "itemscope"); ok && scope == nil {
			p.microdata = append(p.microdata, n)
			scope, scopeEnd = n, afterSubtree(n)
		}
		return true
	})
	p.setBase()
	return p
}

// setBase resolves the page's base URL from its URL and <base href>, and
// the page's host and registrable domain.
func (p *page) setBase() {
	if p.pageURL != nil {
		if u, err := p.urlParser.Parse(p.pageURL.String()); err == nil {
			p.base = u
			p.pageHost = strings.ToLower(u.Hostname())
		}
	}
	if p.baseHref != "" {
		// A <base> that is not http(s) (javascript:, data:) would make every
		// relative URL of the page unusable or hostile: it is ignored.
		var u *whatwg.Url
		var err error
		if p.base != nil {
			u, err = p.urlParser.ParseRef(p.base.Href(false), p.baseHref)
		} else {
			u, err = p.urlParser.Parse(p.baseHref)
		}
		if err == nil && (u.Scheme() == "http" || u.Scheme() == "https") {
			p.base = u
		}
	}
	p.pageDomain = registrableDomain(p.pageHost)
}

func isJSONLD(n *html.Node) bool { return isJSONLDType(attr(n, "type")) }

func isJSONLDType(t string) bool {
	t = strings.ToLower(strings.TrimSpace(t))
	return t == "application/ld+json" || strings.HasPrefix(t, "application/ld+json;")
}

// meta returns the content of the first meta tag with one of keys, in the
// order of keys.
func (p *page) meta(keys ...string) string {
	for _, k := range keys {
		for _, m := range p.metas {
			if m.key == k && m.content != "" {
				return m.content
			}
		}
	}
	return ""
}

// abs resolves ref against the page's base URL and returns it without its
// fragment; it returns "" for anything but http(s) URLs.
func (p *page) abs(ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return ""
	}
	if v, ok := p.resolved[ref]; ok {
		return v
	}
	if out, ok := p.absPath(ref); ok {
		if len(p.resolved) < 50_000 {
			p.resolved[ref] = out
		}
		return out
	}
	var u *whatwg.Url
	var err error
	if p.base != nil {
		u, err = p.base.Parse(ref)
	} else {
		u, err = p.urlParser.Parse(ref)
	}
	out := ""
	if err == nil && (u.Scheme() == "http" || u.Scheme() == "https") && u.Hostname() != "" {
		out = u.Href(true)
	}
	if len(p.resolved) < 50_000 {
		p.resolved[ref] = out
	}
	return out
}

// fill computes every output except the content.
func (p *page) fill(res *Result, opts Options) {
	res.Title = p.title
	if res.Title == "" {
		res.Title = p.meta("og:title", "twitter:title")
	}
	res.Description = p.meta("description", "og:description", "twitter:description")
	res.Language = p.language()
	res.Canonical = p.canonical()
	res.Robots = p.robots(opts.RobotsHeaders)
	res.NoIndex, res.NoFollow = res.Robots.NoIndex, res.Robots.NoFollow
	res.Links = p.links(opts.SubdomainsInternal)
	if opts.wants(FormatImages) {
		res.Images = p.imageURLs()
	}
	var ld []any
	if opts.wants(FormatStructuredData) || opts.wants(FormatProducts) || opts.wants(FormatMetadata) {
		ld = parseJSONLD(p.jsonLD)
	}
	if opts.wants(FormatStructuredData) {
		res.StructuredData = ld
		if res.StructuredData == nil {
			res.StructuredData = []any{}
		}
	}
	if opts.wants(FormatProducts) {
		res.Products = p.products(ld)
	}
	if opts.wants(FormatMetadata) {
		res.Metadata = p.metadata(res, ld)
	}
}

func (p *page) language() string {
	if p.htmlLang != "" {
		return p.htmlLang
	}
	if l := p.meta("http-equiv:content-language", "language", "dc.language"); l != "" {
		if i := strings.IndexByte(l, ','); i >= 0 {
			l = l[:i]
		}
		return strings.TrimSpace(l)
	}
	return ""
}

func (p *page) canonical() string {
	for _, l := range p.heads {
		if hasToken(l.rel, "canonical") {
			if u := p.abs(l.href); u != "" {
				return u
			}
		}
	}
	return ""
}

// favicon prefers an icon link, the largest declared, then an apple touch icon.
func (p *page) favicon() string {
	best, bestSize := "", -1
	for _, l := range p.heads {
		if !hasToken(l.rel, "icon") {
			continue
		}
		u := p.abs(l.href)
		if u == "" {
			continue
		}
		size := 0
		if f := strings.Fields(strings.ToLower(l.sizes)); len(f) > 0 {
			w, _, _ := strings.Cut(f[0], "x")
			for _, c := range w {
				if c < '0' || c > '9' {
					size = 0
					break
				}
				size = size*10 + int(c-'0')
				if size > 1<<20 {
					break
				}
			}
		}
		if size > bestSize {
			best, bestSize = u, size
		}
	}
	if best != "" {
		return best
	}
	for _, l := range p.heads {
		if strings.HasPrefix(l.rel, "apple-touch-icon") {
			if u := p.abs(l.href); u != "" {
				return u
			}
		}
	}
	return ""
}

// absPath resolves the commonest link, a path from the site's root made
// only of characters the URL parser leaves as they are ("/a/b-c_d.html",
// "/list?page=2&sort=new"), without the parser: the URL is the base's
// origin followed by the path. It reports false for anything else (dot
// segments, escapes, other characters, a fragment, a base that is not
// http(s)), which the parser resolves.
func (p *page) absPath(ref string) (string, bool) {
	if p.base == nil || len(ref) < 1 || ref[0] != '/' || len(ref) > 1 && ref[1] == '/' || strings.Contains(ref, "/.") {
		return "", false
	}
	if p.origin == "" {
		scheme := p.base.Scheme()
		if (scheme != "http" && scheme != "https") || p.base.Hostname() == "" || p.base.Username() != "" || p.base.Password() != "" {
			return "", false
		}
		p.origin = scheme + "://" + p.base.Host()
	}
	query := false
	for i := 0; i < len(ref); i++ {
		c := ref[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '/', c == '-', c == '_', c == '.', c == '~':
		case c == '?' && !query:
			query = true
		case query && (c == '=' || c == '&'):
		default:
			return "", false
		}
	}
	return p.origin + ref, true
}

func (p *page) links(subdomains bool) Links {
	l := Links{Internal: []string{}, External: []string{}}
	seen := make(map[string]bool, len(p.anchors))
	nofollow := map[string]bool{}
	for _, a := range p.anchors {
		href := strings.TrimSpace(a.href)
		if href == "" || href[0] == '#' {
			continue
		}
		u := p.abs(href)
		if u == "" {
			continue
		}
		if hasToken(strings.ToLower(a.rel), "nofollow") && !nofollow[u] {
			nofollow[u] = true
			l.Nofollow = append(l.Nofollow, u)
		}
		if seen[u] {
			continue
		}
		seen[u] = true
		if p.internal(u, subdomains) {
			l.Internal = append(l.Internal, u)
		} else {
			l.External = append(l.External, u)
		}
	}
	return l
}

// internal reports whether the absolute URL u is on the page's site.
func (p *page) internal(u string, subdomains bool) bool {
	if p.pageHost == "" {
		return false
	}
	host := hostOf(u)
	if host == p.pageHost {
		return true
	}
	if subdomains {
		return p.pageDomain != "" && registrableDomain(host) == p.pageDomain
	}
	return strings.TrimPrefix(host, "www.") == strings.TrimPrefix(p.pageHost, "www.")
}

// hostOf returns the host name of an absolute URL already normalized by abs.
func hostOf(u string) string {
	_, rest, ok := strings.Cut(u, "://")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest = rest[i+1:]
	}
	if strings.HasPrefix(rest, "[") {
		if i := strings.IndexByte(rest, ']'); i >= 0 {
			return rest[:i+1]
		}
	}
	if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

func (p *page) imageURLs() []string {
	out := []string{}
	seen := map[string]bool{}
	add := func(ref string) {
		if u := p.abs(ref); u != "" && !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	for _, n := range p.images {
		if n.DataAtom == atom.Source && (n.Parent == nil || n.Parent.DataAtom != atom.Picture) {
			continue // <source> of <audio> or <video>
		}
		for _, a := range n.Attr {
			switch a.Key {
			case "src", "data-src", "data-lazy-src", "data-original", "data-url":
				if n.DataAtom == atom.Img || a.Key != "src" || n.Parent.DataAtom == atom.Picture {
					add(a.Val)
				}
			case "srcset", "data-srcset", "data-lazy-srcset":
				for _, c := range srcsetURLs(a.Val) {
					add(c)
				}
			}
		}
	}
	for _, m := range p.metas {
		if m.key == "og:image" || m.key == "og:image:url" || m.key == "og:image:secure_url" {
			add(m.content)
		}
	}
	return out
}

// srcsetURLs returns the image URLs of a srcset attribute.
func srcsetURLs(s string) []string {
	var out []string
	for _, c := range srcsetCandidates(s) {
		out = append(out, c.url)
	}
	return out
}

type srcsetCandidate struct{ url, descriptor string }

// srcsetCandidates splits a srcset attribute following the HTML parsing
// rules: a URL is a run of non-space characters, trailing commas end a
// candidate, descriptors run to the next comma outside parentheses.
func srcsetCandidates(s string) []srcsetCandidate {
	var out []srcsetCandidate
	i := 0
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }
	for i < len(s) {
		for i < len(s) && (isSpace(s[i]) || s[i] == ',') {
			i++
		}
		start := i
		for i < len(s) && !isSpace(s[i]) {
			i++
		}
		u := s[start:i]
		ended := false
		for strings.HasSuffix(u, ",") {
			u = u[:len(u)-1]
			ended = true
		}
		desc := ""
		if !ended {
			dStart, depth := i, 0
			for i < len(s) {
				c := s[i]
				if c == '(' {
					depth++
				} else if c == ')' && depth > 0 {
					depth--
				} else if c == ',' && depth == 0 {
					break
				}
				i++
			}
			desc = strings.TrimSpace(s[dStart:i])
			if i < len(s) {
				i++
			}
		}
		if u != "" {
			out = append(out, srcsetCandidate{u, desc})
		}
	}
	return out
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func attrOK(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func hasToken(list, tok string) bool {
	for _, f := range strings.Fields(list) {
		if f == tok {
			return true
		}
	}
	return false
}

func inside(n *html.Node, a atom.Atom) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.DataAtom == a {
			return true
		}
	}
	return false
}

// afterSubtree returns the node that follows n's subtree in document order.
func afterSubtree(n *html.Node) *html.Node {
	for ; n != nil; n = n.Parent {
		if n.NextSibling != nil {
			return n.NextSibling
		}
	}
	return nil
}

// textOf concatenates the text nodes under n.
func textOf(n *html.Node) string {
	if c := n.FirstChild; c != nil && c.Type == html.TextNode && c.NextSibling == nil {
		return c.Data
	}
	var b strings.Builder
	walk(n, func(c *html.Node) bool {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
		return c.Type != html.ElementNode || (c.DataAtom != atom.Script && c.DataAtom != atom.Style) || c == n
	})
	return b.String()
}

func collapseSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// registrableDomain is host's domain under its public suffix
// (news.example.co.uk → example.co.uk); IP addresses and single labels are
// their own domain.
func registrableDomain(host string) string {
	if host == "" {
		return ""
	}
	if net.ParseIP(strings.Trim(host, "[]")) != nil {
		return host
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return host
	}
	return d
}

// addH1 records the text of a level-one heading, for headline.
func (p *page) addH1(n *html.Node) {
	if len(p.h1s) < 4 {
		if t := collapseSpace(textOf(n)); t != "" && len(t) < 300 {
			p.h1s = append(p.h1s, t)
		}
	}
}

// headingOne reports whether n is marked as a level-one heading by its
// role: role="heading" aria-level="1".
func headingOne(n *html.Node) bool {
	return strings.EqualFold(attr(n, "role"), "heading") && strings.TrimSpace(attr(n, "aria-level")) == "1"
}
