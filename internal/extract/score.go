package extract

import (
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Content scoring finds the article container on the page's own tree, in
// one walk, without copying the page: every paragraph-like block gives
// points for its length and commas to its parent and, decreasing, to the
// ancestors above; containers start from a weight of their element and of
// the words of their class and id; the container with the best score,
// discounted by the share of its words inside links, is the article, with
// those of its siblings that score close to it or read as prose.

// scoreDepth is how many ancestors a paragraph gives points to, proseDepth
// how many count its characters (bounded so that a deeply nested page stays
// linear).
const (
	scoreDepth = 5
	proseDepth = 24
)

// positiveHints and negativeHints are class and id words of article bodies
// and of what surrounds them.
var (
	positiveHints = map[string]bool{
		"article": true, "body": true, "content": true, "entry": true, "hentry": true, "main": true,
		"page": true, "post": true, "text": true, "blog": true, "story": true, "prose": true,
	}
	negativeHints = map[string]bool{
		"hidden": true, "banner": true, "combx": true, "comment": true, "comments": true, "contact": true,
		"foot": true, "footer": true, "footnote": true, "gdpr": true, "masthead": true, "media": true,
		"meta": true, "outbrain": true, "promo": true, "related": true, "scroll": true, "share": true,
		"shoutbox": true, "sidebar": true, "skyscraper": true, "sponsor": true, "shopping": true,
		"tags": true, "tool": true, "widget": true, "social": true, "nav": true, "menu": true,
	}
)

type scorer struct {
	cl     *cleaner
	scores map[*html.Node]float64
	total  float64
	// prose is the characters of scored paragraphs under each node.
	prose map[*html.Node]int
}

func (sc *scorer) classWeight(n *html.Node) float64 {
	var w float64
	classWords(n, func(word string) bool {
		switch {
		case positiveHints[word]:
			w = max(w, 0) + 25
		case negativeHints[word] && !(sc.cl.thread && commentHints[word]):
			w -= 25
		}
		return false
	})
	return max(min(w, 25), -25)
}

// keepHints are class words that keep a container in the running whatever
// else its class says.
var keepHints = map[string]bool{"article": true, "body": true, "column": true, "content": true, "main": true, "shadow": true, "story": true, "post": true, "entry": true}

// unlikely reports whether n is left out of scoring: navigation, asides and
// footers, and containers whose class marks them as chrome or boilerplate
// without also marking them as content.
func (sc *scorer) unlikely(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Nav, atom.Footer, atom.Aside, atom.Svg, atom.Iframe:
		return true
	case atom.Body, atom.Article, atom.Main, atom.A, atom.Table, atom.Tbody, atom.Td, atom.Tr:
		return false
	}
	if layoutRoles[strings.ToLower(attr(n, "role"))] {
		return true
	}
	bad, keep, menu := false, false, false
	classWords(n, func(w string) bool {
		if keepHints[w] {
			keep = true
		}
		if w == "menu" {
			menu = true
		} else if layoutHints[w] || boilerHints[w] && !(sc.cl.thread && commentHints[w]) {
			bad = true
		}
		return false
	})
	// A menu is chrome unless it is a restaurant's (see foodMenu).
	bad = bad || menu && !foodMenu(n)
	// A container holding a third of the page is kept whatever its name
	// (a blog's posts in a "widget", a page wrapped in a "rail" layout).
	return bad && !keep && sc.cl.stats(n).words < sc.total/3
}

func (sc *scorer) initial(n *html.Node) float64 {
	s := sc.classWeight(n)
	switch n.DataAtom {
	case atom.Div, atom.Article, atom.Main, atom.Section:
		s += 5
	case atom.Pre, atom.Td, atom.Blockquote:
		s += 3
	case atom.Address, atom.Ol, atom.Ul, atom.Dl, atom.Dd, atom.Dt, atom.Li, atom.Form:
		s -= 3
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Th:
		s -= 5
	}
	return s
}

// add gives a paragraph's points to its ancestors and counts its
// characters as their prose; the paragraph is n itself, or, when direct,
// the text written straight into n.
func (sc *scorer) add(n *html.Node, points float64, chars int, direct bool, body *html.Node) {
	a := n.Parent
	if direct {
		a = n
	}
	for p, i := a, 0; p != nil && i < proseDepth; p, i = p.Parent, i+1 {
		sc.prose[p] += chars
		if p == body {
			break
		}
	}
	for level := 0; a != nil && level < scoreDepth && a.Type == html.ElementNode; level++ {
		if _, ok := sc.scores[a]; !ok {
			sc.scores[a] = sc.initial(a)
		}
		switch level {
		case 0:
			sc.scores[a] += points
		case 1:
			sc.scores[a] += points / 2
		default:
			sc.scores[a] += points / float64(level*3)
		}
		if a == body {
			break
		}
		a = a.Parent
	}
}

