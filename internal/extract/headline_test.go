package extract

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestHeadline(t *testing.T) {
	var body strings.Builder
	for i := range 4 {
		body.WriteString(story(i))
	}
	article := "<article>" + body.String() + "</article>"
	tests := []struct {
		name  string
		head  string
		body  string
		opts  Options
		start string // what the Markdown starts with
	}{
		{
			name:  "h1 above the article",
			head:  `<title>Otters return | Gazette</title>`,
			body:  `<header><h1>Gazette</h1></header><main><h1>Otters return</h1>` + article + `</main>`,
			opts:  Options{Formats: []string{FormatMarkdown}, OnlyMainContent: true},
			start: "# Otters return\n\nParagraph 0",
		},
		{
			name:  "a title marked as a level-one heading by its role",
			head:  `<title>Otters return | Gazette</title><meta property="og:title" content="Otters return | Gazette">`,
			body:  `<div class="sc-3471ea"><div class="sc-d499b6" role="heading" aria-level="1">Otters return</div></div>` + article,
			opts:  Options{Formats: []string{FormatMarkdown}, OnlyMainContent: true},
			start: "# Otters return\n\nParagraph 0",
		},
		{
			name:  "og:title when no h1 matches",
			head:  `<title>Home</title><meta property="og:title" content="The otters are back">`,
			body:  `<header><h1>Gazette</h1></header>` + article,
			opts:  Options{Formats: []string{FormatMarkdown}, OnlyMainContent: true},
			start: "# The otters are back\n\nParagraph 0",
		},
		{
			name:  "title without the site name",
			head:  `<title>Plain scones, the old way - Grandma's Recipe Box</title>`,
			body:  article,
			opts:  Options{Formats: []string{FormatMarkdown}, OnlyMainContent: true},
			start: "# Plain scones, the old way\n\nParagraph 0",
		},
		{
			name:  "content with its own h1 is left alone",
			head:  `<title>Other title</title>`,
			body:  `<article><h1>Its own headline</h1>` + body.String() + `</article>`,
			opts:  Options{Formats: []string{FormatMarkdown}, OnlyMainContent: true},
			start: "# Its own headline\n\nParagraph 0",
		},
		{
			name:  "the heading that says the headline becomes the h1",
			head:  `<title>Section one</title>`,
			body:  `<article><h2>Section one</h2>` + body.String() + `</article>`,
			opts:  Options{Formats: []string{FormatMarkdown}, OnlyMainContent: true},
			start: "# Section one\n\nParagraph 0",
		},
		{
			name:  "omitted on request",
			head:  `<title>Otters return</title>`,
			body:  article,
			opts:  Options{Formats: []string{FormatMarkdown}, OnlyMainContent: true, OmitHeadline: true},
			start: "Paragraph 0",
		},
		{
			name:  "not added to the whole page",
			head:  `<title>Otters return</title>`,
			body:  article,
			opts:  Options{Formats: []string{FormatMarkdown}},
			start: "Paragraph 0",
		},
		{
			name:  "not added to chosen tags",
			head:  `<title>Otters return</title>`,
			body:  article,
			opts:  Options{Formats: []string{FormatMarkdown}, OnlyMainContent: true, IncludeTags: []string{"article"}},
			start: "Paragraph 0",
		},
		{
			name:  "markup in the title is escaped",
			head:  `<title>Use *args and [x] in C#</title>`,
			body:  article,
			opts:  Options{Formats: []string{FormatMarkdown}, OnlyMainContent: true},
			start: "# Use \\*args and \\[x\\] in C\\#\n\n",
		},
		{
			name:  "no title at all",
			body:  article,
			opts:  Options{Formats: []string{FormatMarkdown}, OnlyMainContent: true},
			start: "Paragraph 0",
		},
	}
	u := mustURL(t, "https://example.com/story")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := "<html><head>" + tt.head + "</head><body>" + tt.body + "</body></html>"
			res, err := Extract([]byte(page), u, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(res.Markdown, tt.start) {
				t.Errorf("markdown starts %q, want %q", res.Markdown[:min(len(res.Markdown), 80)], tt.start)
			}
			if strings.Count(res.Markdown, "\n# ")+boolInt(strings.HasPrefix(res.Markdown, "# ")) > 1 {
				t.Errorf("more than one headline:\n%s", res.Markdown)
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestMarkdownGolden pins the Markdown of the main content of whole pages:
// headline, headings, lists, tables, definition lists and code blocks.
func TestMarkdownGolden(t *testing.T) {
	// The last four are pages of the labelled non-news set the extraction
	// evaluator scores (bench/testdata/nonnews), read from there.
	const nonnews = "../../bench/testdata/nonnews/"
	pages := []struct {
		file, url, golden string
	}{
		{"testdata/docs.html", "https://docs.example.dev/v2/guide/configure", "docs"},
		{"testdata/article.html", "https://gazette.example.co.uk/nature/otters-return", "article"},
		{nonnews + "docs-api-reference.html", "https://cirrus.example/docs/api/buckets", "api-reference"},
		{nonnews + "changelog-keepachangelog.html", "https://pebble.example/changelog", "changelog"},
		{nonnews + "recipe-plain.html", "http://recipebox.example/scones.html", "recipe"},
		{nonnews + "faq-bank-dl.html", "https://harbourside.example/savings/faq", "faq"},
		// The structure-fidelity pages, see TestMarkdownStructure.
		{"testdata/structure/guide.html", "https://snapkeep.example/docs/backups/", "structure-guide"},
		{"testdata/structure/blogpost.html", "https://crumb.example/rye-sourdough/", "structure-blogpost"},
		{"testdata/structure/news.html", "https://courier.example/news/ferry-timetable", "structure-news"},
	}
	for _, pg := range pages {
		t.Run(pg.golden, func(t *testing.T) {
			body, err := os.ReadFile(pg.file)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Extract(body, mustURL(t, pg.url), Options{Formats: []string{FormatMarkdown}, OnlyMainContent: true})
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "markdown", pg.golden+".md")
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
		})
	}
}
