package extract

import (
	"bytes"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The Markdown writer renders the cleaned content tree in one walk, without
// building another tree or re-parsing HTML. It writes CommonMark with the
// GitHub extensions pages need (tables, strikethrough):
//
//   - blocks are separated by one blank line; a nested list follows its
//     item's text on the next line;
//   - headings are ATX ("## Title"), on one line;
//   - emphasis is *em*, **strong**, ~~deleted~~, never doubled when nested;
//   - links are [text](url "title"), images ![alt](src "title"); a link
//     without text or without a destination keeps only its text;
//   - code spans take as many backticks as they need; <pre> becomes a fenced
//     block with the language of its language-x class;
//   - lists use "- " and "1. " (an <ol>'s start kept), items indented under
//     their marker; blockquotes prefix "> ";
//   - tables with at least two rows become pipe tables, the first row the
//     header, columns padded to one width; one-row tables and tables holding
//     tables are layout and their cells are written as blocks;
//   - white space collapses as a browser collapses it; <br> is a hard break
//     ("  " at the end of the line), a space where a line cannot break
//     (headings, links, table cells);
//   - text is escaped only where it would otherwise turn into markup.

// toMarkdown renders the content under n.
func toMarkdown(n *html.Node) string {
	w := mdWriters.Get().(*mdWriter)
	c := w.getBlocks()
	if mdBlock(n.DataAtom) || n.Type != html.ElementNode {
		w.blockNode(n, c)
	} else {
		w.blockChildren(n, c)
	}
	c.flushPara()
	md := string(trimSpaceBytes(c.out))
	w.putBlocks(c)
	w.release()
	return md
}

// mdWriters keeps writers and their buffers from page to page, so that a
// page's Markdown is built in buffers already grown to a page's size.
var mdWriters = sync.Pool{New: func() any { return &mdWriter{} }}

// maxKeptBuffer is the largest buffer a writer keeps for the next page.
const maxKeptBuffer = 1 << 20

// release returns w to the pool without its oversized buffers.
func (w *mdWriter) release() {
	keep := w.freeBlocks[:0]
	for _, c := range w.freeBlocks {
		if cap(c.out) <= maxKeptBuffer && cap(c.inl.b) <= maxKeptBuffer {
			keep = append(keep, c)
		}
	}
	w.freeBlocks = keep
	keepInl := w.freeInline[:0]
	for _, x := range w.freeInline {
		if cap(x.b) <= maxKeptBuffer {
			keepInl = append(keepInl, x)
		}
	}
	w.freeInline = keepInl
	mdWriters.Put(w)
}

// mdWriter holds the buffers of one rendering, reused as the walk goes
// deeper and comes back.
type mdWriter struct {
	freeBlocks []*mdBlocks
	freeInline []*mdInline
}

func (w *mdWriter) getBlocks() *mdBlocks {
	if k := len(w.freeBlocks); k > 0 {
		c := w.freeBlocks[k-1]
		w.freeBlocks = w.freeBlocks[:k-1]
		return c
	}
	return &mdBlocks{}
}

func (w *mdWriter) putBlocks(c *mdBlocks) {
	*c = mdBlocks{out: c.out[:0], inl: mdInline{b: c.inl.b[:0]}}
	w.freeBlocks = append(w.freeBlocks, c)
}

func (w *mdWriter) getInline(parent *mdInline) *mdInline {
	var x *mdInline
	if k := len(w.freeInline); k > 0 {
		x = w.freeInline[k-1]
		w.freeInline = w.freeInline[:k-1]
	} else {
		x = &mdInline{}
	}
	x.b = x.b[:0]
	x.reset()
	x.oneLine, x.table, x.strong, x.em, x.strike = parent.oneLine, parent.table, parent.strong, parent.em, parent.strike
	return x
}

func (w *mdWriter) putInline(x *mdInline) { w.freeInline = append(w.freeInline, x) }

// mdBlocks collects the blocks of one container: a list item, a quote, the
// whole content.
type mdBlocks struct {
	out []byte
	inl mdInline
	// tight joins a list to the text before it with a single newline, as
	// inside list items.
	tight bool
	// lastList reports whether the last block written was a list.
	lastList bool
}

func (c *mdBlocks) emit(s []byte, list bool) {
	if len(s) == 0 {
		return
	}
	if len(c.out) > 0 {
		if c.tight && list && !c.lastList {
			c.out = append(c.out, '\n')
		} else {
			c.out = append(c.out, '\n', '\n')
		}
	}
	c.out = append(c.out, s...)
	c.lastList = list
}

// flushPara ends the paragraph being written, if any.
func (c *mdBlocks) flushPara() {
	if s := c.inl.finish(); len(s) > 0 {
		c.emit(escapeLineStarts(s), false)
	}
	c.inl.b = c.inl.b[:0]
	c.inl.reset()
}

// mdInline is the text of one paragraph, heading, cell, link or emphasis
// as it is written: white space collapsed, specials escaped.
type mdInline struct {
	b []byte
	// space is a collapsed space not yet written; lead reports that the
	// text began with one.
	space, lead bool
	// oneLine turns hard breaks into spaces; table escapes pipes.
	oneLine, table bool
	// strong, em and strike are the emphasis already open around the text.
	strong, em, strike bool
}

func (x *mdInline) reset() { x.space, x.lead = false, false }

// flushSpace writes a pending space unless the line is empty.
func (x *mdInline) flushSpace() {
	if x.space {
		if n := len(x.b); n > 0 && x.b[n-1] != '\n' {
			x.b = append(x.b, ' ')
		}
		x.space = false
	}
}

func (x *mdInline) addSpace() {
	if len(x.b) == 0 {
		x.lead = true
	}
	x.space = true
}

// raw writes markup, after any pending space.
func (x *mdInline) raw(s string) {
	x.flushSpace()
	x.b = append(x.b, s...)
}

func (x *mdInline) hardBreak() {
	if x.oneLine {
		x.addSpace()
		return
	}
	n := len(x.b)
	if n == 0 || x.b[n-1] == '\n' {
		return
	}
	x.space = false
	x.b = append(x.b, ' ', ' ', '\n')
}

// finish returns the text without trailing spaces and breaks.
func (x *mdInline) finish() []byte {
	x.space = false
	return trimSpaceBytes(x.b)
}

func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// text writes a text node: spaces collapsed, Markdown specials escaped where
// they could be read as markup.
func (x *mdInline) text(s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isHTMLSpace(c) {
			x.addSpace()
			continue
		}
		x.flushSpace()
		var prev, next byte = ' ', ' '
		if i > 0 {
			prev = s[i-1]
		} else if n := len(x.b); n > 0 {
			prev = x.b[n-1]
		}
		if i+1 < len(s) {
			next = s[i+1]
		}
		esc := false
		switch c {
		case '\\', '`':
			esc = true
		case '*':
			// Surrounded by spaces it cannot open or close emphasis.
			esc = !(isHTMLSpace(prev) && isHTMLSpace(next)) || i+1 == len(s)
		case '_':
			// Inside a word it cannot either.
			esc = !(isAlnum(prev) && isAlnum(next)) || i+1 == len(s)
		case ']':
			// A closing bracket makes a link or a reference definition only
			// when "(", "[" or ":" follows.
			esc = next == '(' || next == '[' || next == ':' || i+1 == len(s)
		case '<':
			esc = next == '/' || next == '!' || next == '?' || next >= 'a' && next <= 'z' || next >= 'A' && next <= 'Z'
		case '&':
			esc = entityAt(s[i+1:])
		case '|':
			esc = x.table
		case '~':
			esc = next == '~' || prev == '~'
		}
		if esc {
			x.b = append(x.b, '\\')
		}
		x.b = append(x.b, c)
	}
}

