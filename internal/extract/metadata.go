package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The metadata map holds every meta tag of the page and, on top of them, the
// keys SpiderGo fills from the best source it finds. Each key has its own
// order of sources, most reliable first:
//
//   - author: the JSON-LD article's author (people and organizations, by
//     name), then the byline readers see near the headline, then the meta
//     tags. Meta tags come last because article:author is often a profile
//     URL and "author" often the site's name. A URL is never an author's
//     name: it becomes author_url.
//   - site_name: og:site_name, then the JSON-LD article's publisher, then
//     the JSON-LD WebSite, then application-name.
//   - image: og:image, then twitter:image, then the JSON-LD article's image.

func (p *page) metadata(res *Result, ld []any) map[string]string {
	m := make(map[string]string, len(p.metas)+12)
	for _, t := range p.metas {
		if t.content == "" || strings.HasPrefix(t.key, "itemprop:") || strings.HasPrefix(t.key, "http-equiv:") {
			continue
		}
		if _, ok := m[t.key]; !ok {
			m[t.key] = t.content
		}
	}
	set := func(k, v string) {
		if v != "" {
			m[k] = v
		} else {
			delete(m, k)
		}
	}
	set("title", res.Title)
	set("description", res.Description)
	set("language", res.Language)
	set("canonical", res.Canonical)
	set("favicon", p.favicon())
	info := articleInfo(ld)
	author, authorURL := p.author(info)
	set("author", author)
	set("author_url", authorURL)
	set("published_time", firstNonEmpty(p.meta("article:published_time", "og:published_time", "itemprop:datepublished"),
		info.published, p.meta("date", "pubdate", "publishdate", "dc.date.issued", "dcterms.created",
			"dc.date", "parsely-pub-date", "sailthru.date")))
	set("modified_time", firstNonEmpty(p.meta("article:modified_time", "og:updated_time", "itemprop:datemodified"),
		info.modified, p.meta("dcterms.modified", "last-modified")))
	set("site_name", firstNonEmpty(p.meta("og:site_name"), info.publisher, info.website, p.meta("application-name")))
	image := ""
	for _, v := range []string{p.meta("og:image", "og:image:url", "og:image:secure_url"), p.meta("twitter:image", "twitter:image:src"), info.image} {
		if image = p.abs(v); image != "" {
			break
		}
	}
	set("image", image)
	for _, k := range []string{"og:image", "og:url", "twitter:image"} {
		if v, ok := m[k]; ok {
			if u := p.abs(v); u != "" {
				m[k] = u
			}
		}
	}
	return m
}

// author chooses the page's author and the URL of the author's page.
func (p *page) author(info ldArticle) (name, href string) {
	var urls []string
	if len(info.authors) > 0 {
		name = strings.Join(info.authors, ", ")
		urls = append(urls, info.authorURL)
		if info.authorURL == "" {
			// The byline's link to the author's page, when the byline
			// names the same author.
			if bn, bu := p.byline(); bu != "" && sameAuthor(bn, info.authors) {
				urls = append(urls, bu)
			}
		}
	}
	if name == "" {
		var u string
		name, u = p.byline()
		urls = append(urls, u)
	}
	metaName, metaURL := p.metaAuthor()
	if name == "" {
		name = metaName
	}
	urls = append(urls, metaURL, info.authorURL)
	for _, l := range p.heads {
		if hasToken(l.rel, "author") {
			urls = append(urls, l.href)
		}
	}
	for _, u := range urls {
		if href = p.abs(u); href != "" {
			break
		}
	}
	return name, href
}

// sameAuthor reports whether the byline's name is one of names.
func sameAuthor(byline string, names []string) bool {
	b := strings.ToLower(byline)
	for _, n := range names {
		if n = strings.ToLower(n); n != "" && (strings.Contains(b, n) || strings.Contains(n, b)) {
			return true
		}
	}
	return false
}

// metaAuthor reads the author meta tags: the first name, and the first URL
// (article:author is meant to be a profile URL).
func (p *page) metaAuthor() (name, href string) {
	for _, k := range []string{"author", "article:author", "dc.creator", "dcterms.creator", "byl", "parsely-author", "sailthru.author"} {
		for _, t := range p.metas {
			if t.key != k || t.content == "" {
				continue
			}
			if looksLikeURL(t.content) {
				if href == "" {
					href = t.content
				}
				continue
			}
			if name == "" {
				name = cleanAuthor(t.content)
			}
		}
	}
	return name, href
}

