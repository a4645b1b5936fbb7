package extract

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Scoring (score.go) finds the article container well but keeps what sits
// inside it around the story: bylines and dates, photo captions and credits,
// share bars, newsletter boxes, "related" lists, author bios. The passes
// below remove those, each one a structural rule measured on the
// article-extraction data set (bench/cmd/extracteval).

// textStats are the words of a subtree and how many of them are inside links.
type textStats struct {
	words, linked float64
}

// countWords counts the words of s: runs of letters and digits, with each
// Han or kana character counting as half a word and each Thai, Lao, Myanmar
// or Khmer letter as a third of one, since those scripts do not separate
// words with spaces.
func countWords(s string) float64 {
	var n float64
	in := false
	for _, r := range s {
		if r < 0x80 {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
				if !in {
					n++
					in = true
				}
			} else {
				in = false
			}
			continue
		}
		switch {
		case r >= 0x2E80 && (unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r)):
			n += 0.5
			in = false
		case r >= 0x0E00 && r <= 0x0EFF || r >= 0x1000 && r <= 0x109F || r >= 0x1780 && r <= 0x17FF:
			// Thai, Lao, Myanmar and Khmer write words without spaces
			// between them either; their words run to three or four
			// letters besides the vowel and tone marks.
			if unicode.IsLetter(r) {
				n += 0.3
			}
			in = false
		case unicode.IsLetter(r) || unicode.IsNumber(r) || r == '_':
			if !in {
				n++
				in = true
			}
		case unicode.IsMark(r):
		default:
			in = false
		}
	}
	return n
}

// cleaner runs the cleaning passes over one tree. It remembers the text
// statistics of every subtree it has measured, so that the passes stay
// linear in the size of the tree; removing a node forgets the statistics
// of its ancestors.
type cleaner struct {
	memo map[*html.Node]textStats
	runs map[runKey]run
	// cards remembers which runs are listings of short cards.
	cards map[runKey]bool
	// thread is set when the content is a discussion, see markThread.
	thread bool
	// total is the word count of the content being cleaned when the
	// passes began, the measure "a large part of the content" refers to.
	total float64
	// notStory is set when the page does not present itself as an article
	// (see page.story): the short lines under its title are its facts (an
	// event's date, a job's place, a policy's effective date), not a
	// story's dateline and byline.
	notStory bool
	// blogPost is set when the page's JSON-LD calls it a blog post.
	blogPost bool
	// afterRemovedImage marks the blocks that followed a share or pin
	// image that was removed: if short, they were its caption.
	afterRemovedImage map[*html.Node]bool
}

func newCleaner() *cleaner {
	return &cleaner{memo: map[*html.Node]textStats{}, afterRemovedImage: map[*html.Node]bool{}}
}

func (cl *cleaner) stats(n *html.Node) textStats {
	if s, ok := cl.memo[n]; ok {
		return s
	}
	var s textStats
	switch n.Type {
	case html.TextNode:
		s.words = countWords(n.Data)
	case html.ElementNode, html.DocumentNode:
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			cs := cl.stats(ch)
			s.words += cs.words
			s.linked += cs.linked
		}
		if n.DataAtom == atom.A && attr(n, "href") != "" {
			s.linked = s.words
		}
	}
	cl.memo[n] = s
	return s
}

// remove detaches n from the tree.
func (cl *cleaner) remove(n *html.Node) {
	if n.Parent == nil {
		return
	}
	for p := n.Parent; p != nil; p = p.Parent {
		delete(cl.memo, p)
	}
	n.Parent.RemoveChild(n)
}

func (s textStats) linkDensity() float64 {
	if s.words == 0 {
		return 0
	}
	return s.linked / s.words
}

// hintWords split from class and id values that mark boilerplate.
var boilerHints = map[string]bool{
	"share": true, "sharing": true, "social": true, "sharebar": true, "addthis": true, "sharethis": true,
	"related": true, "recommended": true, "recommendations": true, "trending": true, "popular": true,
	"newsletter": true, "subscribe": true, "subscription": true, "signup": true, "promo": true,
	"comment": true, "comments": true, "disqus": true,
	"advert": true, "advertisement": true, "ad": true, "ads": true, "sponsor": true, "sponsored": true,
	"byline": true, "author": true, "bio": true, "breadcrumb": true, "breadcrumbs": true,
	"timestamp": true, "date": true, "dateline": true,
	"caption": true, "credit": true, "credits": true, "gallery": true, "slideshow": true,
	"footer": true, "nav": true, "toolbar": true, "print": true, "cta": true,
	"feedback": true, "paywall": true,
	// Advertising, in the words sites name their ad slots with.
	"adv": true, "advertising": true, "adsbygoogle": true, "adspot": true, "adslot": true,
	"werbung": true, "anzeige": true, "publicite": true, "publicidad": true, "publicidade": true,
	"pubblicita": true, "reklam": true, "reklama": true, "reclame": true,
	// Comment sections in other languages.
	"commenti": true, "commento": true, "comentarios": true, "comentario": true, "commentaires": true,
	"kommentare": true, "komentarze": true, "yorumlar": true, "reacties": true, "kommentarer": true,
	// Forum and Q&A chrome around posts: signatures, votes, reputation;
	// star ratings; affiliate disclosures.
	"signature": true, "vote": true, "votes": true, "reputation": true, "rating": true, "ratings": true,
	"stars": true, "valutazione": true, "stelle": true,
	"disclosure": true, "meta": true, "postprofile": true, "postdetails": true, "userinfo": true,
	// A board's "who is online" block (online-list, membersOnline).
	"online": true,
	// Affiliate boxes; the author's box in other languages.
	"affiliate": true, "autore": true, "autrice": true, "autor": true, "autorin": true, "auteur": true,
	"auteure": true, "forfatter": true, "yazar": true,
}

