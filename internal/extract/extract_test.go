package extract

import (
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func extractArticle(t *testing.T, opts Options) *Result {
	t.Helper()
	res, err := Extract(readTestdata(t, "article.html"), mustURL(t, "https://gazette.example.co.uk/nature/otters-return"), opts)
	if err != nil {
		t.Fatalf("Extract: %v", err)
	}
	return res
}

func TestFormats(t *testing.T) {
	type present struct {
		Markdown, Text, HTML, RawHTML, Images, Metadata, Products, StructuredData, Links bool
	}
	tests := []struct {
		name    string
		formats []string
		want    present
	}{
		{"default", nil, present{Markdown: true, Text: true, Metadata: true, Links: true}},
		{"markdown only", []string{FormatMarkdown}, present{Markdown: true, Links: true}},
		{"text only", []string{FormatText}, present{Text: true, Links: true}},
		{"html and raw", []string{FormatHTML, FormatRawHTML}, present{HTML: true, RawHTML: true, Links: true}},
		{"data only", []string{FormatImages, FormatMetadata, FormatProducts, FormatStructuredData},
			present{Images: true, Metadata: true, Products: true, StructuredData: true, Links: true}},
		{"links only still fills links", []string{FormatLinks}, present{Links: true}},
		{"unknown names are ignored", []string{"screenshot"}, present{Links: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := extractArticle(t, Options{Formats: tt.formats, OnlyMainContent: true})
			got := present{
				Markdown:       res.Markdown != "",
				Text:           res.Text != "",
				HTML:           res.HTML != "",
				RawHTML:        res.RawHTML != "",
				Images:         res.Images != nil,
				Metadata:       res.Metadata != nil,
				Products:       res.Products != nil,
				StructuredData: res.StructuredData != nil,
				Links:          len(res.Links.Internal) > 0,
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("outputs present (-want +got):\n%s", diff)
			}
			if res.Title == "" {
				t.Error("Title is always filled")
			}
		})
	}
}

func TestOnlyMainContent(t *testing.T) {
	boilerplate := []string{
		"We use cookies", "Related stories", "Most read", "Get the Nature newsletter",
		"3 comments", "Riverside Gazette. Privacy", "Photo: Sam Ward", "By Hannah Reed", "Share",
	}
	article := []string{"Otters are breeding again", "A slow recovery", "Three bridges proposed", "county wildlife trust"}
	tests := []struct {
		main        bool
		boilerplate bool
	}{{true, false}, {false, true}}
	for _, tt := range tests {
		name := "full page"
		if tt.main {
			name = "main content"
		}
		t.Run(name, func(t *testing.T) {
			res := extractArticle(t, Options{Formats: []string{FormatText, FormatMarkdown}, OnlyMainContent: tt.main})
			for _, s := range article {
				if !strings.Contains(res.Text, s) {
					t.Errorf("text lacks article part %q", s)
				}
			}
			for _, s := range boilerplate {
				if strings.Contains(res.Text, s) != tt.boilerplate {
					t.Errorf("text contains %q = %v, want %v", s, !tt.boilerplate, tt.boilerplate)
				}
			}
		})
	}
}

func TestIncludeExcludeTags(t *testing.T) {
	tests := []struct {
		name             string
		include, exclude []string
		main             bool
		want, notWant    []string
	}{
		{
			name:    "include keeps only the matches",
			include: []string{"h2", "ul li:first-child"},
			want:    []string{"A slow recovery", "Eleven otters recorded", "Related stories", "[Beavers released"},
			notWant: []string{"Otters are breeding again", "Two breeding families"},
		},
		{
			name:    "exclude removes matches from the full page",
			exclude: []string{"header", "footer", ".sidebar", "#comments"},
			want:    []string{"Otters are breeding again", "Related stories"},
			notWant: []string{"[News]", "Most read", "3 comments", "Privacy"},
		},
		{
			name:    "exclude applies before main-content detection",
			exclude: []string{"article ul"},
			main:    true,
			want:    []string{"Otters are breeding again"},
			notWant: []string{"Eleven otters recorded"},
		},
		{
			name:    "excluding the body leaves no content",
			exclude: []string{"body"},
			notWant: []string{"Otters", "News"},
		},
		{
			name:    "include matching the body keeps it all",
			include: []string{"*"},
			want:    []string{"Otters are breeding again", "Most read"},
		},
		{
			name:    "include wins over main content",
			include: []string{".comments"},
			main:    true,
			want:    []string{"Wonderful news"},
			notWant: []string{"Otters are breeding again"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := extractArticle(t, Options{Formats: []string{FormatMarkdown}, OnlyMainContent: tt.main, IncludeTags: tt.include, ExcludeTags: tt.exclude})
			for _, s := range tt.want {
				if !strings.Contains(res.Markdown, s) {
					t.Errorf("markdown lacks %q:\n%s", s, res.Markdown)
				}
			}
			for _, s := range tt.notWant {
				if strings.Contains(res.Markdown, s) {
					t.Errorf("markdown contains %q:\n%s", s, res.Markdown)
				}
			}
		})
	}
}

func TestInvalidSelectors(t *testing.T) {
	tests := []struct {
		name             string
		include, exclude []string
		wantIn           string
	}{
		{"unclosed attribute", []string{"div[class"}, nil, "include_tags"},
		{"bad pseudo class", nil, []string{"p:nonsense"}, "exclude_tags"},
		{"empty", nil, []string{"  "}, "exclude_tags"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateSelectors(tt.include, tt.exclude)
			if !errors.Is(err, ErrInvalidSelector) {
				t.Fatalf("ValidateSelectors = %v, want ErrInvalidSelector", err)
			}
			if !strings.Contains(err.Error(), tt.wantIn) {
				t.Errorf("error %q does not name %s", err, tt.wantIn)
			}
			_, err = Extract([]byte("<p>x</p>"), nil, Options{IncludeTags: tt.include, ExcludeTags: tt.exclude})
			if !errors.Is(err, ErrInvalidSelector) {
				t.Errorf("Extract = %v, want ErrInvalidSelector", err)
			}
		})
	}
	if err := ValidateSelectors([]string{"article > p", "div.main, #content"}, []string{"[data-ad]"}); err != nil {
		t.Errorf("valid selectors refused: %v", err)
	}
}