// ldArticle is what the JSON-LD of a page says about its article.
type ldArticle struct {
	authors   []string
	authorURL string
	published string
	modified  string
	publisher string
	website   string
	image     string
}

var articleTypes = []string{"Article", "NewsArticle", "BlogPosting", "Report", "ScholarlyArticle",
	"TechArticle", "AnalysisNewsArticle", "OpinionNewsArticle", "ReportageNewsArticle", "LiveBlogPosting",
	"BackgroundNewsArticle", "ReviewNewsArticle", "SocialMediaPosting", "DiscussionForumPosting", "Recipe", "HowTo"}

var webPageTypes = []string{"WebPage", "ItemPage", "AboutPage", "CollectionPage", "ProfilePage", "QAPage", "FAQPage"}

// articleInfo reads the article of the page's JSON-LD: an article object
// (Article, NewsArticle, BlogPosting …) first, a WebPage object after it.
// Each field comes from the first such object that has it. References by
// @id ({"@id": "#author"}) are followed to the object of the page's JSON-LD
// that carries that @id, as @graph documents write them.
func articleInfo(ld []any) ldArticle {
	var a ldArticle
	if len(ld) == 0 {
		return a
	}
	ids := map[string]map[string]any{}
	var articles, pages []map[string]any
	for _, v := range ld {
		ldNodes(v, func(o map[string]any) {
			// The fullest object with an @id is the one references
			// point to; the others are references themselves.
			if id, ok := o["@id"].(string); ok && len(o) > 1 {
				if prev, seen := ids[id]; !seen || len(o) > len(prev) {
					ids[id] = o
				}
			}
			switch {
			case ldType(o, articleTypes...):
				articles = append(articles, o)
			case ldType(o, webPageTypes...):
				pages = append(pages, o)
			case ldType(o, "WebSite") && a.website == "":
				a.website = collapseSpace(ldString(o["name"]))
			}
		}, 0)
	}
	resolve := func(v any) any {
		if o, ok := v.(map[string]any); ok {
			if id, ok := o["@id"].(string); ok {
				if full, ok := ids[id]; ok {
					return full
				}
			}
		}
		return v
	}
	for _, o := range append(articles, pages...) {
		if len(a.authors) == 0 {
			a.authors, a.authorURL = ldPeople(o["author"], resolve)
			if len(a.authors) == 0 {
				a.authors, a.authorURL = ldPeople(o["creator"], resolve)
			}
		}
		if a.published == "" {
			a.published = ldString(o["datePublished"])
		}
		if a.modified == "" {
			a.modified = ldString(o["dateModified"])
		}
		if a.publisher == "" {
			if names, _ := ldPeople(o["publisher"], resolve); len(names) > 0 {
				a.publisher = names[0]
			}
		}
		if a.image == "" {
			for _, k := range []string{"image", "primaryImageOfPage", "thumbnailUrl"} {
				if a.image = ldImage(o[k], resolve); a.image != "" {
					break
				}
			}
		}
	}
	return a
}

// ldImage returns the URL of a JSON-LD image value: a URL, an ImageObject
// (url or contentUrl), a reference to one, or a list of those.
func ldImage(v any, resolve func(any) any) string {
	switch x := resolve(v).(type) {
	case string:
		return strings.TrimSpace(x)
	case []any:
		for _, e := range x {
			if s := ldImage(e, resolve); s != "" {
				return s
			}
		}
	case map[string]any:
		return ldString(x, "url", "contentUrl")
	}
	return ""
}

// ldPeople returns the names of the people or organizations of a JSON-LD
// author value (a name, an object, a reference, or a list of those),
// without duplicates, and the first URL found among them. A value that is
// a URL is a URL, not a name.
func ldPeople(v any, resolve func(any) any) (names []string, href string) {
	var add func(v any, depth int)
	add = func(v any, depth int) {
		if depth > 4 {
			return
		}
		switch x := resolve(v).(type) {
		case string:
			s := strings.TrimSpace(x)
			switch {
			case s == "":
			case looksLikeURL(s):
				if href == "" {
					href = s
				}
			default:
				if n := cleanAuthor(s); n != "" && !containsFold(names, n) {
					names = append(names, n)
				}
			}
		case []any:
			for _, e := range x {
				add(e, depth+1)
			}
		case map[string]any:
			name := ldString(x["name"])
			if name == "" {
				name = strings.TrimSpace(ldString(x["givenName"]) + " " + ldString(x["familyName"]))
			}
			if name != "" {
				add(name, depth+1)
			}
			if u := ldString(x["url"]); href == "" && looksLikeURL(u) {
				href = u
			}
		}
	}
	add(v, 0)
	return names, href
}

