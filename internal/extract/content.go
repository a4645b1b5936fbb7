package extract

import (
	"fmt"
	"strings"

	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// selectors are the compiled include_tags and exclude_tags.
type selectors struct {
	include, exclude []cascadia.Selector
}

// ValidateSelectors checks include_tags and exclude_tags; the error wraps
// ErrInvalidSelector and names the bad selector, fit to show to the user.
func ValidateSelectors(include, exclude []string) error {
	_, err := compileSelectors(include, exclude)
	return err
}

func compileSelectors(include, exclude []string) (*selectors, error) {
	s := &selectors{}
	for _, group := range []struct {
		name string
		in   []string
		out  *[]cascadia.Selector
	}{{"include_tags", include, &s.include}, {"exclude_tags", exclude, &s.exclude}} {
		for _, raw := range group.in {
			if strings.TrimSpace(raw) == "" {
				return nil, fmt.Errorf("%w in %s: empty selector", ErrInvalidSelector, group.name)
			}
			c, err := cascadia.Compile(raw)
			if err != nil {
				return nil, fmt.Errorf("%w in %s: %q: %v", ErrInvalidSelector, group.name, raw, err)
			}
			*group.out = append(*group.out, c)
		}
	}
	return s, nil
}

// content chooses the content of the page and renders the asked formats.
// It is the last stage and may change the tree.
func (p *page) content(res *Result, opts Options, sel *selectors) error {
	c := p.selectContent(opts, sel)
	node := c.node
	if opts.wants(FormatMarkdown) {
		// The standfirst left out of the content goes under the headline,
		// in the Markdown only, as the headline does.
		dekNode := withDek(node, c.dek, c.pageHeadline)
		md := toMarkdown(node)
		if dekNode != nil {
			dekNode.Parent.RemoveChild(dekNode)
		}
		if c.headline != "" {
			md = withHeadline(md, c.headline)
		}
		res.Markdown = md
	}
	if opts.wants(FormatText) {
		res.Text = toText(node)
	}
	if opts.wants(FormatHTML) {
		res.HTML = sanitizeHTML(toHTML(node))
	}
	return nil
}

// chosen is the content selectContent picked.
type chosen struct {
	node *html.Node
	// For the Markdown of the main content: the headline to start with
	// when the content does not carry it, the page's headline, and the
	// standfirst to put under it when main-content detection left it out.
	headline, pageHeadline, dek string
}

// selectContent chooses and tidies the content node.
func (p *page) selectContent(opts Options, sel *selectors) chosen {
	root := p.body
	if root == nil {
		root = p.doc
	}
	if opts.OnlyMainContent && len(sel.include) == 0 {
		dropSignupBoxes(root)
	}
	dropNonContent(root)
	for _, s := range sel.exclude {
		for _, n := range s.MatchAll(root) {
			switch {
			case n == root:
				// Excluding the body itself leaves no content.
				for root.FirstChild != nil {
					root.RemoveChild(root.FirstChild)
				}
			case n.Parent != nil:
				n.Parent.RemoveChild(n)
			}
		}
	}
	markCodeLanguages(root)

	mainOnly := opts.OnlyMainContent && len(sel.include) == 0
	var node *html.Node
	pageHeadline, dek, headline := "", "", ""
	if mainOnly {
		pageHeadline = collapseSpace(p.headline())
		if opts.wants(FormatMarkdown) && !opts.OmitHeadline || !p.story() {
			// Read before main-content detection changes the tree.
			dek = p.pageDek(pageHeadline)
		}
	}
	switch {
	case len(sel.include) > 0:
		node = includeOnly(root, sel.include)
	case opts.OnlyMainContent:
		node = p.mainContent(root)
	default:
		node = root
	}
	if mainOnly {
		dekAsParagraph(node, pageHeadline)
		if !p.story() {
			// On a page that is no story, the line under the title
			// (a press release's subtitle, a company's tagline) is
			// content in every format.
			withDek(node, dek, pageHeadline)
			dek = ""
		}
	}
	// URLs are made absolute in the chosen content only; the selection
	// reads links for their presence, never for their target.
	p.absolutize(node)
	tidy(node)
	if mainOnly {
		dropStrayRules(node)
	}

	if opts.wants(FormatMarkdown) && mainOnly && !opts.OmitHeadline {
		if pageHeadline != "" && !promoteHeadline(node, pageHeadline) {
			headline = pageHeadline
		}
	} else {
		dek = ""
	}
	return chosen{node: node, headline: headline, pageHeadline: pageHeadline, dek: dek}
}

// dropNonContent removes what is never content: scripts, styles, templates,
// form controls and elements the page hides.
func dropNonContent(root *html.Node) {
	var drop, unwrap []*html.Node
	walk(root, func(n *html.Node) bool {
		switch n.Type {
		case html.CommentNode:
			drop = append(drop, n)
			return false
		case html.ElementNode:
		default:
			return true
		}
		if n.DataAtom == atom.Button && disclosure(n) {
			unwrap = append(unwrap, n)
			return true
		}
		switch n.DataAtom {
		case atom.Script, atom.Style, atom.Template, atom.Noscript,
			atom.Button, atom.Input, atom.Select, atom.Textarea, atom.Option, atom.Dialog:
			drop = append(drop, n)
			return false
		}
		if hidden(n) {
			drop = append(drop, n)
			return false
		}
		return true
	})
	for _, n := range drop {
		if n.Parent != nil {
			n.Parent.RemoveChild(n)
		}
	}
	for _, n := range unwrap {
		for n.FirstChild != nil {
			c := n.FirstChild
			n.RemoveChild(c)
			n.Parent.InsertBefore(c, n)
		}
		n.Parent.RemoveChild(n)
	}
}

// disclosure reports whether the button n opens a part of the page rather
// than acting: a question of an accordion ("What are the conditions?"), a
// section's title that folds it. Its text is the heading of what it
// opens: in a heading, or marked as a toggle, and three words or more.
func disclosure(n *html.Node) bool {
	if countWords(textOf(n)) < 3 || n.Parent == nil {
		return false
	}
	if isHeading(n.Parent) || attr(n, "aria-controls") != "" {
		return true
	}
	_, expanded := attrOK(n, "aria-expanded")
	return expanded || strings.Contains(attr(n, "data-bs-toggle")+attr(n, "data-toggle"), "collapse")
}

// dropSignupBoxes removes the small blocks built around an e-mail field
// (newsletter sign-ups, "get the digest" boxes, lead forms) and questions
// answered by buttons. Their text is an invitation, never content, and the
// fields and buttons that give them away are gone once dropNonContent has
// run, so they are found first.
func dropSignupBoxes(root *html.Node) {
	var drop []*html.Node
	// What each block above an e-mail field was found to be, so that many
	// fields in one place cost one look at each block: 1 the box, 2 part
	// of something else, 3 not yet a box (no invitation in it).
	verdict := map[*html.Node]int8{}
	asked := map[*html.Node]bool{}
	walk(root, func(n *html.Node) bool {
		if n.Type != html.ElementNode {
			return true
		}
		if n.DataAtom == atom.Button {
			// Buttons are rare: the block around one is looked at once.
			if p := n.Parent; p != nil && !asked[p] {
				asked[p] = true
				if question(p) {
					drop = append(drop, p)
				}
			}
			return false
		}
		if n.DataAtom != atom.Input || !emailField(n) {
			return true
		}
		// The box is a few levels around its field at most.
		for a, level := n.Parent, 0; a != nil && a != root && level < 6; a, level = a.Parent, level+1 {
			if a.Type != html.ElementNode || !blockAtoms[a.DataAtom] && a.DataAtom != atom.Form {
				continue
			}
			v, ok := verdict[a]
			if !ok {
				switch {
				case countWords(textOf(a)) > 60 || holdsData(a):
					// Too large, or it holds a list, a table or an image
					// beside the field: the box is part of something else.
					v = 2
				case hasTextBlock(a):
					v = 1
					drop = append(drop, a)
				default:
					v = 3
				}
				verdict[a] = v
			}
			if v != 3 {
				break
			}
		}
		return false
	})
	for _, n := range drop {
		if n.Parent != nil {
			n.Parent.RemoveChild(n)
		}
	}
}

// emailField reports whether the input n asks for an e-mail address: by
// its type, or, typed as text, by its name, id, placeholder or label.
func emailField(n *html.Node) bool {
	switch strings.ToLower(attr(n, "type")) {
	case "email":
		return true
	case "", "text":
	default:
		return false
	}
	for _, k := range []string{"name", "id", "placeholder", "aria-label", "autocomplete"} {
		v := strings.ToLower(attr(n, k))
		for _, w := range []string{"mail", "courriel", "correo", "почт", "пошт", "メール", "邮箱", "이메일"} {
			if strings.Contains(v, w) {
				return true
			}
		}
	}
	return false
}

// question reports whether n is a short question answered by buttons:
// "Was this page helpful?", "Was this transcription accurate?", a one-line
// poll. Its buttons are gone once dropNonContent has run.
func question(n *html.Node) bool {
	if !blockAtoms[n.DataAtom] {
		return false
	}
	buttons := 0
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && c.DataAtom == atom.Button {
			buttons++
		} else if c.Type == html.ElementNode && blockAtoms[c.DataAtom] {
			return false
		}
	}
	if buttons < 2 {
		return false
	}
	var text strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode || c.DataAtom != atom.Button {
			text.WriteString(textOf(c))
		}
	}
	t := strings.TrimSpace(text.String())
	return countWords(t) <= 12 && (strings.HasSuffix(t, "?") || strings.HasSuffix(t, "？"))
}

