package extract

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"golang.org/x/net/html"
)

// mdOf renders the body of a fragment as the content stage does.
func mdOf(t *testing.T, fragment string) string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader("<html><body>" + fragment + "</body></html>"))
	if err != nil {
		t.Fatal(err)
	}
	p := newPage(doc, nil)
	markCodeLanguages(p.body)
	tidy(p.body)
	return toMarkdown(p.body)
}

// TestMarkdownWriterBuiltNodes renders elements a pass built by name,
// without their atom, as the parser's own.
func TestMarkdownWriterBuiltNodes(t *testing.T) {
	root := &html.Node{Type: html.ElementNode, Data: "div"}
	for _, text := range []string{"first", "second"} {
		p := &html.Node{Type: html.ElementNode, Data: "p"}
		p.AppendChild(&html.Node{Type: html.TextNode, Data: text})
		root.AppendChild(p)
	}
	ul := &html.Node{Type: html.ElementNode, Data: "ul"}
	li := &html.Node{Type: html.ElementNode, Data: "li"}
	li.AppendChild(&html.Node{Type: html.TextNode, Data: "item"})
	ul.AppendChild(li)
	root.AppendChild(ul)
	if got, want := toMarkdown(root), "first\n\nsecond\n\n- item"; got != want {
		t.Errorf("toMarkdown = %q, want %q", got, want)
	}
}

func TestMarkdownWriter(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"paragraphs", "<p>One</p><p>Two</p>", "One\n\nTwo"},
		{"white space collapses", "<p>  a \n\t b  <b> c </b> d </p>", "a b **c** d"},
		{"text between blocks", "<div>lead<p>para</p>tail</div>", "lead\n\npara\n\ntail"},
		{"headings", "<h1>Title</h1><h3>Sub <em>part</em></h3>", "# Title\n\n### Sub *part*"},
		{"heading on one line", "<h2>two<br>lines</h2>", "## two lines"},
		{"heading closing hashes", "<h2>Learn C #</h2>", "## Learn C \\#"},
		{"empty heading", "<h2> </h2><p>x</p>", "x"},
		{"emphasis", "<p><em>a</em> <strong>b</strong> <del>c</del> <i>d</i><b>e</b></p>", "*a* **b** ~~c~~ *d***e**"},
		{"nested emphasis not doubled", "<p><b>x <strong>y</strong> z</b></p>", "**x y z**"},
		{"spaces move outside emphasis", "<p>a<em> b </em>c</p>", "a *b* c"},
		{"no-break space outside emphasis", "<p><b>x\u00a0</b>y</p>", "**x**\u00a0y"},
		{"emphasis around paragraphs", "<b><p>one</p><p>two</p></b>", "one\n\ntwo"},
		{"empty emphasis", "<p>a<em> </em>b</p>", "a b"},
		{"link", `<p>See <a href="https://e.example/x" title="The &quot;X&quot;">the x</a>.</p>`, `See [the x](https://e.example/x "The \"X\"").`},
		{"link without text", `<p>a <a href="https://e.example/"> </a>b</p>`, "a b"},
		{"link URL escaped", `<p><a href="https://e.example/a (b)/c d">x</a></p>`, `[x](https://e.example/a%20\(b\)/c%20d)`},
		{"link with block inside", `<a href="https://e.example/s"><h3>Story</h3><p>Teaser</p></a>`, "[Story Teaser](https://e.example/s)"},
		{"image", `<p><img src="https://e.example/i.png" alt="A [b]"></p>`, `![A \[b\]](https://e.example/i.png)`},
		{"linked image", `<p><a href="https://e.example/"><img src="https://e.example/i.png" alt="i"></a></p>`, "[![i](https://e.example/i.png)](https://e.example/)"},
		{"svg title names a link", `<p><a href="https://e.example/"><svg><title>Logo</title><path d="M0"/></svg></a></p>`, "[Logo](https://e.example/)"},
		{"br", "<p>one<br>two<br><br>three<br></p>", "one  \ntwo  \nthree"},
		{"inline code", "<p>run <code>go  test</code> and <code>a`b</code></p>", "run `go test` and ``a`b``"},
		{"code block with language", `<pre class="language-go"><code>func main() {
	fmt.Println("*x*")
}
</code></pre>`, "```go\nfunc main() {\n\tfmt.Println(\"*x*\")\n}\n```"},
		{"code block with fences inside", "<pre>a\n```\nb</pre>", "````\na\n```\nb\n````"},
		{"code block br", "<pre>a<br>b</pre>", "```\na\nb\n```"},
		{"unordered list", "<ul><li>a</li><li>b <em>c</em></li></ul>", "- a\n- b *c*"},
		{"ordered list start", `<ol start="9"><li>nine</li><li>ten</li></ol>`, "9. nine\n10. ten"},
		{"nested list", "<ul><li>a<ul><li>b<ol><li>c</li></ol></li></ul></li><li>d</li></ul>", "- a\n  - b\n    1. c\n- d"},
		{"nested list not starting at one", `<ul><li>a<ol start="3"><li>c</li></ol></li></ul>`, "- a\n\n  3. c"},
		{"list in list", "<ul><li>a</li><ul><li>b</li></ul></ul>", "- a\n  - b"},
		{"item with paragraphs", "<ol><li><p>one</p><p>more</p></li><li>two</li></ol>", "1. one\n\n   more\n2. two"},
		{"empty item", "<ul><li> </li><li>x</li></ul>", "- x"},
		{"blockquote", "<blockquote><p>q1</p><p>q2</p></blockquote>", "> q1\n>\n> q2"},
		{"quote in list", "<ul><li><blockquote>q</blockquote></li></ul>", "- > q"},
		{"table", "<table><tr><th>Name</th><th>Value</th></tr><tr><td>a|b</td><td>1</td></tr><tr><td>long name</td><td></td></tr></table>",
			"| Name      | Value |\n|-----------|-------|\n| a\\|b      | 1     |\n| long name |       |"},
		{"table colspan", `<table><tr><td colspan="2">wide</td></tr><tr><td>a</td><td>b</td></tr></table>`,
			"| wide |   |\n|------|---|\n| a    | b |"},
		{"table caption and cell breaks", "<table><caption>Cap</caption><tr><td>x<br>y</td></tr><tr><td>z</td></tr></table>",
			"Cap\n\n| x y |\n|-----|\n| z   |"},
		{"layout table", "<table><tr><td><p>left</p></td><td><p>right</p></td></tr></table>", "left\n\nright"},
		{"hr", "<p>a</p><hr><p>b</p>", "a\n\n* * *\n\nb"},
		{"escapes", "<p>2 * 3 = *6* and snake_case _x_ [a](b) &lt;tag&gt; &amp;copy; a~~b</p>",
			`2 * 3 = \*6\* and snake_case \_x\_ [a\](b) \<tag> \&copy; a\~\~b`},
		{"line starts", "<p># not a heading</p><p>- not a list</p><p>1. not a list</p><p>&gt; not a quote</p><p>2026. A year</p>",
			"\\# not a heading\n\n\\- not a list\n\n1\\. not a list\n\n\\> not a quote\n\n2026\\. A year"},
		{"line start after break", "<p>x<br>+ y</p>", "x  \n\\+ y"},
		{"skipped elements", "<p>a<video>v</video><iframe></iframe>b</p>", "ab"},
		{"figure", `<figure><img src="https://e.example/i.png" alt="i"><figcaption>Cap</figcaption></figure>`, "![i](https://e.example/i.png)\n\nCap"},
		{"definition list", "<dl><dt>Term</dt><dd>Meaning</dd><dt><b>Bold</b> term:</dt><dd>One</dd><dd>Two</dd></dl>", "**Term**\n\nMeaning\n\n**Bold term:**\n\nOne\n\nTwo"},
		{"term holding blocks", "<dl><dt><p>Para term</p></dt><dd>x</dd></dl>", "Para term\n\nx"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, mdOf(t, c.in)); diff != "" {
				t.Errorf("markdown of %q (-want +got):\n%s", c.in, diff)
			}
		})
	}
}

