package extract

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// A reader, and a language model, needs the headline of what it reads.
// Main-content detection keeps the body and often leaves the page's <h1>
// out (readability drops a heading that repeats the title, and many pages
// put the <h1> in a header above the article), so the Markdown of the main
// content starts with the headline as "# Headline" when the content has no
// <h1> of its own.

// headline is the page's headline: the longest <h1> that the page's title
// (og:title or <title>) contains, else og:title, else the page's only
// <h1>, else the <title> without its site name, else the first <h1>. A
// logo set in an <h1> loses to the story's <h1> by length; a <title>
// written for search engines loses to the one <h1> readers see.
func (p *page) headline() string {
	titles := []string{strings.ToLower(p.meta("og:title", "twitter:title")), strings.ToLower(p.title)}
	best := ""
	for _, h := range p.h1s {
		for _, t := range titles {
			if t != "" && len(h) > len(best) && strings.Contains(t, strings.ToLower(h)) {
				best = h
			}
		}
	}
	if best != "" {
		return best
	}
	if t := p.meta("og:title", "twitter:title"); t != "" {
		return t
	}
	if len(p.h1s) == 1 {
		return p.h1s[0]
	}
	if t := withoutSiteName(p.title); t != "" {
		return t
	}
	if len(p.h1s) > 0 {
		return p.h1s[0]
	}
	return ""
}

// withoutSiteName drops the site name pages append to their <title>
// ("Scones | Grandma's Recipe Box"): the title is split at " | ", " - ",
// " — ", " – ", " · " and " :: ", and the longest part is kept.
func withoutSiteName(t string) string {
	parts := []string{t}
	for _, sep := range []string{" | ", " - ", " — ", " – ", " · ", " :: "} {
		var next []string
		for _, p := range parts {
			next = append(next, strings.Split(p, sep)...)
		}
		parts = next
	}
	best := ""
	for _, p := range parts {
		if p = strings.TrimSpace(p); len(p) > len(best) {
			best = p
		}
	}
	return best
}

// firstHeading returns the first heading of n.
func firstHeading(n *html.Node) *html.Node {
	var found *html.Node
	walk(n, func(c *html.Node) bool {
		if found != nil {
			return false
		}
		if c.Type == html.ElementNode {
			switch c.DataAtom {
			case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
				found = c
				return false
			}
		}
		return true
	})
	return found
}

// promoteHeadline makes the heading of the content that says the headline
// its <h1> (readability turns every <h1> of an article into an <h2>) and
// reports whether the content now carries the headline; withHeadline adds
// it otherwise.
func promoteHeadline(n *html.Node, headline string) bool {
	if n.DataAtom == atom.H1 || containsAtom(n, atom.H1) {
		return true
	}
	h := firstHeading(n)
	if h == nil || !strings.EqualFold(collapseSpace(textOf(h)), headline) {
		return false
	}
	h.DataAtom, h.Data = atom.H1, "h1"
	return true
}

// withHeadline puts "# headline" before md.
func withHeadline(md, headline string) string {
	h := "# " + escapeMarkdownLine(headline)
	if md == "" {
		return h
	}
	return h + "\n\n" + md
}

// escapeMarkdownLine escapes what would turn the text of a heading into
// markup: emphasis, code, links, HTML and a closing run of '#'.
func escapeMarkdownLine(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '`', '*', '_', '[', ']', '<', '>':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '#':
			if i == len(s)-1 || strings.Trim(s[i:], "#") == "" {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