// holdsData reports whether n holds a list, a table or an image.
func holdsData(n *html.Node) bool {
	found := false
	walk(n, func(c *html.Node) bool {
		if c.Type == html.ElementNode {
			switch c.DataAtom {
			case atom.Ul, atom.Ol, atom.Dl, atom.Table, atom.Img:
				found = true
			}
		}
		return !found
	})
	return found
}

// hasTextBlock reports whether n holds a heading, a paragraph or a line of
// text in a <div> of its own, the invitation of a sign-up box rather than
// the field's own label.
func hasTextBlock(n *html.Node) bool {
	found := false
	walk(n, func(c *html.Node) bool {
		if c.Type == html.ElementNode {
			switch c.DataAtom {
			case atom.P, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
				found = true
			case atom.Div:
				found = !hasBlockChild(c) && !containsAtom(c, atom.Input) && countWords(textOf(c)) >= 3
			}
		}
		return !found
	})
	return found
}

// hidden reports whether the page hides n from readers. A tab panel is
// not hidden however the page hides it (the hidden attribute, aria-hidden,
// display:none): it is content one click away, a shop's specifications and
// reviews, the other steps of a guide; nor is an element hidden "until
// found", which the browser's find-in-page opens.
func hidden(n *html.Node) bool {
	if strings.EqualFold(attr(n, "role"), "tabpanel") {
		return false
	}
	for _, a := range n.Attr {
		switch a.Key {
		case "hidden":
			return !strings.EqualFold(a.Val, "until-found")
		case "aria-hidden":
			// Icons are often aria-hidden; only hide elements, not glyphs.
			if a.Val == "true" && n.DataAtom != atom.Span && n.DataAtom != atom.I && n.DataAtom != atom.Svg {
				return true
			}
		case "style":
			s := strings.ToLower(a.Val)
			s = strings.ReplaceAll(s, " ", "")
			if strings.Contains(s, "display:none") || strings.Contains(s, "visibility:hidden") {
				return true
			}
		}
	}
	return false
}