// classWords splits the class and id of n into lower-case words
// ("article-share_bar" → article, share, bar; "shareBar" → share, bar).
func classWords(n *html.Node, fn func(string) bool) bool {
	for _, key := range []string{"class", "id"} {
		v := attr(n, key)
		if strings.Contains(v, "elementor-widget") {
			// The Elementor page builder wraps every block of a page,
			// its text too, in "elementor-widget-…" classes: what
			// follows the prefix names the block ("nav-menu",
			// "share-buttons", "text-editor").
			v = strings.ReplaceAll(v, "elementor-widget", "elementor")
		}
		start := -1
		for i := 0; i <= len(v); i++ {
			var c byte
			if i < len(v) {
				c = v[i]
			}
			isLetter := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
			isUpper := c >= 'A' && c <= 'Z'
			if start >= 0 && (!isLetter || isUpper) && !(isUpper && i > 0 && v[i-1] >= 'A' && v[i-1] <= 'Z') {
				if fn(strings.ToLower(v[start:i])) {
					return true
				}
				start = -1
			}
			if (isLetter || isUpper) && start < 0 {
				start = i
			}
		}
	}
	return false
}

func (cl *cleaner) hasBoilerHint(n *html.Node) bool {
	return classWords(n, func(w string) bool {
		return boilerHints[w] && !(cl.thread && commentHints[w]) && !(w == "meta" && cl.notStory && cl.productMeta(n))
	})
}

// productMeta reports whether n, classed "meta" on a page that is no
// story, holds a product's own words (a shop theme's "ProductMeta": its
// name, price and description) rather than a post's meta line: a price,
// or a description of 25 words or more with no other meta block inside.
func (cl *cleaner) productMeta(n *html.Node) bool {
	if holdsPrice(n) {
		return true
	}
	if cl.stats(n).words < 25 {
		return false
	}
	// A block of meta groups (an event's venue, its organiser) is judged
	// as the groups are, as labelled facts.
	inner := false
	walk(n, func(c *html.Node) bool {
		if c != n && c.Type == html.ElementNode && classWords(c, func(w string) bool { return w == "meta" }) {
			inner = true
		}
		return !inner
	})
	return !inner
}

// commentHints are the class words of comment sections.
var commentHints = map[string]bool{
	"comment": true, "comments": true, "disqus": true,
	"commenti": true, "commento": true, "comentarios": true, "comentario": true, "commentaires": true,
	"kommentare": true, "komentarze": true, "yorumlar": true, "reacties": true, "kommentarer": true,
}

// markThread decides whether the content under root is a discussion: its
// comment sections hold at least as many words as everything else. Beside
// an article, comments are boilerplate; on a forum or Q&A page, where the
// opening post is short and the replies are what people came for, they
// are the content, and the comment hints stop counting as boilerplate.
func (cl *cleaner) markThread(root *html.Node) {
	total := cl.stats(root).words
	var comments, chrome float64
	walk(root, func(n *html.Node) bool {
		if n.Type != html.ElementNode || n == root {
			return true
		}
		if classWords(n, func(w string) bool { return commentHints[w] }) {
			comments += cl.stats(n).words
			return false
		}
		if isChrome(n) {
			// Menus, sidebars and footers are neither post nor reply.
			chrome += cl.stats(n).words
			return false
		}
		return true
	})
	cl.thread = comments > 0 && comments >= total-comments-chrome
}

// isPageChrome is isChrome for blocks inside an article: an article's own
// header (<header>, class "header") holds its headline and standfirst and
// is not the page's masthead.
func isPageChrome(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Header:
		return false
	case atom.Nav, atom.Footer, atom.Aside, atom.Form, atom.Iframe, atom.Svg:
		return true
	}
	if layoutRoles[strings.ToLower(attr(n, "role"))] || overlay(n) {
		return true
	}
	return classWords(n, func(w string) bool { return layoutHints[w] && w != "header" && w != "masthead" && w != "menu" }) ||
		navMenu(n)
}

// overlay reports whether n is laid over the page, fixed to the window: a
// consent bar, a chat button, a sticky call to action. Its class says so
// (the utility class "fixed") or its style does.
func overlay(n *html.Node) bool {
	if slices.Contains(strings.Fields(attr(n, "class")), "fixed") {
		return true
	}
	st := attr(n, "style")
	return st != "" && strings.Contains(strings.ReplaceAll(strings.ToLower(st), " ", ""), "position:fixed")
}

// isChrome reports whether n is page chrome by its element, role or class:
// navigation, headers, footers, asides, forms, banners, menus.
func isChrome(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Nav, atom.Header, atom.Footer, atom.Aside, atom.Form, atom.Iframe, atom.Svg:
		return true
	}
	if layoutRoles[strings.ToLower(attr(n, "role"))] || overlay(n) {
		return true
	}
	return classWords(n, func(w string) bool { return layoutHints[w] && w != "menu" }) || navMenu(n)
}

// navMenu reports whether n is classed "menu" and is a navigation menu,
// not a restaurant's (see foodMenu).
func navMenu(n *html.Node) bool {
	return classWords(n, func(w string) bool { return w == "menu" }) && !foodMenu(n)
}

// foodMenu reports whether n, classed "menu", is a restaurant's menu
// rather than a navigation menu: eight words or more, at most a fifth of
// them in links, and no navigation element inside.
func foodMenu(n *html.Node) bool {
	words, linked := 0.0, 0.0
	nav := false
	walk(n, func(c *html.Node) bool {
		switch {
		case c.Type == html.TextNode:
			words += countWords(c.Data)
		case c.DataAtom == atom.Nav:
			nav = true
		case c.DataAtom == atom.A:
			linked += countWords(textOf(c))
		}
		return !nav
	})
	return !nav && words >= 8 && linked <= words/5
}

