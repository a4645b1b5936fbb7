package extract

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
)

// decode returns the page as UTF-8 text. Valid UTF-8 is taken as is, whatever
// the page declares, because the fetcher has usually decoded it already and a
// pure-ASCII page reads the same in every ASCII-compatible charset.
func decode(body []byte) string {
	if utf8.Valid(body) {
		return string(body)
	}
	enc, _, _ := charset.DetermineEncoding(body, "text/html")
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil {
		return strings.ToValidUTF8(string(body), "\uFFFD")
	}
	return string(out)
}

// fallbackDepth is how deep the token filter lets elements nest when the
// parser refused a page for nesting too deep.
const fallbackDepth = 256

// parse builds the one tree everything else reads. Pages nested deeper than
// the parser's limit of 512 open elements are retried once with the excess
// start and end tags filtered out of the token stream.
func parse(text string) (*html.Node, error) {
	doc, err := html.Parse(strings.NewReader(text))
	if err != nil && strings.Contains(err.Error(), "open stack of elements") {
		doc, err = html.Parse(bytes.NewReader(flattenTokens(text, fallbackDepth)))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrParse, err)
	}
	trimAttrs(doc)
	return doc, nil
}

// flattenTokens re-emits the page's tokens, dropping start tags that would
// nest deeper than limit together with their end tags. The depth count is an
// approximation (implied end tags are not modelled), which is enough to bring
// a hostile page under the parser's limit.
func flattenTokens(text string, limit int) []byte {
	var out bytes.Buffer
	out.Grow(len(text))
	z := html.NewTokenizer(strings.NewReader(text))
	depth := 0
	dropped := map[string]int{}
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		raw := z.Raw()
		switch tt {
		case html.StartTagToken:
			name, _ := z.TagName()
			if isVoid(atom.Lookup(name)) {
				break
			}
			if depth >= limit {
				dropped[string(name)]++
				continue
			}
			depth++
		case html.EndTagToken:
			name, _ := z.TagName()
			if n := dropped[string(name)]; n > 0 {
				dropped[string(name)] = n - 1
				continue
			}
			if depth > 0 {
				depth--
			}
		}
		out.Write(raw)
	}
	return out.Bytes()
}

func isVoid(a atom.Atom) bool {
	switch a {
	case atom.Area, atom.Base, atom.Br, atom.Col, atom.Embed, atom.Hr, atom.Img,
		atom.Input, atom.Link, atom.Meta, atom.Source, atom.Track, atom.Wbr:
		return true
	}
	return false
}

// trimAttrs drops attribute values longer than maxAttrLen (inline data: images,
// hostile megabyte attributes): nothing SpiderGo returns needs them, and every
// later pass would otherwise carry them along.
func trimAttrs(doc *html.Node) {
	walk(doc, func(n *html.Node) bool {
		if n.Type != html.ElementNode {
			return true
		}
		for i := 0; i < len(n.Attr); i++ {
			if len(n.Attr[i].Val) > maxAttrLen {
				n.Attr = append(n.Attr[:i], n.Attr[i+1:]...)
				i--
			}
		}
		return true
	})
}

// walk visits n and its descendants in document order without recursion;
// returning false from fn skips the node's children.
func walk(n *html.Node, fn func(*html.Node) bool) {
	if n == nil {
		return
	}
	for c := n; c != nil; {
		if fn(c) && c.FirstChild != nil {
			c = c.FirstChild
			continue
		}
		for c != nil && c != n && c.NextSibling == nil {
			c = c.Parent
		}
		if c == nil || c == n {
			return
		}
		c = c.NextSibling
	}
}