// directText is textAndCommas of the text and inline elements right under n.
func directText(n *html.Node) (chars, commas int) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch {
		case c.Type == html.TextNode:
			t := strings.TrimSpace(c.Data)
			chars += utf8.RuneCountInString(t)
			commas += strings.Count(t, ",") + strings.Count(t, "，") + strings.Count(t, "、")
		case c.Type == html.ElementNode && !mdBlock(c.DataAtom):
			a, b := textAndCommas(c)
			chars, commas = chars+a, commas+b
		}
	}
	return chars, commas
}

// textAndCommas returns the characters and commas of the text under n.
func textAndCommas(n *html.Node) (chars, commas int) {
	walk(n, func(c *html.Node) bool {
		if c.Type == html.TextNode {
			t := strings.TrimSpace(c.Data)
			chars += utf8.RuneCountInString(t)
			commas += strings.Count(t, ",") + strings.Count(t, "，") + strings.Count(t, "、")
		}
		return true
	})
	return chars, commas
}

// paragraphLike reports whether n is scored as a paragraph.
func paragraphLike(n *html.Node) bool {
	switch n.DataAtom {
	case atom.P, atom.Pre, atom.Td:
		return true
	case atom.Div, atom.Section:
		return !hasBlockChild(n)
	}
	return false
}

