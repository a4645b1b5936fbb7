package crawl

import (
	"slices"
	"unicode/utf8"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/extract"
)

// PageCaps bound what one page keeps, so that a hostile or huge page costs
// a bounded amount of storage and answer: measured before the caps, one
// scrape of a 2.7 MB page with 100 000 links stored about 15 MB. A page
// that had anything cut lists it in Truncated, by format name.
type PageCaps struct {
	Links          int // internal and external links together
	RawHTML        int // bytes
	Text           int // bytes of each of Markdown, text and html
	Images         int
	Products       int
	StructuredData int
}

// DefaultPageCaps are the caps every page gets (docs/api.md lists them).
var DefaultPageCaps = PageCaps{
	Links:          5000,
	RawHTML:        2 << 20,
	Text:           2 << 20,
	Images:         1000,
	Products:       500,
	StructuredData: 100,
}

// apply cuts p down to the caps and records what it cut.
func (c PageCaps) apply(p *spidergo.Page) {
	cut := func(format string) {
		if !slices.Contains(p.Truncated, format) {
			p.Truncated = append(p.Truncated, format)
		}
	}
	if l := p.Links; l != nil && len(l.Internal)+len(l.External) > c.Links {
		// Internal links first: they are the ones a crawl of the site
		// follows.
		in := min(len(l.Internal), c.Links)
		p.Links = &spidergo.PageLinks{Internal: l.Internal[:in:in], External: l.External[:min(len(l.External), c.Links-in):min(len(l.External), c.Links-in)]}
		cut(extract.FormatLinks)
	}
	for _, f := range []struct {
		format string
		s      *string
		max    int
	}{
		{extract.FormatRawHTML, &p.RawHTML, c.RawHTML},
		{extract.FormatMarkdown, &p.Markdown, c.Text},
		{extract.FormatText, &p.TextContent, c.Text},
		{extract.FormatHTML, &p.HTML, c.Text},
	} {
		if len(*f.s) > f.max {
			*f.s = truncateUTF8(*f.s, f.max)
			cut(f.format)
		}
	}
	if len(p.Images) > c.Images {
		p.Images = p.Images[:c.Images:c.Images]
		cut(extract.FormatImages)
	}
	if len(p.Products) > c.Products {
		p.Products = p.Products[:c.Products:c.Products]
		cut(extract.FormatProducts)
	}
	if len(p.StructuredData) > c.StructuredData {
		p.StructuredData = p.StructuredData[:c.StructuredData:c.StructuredData]
		cut(extract.FormatStructuredData)
	}
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
// Strings are copied, so that the cut string does not keep the whole
// original alive.
func truncateUTF8(s string, n int) string {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return string([]byte(s[:n]))
}
