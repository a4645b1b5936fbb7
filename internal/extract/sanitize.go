package extract

import (
	"regexp"
	"sync"

	"github.com/microcosm-cc/bluemonday"
)

// The html format is rendered by people's browsers (the dashboard shows it),
// so it passes through an allow-list sanitizer as its very last step, after
// the cleaning passes. The passes before it already drop scripts, styles and
// presentational attributes, but they are written to find content, not to
// stop an attacker; the sanitizer is the one place that decides what markup
// may reach a browser, and it decides by allow list.

// srcsetValue accepts a srcset made only of absolute http(s) URLs with an
// optional width or density descriptor. absolutize has already rewritten
// every candidate to that form and dropped the rest; the pattern (run on one
// attribute value, never on the page) guarantees it even if a later change
// forgets to.
var srcsetValue = regexp.MustCompile(`^https?://[^\s,]+(?:\s+\d+(?:\.\d+)?[wx])?(?:,\s*https?://[^\s,]+(?:\s+\d+(?:\.\d+)?[wx])?)*$`)

// codeClass is the only class the html format keeps: the language of a code
// block, which tidy writes on <pre>.
var codeClass = regexp.MustCompile(`^language-[A-Za-z0-9+#_.-]{1,32}$`)

// mimeType is the type of a <picture> source ("image/avif").
var mimeType = regexp.MustCompile(`^[a-z]+/[a-z0-9.+-]{1,64}$`)

// langValue is a BCP 47 language tag as pages write it.
var langValue = regexp.MustCompile(`^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*$`)

// htmlPolicy is built once; a bluemonday policy is safe for concurrent use
// once built.
var htmlPolicy = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()

	// URLs: http, https and mailto, or relative (made absolute before this
	// step whenever the page URL is known). Anything that does not parse as a
	// URL is dropped, which also drops javascript:, data: and vbscript:
	// however they are spelled (entities are decoded by the parser first).
	p.RequireParseableURLs(true)
	p.AllowRelativeURLs(true)
	p.AllowURLSchemes("http", "https", "mailto")

	// AllowNoAttrs, not AllowElements: bluemonday drops an element that
	// has no attributes unless it is told the bare element is fine.
	p.AllowNoAttrs().OnElements(
		"h1", "h2", "h3", "h4", "h5", "h6",
		"p", "br", "hr", "div", "span", "section", "article", "main", "header", "footer", "nav", "aside",
		"blockquote", "pre", "code", "kbd", "samp", "var",
		"em", "strong", "b", "i", "u", "s", "strike", "del", "ins", "sub", "sup", "small", "mark",
		"abbr", "cite", "q", "dfn", "time", "address", "figure", "figcaption", "details", "summary",
		"ul", "ol", "li", "dl", "dt", "dd",
		"table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td", "colgroup", "col",
		"picture",
	)
	p.AllowAttrs("title").Matching(bluemonday.Paragraph).Globally()
	p.AllowAttrs("lang").Matching(langValue).Globally()
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("cite").OnElements("blockquote", "q", "del", "ins")
	p.AllowAttrs("datetime").Matching(bluemonday.ISO8601).OnElements("time", "del", "ins")
	p.AllowAttrs("start").Matching(bluemonday.Integer).OnElements("ol")
	p.AllowAttrs("value").Matching(bluemonday.Integer).OnElements("li")
	p.AllowAttrs("colspan", "rowspan").Matching(bluemonday.Integer).OnElements("td", "th")
	p.AllowAttrs("span").Matching(bluemonday.Integer).OnElements("col", "colgroup")
	p.AllowAttrs("class").Matching(codeClass).OnElements("pre")

	p.AllowAttrs("src").OnElements("img")
	p.AllowAttrs("srcset").Matching(srcsetValue).OnElements("img", "source")
	p.AllowAttrs("type").Matching(mimeType).OnElements("source")
	p.AllowAttrs("alt").Matching(bluemonday.Paragraph).OnElements("img")
	p.AllowAttrs("width", "height").Matching(bluemonday.NumberOrPercent).OnElements("img")
	return p
})

// sanitizeHTML is the last step of the html format.
func sanitizeHTML(s string) string {
	return htmlPolicy().Sanitize(s)
}