// scoreArticle returns the article under body, or nil when no block reads
// as prose. An article that is one container is that node, in place; one
// gathered from siblings is a new <div> holding copies of them, so that
// the page keeps them for the fallback to the whole body.
func (cl *cleaner) scoreArticle(body *html.Node) *html.Node {
	sc := &scorer{cl: cl, scores: map[*html.Node]float64{}, total: cl.stats(body).words, prose: map[*html.Node]int{}}
	walk(body, func(n *html.Node) bool {
		if n.Type != html.ElementNode {
			return false
		}
		if n != body && sc.unlikely(n) {
			return false
		}
		var chars, commas int
		if paragraphLike(n) {
			chars, commas = textAndCommas(n)
		} else if mdBlock(n.DataAtom) && n.DataAtom != atom.Li {
			// Text written straight into a container, between its blocks,
			// is a paragraph of its own: it scores for the container.
			chars, commas = directText(n)
			if chars >= 25 {
				sc.add(n, 1+float64(commas)+min(float64(chars/100), 3), chars, true, body)
			}
			return true
		} else {
			return true
		}
		if chars < 25 {
			return n.DataAtom == atom.Td || n.DataAtom == atom.Section
		}
		sc.add(n, 1+float64(commas)+min(float64(chars/100), 3), chars, false, body)
		return n.DataAtom == atom.Td
	})
	var top *html.Node
	best := 0.0
	for n, s := range sc.scores {
		s *= 1 - cl.stats(n).linkDensity()
		sc.scores[n] = s
		if top == nil || s > best || s == best && before(n, top) {
			top, best = n, s
		}
	}
	if top == nil || best <= 0 {
		return nil
	}
	// Several strong candidates under one ancestor are parts of one
	// article (chunks between ads): take the ancestor.
	var alts []*html.Node
	for n, s := range sc.scores {
		if n != top && s >= best*0.75 {
			alts = append(alts, n)
		}
	}
	if len(alts) > 8 {
		// Many near-equal candidates say nothing about one article.
		alts = nil
	}
	if len(alts) >= 3 {
		for a := top.Parent; a != nil && a != body; a = a.Parent {
			in := 0
			for _, n := range alts {
				if contains(a, n) {
					in++
				}
			}
			if in >= 3 {
				top = a
				break
			}
		}
	}
	// On a page that is no story, its main element holding the candidate
	// and, apart from it, another block of prose (a catalogue's
	// introduction above its grid and its guide below): the content is the
	// main element.
	if m := mainAncestor(top, body); m != nil && cl.notStory {
		for n, s := range sc.scores {
			if s >= best*0.3 && contains(m, n) && !contains(top, n) && !contains(n, top) &&
				sc.prose[n] >= 200 && cl.stats(n).linkDensity() < 0.2 {
				top = m
				break
			}
		}
	}
	// A score that rises again on the way up means more of the article
	// lies beside the candidate.
	last := sc.scores[top]
	for a := top.Parent; a != nil && a != body; a = a.Parent {
		s, ok := sc.scores[a]
		if !ok {
			continue
		}
		if s < best/3 {
			break
		}
		if s > last {
			top = a
			break
		}
		last = s
	}
	// Climb while the ancestor adds prose of its own at a low link density:
	// the article's parts around ads and embeds, its opening paragraphs.
	for a := top.Parent; a != nil && a != body; a = a.Parent {
		if float64(sc.prose[a]) < float64(sc.prose[top])*1.25 {
			continue
		}
		if cl.stats(a).linkDensity() > max(0.1, cl.stats(top).linkDensity()*1.5+0.03) {
			break
		}
		top = a
	}
	best = max(best, sc.scores[top])
	// A lone child says less than its parent.
	for top.Parent != nil && top.Parent != body && top.Parent.Type == html.ElementNode && aloneInParent(top) {
		top = top.Parent
	}
	// A page that is no story, built of sections (a company's about page,
	// a service's landing page): the article is its section's run of like
	// sections that hold prose.
	sections := false
	if cl.notStory {
		if sec := sc.section(top, body); sec != nil {
			top, sections = sec, true
		}
	}
	parent := top.Parent
	if parent == nil {
		return cloneTree(top)
	}
	threshold := max(10, best*0.2)
	topClass := attr(top, "class")
	var keep, listings []*html.Node
	buyBox := prevElement(top)
	for buyBox != nil && isChrome(buyBox) {
		buyBox = prevElement(buyBox)
	}
	for s := parent.FirstChild; s != nil; s = s.NextSibling {
		if s == top {
			keep = append(keep, s)
			continue
		}
		if s.Type != html.ElementNode || isChrome(s) {
			continue
		}
		bonus := 0.0
		if topClass != "" && attr(s, "class") == topClass {
			bonus = best * 0.2
		}
		if v, ok := sc.scores[s]; ok && v+bonus >= threshold {
			keep = append(keep, s)
			continue
		}
		if sections && s.DataAtom == top.DataAtom && firstClass(s) == firstClass(top) && !cl.hasBoilerHint(s) && cl.prose(s) {
			// The page's next section of prose.
			keep = append(keep, s)
			continue
		}
		if st := cl.stats(s); topClass != "" && attr(s, "class") == topClass && st.linkDensity() < 0.3 &&
			(st.words >= 10 || cl.listWords(s) > 0) {
			// A part of the same structure as the article: the next tab
			// panel, the next section, the next chunk between ads.
			keep = append(keep, s)
			continue
		}
		if s.DataAtom == top.DataAtom && (s.DataAtom == atom.Section || s.DataAtom == atom.Article) &&
			attr(s, "class") == topClass && !cl.hasBoilerHint(s) && cl.prose(s) {
			// The article's next section, however short: a heading and a
			// paragraph of prose in the same kind of block.
			keep = append(keep, s)
			continue
		}
		if s == buyBox && cl.buyBox(s) {
			// A shop's buy box above the description: the product's
			// name, price and stock.
			keep = append(keep, s)
			continue
		}
		if cl.catalogue(s) {
			// A catalogue's grid of priced products beside its text.
			keep = append(keep, s)
			continue
		}
		if cl.listingBeside(s, cl.stats(top).words) {
			// A catalogue's grid under its short introduction: the items
			// are what the page lists.
			keep = append(keep, s)
			listings = append(listings, s)
			continue
		}
		if continues(s, listings) && cl.stats(s).linkDensity() < 0.5 {
			// The same grid again after a banner between its rows.
			keep = append(keep, s)
			continue
		}
		if cl.reviewsBlock(s) {
			// Customers' reviews beside a product's description.
			keep = append(keep, s)
			continue
		}
		if cl.factsBlock(s) {
			// The article's key facts beside it: an event's date and
			// place, a job's hours, a product's specifications.
			keep = append(keep, s)
			continue
		}
		if st := cl.stats(s); st.linked == 0 && st.words >= 10 && isContainer(s) && !cl.hasBoilerHint(s) &&
			sharesClass(s, top) && (cl.prose(s) || cl.listWords(s)*2 >= st.words) {
			// Another field of the same record, without a link, of prose
			// or lists: a review's verdict, its pros and cons.
			keep = append(keep, s)
			continue
		}
		if s.DataAtom == atom.P || s.DataAtom == atom.Blockquote && cl.stats(s).linked == 0 {
			st := cl.stats(s)
			chars, _ := textAndCommas(s)
			text := strings.TrimSpace(textOf(s))
			if chars > 80 && st.linkDensity() < 0.25 || chars > 0 && st.linked == 0 && strings.HasSuffix(text, ".") {
				keep = append(keep, s)
			}
		}
	}
	if len(keep) == 1 {
		return top
	}
	box := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	for _, n := range keep {
		box.AppendChild(cloneTree(n))
	}
	return box
}

