package extract

import (
	"fmt"
	"strings"
	"testing"
	"time"

	htmltomarkdown "github.com/JohannesKaufmann/html-to-markdown/v2"
	"github.com/JohannesKaufmann/html-to-markdown/v2/converter"
)

// benchPage builds a news-style page of about 100 KB: metadata and JSON-LD
// in the head, a navigation bar of 200 links, an article of 200 paragraphs
// with figures, a related list, a sidebar, comments and a footer.
func benchPage() []byte {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Benchmark story | Example News</title>
<meta name="description" content="A long story used to measure extraction speed.">
<meta property="og:title" content="Benchmark story"><meta property="og:image" content="/img/lead.jpg">
<meta name="twitter:card" content="summary"><link rel="canonical" href="/news/benchmark-story">
<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle","headline":"Benchmark story","author":{"@type":"Person","name":"A. Writer"},"datePublished":"2026-01-01"}</script>
<style>body{font-family:sans-serif}.nav a{margin:0 4px}</style>
<script>var analytics = {page: "story", sections: ["news", "world"]};</script></head><body>
<header class="site-header"><nav class="nav"><ul>`)
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&b, `<li><a href="/section/%d">Section %d</a></li>`, i, i)
	}
	b.WriteString(`</ul></nav></header><main><article class="story"><h1>Benchmark story</h1>
<div class="byline">By <a href="/authors/writer">A. Writer</a></div>`)
	for i := 0; i < 200; i++ {
		if i%10 == 0 {
			fmt.Fprintf(&b, `<h2>Part %d</h2><figure><img src="/img/p%d.jpg" srcset="/img/p%d-480.jpg 480w, /img/p%d-960.jpg 960w" alt="Picture %d"><figcaption>Caption %d. Photo: Agency</figcaption></figure>`, i/10+1, i, i, i, i, i)
		}
		fmt.Fprintf(&b, `<p>Paragraph %d of the story explains, in plain sentences, what happened and why it matters to the people who live there. `+
			`It links to <a href="https://source.example.org/report/%d">a source</a> and to <a href="/news/background-%d">background</a>, `+
			`and it runs long enough to look like real reporting, with quotes, numbers such as %d and %d, and a closing remark.</p>`, i, i, i, i*7, i*13)
		if i%15 == 14 {
			b.WriteString(`<div class="share-bar"><a href="https://social.example.com/share">Share</a> <a href="mailto:?subject=story">Email</a></div>`)
		}
	}
	b.WriteString(`<pre><code class="language-python">print("hello")</code></pre>
<table><tr><th>Year</th><th>Count</th></tr><tr><td>2025</td><td>12</td></tr><tr><td>2026</td><td>15</td></tr></table>
</article><section class="related"><h2>Related</h2><ul>`)
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&b, `<li><a href="/news/related-%d">Related story number %d</a></li>`, i, i)
	}
	b.WriteString(`</ul></section><section id="comments">`)
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&b, `<div class="comment"><p>Comment %d from a reader who has an opinion about the story.</p></div>`, i)
	}
	b.WriteString(`</section></main><aside class="sidebar"><ol>`)
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&b, `<li><a href="/popular/%d">Popular story %d</a></li>`, i, i)
	}
	b.WriteString(`</ol></aside><footer><p>© Example News</p>`)
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&b, `<a href="https://partner%d.example.net/">Partner %d</a> `, i, i)
	}
	b.WriteString(`</footer></body></html>`)
	return []byte(b.String())
}

func BenchmarkExtract(b *testing.B) {
	page := benchPage()
	u := mustURL(b, "https://news.example.com/news/benchmark-story")
	cases := []struct {
		name string
		opts Options
	}{
		{"main_content_default_formats", DefaultOptions()},
		{"main_content_all_formats", Options{Formats: allFormats, OnlyMainContent: true}},
		{"full_page_markdown", Options{Formats: []string{FormatMarkdown}}},
		{"links_only", Options{Formats: []string{FormatLinks}}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(page)))
			b.ReportAllocs()
			cpu := processCPUTime()
			for b.Loop() {
				if _, err := Extract(page, u, c.opts); err != nil {
					b.Fatal(err)
				}
			}
			reportPages(b, processCPUTime()-cpu)
		})
	}
}

// BenchmarkHTMLToMarkdown is the baseline: html-to-markdown converting the
// same page on its own, without main-content detection, links or metadata.
func BenchmarkHTMLToMarkdown(b *testing.B) {
	page := string(benchPage())
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	cpu := processCPUTime()
	for b.Loop() {
		if _, err := htmltomarkdown.ConvertString(page, converter.WithDomain("https://news.example.com/")); err != nil {
			b.Fatal(err)
		}
	}
	reportPages(b, processCPUTime()-cpu)
}

// reportPages adds pages per second of wall time and milliseconds of CPU
// time (all threads, garbage collection included) per page.
func reportPages(b *testing.B, cpu time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/page")
	}
}

// BenchmarkSanitizeHTML is the cost of the html format's last step alone:
// the sanitizer policy run over the cleaned HTML of the main content of
// the benchmark page.
func BenchmarkSanitizeHTML(b *testing.B) {
	res, err := Extract(benchPage(), mustURL(b, "https://news.example.com/news/benchmark-story"), Options{Formats: []string{FormatHTML}, OnlyMainContent: true})
	if err != nil {
		b.Fatal(err)
	}
	in := res.HTML
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if sanitizeHTML(in) == "" {
			b.Fatal("empty output")
		}
	}
}