// cleanArticle removes the boilerplate left in the chosen article.
func (cl *cleaner) cleanArticle(art *html.Node) {
	cl.dropShareButtons(art)
	total := cl.stats(art).words
	cl.total = total
	if total == 0 {
		return
	}
	var drop []*html.Node
	affiliates := mentionsAffiliates(art)
	walk(art, func(n *html.Node) bool {
		if n.Type != html.ElementNode || n == art {
			return true
		}
		if cl.cardItem(n, total) {
			// A listing's item is judged with its run: its date, author,
			// caption and linked title are the item's own. Only a line
			// that points elsewhere ("See more: …") goes.
			walk(n, func(c *html.Node) bool {
				if c.Type == html.ElementNode && c.DataAtom == atom.P && cl.isLinkLine(c) {
					drop = append(drop, c)
					return false
				}
				return true
			})
			return false
		}
		if cl.catalogue(n) {
			return false
		}
		switch n.DataAtom {
		case atom.Figcaption:
			if n.Parent != nil && containsAtom(n.Parent, atom.Blockquote) {
				// Under a quotation, the caption says who said it.
				return false
			}
			if cl.notStory || cl.blogPost {
				// On a page that is no story (a shop, a service, a
				// report) or on a blog post, a picture's caption says
				// what it shows; its credit goes.
				cl.dropCredit(n)
				return true
			}
			drop = append(drop, n)
			return false
		case atom.Ul, atom.Ol, atom.Div, atom.Section, atom.Aside, atom.Nav:
			s := cl.stats(n)
			if s.linkDensity() > 0.5 && s.words < total/2 && !cl.repeatedItem(n, total) && !documentLinks(n) {
				drop = append(drop, n)
				return false
			}
		}
		if (n.DataAtom == atom.P || n.DataAtom == atom.Div && !hasBlockChild(n)) && !cl.repeatedItem(n, total) && cl.isLinkLine(n) && !documentLinks(n) {
			drop = append(drop, n)
			return false
		}
		if n.DataAtom == atom.A && buttonLink(n) {
			// A link drawn as a button is a call to action ("Start
			// now", "Apply", "Book a visit"), not text; a button that
			// downloads a document is an attachment and stays.
			drop = append(drop, n)
			return false
		}
		if cl.hasBoilerHint(n) && inReviews(n, art) {
			// Shops list their reviews with their site's comment
			// templates ("comments", "comment-text"): inside reviews,
			// those names mark reviews.
			return true
		}
		if cl.hasBoilerHint(n) && cl.factsBlock(n) && !isPageChrome(n) {
			// Labelled facts whatever the block is called ("event-meta",
			// "product-meta"): an event's place, a product's SKU.
			return false
		}
		if cl.notStory && dateField(n) && cl.stats(n).linked == 0 {
			// The date of an event, of a page's last review: on a page
			// that is no story, a date is a fact, not a dateline.
			return false
		}
		if (cl.hasBoilerHint(n) && !tableCell(n) || isPageChrome(n) || cl.adLabel(n) || affiliates && affiliateNotice(n) || !cl.notStory && cl.authorBox(n) || cl.subscribePrompt(n)) && cl.stats(n).words < total/3 {
			drop = append(drop, n)
			return false
		}
		return true
	})
	for _, n := range drop {
		if l := cl.labelBefore(n); l != nil && cl.introduces(l, n) {
			cl.remove(l)
		}
		if n.Parent != nil {
			cl.remove(n)
		}
	}
	cl.dropTeaserArticles(art)
	cl.dropRelatedTail(art)
	cl.trimEdges(art)
}

// documentLinks reports whether most of the links in n lead to documents
// (a report's PDF, a form to fill in, a data file): a page's attachments
// are its content, not links elsewhere.
func documentLinks(n *html.Node) bool {
	links, docs, seen := 0, 0, 0
	walk(n, func(c *html.Node) bool {
		if seen++; seen > maxLookElements {
			return false
		}
		if c.Type != html.ElementNode || c.DataAtom != atom.A {
			return true
		}
		links++
		if documentLink(c) {
			docs++
		}
		return false
	})
	// A block too large to look through is no list of attachments.
	return seen <= maxLookElements && links > 0 && docs*2 > links
}

// maxLookElements bounds the look of the rules that read a block's
// subtree for something small (attachments, a price), so that a hostile
// page of deep or wide blocks stays linear.
const maxLookElements = 400

// documentExts are the file name extensions of documents.
var documentExts = []string{".pdf", ".doc", ".docx", ".odt", ".rtf", ".xls", ".xlsx", ".ods", ".csv", ".ppt", ".pptx", ".odp", ".epub"}

// documentLink reports whether the link a leads to a document, by the
// extension of its target or by its text naming the format ("(PDF, 1.1
// MB)").
func documentLink(a *html.Node) bool {
	href := strings.ToLower(attr(a, "href"))
	if i := strings.IndexAny(href, "?#"); i >= 0 {
		href = href[:i]
	}
	for _, ext := range documentExts {
		if strings.HasSuffix(href, ext) {
			return true
		}
	}
	t := toText(a)
	for _, f := range []string{"PDF", "DOCX", "XLSX", "ODT", "CSV"} {
		if i := strings.Index(t, f); i >= 0 && !isLetterAt(t, i+len(f)) && (i == 0 || !isLetterAt(t, i-1)) {
			return true
		}
	}
	return false
}

// affiliatePhrases name affiliate links, lower-case, in the languages
// SpiderGo is most used with.
var affiliatePhrases = []string{
	"affiliate link", "affiliate-link", "affiliatelink", "affiliate commission", "enlaces de afiliado",
	"enlaces afiliados", "enlaces de afiliación", "liens affiliés", "liens d'affiliation", "lien affilié",
	"link di affiliazione", "link affiliati", "links de afiliado", "links afiliados", "partnerlinks",
	"linki afiliacyjne", "linków afiliacyjnych", "son de afiliado", "sont des liens affiliés",
}

// authorBox reports whether n is a story's box about its author, however
// it is named: a portrait whose alternative text is a name, that name set
// apart (in bold or a heading) and a short note that starts with it
// ("Helen Marsh is the Courier's environment correspondent …").
func (cl *cleaner) authorBox(n *html.Node) bool {
	if n.DataAtom != atom.Div && n.DataAtom != atom.Section && n.DataAtom != atom.Aside || cl.stats(n).words > 80 {
		return false
	}
	img := firstElement(n)
	if img == nil || img.DataAtom != atom.Img {
		return false
	}
	name := collapseSpace(attr(img, "alt"))
	if name == "" || countWords(name) > 5 {
		return false
	}
	named, noted := false, false
	walk(n, func(c *html.Node) bool {
		if c.Type != html.ElementNode {
			return true
		}
		switch t := collapseSpace(textOf(c)); {
		case c.DataAtom == atom.Strong || c.DataAtom == atom.B || isHeading(c):
			named = named || t == name
			return false
		case c.DataAtom == atom.P:
			noted = noted || strings.HasPrefix(t, name) && countWords(t) > countWords(name)+2
			return false
		}
		return true
	})
	return named && noted
}

// buttonLink reports whether the link a is drawn as a button (role
// "button", or a class word button, btn or cta) and leads to no document.
func buttonLink(a *html.Node) bool {
	return (strings.EqualFold(attr(a, "role"), "button") ||
		classWords(a, func(w string) bool { return w == "button" || w == "btn" || w == "cta" })) && !documentLink(a)
}