// TestMarkdownWriterGolden renders a page holding every construct the
// writer handles; testdata/markdown/writer.md is the reviewed output.
func TestMarkdownWriterGolden(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("testdata", "markdown", "writer.html"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Extract(body, mustURL(t, "https://docs.example.dev/guide/writer"), Options{Formats: []string{FormatMarkdown}})
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "markdown", "writer.md")
	got := res.Markdown + "\n"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("markdown differs from %s (-want +got):\n%s", golden, diff)
	}
}

// TestMarkdownWriterParses reads the golden Markdown back with a CommonMark
// parser (GitHub extensions on) and checks that it means what the page
// said: each construct comes back as its element, and escaped text stays
// text.
func TestMarkdownWriterParses(t *testing.T) {
	md, err := os.ReadFile(filepath.Join("testdata", "markdown", "writer.md"))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert(md, &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"<h1>Writing Markdown</h1>",
		"<em>every</em>", "<strong>writer</strong>", "<code>inline code</code>", "<del>old</del>",
		`<a href="https://docs.example.dev/guide/links" title="About links">relative link</a>`,
		"Line one<br>\nLine two<br>\nLine three",
		`<pre><code class="language-python">def greet(name):`,
		"# *not* emphasis",
		`<pre><code class="language-sh">go test ./...` + "\n```\n</code></pre>",
		`<ol start="3">`, "<li>four\n<ul>\n<li>deep</li>",
		"<p>Second paragraph.</p>",
		"<blockquote>\n<p>A quote with a", "<p>And a second paragraph.</p>\n</blockquote>",
		`<img src="https://docs.example.dev/img/diagram.png" alt="The [pipeline] diagram" title="Pipeline">`,
		`<a href="https://docs.example.dev/home"><img src="https://docs.example.dev/img/logo.png" alt="Home"></a>`,
		"<th>Option</th>", "<td>How deep a crawl goes | links</td>", "<td>Keep the article only</td>",
		"Stars: 2 * 3, *not emphasis*, snake_case_name, _underscored_, [brackets](not a link), &lt;b&gt;not html&lt;/b&gt;, AT&amp;T, &amp;amp; and ~~not struck~~.",
		"<p>1. Not a list, # not a heading, - not an item.</p>",
		"<p>+ plus at the start</p>",
		"<hr>",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the parsed Markdown lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(got)
	}
}