// includeOnly moves the outermost matches of the selectors, in document
// order, into a new container.
func includeOnly(root *html.Node, sels []cascadia.Selector) *html.Node {
	box := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	var found []*html.Node
	walk(root, func(n *html.Node) bool {
		if n.Type != html.ElementNode {
			return true
		}
		for _, s := range sels {
			if s.Match(n) {
				found = append(found, n)
				return false
			}
		}
		return true
	})
	for _, n := range found {
		if n == root {
			return root
		}
		n.Parent.RemoveChild(n)
		box.AppendChild(n)
	}
	return box
}

// absolutize makes the URLs of links and media absolute against the page's
// base, so that every output carries usable URLs.
func (p *page) absolutize(root *html.Node) {
	walk(root, func(n *html.Node) bool {
		if n.Type != html.ElementNode {
			return true
		}
		for i := range n.Attr {
			a := &n.Attr[i]
			switch a.Key {
			case "href":
				if n.DataAtom != atom.A && n.DataAtom != atom.Area {
					continue
				}
				v := strings.TrimSpace(a.Val)
				if v == "" || v[0] == '#' || hasScheme(v, "javascript:", "mailto:", "tel:", "data:") {
					continue
				}
				if u := p.absKeepFragment(v); u != "" {
					a.Val = u
				}
			case "src", "data-src", "data-lazy-src", "data-original", "poster":
				if u := p.abs(a.Val); u != "" {
					a.Val = u
				}
			case "srcset", "data-srcset":
				var b strings.Builder
				for _, c := range srcsetCandidates(a.Val) {
					if u := p.abs(c.url); u != "" {
						if b.Len() > 0 {
							b.WriteString(", ")
						}
						b.WriteString(u)
						if c.descriptor != "" {
							b.WriteString(" " + c.descriptor)
						}
					}
				}
				a.Val = b.String()
			}
		}
		return true
	})
}