// subscribeWords are parts of the paths of subscription pages, in the
// languages SpiderGo is most used with.
var subscribeWords = []string{"subscri", "abonn", "suscri", "assin", "abbonam", "prenumer", "membership", "/abo/", "/abo-", "/plus/"}

// subscribePrompt reports whether n is a small box (60 words or fewer, a
// paragraph or a heading in it) whose every link leads to a subscription
// page: "Support local journalism … Subscribe", a paywall's offer, in any
// language.
func (cl *cleaner) subscribePrompt(n *html.Node) bool {
	if !isContainer(n) || cl.stats(n).words > 60 || !hasTextBlock(n) {
		return false
	}
	links, subs := 0, 0
	walk(n, func(c *html.Node) bool {
		if c.Type != html.ElementNode || c.DataAtom != atom.A {
			return true
		}
		links++
		href := strings.ToLower(attr(c, "href"))
		for _, w := range subscribeWords {
			if strings.Contains(href, w) {
				subs++
				break
			}
		}
		return false
	})
	return links > 0 && subs == links
}

// mentionsAffiliates reports whether any text under n may name affiliate
// links ("affiliate", "afiliado", "affilié", "partnerlinks"), a cheap look
// that spares the paragraph-by-paragraph one on most pages.
func mentionsAffiliates(n *html.Node) bool {
	found := false
	walk(n, func(c *html.Node) bool {
		if found {
			return false
		}
		if c.Type == html.TextNode && (strings.Contains(c.Data, "fili") || strings.Contains(c.Data, "artnerlink")) {
			found = true
		}
		return true
	})
	return found
}

// affiliateNotice reports whether n is a short paragraph that says the
// page's links earn its author a commission.
func affiliateNotice(n *html.Node) bool {
	if n.DataAtom != atom.P && n.DataAtom != atom.Div || hasBlockChild(n) {
		return false
	}
	t := textOf(n)
	if len(t) > 600 {
		return false
	}
	t = strings.ToLower(t)
	for _, p := range affiliatePhrases {
		if strings.Contains(t, p) {
			return true
		}
	}
	return false
}

// inReviews reports whether n is a review, or sits inside reviews (below
// art) and is named only as a comment is, not as the form to write one.
func inReviews(n, art *html.Node) bool {
	if reviewNamed(n) {
		return true
	}
	other := classWords(n, func(w string) bool {
		return boilerHints[w] && !commentHints[w] || w == "respond" || w == "reply" || w == "form"
	})
	if other {
		return false
	}
	for a := n.Parent; a != nil && a != art; a = a.Parent {
		if reviewNamed(a) {
			return true
		}
	}
	return false
}

// reviewNamed reports whether n's class, id or item property names it a
// review or reviews.
func reviewNamed(n *html.Node) bool {
	if p := strings.ToLower(attr(n, "itemprop")); p == "review" || p == "reviews" {
		return true
	}
	return classWords(n, func(w string) bool { return w == "review" || w == "reviews" })
}

// tableCell reports whether n is a row, cell or caption of a table, whose
// class names a column ("date_due", "author") or the table's own title
// ("table__caption") rather than boilerplate.
func tableCell(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Tr, atom.Td, atom.Th, atom.Caption:
		return true
	}
	return false
}

// repeatedItem reports whether n is one item of a run of like siblings
// (the same element with the same class, three or more): the rows of a
// listing, the cards of a catalogue, the entries of a job board. Such an
// item links to its own page by nature, so it is judged with its run, not
// alone, when the run holds a third of the content or more.
func (cl *cleaner) repeatedItem(n *html.Node, total float64) bool {
	class := attr(n, "class")
	if class == "" || n.Parent == nil || n.DataAtom == atom.P {
		// Paragraphs share a class all through an article; a paragraph
		// that is only a link is a pointer elsewhere whatever its class.
		return false
	}
	// The run is measured once per parent, element and class, so that a
	// parent with many like children costs one pass, not one per child.
	key := runKey{n.Parent, n.DataAtom, class}
	r, ok := cl.runs[key]
	if !ok {
		for c := n.Parent.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && c.DataAtom == n.DataAtom && attr(c, "class") == class {
				r.items++
				r.words += cl.stats(c).words
			}
		}
		if cl.runs == nil {
			cl.runs = map[runKey]run{}
		}
		cl.runs[key] = r
	}
	// A run of cards that is a small part of the page is a related or
	// more-stories strip beside the content, not the content.
	return r.items >= 3 && r.words >= total/3
}

// cardItem reports whether n is an item of a listing made of short cards
// (a hundred words or fewer on average, most of them cards, see card):
// result rows, product tiles, portfolio pieces. Long repeated blocks are a
// layout's columns, and runs of other blocks are an article's chunks
// between ads or a thread's posts: their parts are judged one by one.
func (cl *cleaner) cardItem(n *html.Node, total float64) bool {
	if !cl.repeatedItem(n, total) {
		return false
	}
	k := runKey{n.Parent, n.DataAtom, attr(n, "class")}
	if card, ok := cl.cards[k]; ok {
		return card
	}
	r := cl.runs[k]
	cards := 0
	for c := n.Parent.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && c.DataAtom == n.DataAtom && attr(c, "class") == k.class && cl.card(c) {
			cards++
		}
	}
	card := r.words <= 100*float64(r.items) && cards*5 >= r.items*3
	if cl.cards == nil {
		cl.cards = map[runKey]bool{}
	}
	cl.cards[k] = card
	return card
}

// card reports whether n reads as a listing's card: its title is a link
// to the item's own page (a linked first heading, or a first element that
// is a link of two words or more), or it is a picture with a short
// caption.
func (cl *cleaner) card(n *html.Node) bool {
	if cl.titleLinked(n) {
		return true
	}
	if first := firstElement(n); first != nil && first.DataAtom == atom.A && cl.stats(first).words >= 2 {
		return true
	}
	return cl.stats(n).words <= 15 && (containsAtom(n, atom.Img) || containsAtom(n, atom.Picture))
}

// runKey names a run of like siblings: their parent, element and class.
type runKey struct {
	parent *html.Node
	el     atom.Atom
	class  string
}

