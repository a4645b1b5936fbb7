package site

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
)

// overshoot is how far past its target size a page may grow.
const overshoot = 6 << 10

// link is one <a href> of a page.
type link struct{ href, text string }

// Page returns the HTML of page i. The same Config gives the same bytes.
func (s *Site) Page(i int) []byte {
	r := rng(s.cfg.Seed, i)
	n := s.cfg.Pages
	// The last paragraph and the leftover links overshoot the target by a
	// few kilobytes at most; aim low enough to stay within MaxBytes.
	hi := max(s.cfg.MinBytes, s.cfg.MaxBytes-overshoot)
	target := s.cfg.MinBytes + r.IntN(hi-s.cfg.MinBytes+1)
	nLinks := s.cfg.MinLinks + r.IntN(s.cfg.MaxLinks-s.cfg.MinLinks+1)
	title := s.title(i)
	sec := i % len(sections)
	switch {
	case i == 0:
		sec = 0
	case i < firstListing:
		sec = i - 1
	case i < firstArticle:
		sec = (i - firstListing) / listingPages
	}

	// Header and footer links: the same shape on every page.
	nav := []link{{"/", "SpiderGo Daily"}}
	for _, name := range sections {
		nav = append(nav, link{"/news/" + name + "/?ref=nav", capitalize(name)})
	}
	crumbs := []link{{"/", "Home"}, {"/news/" + sections[sec] + "/", capitalize(sections[sec])}}
	pop := s.popular[r.IntN(len(s.popular))]
	utm := "?utm_source=newsletter&utm_medium=email"
	if r.IntN(2) == 0 {
		utm = "?utm_medium=email&utm_source=newsletter"
	}
	footer := []link{
		{s.Path(pop) + utm, "Most read this week"},
		{"#top", "Back to top"},
		{"https://www.example.com/about", "About the publisher"},
	}
	fixed := len(nav) + len(crumbs) + len(footer)

	// Body links, most important first; the list is cut to the page's
	// link count.
	var body []link
	add := func(href string) { body = append(body, link{href, s.anchor(r)}) }
	for _, j := range []int{i + 1, 2*i + 1, 2*i + 2} { // every page is reachable, and shallow
		if j < n {
			add(s.Path(j))
		}
	}
	lp := r.IntN(listingPages)
	if r.IntN(2) == 0 {
		add(fmt.Sprintf("/news/%s/?page=%d&sort=new", sections[sec], lp+2))
	} else {
		add(fmt.Sprintf("/news/%s/?sort=new&page=%d", sections[sec], lp+2))
	}
	add(s.Path(s.randomPage(r)) + "#comments")
	if len(body) > 0 {
		body = append(body, body[r.IntN(len(body))]) // the same link again
	}
	add("#section-1")
	for range 1 + r.IntN(3) {
		add(fmt.Sprintf("https://%s/%s/%d", []string{"www.example.com", "example.org", "news.example.net"}[r.IntN(3)], words[r.IntN(len(words))], r.IntN(100000)))
	}
	if np := (n - firstArticle) / privateEvery; np > 0 && r.IntN(5) == 0 {
		add(s.Path(firstArticle + privateEvery - 1 + privateEvery*r.IntN(np)))
	}
	for len(body) < nLinks-fixed {
		if len(body) > 6 && r.IntN(12) == 0 {
			body = append(body, body[r.IntN(len(body))])
			continue
		}
		add(s.Path(s.randomPage(r)))
	}
	body = body[:max(0, nLinks-fixed)]
	// Shuffle so that duplicates and variants are spread over the page.
	r.Shuffle(len(body), func(a, b int) { body[a], body[b] = body[b], body[a] })
	related := body[:min(6, len(body))]
	inline := body[len(related):]

	var head, top, foot bytes.Buffer
	desc := s.sentence(r, 14)
	fmt.Fprintf(&head, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>%s | SpiderGo Daily</title>\n", title)
	fmt.Fprintf(&head, "<meta name=\"description\" content=\"%s\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n", desc)
	fmt.Fprintf(&head, "<meta property=\"og:title\" content=\"%s\">\n<meta property=\"og:type\" content=\"article\">\n", title)
	head.WriteString(style)
	head.WriteString("</head>\n<body>\n<a id=\"top\"></a>\n<header class=\"site-header\">\n<nav class=\"main-nav\"><ul>\n")
	for _, l := range nav {
		fmt.Fprintf(&head, "<li><a href=\"%s\">%s</a></li>\n", escape(l.href), l.text)
	}
	head.WriteString("</ul></nav>\n<form class=\"search\" action=\"/search\"><input type=\"search\" name=\"q\" placeholder=\"Search\"></form>\n</header>\n")
	fmt.Fprintf(&top, "<main>\n<nav class=\"breadcrumb\"><a href=\"%s\">%s</a> › <a href=\"%s\">%s</a></nav>\n", crumbs[0].href, crumbs[0].text, crumbs[1].href, crumbs[1].text)
	fmt.Fprintf(&top, "<article>\n<h1>%s</h1>\n<p class=\"byline\">By %s %s · %d min read</p>\n", title, capitalize(words[r.IntN(len(words))]), capitalize(words[r.IntN(len(words))]), 3+r.IntN(20))

	foot.WriteString("</article>\n<aside class=\"related\"><h2>Related</h2><ul>\n")
	for _, l := range related {
		fmt.Fprintf(&foot, "<li><a href=\"%s\">%s</a></li>\n", escape(l.href), l.text)
	}
	foot.WriteString("</ul></aside>\n</main>\n<footer class=\"site-footer\"><ul>\n")
	for _, l := range footer {
		fmt.Fprintf(&foot, "<li><a href=\"%s\">%s</a></li>\n", escape(l.href), l.text)
	}
	foot.WriteString("</ul>\n<p>© SpiderGo Daily. All rights reserved.</p>\n</footer>\n")
	foot.WriteString(script)
	foot.WriteString("</body>\n</html>\n")

	// The article grows until the page reaches its size; inline links are
	// spread over the paragraphs, and any left over close the article.
	var art bytes.Buffer
	fixedBytes := head.Len() + top.Len() + foot.Len()
	const avgPara = 700
	section := 0
	for para := 0; fixedBytes+art.Len() < target; para++ {
		if para%6 == 0 {
			section++
			fmt.Fprintf(&art, "<h2 id=\"section-%d\">%s</h2>\n", section, s.sentenceWords(r, 3+r.IntN(5)))
		}
		left := max(1, (target-fixedBytes-art.Len())/avgPara)
		k := (len(inline) + left - 1) / left
		switch r.IntN(14) {
		case 0:
			fmt.Fprintf(&art, "<figure><img src=\"/img/%d.jpg\" alt=\"%s\" width=\"800\" height=\"450\"><figcaption>%s</figcaption></figure>\n", r.IntN(1e6), s.sentenceWords(r, 5), s.sentence(r, 10))
		case 1:
			fmt.Fprintf(&art, "<blockquote><p>%s</p></blockquote>\n", s.sentence(r, 18))
		case 2:
			art.WriteString("<ul>\n")
			for range 3 + r.IntN(4) {
				fmt.Fprintf(&art, "<li>%s</li>\n", s.sentence(r, 8))
			}
			art.WriteString("</ul>\n")
		}
		art.WriteString("<p>")
		sentences := 3 + r.IntN(5)
		for k2 := range sentences {
			if k2 > 0 {
				art.WriteByte(' ')
			}
			art.WriteString(s.sentence(r, 8+r.IntN(15)))
			if k > 0 && len(inline) > 0 && (k2 == sentences-1 || r.IntN(2) == 0) {
				l := inline[0]
				inline = inline[1:]
				k--
				fmt.Fprintf(&art, " Read more in <a href=\"%s\">%s</a>.", escape(l.href), l.text)
			}
		}
		art.WriteString("</p>\n")
	}
	if len(inline) > 0 {
		art.WriteString("<h2>Further reading</h2>\n<ul>\n")
		for _, l := range inline {
			fmt.Fprintf(&art, "<li><a href=\"%s\">%s</a></li>\n", escape(l.href), l.text)
		}
		art.WriteString("</ul>\n")
	}

	out := make([]byte, 0, fixedBytes+art.Len())
	out = append(out, head.Bytes()...)
	out = append(out, top.Bytes()...)
	out = append(out, art.Bytes()...)
	return append(out, foot.Bytes()...)
}

// randomPage picks any page, private ones included; robots.txt keeps
// crawlers out of those.
func (s *Site) randomPage(r *rand.Rand) int { return r.IntN(s.cfg.Pages) }

func (s *Site) title(i int) string {
	switch {
	case i == 0:
		return "Front page"
	case i < firstListing:
		return capitalize(sections[i-1]) + " news"
	case i < firstArticle:
		k := i - firstListing
		return fmt.Sprintf("%s news, page %d", capitalize(sections[k/listingPages]), k%listingPages+2)
	}
	return capitalize(strings.ReplaceAll(slug(s.cfg.Seed, i), "-", " "))
}

func (s *Site) anchor(r *rand.Rand) string { return s.sentenceWords(r, 2+r.IntN(4)) }

// sentenceWords is n words, the first capitalised, without a full stop.
func (s *Site) sentenceWords(r *rand.Rand, n int) string {
	var b strings.Builder
	for k := range n {
		w := words[r.IntN(len(words))]
		if k == 0 {
			w = capitalize(w)
		} else {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	return b.String()
}

func (s *Site) sentence(r *rand.Rand, n int) string {
	sw := s.sentenceWords(r, n)
	if r.IntN(5) == 0 {
		i := strings.IndexByte(sw[len(sw)/2:], ' ')
		if i > 0 {
			i += len(sw) / 2
			sw = sw[:i] + "," + sw[i:]
		}
	}
	return sw + "."
}

func capitalize(w string) string {
	if w == "" {
		return w
	}
	return strings.ToUpper(w[:1]) + w[1:]
}

func escape(href string) string { return strings.ReplaceAll(href, "&", "&amp;") }

const style = `<style>
body{font-family:Georgia,serif;margin:0;color:#222;background:#fff}
.site-header{display:flex;justify-content:space-between;padding:1rem 2rem;border-bottom:1px solid #ddd}
.main-nav ul{list-style:none;display:flex;gap:1rem;margin:0;padding:0}
.main-nav a{color:#111;text-decoration:none;font-weight:600}
main{max-width:46rem;margin:2rem auto;padding:0 1rem}
.breadcrumb{font-size:.85rem;color:#666}
article h1{font-size:2.2rem;line-height:1.2}
article p{line-height:1.6;margin:1rem 0}
figure{margin:2rem 0}figcaption{font-size:.8rem;color:#666}
blockquote{border-left:4px solid #ccc;margin:1.5rem 0;padding-left:1rem;font-style:italic}
.related ul{padding-left:1rem}.site-footer{background:#f4f4f4;padding:2rem;font-size:.9rem}
</style>
`

const script = `<script>
(function(){var t=document.querySelectorAll("article h2");var n=document.createElement("ol");
for(var i=0;i<t.length;i++){var li=document.createElement("li");li.textContent=t[i].textContent;n.appendChild(li)}
window.__toc=n;})();
</script>
`