// entityAt reports whether s, after an '&', reads as a character reference.
func entityAt(s string) bool {
	for i := 0; i < len(s) && i < 32; i++ {
		c := s[i]
		switch {
		case c == ';':
			return i > 0
		case c == '#' && i == 0, isAlnum(c) && c < 0x80:
		default:
			return false
		}
	}
	return false
}

// escapeLineStarts escapes, at the start of each line of a paragraph, what
// would turn the line into a heading, a quote, a list item or a rule.
func escapeLineStarts(p []byte) []byte {
	var out []byte
	copied := 0
	for start := 0; start < len(p); {
		end := start
		for end < len(p) && p[end] != '\n' {
			end++
		}
		if at := lineStartEscape(p[start:end]); at >= 0 {
			out = append(out, p[copied:start+at]...)
			out = append(out, '\\')
			copied = start + at
		}
		start = end + 1
	}
	if out == nil {
		return p
	}
	return append(out, p[copied:]...)
}

// lineStartEscape returns where a backslash must go in line, or -1.
func lineStartEscape(line []byte) int {
	if len(line) == 0 {
		return -1
	}
	after := func(i int) bool { return i >= len(line) || line[i] == ' ' || line[i] == '\t' }
	switch c := line[0]; {
	case c == '#':
		i := 0
		for i < len(line) && line[i] == '#' {
			i++
		}
		if i <= 6 && after(i) {
			return 0
		}
	case c == '>':
		return 0
	case c == '-' || c == '+' || c == '=':
		if after(1) || line[1] == c {
			return 0
		}
	case c >= '0' && c <= '9':
		i := 0
		for i < len(line) && line[i] >= '0' && line[i] <= '9' {
			i++
		}
		if i <= 9 && i < len(line) && (line[i] == '.' || line[i] == ')') && after(i+1) {
			return i
		}
	}
	return -1
}

