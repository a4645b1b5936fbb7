package extract

import (
	"bytes"
	"strings"

	"codeberg.org/readeck/go-readability/v2/render"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// toText renders the text as a browser's innerText would: blocks on their
// own lines, a blank line between paragraphs.
func toText(n *html.Node) string {
	return tidyLines(render.InnerText(n))
}

// tidyLines drops the spaces at the ends of lines and keeps at most one
// blank line between lines, in one pass.
func tidyLines(t string) string {
	var b strings.Builder
	b.Grow(len(t))
	blank := 0
	for rest, more := t, true; more; {
		var line string
		line, rest, more = strings.Cut(rest, "\n")
		line = strings.TrimRight(line, " \t\u00a0")
		if line == "" {
			blank++
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n\n"[:min(blank+1, 2)])
		}
		blank = 0
		b.WriteString(line)
	}
	return strings.TrimSpace(b.String())
}

func toHTML(n *html.Node) string {
	var b bytes.Buffer
	if n.Type == html.DocumentNode || n.DataAtom == atom.Body {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			_ = html.Render(&b, c)
		}
	} else {
		_ = html.Render(&b, n)
	}
	return strings.TrimSpace(b.String())
}

// keptAttrs are the attributes the cleaned HTML keeps; everything else
// (classes, ids, styles, event handlers, data-*) is presentation or script.
var keptAttrs = map[string]bool{
	"href": true, "src": true, "srcset": true, "alt": true, "title": true,
	"colspan": true, "rowspan": true, "datetime": true, "cite": true, "lang": true,
	"start": true, "type": true, "width": true, "height": true, "poster": true,
}

// tidy prepares the chosen content for output: elements get their atom,
// code languages become
// language-x classes, lazy images get their real source, in-page and
// script links lose their href (keeping their text), empty links and
// images without a source go, and presentational attributes are dropped.
func tidy(root *html.Node) {
	var drop, unwrap []*html.Node
	walk(root, func(n *html.Node) bool {
		if n.Type != html.ElementNode {
			return true
		}
		if n.DataAtom == 0 {
			// Elements built without an atom carry only their name.
			n.DataAtom = atom.Lookup([]byte(n.Data))
		}
		lang := attr(n, "data-lang")
		if n.DataAtom == atom.Img {
			if attr(n, "src") == "" || strings.HasPrefix(attr(n, "src"), "data:") {
				for _, k := range []string{"data-src", "data-lazy-src", "data-original"} {
					if v := attr(n, k); v != "" {
						setAttr(n, "src", v)
						break
					}
				}
			}
			if v := attr(n, "data-srcset"); v != "" && attr(n, "srcset") == "" {
				setAttr(n, "srcset", v)
			}
		}
		kept := n.Attr[:0]
		for _, a := range n.Attr {
			if keptAttrs[a.Key] {
				kept = append(kept, a)
			}
		}
		n.Attr = kept
		switch n.DataAtom {
		case atom.Pre:
			if lang != "" {
				n.Attr = append(n.Attr, html.Attribute{Key: "class", Val: "language-" + lang})
			}
		case atom.Img:
			if !imageSource(attr(n, "src")) {
				drop = append(drop, n)
			}
		}
		return true
	})
	for _, n := range drop {
		n.Parent.RemoveChild(n)
	}
	// Links are judged once the unusable images are gone, so that a link
	// around a placeholder image counts as empty.
	drop = drop[:0]
	walk(root, func(n *html.Node) bool {
		if n.Type != html.ElementNode || n.DataAtom != atom.A {
			return true
		}
		href := strings.TrimSpace(attr(n, "href"))
		if href == "" || href[0] == '#' || hasScheme(href, "javascript:") {
			removeAttr(n, "href")
		}
		if !hasContent(n) {
			drop = append(drop, n)
			return false
		}
		if attr(n, "href") == "" {
			unwrap = append(unwrap, n)
		}
		return true
	})
	for _, n := range drop {
		n.Parent.RemoveChild(n)
	}
	for _, n := range unwrap {
		unwrapNode(n)
	}
}

// imageSource reports whether src can be shown as an image: an http(s) URL,
// or a relative one when the page URL was unknown.
func imageSource(src string) bool {
	src = strings.TrimSpace(src)
	if src == "" {
		return false
	}
	if hasScheme(src, "http:", "https:") {
		return true
	}
	// A relative reference has no scheme: no ':' before the first '/', '?' or '#'.
	for i := 0; i < len(src); i++ {
		switch src[i] {
		case '/', '?', '#':
			return true
		case ':':
			return false
		}
	}
	return true
}

// hasContent reports whether n holds text or an image, the things a
// link can show.
func hasContent(n *html.Node) bool {
	found := false
	walk(n, func(c *html.Node) bool {
		if found {
			return false
		}
		switch {
		case c.Type == html.TextNode && strings.TrimSpace(c.Data) != "":
			found = true
		case c.Type == html.ElementNode && c.DataAtom == atom.Img:
			found = true
		}
		return !found
	})
	return found
}

// unwrapNode replaces n with its children.
func unwrapNode(n *html.Node) {
	parent := n.Parent
	if parent == nil {
		return
	}
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		n.RemoveChild(c)
		parent.InsertBefore(c, n)
		c = next
	}
	parent.RemoveChild(n)
}
