package render

import (
	"bytes"
	"mime"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Thresholds of the "auto" rule, in characters of visible body text.
const (
	// scriptShellText: a page with scripts and less text than this is a
	// shell its scripts fill in.
	scriptShellText = 200
	// hintText: a <noscript> "enable JavaScript" hint or an empty app
	// root counts when the page has less text than this; a full article
	// with a comments widget's hint does not.
	hintText = 1500
	// maxDetectBytes bounds the work on one body.
	maxDetectBytes = 4 << 20
)

// appRootIDs are the ids of the elements that client-side frameworks mount
// into (React, Vue, Next.js, Nuxt, Gatsby, Svelte, Remix…).
var appRootIDs = map[string]bool{
	"root": true, "app": true, "__next": true, "__nuxt": true, "___gatsby": true,
	"svelte": true, "app-root": true, "application": true, "main-app": true,
}

// noscriptHints are phrases of <noscript> texts that say the page needs
// JavaScript, lower case.
var noscriptHints = []string{
	"enable javascript", "javascript is required", "requires javascript",
	"need javascript", "javascript to run this app", "javascript enabled",
	"turn on javascript", "javascript is disabled", "activate javascript",
	"enable js", "javascript must be enabled", "supports javascript",
}

// NeedsBrowser is the "auto" rule: it reports whether an HTML page fetched
// over HTTP evidently needs a browser to show its content. It is true for
// an empty app shell (an empty #root, #app, #__next… or <app-root> with
// scripts), a __NEXT_DATA__ page without server-rendered text, a page
// whose <noscript> asks to enable JavaScript and that has little text, and
// any page with scripts and almost no text. A page with real text never
// triggers it, whatever scripts it carries, and non-HTML never does.
func NeedsBrowser(body []byte, contentType string) bool {
	if !isHTMLType(contentType) || len(bytes.TrimSpace(body)) == 0 {
		return false
	}
	if len(body) > maxDetectBytes {
		body = body[:maxDetectBytes]
	}
	s := scan(body)
	switch {
	case s.scripts == 0:
		return false
	case s.emptyRoot && s.text < hintText:
		return true
	case s.nextData && s.text < scriptShellText:
		return true
	case s.noscriptHint && s.text < hintText:
		return true
	case s.text < scriptShellText:
		return true
	}
	return false
}

func isHTMLType(ct string) bool {
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(strings.Split(ct, ";")[0]))
	}
	return mt == "text/html" || mt == "application/xhtml+xml"
}

type pageScan struct {
	text         int  // visible characters in <body>, spaces collapsed
	scripts      int  // <script> elements with a src or code (not JSON data)
	emptyRoot    bool // an app mount point with nothing in it
	nextData     bool // <script id="__NEXT_DATA__">
	noscriptHint bool
}

// scan walks the token stream once; it needs no tree.
func scan(body []byte) pageScan {
	var s pageScan
	z := html.NewTokenizer(bytes.NewReader(body))
	var (
		inHead   bool
		skip     int    // depth inside script/style/template/noscript
		noscript bool   // inside <noscript>
		nsText   []byte // its text
		rootTag  atom.Atom
		rootName string
		rootOpen int // depth inside an app root, 0 when none is open
		rootFull bool
	)
	closeRoot := func() {
		if !rootFull {
			s.emptyRoot = true
		}
		rootOpen, rootTag, rootName = 0, 0, ""
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if rootOpen > 0 {
				closeRoot()
			}
			return s
		case html.StartTagToken, html.SelfClosingTagToken:
			tn, hasAttr := z.TagName()
			name := string(tn)
			a := atom.Lookup(tn)
			attrs := map[string]string{}
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				attrs[string(k)] = string(v)
			}
			switch a {
			case atom.Head:
				inHead = tt == html.StartTagToken
			case atom.Body:
				inHead = false
			case atom.Script:
				typ := strings.ToLower(attrs["type"])
				if attrs["id"] == "__NEXT_DATA__" {
					s.nextData = true
				}
				if typ == "" || strings.Contains(typ, "javascript") || typ == "module" {
					s.scripts++
				}
				if tt == html.StartTagToken {
					skip++
				}
				continue
			case atom.Style, atom.Template, atom.Title:
				if tt == html.StartTagToken {
					skip++
				}
				continue
			case atom.Noscript:
				if tt == html.StartTagToken {
					skip++
					noscript = true
				}
				continue
			}
			if rootOpen > 0 {
				if tt == html.StartTagToken && a == rootTag && name == rootName {
					rootOpen++
				}
				// Links, images and controls inside the root are
				// server-rendered content; bare wrappers and spinners are
				// not (their text is checked below).
				switch a {
				case atom.A, atom.Img, atom.Input, atom.Button, atom.Form, atom.Table, atom.Article:
					rootFull = true
				}
				continue
			}
			if tt == html.StartTagToken && (appRootIDs[attrs["id"]] || name == "app-root") {
				rootTag, rootName, rootOpen, rootFull = a, name, 1, false
			}
		case html.EndTagToken:
			tn, _ := z.TagName()
			a := atom.Lookup(tn)
			switch a {
			case atom.Head:
				inHead = false
			case atom.Script, atom.Style, atom.Template, atom.Title:
				if skip > 0 {
					skip--
				}
				continue
			case atom.Noscript:
				if skip > 0 {
					skip--
				}
				noscript = false
				low := strings.ToLower(string(nsText))
				for _, h := range noscriptHints {
					if strings.Contains(low, h) {
						s.noscriptHint = true
					}
				}
				nsText = nsText[:0]
				continue
			}
			if rootOpen > 0 && a == rootTag && string(tn) == rootName {
				rootOpen--
				if rootOpen == 0 {
					closeRoot()
				}
			}
		case html.TextToken:
			if noscript {
				if len(nsText) < 4096 {
					nsText = append(nsText, z.Text()...)
				}
				continue
			}
			if skip > 0 || inHead {
				continue
			}
			n := visibleLen(z.Text())
			s.text += n
			if rootOpen > 0 && n > 40 {
				// Real text inside the root: it was rendered on the server
				// (a "Loading…" placeholder is shorter).
				rootFull = true
			}
		}
	}
}

// visibleLen counts the characters of text with runs of white space
// counted as one.
func visibleLen(text []byte) int {
	n := 0
	space := true
	for _, r := range string(text) {
		switch r {
		case ' ', '\t', '\n', '\r', '\f', '\u00a0':
			if !space {
				n++
			}
			space = true
		default:
			n++
			space = false
		}
	}
	return n
}
