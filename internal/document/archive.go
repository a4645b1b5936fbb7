package document

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// archive is a DOCX or ODT file: a zip read under caps on entries and on
// the bytes unpacked, whatever sizes the entries declare.
type archive struct {
	files map[string]*zip.File
	left  int64 // bytes that may still be unpacked
}

func openArchive(data []byte, maxUnpacked int64) (*archive, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, &Error{Kind: KindInvalid, Err: err}
	}
	if len(zr.File) > maxEntries {
		return nil, newErr(KindTooLarge, "%d entries, more than %d", len(zr.File), maxEntries)
	}
	a := &archive{files: make(map[string]*zip.File, len(zr.File)), left: maxUnpacked}
	for _, f := range zr.File {
		a.files[strings.TrimPrefix(f.Name, "/")] = f
	}
	return a, nil
}

// parse unpacks and parses one XML entry; a missing entry is nil without
// error.
func (a *archive) parse(ctx context.Context, name string) (*node, error) {
	data, err := a.read(name)
	if err != nil || data == nil {
		return nil, err
	}
	return parseXML(ctx, data)
}

// result assembles what an office document gives: its blocks as Markdown
// and text, the Dublin Core properties of the entry meta, the title from
// them or else the first heading, and the links.
func (a *archive) result(ctx context.Context, meta string, blocks []block, links linkSet) (*Result, error) {
	if !hasText(blocks) {
		return nil, newErr(KindNoText, "the document holds no text")
	}
	res := &Result{Metadata: map[string]string{}}
	if err := readCore(ctx, a, meta, res.Metadata); err != nil {
		return nil, err
	}
	res.Markdown, res.Text = render(blocks)
	res.Title = res.Metadata["title"]
	if res.Title == "" {
		res.Title = firstHeading(blocks)
	}
	res.Links = links.list
	return res, nil
}

// read unpacks one entry; a missing entry is nil without error.
func (a *archive) read(name string) ([]byte, error) {
	f := a.files[name]
	if f == nil {
		return nil, nil
	}
	if f.UncompressedSize64 > uint64(a.left) {
		return nil, newErr(KindTooLarge, "%s declares %d bytes, more than the %d left to unpack", name, f.UncompressedSize64, a.left)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, &Error{Kind: KindInvalid, Err: fmt.Errorf("%s: %w", name, err)}
	}
	defer rc.Close()
	// The declared size may lie: read at most what is left, plus one byte
	// to tell.
	data, err := io.ReadAll(io.LimitReader(rc, a.left+1))
	if err != nil {
		return nil, &Error{Kind: KindInvalid, Err: fmt.Errorf("%s: %w", name, err)}
	}
	if int64(len(data)) > a.left {
		return nil, newErr(KindTooLarge, "%s unpacks to more than %d bytes", name, a.left)
	}
	a.left -= int64(len(data))
	return data, nil
}

// node is a parsed XML element: its name without namespace prefix and its
// namespace, attributes by local name, and children, with text as nodes
// of empty name.
type node struct {
	space, name string
	attrs       map[string]string
	kids        []*node
	text        string
}

func (n *node) attr(local string) string { return n.attrs[local] }

func (n *node) child(name string) *node {
	for _, k := range n.kids {
		if k.name == name {
			return k
		}
	}
	return nil
}

// find is the first descendant with that name, depth first.
func (n *node) find(name string) *node {
	for _, k := range n.kids {
		if k.name == name {
			return k
		}
		if f := k.find(name); f != nil {
			return f
		}
	}
	return nil
}

// textContent is all the text under n.
func (n *node) textContent() string {
	var b strings.Builder
	var walk func(*node)
	walk = func(n *node) {
		if n.name == "" {
			b.WriteString(n.text)
		}
		for _, k := range n.kids {
			walk(k)
		}
	}
	walk(n)
	return b.String()
}

// parseXML builds the tree of an XML part, refusing nesting deeper than
// maxDepth and stopping when ctx ends. Text outside elements is dropped.
func parseXML(ctx context.Context, data []byte) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = false
	d.Entity = xml.HTMLEntity
	root := &node{}
	stack := []*node{root}
	for count := 0; ; count++ {
		if count%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &Error{Kind: KindInvalid, Err: err}
		}
		top := stack[len(stack)-1]
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) > maxDepth {
				return nil, newErr(KindTooLarge, "XML nested deeper than %d", maxDepth)
			}
			n := &node{space: t.Name.Space, name: t.Name.Local}
			if len(t.Attr) > 0 {
				n.attrs = make(map[string]string, len(t.Attr))
				for _, at := range t.Attr {
					n.attrs[at.Name.Local] = at.Value
					if at.Name.Space != "" {
						n.attrs[at.Name.Space+":"+at.Name.Local] = at.Value
					}
				}
			}
			top.kids = append(top.kids, n)
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
		case xml.CharData:
			if len(stack) > 1 {
				top.kids = append(top.kids, &node{text: string(t)})
			}
		}
	}
	return root, nil
}

// span is a piece of inline text with its formatting.
type span struct {
	text         string
	bold, italic bool
	link         string
}

// inline renders spans as Markdown and as text. Adjacent spans of the
// same formatting are merged, and emphasis never wraps white space.
func inline(spans []span) (md, text string) {
	var m, t strings.Builder
	for i := 0; i < len(spans); {
		s := spans[i]
		j := i + 1
		var run strings.Builder
		run.WriteString(s.text)
		for j < len(spans) && spans[j].bold == s.bold && spans[j].italic == s.italic && spans[j].link == s.link {
			run.WriteString(spans[j].text)
			j++
		}
		i = j
		raw := run.String()
		t.WriteString(raw)
		core := strings.TrimSpace(raw)
		if core == "" {
			m.WriteString(raw)
			continue
		}
		lead := raw[:strings.Index(raw, core)]
		trail := raw[len(lead)+len(core):]
		out := escapeInline(core)
		if s.italic {
			out = "*" + out + "*"
		}
		if s.bold {
			out = "**" + out + "**"
		}
		if s.link != "" {
			out = "[" + out + "](" + strings.NewReplacer("(", "%28", ")", "%29", " ", "%20").Replace(s.link) + ")"
		}
		m.WriteString(lead + out + trail)
	}
	return strings.TrimSpace(m.String()), strings.TrimSpace(t.String())
}
