package extract

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// minArticleWords is how many words the scored article must hold for its article
// to be trusted; below it the page is probably not an article (a product, a
// listing, a short note) and the boilerplate-free body says more.
const minArticleWords = 40

// mainContent returns the main content of the page under body. It scores
// the page's own tree for its article container (see score.go), removes
// its title heading and link clutter, cleans it, and
// falls back to the body without its navigation, headers, footers and
// asides when the article is too small.
func (p *page) mainContent(body *html.Node) *html.Node {
	cl := newCleaner()
	cl.notStory = !p.story()
	cl.blogPost = p.blogPost()
	cl.dropAboveMasthead(body)
	if p.elements > MaxElements || body.DataAtom != atom.Body {
		cl.markThread(body)
		return cl.stripBoilerplate(body)
	}
	// Every node of the page gets its statistics measured once: size the
	// memo for them up front rather than growing it as the walk goes. The
	// passes below change the tree through the cleaner, which keeps the
	// memo true.
	cl.memo = make(map[*html.Node]textStats, 2*p.elements)
	cl.markThread(body)
	var h1 *html.Node
	if cl.notStory {
		h1 = p.headlineH1(collapseSpace(p.headline()))
	}
	art := cl.scoreArticle(body)
	if art != nil {
		cl.dropTitleHeading(art, p.headline(), p.title)
		cl.dropClutter(art)
		cl.markThread(art)
		cl.cleanArticle(art)
		if cl.stats(art).words >= minArticleWords {
			return cl.withHeadlineFacts(art, h1)
		}
	}
	cl.markThread(body)
	fb := cl.stripBoilerplate(body)
	cl.cleanArticle(fb)
	if art != nil && cl.stats(fb).words <= 2*cl.stats(art).words {
		return cl.withHeadlineFacts(art, h1)
	}
	return fb
}

// withHeadlineFacts puts at the start of content the short facts that
// follow the page's headline h1 outside it, or stand right above it: a
// job's place and hours, an event's date, a policy's date, left above the
// content in the page's header. h1 is nil on story pages, whose lines
// there are datelines and bylines.
func (cl *cleaner) withHeadlineFacts(content, h1 *html.Node) *html.Node {
	if h1 == nil || h1.Parent == nil || contains(content, h1) {
		return content
	}
	have := toText(content)
	var facts []*html.Node
	if n := prevElement(h1); n != nil && n.Parent == h1.Parent && !isChrome(n) {
		// A kicker above the headline: an exhibition's dates.
		t := collapseSpace(toText(n))
		if s := cl.stats(n); s.words > 0 && s.words <= 20 && s.linked == 0 && !cl.hasBoilerHint(n) && factLine(t) && !strings.Contains(have, t) {
			facts = append(facts, cloneTree(n))
		}
	}
	for n, seen := nextElement(h1), 0; n != nil && seen < 3; n, seen = nextElement(n), seen+1 {
		if isHeading(n) || isChrome(n) {
			break
		}
		t := collapseSpace(toText(n))
		s := cl.stats(n)
		if s.words == 0 {
			continue
		}
		if strings.Contains(have, t) {
			// The content begins here.
			break
		}
		if s.words > 20 || s.linked > 0 || cl.hasBoilerHint(n) || !factLine(t) {
			break
		}
		facts = append(facts, cloneTree(n))
	}
	first := content.FirstChild
	for _, f := range facts {
		content.InsertBefore(f, first)
	}
	return content
}

// story reports whether the page presents itself as an article, a blog post
// or a news story: by its OpenGraph type, its article:* tags, or the type
// of its JSON-LD, a date in its URL's path, or a byline under its headline.
func (p *page) story() bool {
	if p.storyKnown == 0 {
		p.storyKnown = 2
		if p.storySignals() {
			p.storyKnown = 1
		}
	}
	return p.storyKnown == 1
}

func (p *page) storySignals() bool {
	if strings.EqualFold(p.meta("og:type"), "article") || p.meta("article:published_time", "article:author", "article:section") != "" {
		return true
	}
	for _, ld := range p.jsonLD {
		for _, t := range storyTypes {
			if strings.Contains(ld, t) {
				return true
			}
		}
	}
	if p.pageURL != nil && datedPath(p.pageURL.Path) {
		return true
	}
	name, _ := p.byline()
	return name != ""
}

// datedPath reports whether a URL path carries a publication date, as news
// sites and blogs write them: /2026/03/, /2026/03/14/, /2026-03-14/.
func datedPath(path string) bool {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if !year(s) {
			continue
		}
		if i+1 < len(segs) && len(segs[i+1]) == 2 && number(segs[i+1]) {
			return true
		}
	}
	for _, s := range segs {
		if len(s) >= 10 && year(s[:4]) && s[4] == '-' && number(s[5:7]) && s[7] == '-' && number(s[8:10]) {
			return true
		}
	}
	return false
}

func number(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

func year(s string) bool {
	return len(s) == 4 && number(s) && (s[:2] == "19" || s[:2] == "20")
}

// blogPost reports whether the page's JSON-LD calls it a blog post.
func (p *page) blogPost() bool {
	for _, ld := range p.jsonLD {
		if strings.Contains(ld, `BlogPosting"`) {
			return true
		}
	}
	return false
}

// storyTypes are the schema.org types of stories, as JSON-LD writes them.
var storyTypes = []string{`Article"`, `BlogPosting"`, `"Report"`, `"LiveBlogPosting"`, `"Review"`}
