package extract

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// unsafeElements may never appear in the html format: they run script, load
// other documents, submit data, change how URLs resolve or switch the parser
// into a foreign namespace where the rules differ.
var unsafeElements = map[string]bool{
	"script": true, "style": true, "iframe": true, "frame": true, "frameset": true,
	"embed": true, "object": true, "applet": true, "param": true, "form": true,
	"input": true, "button": true, "textarea": true, "select": true, "option": true,
	"base": true, "meta": true, "link": true, "svg": true, "math": true,
	"template": true, "noscript": true, "xmp": true, "marquee": true, "isindex": true,
	"keygen": true, "video": true, "audio": true, "body": true, "html": true, "head": true,
}

// urlAttrs hold URLs a browser follows or loads.
var urlAttrs = map[string]bool{
	"href": true, "src": true, "cite": true, "action": true, "formaction": true,
	"poster": true, "background": true, "data": true, "xlink:href": true, "srcset": true,
	"longdesc": true, "usemap": true, "ping": true,
}

// dangerous lists what in s could run script or load a hostile document when
// a browser renders it: s is parsed the way a browser parses an HTML
// fragment inside a <div>, and every element and attribute is checked.
func dangerous(t testing.TB, s string) []string {
	t.Helper()
	ctx := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(s), ctx)
	if err != nil {
		return []string{"unparseable output: " + err.Error()}
	}
	var found []string
	for _, root := range nodes {
		walk(root, func(n *html.Node) bool {
			switch n.Type {
			case html.CommentNode:
				found = append(found, "comment <!--"+n.Data+"-->")
			case html.ElementNode:
				if unsafeElements[strings.ToLower(n.Data)] || n.Namespace != "" {
					found = append(found, "element <"+n.Data+">")
				}
				for _, a := range n.Attr {
					key := strings.ToLower(a.Key)
					if a.Namespace != "" {
						key = a.Namespace + ":" + key
					}
					switch {
					case strings.HasPrefix(key, "on"), key == "style", key == "srcdoc", key == "target", key == "id", key == "name":
						found = append(found, "attribute "+key+" on <"+n.Data+">")
					case key == "class" && !(n.DataAtom == atom.Pre && codeClass.MatchString(a.Val)):
						found = append(found, "class "+a.Val+" on <"+n.Data+">")
					case urlAttrs[key] && unsafeURL(a.Val, key == "srcset"):
						found = append(found, key+"="+a.Val+" on <"+n.Data+">")
					}
				}
			}
			return true
		})
	}
	return found
}

// unsafeURL reports whether any URL in v (one URL, or a srcset list) uses a
// scheme other than http, https and mailto, judged the way browsers read a
// URL: ASCII whitespace and control characters removed, case ignored.
func unsafeURL(v string, list bool) bool {
	parts := []string{v}
	if list {
		parts = strings.Split(v, ",")
	}
	for _, part := range parts {
		u := strings.Map(func(r rune) rune {
			if r <= ' ' || r == 0x7f {
				return -1
			}
			return r
		}, strings.ToLower(part))
		if i := strings.IndexByte(u, ':'); i >= 0 && !strings.ContainsAny(u[:i], "/?#") {
			switch u[:i] {
			case "http", "https", "mailto":
			default:
				return true
			}
		}
	}
	return false
}

