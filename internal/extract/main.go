package extract

import (
	"codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// mainContent returns the main content of the page under body.
func (p *page) mainContent(body *html.Node) *html.Node {
	if p.elements > MaxElements {
		return body
	}
	art := p.readabilityContent(body)
	if art == nil {
		return body
	}
	cleanArticle(art)
	return art
}

// cloneTree deep-copies n without recursion.
func cloneTree(n *html.Node) *html.Node {
	cp := func(s *html.Node) *html.Node {
		c := &html.Node{Type: s.Type, DataAtom: s.DataAtom, Data: s.Data, Namespace: s.Namespace}
		if len(s.Attr) > 0 {
			c.Attr = append([]html.Attribute(nil), s.Attr...)
		}
		return c
	}
	out := cp(n)
	src, dst := n, out
	for {
		if src.FirstChild != nil {
			src = src.FirstChild
			c := cp(src)
			dst.AppendChild(c)
			dst = c
			continue
		}
		for src != n && src.NextSibling == nil {
			src, dst = src.Parent, dst.Parent
		}
		if src == n {
			return out
		}
		src = src.NextSibling
		c := cp(src)
		dst.Parent.AppendChild(c)
		dst = c
	}
}

// readabilityContent runs readability on a copy of body and returns its
// article node, classes kept, or nil.
func (p *page) readabilityContent(body *html.Node) *html.Node {
	doc := &html.Node{Type: html.DocumentNode}
	root := &html.Node{Type: html.ElementNode, Data: "html", DataAtom: atom.Html}
	head := &html.Node{Type: html.ElementNode, Data: "head", DataAtom: atom.Head}
	if p.title != "" {
		t := &html.Node{Type: html.ElementNode, Data: "title", DataAtom: atom.Title}
		t.AppendChild(&html.Node{Type: html.TextNode, Data: p.title})
		head.AppendChild(t)
	}
	doc.AppendChild(root)
	root.AppendChild(head)
	root.AppendChild(cloneTree(body))

	parser := readability.NewParser()
	parser.KeepClasses = true
	parser.DisableJSONLD = true
	art, err := parser.ParseAndMutate(doc, nil)
	if err != nil {
		return nil
	}
	return art.Node
}
