package document

import (
	"context"
	"strconv"
	"strings"
)

// docx is what reading a Word document needs beside its body: style
// names, list formats and hyperlink targets.
type docx struct {
	styles  map[string]string // style id → lower-cased name ("heading 1")
	ordered map[string]bool   // "numId/ilvl" → numbered rather than bulleted
	rels    map[string]string // relationship id → external target
	links   linkSet
	blocks  []block
}

// convertDOCX reads an Office Open XML word-processing document.
func (c *Converter) convertDOCX(ctx context.Context, data []byte) (*Result, error) {
	a, err := openArchive(data, c.cfg.MaxUnpacked)
	if err != nil {
		return nil, err
	}
	root, err := a.parse(ctx, "word/document.xml")
	if err != nil {
		return nil, err
	}
	if root == nil {
		return nil, newErr(KindInvalid, "no word/document.xml: not a Word document")
	}
	d := &docx{styles: map[string]string{}, ordered: map[string]bool{}, rels: map[string]string{}}
	if err := d.readParts(ctx, a); err != nil {
		return nil, err
	}
	b := root.find("body")
	if b == nil {
		return nil, newErr(KindInvalid, "word/document.xml has no body")
	}
	d.container(b, 0)
	return a.result(ctx, "docProps/core.xml", d.blocks, d.links)
}

// readParts reads styles, numbering and relationships; each is optional.
func (d *docx) readParts(ctx context.Context, a *archive) error {
	if st, err := a.parse(ctx, "word/styles.xml"); err != nil {
		return err
	} else if st != nil {
		for _, s := range st.find("styles").kidsNamed("style") {
			if n := s.child("name"); n != nil {
				d.styles[s.attr("styleId")] = strings.ToLower(n.attr("val"))
			}
		}
	}
	if num, err := a.parse(ctx, "word/numbering.xml"); err != nil {
		return err
	} else if num != nil {
		abs := map[string]map[string]bool{} // abstractNumId → ilvl → numbered
		root := num.find("numbering")
		for _, an := range root.kidsNamed("abstractNum") {
			lv := map[string]bool{}
			for _, l := range an.kidsNamed("lvl") {
				if f := l.child("numFmt"); f != nil {
					v := f.attr("val")
					lv[l.attr("ilvl")] = v != "bullet" && v != "none" && v != ""
				}
			}
			abs[an.attr("abstractNumId")] = lv
		}
		for _, n := range root.kidsNamed("num") {
			if an := n.child("abstractNumId"); an != nil {
				for ilvl, numbered := range abs[an.attr("val")] {
					d.ordered[n.attr("numId")+"/"+ilvl] = numbered
				}
			}
		}
	}
	if rels, err := a.parse(ctx, "word/_rels/document.xml.rels"); err != nil {
		return err
	} else if rels != nil {
		for _, r := range rels.find("Relationships").kidsNamed("Relationship") {
			if strings.HasSuffix(r.attr("Type"), "/hyperlink") {
				d.rels[r.attr("Id")] = r.attr("Target")
			}
		}
	}
	return nil
}

func (n *node) kidsNamed(name string) []*node {
	if n == nil {
		return nil
	}
	var out []*node
	for _, k := range n.kids {
		if k.name == name {
			out = append(out, k)
		}
	}
	return out
}

// container reads the block content of the body, a table cell, a content
// control or a text box.
func (d *docx) container(n *node, depth int) {
	for _, k := range n.kids {
		switch k.name {
		case "p":
			d.paragraph(k)
		case "tbl":
			if depth > 0 {
				// A table inside a table cell is flattened to paragraphs.
				for _, tr := range k.kidsNamed("tr") {
					for _, tc := range tr.kidsNamed("tc") {
						d.container(tc, depth+1)
					}
				}
				continue
			}
			d.table(k)
		case "sdt":
			if c := k.child("sdtContent"); c != nil {
				d.container(c, depth)
			}
		case "customXml", "ins", "smartTag":
			d.container(k, depth)
		}
	}
}

func (d *docx) table(t *node) {
	var rows [][]cell
	for _, tr := range t.kidsNamed("tr") {
		var row []cell
		for _, tc := range tr.kidsNamed("tc") {
			var mds, texts []string
			for _, p := range tc.kidsNamed("p") {
				md, text := inline(d.runs(p, nil))
				if text != "" {
					mds, texts = append(mds, md), append(texts, text)
				}
			}
			row = append(row, cell{md: strings.Join(mds, "<br>"), text: strings.Join(texts, " ")})
		}
		if len(row) > 0 {
			rows = append(rows, row)
		}
	}
	if len(rows) > 0 {
		d.blocks = append(d.blocks, block{kind: bTable, rows: rows})
	}
}

