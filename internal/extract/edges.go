package extract

import (
	"net/url"
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The passes below remove what pages put around the end of a story once
// the story is over: "Related posts" strips of thumbnails, pin-it and share
// buttons set on the story's images, a caption left without its photo, and
// rules that separate nothing.

// shareLink reports whether href is a share or pin endpoint: a link that
// posts the page to a social network rather than leading to a page.
func shareLink(href string) bool {
	h := strings.TrimSpace(href)
	if hasScheme(h, "mailto:?") {
		return true // "mail this page" with no address
	}
	if !hasScheme(h, "http:", "https:") && !strings.HasPrefix(h, "//") {
		return false
	}
	u, err := url.Parse(h)
	if err != nil {
		return false
	}
	host := strings.ToLower(u.Hostname())
	path := strings.ToLower(u.EscapedPath())
	if strings.Contains(host, "pinterest.") && (strings.HasPrefix(path, "/pin/create") || path == "/pin/" || path == "/pin") {
		return true
	}
	q := u.Query()
	if !q.Has("url") && !q.Has("u") && !q.Has("text") && !q.Has("media") && !q.Has("body") && !q.Has("title") {
		return false
	}
	for _, w := range []string{"/share", "sharer", "/intent/", "/submit", "/send", "shareArticle", "/pin/create", "/sharing/"} {
		if strings.Contains(path, strings.ToLower(w)) {
			return true
		}
	}
	return strings.HasPrefix(host, "share.") || strings.Contains(host, "addtoany.")
}

// pinImage reports whether img is a pin-it or share button set on an
// image: by its class or id (pin, pinit, pinterest, share), or by a link
// around it to Pinterest or to a share endpoint.
func pinImage(img *html.Node) bool {
	// "no_pin" and data-pin-nopin mark a photo of the story that pin
	// buttons must leave alone: the photo itself.
	c := strings.ToLower(attr(img, "class"))
	if strings.Contains(c, "nopin") || strings.Contains(c, "no-pin") || strings.Contains(c, "no_pin") {
		return false
	}
	if _, ok := attrOK(img, "data-pin-nopin"); ok {
		return false
	}
	if classWords(img, func(w string) bool {
		switch w {
		case "pin", "pinit", "pinterest", "share", "sharing", "sharer":
			return true
		}
		return false
	}) {
		return true
	}
	for a := img.Parent; a != nil && a.Type == html.ElementNode; a = a.Parent {
		if a.DataAtom == atom.A {
			href := attr(a, "href")
			if shareLink(href) {
				return true
			}
			if u, err := url.Parse(strings.TrimSpace(href)); err == nil && strings.Contains(strings.ToLower(u.Hostname()), "pinterest.") {
				return true
			}
			return false
		}
		if blockAtoms[a.DataAtom] {
			return false
		}
	}
	return false
}

// dropShareButtons removes the links to share endpoints and the pin-it
// and share images inside the content.
func (cl *cleaner) dropShareButtons(root *html.Node) {
	var drop []*html.Node
	walk(root, func(n *html.Node) bool {
		if n.Type != html.ElementNode {
			return true
		}
		switch n.DataAtom {
		case atom.A:
			// A share link that carries a quote ("… Click to tweet")
			// shows the story's own words: only buttons go.
			if shareLink(attr(n, "href")) && cl.stats(n).words <= 4 {
				drop = append(drop, n)
				return false
			}
		case atom.Img:
			if pinImage(n) {
				drop = append(drop, n)
			}
		}
		return true
	})
	for _, n := range drop {
		if n.Parent == nil {
			continue
		}
		// The link, paragraph or figure left holding nothing goes with
		// the button; the line after it may be its caption.
		for n.Parent != nil && n.Parent != root && n.Parent.Type == html.ElementNode && onlyElementChild(n.Parent, n) && !hasText(n.Parent) {
			n = n.Parent
		}
		if next := nextElement(n); next != nil && n.DataAtom != atom.A {
			cl.afterRemovedImage[next] = true
		}
		cl.remove(n)
	}
}

// hasText reports whether n holds text that is not white space.
func hasText(n *html.Node) bool {
	found := false
	walk(n, func(c *html.Node) bool {
		if c.Type == html.TextNode && strings.TrimSpace(c.Data) != "" {
			found = true
		}
		return !found
	})
	return found
}

// nextElement returns the element sibling after n, skipping white space.
func nextElement(n *html.Node) *html.Node {
	for x := n.NextSibling; x != nil; x = x.NextSibling {
		switch x.Type {
		case html.ElementNode:
			return x
		case html.TextNode:
			if strings.TrimSpace(x.Data) != "" {
				return nil
			}
		}
	}
	return nil
}

// adLabels are the whole text of the labels sites set over an ad slot,
// lower-case, in the languages SpiderGo is most used with.
var adLabels = map[string]bool{
	"ad": true, "ads": true, "advert": true, "advertisement": true, "advertisements": true,
	"sponsored": true, "sponsored content": true, "sponsored content below": true, "paid content": true,
	"story continues below advertisement": true, "article continues below advertisement": true,
	"continue reading below": true, "anzeige": true, "werbung": true, "publicité": true,
	"publicidad": true, "publicidade": true, "pubblicità": true, "reklam": true, "reklama": true,
	"реклама": true, "advertentie": true, "reclame": true, "annons": true, "annonse": true,
	"mainos": true, "διαφήμιση": true, "פרסומת": true, "إعلان": true, "広告": true, "广告": true,
	"廣告": true, "광고": true, "quảng cáo": true, "iklan": true, "विज्ञापन": true,
}

// adLabelAtoms are the elements ad labels are set in (never a list item,
// a table cell, a heading or a link, whose few words are content).
var adLabelAtoms = map[atom.Atom]bool{
	atom.Div: true, atom.Span: true, atom.P: true, atom.Small: true, atom.Aside: true,
	atom.Section: true, atom.Strong: true, atom.B: true, atom.Em: true, atom.I: true,
	atom.Label: true, atom.Ins: true, atom.Center: true, atom.Font: true,
}

// adLabel reports whether n is an ad slot's label and nothing more:
// "Advertisement", "- Publicidade -", "PUBBLICITÀ", "Sponsored content
// below", with at most empty blocks (the slot itself) beside it.
func (cl *cleaner) adLabel(n *html.Node) bool {
	if n.Type != html.ElementNode || !adLabelAtoms[n.DataAtom] {
		return false
	}
	w := cl.stats(n).words
	if w == 0 || w > 5 {
		return false
	}
	if p := n.Parent; p != nil && !mdBlock(n.DataAtom) && cl.stats(p).words > w {
		// A few words inline in a longer line (a link, a name) are
		// part of that line, whatever they say.
		return false
	}
	t := strings.ToLower(strings.TrimFunc(collapseSpace(textOf(n)), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	}))
	return adLabels[t]
}