// continues reports whether n is the same element with the same class as
// one of the listings.
func continues(n *html.Node, listings []*html.Node) bool {
	class := attr(n, "class")
	for _, l := range listings {
		if class != "" && l.DataAtom == n.DataAtom && attr(l, "class") == class {
			return true
		}
	}
	return false
}

// buyBox reports whether n is a short block, not mostly links, that states
// a price on a line of its own.
func (cl *cleaner) buyBox(n *html.Node) bool {
	st := cl.stats(n)
	if st.words == 0 || st.words > 80 || st.linkDensity() > 0.3 || cl.hasBoilerHint(n) {
		return false
	}
	found := false
	walk(n, func(c *html.Node) bool {
		if found || c.Type != html.ElementNode {
			return false
		}
		if t := textOf(c); countWords(t) <= 8 {
			found = priceLine(t)
			return false
		}
		return true
	})
	return found
}

// prose reports whether n reads as prose at a low link density: it holds a
// paragraph of a sentence or more than 80 characters.
func (cl *cleaner) prose(n *html.Node) bool {
	if cl.stats(n).linkDensity() >= 0.25 {
		return false
	}
	found := false
	walk(n, func(c *html.Node) bool {
		if found || c.Type != html.ElementNode {
			return false
		}
		if c.DataAtom != atom.P {
			return true
		}
		t := strings.TrimSpace(textOf(c))
		found = len(t) > 80 && cl.stats(c).linkDensity() < 0.25 || cl.stats(c).linked == 0 && strings.HasSuffix(t, ".") && countWords(t) >= 6
		return false
	})
	return found
}

// listingBeside reports whether n holds a listing at least half the size
// of the content beside it: a run of three or more like items (the same
// element and class) whose words are not mostly links. A strip of other
// stories' teasers is mostly linked titles, and smaller than a story.
func (cl *cleaner) listingBeside(n *html.Node, contentWords float64) bool {
	type group struct {
		el    atom.Atom
		class string
	}
	found := false
	walk(n, func(p *html.Node) bool {
		if found || p.Type != html.ElementNode {
			return false
		}
		runs := map[group]*textStats{}
		counts := map[group]int{}
		for c := p.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			g := group{c.DataAtom, attr(c, "class")}
			if g.class == "" && c.DataAtom != atom.Li && c.DataAtom != atom.Article {
				continue
			}
			if runs[g] == nil {
				runs[g] = &textStats{}
			}
			st := cl.stats(c)
			runs[g].words += st.words
			runs[g].linked += st.linked
			counts[g]++
		}
		for g, st := range runs {
			if counts[g] >= 3 && st.words >= contentWords/2 && st.linkDensity() < 0.5 {
				found = true
			}
		}
		return !found
	})
	return found
}

// reviewsBlock reports whether n holds reviews, by its class or its
// schema.org item property, in prose rather than links.
func (cl *cleaner) reviewsBlock(n *html.Node) bool {
	st := cl.stats(n)
	if st.words < 10 || st.linkDensity() > 0.3 {
		return false
	}
	if p := strings.ToLower(attr(n, "itemprop")); p == "review" || p == "reviews" {
		return true
	}
	return classWords(n, func(w string) bool { return w == "review" || w == "reviews" })
}

func contains(a, n *html.Node) bool {
	for ; n != nil; n = n.Parent {
		if n == a {
			return true
		}
	}
	return false
}