func trimSpaceBytes(b []byte) []byte {
	for len(b) > 0 && (isHTMLSpace(b[0])) {
		b = b[1:]
	}
	for len(b) > 0 && isHTMLSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// mdBlock reports the elements that start a new block.
func mdBlock(a atom.Atom) bool {
	switch a {
	case atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Body, atom.Center,
		atom.Dd, atom.Details, atom.Dialog, atom.Dir, atom.Div, atom.Dl, atom.Dt, atom.Fieldset,
		atom.Figcaption, atom.Figure, atom.Footer, atom.Form, atom.H1, atom.H2, atom.H3, atom.H4,
		atom.H5, atom.H6, atom.Header, atom.Hgroup, atom.Hr, atom.Html, atom.Legend, atom.Li,
		atom.Main, atom.Menu, atom.Nav, atom.Ol, atom.P, atom.Pre, atom.Section, atom.Summary,
		atom.Table, atom.Caption, atom.Tbody, atom.Thead, atom.Tfoot, atom.Tr, atom.Td, atom.Th,
		atom.Ul, atom.Search, atom.Optgroup:
		return true
	}
	return false
}

// mdSkipAtom reports the elements that have no text a reader sees.
func mdSkipAtom(a atom.Atom) bool {
	switch a {
	case atom.Head, atom.Title, atom.Meta, atom.Link, atom.Script, atom.Style, atom.Template,
		atom.Noscript, atom.Canvas, atom.Iframe, atom.Object, atom.Embed, atom.Video, atom.Audio,
		atom.Source, atom.Track, atom.Map, atom.Area, atom.Input, atom.Button, atom.Select,
		atom.Textarea, atom.Option, atom.Frameset, atom.Frame, atom.Param, atom.Wbr:
		return true
	}
	return false
}

// mdSkip reports whether n is left out; the <title> of an inline SVG
// names it, as alt text names an image, and is kept.
func mdSkip(n *html.Node) bool {
	return mdSkipAtom(n.DataAtom) && (n.Namespace == "" || n.DataAtom != atom.Title)
}

// elem reports whether n is an element, first giving an element made
// without its atom (by a pass that built it from its name) the atom of its
// name, so that the writer treats it as the parser's own would be.
func elem(n *html.Node) bool {
	if n.Type != html.ElementNode {
		return false
	}
	if n.DataAtom == 0 {
		n.DataAtom = atom.Lookup([]byte(n.Data))
	}
	return true
}

// blockChildren writes the children of a block container.
func (w *mdWriter) blockChildren(n *html.Node, c *mdBlocks) {
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		w.blockNode(ch, c)
	}
}