func (d *docx) paragraph(p *node) {
	spans := d.runs(p, nil)
	md, text := inline(spans)
	if text == "" {
		return
	}
	b := block{kind: bPara, md: escapeLead(md), text: text}
	if pr := p.child("pPr"); pr != nil {
		style := ""
		if ps := pr.child("pStyle"); ps != nil {
			style = ps.attr("val")
		}
		if lv := headingLevel(style, d.styles[style]); lv > 0 {
			b = block{kind: bHeading, level: lv, md: md, text: text}
		} else if np := pr.child("numPr"); np != nil {
			ilvl, numID := "0", ""
			if x := np.child("ilvl"); x != nil {
				ilvl = x.attr("val")
			}
			if x := np.child("numId"); x != nil {
				numID = x.attr("val")
			}
			if numID != "0" {
				depth, _ := strconv.Atoi(ilvl)
				b = block{kind: bItem, level: min(max(depth, 0), 8), ordered: d.ordered[numID+"/"+ilvl], md: md, text: text}
			}
		}
	}
	d.blocks = append(d.blocks, b)
}

// headingLevel reads a paragraph style: "Title" is level 1, "Heading N"
// level N (by id or by name, for documents in other languages whose ids
// differ).
func headingLevel(id, name string) int {
	for _, s := range []string{strings.ToLower(id), name} {
		s = strings.ReplaceAll(s, " ", "")
		if s == "title" {
			return 1
		}
		if rest, ok := strings.CutPrefix(s, "heading"); ok {
			if n, err := strconv.Atoi(rest); err == nil && n >= 1 {
				return min(n, 6)
			}
		}
	}
	return 0
}

// runs collects a paragraph's text runs, following hyperlinks, fields and
// revisions; deleted text and field instructions are left out.
func (d *docx) runs(n *node, out []span) []span {
	return d.runsIn(n, "", out)
}

func (d *docx) runsIn(n *node, link string, out []span) []span {
	for _, k := range n.kids {
		switch k.name {
		case "r":
			bold, italic := false, false
			if pr := k.child("rPr"); pr != nil {
				bold = on(pr.child("b"))
				italic = on(pr.child("i"))
			}
			var b strings.Builder
			for _, x := range k.kids {
				switch x.name {
				case "t":
					b.WriteString(x.textContent())
				case "tab":
					b.WriteString(" ")
				case "br", "cr":
					b.WriteString(" ")
				case "noBreakHyphen":
					b.WriteString("-")
				}
			}
			if b.Len() > 0 {
				out = append(out, span{text: b.String(), bold: bold, italic: italic, link: link})
			}
		case "hyperlink":
			target := link
			if id := k.attr("r:id"); id != "" {
				if t := d.rels[id]; t != "" {
					target = t
					d.links.add(t)
				}
			}
			out = d.runsIn(k, target, out)
		case "ins", "smartTag", "fldSimple", "customXml":
			out = d.runsIn(k, link, out)
		case "sdt":
			if c := k.child("sdtContent"); c != nil {
				out = d.runsIn(c, link, out)
			}
		}
	}
	return out
}

// on reads a toggle property (<w:b/>, <w:b w:val="false"/>).
func on(n *node) bool {
	if n == nil {
		return false
	}
	switch n.attr("val") {
	case "0", "false", "off", "none":
		return false
	}
	return true
}

// readCore reads Dublin Core properties (docProps/core.xml, meta.xml):
// title, creator as author, subject, keywords, description, dates.
func readCore(ctx context.Context, a *archive, name string, md map[string]string) error {
	root, err := a.parse(ctx, name)
	if err != nil {
		if KindOf(err) == KindInvalid {
			return nil // broken properties do not spoil the text
		}
		return err
	}
	if root == nil {
		return nil
	}
	var walk func(*node)
	walk = func(n *node) {
		for _, k := range n.kids {
			v := collapse(k.textContent())
			if v != "" {
				switch k.name {
				case "title":
					md["title"] = v
				case "creator", "initial-creator":
					if md["author"] == "" || k.name == "initial-creator" {
						md["author"] = v
					}
				case "subject":
					md["subject"] = v
				case "keywords", "keyword":
					if md["keywords"] != "" && k.name == "keyword" {
						md["keywords"] += ", " + v
					} else {
						md["keywords"] = v
					}
				case "description":
					md["description"] = v
				case "created", "creation-date":
					md["created"] = v
				case "modified", "date":
					md["modified"] = v
				case "generator", "Application":
					md["creator"] = v
				}
			}
			if len(k.kids) > 0 && k.kids[0].name != "" {
				walk(k)
			}
		}
	}
	walk(root)
	return nil
}

// escapeLead escapes a block marker ("#", "- ", "1. ") at the start of
// Markdown that already has its inline characters escaped.
func escapeLead(md string) string {
	switch {
	case strings.HasPrefix(md, "#"), strings.HasPrefix(md, "+ "), strings.HasPrefix(md, "- "),
		strings.HasPrefix(md, "="), md == "-", strings.HasPrefix(md, "---"):
		return `\` + md
	}
	i := 0
	for i < len(md) && md[i] >= '0' && md[i] <= '9' {
		i++
	}
	if i > 0 && i < len(md) && (md[i] == '.' || md[i] == ')') {
		return md[:i] + `\` + md[i:]
	}
	return md
}