// section returns the ancestor of top that is one of a run of like
// sections, the same element with the same first class, holding no prose
// beside top's, when another section of the run holds prose; else nil.
func (sc *scorer) section(top, body *html.Node) *html.Node {
	sec := top
	for a := top.Parent; a != nil && a != body && a.Type == html.ElementNode; a = a.Parent {
		if float64(sc.prose[a]) > float64(sc.prose[top])*1.1 {
			break
		}
		sec = a
	}
	class := firstClass(sec)
	if sec == top || class == "" {
		return nil
	}
	for s := sec.Parent.FirstChild; s != nil; s = s.NextSibling {
		if s != sec && s.Type == html.ElementNode && s.DataAtom == sec.DataAtom && firstClass(s) == class &&
			!sc.cl.hasBoilerHint(s) && sc.cl.prose(s) {
			return sec
		}
	}
	return nil
}

// sharesClass reports whether a and b have a class in common, other than
// the layout helpers every block of a page may carry.
func sharesClass(a, b *html.Node) bool {
	bs := strings.Fields(attr(b, "class"))
	for _, c := range strings.Fields(attr(a, "class")) {
		switch c {
		case "clearfix", "container", "row", "col", "wrapper", "inner", "block", "section", "grid", "flex":
			continue
		}
		if slices.Contains(bs, c) {
			return true
		}
	}
	return false
}

// firstClass is the first of n's classes.
func firstClass(n *html.Node) string {
	f := strings.Fields(attr(n, "class"))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// mainAncestor returns the <main> element (or role="main") above n, nil
// when there is none below body.
func mainAncestor(n, body *html.Node) *html.Node {
	for a := n.Parent; a != nil && a != body; a = a.Parent {
		if a.DataAtom == atom.Main || strings.EqualFold(attr(a, "role"), "main") {
			return a
		}
	}
	return nil
}

// aloneInParent reports whether n has no sibling element or text.
func aloneInParent(n *html.Node) bool {
	for s := n.Parent.FirstChild; s != nil; s = s.NextSibling {
		if s == n {
			continue
		}
		if s.Type == html.ElementNode || s.Type == html.TextNode && strings.TrimSpace(s.Data) != "" {
			return false
		}
	}
	return true
}

// before reports whether a comes before b in the document; ties in score
// go to the earlier node so that the choice does not depend on map order.
func before(a, b *html.Node) bool {
	depth := func(n *html.Node) int {
		d := 0
		for ; n != nil; n = n.Parent {
			d++
		}
		return d
	}
	da, db := depth(a), depth(b)
	for da > db {
		if a.Parent == b {
			return false
		}
		a, da = a.Parent, da-1
	}
	for db > da {
		if b.Parent == a {
			return true
		}
		b, db = b.Parent, db-1
	}
	for a.Parent != b.Parent {
		a, b = a.Parent, b.Parent
	}
	for s := a; s != nil; s = s.NextSibling {
		if s == b {
			return true
		}
	}
	return false
}

// dropClutter removes from a scored article the blocks that are a small
// part of it (under a third) and more than a third links: other stories'
// teasers, tag and topic lists, link strips the article's container held
// beside the story. Items of a listing are judged with their run.
func (cl *cleaner) dropClutter(art *html.Node) {
	total := cl.stats(art).words
	var drop []*html.Node
	walk(art, func(n *html.Node) bool {
		if n.Type != html.ElementNode || n == art {
			return true
		}
		if cl.cardItem(n, total) {
			// An item of a listing is judged with its run, and so are its
			// parts: a card's body is mostly its linked title.
			return false
		}
		if cl.catalogue(n) {
			return false
		}
		switch n.DataAtom {
		case atom.Div, atom.Section, atom.Ul, atom.Ol, atom.Aside, atom.Table:
			s := cl.stats(n)
			if s.words < total/3 && s.linkDensity() > 0.3 && !cl.repeatedItem(n, total) && !cl.cardList(n, total) && !documentLinks(n) {
				drop = append(drop, n)
				return false
			}
		}
		return true
	})
	for _, n := range drop {
		cl.remove(n)
	}
}

// catalogue reports whether n is a catalogue's grid of products with their
// prices on a page that is no story: it is what the page lists, however
// linked its names, and is kept whole. Under a "related" label it is the
// shop's cross-selling, judged as any other block.
func (cl *cleaner) catalogue(n *html.Node) bool {
	if !cl.notStory || n.Type != html.ElementNode || !isContainer(n) && n.DataAtom != atom.Ul && n.DataAtom != atom.Ol || !cl.productGrid(n) {
		return false
	}
	l := labelOf(n)
	return l == nil || !relatedLabel(toText(l))
}

// productGrid reports whether n holds a run of three or more like
// elements (the same element and class), most of them cards (see card)
// that state a price.
func (cl *cleaner) productGrid(n *html.Node) bool {
	type group struct {
		el    atom.Atom
		class string
	}
	// The run is n's own children, or those of the wrapper n is made of.
	for n != nil {
		var only *html.Node
		count := 0
		for c := n.FirstChild; c != nil && count < 3; c = c.NextSibling {
			if c.Type == html.ElementNode {
				only = c
				count++
			}
		}
		switch {
		case count == 1:
			n = only
			continue
		case count < 3:
			return false
		}
		items, priced := map[group]int{}, map[group]int{}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			g := group{c.DataAtom, attr(c, "class")}
			items[g]++
			if cl.stats(c).words <= 60 && (cl.wrappedCard(c) || namedByLink(c)) && holdsPrice(c) {
				priced[g]++
			}
		}
		for g, k := range items {
			if k >= 3 && priced[g]*5 >= k*3 {
				return true
			}
		}
		return false
	}
	return false
}