const linksPage = `<html><head><base href="/docs/"></head><body>
<a href="intro">relative to base</a>
<a href="/about#team">fragment dropped</a>
<a href="/about">duplicate</a>
<a href="#top">same page</a>
<a href="https://blog.example.com/post">subdomain</a>
<a href="http://www.example.com/contact">www host</a>
<a href="https://example.com:8443/admin">other port, same host</a>
<a href="https://other.example.org/x" rel="nofollow">external</a>
<a href="https://news.example.co.uk/">unrelated under a public suffix</a>
<a href="mailto:team@example.com">mail</a>
<a href="javascript:alert(1)">script</a>
<a href="tel:+100">phone</a>
<a href="data:text/html,hi">data</a>
<a href="ftp://example.com/file">ftp</a>
<a href=" HTTPS://EXAMPLE.COM/Case ">case and spaces</a>
<area href="/map-area">
<a>no href</a>
</body></html>`

func TestLinks(t *testing.T) {
	page := mustURL(t, "https://example.com/start")
	tests := []struct {
		name       string
		subdomains bool
		want       Links
	}{
		{
			name: "same host only",
			want: Links{
				Internal: []string{
					"https://example.com/docs/intro", "https://example.com/about",
					"http://www.example.com/contact", "https://example.com:8443/admin",
					"https://example.com/Case", "https://example.com/map-area",
				},
				External: []string{
					"https://blog.example.com/post", "https://other.example.org/x", "https://news.example.co.uk/",
				},
				Nofollow: []string{"https://other.example.org/x"},
			},
		},
		{
			name:       "subdomains internal",
			subdomains: true,
			want: Links{
				Internal: []string{
					"https://example.com/docs/intro", "https://example.com/about",
					"https://blog.example.com/post", "http://www.example.com/contact",
					"https://example.com:8443/admin", "https://example.com/Case", "https://example.com/map-area",
				},
				External: []string{"https://other.example.org/x", "https://news.example.co.uk/"},
				Nofollow: []string{"https://other.example.org/x"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Extract([]byte(linksPage), page, Options{Formats: []string{FormatLinks}, SubdomainsInternal: tt.subdomains})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, res.Links); diff != "" {
				t.Errorf("links (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLinksWithoutPageURL(t *testing.T) {
	res, err := Extract([]byte(`<a href="/rel">r</a><a href="https://a.example/x">a</a>`), nil, Options{Formats: []string{FormatLinks}})
	if err != nil {
		t.Fatal(err)
	}
	want := Links{Internal: []string{}, External: []string{"https://a.example/x"}}
	if diff := cmp.Diff(want, res.Links); diff != "" {
		t.Errorf("links (-want +got):\n%s", diff)
	}
}

func TestImages(t *testing.T) {
	page := `<html><head><meta property="og:image" content="/og.png"></head><body>
<img src="/a.png" srcset="/a-1x.png 1x, /a-2x.png 2x">
<img src="data:image/gif;base64,R0lGOD" data-src="/lazy.jpg">
<picture><source srcset="/p.webp" type="image/webp"><img src="/p.jpg"></picture>
<video><source src="/movie.mp4"></video>
<img src="/a.png">
<img srcset="https://cdn.example.net/img,w_300.jpg 300w, https://cdn.example.net/img,w_600.jpg 600w">
</body></html>`
	res, err := Extract([]byte(page), mustURL(t, "https://example.com/g/"), Options{Formats: []string{FormatImages}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"https://example.com/a.png", "https://example.com/a-1x.png", "https://example.com/a-2x.png",
		"https://example.com/lazy.jpg", "https://example.com/p.webp", "https://example.com/p.jpg",
		"https://cdn.example.net/img,w_300.jpg", "https://cdn.example.net/img,w_600.jpg",
		"https://example.com/og.png",
	}
	if diff := cmp.Diff(want, res.Images); diff != "" {
		t.Errorf("images (-want +got):\n%s", diff)
	}
}

func TestRobots(t *testing.T) {
	tests := []struct {
		name    string
		meta    string
		headers []string
		want    Robots
	}{
		{"meta noindex", `<meta name="robots" content="noindex">`, nil, Robots{NoIndex: true}},
		{"meta nofollow upper case", `<meta name="robots" content="NOFOLLOW">`, nil, Robots{NoFollow: true}},
		{"meta none", `<meta name="robots" content="none">`, nil, Robots{NoIndex: true, NoFollow: true}},
		{"meta index follow", `<meta name="robots" content="index, follow">`, nil, Robots{}},
		{"meta for SpiderGo", `<meta name="spidergo" content="noindex,nofollow">`, nil, Robots{NoIndex: true, NoFollow: true}},
		{"meta for another crawler", `<meta name="othercrawler" content="noindex">`, nil, Robots{}},
		{"nothing", ``, nil, Robots{}},
		{"header noindex", ``, []string{"noindex"}, Robots{NoIndex: true}},
		{"header list", ``, []string{"noarchive, nofollow"}, Robots{NoFollow: true}},
		{"header none", ``, []string{"NONE"}, Robots{NoIndex: true, NoFollow: true}},
		{"header lines add up", `<meta name="robots" content="nofollow">`, []string{"noarchive", "noindex"}, Robots{NoIndex: true, NoFollow: true}},
		{"header for another crawler", ``, []string{"otherbot: noindex, nofollow"}, Robots{}},
		{"header for SpiderGo", ``, []string{"SpiderGo: noindex"}, Robots{NoIndex: true}},
		{"header with a dated directive", ``, []string{"unavailable_after: 25 Jun 2030 15:00:00 PST"}, Robots{}},
		{"header max-snippet then noindex", ``, []string{"max-snippet: 20, noindex"}, Robots{NoIndex: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := "<html><head>" + tt.meta + "</head><body><article><p>The council approved the new library on Monday after a long debate about its cost and its opening hours.</p></article></body></html>"
			res, err := Extract([]byte(page), nil, Options{Formats: []string{FormatText}, OnlyMainContent: true, RobotsHeaders: tt.headers})
			if err != nil {
				t.Fatal(err)
			}
			if res.Robots != tt.want {
				t.Errorf("Robots = %+v, want %+v", res.Robots, tt.want)
			}
			if res.NoIndex != tt.want.NoIndex || res.NoFollow != tt.want.NoFollow {
				t.Errorf("NoIndex, NoFollow = %v, %v; want %v, %v", res.NoIndex, res.NoFollow, tt.want.NoIndex, tt.want.NoFollow)
			}
			// Directives never remove content.
			if !strings.Contains(res.Text, "approved the new library") {
				t.Errorf("content dropped: %q", res.Text)
			}
		})
	}
}

func TestRobotsDirectives(t *testing.T) {
	tests := []struct {
		in   Robots
		want []string
	}{
		{Robots{}, nil},
		{Robots{NoIndex: true}, []string{"noindex"}},
		{Robots{NoFollow: true}, []string{"nofollow"}},
		{Robots{NoIndex: true, NoFollow: true}, []string{"noindex", "nofollow"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, tt.in.Directives()); diff != "" {
			t.Errorf("%+v.Directives() (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestMetadataFallbacks(t *testing.T) {
	page := `<html><head>
<meta http-equiv="content-language" content="pt-BR, en">
<meta property="og:title" content="OG title">
<meta property="og:description" content="OG description">
<link rel="apple-touch-icon" href="/touch.png">
<script type="application/ld+json">{"@type":"BlogPosting","author":[{"@type":"Person","name":"Ana Lima"}],"dateModified":"2026-01-05"}</script>
</head><body><p>x</p></body></html>`
	res, err := Extract([]byte(page), mustURL(t, "https://example.com/post"), Options{Formats: []string{FormatMetadata}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"title": "OG title", "description": "OG description", "language": "pt-BR",
		"og:title": "OG title", "og:description": "OG description",
		"favicon": "https://example.com/touch.png", "author": "Ana Lima", "modified_time": "2026-01-05",
	}
	if diff := cmp.Diff(want, res.Metadata); diff != "" {
		t.Errorf("metadata (-want +got):\n%s", diff)
	}
}

func TestStructuredData(t *testing.T) {
	tests := []struct {
		name  string
		block string
		want  []any
	}{
		{"object", `{"@type":"Thing","name":"a"}`, []any{map[string]any{"@type": "Thing", "name": "a"}}},
		{"array is flattened", `[{"@type":"A"},{"@type":"B"}]`, []any{map[string]any{"@type": "A"}, map[string]any{"@type": "B"}}},
		{"trailing commas", `{"@type":"A","list":[1,2,],}`, []any{map[string]any{"@type": "A", "list": []any{json.Number("1"), json.Number("2")}}}},
		{"html comment wrapper", "<!-- {\"@type\":\"A\"} -->", []any{map[string]any{"@type": "A"}}},
		{"raw newline in string", "{\"@type\":\"A\",\"d\":\"x\ny\"}", []any{map[string]any{"@type": "A", "d": "x\ny"}}},
		{"two values in one block", `{"@type":"A"} {"@type":"B"}`, []any{map[string]any{"@type": "A"}, map[string]any{"@type": "B"}}},
		{"garbage is skipped", `{ not json`, []any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := `<script type="application/ld+json">` + tt.block + `</script><p>x</p>`
			res, err := Extract([]byte(page), nil, Options{Formats: []string{FormatStructuredData}})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, res.StructuredData); diff != "" {
				t.Errorf("structured data (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProducts(t *testing.T) {
	tests := []struct {
		name string
		page string
		want []Product
	}{
		{
			name: "offers array and brand object",
			page: `<script type="application/ld+json">{"@type":"Product","name":"Lamp","brand":{"@type":"Brand","name":"Lumo"},
"image":{"url":"/lamp.jpg"},"offers":[{"@type":"Offer","price":"49.50","priceCurrency":"USD","availability":"https://schema.org/InStock","url":"/lamp"}]}</script>`,
			want: []Product{{Name: "Lamp", Brand: "Lumo", ImageURL: "https://shop.example/lamp.jpg", Price: "49.50", Currency: "USD", Availability: "InStock", URL: "https://shop.example/lamp"}},
		},
		{
			name: "number price kept as written",
			page: `<script type="application/ld+json">{"@type":"http://schema.org/Product","name":"Mug","offers":{"@type":"Offer","price":12.0,"priceCurrency":"EUR"}}</script>`,
			want: []Product{{Name: "Mug", Price: "12.0", Currency: "EUR"}},
		},
		{
			name: "offer with itemOffered",
			page: `<script type="application/ld+json">{"@type":"Offer","price":"5","priceCurrency":"GBP","itemOffered":{"@type":"Product","name":"Pen","sku":"P1"}}</script>`,
			want: []Product{{Name: "Pen", SKU: "P1"}},
		},
		{
			name: "microdata and JSON-LD of one product merge",
			page: `<script type="application/ld+json">{"@type":"Product","name":"Kettle","sku":"K9"}</script>
<div itemscope itemtype="https://schema.org/Product"><h1 itemprop="name">Kettle</h1>
<div itemprop="offers" itemscope itemtype="https://schema.org/Offer"><span itemprop="price">30</span><meta itemprop="priceCurrency" content="CHF"></div></div>`,
			want: []Product{{Name: "Kettle", SKU: "K9", Price: "30", Currency: "CHF"}},
		},
		{
			name: "opengraph product alone",
			page: `<meta property="og:type" content="product"><meta property="og:title" content="Scarf">
<meta property="product:price:amount" content="25"><meta property="product:price:currency" content="EUR">`,
			want: []Product{{Name: "Scarf", Price: "25", Currency: "EUR"}},
		},
		{
			name: "no products",
			page: `<p>Nothing for sale.</p>`,
			want: []Product{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Extract([]byte(tt.page), mustURL(t, "https://shop.example/item"), Options{Formats: []string{FormatProducts}})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, res.Products, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("products (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMarkdownCleanup(t *testing.T) {
	page := `<html><body><article>
<h2>Install</h2>
<p>Run the installer <a href="#step-2">as shown below</a> or <a href="javascript:void(0)">click here</a>.<a href="/x"></a><a href="/icon"><svg></svg></a></p>
<pre class="brush: ruby">puts "hi"</pre>
<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>
<p><img src="rel/pic.png" alt="pic"> <a href="../up">up</a></p>
</article></body></html>`
	res, err := Extract([]byte(page), mustURL(t, "https://example.com/docs/page"), Options{Formats: []string{FormatMarkdown, FormatHTML}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Run the installer as shown below or click here.",
		"```ruby\nputs \"hi\"\n```",
		"| a | b |",
		"![pic](https://example.com/docs/rel/pic.png)",
		"[up](https://example.com/up)",
	} {
		if !strings.Contains(res.Markdown, want) {
			t.Errorf("markdown lacks %q:\n%s", want, res.Markdown)
		}
	}
	for _, bad := range []string{"[]", "javascript:", "](#", "<svg", "<a "} {
		if strings.Contains(res.Markdown, bad) {
			t.Errorf("markdown contains %q:\n%s", bad, res.Markdown)
		}
	}
	if strings.Contains(res.HTML, "class=\"brush") || !strings.Contains(res.HTML, `class="language-ruby"`) {
		t.Errorf("cleaned HTML should carry only the language class:\n%s", res.HTML)
	}
}

func TestTextKeepsParagraphs(t *testing.T) {
	res, err := Extract([]byte(`<body><h1>Title</h1><p>One line.</p><p>Two<br>lines.</p><ul><li>a</li><li>b</li></ul></body>`), nil, Options{Formats: []string{FormatText}})
	if err != nil {
		t.Fatal(err)
	}
	want := "Title\n\nOne line.\n\nTwo\nlines.\n\na\nb"
	if res.Text != want {
		t.Errorf("text = %q, want %q", res.Text, want)
	}
}

func TestTooLarge(t *testing.T) {
	_, err := Extract(make([]byte, MaxInputBytes+1), nil, Options{})
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("Extract = %v, want ErrTooLarge", err)
	}
}

func TestIsFormat(t *testing.T) {
	for _, f := range []string{"markdown", "text", "html", "raw_html", "links", "images", "metadata", "products", "structured_data"} {
		if !IsFormat(f) {
			t.Errorf("IsFormat(%q) = false", f)
		}
	}
	if IsFormat("screenshot") || IsFormat("pdf") {
		t.Error("IsFormat accepts formats this package does not make")
	}
}

// TestConcurrentExtract runs extractions side by side, as the crawler does,
// so that the race detector sees any state they share.
func TestConcurrentExtract(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.html"))
	if err != nil {
		t.Fatal(err)
	}
	// The hostile pages exercise the shared html sanitizer policy.
	hostile, err := filepath.Glob(filepath.Join("testdata", "hostile", "*.html"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, hostile...)
	u := mustURL(t, "https://example.com/page")
	errs := make(chan error, len(files)*4)
	for i := 0; i < 4; i++ {
		for _, f := range files {
			go func() {
				body, err := os.ReadFile(f)
				if err == nil {
					_, err = Extract(body, u, Options{Formats: allFormats, OnlyMainContent: i%2 == 0})
				}
				errs <- err
			}()
		}
	}
	for range len(files) * 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func TestPanicError(t *testing.T) {
	err := error(&PanicError{Value: "boom", Stack: []byte("stack")})
	if !errors.Is(err, ErrInternal) {
		t.Error("PanicError does not wrap ErrInternal")
	}
	if got := err.Error(); got != "extraction failed: boom" || strings.Contains(got, "stack") {
		t.Errorf("Error() = %q; the stack belongs in the log only", got)
	}
}
