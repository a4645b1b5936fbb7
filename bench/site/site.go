// Package site is a deterministic synthetic web site for crawl benchmarks.
//
// A Site has a fixed number of HTML pages (a home page, section fronts,
// paginated section listings, articles and a small private section) whose
// bytes depend only on the seed and the page's number. Pages look like news
// articles: a head with metadata and inline CSS, a header with navigation,
// an article of paragraphs and sub-headings, a related-articles aside and a
// footer. Each page has between MinLinks and MaxLinks links and among them
// the things that trip crawlers up: the same link twice, tracking-parameter
// variants of one page (?ref=nav, ?utm_source=…), one query spelled with its
// parameters in two orders, fragment links, links to other sites and links
// into /private/, which robots.txt disallows. /sitemap.xml lists every page
// a crawler may fetch.
//
// The site counts every request by its exact request URI, so a benchmark can
// tell how many fetches were repeats: of the same URI, of the same URL once
// its query is sorted, and of the same page under another spelling.
package site

import (
	"fmt"
	"html"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Defaults for the zero values of Config.
const (
	DefaultPages    = 5000
	DefaultMinBytes = 30 << 10
	DefaultMaxBytes = 120 << 10
	DefaultMinLinks = 20
	DefaultMaxLinks = 80
)

// MinPages is the smallest site: the home page, the section fronts and
// listings, and a few articles.
const MinPages = firstArticle + 10

// Sections of the site; every article belongs to one.
var sections = []string{"world", "business", "technology", "science", "health", "sport", "culture", "travel"}

const (
	listingPages = 4 // listing pages 2..5 of each section, after its front
	firstListing = 1 + 8
	firstArticle = firstListing + 8*listingPages
	privateEvery = 100 // every 100th article lives under /private/
	popularCount = 20  // articles the footer promotes with utm_ parameters
)

// Config shapes a Site. The zero value is the default site.
type Config struct {
	Pages              int    // number of distinct HTML pages (DefaultPages)
	Seed               uint64 // the same seed gives the same bytes
	MinBytes, MaxBytes int    // page size range (DefaultMinBytes, DefaultMaxBytes)
	MinLinks, MaxLinks int    // <a href> per page (DefaultMinLinks, DefaultMaxLinks)
}

// Site is an http.Handler serving the synthetic site and counting requests.
// It is safe for concurrent use.
type Site struct {
	cfg     Config
	popular []int

	pages [][]byte // rendered pages, after Prebuild

	mu   sync.Mutex
	hits map[string]int
}

// New builds a Site.
func New(cfg Config) *Site {
	if cfg.Pages == 0 {
		cfg.Pages = DefaultPages
	}
	cfg.Pages = max(cfg.Pages, MinPages)
	if cfg.MinBytes == 0 {
		cfg.MinBytes = DefaultMinBytes
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	cfg.MaxBytes = max(cfg.MaxBytes, cfg.MinBytes)
	if cfg.MinLinks == 0 {
		cfg.MinLinks = DefaultMinLinks
	}
	if cfg.MaxLinks == 0 {
		cfg.MaxLinks = DefaultMaxLinks
	}
	cfg.MaxLinks = max(cfg.MaxLinks, cfg.MinLinks)
	s := &Site{cfg: cfg, hits: map[string]int{}}
	for i := firstArticle; i < cfg.Pages && len(s.popular) < popularCount; i++ {
		if !s.Private(i) {
			s.popular = append(s.popular, i)
		}
	}
	return s
}

// Prebuild renders every page once and keeps them in memory, so that
// serving costs a copy instead of a page generation (about a millisecond
// of CPU per page, which a benchmark on few cores would otherwise share with
// the crawler it measures). Call it before serving.
func (s *Site) Prebuild() {
	pages := make([][]byte, s.cfg.Pages)
	for i := range pages {
		pages[i] = s.Page(i)
	}
	s.pages = pages
}

// Config returns the configuration with defaults applied.
func (s *Site) Config() Config { return s.cfg }

// Private reports whether page i lives under /private/ (robots.txt
// disallows it).
func (s *Site) Private(i int) bool {
	return i >= firstArticle && (i-firstArticle)%privateEvery == privateEvery-1
}

// Crawlable is the number of pages robots.txt allows.
func (s *Site) Crawlable() int {
	n := 0
	for i := range s.cfg.Pages {
		if !s.Private(i) {
			n++
		}
	}
	return n
}

// Path returns the canonical request URI of page i: path, and for listing
// pages the query in the site's own order.
func (s *Site) Path(i int) string {
	switch {
	case i == 0:
		return "/"
	case i < firstListing:
		return "/news/" + sections[i-1] + "/"
	case i < firstArticle:
		k := i - firstListing
		return fmt.Sprintf("/news/%s/?page=%d&sort=new", sections[k/listingPages], k%listingPages+2)
	case s.Private(i):
		return fmt.Sprintf("/private/%d-%s.html", i, slug(s.cfg.Seed, i))
	default:
		return fmt.Sprintf("/%s/%d-%s.html", sections[i%len(sections)], i, slug(s.cfg.Seed, i))
	}
}

// Lookup returns the page a request URI names, ignoring tracking
// parameters, the order of parameters and any fragment; ok is false when
// the URI names no page.
func (s *Site) Lookup(requestURI string) (i int, ok bool) {
	u, err := url.Parse(requestURI)
	if err != nil {
		return 0, false
	}
	p := u.Path
	if p == "/" || p == "" {
		return 0, true
	}
	if rest, found := strings.CutPrefix(p, "/news/"); found {
		sec := slices.Index(sections, strings.TrimSuffix(rest, "/"))
		if sec < 0 || !strings.HasSuffix(rest, "/") {
			return 0, false
		}
		q := u.Query()
		page := q.Get("page")
		if page == "" || page == "1" {
			return 1 + sec, true
		}
		k, err := strconv.Atoi(page)
		if err != nil || k < 2 || k > listingPages+1 || q.Get("sort") != "new" {
			return 0, false
		}
		return firstListing + sec*listingPages + k - 2, true
	}
	// /<section>/<n>-<slug>.html or /private/<n>-<slug>.html
	last := p[strings.LastIndexByte(p, '/')+1:]
	dash := strings.IndexByte(last, '-')
	if dash < 0 {
		return 0, false
	}
	n, err := strconv.Atoi(last[:dash])
	if err != nil || n < firstArticle || n >= s.cfg.Pages || s.Path(n) != p {
		return 0, false
	}
	return n, true
}

// ServeHTTP serves pages, /robots.txt and /sitemap.xml, and counts the
// request.
func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	uri := r.URL.RequestURI()
	s.mu.Lock()
	s.hits[uri]++
	s.mu.Unlock()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	var body []byte
	switch r.URL.Path {
	case "/robots.txt":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		body = []byte(s.Robots("http://" + r.Host))
	case "/sitemap.xml":
		w.Header().Set("Content-Type", "application/xml")
		body = s.Sitemap("http://" + r.Host)
	default:
		i, ok := s.Lookup(uri)
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if s.pages != nil {
			body = s.pages[i]
		} else {
			body = s.Page(i)
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodGet {
		w.Write(body)
	}
}

// Robots returns /robots.txt for a site served at base ("http://host:port").
func (s *Site) Robots(base string) string {
	return "User-agent: *\nDisallow: /private/\n\nSitemap: " + base + "/sitemap.xml\n"
}

// Sitemap returns /sitemap.xml: every page robots.txt allows.
func (s *Site) Sitemap(base string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">` + "\n")
	for i := range s.cfg.Pages {
		if s.Private(i) {
			continue
		}
		fmt.Fprintf(&b, "<url><loc>%s%s</loc></url>\n", base, html.EscapeString(s.Path(i)))
	}
	b.WriteString("</urlset>\n")
	return []byte(b.String())
}

// Stats are the requests counted since the last Reset.
type Stats struct {
	Requests int // every request
	URIs     int // distinct request URIs, exactly as sent
	URLs     int // distinct URIs once query parameters are sorted
	Pages    int // distinct pages (and other resources) under any spelling
	HTML     int // distinct HTML pages of the site among Pages
	NotFound int // requests answered 404
}

// RepeatedURIs is the share of requests beyond the first per exact URI.
func (st Stats) RepeatedURIs() float64 { return share(st.Requests-st.URIs, st.Requests) }

// RepeatedURLs is the share of requests beyond the first per URL, counting
// a query whose parameters come in another order as the same URL.
func (st Stats) RepeatedURLs() float64 { return share(st.Requests-st.URLs, st.Requests) }

// RepeatedPages is the share of requests beyond the first per page, counting
// tracking-parameter variants as the same page.
func (st Stats) RepeatedPages() float64 { return share(st.Requests-st.Pages, st.Requests) }

func share(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// Stats reports the requests counted since the last Reset.
func (s *Site) Stats() Stats {
	s.mu.Lock()
	hits := make(map[string]int, len(s.hits))
	for k, v := range s.hits {
		hits[k] = v
	}
	s.mu.Unlock()
	var st Stats
	urls, pages, html := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for uri, n := range hits {
		st.Requests += n
		st.URIs++
		urls[sortedQuery(uri)] = true
		key := uri
		if i, ok := s.Lookup(uri); ok {
			key = s.Path(i)
			html[key] = true
		} else if p, _, _ := strings.Cut(uri, "?"); p == "/robots.txt" || p == "/sitemap.xml" {
			key = p
		} else {
			st.NotFound += n
		}
		pages[key] = true
	}
	st.URLs, st.Pages, st.HTML = len(urls), len(pages), len(html)
	return st
}

// Hits returns a copy of the per-URI request counts.
func (s *Site) Hits() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.hits))
	for k, v := range s.hits {
		out[k] = v
	}
	return out
}

// Reset forgets the counted requests.
func (s *Site) Reset() {
	s.mu.Lock()
	s.hits = map[string]int{}
	s.mu.Unlock()
}

func sortedQuery(uri string) string {
	p, q, ok := strings.Cut(uri, "?")
	if !ok {
		return p
	}
	params := strings.Split(q, "&")
	slices.Sort(params)
	return p + "?" + strings.Join(params, "&")
}

// Server is a Site listening on loopback.
type Server struct {
	*Site
	URL string // "http://127.0.0.1:PORT"
	srv *http.Server
	ln  net.Listener
}

// Start serves a new Site on 127.0.0.1 at a free port.
func Start(cfg Config) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{Site: New(cfg), URL: "http://" + ln.Addr().String(), ln: ln}
	s.srv = &http.Server{Handler: s.Site}
	go s.srv.Serve(ln)
	return s, nil
}

// Host is the server's "127.0.0.1:PORT".
func (s *Server) Host() string { return s.ln.Addr().String() }

// Close stops the server.
func (s *Server) Close() error { return s.srv.Close() }

// rng returns the random source of one page: the same seed and page give
// the same sequence.
func rng(seed uint64, i int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(i)*0x9e3779b97f4a7c15+1))
}

func slug(seed uint64, i int) string {
	r := rng(seed^0x5eed, i)
	n := 3 + r.IntN(4)
	parts := make([]string, n)
	for k := range parts {
		parts[k] = words[r.IntN(len(words))]
	}
	return strings.Join(parts, "-")
}
