package extract

import (
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
	art := cl.scoreArticle(body)
	if art != nil {
		cl.dropTitleHeading(art, p.headline(), p.title)
		cl.dropClutter(art)
		cl.markThread(art)
		cl.cleanArticle(art)
		if cl.stats(art).words >= minArticleWords {
			return art
		}
	}
	cl.markThread(body)
	fb := cl.stripBoilerplate(body)
	cl.cleanArticle(fb)
	if art != nil && cl.stats(fb).words <= 2*cl.stats(art).words {
		return art
	}
	return fb
}
