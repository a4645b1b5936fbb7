package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// TestLabelledSets checks every labelled snippet set: each labelled page
// exists, each page of the folder is labelled, and every snippet is text a
// reader of the page sees (outside scripts, styles and the head), so a miss
// is the extractor's and never a typo of the labels.
func TestLabelledSets(t *testing.T) {
	sets, err := filepath.Glob("../../testdata/*/labels.json")
	if err != nil || len(sets) == 0 {
		t.Fatalf("no labelled sets found: %v", err)
	}
	for _, labelsPath := range sets {
		dir := filepath.Dir(labelsPath)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			raw, err := os.ReadFile(labelsPath)
			if err != nil {
				t.Fatal(err)
			}
			var labels map[string]snippetPage
			if err := json.Unmarshal(raw, &labels); err != nil {
				t.Fatal(err)
			}
			pages, _ := filepath.Glob(filepath.Join(dir, "*.html"))
			if len(pages) != len(labels) {
				t.Errorf("%d pages, %d labelled", len(pages), len(labels))
			}
			for name, pg := range labels {
				body, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Error(err)
					continue
				}
				if len(pg.Must) == 0 || len(pg.MustNot) == 0 || pg.URL == "" || pg.Type == "" {
					t.Errorf("%s: incomplete label", name)
				}
				text := visibleText(t, body)
				headline := firstH1(t, body)
				for _, s := range pg.Must {
					if !strings.Contains(text, normalizeSpace(s)) {
						t.Errorf("%s: must snippet %q is not in the page's text", name, s)
					}
					if headline != "" && strings.Contains(headline, normalizeSpace(s)) {
						// The headline is the page's Title and the
						// Markdown's first line; the text scored is the
						// body under it.
						t.Errorf("%s: must snippet %q is the page's headline", name, s)
					}
				}
				for _, s := range pg.MustNot {
					if !strings.Contains(text, normalizeSpace(s)) {
						t.Errorf("%s: must-not snippet %q is not in the page's text", name, s)
					}
				}
			}
		})
	}
}

// visibleText is the page's text outside the head, scripts and styles,
// with white space normalised and a space after each element that is not
// inline.
func visibleText(t *testing.T, page []byte) string {
	doc, err := html.Parse(strings.NewReader(string(page)))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Head, atom.Script, atom.Style, atom.Template, atom.Noscript:
				return
			}
		}
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if n.Type == html.ElementNode && !inline[n.DataAtom] {
			b.WriteByte(' ')
		}
	}
	walk(doc)
	return normalizeSpace(b.String())
}

// firstH1 is the text of the page's first <h1> (or element marked
// role="heading" aria-level="1"), its headline, white space normalised (""
// when the page has none).
func firstH1(t *testing.T, page []byte) string {
	doc, err := html.Parse(strings.NewReader(string(page)))
	if err != nil {
		t.Fatal(err)
	}
	out, found := "", false
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if found {
			return
		}
		if n.Type == html.ElementNode && (n.DataAtom == atom.H1 || headingOne(n)) {
			var b strings.Builder
			var text func(n *html.Node)
			text = func(n *html.Node) {
				if n.Type == html.TextNode {
					b.WriteString(n.Data)
				}
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					text(c)
				}
			}
			text(n)
			out, found = normalizeSpace(b.String()), true
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

func headingOne(n *html.Node) bool {
	var role, level string
	for _, a := range n.Attr {
		switch a.Key {
		case "role":
			role = a.Val
		case "aria-level":
			level = a.Val
		}
	}
	return strings.EqualFold(role, "heading") && strings.TrimSpace(level) == "1"
}

var inline = map[atom.Atom]bool{
	atom.A: true, atom.Abbr: true, atom.B: true, atom.Cite: true, atom.Code: true, atom.Em: true,
	atom.Font: true, atom.I: true, atom.Kbd: true, atom.Label: true, atom.Mark: true, atom.Q: true,
	atom.S: true, atom.Samp: true, atom.Small: true, atom.Span: true, atom.Strong: true, atom.Sub: true,
	atom.Sup: true, atom.Time: true, atom.U: true, atom.Var: true,
}