// blockNode writes n, found where blocks may start.
func (w *mdWriter) blockNode(n *html.Node, c *mdBlocks) {
	elem(n)
	switch n.Type {
	case html.TextNode:
		c.inl.text(n.Data)
		return
	case html.DocumentNode:
		w.blockChildren(n, c)
		return
	case html.ElementNode:
	default:
		return
	}
	if mdSkip(n) {
		return
	}
	switch n.DataAtom {
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		c.flushPara()
		w.heading(n, c)
	case atom.Ul, atom.Ol, atom.Menu, atom.Dir:
		c.flushPara()
		w.list(n, c)
	case atom.Blockquote:
		c.flushPara()
		w.quote(n, c)
	case atom.Pre:
		c.flushPara()
		w.codeBlock(n, c)
	case atom.Table:
		c.flushPara()
		w.table(n, c)
	case atom.Dt:
		// A definition list's term reads as a term: in bold, over its
		// definitions.
		c.flushPara()
		if hasBlock(n) {
			w.blockChildren(n, c)
		} else {
			w.emphasis(n, &c.inl, "**", c.inl.strong)
		}
		c.flushPara()
	case atom.Hr:
		c.flushPara()
		c.emit([]byte("* * *"), false)
	case atom.Br:
		c.inl.hardBreak()
	case atom.A, atom.Img:
		w.inline(n, &c.inl)
	case atom.Strong, atom.B, atom.Em, atom.I, atom.Cite, atom.Dfn, atom.Var,
		atom.Del, atom.S, atom.Strike, atom.Code, atom.Kbd, atom.Samp, atom.Tt:
		// Emphasis around paragraphs keeps the paragraphs, not the emphasis.
		if hasBlock(n) {
			w.blockChildren(n, c)
		} else {
			w.inline(n, &c.inl)
		}
	default:
		if mdBlock(n.DataAtom) {
			c.flushPara()
			w.blockChildren(n, c)
			c.flushPara()
			return
		}
		// Other inline elements (span, font, small, sup …) are transparent.
		w.blockChildren(n, c)
	}
}

// hasBlock reports whether a block element is under n.
func hasBlock(n *html.Node) bool {
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		if elem(ch) && (mdBlock(ch.DataAtom) || ch.FirstChild != nil && hasBlock(ch)) {
			return true
		}
	}
	return false
}

// inline writes n inside a line.
func (w *mdWriter) inline(n *html.Node, x *mdInline) {
	elem(n)
	switch n.Type {
	case html.TextNode:
		x.text(n.Data)
		return
	case html.ElementNode:
	default:
		return
	}
	if mdSkip(n) {
		return
	}
	switch n.DataAtom {
	case atom.Br:
		x.hardBreak()
	case atom.Img:
		w.image(n, x)
	case atom.A:
		w.link(n, x)
	case atom.Strong, atom.B:
		w.emphasis(n, x, "**", x.strong)
	case atom.Em, atom.I, atom.Cite, atom.Dfn, atom.Var:
		w.emphasis(n, x, "*", x.em)
	case atom.Del, atom.S, atom.Strike:
		w.emphasis(n, x, "~~", x.strike)
	case atom.Code, atom.Kbd, atom.Samp, atom.Tt, atom.Pre:
		codeSpan(n, x)
	default:
		block := mdBlock(n.DataAtom)
		if block {
			x.addSpace()
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			w.inline(ch, x)
		}
		if block {
			x.addSpace()
		}
	}
}

// inlineChildren renders n's children into a fresh line that inherits x's
// state and returns it; the caller puts it back with putInline.
func (w *mdWriter) inlineChildren(n *html.Node, x *mdInline) *mdInline {
	y := w.getInline(x)
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		w.inline(ch, y)
	}
	return y
}

// wrapInto writes y's text into x between open and close, keeping the
// spaces at its edges outside the markup.
func wrapInto(x, y *mdInline, open, close string) {
	trail := y.space || len(y.b) > 0 && isHTMLSpace(y.b[len(y.b)-1])
	body := trimSpaceBytes(y.b)
	// No-break spaces at the edges go outside too: markup next to one
	// neither opens nor closes.
	var before, after int
	for bytes.HasPrefix(body, nbsp) {
		body, before = body[len(nbsp):], before+1
	}
	for bytes.HasSuffix(body, nbsp) {
		body, after = body[:len(body)-len(nbsp)], after+1
	}
	if y.lead {
		x.addSpace()
	}
	if before > 0 {
		x.flushSpace()
		for range before {
			x.b = append(x.b, nbsp...)
		}
	}
	if len(body) > 0 {
		x.flushSpace()
		x.b = append(x.b, open...)
		x.b = append(x.b, body...)
		x.b = append(x.b, close...)
	}
	if after > 0 {
		x.flushSpace()
		for range after {
			x.b = append(x.b, nbsp...)
		}
	}
	if trail {
		x.addSpace()
	}
}

var nbsp = []byte("\u00a0")

func (w *mdWriter) emphasis(n *html.Node, x *mdInline, delim string, open bool) {
	if open {
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			w.inline(ch, x)
		}
		return
	}
	y := w.getInline(x)
	switch delim {
	case "**":
		y.strong = true
	case "*":
		y.em = true
	default:
		y.strike = true
	}
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		w.inline(ch, y)
	}
	// A hard break inside emphasis would leave the markup open across lines.
	if body := trimSpaceBytes(y.b); len(body) > 0 && bytes.IndexByte(body, '\n') >= 0 {
		wrapInto(x, y, "", "")
	} else {
		wrapInto(x, y, delim, delim)
	}
	w.putInline(y)
}

func (w *mdWriter) link(n *html.Node, x *mdInline) {
	href := strings.TrimSpace(attr(n, "href"))
	y := w.getInline(x)
	y.oneLine = true
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		w.inline(ch, y)
	}
	if href == "" {
		wrapInto(x, y, "", "")
	} else {
		var close strings.Builder
		close.WriteString("](")
		close.WriteString(linkDestination(href))
		if t := collapseSpace(attr(n, "title")); t != "" {
			close.WriteString(` "`)
			close.WriteString(escapeTitle(t))
			close.WriteString(`"`)
		}
		close.WriteString(")")
		wrapInto(x, y, "[", close.String())
	}
	w.putInline(y)
}

func (w *mdWriter) image(n *html.Node, x *mdInline) {
	src := strings.TrimSpace(attr(n, "src"))
	if src == "" {
		return
	}
	x.flushSpace()
	x.b = append(x.b, "!["...)
	alt := collapseSpace(attr(n, "alt"))
	for i := 0; i < len(alt); i++ {
		switch alt[i] {
		case '[', ']', '\\':
			x.b = append(x.b, '\\')
		}
		x.b = append(x.b, alt[i])
	}
	x.b = append(x.b, "]("...)
	x.b = append(x.b, linkDestination(src)...)
	if t := collapseSpace(attr(n, "title")); t != "" {
		x.b = append(x.b, ` "`...)
		x.b = append(x.b, escapeTitle(t)...)
		x.b = append(x.b, '"')
	}
	x.b = append(x.b, ')')
}

