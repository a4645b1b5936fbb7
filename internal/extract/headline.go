package extract

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// A reader, and a language model, needs the headline of what it reads.
// Main-content detection keeps the body and often leaves the page's <h1>
// out (the title heading is dropped as it repeats the title, and many pages
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
// its <h1> (many pages set the headline in an <h2> or lower) and
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

// Under the headline, many pages set a standfirst (dek, summary, lede): a
// sentence or two that opens the story. Pages mark it up as a heading as
// often as a paragraph, and as a heading it would read as the title of a
// section. dekAsParagraph makes it a paragraph: the first block under the
// headline, when it is a heading that the page calls a subtitle, dek,
// standfirst, summary or lede by class, or a heading that reads as a
// sentence (eight words or more ending with a full stop, or fifteen words
// or more, which no section title runs to).
func dekAsParagraph(content *html.Node, headline string) {
	blocks := leadingBlocks(content, 3)
	if len(blocks) < 2 {
		return
	}
	cand := blocks[0]
	if isHeading(cand) && (cand.DataAtom == atom.H1 || headline != "" && strings.EqualFold(collapseSpace(textOf(cand)), headline)) {
		cand = blocks[1]
		if len(blocks) < 3 {
			return
		}
	}
	if !isHeading(cand) || cand.DataAtom == atom.H1 {
		return
	}
	if hasDekHint(cand) || cand.Parent != nil && onlyElementChild(cand.Parent, cand) && hasDekHint(cand.Parent) || sentenceLike(textOf(cand)) {
		cand.DataAtom, cand.Data = atom.P, "p"
	}
}

// leadingBlocks returns up to max of the first blocks with text of n, in
// document order: headings, paragraphs, lists, tables and other blocks
// holding no blocks of their own.
func leadingBlocks(n *html.Node, max int) []*html.Node {
	var out []*html.Node
	walk(n, func(c *html.Node) bool {
		if len(out) >= max {
			return false
		}
		if c.Type != html.ElementNode || c == n {
			return true
		}
		switch c.DataAtom {
		case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.P, atom.Ul, atom.Ol, atom.Dl,
			atom.Table, atom.Pre, atom.Blockquote:
		default:
			if !blockAtoms[c.DataAtom] || hasBlockChild(c) {
				return true
			}
		}
		if countWords(textOf(c)) > 0 {
			out = append(out, c)
		}
		return false
	})
	return out
}

func isHeading(n *html.Node) bool {
	switch n.DataAtom {
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		return true
	}
	return false
}

// onlyElementChild reports whether c is the only element child of n.
func onlyElementChild(n, c *html.Node) bool {
	for x := n.FirstChild; x != nil; x = x.NextSibling {
		if x.Type == html.ElementNode && x != c {
			return false
		}
	}
	return true
}

// dekWords are class and id words of standfirsts.
var dekWords = map[string]bool{
	"dek": true, "deck": true, "standfirst": true, "strapline": true, "summary": true, "lede": true,
	"lead": true, "intro": true, "subtitle": true, "subheadline": true, "subhead": true, "excerpt": true,
}

// hasDekHint reports whether the page marks n as a standfirst, by class,
// id ("sub-title" counts as subtitle) or itemprop.
func hasDekHint(n *html.Node) bool {
	switch strings.ToLower(attr(n, "itemprop")) {
	case "description", "alternativeheadline", "abstract":
		return true
	}
	for _, k := range []string{"class", "id"} {
		v := strings.ToLower(attr(n, k))
		if strings.Contains(v, "sub-title") || strings.Contains(v, "sub_title") || strings.Contains(v, "sub-head") {
			return true
		}
	}
	return classWords(n, func(w string) bool { return dekWords[w] })
}

// holdsDek reports whether n or an element inside it is marked as a
// standfirst.
func holdsDek(n *html.Node) bool {
	found := false
	walk(n, func(c *html.Node) bool {
		if c.Type == html.ElementNode && hasDekHint(c) {
			found = true
		}
		return !found
	})
	return found
}

// sentenceLike reports whether a heading's text reads as a sentence rather
// than as a title.
func sentenceLike(t string) bool {
	t = strings.TrimSpace(t)
	w := countWords(t)
	if w >= 15 {
		return true
	}
	if w < 8 {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(strings.TrimRight(t, "\"'”’»)"))
	switch r {
	case '.', '!', '…', '。', '！':
		return true
	}
	return false
}

// pageDek returns the text of the page's standfirst: the element after the
// headline's <h1> (bylines, dates and labels between them skipped, at most
// three elements on) that the page marks as a subtitle, dek, standfirst,
// summary or lede, or a heading under it that reads as a sentence. It is
// read from the page before main-content detection, which often drops the
// header that holds it.
func (p *page) pageDek(headline string) string {
	if p.body == nil {
		return ""
	}
	h := p.headlineH1(headline)
	if h == nil {
		return ""
	}
	// An <h1> alone in its wrapper: its standfirst follows the wrapper.
	for h.Parent != nil && h.Parent != p.body && onlyElementChild(h.Parent, h) && nextElement(h) == nil {
		h = h.Parent
	}
	seen := 0
	for n := nextElement(h); n != nil && seen < 3; n = nextElement(n) {
		seen++
		t := collapseSpace(textOf(n))
		w := countWords(t)
		if w == 0 {
			continue
		}
		if hasDekHint(n) && w >= 3 && w <= 80 && !hasBlockChild(n) {
			return t
		}
		if isHeading(n) {
			if sentenceLike(t) && w <= 80 {
				return t
			}
			return ""
		}
		if n.DataAtom == atom.P && w >= 12 {
			return "" // the story has begun
		}
	}
	return ""
}

// headlineH1 returns the page's <h1> that says the headline, else its
// first <h1>. An element marked role="heading" aria-level="1" (as apps
// built without heading elements write the title) counts as an <h1>.
func (p *page) headlineH1(headline string) *html.Node {
	var first, match *html.Node
	walk(p.body, func(n *html.Node) bool {
		if match != nil || n.Type != html.ElementNode {
			return match == nil
		}
		switch n.DataAtom {
		case atom.Script, atom.Style, atom.Template, atom.Svg:
			return false
		}
		if n.DataAtom != atom.H1 && !headingOne(n) {
			return true
		}
		if first == nil {
			first = n
		}
		if headline != "" && strings.EqualFold(collapseSpace(textOf(n)), headline) {
			match = n
		}
		return false
	})
	if match != nil {
		return match
	}
	return first
}

// withDek puts the standfirst at the start of the content, under its
// headline, when main-content detection left it out, and returns the
// paragraph it added (nil when it added none).
func withDek(content *html.Node, dek, headline string) *html.Node {
	if dek == "" {
		return nil
	}
	blocks := leadingBlocks(content, 4)
	for _, b := range blocks {
		if strings.Contains(collapseSpace(textOf(b)), dek) {
			return nil
		}
	}
	p := &html.Node{Type: html.ElementNode, Data: "p", DataAtom: atom.P}
	p.AppendChild(&html.Node{Type: html.TextNode, Data: dek})
	if len(blocks) > 0 {
		first := blocks[0]
		if isHeading(first) && (first.DataAtom == atom.H1 || strings.EqualFold(collapseSpace(textOf(first)), headline)) {
			first.Parent.InsertBefore(p, first.NextSibling)
		} else {
			first.Parent.InsertBefore(p, first)
		}
		return p
	}
	content.AppendChild(p)
	return p
}
