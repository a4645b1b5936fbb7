package extract

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// mdSkeleton is the structure of a Markdown document, independent of its
// spacing and of how its text wraps: what a reader (or a language model)
// needs to find its way through the page.
type mdSkeleton struct {
	Headings []string // "## Title", in order
	Items    []string // list items as "depth marker text-start", in order
	Fences   []string // the language of each fenced code block
	Tables   []int    // the number of body rows of each table
	Links    int
	Images   []string // alt texts
	Quotes   int      // block quote lines
	Rules    int
}

var (
	mdHeading = regexp.MustCompile(`^(#{1,6}) (.+)$`)
	mdItem    = regexp.MustCompile(`^( *)([-*+]|\d+\.) (.+)$`)
	mdLink    = regexp.MustCompile(`[^!]\[[^\]]*\]\([^)]+\)|^\[[^\]]*\]\([^)]+\)`)
	mdImage   = regexp.MustCompile(`!\[([^\]]*)\]\([^)]+\)`)
)

func skeleton(md string) mdSkeleton {
	var s mdSkeleton
	inFence := false
	table := -1
	var columns []int // content columns of the open list items
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "```") {
			if !inFence {
				s.Fences = append(s.Fences, strings.TrimPrefix(line, "```"))
			}
			inFence = !inFence
			continue
		}
		if inFence {
			continue
		}
		switch {
		case strings.HasPrefix(line, "|"):
			if table < 0 {
				s.Tables = append(s.Tables, -1) // the header row
				table = len(s.Tables) - 1
			}
			if !strings.HasPrefix(line, "|-") && !strings.HasPrefix(line, "| -") {
				s.Tables[table]++
			}
			continue
		case line == "* * *" || line == "---" || line == "***":
			s.Rules++
			table = -1
			continue
		case strings.HasPrefix(line, ">"):
			s.Quotes++
		}
		table = -1
		if m := mdHeading.FindStringSubmatch(line); m != nil {
			s.Headings = append(s.Headings, m[1]+" "+m[2])
		}
		if m := mdItem.FindStringSubmatch(line); m != nil {
			// The depth of an item is how many open items' content it
			// is indented into.
			indent := len(m[1])
			for len(columns) > 0 && indent < columns[len(columns)-1] {
				columns = columns[:len(columns)-1]
			}
			depth := len(columns)
			columns = append(columns, indent+len(m[2])+1)
			marker := "-"
			if strings.HasSuffix(m[2], ".") {
				marker = "1."
			}
			words := strings.Fields(m[3])
			s.Items = append(s.Items, strings.Repeat(">", depth)+marker+" "+strings.Join(words[:min(3, len(words))], " "))
		} else if line != "" && line[0] != ' ' {
			columns = nil
		}
		s.Links += len(mdLink.FindAllString(line, -1))
		for _, m := range mdImage.FindAllStringSubmatch(line, -1) {
			s.Images = append(s.Images, m[1])
		}
	}
	return s
}

// TestMarkdownStructure checks that the Markdown of pages with known
// structure keeps it: headings and their levels, nested lists, tables,
// code blocks with their language, links, images and quotes, and that the
// page's chrome and edge boilerplate are gone. The golden files of
// TestMarkdownGolden pin the exact text; this test says what must hold
// whatever the spacing.
func TestMarkdownStructure(t *testing.T) {
	tests := []struct {
		file, url string
		want      mdSkeleton
		lacks     []string
	}{
		{
			file: "guide.html", url: "https://snapkeep.example/docs/backups/",
			want: mdSkeleton{
				Headings: []string{"# Backups with snapkeep", "## Your first backup", "## What gets saved", "### Options", "### From a program", "## Scheduling"},
				Items: []string{
					"1. Files matching a", ">- Patterns use the", ">- A pattern ending", ">>- Nested ignore files",
					"1. Files larger than", "1. Everything else is",
				},
				Fences: []string{"shell", "go"},
				Tables: []int{3},
				Links:  2,
				Images: []string{"Three snapshots sharing most of their chunks"},
				Quotes: 1,
			},
			lacks: []string{"Pricing", "Was this page helpful", "Privacy", "© 2026"},
		},
		{
			file: "blogpost.html", url: "https://crumb.example/rye-sourdough/",
			want: mdSkeleton{
				Headings: []string{"# Rye sourdough for beginners", "## What you need", "## Method"},
				Items: []string{"- 300 g dark", "- 100 g active", "- 280 g warm", "- 8 g salt",
					"1. Mix everything into", "1. Press the paste", "1. Leave it until", "1. Bake at 230"},
				Images: []string{"A sliced rye loaf on a board"},
			},
			lacks: []string{"Pin it", "pinterest", "Share this", "Related", "Spelt bread", "starter-350x200", "Newsletter", "by Nora", "January 20"},
		},
		{
			file: "news.html", url: "https://courier.example/news/ferry-timetable",
			want: mdSkeleton{
				Headings: []string{"# Ferry timetable cut as crew shortage bites", "## Which sailings go", "## What passengers can do"},
				Items:    []string{"- Tickets for cancelled", "- Hospital patients can"},
				Tables:   []int{2},
			},
			lacks: []string{"More from Island Courier", "Harbour wall", "Transport correspondent", "Sport"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body, err := os.ReadFile("testdata/structure/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Extract(body, mustURL(t, tt.url), Options{Formats: []string{FormatMarkdown}, OnlyMainContent: true})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, skeleton(res.Markdown)); diff != "" {
				t.Errorf("structure differs (-want +got):\n%s\n\n%s", diff, res.Markdown)
			}
			for _, l := range tt.lacks {
				if strings.Contains(res.Markdown, l) {
					t.Errorf("Markdown holds %q:\n%s", l, res.Markdown)
				}
			}
		})
	}
}

func TestSkeleton(t *testing.T) {
	md := "# T\n\nSee [a](https://x.example/a) and ![pic](https://x.example/p.png).\n\n" +
		"- one\n  - two\n1. three\n\n```go\nx := 1\n# not a heading\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n> q\n\n* * *\n"
	want := mdSkeleton{
		Headings: []string{"# T"}, Items: []string{"- one", ">- two", "1. three"}, Fences: []string{"go"},
		Tables: []int{1}, Links: 1, Images: []string{"pic"}, Quotes: 1, Rules: 1,
	}
	if diff := cmp.Diff(want, skeleton(md)); diff != "" {
		t.Errorf("skeleton (-want +got):\n%s", diff)
	}
}
