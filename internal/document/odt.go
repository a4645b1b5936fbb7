package document

import (
	"context"
	"strings"
)

// odt is what reading an OpenDocument text needs beside its body: which
// automatic styles are bold or italic, and which list styles number.
type odt struct {
	bold, italic map[string]bool
	numbered     map[string]bool // list style name → numbered
	links        linkSet
	blocks       []block
}

// convertODT reads an OpenDocument text (content.xml and meta.xml).
func (c *Converter) convertODT(ctx context.Context, data []byte) (*Result, error) {
	a, err := openArchive(data, c.cfg.MaxUnpacked)
	if err != nil {
		return nil, err
	}
	root, err := a.parse(ctx, "content.xml")
	if err != nil {
		return nil, err
	}
	if root == nil {
		return nil, newErr(KindInvalid, "no content.xml: not an OpenDocument file")
	}
	o := &odt{bold: map[string]bool{}, italic: map[string]bool{}, numbered: map[string]bool{}}
	if st := root.find("automatic-styles"); st != nil {
		for _, s := range st.kids {
			switch s.name {
			case "style":
				if tp := s.child("text-properties"); tp != nil {
					o.bold[s.attr("name")] = tp.attr("font-weight") == "bold" || tp.attr("font-weight") >= "600" && len(tp.attr("font-weight")) == 3
					o.italic[s.attr("name")] = tp.attr("font-style") == "italic" || tp.attr("font-style") == "oblique"
				}
			case "list-style":
				if len(s.kids) > 0 {
					for _, l := range s.kids {
						if l.name != "" {
							o.numbered[s.attr("name")] = l.name == "list-level-style-number"
							break
						}
					}
				}
			}
		}
	}
	var text *node
	if body := root.find("body"); body != nil {
		text = body.child("text")
	}
	if text == nil {
		return nil, newErr(KindInvalid, "content.xml has no text body")
	}
	o.container(text, 0, false)
	return a.result(ctx, "meta.xml", o.blocks, o.links)
}

func (o *odt) container(n *node, depth int, inTable bool) {
	for _, k := range n.kids {
		switch k.name {
		case "h":
			md, text := inline(o.spans(k, span{}, nil))
			if text != "" {
				lv := 1
				if v := k.attr("outline-level"); len(v) == 1 && v[0] >= '1' && v[0] <= '9' {
					lv = min(int(v[0]-'0'), 6)
				}
				o.blocks = append(o.blocks, block{kind: bHeading, level: lv, md: md, text: text})
			}
		case "p":
			md, text := inline(o.spans(k, span{}, nil))
			if text != "" {
				b := block{kind: bPara, md: escapeLead(md), text: text}
				if k.attr("style-name") == "Title" {
					b = block{kind: bHeading, level: 1, md: md, text: text}
				}
				o.blocks = append(o.blocks, b)
			}
		case "list":
			o.list(k, 0, o.numbered[k.attr("style-name")])
		case "table":
			if inTable {
				for _, r := range rowsOf(k) {
					for _, c := range r.kidsNamed("table-cell") {
						o.container(c, depth+1, true)
					}
				}
				continue
			}
			o.table(k)
		case "section", "index-body", "table-of-content", "alphabetical-index":
			o.container(k, depth+1, inTable)
		}
	}
}

func (o *odt) list(l *node, depth int, numbered bool) {
	if s := l.attr("style-name"); s != "" {
		if v, ok := o.numbered[s]; ok {
			numbered = v
		}
	}
	for _, it := range l.kids {
		if it.name != "list-item" && it.name != "list-header" {
			continue
		}
		for _, k := range it.kids {
			switch k.name {
			case "p", "h":
				md, text := inline(o.spans(k, span{}, nil))
				if text != "" {
					o.blocks = append(o.blocks, block{kind: bItem, level: min(depth, 8), ordered: numbered, md: md, text: text})
				}
			case "list":
				o.list(k, depth+1, numbered)
			}
		}
	}
}

func rowsOf(t *node) []*node {
	var rows []*node
	for _, k := range t.kids {
		switch k.name {
		case "table-row":
			rows = append(rows, k)
		case "table-header-rows", "table-rows", "table-row-group":
			rows = append(rows, rowsOf(k)...)
		}
	}
	return rows
}

func (o *odt) table(t *node) {
	var rows [][]cell
	for _, r := range rowsOf(t) {
		var row []cell
		for _, c := range r.kids {
			if c.name != "table-cell" {
				continue
			}
			var mds, texts []string
			for _, p := range c.kids {
				if p.name == "p" || p.name == "h" {
					md, text := inline(o.spans(p, span{}, nil))
					if text != "" {
						mds, texts = append(mds, md), append(texts, text)
					}
				}
			}
			row = append(row, cell{md: strings.Join(mds, "<br>"), text: strings.Join(texts, " ")})
		}
		if len(row) > 0 {
			rows = append(rows, row)
		}
	}
	if len(rows) > 0 {
		o.blocks = append(o.blocks, block{kind: bTable, rows: rows})
	}
}

// spans collects the inline text of a paragraph; cur is the formatting
// inherited from enclosing spans and links.
func (o *odt) spans(n *node, cur span, out []span) []span {
	for _, k := range n.kids {
		switch k.name {
		case "":
			out = append(out, span{text: collapseKeep(k.text), bold: cur.bold, italic: cur.italic, link: cur.link})
		case "span":
			s := cur
			name := k.attr("style-name")
			s.bold = s.bold || o.bold[name]
			s.italic = s.italic || o.italic[name]
			out = o.spans(k, s, out)
		case "a":
			s := cur
			if href := k.attr("href"); href != "" {
				s.link = href
				o.links.add(href)
			}
			out = o.spans(k, s, out)
		case "s", "tab", "line-break":
			out = append(out, span{text: " ", bold: cur.bold, italic: cur.italic, link: cur.link})
		case "note", "annotation":
			// Footnotes and comments are not part of the running text.
		default:
			out = o.spans(k, cur, out)
		}
	}
	return out
}

// collapseKeep folds white space like collapse but keeps a space at
// either end, where it separates the text from its neighbours.
func collapseKeep(s string) string {
	c := collapse(s)
	if c == "" {
		if s != "" {
			return " "
		}
		return ""
	}
	if strings.IndexFunc(s[:1], isSpace) == 0 {
		c = " " + c
	}
	if strings.IndexFunc(s[len(s)-1:], isSpace) == 0 {
		c += " "
	}
	return c
}

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }
