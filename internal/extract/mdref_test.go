package extract

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	mdconv "github.com/JohannesKaufmann/html-to-markdown/v2/converter"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/base"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/commonmark"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/strikethrough"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/table"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The Markdown writer replaced a conversion by html-to-markdown. The
// differential test below renders the same content nodes with both and
// checks that the writer loses nothing the converter kept: every word, every
// link and image URL. Run it over a directory of pages (.html or .html.gz):
//
//	SPIDERGO_MARKDOWN_PAGES=/path/to/pages go test -run TestMarkdownDifferential ./internal/extract
//
// SPIDERGO_MARKDOWN_DIFF=dir also writes each page's two renderings and
// their diff there for reading.

var blankLines = regexp.MustCompile(`\n{3,}`)

var referenceConverter = sync.OnceValue(func() *mdconv.Converter {
	return mdconv.NewConverter(mdconv.WithPlugins(
		base.NewBasePlugin(),
		commonmark.NewCommonmarkPlugin(),
		table.NewTablePlugin(),
		strikethrough.NewStrikethroughPlugin(),
	))
})

func referenceMarkdown(t testing.TB, html string) string {
	t.Helper()
	md, err := referenceConverter().ConvertString(html)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(blankLines.ReplaceAllString(string(md), "\n\n"))
}

var (
	mdWord    = regexp.MustCompile(`[\p{L}\p{N}]+`)
	mdURL     = regexp.MustCompile(`\]\(((?:\\.|[^)\s\\])+)`)
	mdEscapes = regexp.MustCompile(`\\([!-/:-@\[-` + "`" + `{-~])`)
	// The converter separated adjacent lists with this comment and numbered
	// long lists 01., 02. …
	mdListSeparator = regexp.MustCompile(`<!--THE END-->`)
	mdOrderedMarker = regexp.MustCompile(`(?m)^[ >]*\d+\. `)
	mdURLEscape     = strings.NewReplacer(`\(`, "(", `\)`, ")", "%20", " ")
)

// mdWords are the words of a rendering, escapes and URLs left out, and
// the words joined in their order.
func mdWords(md string) (map[string]int, string) {
	md = mdURL.ReplaceAllString(md, "](")
	md = mdListSeparator.ReplaceAllString(md, "")
	md = mdOrderedMarker.ReplaceAllString(md, "")
	md = mdEscapes.ReplaceAllString(md, "$1")
	md = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(md)
	words := map[string]int{}
	all := mdWord.FindAllString(md, -1)
	for _, w := range all {
		words[w]++
	}
	return words, strings.Join(all, "")
}

func mdURLs(md string) []string {
	var urls []string
	for _, m := range mdURL.FindAllStringSubmatch(md, -1) {
		u := mdURLEscape.Replace(m[1])
		if d, err := url.PathUnescape(u); err == nil {
			u = d
		}
		u = collapseSpace(strings.TrimSuffix(strings.ReplaceAll(u, "+", " "), "#"))
		urls = append(urls, u)
	}
	slices.Sort(urls)
	return slices.Compact(urls)
}

func readPage(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(path, ".gz") {
		z, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if b, err = io.ReadAll(z); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func TestMarkdownDifferential(t *testing.T) {
	dir := os.Getenv("SPIDERGO_MARKDOWN_PAGES")
	if dir == "" {
		t.Skip("SPIDERGO_MARKDOWN_PAGES is not set")
	}
	out := os.Getenv("SPIDERGO_MARKDOWN_DIFF")
	var files []string
	for _, pat := range []string{"*.html", "*.html.gz", "*/*.html", "*/*.html.gz"} {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatalf("no pages under %s", dir)
	}
	u, _ := url.Parse("https://example.com/page")
	same := 0
	for _, f := range files {
		for _, main := range []bool{true, false} {
			doc, err := parse(decode(readPage(t, f)))
			if err != nil {
				t.Fatal(err)
			}
			p := newPage(doc, u)
			sel, _ := compileSelectors(nil, nil)
			node := p.selectContent(Options{Formats: []string{FormatMarkdown}, OnlyMainContent: main}, sel).node
			// A <title> misplaced in the body is the page's title, not its
			// content; the converter printed it, the writer leaves it out.
			var titles []*html.Node
			walk(node, func(n *html.Node) bool {
				if n.Type == html.ElementNode && n.DataAtom == atom.Title && n.Namespace == "" {
					titles = append(titles, n)
				}
				return true
			})
			for _, n := range titles {
				n.Parent.RemoveChild(n)
			}
			got := toMarkdown(node)
			want := referenceMarkdown(t, toHTML(node))
			name := strings.TrimSuffix(filepath.Base(f), ".gz")
			if !main {
				name += ".full"
			}
			if got == want {
				same++
				continue
			}
			gw, joined := mdWords(got)
			ww, _ := mdWords(want)
			for w, n := range ww {
				// The converter glued the words of adjacent blocks together
				// ("PossibleThe"); the writer separates them.
				if gw[w] < n && (gw[w] > 0 || !strings.Contains(joined, w)) {
					t.Errorf("%s: word %q appears %d times, the converter had it %d times", name, w, gw[w], n)
				}
			}
			gu := mdURLs(got)
			for _, l := range mdURLs(want) {
				// A URL the converter wrote with white space in it is cut
				// there by mdURL.
				// The converter rewrote mailto: links with white space in
				// them to mailto://.
				if strings.HasPrefix(l, "mailto:") {
					continue
				}
				if i, found := slices.BinarySearch(gu, l); !found && (i == len(gu) || !strings.HasPrefix(gu[i], l)) {
					t.Errorf("%s: URL %s is missing", name, l)
				}
			}
			if out != "" {
				base := filepath.Join(out, name)
				_ = os.WriteFile(base+".new.md", []byte(got), 0o644)
				_ = os.WriteFile(base+".old.md", []byte(want), 0o644)
				_ = os.WriteFile(base+".diff", []byte(cmp.Diff(want, got)), 0o644)
			}
		}
	}
	t.Logf("%d of %d renderings identical", same, 2*len(files))
}
