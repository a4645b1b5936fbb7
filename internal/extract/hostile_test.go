package extract

import (
	"errors"
	"strings"
	"testing"
)

// hostilePages are inputs built to hurt a parser: each must finish without
// a panic, either with a result or with one of the package's errors.
func hostilePages(small bool) []struct{ name, body string } {
	n := 1
	if small {
		n = 10
	}
	return []struct{ name, body string }{
		{"100k nested divs", strings.Repeat("<div>", 100_000/n) + "deep" + strings.Repeat("</div>", 100_000/n)},
		{"nested divs just under the parser limit", strings.Repeat("<div>", 500) + "<p>deep text</p>"},
		{"100k nested formatting tags", strings.Repeat("<b><i>", 50_000/n) + "x"},
		{"nested tables", strings.Repeat("<table><tr><td>", 20_000/n)},
		{"nested lists", strings.Repeat("<ul><li>", 50_000/n)},
		{"nested itemscopes", strings.Repeat(`<div itemscope itemtype="https://schema.org/Product" itemprop="isRelatedTo">`, 400)},
		{"8 MB attribute", `<div title="` + strings.Repeat("a", 8<<20/n) + `">x</div>`},
		{"8 MB href", `<a href="/` + strings.Repeat("a", 8<<20/n) + `">x</a>`},
		{"one million tiny elements", strings.Repeat("<b>x</b>", 1_000_000/n)},
		{"many links", strings.Repeat(`<a href="/p?i=1">l</a>`, 200_000/n)},
		{"many like siblings", "<main>" + strings.Repeat(`<div class="row"><a href="/x">item</a> note</div>`, 100_000/n) + "</main>"},
		{"many paragraphs", strings.Repeat("<p>Some words in a sentence that goes on.</p>", 200_000/n)},
		{"many JSON-LD blocks", strings.Repeat(`<script type="application/ld+json">{"@type":"Product","name":"x","offers":[{"price":"1"}]}</script>`, 50_000/n)},
		{"deep JSON-LD", `<script type="application/ld+json">` + strings.Repeat(`{"a":[`, 10_000) + strings.Repeat(`]}`, 10_000) + `</script>`},
		{"huge text node", "<p>" + strings.Repeat("word ", 2_000_000/n) + "</p>"},
		{"unclosed comment", "<p>a</p><!--" + strings.Repeat("x", 1<<20)},
		{"many srcset candidates", `<img srcset="` + strings.Repeat("/i.png 1x,", 200_000/n) + `">`},
		{"many e-mail fields deep down", strings.Repeat("<div>", 400) + strings.Repeat(`<input type="email">`, 5000/n) + strings.Repeat("</div>", 400)},
		{"nested sign-up boxes", strings.Repeat(`<div><p>Sign up</p><input type="email">`, 400) + strings.Repeat("</div>", 400)},
		{"nested questions with buttons", strings.Repeat(`<div>Was it good? <button>Y</button><button>N</button>`, 400) + strings.Repeat("</div>", 400)},
		{"a huge table with column headers", "<main><p>" + strings.Repeat("word ", 50) + "</p></main><div><table><tr><th>a</th><th>b</th></tr>" + strings.Repeat("<tr><td>k</td><td>v</td></tr>", 50_000/n) + "</table></div>"},
		{"many cards", "<main>" + strings.Repeat(`<div class="c"><h3><a href="/x">title here</a></h3><p>desc</p></div>`, 50_000/n) + "</main>"},
		{"nested posts", strings.Repeat(`<div class="p"><article><a href="/u">user name</a><p>post text here</p>`, 300) + strings.Repeat("</article></div>", 300)},
		{"binary garbage", string([]byte{0xff, 0xfe, 0x00, 0x3c, 0x00, 0x70, 0x00, 0x3e, 0x80, 0x81})},
	}
}

func TestHostileInputs(t *testing.T) {
	opts := Options{Formats: allFormats, OnlyMainContent: true}
	for _, tt := range hostilePages(testing.Short() || raceDetector) {
		t.Run(tt.name, func(t *testing.T) {
			for _, main := range []bool{true, false} {
				opts.OnlyMainContent = main
				res, err := Extract([]byte(tt.body), mustURL(t, "https://example.com/"), opts)
				if err != nil {
					if errors.Is(err, ErrInternal) {
						t.Fatalf("internal error: %v", err)
					}
					if !errors.Is(err, ErrParse) && !errors.Is(err, ErrTooLarge) {
						t.Fatalf("unexpected error: %v", err)
					}
					continue
				}
				if res == nil {
					t.Fatal("nil result without error")
				}
			}
		})
	}
}