// linkDestination makes a URL safe inside "( )": spaces, angle brackets and
// parentheses would end or break it.
func linkDestination(u string) string {
	u = strings.TrimSuffix(u, "#")
	clean := true
	for i := 0; i < len(u) && clean; i++ {
		switch c := u[i]; {
		case c <= ' ', c == '(', c == ')', c == '<', c == '>', c == '\\', c == 0x7f:
			clean = false
		}
	}
	if clean {
		return u
	}
	var b strings.Builder
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(u); i++ {
		switch c := u[i]; {
		case c <= ' ', c == '<', c == '>', c == 0x7f:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		case c == '(', c == ')', c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func escapeTitle(t string) string {
	if !strings.ContainsAny(t, `"\`) {
		return t
	}
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(t)
}

// codeSpan writes n's text as inline code, white space collapsed.
func codeSpan(n *html.Node, x *mdInline) {
	var raw strings.Builder
	collectText(n, &raw)
	t := collapseSpace(raw.String())
	if t == "" {
		return
	}
	if x.table {
		t = strings.ReplaceAll(t, "|", `\|`)
	}
	fence := strings.Repeat("`", longestRun(t, '`')+1)
	pad := ""
	if t[0] == '`' || t[len(t)-1] == '`' {
		pad = " "
	}
	if isHTMLSpace(firstByte(raw.String())) {
		x.addSpace()
	}
	x.raw(fence)
	x.b = append(x.b, pad...)
	x.b = append(x.b, t...)
	x.b = append(x.b, pad...)
	x.b = append(x.b, fence...)
	if s := raw.String(); isHTMLSpace(s[len(s)-1]) {
		x.addSpace()
	}
}

func firstByte(s string) byte {
	if s == "" {
		return 0
	}
	return s[0]
}

// collectText appends the text under n, <br> as a newline.
func collectText(n *html.Node, b *strings.Builder) {
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		switch ch.Type {
		case html.TextNode:
			b.WriteString(ch.Data)
		case html.ElementNode:
			if elem(ch) && ch.DataAtom == atom.Br {
				b.WriteByte('\n')
				continue
			}
			if mdSkip(ch) {
				continue
			}
			collectText(ch, b)
		}
	}
}

func longestRun(s string, c byte) int {
	best, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}

// codeBlock writes a <pre> as a fenced block.
func (w *mdWriter) codeBlock(n *html.Node, c *mdBlocks) {
	var raw strings.Builder
	collectText(n, &raw)
	code := strings.TrimRight(raw.String(), " \t\r\n")
	code = strings.TrimLeft(code, "\r\n")
	if strings.TrimSpace(code) == "" {
		return
	}
	lang := ""
	if f := strings.Fields(attr(n, "class")); len(f) > 0 {
		for _, cl := range f {
			if l, ok := strings.CutPrefix(cl, "language-"); ok {
				lang = l
				break
			}
		}
	}
	fence := strings.Repeat("`", max(3, longestRun(code, '`')+1))
	out := make([]byte, 0, len(code)+2*len(fence)+len(lang)+2)
	out = append(out, fence...)
	out = append(out, lang...)
	out = append(out, '\n')
	out = append(out, code...)
	out = append(out, '\n')
	out = append(out, fence...)
	c.emit(out, false)
}

func (w *mdWriter) heading(n *html.Node, c *mdBlocks) {
	x := w.getInline(&mdInline{})
	x.oneLine = true
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		w.inline(ch, x)
	}
	body := trimSpaceBytes(x.b)
	if len(body) > 0 {
		level := int(n.Data[1] - '0')
		out := make([]byte, 0, len(body)+level+2)
		for range level {
			out = append(out, '#')
		}
		out = append(out, ' ')
		out = append(out, body...)
		// A closing run of '#' after a space would be read as markup.
		if i := len(out) - 1; out[i] == '#' {
			j := i
			for out[j] == '#' {
				j--
			}
			if out[j] == ' ' || out[j] == '\t' {
				out = append(out[:j+1], append([]byte{'\\'}, out[j+1:]...)...)
			}
		}
		c.emit(out, false)
	}
	w.putInline(x)
}

// blockInto renders n's children as blocks and returns them; the caller
// puts the buffer back.
func (w *mdWriter) blockInto(n *html.Node, tight bool) *mdBlocks {
	c := w.getBlocks()
	c.tight = tight
	w.blockChildren(n, c)
	c.flushPara()
	return c
}

// appendIndented appends body to dst, its first line after first and each
// further non-empty line after rest (empty lines after emptyRest).
func appendIndented(dst []byte, body []byte, first, rest, emptyRest string) []byte {
	dst = append(dst, first...)
	for i := 0; i < len(body); i++ {
		dst = append(dst, body[i])
		if body[i] == '\n' {
			if i+1 < len(body) && body[i+1] != '\n' {
				dst = append(dst, rest...)
			} else {
				dst = append(dst, emptyRest...)
			}
		}
	}
	return dst
}

func (w *mdWriter) quote(n *html.Node, c *mdBlocks) {
	inner := w.blockInto(n, false)
	body := trimSpaceBytes(inner.out)
	if len(body) > 0 {
		c.emit(appendIndented(nil, body, "> ", "> ", ">"), false)
	}
	w.putBlocks(inner)
}

func (w *mdWriter) list(n *html.Node, c *mdBlocks) {
	ordered := n.DataAtom == atom.Ol
	num := 1
	if ordered {
		if s, err := strconv.Atoi(strings.TrimSpace(attr(n, "start"))); err == nil && s >= 0 && s < 1e9 {
			num = s
		}
	}
	start := num
	var out []byte
	// lastItem is where the last item's text starts in out, and its marker
	// width, for a list nested directly in the list.
	var lastWidth int
	items := 0
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		switch ch.Type {
		case html.ElementNode:
			elem(ch)
		case html.TextNode:
			if strings.TrimSpace(ch.Data) == "" {
				continue
			}
		default:
			continue
		}
		if ch.Type == html.ElementNode && mdSkip(ch) {
			continue
		}
		if ch.Type == html.ElementNode && (ch.DataAtom == atom.Ul || ch.DataAtom == atom.Ol) && items > 0 {
			// A list directly inside a list belongs to the item before it.
			inner := w.getBlocks()
			w.list(ch, inner)
			if body := trimSpaceBytes(inner.out); len(body) > 0 {
				pad := strings.Repeat(" ", lastWidth)
				out = appendIndented(append(out, '\n'), body, pad, pad, "")
			}
			w.putBlocks(inner)
			continue
		}
		var inner *mdBlocks
		if ch.Type == html.ElementNode && ch.DataAtom == atom.Li {
			inner = w.blockInto(ch, true)
		} else {
			inner = w.getBlocks()
			inner.tight = true
			w.blockNode(ch, inner)
			inner.flushPara()
		}
		body := trimSpaceBytes(inner.out)
		marker := "- "
		if ordered {
			marker = strconv.Itoa(num) + ". "
			num++
		}
		if len(body) > 0 {
			if items > 0 {
				out = append(out, '\n')
			}
			pad := strings.Repeat(" ", len(marker))
			out = appendIndented(out, body, marker, pad, "")
			lastWidth = len(marker)
			items++
		}
		w.putBlocks(inner)
	}
	// An ordered list that does not start at 1 cannot interrupt a
	// paragraph: it gets a blank line before it even inside an item.
	c.emit(out, !ordered || start == 1)
}

// tableRows returns the rows of t, not those of tables inside it.
func tableRows(t *html.Node) []*html.Node {
	var rows []*html.Node
	for ch := t.FirstChild; ch != nil; ch = ch.NextSibling {
		if !elem(ch) {
			continue
		}
		switch ch.DataAtom {
		case atom.Tr:
			rows = append(rows, ch)
		case atom.Thead, atom.Tbody, atom.Tfoot:
			for r := ch.FirstChild; r != nil; r = r.NextSibling {
				if elem(r) && r.DataAtom == atom.Tr {
					rows = append(rows, r)
				}
			}
		}
	}
	return rows
}

func (w *mdWriter) table(t *html.Node, c *mdBlocks) {
	rows := tableRows(t)
	if len(rows) < 2 || containsAtom(t, atom.Table) {
		// Layout: the cells are blocks.
		w.blockChildren(t, c)
		c.flushPara()
		return
	}
	for ch := t.FirstChild; ch != nil; ch = ch.NextSibling {
		if ch.Type == html.ElementNode && ch.DataAtom == atom.Caption {
			w.blockNode(ch, c)
			c.flushPara()
		}
	}
	cells := make([][]string, 0, len(rows))
	cols := 0
	for _, r := range rows {
		var row []string
		for cell := r.FirstChild; cell != nil; cell = cell.NextSibling {
			if !elem(cell) || (cell.DataAtom != atom.Td && cell.DataAtom != atom.Th) {
				continue
			}
			x := w.getInline(&mdInline{})
			x.oneLine, x.table = true, true
			for ch := cell.FirstChild; ch != nil; ch = ch.NextSibling {
				w.inline(ch, x)
			}
			row = append(row, string(trimSpaceBytes(x.b)))
			w.putInline(x)
			if span, err := strconv.Atoi(attr(cell, "colspan")); err == nil && span > 1 {
				for range min(span, 64) - 1 {
					row = append(row, "")
				}
			}
		}
		if len(row) == 0 {
			continue
		}
		cells = append(cells, row)
		cols = max(cols, len(row))
	}
	if len(cells) == 0 {
		return
	}
	widths := make([]int, cols)
	for _, row := range cells {
		for i, s := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(s))
		}
	}
	var out []byte
	writeRow := func(row []string) {
		out = append(out, '|')
		for i := range cols {
			s := ""
			if i < len(row) {
				s = row[i]
			}
			out = append(out, ' ')
			out = append(out, s...)
			for range widths[i] - utf8.RuneCountInString(s) {
				out = append(out, ' ')
			}
			out = append(out, ' ', '|')
		}
	}
	writeRow(cells[0])
	out = append(out, '\n', '|')
	for i := range cols {
		for range max(widths[i], 1) + 2 {
			out = append(out, '-')
		}
		out = append(out, '|')
	}
	for _, row := range cells[1:] {
		out = append(out, '\n')
		writeRow(row)
	}
	c.emit(out, false)
}
