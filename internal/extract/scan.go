package extract

import (
	"io"
	"net/url"
	"strings"

	whatwg "github.com/nlnwa/whatwg-url/url"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// treeless reports whether opts ask only for what a scan of the page's
// tokens can give without building its tree: links and the raw HTML (with
// the title, description, language, canonical URL and robots directives
// that always come). That is what a crawl that only follows links asks
// for, and the tree is most of its cost. Metadata needs the tree: its
// author may come from the visible byline under the headline.
func (o Options) treeless() bool {
	if len(o.Formats) == 0 || len(o.IncludeTags) > 0 || len(o.ExcludeTags) > 0 {
		return false
	}
	for _, f := range o.Formats {
		switch f {
		case FormatLinks, FormatRawHTML:
		default:
			return false
		}
	}
	return true
}

// maxScanDepth bounds how deeply elements may nest in a page the scan
// reads. The tree path refuses pages whose open elements pass 512 and then
// reads a flattened copy; the scan leaves such pages (and pages near them)
// to the tree. The count leaves out elements that close one another
// implicitly (p, li, td …); the parser may add up to three open elements
// for each counted one (a table's implied tbody and tr), so 100 keeps far
// from the limit.
const maxScanDepth = 100

// scanPage collects what newPage collects for the treeless formats from
// the tokens of the page, without building a tree. It gives exactly what
// the tree gives — the same elements in the same order with the same
// attributes — as long as the parser would not move or drop any of them.
// Where it could, scanPage gives up and reports false, and the caller
// parses the page: foreign content (<svg>, <math>), whose attributes and
// raw text the parser reads differently; <template>, whose content the tree
// walk skips; <select> and <frameset>, where the parser drops tags; start
// tags inside a table but outside its cells, which the parser moves before
// the table ("foster parenting"); an <a> opened inside another, where the
// parser's adoption agency reorders elements; and pages nested deep enough
// to approach the parser's limit.
func scanPage(r io.Reader, pageURL *url.URL) (*page, bool) {
	p := &page{pageURL: pageURL, resolved: map[string]string{}, urlParser: whatwg.NewParser()}
	z := html.NewTokenizer(r)
	var (
		tables []atom.Atom // open table structure, innermost last
		depth  int
		// The root element's lang and xml:lang: the first <html> tag
		// carrying each gives it, later ones only add missing attributes.
		lang, xmlLang         string
		langSeen, xmlLangSeen bool
		// The current tag's attributes, as the tokenizer's slices: valid
		// until the next token, copied only when used.
		attrs [][2][]byte
		// aOpen: an <a> was opened and not closed by </a>. Another <a>
		// then makes the parser run its adoption agency, which can move
		// elements out of document order: the tree reads such pages.
		aOpen bool
	)
	readAttrs := func(hasAttr bool) {
		attrs = attrs[:0]
		for hasAttr {
			var k, v []byte
			k, v, hasAttr = z.TagAttr()
			attrs = append(attrs, [2][]byte{k, v})
		}
	}
	// get returns an attribute's value, leaving out values trimAttrs would
	// drop from the tree.
	get := func(key string) (string, bool) {
		for _, a := range attrs {
			if string(a[0]) == key {
				if len(a[1]) > maxAttrLen {
					return "", false
				}
				return string(a[1]), true
			}
		}
		return "", false
	}
	val := func(key string) string { v, _ := get(key); return v }
	// rawText returns the text of the raw text element just opened (title,
	// script), as the parser would put it in the element's text node.
	rawText := func() string {
		var b strings.Builder
		for {
			if z.Next() != html.TextToken {
				return b.String()
			}
			b.Write(z.Text())
		}
	}
	inCell := func() bool {
		if len(tables) == 0 {
			return true
		}
		switch tables[len(tables)-1] {
		case atom.Td, atom.Th, atom.Caption:
			return true
		}
		return false
	}
	// popTo pops open table structure down to the innermost element among
	// stop or the innermost table, keeping it.
	popTo := func(stop ...atom.Atom) {
		for len(tables) > 0 {
			top := tables[len(tables)-1]
			for _, s := range stop {
				if top == s {
					return
				}
			}
			if top == atom.Table {
				return
			}
			tables = tables[:len(tables)-1]
		}
	}
	// closeTable pops through the innermost open element named a, if the
	// innermost table holds one.
	closeTable := func(a atom.Atom) {
		for i := len(tables) - 1; i >= 0; i-- {
			if tables[i] == a {
				tables = tables[:i]
				return
			}
			if tables[i] == atom.Table {
				return
			}
		}
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if lang != "" && len(lang) <= maxAttrLen {
				p.htmlLang = strings.TrimSpace(lang)
			}
			if p.htmlLang == "" && len(xmlLang) <= maxAttrLen {
				p.htmlLang = strings.TrimSpace(xmlLang)
			}
			p.setBase()
			return p, true

		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if counted(a) && depth > 0 {
				depth--
			}
			if a == atom.A {
				aOpen = false
			}
			if len(tables) == 0 {
				continue
			}
			switch a {
			case atom.Td, atom.Th, atom.Tr, atom.Tbody, atom.Thead, atom.Tfoot, atom.Caption, atom.Colgroup, atom.Table:
				closeTable(a)
			}

		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			switch a {
			case atom.Svg, atom.Math, atom.Template, atom.Select, atom.Frameset:
				return nil, false
			}
			if counted(a) {
				if depth++; depth > maxScanDepth {
					return nil, false
				}
			}
			// Table structure, tracked well enough to know whether a tag
			// lands in a cell (where it stays) or in the table itself
			// (where the parser moves it out).
			if len(tables) > 0 {
				switch a {
				case atom.Caption, atom.Colgroup, atom.Col, atom.Tbody, atom.Thead, atom.Tfoot, atom.Tr, atom.Td, atom.Th:
					// A cell or caption still open is closed first.
					if isCellLike(tables[len(tables)-1]) {
						tables = tables[:len(tables)-1]
					}
					switch a {
					case atom.Caption, atom.Colgroup, atom.Tbody, atom.Thead, atom.Tfoot:
						popTo()
						tables = append(tables, a)
					case atom.Col:
						popTo(atom.Colgroup)
						if tables[len(tables)-1] != atom.Colgroup {
							tables = append(tables, atom.Colgroup)
						}
					case atom.Tr:
						popTo(atom.Tbody, atom.Thead, atom.Tfoot)
						if tables[len(tables)-1] == atom.Table {
							tables = append(tables, atom.Tbody)
						}
						tables = append(tables, atom.Tr)
					case atom.Td, atom.Th:
						popTo(atom.Tr, atom.Tbody, atom.Thead, atom.Tfoot)
						switch tables[len(tables)-1] {
						case atom.Table:
							tables = append(tables, atom.Tbody, atom.Tr)
						case atom.Tbody, atom.Thead, atom.Tfoot:
							tables = append(tables, atom.Tr)
						}
						tables = append(tables, a)
					}
					continue
				case atom.Table:
					if !inCell() {
						return nil, false
					}
					tables = append(tables, atom.Table)
					continue
				case atom.Script, atom.Style, atom.Form:
				default:
					if !inCell() {
						return nil, false
					}
				}
			} else if a == atom.Table {
				tables = append(tables, atom.Table)
				continue
			}
			switch a {
			case atom.Html:
				readAttrs(hasAttr)
				for _, at := range attrs {
					switch {
					case string(at[0]) == "lang" && !langSeen:
						lang, langSeen = string(at[1]), true
					case string(at[0]) == "xml:lang" && !xmlLangSeen:
						xmlLang, xmlLangSeen = string(at[1]), true
					}
				}
			case atom.Title:
				t := rawText()
				if p.title == "" {
					p.title = collapseSpace(t)
				}
				if depth > 0 {
					depth-- // its end tag was read with the text
				}
			case atom.Script:
				readAttrs(hasAttr)
				ld := isJSONLDType(val("type"))
				t := rawText()
				if ld {
					p.jsonLD = append(p.jsonLD, t)
				}
				if depth > 0 {
					depth--
				}
			case atom.Base:
				readAttrs(hasAttr)
				if p.baseHref == "" {
					p.baseHref = strings.TrimSpace(val("href"))
				}
			case atom.Meta:
				readAttrs(hasAttr)
				content, ok := get("content")
				if !ok {
					break
				}
				key := val("property")
				if key == "" {
					key = val("name")
				}
				if key == "" {
					if he := val("http-equiv"); he != "" {
						key = "http-equiv:" + he
					}
				}
				if key == "" {
					if ip := val("itemprop"); ip != "" {
						key = "itemprop:" + ip
					}
				}
				if key = strings.ToLower(strings.TrimSpace(key)); key != "" {
					p.metas = append(p.metas, metaTag{key, strings.TrimSpace(content)})
				}
			case atom.Link:
				readAttrs(hasAttr)
				p.heads = append(p.heads, linkTag{
					rel:   strings.ToLower(strings.TrimSpace(val("rel"))),
					href:  strings.TrimSpace(val("href")),
					sizes: val("sizes"),
				})
			case atom.A, atom.Area:
				if a == atom.A {
					if aOpen {
						return nil, false
					}
					aOpen = true
				}
				readAttrs(hasAttr)
				if href, ok := get("href"); ok {
					p.anchors = append(p.anchors, anchor{href, val("rel")})
				}
			}
		}
	}
}

func isCellLike(a atom.Atom) bool { return a == atom.Td || a == atom.Th || a == atom.Caption }

// counted reports whether an element counts towards the scan's nesting
// depth: every element but the void ones and those that close one another
// implicitly.
func counted(a atom.Atom) bool {
	switch a {
	case atom.Area, atom.Base, atom.Br, atom.Col, atom.Embed, atom.Hr, atom.Img, atom.Input, atom.Keygen,
		atom.Link, atom.Meta, atom.Param, atom.Source, atom.Track, atom.Wbr,
		atom.P, atom.Li, atom.Dt, atom.Dd, atom.Option, atom.Optgroup, atom.Tr, atom.Td, atom.Th,
		atom.Tbody, atom.Thead, atom.Tfoot, atom.Colgroup, atom.Caption, atom.Rb, atom.Rp, atom.Rt, atom.Rtc:
		return false
	}
	return true
}