// run is the size of a run of like siblings when first measured.
type run struct {
	items int
	words float64
}

// trimEdges removes, from the start and from the end of the article, the
// short lines that are not sentences: datelines, bylines, section labels,
// "share"/"more" labels. It stops at the first real paragraph and never
// takes more than a fifth of the article.
func (cl *cleaner) trimEdges(art *html.Node) {
	total := cl.stats(art).words
	budget := total / 5
	for _, fromEnd := range []bool{false, true} {
		cl.trimEdge(art, fromEnd, &budget)
	}
}

func (cl *cleaner) trimEdge(n *html.Node, fromEnd bool, budget *float64) bool {
	first := func(n *html.Node) *html.Node {
		if fromEnd {
			return n.LastChild
		}
		return n.FirstChild
	}
	next := func(n *html.Node) *html.Node {
		if fromEnd {
			return n.PrevSibling
		}
		return n.NextSibling
	}
	for c := first(n); c != nil; {
		nx := next(c)
		switch c.Type {
		case html.TextNode:
			w := countWords(c.Data)
			if w == 0 {
				c = nx
				continue
			}
			if isJunkLine(c.Data, w) && w <= *budget {
				*budget -= w
				cl.remove(c)
				c = nx
				continue
			}
			return true
		case html.ElementNode:
		default:
			c = nx
			continue
		}
		s := cl.stats(c)
		if s.words == 0 {
			switch {
			case c.DataAtom == atom.Hr || c.DataAtom == atom.Br:
				// A rule or break at the edge separates nothing.
				cl.remove(c)
			case fromEnd && cl.imageOnly(c) && thumbnail(c):
				// A linked thumbnail after the story leads to another one.
				cl.remove(c)
			}
			c = nx
			continue
		}
		if cl.repeatedItem(c, cl.total) || cl.factsBlock(c) || cl.catalogue(c) {
			// The first or last card of a listing: its title and date
			// are the item's, not the page's edge. A block of labelled
			// facts is the content's, whatever its lines look like.
			return true
		}
		if isContainer(c) && hasBlockChild(c) && (s.words > 12 || !fromEnd && holdsDek(c)) {
			// A container: trim inside it, then stop if it kept text.
			if cl.trimEdge(c, fromEnd, budget) {
				return true
			}
			if cl.stats(c).words == 0 {
				cl.remove(c)
			}
			c = nx
			continue
		}
		if !fromEnd && isSubheading(c) && opensSection(c) {
			// A section's heading over its first paragraph opens the
			// content (legal articles, guides' steps), it is no label.
			return true
		}
		if !fromEnd && hasDekHint(c) {
			// The standfirst opens the story; what came before it was
			// trimmed already.
			return true
		}
		if fromEnd && cl.notStory && contactLine(c) {
			// A release's or a service's contact line closes the
			// content: who to ask, at which address or number.
			return true
		}
		if !fromEnd && cl.notStory && s.linked == 0 && factLine(toText(c)) {
			// Under the title of a page that is no story, a short line
			// with a number or a label is a fact: the date of an event,
			// when a policy took effect, how many a recipe makes.
			return true
		}
		if !fromEnd && nearPrice(c) {
			// A shop's buy box: its reference, price and stock lines
			// are the product's facts, not a story's dateline.
			return true
		}
		if s.words <= *budget && (cl.isEdgeJunk(c, s) || fromEnd && dangling(c, s) || cl.captionLike(c, s, fromEnd)) {
			*budget -= s.words
			cl.remove(c)
			c = nx
			continue
		}
		return true
	}
	return false
}

// creditLabels begin the credit of a picture, lower-case, in the
// languages SpiderGo is most used with.
var creditLabels = []string{
	"photo:", "photo :", "photograph:", "picture:", "image:", "credit:", "foto:", "bild:", "kuva:", "zdjęcie:",
	"fotó:", "fotoğraf:", "imagen:", "imagem:", "фото:", "写真：", "写真:", "사진:", "عکس:", "تصوير:", "ảnh:",
}

// dropCredit cuts the credit from a caption's text: "Our office in Leeds.
// Photo: J. Doe" keeps "Our office in Leeds.". A credit in an element of
// its own is dropped by its class, as everywhere.
func (cl *cleaner) dropCredit(caption *html.Node) {
	walk(caption, func(n *html.Node) bool {
		if n.Type != html.TextNode {
			return true
		}
		l := strings.ToLower(n.Data)
		if len(l) != len(n.Data) {
			// Lower-casing moved the bytes: no offset to cut at.
			return true
		}
		for _, c := range creditLabels {
			i := strings.Index(l, c)
			if i < 0 || i > 0 && l[i-1] != ' ' && l[i-1] != '(' && l[i-1] != '|' {
				continue
			}
			n.Data = strings.TrimRight(n.Data[:i], " (|")
			for x := n.NextSibling; x != nil; {
				next := x.NextSibling
				n.Parent.RemoveChild(x)
				x = next
			}
			for p := n.Parent; p != nil; p = p.Parent {
				delete(cl.memo, p)
			}
			return false
		}
		return true
	})
}

// dateField reports whether n is named as a date by its class or id and
// holds a number.
func dateField(n *html.Node) bool {
	return classWords(n, func(w string) bool { return w == "date" || w == "daterange" || w == "dates" }) &&
		strings.ContainsFunc(textOf(n), unicode.IsDigit)
}

// factLine reports whether a short line states a fact: it holds a number,
// reads "Label: value" or lists terms ("Remote · Engineering · Full-time").
func factLine(t string) bool {
	return strings.ContainsFunc(t, unicode.IsDigit) || labelled(t) || strings.Contains(t, " · ") || strings.Contains(t, " | ")
}