// wrappedCard reports whether n is a card (see card), or wraps one in a
// chain of single elements (a theme's item around its content around the
// link).
func (cl *cleaner) wrappedCard(n *html.Node) bool {
	for i := 0; n != nil && i < 4; i++ {
		if cl.card(n) {
			return true
		}
		f := firstElement(n)
		if f == nil || !onlyElementChild(n, f) {
			return false
		}
		n = f
	}
	return false
}

// namedByLink reports whether n holds a link of two words or more: a
// product tile whose name links to its page, wherever the theme puts it.
func namedByLink(n *html.Node) bool {
	found, seen := false, 0
	walk(n, func(c *html.Node) bool {
		if seen++; found || seen > maxLookElements {
			return false
		}
		if c.Type == html.ElementNode && c.DataAtom == atom.A {
			found = countWords(textOf(c)) >= 2
			return false
		}
		return true
	})
	return found
}

// holdsPrice reports whether a short line inside n states a price.
func holdsPrice(n *html.Node) bool {
	found, seen := false, 0
	walk(n, func(c *html.Node) bool {
		if seen++; found || seen > maxLookElements {
			return false
		}
		if c.Type == html.TextNode && priceLine(c.Data) {
			found = true
		}
		return true
	})
	return found
}

// labelOf returns the heading that labels n: its first element when that
// is a heading, else the element before it when that is one.
func labelOf(n *html.Node) *html.Node {
	if f := firstElement(n); f != nil && isHeading(f) {
		return f
	}
	if p := prevElement(n); p != nil && isHeading(p) {
		return p
	}
	return nil
}

// cardList reports whether n is a list that goes on with a listing of
// cards before it, the same element with the same class: a grid's last
// row after a banner is as much the listing as the rows before it.
func (cl *cleaner) cardList(n *html.Node, total float64) bool {
	class := attr(n, "class")
	if n.DataAtom != atom.Ul && n.DataAtom != atom.Ol || class == "" {
		return false
	}
	for p := prevElement(n); p != nil; p = prevElement(p) {
		if p.DataAtom == n.DataAtom && attr(p, "class") == class {
			li := firstElement(p)
			return li != nil && li.DataAtom == atom.Li && cl.cardItem(li, total)
		}
	}
	return false
}

// dropTitleHeading removes the first <h1> or <h2> of the article that
// repeats the page's headline or title: the Markdown puts the headline
// first itself, and the text is the story's body.
func (cl *cleaner) dropTitleHeading(art *html.Node, headline, title string) {
	headline, title = strings.ToLower(collapseSpace(headline)), strings.ToLower(collapseSpace(title))
	var found *html.Node
	walk(art, func(n *html.Node) bool {
		if found != nil {
			return false
		}
		if n.Type == html.ElementNode && (n.DataAtom == atom.H1 || n.DataAtom == atom.H2) {
			t := strings.ToLower(collapseSpace(textOf(n)))
			if t != "" && (t == headline || strings.Contains(title, t) && len(t)*2 > len(title)) {
				found = n
			}
			return false
		}
		return true
	})
	if found != nil {
		cl.remove(found)
	}
}

// cloneTree copies n and everything under it.
func cloneTree(n *html.Node) *html.Node {
	c := &html.Node{Type: n.Type, DataAtom: n.DataAtom, Data: n.Data, Namespace: n.Namespace}
	if len(n.Attr) > 0 {
		c.Attr = append([]html.Attribute(nil), n.Attr...)
	}
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		c.AppendChild(cloneTree(ch))
	}
	return c
}
