package extract

import (
	"codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// minArticleWords is how many words readability must find for its article
// to be trusted; below it the page is probably not an article (a product, a
// listing, a short note) and the boilerplate-free body says more.
const minArticleWords = 40

// mainContent returns the main content of the page under body. It runs
// readability on the page's own tree (readability scores copies of it and
// only makes harmless changes to the original: comments, styles and
// <font> go, runs of <br> become paragraphs), cleans the article readability
// chose, and falls back to the body without its navigation, headers,
// footers and asides when readability found too little.
func (p *page) mainContent(body *html.Node) *html.Node {
	cl := newCleaner()
	if p.elements > MaxElements || body.DataAtom != atom.Body {
		cl.markThread(body)
		return cl.stripBoilerplate(body)
	}
	art := p.readabilityContent()
	if art != nil {
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

// readabilityContent runs readability on the page and returns its article
// node, classes kept for the cleaning passes, or nil.
func (p *page) readabilityContent() *html.Node {
	parser := readability.NewParser()
	parser.KeepClasses = true
	parser.DisableJSONLD = true
	art, err := parser.ParseAndMutate(p.doc, nil)
	if err != nil {
		return nil
	}
	return art.Node
}