// contactLine reports whether n is a labelled line that gives an e-mail
// address or a telephone number ("Media office: press@example.org, +45
// 3336 7100"), with no links but mailto: and tel: ones.
func contactLine(n *html.Node) bool {
	t := toText(n)
	if countWords(t) > 25 || !labelled(t) {
		return false
	}
	ok := true
	walk(n, func(c *html.Node) bool {
		if c.Type == html.ElementNode && c.DataAtom == atom.A && !hasScheme(attr(c, "href"), "mailto", "tel") {
			ok = false
		}
		return ok
	})
	if !ok {
		return false
	}
	if strings.Contains(t, "@") {
		return true
	}
	digits := 0
	for _, r := range t {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	return digits >= 7
}

// nearPrice reports whether n or one of the two elements after it is a
// short line that states a price.
func nearPrice(n *html.Node) bool {
	for i := 0; n != nil && i < 3; i, n = i+1, nextElement(n) {
		if t := textOf(n); countWords(t) <= 8 && priceLine(t) {
			return true
		}
	}
	return false
}

// currencyWords are the currency codes and signs written as words that
// prices are given in.
var currencyWords = map[string]bool{
	"eur": true, "usd": true, "gbp": true, "chf": true, "nok": true, "sek": true, "dkk": true, "pln": true,
	"czk": true, "huf": true, "ron": true, "tl": true, "jpy": true, "cny": true, "inr": true, "brl": true,
	"aud": true, "cad": true, "zł": true, "kr": true, "kč": true, "lei": true, "руб": true,
	"грн": true, "rp": true, "rs": true, "r$": true, "円": true, "元": true, "원": true,
}

// priceLine reports whether the text states an amount of money: a number
// with a currency sign or code beside it ("129,99 €", "$89", "3,900 NOK",
// "19,800円").
func priceLine(t string) bool {
	if !strings.ContainsFunc(t, unicode.IsDigit) {
		return false
	}
	if strings.ContainsFunc(t, func(r rune) bool { return unicode.Is(unicode.Sc, r) }) {
		return true
	}
	for _, f := range strings.FieldsFunc(strings.ToLower(t), func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsDigit(r) || r == '.' || r == ',' || r == '-'
	}) {
		if currencyWords[strings.TrimRight(f, ".")] {
			return true
		}
	}
	return false
}

func isSubheading(n *html.Node) bool {
	return isHeading(n) && n.DataAtom != atom.H1
}

// opensSection reports whether the block after the heading h is a
// paragraph of prose: a sentence, or ten words and more.
func opensSection(h *html.Node) bool {
	n := nextElement(h)
	if n == nil || n.DataAtom != atom.P {
		return false
	}
	t := toText(n)
	return !isJunkLine(t, countWords(t))
}

// isEdgeJunk reports whether a block at the edge of the article is
// boilerplate: a short line that is no sentence, a short run of links, or a
// list of links. Lists, tables and quotes are judged whole; their short
// items are content.
func (cl *cleaner) isEdgeJunk(n *html.Node, s textStats) bool {
	if cl.repeatedItem(n, cl.total) || documentLinks(n) {
		// One row of a listing: it is judged with its run. The page's
		// attachments are its own.
		return false
	}
	if ld := s.linkDensity(); ld > 0.5 && s.words < 25 || ld > 0.9 || cl.isLinkList(n) {
		return true
	}
	switch n.DataAtom {
	case atom.Table, atom.Blockquote, atom.Pre, atom.Ul, atom.Ol, atom.Dl:
		return false
	}
	if lw := cl.listWords(n); lw >= 3 && lw*2 >= s.words {
		// A block that is mostly a list or a table (a heading and its
		// items) is judged as the list is.
		return false
	}
	return isJunkLine(toText(n), s.words)
}

// listWords counts the words of n inside lists, definition lists and
// tables.
func (cl *cleaner) listWords(n *html.Node) float64 {
	var w float64
	walk(n, func(c *html.Node) bool {
		if c.Type != html.ElementNode {
			return false
		}
		switch c.DataAtom {
		case atom.Ul, atom.Ol, atom.Dl, atom.Table:
			w += cl.stats(c).words
			return false
		}
		return true
	})
	return w
}

// dangling reports whether n, the last block of the article, is a label of
// a few words that announces what follows ("You may also like…", "Read more:")
// when nothing follows it: what it announced was removed.
func dangling(n *html.Node, s textStats) bool {
	// Six words and more make a sentence that introduced something the
	// reader still needs ("Twitter seemed a bit confused by the campaign:"
	// before embedded posts the text format cannot show).
	if s.words >= 6 || !blockAtoms[n.DataAtom] {
		return false
	}
	switch n.DataAtom {
	case atom.Table, atom.Blockquote, atom.Pre, atom.Ul, atom.Ol, atom.Dl:
		return false
	}
	t := strings.TrimSpace(toText(n))
	return strings.HasSuffix(t, ":") || strings.HasSuffix(t, "...") || strings.HasSuffix(t, "…") || strings.HasSuffix(t, "：")
}

// isContainer reports whether n merely groups blocks, so that edge
// trimming looks inside it.
func isContainer(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Div, atom.Section, atom.Article, atom.Main, atom.Header, atom.Footer,
		atom.Aside, atom.Center, atom.Span, atom.Font, atom.Form:
		return true
	}
	return false
}

// isJunkLine reports whether a line of text is too short to be a sentence
// and does not end like one.
func isJunkLine(text string, words float64) bool {
	if words >= 10 {
		return false
	}
	t := strings.TrimSpace(text)
	r, _ := utf8.DecodeLastRuneInString(t)
	switch r {
	case '.', '!', '?', '…', '。', '！', '？', '"', '”', '»', '\'', ':', '：':
		return words < 3
	}
	return true
}

var blockAtoms = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Section: true, atom.Article: true, atom.Ul: true, atom.Ol: true,
	atom.Li: true, atom.Table: true, atom.Blockquote: true, atom.Pre: true, atom.Figure: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Header: true, atom.Footer: true, atom.Aside: true, atom.Dl: true, atom.Main: true,
}

func hasBlockChild(n *html.Node) bool {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && blockAtoms[c.DataAtom] {
			return true
		}
	}
	return false
}

// dropTeaserArticles handles content holding several <article> elements:
// the largest is the story, and the other small ones that link elsewhere are
// cards for other stories (lists of recent or related posts).
func (cl *cleaner) dropTeaserArticles(art *html.Node) {
	var leaves []*html.Node
	walk(art, func(n *html.Node) bool {
		if n.Type == html.ElementNode && n.DataAtom == atom.Article && !containsAtom(n, atom.Article) {
			leaves = append(leaves, n)
			return false
		}
		return true
	})
	if len(leaves) < 2 {
		return
	}
	var main *html.Node
	best := -1.0
	for _, n := range leaves {
		if w := cl.stats(n).words; w > best {
			main, best = n, w
		}
	}
	if cl.titleLinked(main) {
		// The largest article is itself a card, its title a link to its
		// own page: the page lists peers (events, posts, products), and
		// they are the content.
		return
	}
	for _, n := range leaves {
		if n == main || cl.inListing(n, art) {
			continue
		}
		w := cl.stats(n).words
		if w == 0 || (w < 150 && w < best && linksElsewhere(n)) {
			cl.remove(n)
		}
	}
}