func containsFold(list []string, s string) bool {
	for _, e := range list {
		if strings.EqualFold(e, s) {
			return true
		}
	}
	return false
}

// looksLikeURL reports whether s is a URL or a bare address
// ("facebook.com/someone") rather than a name.
func looksLikeURL(s string) bool {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, " \t\n") {
		return false
	}
	l := strings.ToLower(s)
	return strings.Contains(l, "://") || strings.HasPrefix(l, "www.") || strings.HasPrefix(l, "//") ||
		strings.Contains(l, ".") && strings.Contains(l, "/")
}

// bylinePrefixes are the words that introduce an author's name, lower-case,
// each followed by a space in the text.
var bylinePrefixes = []string{
	"written by", "words by", "story by", "posted by", "published by", "text by",
	"by", "von", "par", "por", "di", "door", "av", "af", "przez", "от",
	"by:", "author:", "authors:", "autor:", "autorin:", "auteur:", "autore:", "text:", "texto:", "texte:",
	"автор:", "авторы:", "текст:",
}

// stripBylinePrefix removes a leading "By" (or its like) and reports
// whether there was one.
func stripBylinePrefix(s string) (string, bool) {
	l := strings.ToLower(s)
	for _, pre := range bylinePrefixes {
		if strings.HasPrefix(l, pre+" ") || strings.HasSuffix(pre, ":") && strings.HasPrefix(l, pre) {
			return strings.TrimSpace(s[len(pre):]), true
		}
	}
	return s, false
}

// cleanAuthor turns the text of a byline into the author's name: the
// leading "By" goes, and so does what follows the name (a date, "| 5 min
// read", "Updated …"). It returns "" when what is left does not look like a
// name: empty, too long, a URL or an address.
func cleanAuthor(s string) string {
	s = collapseSpace(s)
	s, _ = stripBylinePrefix(s)
	for _, sep := range []string{"|", "•", "·", " — ", " – ", " - ", " on ", " updated", " Updated", " published", " Published"} {
		if i := strings.Index(s, sep); i > 0 {
			s = s[:i]
		}
	}
	cut := false
	if i := strings.IndexFunc(s, unicode.IsDigit); i >= 0 {
		s, cut = s[:i], true
	}
	trim := func(s string) string {
		return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) && r != '.' && r != ')' })
	}
	s = trim(s)
	// "Ana Lima, March 3" was cut at the day: the month goes too, when
	// a comma sets it apart or it cannot be a surname ("Theresa May").
	if f := strings.Fields(s); cut && len(f) > 1 {
		m := strings.ToLower(strings.Trim(f[len(f)-1], "."))
		if monthNames[m] && (strings.HasSuffix(f[len(f)-2], ",") || m != "may" && m != "mai") {
			s = trim(strings.Join(f[:len(f)-1], " "))
		}
	}
	if s == "" || utf8.RuneCountInString(s) > 80 || len(strings.Fields(s)) > 10 ||
		looksLikeURL(s) || strings.Contains(s, "@") || strings.IndexFunc(s, unicode.IsLetter) < 0 {
		return ""
	}
	return s
}

// monthNames are month names and their abbreviations in the languages of
// the byline prefixes, lower-case.
var monthNames = map[string]bool{}

func init() {
	for _, list := range []string{
		"january february march april may june july august september october november december jan feb mar apr jun jul aug sep sept oct nov dec",
		"januar februar märz mai juni juli oktober dezember",
		"janvier février mars avril juin juillet août septembre octobre novembre décembre",
		"enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
		"gennaio febbraio aprile maggio giugno luglio settembre ottobre dicembre",
		"januari februari maart mei augustus",
	} {
		for _, m := range strings.Fields(list) {
			monthNames[m] = true
		}
	}
}

// bylineWindow is how many elements after the headline the byline is
// looked for in.
const bylineWindow = 150