// absKeepFragment is abs for links inside the content, where a fragment
// still points at a place in the target page.
func (p *page) absKeepFragment(ref string) string {
	base, frag, ok := strings.Cut(ref, "#")
	u := p.abs(base)
	if base == "" && p.base != nil {
		u = p.base.Href(true)
	}
	if u == "" || !ok {
		return u
	}
	return u + "#" + frag
}

func hasScheme(v string, schemes ...string) bool {
	for _, s := range schemes {
		if len(v) >= len(s) && strings.EqualFold(v[:len(s)], s) {
			return true
		}
	}
	return false
}

// markCodeLanguages records the language of each code block as a
// data-lang attribute on <pre>, found where documentation generators put it:
// language-x or lang-x classes, a data-lang attribute, a highlight-x class on
// a wrapper (Sphinx), or a "brush: x" class (SyntaxHighlighter). Later
// stages strip classes; the attribute survives them.
func markCodeLanguages(root *html.Node) {
	walk(root, func(n *html.Node) bool {
		if n.Type != html.ElementNode || n.DataAtom != atom.Pre {
			return true
		}
		lang := codeLanguage(n)
		if lang == "" {
			for c := n.FirstChild; c != nil && lang == ""; c = c.NextSibling {
				if c.Type == html.ElementNode && c.DataAtom == atom.Code {
					lang = codeLanguage(c)
				}
			}
		}
		for a, i := n.Parent, 0; a != nil && lang == "" && i < 3; a, i = a.Parent, i+1 {
			if a.Type == html.ElementNode {
				lang = codeLanguage(a)
			}
		}
		if lang != "" {
			setAttr(n, "data-lang", lang)
		}
		return false
	})
}

func codeLanguage(n *html.Node) string {
	for _, k := range []string{"data-lang", "data-language"} {
		if v := strings.TrimSpace(attr(n, k)); v != "" && validLang(v) {
			return strings.ToLower(v)
		}
	}
	class := attr(n, "class")
	fields := strings.Fields(class)
	for i, f := range fields {
		for _, prefix := range []string{"language-", "lang-", "highlight-source-", "highlight-", "sourcecode-"} {
			if strings.HasPrefix(f, prefix) {
				if v := f[len(prefix):]; validLang(v) && v != "default" && v != "none" && v != "text" {
					return strings.ToLower(v)
				}
			}
		}
		if f == "brush:" && i+1 < len(fields) {
			if v := strings.TrimSuffix(fields[i+1], ";"); validLang(v) {
				return strings.ToLower(v)
			}
		}
	}
	return ""
}

func validLang(v string) bool {
	if v == "" || len(v) > 32 {
		return false
	}
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '#' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func setAttr(n *html.Node, key, val string) {
	for i := range n.Attr {
		if n.Attr[i].Key == key {
			n.Attr[i].Val = val
			return
		}
	}
	n.Attr = append(n.Attr, html.Attribute{Key: key, Val: val})
}

func removeAttr(n *html.Node, key string) {
	for i := range n.Attr {
		if n.Attr[i].Key == key {
			n.Attr = append(n.Attr[:i], n.Attr[i+1:]...)
			return
		}
	}
}
