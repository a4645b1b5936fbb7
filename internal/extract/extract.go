// Package extract turns one fetched HTML page into the outputs SpiderGo returns:
// Markdown, plain text and cleaned HTML of the page's content, metadata, links,
// images, products and JSON-LD structured data.
//
// The package knows nothing of HTTP handlers, users or fetching: it takes the
// page's bytes and URL and gives back a [Result].
//
//	res, err := extract.Extract(body, pageURL, extract.DefaultOptions())
//
// The HTML is parsed once. Links, robots directives, metadata and structured
// data are read from that tree first; the content stage then works on the same
// tree and may change it. Links and Robots are always filled because the
// crawler needs them; every other output is computed only when its format is
// asked for, and the content formats share one content selection. Markdown is
// written by this package in one walk of the chosen content (markdown.go). A
// request for links and raw HTML only (a crawl that follows links)
// builds no tree: a scan of the page's tokens reads the same elements and
// gives the same results, and leaves to the tree the pages where the parser
// would move or drop elements (scan.go).
//
// Main-content detection (Options.OnlyMainContent) scores the page's own tree
// for its article container (score.go) and then removes the boilerplate such
// scoring keeps: share and follow widgets, newsletter and subscription boxes,
// related-article lists, comment sections, bylines, photo credits, link-dense
// blocks, short non-sentence lines at the start and end of the article, a
// trailing "related posts" block of links and thumbnails, pin-it and share
// images, captions left without their photo and rules that separate nothing.
// When the article holds too little, the page body stripped of navigation,
// headers, footers and asides is used instead.
//
// The html format is passed through an allow-list sanitizer (bluemonday) as
// its last step, because browsers render it; see sanitize.go for what it
// keeps. Robots directives (Result.Robots) are reported, never acted on:
// content is extracted whatever they say.
//
// Hostile input is bounded: bodies above [MaxInputBytes] are refused, trees
// nested deeper than the HTML parser accepts are flattened, documents with more
// than [MaxElements] elements skip main-content scoring, and any panic inside
// the package is returned as a [*PanicError] wrapping [ErrInternal].
package extract

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"runtime/debug"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/spidergo/spidergo"
)

// Format names, as the API spells them in the request's "formats" list.
const (
	FormatMarkdown       = "markdown"
	FormatText           = "text"
	FormatHTML           = "html"
	FormatRawHTML        = "raw_html"
	FormatLinks          = "links"
	FormatImages         = "images"
	FormatMetadata       = "metadata"
	FormatProducts       = "products"
	FormatStructuredData = "structured_data"
)

// DefaultFormats is what a request without "formats" gets.
var DefaultFormats = []string{FormatMarkdown, FormatText, FormatLinks, FormatMetadata}

var knownFormats = []string{
	FormatMarkdown, FormatText, FormatHTML, FormatRawHTML, FormatLinks,
	FormatImages, FormatMetadata, FormatProducts, FormatStructuredData,
}

// IsFormat reports whether name is a format this package produces. The API
// also accepts "screenshot", which the renderer makes, not this package.
func IsFormat(name string) bool { return slices.Contains(knownFormats, name) }

// Limits that keep hostile pages cheap.
const (
	// MaxInputBytes is the largest body Extract accepts.
	MaxInputBytes = 16 << 20
	// MaxElements is the element count above which main-content detection is
	// skipped: the content falls back to the page body without boilerplate
	// containers, which costs one linear pass.
	MaxElements = 150_000
	// maxAttrLen caps attribute values kept in the tree; longer values (inline
	// images as data: URIs, hostile megabyte attributes) are cut.
	maxAttrLen = 64 << 10
)

// Errors. Every error Extract returns wraps one of these.
var (
	// ErrInvalidSelector means an include_tags or exclude_tags entry is not a
	// valid CSS selector; the API answers it with 400.
	ErrInvalidSelector = errors.New("invalid CSS selector")
	// ErrTooLarge means the body is larger than MaxInputBytes.
	ErrTooLarge = errors.New("page too large to extract")
	// ErrParse means the HTML could not be parsed at all.
	ErrParse = errors.New("cannot parse HTML")
	// ErrInternal means extraction failed unexpectedly (a recovered panic).
	ErrInternal = errors.New("extraction failed")
)