// byline finds the author's name in the page as readers see it, near the
// headline: an element marked itemprop="author", a rel="author" link, an
// element whose class or id says byline or author, or a short line that
// starts with "By". Comment sections, asides, navigation and footers are
// not looked in: the names there are other people's.
func (p *page) byline() (name, href string) {
	start := p.headlineNode()
	if start == nil {
		return "", ""
	}
	n := start
	for seen := 0; n != nil && seen < bylineWindow; {
		if n.Type != html.ElementNode {
			n = nextInOrder(n, true)
			continue
		}
		seen++
		if n != start && notBylineArea(n) {
			n = afterSubtree(n)
			continue
		}
		if name, href, ok := p.bylineAt(n); ok {
			return name, href
		}
		n = nextInOrder(n, true)
	}
	return "", ""
}

// nextInOrder returns the node after n in document order, descending into
// n when down is set.
func nextInOrder(n *html.Node, down bool) *html.Node {
	if down && n.FirstChild != nil {
		return n.FirstChild
	}
	return afterSubtree(n)
}

// headlineNode returns where the byline search starts: the header that
// holds the headline's <h1> (bylines sit above the headline as often as
// below it), else the <h1>, else the page's article or main element, else
// the body.
func (p *page) headlineNode() *html.Node {
	if p.body == nil {
		return nil
	}
	h := p.headlineH1(collapseSpace(p.headline()))
	if h == nil {
		var container *html.Node
		walk(p.body, func(n *html.Node) bool {
			if container == nil && n.Type == html.ElementNode && (n.DataAtom == atom.Article || n.DataAtom == atom.Main) {
				container = n
			}
			return container == nil
		})
		if container != nil {
			return container
		}
		return p.body
	}
	for a := h.Parent; a != nil && a != p.body; a = a.Parent {
		if a.DataAtom == atom.Header || a.DataAtom == atom.Hgroup {
			return a
		}
		if a.DataAtom == atom.Article || a.DataAtom == atom.Main {
			break
		}
	}
	return h
}

// notBylineArea reports whether n is a part of the page where names are
// not the page author's: comments, asides, navigation, footers, figures
// (photo credits) and lists of other stories.
func notBylineArea(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Nav, atom.Aside, atom.Form, atom.Figure, atom.Figcaption, atom.Blockquote,
		atom.Script, atom.Style, atom.Template, atom.Svg, atom.Noscript:
		return true
	}
	if it := strings.ToLower(attr(n, "itemtype")); strings.Contains(it, "comment") || strings.Contains(it, "review") {
		return true
	}
	if p := strings.ToLower(attr(n, "itemprop")); p == "review" || p == "reviews" {
		return true
	}
	return classWords(n, func(w string) bool {
		switch w {
		case "comment", "comments", "respond", "reply", "replies", "related", "recommended", "sidebar",
			"nav", "menu", "caption", "credit", "credits", "newsletter", "promo", "teaser", "review", "reviews":
			return true
		}
		return false
	})
}

// bylineMaxBytes bounds the text of an element read as a byline: a
// byline is a line, and reading no more keeps the search linear however
// the page nests its elements.
const bylineMaxBytes = 400

// shortText returns the text of n, spaces collapsed, and whether it holds
// at most max bytes; it stops reading past max.
func shortText(n *html.Node, max int) (string, bool) {
	var b strings.Builder
	walk(n, func(c *html.Node) bool {
		if b.Len() > max {
			return false
		}
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
		return true
	})
	if b.Len() > max {
		return "", false
	}
	return collapseSpace(b.String()), true
}