// inListing reports whether n is, or lies inside, an item of a listing
// under art: a thread's posts and a catalogue's cards are peers, whatever
// their links.
func (cl *cleaner) inListing(n, art *html.Node) bool {
	for a := n; a != nil && a != art; a = a.Parent {
		if cl.repeatedItem(a, cl.total) {
			return true
		}
	}
	return false
}

// titleLinked reports whether the first heading of n is a link: the
// title of a card that leads to the item's own page.
func (cl *cleaner) titleLinked(n *html.Node) bool {
	var h *html.Node
	walk(n, func(c *html.Node) bool {
		if h != nil {
			return false
		}
		if c.Type == html.ElementNode {
			switch c.DataAtom {
			case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
				h = c
				return false
			}
		}
		return true
	})
	if h == nil {
		return false
	}
	s := cl.stats(h)
	return s.words > 0 && s.linkDensity() > 0.9
}

func containsAtom(n *html.Node, a atom.Atom) bool {
	found := false
	walk(n, func(c *html.Node) bool {
		if c != n && c.Type == html.ElementNode && c.DataAtom == a {
			found = true
		}
		return !found
	})
	return found
}

// linksElsewhere reports whether n holds a link to another page.
func linksElsewhere(n *html.Node) bool {
	found := false
	walk(n, func(c *html.Node) bool {
		if c.Type == html.ElementNode && c.DataAtom == atom.A {
			if h := attr(c, "href"); h != "" && h[0] != '#' && !hasScheme(h, "javascript:", "mailto:") {
				found = true
			}
		}
		return !found
	})
	return found
}

// isLinkList reports whether n is a list of links: most of its items hold a
// link and the items are short, as in "more stories" and "read next" lists.
func (cl *cleaner) isLinkList(n *html.Node) bool {
	if n.DataAtom != atom.Ul && n.DataAtom != atom.Ol {
		return false
	}
	items, linked := 0, 0
	var words float64
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode || c.DataAtom != atom.Li {
			continue
		}
		items++
		words += cl.stats(c).words
		if linksElsewhere(c) {
			linked++
		}
	}
	return items >= 2 && float64(linked) >= 0.6*float64(items) && words/float64(items) < 20
}

// isLinkLine reports whether n is a short line made of a link, perhaps with
// a label ("Related: …", "READ MORE: …"): a pointer to another story set in
// the text. Lines whose text is itself a URL or an address are kept; there
// the link is the content.
func (cl *cleaner) isLinkLine(n *html.Node) bool {
	s := cl.stats(n)
	if s.words == 0 || s.words >= 25 || s.linkDensity() < 0.5 {
		return false
	}
	t := toText(n)
	if strings.Contains(t, "://") || strings.Contains(t, "www.") || strings.Contains(t, "@") {
		return false
	}
	return s.linkDensity() >= 0.75 || labelThenLink(n)
}

// labelThenLink reports whether n is a short label ending with a colon
// ("Read also:", "Читайте також:", "Lesen Sie auch:") followed by one
// link and nothing else, or a label naming other stories followed by
// links and their separators only.
func labelThenLink(n *html.Node) bool {
	var label strings.Builder
	links := 0
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch {
		case c.Type == html.ElementNode && c.DataAtom == atom.A:
			links++
		case links > 0:
			if t := strings.TrimSpace(textOf(c)); t != "" && strings.Trim(t, "|·,•/-–") != "" {
				return false
			}
		default:
			label.WriteString(textOf(c))
		}
	}
	l := strings.TrimSpace(label.String())
	if !strings.HasSuffix(l, ":") && !strings.HasSuffix(l, "：") {
		return false
	}
	// One link after any short label; several after a label that names
	// other stories ("Other jobs you may like: …").
	return links == 1 && countWords(l) <= 4 || links > 1 && relatedLabel(l)
}

// layoutHints are class and id words of page chrome: menus, sidebars,
// banners, cookie notices, pop-ups.
var layoutHints = map[string]bool{
	"nav": true, "navbar": true, "navigation": true, "menu": true, "sidebar": true, "header": true,
	"masthead": true, "footer": true, "breadcrumb": true, "breadcrumbs": true, "cookie": true,
	"cookies": true, "consent": true, "gdpr": true, "banner": true, "popup": true, "modal": true,
	"overlay": true, "skip": true, "toolbar": true, "widget": true, "rail": true,
}

var layoutRoles = map[string]bool{
	"navigation": true, "banner": true, "contentinfo": true, "complementary": true,
	"search": true, "menu": true, "menubar": true, "dialog": true, "alertdialog": true,
}

// stripBoilerplate removes page chrome from root in place: navigation,
// headers, footers, asides, forms, elements whose role or class says they
// are chrome, and the boilerplate blocks cleanArticle also removes. A
// container holding most of the page's text is kept whatever its name, so
// a mislabelled wrapper cannot take the content with it.
func (cl *cleaner) stripBoilerplate(root *html.Node) *html.Node {
	total := cl.stats(root).words
	var drop []*html.Node
	walk(root, func(n *html.Node) bool {
		if n.Type != html.ElementNode || n == root {
			return true
		}
		chrome := isChrome(n) || cl.adLabel(n) || !tableCell(n) && cl.hasBoilerHint(n)
		if chrome && cl.stats(n).words <= total/2 {
			drop = append(drop, n)
			return false
		}
		return true
	})
	for _, n := range drop {
		if n.Parent != nil {
			cl.remove(n)
		}
	}
	return root
}