// relatedPhrases begin the labels of lists of other stories, lower-case,
// in the languages SpiderGo is most used with.
var relatedPhrases = []string{
	// English
	"related", "you may also like", "you might also like", "you may like", "you might like",
	"you may also enjoy", "you might also enjoy", "you may also be interested", "you might also be interested",
	"you may have missed", "you might have missed", "recommended", "more from", "more stories", "more on this",
	"more like this", "more in ", "read more", "read next", "what to read next", "up next", "also read",
	"also on ", "popular posts", "popular stories", "most popular", "most read", "trending", "don't miss",
	"don’t miss", "latest posts", "recent posts", "latest stories", "other stories", "similar posts",
	"similar articles", "keep reading", "continue reading", "related reading",
	// Job boards
	"other jobs", "similar jobs", "more jobs", "similar roles", "other roles", "jobs you may", "ähnliche jobs",
	"weitere jobs", "offres similaires", "autres offres", "ofertas similares", "empleos similares",
	"offerte simili", "vergelijkbare vacatures", "podobne oferty",
	// Shops, dealers and listings: "similar …" in several languages
	"similar ", "ähnliche ", "produits similaires", "annonces similaires", "articoli simili", "anuncios similares",
	"anúncios semelhantes", "vergelijkbare ", "podobne ", "похожие ",
	// Shops
	"customers also bought", "customers who bought", "customers also viewed", "frequently bought together",
	"people also bought", "similar products", "similar items", "related products", "you might also need",
	"kunden kauften auch", "kunden, die", "ähnliche produkte", "les clients ont aussi acheté", "produits similaires",
	"los clientes también compraron", "productos relacionados", "productos similares", "prodotti correlati",
	"prodotti simili", "podobne produkty", "klienci kupili również", "vergelijkbare producten",
	"この商品を見た人", "この商品を買った人", "関連商品", "おすすめ商品", "相关产品", "猜你喜欢", "看了又看",
	// German
	"das könnte sie auch interessieren", "das könnte dich auch interessieren", "mehr zum thema",
	"ähnliche artikel", "ähnliche beiträge", "weitere artikel", "weitere beiträge", "auch interessant",
	"lesen sie auch", "lies auch", "empfohlen", "meistgelesen",
	// French
	"à lire aussi", "a lire aussi", "lire aussi", "articles similaires", "articles liés", "articles connexes",
	"vous aimerez aussi", "vous aimerez peut-être", "vous pourriez aimer", "sur le même sujet", "à voir aussi",
	"les plus lus",
	// Spanish
	"artículos relacionados", "noticias relacionadas", "entradas relacionadas", "también te puede interesar",
	"te puede interesar", "te puede gustar", "te podría interesar", "quizás te interese", "más noticias",
	"lee también", "lo más leído",
	// Italian
	"articoli correlati", "post correlati", "potrebbe interessarti", "ti potrebbe interessare",
	"leggi anche", "i più letti",
	// Portuguese
	"posts relacionados", "artigos relacionados", "notícias relacionadas", "postagens relacionadas",
	"leia também", "leia mais", "você também pode gostar", "veja também", "mais lidas",
	// Dutch
	"gerelateerde artikelen", "lees ook", "misschien ook interessant", "meer nieuws", "meest gelezen",
}

