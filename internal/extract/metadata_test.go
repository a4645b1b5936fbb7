package extract

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMetadataSources reads the metadata of pages shaped like the ones
// common publishing systems write and checks each key SpiderGo fills and
// where it came from.
func TestMetadataSources(t *testing.T) {
	tests := []struct {
		file, url string
		want      map[string]string // "" means the key must be absent
	}{
		{
			// Yoast-style @graph: the author is a reference to a Person,
			// article:author is a Facebook page, "author" the site's name.
			file: "wordpress.html", url: "https://leafandloam.example/2026/02/houseplants-dark-rooms/",
			want: map[string]string{
				"author":         "Olivia Larsen",
				"author_url":     "https://leafandloam.example/author/olivia/",
				"published_time": "2026-02-11T07:00:00+00:00",
				"modified_time":  "2026-02-14T09:30:00+00:00",
				"site_name":      "Leaf & Loam",
				"image":          "https://leafandloam.example/wp-content/uploads/2026/02/pothos.jpg",
				"language":       "en-US",
				"canonical":      "https://leafandloam.example/2026/02/houseplants-dark-rooms/",
				"title":          "Five Easy Houseplants for Dark Rooms - Leaf & Loam",
				"description":    "Low light is no reason to live without plants.",
				// The tags themselves stay as the page wrote them.
				"article:author": "https://www.facebook.com/leafandloam",
			},
		},
		{
			// A news site: two authors in JSON-LD, the publisher names the
			// site, the image only in twitter:image and JSON-LD.
			file: "newsgraph.html", url: "https://coastaltimes.example/news/local/harbour-bridge-repairs-2026",
			want: map[string]string{
				"author":         "Priya Natarajan, Tom Okafor",
				"author_url":     "https://coastaltimes.example/staff/priya-natarajan",
				"published_time": "2026-03-09T05:45:00Z",
				"modified_time":  "2026-03-09T11:02:00Z",
				"site_name":      "The Coastal Times",
				"image":          "https://img.coastaltimes.example/2026/03/bridge-1600.jpg",
				"language":       "en",
				"canonical":      "https://coastaltimes.example/news/local/harbour-bridge-repairs-2026",
			},
		},
		{
			// Blogger: no JSON-LD and no author meta tag; the author is a
			// microdata Person in the post footer, below the post title.
			file: "blogger.html", url: "https://knittingnotes.example/2025/11/first-sweater.html",
			want: map[string]string{
				"author":         "Margit Holm",
				"author_url":     "https://www.blogger.example/profile/0412",
				"image":          "https://blogger.example.com/img/b/R29v/s1600/sweater.jpg",
				"canonical":      "https://knittingnotes.example/2025/11/first-sweater.html",
				"site_name":      "",
				"language":       "",
				"published_time": "",
			},
		},
		{
			// Only meta tags: they are used, relative URLs made absolute.
			file: "metaonly.html", url: "https://biblio.example/evenements/ete",
			want: map[string]string{
				"author":         "Service des loisirs",
				"author_url":     "",
				"published_time": "2026-05-20",
				"site_name":      "Bibliothèque municipale de Rivière-Claire",
				"image":          "https://biblio.example/evenements/images/ete-2026.png",
				"language":       "fr-CA",
				"canonical":      "https://biblio.example/programme-ete",
				"modified_time":  "",
			},
		},
		{
			// A visible "By …" line under the headline beats the meta tags
			// (the site's name and a Facebook page); the aside's "By" line
			// is another story's.
			file: "byline.html", url: "https://railweekly.example/night-train",
			want: map[string]string{
				"author":     "Olivia Larsen",
				"author_url": "https://facebook.com/railweekly",
				"site_name":  "Rail Weekly",
				"image":      "",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", "metadata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Extract(body, mustURL(t, tt.url), Options{Formats: []string{FormatMetadata}})
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range tt.want {
				got, ok := res.Metadata[k]
				if want == "" && ok {
					t.Errorf("%s = %q, want it absent", k, got)
				} else if want != "" && got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

func TestBylines(t *testing.T) {
	tests := []struct {
		name, body string
		author     string
		authorURL  string
	}{
		{"by line", `<h1>T</h1><p>By Olivia Larsen</p><p>Text.</p>`, "Olivia Larsen", ""},
		{"by line with date", `<h1>T</h1><div>By Olivia Larsen, March 3, 2026</div>`, "Olivia Larsen", ""},
		{"by line in German", `<h1>T</h1><p>Von Jonas Becker · 12.03.2026</p>`, "Jonas Becker", ""},
		{"lower-case word after by is no name", `<h1>T</h1><p>By the numbers</p>`, "", ""},
		{"rel author link", `<h1>T</h1><p>Words: <a rel="author" href="/u/ana">Ana Lima</a></p>`, "Ana Lima", "https://example.com/u/ana"},
		{"byline class with two author links", `<h1>T</h1><div class="c-byline">By <a href="/authors/a">Ana Lima</a> and <a href="/authors/b">Ben Ode</a> <a href="/2026/03/">March 2026</a></div>`,
			"Ana Lima, Ben Ode", "https://example.com/authors/a"},
		{"itemprop author text", `<h1>T</h1><span itemprop="author">Chen Wei</span>`, "Chen Wei", ""},
		{"author class", `<header><span class="post-author">Sam Reyes</span><h1>T</h1></header>`, "Sam Reyes", ""},
		{"comment authors are not the author", `<h1>T</h1><p>Text of the post.</p><div class="comments"><p>By Pat Doe</p><span class="author">Pat Doe</span></div>`, "", ""},
		{"JSON-LD name, the byline's link", `<script type="application/ld+json">{"@type":"NewsArticle","author":{"@type":"Person","name":"Ana Lima"}}</script><h1>T</h1><p class="byline">By <a href="/people/ana-lima">Ana Lima</a></p>`,
			"Ana Lima", "https://example.com/people/ana-lima"},
		{"JSON-LD name, another person's byline link is not taken", `<script type="application/ld+json">{"@type":"NewsArticle","author":"Ana Lima"}</script><h1>T</h1><p class="byline">By <a href="/people/ben">Ben Ode</a></p>`,
			"Ana Lima", ""},
		{"a reviewer is not the author", `<h1>T</h1><p>₩32,000</p><div class="spr-reviews"><div class="spr-review"><span class="spr-review-header-byline">By Minji Park</span><p>Great serum.</p></div></div>`, "", ""},
		{"a review in microdata is not the author", `<h1>T</h1><div itemprop="review" itemscope itemtype="https://schema.org/Review"><span itemprop="author">Minji Park</span></div>`, "", ""},
		{"a URL is no name", `<h1>T</h1><span class="author">https://social.example/ana</span>`, "", ""},
		{"long author bio is no byline", `<h1>T</h1><div class="author">Ana Lima has written about rivers, canals, locks and the people who keep them for twenty years and lives by the sea.</div>`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := "<html><head><title>T</title></head><body>" + tt.body + "</body></html>"
			res, err := Extract([]byte(page), mustURL(t, "https://example.com/a"), Options{Formats: []string{FormatMetadata}})
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Metadata["author"]; got != tt.author {
				t.Errorf("author = %q, want %q", got, tt.author)
			}
			if got := res.Metadata["author_url"]; got != tt.authorURL {
				t.Errorf("author_url = %q, want %q", got, tt.authorURL)
			}
		})
	}
}

func TestCleanAuthor(t *testing.T) {
	tests := []struct{ in, want string }{
		{"By OLIVIA LARSEN", "OLIVIA LARSEN"},
		{"  by  Ana Lima | 5 min read", "Ana Lima"},
		{"Written by Ben Ode on March 3", "Ben Ode"},
		{"Ana Lima — Updated 2026-01-02", "Ana Lima"},
		{"Jean-Luc Martin", "Jean-Luc Martin"},
		{"www.example.com/ana", ""},
		{"ana@example.com", ""},
		{"12 March 2026", ""},
		{"Theresa May, 3 March", "Theresa May"},
		{"Ana Lima, May 3", "Ana Lima"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := cleanAuthor(tt.in); got != tt.want {
			t.Errorf("cleanAuthor(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