// dropAboveMasthead removes the short blocks that come before the page's
// header or main navigation: announcement bars ("New: …"), service lines,
// top links. The page's content never comes above its own masthead. The
// masthead is looked for among the first blocks of the page, at most three
// levels down; a longer block before it stops the pass.
func (cl *cleaner) dropAboveMasthead(root *html.Node) {
	var find func(n *html.Node, depth int) *html.Node
	find = func(n *html.Node, depth int) *html.Node {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			if masthead(c) && !inContent(c, root) {
				return c
			}
			if cl.stats(c).words > 30 {
				if depth < 3 {
					return find(c, depth+1)
				}
				return nil
			}
		}
		return nil
	}
	m := find(root, 1)
	if m == nil {
		return
	}
	for n := m; n != nil && n != root; n = n.Parent {
		for p := n.PrevSibling; p != nil; {
			prev := p.PrevSibling
			if p.Type == html.ElementNode && cl.stats(p).words <= 30 {
				cl.remove(p)
			}
			p = prev
		}
	}
}

// inContent reports whether n lies inside a <main> or an <article> under
// root, where a header is the article's and a navigation its contents.
func inContent(n, root *html.Node) bool {
	for a := n.Parent; a != nil && a != root; a = a.Parent {
		if a.DataAtom == atom.Main || a.DataAtom == atom.Article || strings.EqualFold(attr(a, "role"), "main") {
			return true
		}
	}
	return false
}

// masthead reports whether n is the page's header or main navigation.
func masthead(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Header, atom.Nav:
		return true
	}
	switch strings.ToLower(attr(n, "role")) {
	case "banner", "navigation":
		return true
	}
	return classWords(n, func(w string) bool {
		return w == "header" || w == "masthead" || w == "navbar" || w == "navigation"
	})
}

// introduces reports whether label, the short line before the removed
// block n, only announced it: a label is plain text ("Related stories",
// "More:") and announces something larger than itself. A line that is a
// link, or one followed by a block no longer than itself, is a title with
// its details (a product card's name before its author line, an event's
// name before its date) and stays.
func (cl *cleaner) introduces(label, n *html.Node) bool {
	ls := cl.stats(label)
	if ls.linkDensity() >= 0.5 {
		return false
	}
	return cl.stats(n).words > ls.words
}

// labelBefore returns the short label right before n ("More:", "Related
// stories", "You may also like…") when n is removed: the label only
// introduced it.
func (cl *cleaner) labelBefore(n *html.Node) *html.Node {
	prev := n.PrevSibling
	for prev != nil && prev.Type == html.TextNode && strings.TrimSpace(prev.Data) == "" {
		prev = prev.PrevSibling
	}
	if prev == nil || prev.Type != html.ElementNode || hasBlockChild(prev) {
		return nil
	}
	switch prev.DataAtom {
	case atom.P, atom.Div, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Strong, atom.B, atom.Span:
	default:
		return nil
	}
	s := cl.stats(prev)
	if s.words == 0 || s.words > 6 {
		return nil
	}
	t := strings.TrimSpace(toText(prev))
	r, _ := utf8.DecodeLastRuneInString(t)
	switch r {
	case ':', '：', '…', '.':
		if r == '.' && !strings.HasSuffix(t, "...") {
			return nil
		}
	case '!', '?', '"', '”', '»', '。', '！', '？':
		return nil
	}
	return prev
}

// factsBlock reports whether n is a block of facts: three or more labelled
// values (a definition list's terms, a table's header-and-value rows, lines
// that open with a short label and a colon) with few links. An event's
// date, place and price, a job's hours and closing date, a product's
// specifications: short, no sentences, and the content all the same.
func (cl *cleaner) factsBlock(n *html.Node) bool {
	if n.Type != html.ElementNode || cl.stats(n).linkDensity() > 0.3 {
		return false
	}
	pairs := 0
	walk(n, func(c *html.Node) bool {
		if c.Type != html.ElementNode {
			return false
		}
		switch c.DataAtom {
		case atom.Dt:
			pairs++
			return false
		case atom.Tr:
			if cl.labelledRow(c) {
				pairs++
			}
			return false
		case atom.P, atom.Li, atom.Div:
			if !hasBlockChild(c) && !containsAtom(c, atom.Dt) && !containsAtom(c, atom.Tr) {
				if labelled(textOf(c)) {
					pairs++
				}
				return false
			}
		}
		return true
	})
	return pairs >= 3
}

// labelledRow reports whether a table row is a label and its values: a
// header cell, or — in a table whose columns have headers — a short first
// cell (five words or fewer), followed by value cells of twenty words or
// fewer each. A layout table's rows, with a whole page in a cell, are not.
func (cl *cleaner) labelledRow(tr *html.Node) bool {
	first := firstElement(tr)
	if first == nil || first.DataAtom != atom.Th && (first.DataAtom != atom.Td || !columnHeaders(tr)) {
		return false
	}
	if w := cl.stats(first).words; w == 0 || w > 5 {
		return false
	}
	values := 0
	for c := nextElement(first); c != nil; c = nextElement(c) {
		if c.DataAtom != atom.Td || cl.stats(c).words > 20 {
			return false
		}
		values++
	}
	return values > 0
}

// columnHeaders reports whether the table of the row tr opens with a row
// of header cells only.
func columnHeaders(tr *html.Node) bool {
	t := tr.Parent
	for t != nil && t.DataAtom != atom.Table {
		t = t.Parent
	}
	if t == nil {
		return false
	}
	var head *html.Node
	walk(t, func(c *html.Node) bool {
		if head != nil {
			return false
		}
		if c.Type == html.ElementNode && c.DataAtom == atom.Tr {
			head = c
			return false
		}
		return true
	})
	if head == nil || head == tr {
		return false
	}
	for c := firstElement(head); c != nil; c = nextElement(c) {
		if c.DataAtom != atom.Th {
			return false
		}
	}
	return true
}

// labelled reports whether a line is a short label, a colon and a value
// ("Closing date: 12 April", "Ort: Storvik").
func labelled(line string) bool {
	line = strings.TrimSpace(line)
	i := strings.IndexAny(line, ":：")
	if i <= 0 || utf8.RuneCountInString(line[:i]) > 40 {
		return false
	}
	// The label ends in a word, not in a number: "07:00" is a time.
	if r, _ := utf8.DecodeLastRuneInString(strings.TrimSpace(line[:i])); !unicode.IsLetter(r) && r != ')' {
		return false
	}
	value := strings.TrimSpace(strings.TrimLeft(line[i:], ":："))
	return value != "" && countWords(line) <= 20 && !strings.HasPrefix(value, "//")
}

func firstElement(n *html.Node) *html.Node {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode {
			return c
		}
	}
	return nil
}