// relatedLabel reports whether text is the label of a list of other
// stories: a few words that begin with one of relatedPhrases.
func relatedLabel(text string) bool {
	t := strings.ToLower(collapseSpace(text))
	t = strings.TrimFunc(t, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if t == "" || countWords(t) > 8 {
		return false
	}
	for _, p := range relatedPhrases {
		if t == strings.TrimSpace(p) || strings.HasPrefix(t, p) && (strings.HasSuffix(p, " ") || !isLetterAt(t, len(p))) {
			return true
		}
	}
	return false
}

func isLetterAt(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	r := []rune(s[i:])[0]
	return unicode.IsLetter(r)
}

// dropRelatedTail removes a trailing "Related posts" block: a short label
// that names a list of other stories ("You may also like", "Mehr zum
// Thema") when everything after it, to the end of the content, is mostly
// links and linked thumbnails and is a small part of the content. A label
// followed by text of the story's own is left alone.
func (cl *cleaner) dropRelatedTail(art *html.Node) {
	total := cl.stats(art).words
	var label *html.Node
	tried := 0
	walk(art, func(n *html.Node) bool {
		// A few labels are weighed at most, each against the rest of
		// the content, so that a page of labels stays linear.
		if label != nil || tried >= 8 {
			return false
		}
		if n.Type != html.ElementNode || n == art {
			return true
		}
		switch n.DataAtom {
		case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.P, atom.Div, atom.Span, atom.Strong,
			atom.B, atom.Section, atom.Header, atom.Li, atom.Dt, atom.Em:
		default:
			return true
		}
		if hasBlockChild(n) || cl.stats(n).words == 0 || cl.stats(n).words > 8 {
			return true
		}
		if relatedLabel(textOf(n)) {
			tried++
			if cl.relatedTail(n, art, total) {
				label = n
			}
		}
		return false
	})
	if label == nil {
		return
	}
	for n := label; n != nil && n != art; n = n.Parent {
		for s := n.NextSibling; s != nil; {
			next := s.NextSibling
			cl.remove(s)
			s = next
		}
	}
	cl.remove(label)
}

// relatedTail reports whether what follows label to the end of the
// content is a list of other stories: links, linked images and little
// else, and no more than a third of the content.
func (cl *cleaner) relatedTail(label, art *html.Node, total float64) bool {
	var words, linked float64
	links, thumbs := 0, 0
	for n := afterSubtreeIn(label, art); n != nil; n = afterSubtreeIn(n, art) {
		if n.Type != html.ElementNode && n.Type != html.TextNode {
			continue
		}
		s := cl.stats(n)
		words += s.words
		linked += s.linked
		walk(n, func(c *html.Node) bool {
			if c.Type == html.ElementNode {
				switch c.DataAtom {
				case atom.A:
					if linksElsewhere(c) {
						links++
					}
				case atom.Img:
					if inside(c, atom.A) {
						thumbs++
					}
				}
			}
			return true
		})
	}
	if links == 0 || words > total/3 {
		return false
	}
	return linked >= words/2 || words-linked <= 15*float64(links) && thumbs > 0
}

// afterSubtreeIn returns the node that follows n's subtree in document
// order inside root, or nil at the end of root.
func afterSubtreeIn(n, root *html.Node) *html.Node {
	for ; n != nil && n != root; n = n.Parent {
		if n.NextSibling != nil {
			return n.NextSibling
		}
	}
	return nil
}

// imageOnly reports whether n shows images and no text: an image, or a
// block or link holding only images.
func (cl *cleaner) imageOnly(n *html.Node) bool {
	if n == nil || n.Type != html.ElementNode {
		return false
	}
	if n.DataAtom == atom.Img || n.DataAtom == atom.Picture {
		return true
	}
	return cl.stats(n).words == 0 && containsAtom(n, atom.Img)
}

// thumbnail reports whether n, a block of images, is a linked thumbnail:
// every image is inside a link to a page (not to the image file itself).
func thumbnail(n *html.Node) bool {
	imgs, linked := 0, 0
	walk(n, func(c *html.Node) bool {
		if c.Type != html.ElementNode || c.DataAtom != atom.Img {
			return true
		}
		imgs++
		for a := c.Parent; a != nil && a != n.Parent; a = a.Parent {
			if a.DataAtom == atom.A {
				if href := attr(a, "href"); href != "" && !imageFileURL(href) && href != attr(c, "src") {
					linked++
				}
				break
			}
		}
		return true
	})
	return imgs > 0 && linked == imgs
}

// imageFileURL reports whether href points at an image file (a link from a
// photo to its full size).
func imageFileURL(href string) bool {
	h := strings.ToLower(href)
	if i := strings.IndexAny(h, "?#"); i >= 0 {
		h = h[:i]
	}
	for _, ext := range []string{".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".svg"} {
		if strings.HasSuffix(h, ext) {
			return true
		}
	}
	return false
}

// prevElement returns the element sibling before n, skipping white space.
func prevElement(n *html.Node) *html.Node {
	for p := n.PrevSibling; p != nil; p = p.PrevSibling {
		switch p.Type {
		case html.ElementNode:
			return p
		case html.TextNode:
			if strings.TrimSpace(p.Data) != "" {
				return nil
			}
		}
	}
	return nil
}

// captionLike reports whether n, a block at the edge of the content, is the
// caption of a photo that is not shown: a short line right after a share
// image that was removed, or, at the end, right after a linked thumbnail
// that is removed with it.
func (cl *cleaner) captionLike(n *html.Node, s textStats, fromEnd bool) bool {
	if s.words > 20 || s.words == 0 {
		return false
	}
	switch n.DataAtom {
	case atom.P, atom.Div, atom.Span, atom.Em, atom.I, atom.Small, atom.Figcaption:
	default:
		return false
	}
	if hasBlockChild(n) {
		return false
	}
	if cl.afterRemovedImage[n] {
		return true
	}
	prev := prevElement(n)
	return fromEnd && cl.imageOnly(prev) && thumbnail(prev)
}

// dropStrayRules removes the horizontal rules of the content that separate
// nothing: those before its first text or image, after its last, all but
// the first of rules that follow each other with nothing between, and a
// rule at the start or end of its own block, where the block's edge already
// separates it from what comes before or after.
func dropStrayRules(root *html.Node) {
	var drop []*html.Node
	var pending *html.Node // a rule not yet followed by content
	seenContent := false
	walk(root, func(n *html.Node) bool {
		switch n.Type {
		case html.TextNode:
			if strings.TrimSpace(n.Data) != "" {
				seenContent = true
				pending = nil
			}
		case html.ElementNode:
			switch n.DataAtom {
			case atom.Hr:
				if !seenContent || pending != nil || n.Parent != root && atBlockEdge(n) {
					drop = append(drop, n)
				} else {
					pending = n
				}
			case atom.Img, atom.Picture, atom.Video, atom.Audio, atom.Iframe:
				seenContent = true
				pending = nil
				return false
			}
		}
		return true
	})
	if pending != nil {
		drop = append(drop, pending)
	}
	for _, n := range drop {
		if n.Parent != nil {
			n.Parent.RemoveChild(n)
		}
	}
}

// atBlockEdge reports whether nothing but blank text stands between n and
// the start or the end of its parent.
func atBlockEdge(n *html.Node) bool {
	blank := func(x *html.Node) bool {
		return x.Type == html.TextNode && strings.TrimSpace(x.Data) == "" || x.Type == html.CommentNode
	}
	first, last := true, true
	for x := n.PrevSibling; x != nil && first; x = x.PrevSibling {
		first = blank(x)
	}
	for x := n.NextSibling; x != nil && last; x = x.NextSibling {
		last = blank(x)
	}
	return first || last
}
