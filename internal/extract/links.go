package extract

import (
	"net/url"

	"golang.org/x/net/html"
)

// SplitLinks resolves the links of a document that is not HTML (a PDF's
// link annotations, a Word document's hyperlinks) against its URL, and
// splits them into internal and external as Extract splits a page's.
func SplitLinks(pageURL *url.URL, hrefs []string, subdomainsInternal bool) Links {
	p := newPage(&html.Node{Type: html.DocumentNode}, pageURL)
	for _, h := range hrefs {
		p.anchors = append(p.anchors, anchor{href: h})
	}
	l := p.links(subdomainsInternal)
	l.Nofollow = nil
	return l
}