// bylineAt reads the author from n when n is a byline.
func (p *page) bylineAt(n *html.Node) (name, href string, ok bool) {
	if hasToken(strings.ToLower(attr(n, "itemprop")), "author") {
		if _, scoped := attrOK(n, "itemscope"); scoped {
			name, href = itemName(n)
		} else if n.DataAtom == atom.Meta {
			name = attr(n, "content")
		} else {
			name, href = bylineText(n)
		}
		if name = cleanAuthor(name); name != "" {
			return name, p.absAuthor(href), true
		}
	}
	if n.DataAtom == atom.A && hasToken(strings.ToLower(attr(n, "rel")), "author") {
		if name = cleanAuthor(textOf(n)); name != "" {
			return name, p.absAuthor(attr(n, "href")), true
		}
	}
	if classWords(n, func(w string) bool { return w == "byline" || w == "author" || w == "authors" || w == "byl" }) {
		if _, short := shortText(n, bylineMaxBytes); short {
			name, href = bylineText(n)
			if name = cleanAuthor(name); name != "" {
				return name, p.absAuthor(href), true
			}
		}
	}
	switch n.DataAtom {
	case atom.P, atom.Div, atom.Span, atom.Address, atom.Li, atom.Small, atom.Em, atom.Strong, atom.B, atom.I:
		if hasBlockChild(n) {
			break
		}
		t, short := shortText(n, bylineMaxBytes)
		if !short || countWords(t) > 16 {
			break
		}
		rest, had := stripBylinePrefix(t)
		if !had || rest == "" {
			break
		}
		if r, _ := utf8.DecodeRuneInString(rest); !unicode.IsUpper(r) {
			break
		}
		name, href = bylineText(n)
		if name = cleanAuthor(name); name != "" {
			return name, p.absAuthor(href), true
		}
	}
	return "", "", false
}

func (p *page) absAuthor(href string) string {
	if href == "" || hasScheme(strings.TrimSpace(href), "javascript:", "mailto:") || strings.HasPrefix(strings.TrimSpace(href), "#") {
		return ""
	}
	return p.abs(href)
}

// itemName reads the name and URL of a microdata person.
func itemName(item *html.Node) (name, href string) {
	walk(item, func(c *html.Node) bool {
		if c.Type != html.ElementNode || name != "" && href != "" {
			return name == "" || href == ""
		}
		if c != item {
			if _, scoped := attrOK(c, "itemscope"); scoped {
				return false
			}
		}
		props := strings.Fields(strings.ToLower(attr(c, "itemprop")))
		for _, pr := range props {
			switch pr {
			case "name":
				if name == "" {
					if v, ok := attrOK(c, "content"); ok {
						name = v
					} else {
						name = textOf(c)
					}
				}
			case "url":
				if href == "" {
					href = firstNonEmpty(attr(c, "href"), attr(c, "content"))
				}
			}
		}
		return true
	})
	if name == "" {
		name = textOf(item)
	}
	if href == "" && item.DataAtom == atom.A {
		href = attr(item, "href")
	}
	return name, href
}

// bylineText reads a byline element: the names of its links to the
// authors' pages when it has them ("By <a>Ana Lima</a> and <a>Ben
// Ode</a>"), else its text.
func bylineText(n *html.Node) (name, href string) {
	if n.DataAtom == atom.A {
		return spacedText(n), attr(n, "href")
	}
	var names []string
	walk(n, func(c *html.Node) bool {
		if c.Type != html.ElementNode || c.DataAtom != atom.A {
			return true
		}
		h := attr(c, "href")
		if authorLink(c, h) {
			if t := cleanAuthor(textOf(c)); t != "" && !containsFold(names, t) {
				names = append(names, t)
				if href == "" {
					href = h
				}
			}
		}
		return false
	})
	if len(names) > 0 {
		return strings.Join(names, ", "), href
	}
	return spacedText(n), ""
}

// spacedText is the text of n with a space where elements meet, so that
// "<span>Ana Lima</span><span>Reuters</span>" does not read "Ana LimaReuters".
func spacedText(n *html.Node) string {
	var b strings.Builder
	walk(n, func(c *html.Node) bool {
		switch c.Type {
		case html.TextNode:
			b.WriteString(c.Data)
		case html.ElementNode:
			b.WriteByte(' ')
		}
		return true
	})
	return collapseSpace(b.String())
}

// authorLink reports whether a, a link inside a byline, leads to an
// author's page rather than to the story's date or section.
func authorLink(a *html.Node, href string) bool {
	if hasToken(strings.ToLower(attr(a, "rel")), "author") {
		return true
	}
	if classWords(a, func(w string) bool { return w == "author" || w == "fn" || w == "name" || w == "byline" }) {
		return true
	}
	h := strings.ToLower(href)
	for _, seg := range []string{"/author", "/authors/", "/people/", "/profile", "/staff/", "/contributor", "/writers/", "/user/", "/users/", "/autor"} {
		if strings.Contains(h, seg) {
			return true
		}
	}
	return false
}