func TestHTMLFormatIsSafe(t *testing.T) {
	tests := []struct {
		file string
		// keep are snippets the html format must still hold with the main
		// content; keepFull those it must hold for the whole page.
		keep, keepFull []string
	}{
		// A form inside an article is page chrome (sign-up and comment
		// boxes) and goes with the main content; the text around it stays.
		{"form.html", []string{"winter timetable for the island ferries"}, nil},
		{"iframe.html", []string{"Watch the meeting below"}, nil},
		{"embed-object.html", []string{"short film about the crossing"}, nil},
		{"data-url.html", []string{"full petition", "signatures"}, nil},
		{"base.html", []string{`<a href="https://courier.example/news/2026/ferry/timetable.html">the draft timetable</a>`}, nil},
		{"svg-script.html", []string{"number of passengers on each crossing"}, nil},
		{"entities.html", []string{"the cost figures", "the subsidy", "the fuel bill", "the crew rota", "the repair log"}, nil},
		{"mixed-case.html", []string{"every letter", "every email"}, nil},
		{"srcset.html", []string{`<img src="https://courier.example/img/ferry.jpg" srcset="https://courier.example/img/ferry@2x.jpg 2x" alt="The new ferry"/>`}, nil},
		{"meta-refresh.html", []string{"The draft timetable is attached"}, nil},
		{"math.html", []string{"The fare rise is the first in four years"}, nil},
		{"conditional-comments.html", []string{"The cafe on the lower deck"}, nil},
		{"event-handlers.html", []string{"<p>One passenger described", `<img src="https://courier.example/img/pier.jpg" alt="The pier"/>`}, nil},
		{"dangerous-elements.html", []string{"The regulator fined the company", `<a href="https://ok.example/">a safe link</a>`}, nil},
	}
	u := mustURL(t, "https://courier.example/news/2026/ferry/story")
	for _, tt := range tests {
		body, err := os.ReadFile(filepath.Join("testdata", "hostile", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		for _, main := range []bool{true, false} {
			name := tt.file + "/main"
			if !main {
				name = tt.file + "/full"
			}
			t.Run(name, func(t *testing.T) {
				res, err := Extract(body, u, Options{Formats: []string{FormatHTML, FormatMarkdown}, OnlyMainContent: main})
				if err != nil {
					t.Fatal(err)
				}
				for _, d := range dangerous(t, res.HTML) {
					t.Errorf("unsafe: %s", d)
				}
				if strings.Contains(strings.ToLower(res.Markdown), "javascript:") {
					t.Errorf("markdown links to javascript:\n%s", res.Markdown)
				}
				for _, k := range tt.keep {
					if !strings.Contains(res.HTML, k) {
						t.Errorf("html lost %q:\n%s", k, res.HTML)
					}
				}
				if !main {
					for _, k := range []string{"Island Courier", `<a href="https://courier.example/news">News</a>`} {
						if !strings.Contains(res.HTML, k) {
							t.Errorf("full-page html lost %q:\n%s", k, res.HTML)
						}
					}
				}
			})
		}
	}
}

// TestHTMLFormatKeeps pins what the html format keeps, so that tightening
// the policy cannot silently take content away.
func TestHTMLFormatKeeps(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"headings and paragraphs", `<h2 class="x" id="y">Title</h2><p>Text <em>em</em> <strong>strong</strong></p>`, `<h2>Title</h2><p>Text <em>em</em> <strong>strong</strong></p>`},
		{"lists", `<ol start="3"><li>a</li></ol><ul><li>b</li></ul><dl><dt>t</dt><dd>d</dd></dl>`, `<ol start="3"><li>a</li></ol><ul><li>b</li></ul><dl><dt>t</dt><dd>d</dd></dl>`},
		{"table", `<table><caption>c</caption><thead><tr><th colspan="2">h</th></tr></thead><tbody><tr><td rowspan="2">x</td><td>y</td></tr></tbody></table>`, `<table><caption>c</caption><thead><tr><th colspan="2">h</th></tr></thead><tbody><tr><td rowspan="2">x</td><td>y</td></tr></tbody></table>`},
		{"code", `<pre class="language-go"><code>x := 1 &lt; 2</code></pre><p><code>y</code> <kbd>k</kbd></p>`, `<pre class="language-go"><code>x := 1 &lt; 2</code></pre><p><code>y</code> <kbd>k</kbd></p>`},
		{"relative link made absolute", `<a href="../a?b=1#c" title="t">x</a>`, `<a href="https://example.com/a?b=1#c" title="t">x</a>`},
		{"mailto link", `<a href="mailto:desk@example.com">mail</a>`, `<a href="mailto:desk@example.com">mail</a>`},
		{"image", `<img src="/i.png" alt="a" width="10" height="20" class="c">`, `<img src="https://example.com/i.png" alt="a" width="10" height="20"/>`},
		{"quote and time", `<blockquote cite="https://example.org/q"><p>q</p></blockquote><time datetime="2026-01-02">2 Jan</time>`, `<blockquote cite="https://example.org/q"><p>q</p></blockquote><time datetime="2026-01-02">2 Jan</time>`},
		{"tel link keeps its text", `<a href="tel:+100">call</a>`, `call`},
		{"ftp image dropped", `<p>x<img src="ftp://example.com/i.png"></p>`, `<p>x</p>`},
	}
	u := mustURL(t, "https://example.com/dir/page")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Extract([]byte("<body><div>"+tt.in+"</div></body>"), u, Options{Formats: []string{FormatHTML}})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSuffix(strings.TrimPrefix(res.HTML, "<div>"), "</div>"); got != tt.want {
				t.Errorf("html\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}