// Options select what Extract computes. The zero value asks for the default
// formats of the full page; use DefaultOptions for the API's defaults.
type Options struct {
	// Formats lists the outputs wanted, by the names above. Empty means
	// DefaultFormats. Unknown names are ignored (the API validates them).
	Formats []string
	// OnlyMainContent keeps the main content of the page (the article,
	// the documentation body, the product description) and drops navigation,
	// headers, footers, banners, share widgets, comments and ads.
	OnlyMainContent bool
	// OmitHeadline leaves the headline out of the Markdown of the main
	// content. Without it, when the main content has no <h1> of its own,
	// the Markdown starts with the page's headline as "# Headline": the
	// page's <h1> that matches its title, else og:title, else the <title>
	// without the site name. A standfirst that main-content detection left
	// out of the content goes under it; OmitHeadline leaves both out.
	OmitHeadline bool
	// IncludeTags are CSS selectors; when set, the content is only what they
	// match (outermost matches, in document order) and main-content detection
	// is not run.
	IncludeTags []string
	// ExcludeTags are CSS selectors whose matches are removed from the content
	// before anything else.
	ExcludeTags []string
	// SubdomainsInternal counts links to other hosts of the page's registrable
	// domain (blog.example.com for www.example.com) as internal. Without it
	// only the page's own host is internal (a leading "www." ignored).
	SubdomainsInternal bool
	// RobotsHeaders are the values of the response's X-Robots-Tag headers,
	// one entry per header line, as fetched; they are read into
	// Result.Robots together with the page's robots meta tags.
	RobotsHeaders []string
}

// DefaultOptions are the API's defaults: the default formats and only the
// main content.
func DefaultOptions() Options {
	return Options{Formats: slices.Clone(DefaultFormats), OnlyMainContent: true}
}

func (o Options) wants(format string) bool {
	if len(o.Formats) == 0 {
		return slices.Contains(DefaultFormats, format)
	}
	return slices.Contains(o.Formats, format)
}

// Result is what Extract found in a page. Fields of formats that were not
// asked for are left empty, except Links and Robots (and NoIndex and
// NoFollow), which are always filled.
type Result struct {
	Title       string
	Description string
	Language    string
	// Canonical is the absolute URL of <link rel=canonical>, if any.
	Canonical string

	Markdown string
	// Text is the plain text of the content with paragraph breaks kept.
	Text string
	// HTML is the cleaned HTML of the content, URLs made absolute.
	HTML string
	// RawHTML is the page as given, decoded to UTF-8.
	RawHTML string

	Links  Links
	Images []string
	// Metadata holds the page's metadata by key; see the package's user
	// documentation for the keys (title, description, og:*, twitter:* …).
	Metadata       map[string]string
	Products       []Product
	StructuredData []any

	// Robots are the page's robots directives, from its robots meta tags
	// and Options.RobotsHeaders. They never remove content: a noindex page
	// is extracted like any other, and the caller decides.
	Robots Robots

	// NoIndex and NoFollow repeat Robots.NoIndex and Robots.NoFollow.
	//
	// Deprecated: read Robots.
	NoIndex  bool
	NoFollow bool
}

// Links are the page's outgoing links, absolute, without fragments, without
// duplicates, http and https only.
type Links struct {
	Internal []string
	External []string
	// Nofollow lists the links (internal or external) marked rel="nofollow".
	Nofollow []string `json:",omitempty"`
}

// Product is one product found in the page's JSON-LD, microdata or
// OpenGraph tags: the domain's product, as the API returns it.
type Product = spidergo.Product

// Extract parses body, the page fetched from pageURL, and returns what opts
// ask for. body should be UTF-8 (the fetcher decodes pages); bytes that are
// not valid UTF-8 are decoded using the page's BOM or <meta charset>, else as
// windows-1252. pageURL may be nil, in which case relative URLs are dropped.
func Extract(body []byte, pageURL *url.URL, opts Options) (res *Result, err error) {
	return extract(body, pageURL, opts, true)
}

// extract is Extract; scan false always builds the tree, which tests
// compare the token scan with.
func extract(body []byte, pageURL *url.URL, opts Options, scan bool) (res *Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	if len(body) > MaxInputBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(body), MaxInputBytes)
	}
	sel, err := compileSelectors(opts.IncludeTags, opts.ExcludeTags)
	if err != nil {
		return nil, err
	}
	if scan && opts.treeless() {
		// UTF-8 pages (what the fetcher hands over) are read in place;
		// others are decoded first, as for the tree.
		var r io.Reader
		var text string
		if utf8.Valid(body) {
			r = bytes.NewReader(body)
		} else {
			text = decode(body)
			r = strings.NewReader(text)
		}
		if p, ok := scanPage(r, pageURL); ok {
			res = &Result{}
			if opts.wants(FormatRawHTML) {
				if text == "" {
					text = string(body)
				}
				res.RawHTML = text
			}
			p.fill(res, opts)
			return res, nil
		}
	}
	text := decode(body)
	doc, err := parse(text)
	if err != nil {
		return nil, err
	}
	p := newPage(doc, pageURL)
	res = &Result{}
	if opts.wants(FormatRawHTML) {
		res.RawHTML = text
	}
	p.fill(res, opts)
	if opts.wants(FormatMarkdown) || opts.wants(FormatText) || opts.wants(FormatHTML) {
		if err := p.content(res, opts, sel); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// PanicError is the error Extract returns when extraction panicked. It wraps
// ErrInternal; Stack is for the log, not for the user.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("%v: %v", ErrInternal, e.Value) }

func (e *PanicError) Unwrap() error { return ErrInternal }
