package extract

import (
	"strings"
	"testing"
)

func TestEdgeBoilerplate(t *testing.T) {
	var body strings.Builder
	for i := range 6 {
		body.WriteString(story(i))
	}
	article := body.String()
	thumbs := `<div class="grid"><div><a href="/2026/01/other-one/"><img src="/img/one.jpg" alt=""></a><a href="/2026/01/other-one/">Ten quick weeknight dinners</a></div>` +
		`<div><a href="/2026/01/other-two/"><img src="/img/two.jpg" alt=""></a><a href="/2026/01/other-two/">How to store fresh herbs</a></div>` +
		`<div><a href="/2026/01/other-three/"><img src="/img/three.jpg" alt=""></a><a href="/2026/01/other-three/">A week of packed lunches</a></div></div>`
	tests := []keepDrop{
		{
			name: "related posts with thumbnails after the story",
			body: `<article><h1>Soup</h1>` + article + `<h3>You may also like</h3>` + thumbs + `</article>`,
			keep: []string{"Paragraph 5"},
			drop: []string{"You may also like", "weeknight dinners", "one.jpg", "three.jpg"},
		},
		{
			name: "related label in German",
			body: `<article><h1>Suppe</h1>` + article + `<p><strong>Das könnte Sie auch interessieren:</strong></p>` + thumbs + `</article>`,
			keep: []string{"Paragraph 5"},
			drop: []string{"interessieren", "herbs"},
		},
		{
			name: "a related label followed by the story's own text stays",
			body: `<article><h1>Soup</h1>` + story(0) + story(1) + `<h2>Related research</h2>` + story(2) + story(3) + story(4) + `</article>`,
			keep: []string{"Related research", "Paragraph 4"},
		},
		{
			name: "pin-it and share images on the story's photo",
			body: `<article><h1>Soup</h1>` + story(0) +
				`<p><img src="/img/soup.jpg" alt="A bowl of soup"><a href="https://www.pinterest.com/pin/create/button/?url=https%3A%2F%2Fexample.com%2Fsoup&media=x"><img src="/img/pinit.png" alt="Pin it"></a></p>` +
				`<p><img class="share-icon" src="/img/share.svg" alt="Share"></p>` +
				`<p><img class="wp-image no_pin" data-pin-nopin="true" src="/img/bowl.jpg" alt="Served"></p>` +
				story(1) + story(2) + story(3) + `</article>`,
			keep: []string{"soup.jpg", "A bowl of soup", "bowl.jpg", "Paragraph 3"},
			drop: []string{"pinit.png", "pinterest", "share.svg"},
		},
		{
			name: "share links that quote the story keep the quote",
			body: `<article><h1>Soup</h1>` + story(0) + story(1) +
				`<blockquote>Soup is a meal you can make from whatever the week has left in the fridge. <a href="https://twitter.com/intent/tweet?text=Soup%20is%20a%20meal&url=x"><span>Soup is a meal you can make from whatever the week has left.</span> Click to tweet</a></blockquote>` + story(2) + `</article>`,
			keep: []string{"Soup is a meal you can make from whatever the week has left in the fridge.", "Click to tweet"},
		},
		{
			name: "caption of a removed pin image at the end",
			body: `<article><h1>Soup</h1>` + article +
				`<p><a href="https://pinterest.com/pin/create/bookmarklet/?url=x&media=y"><img src="/img/soup-pin.jpg" alt=""></a></p><p><em>Save this soup for later.</em></p></article>`,
			keep: []string{"Paragraph 5"},
			drop: []string{"soup-pin.jpg", "Save this soup"},
		},
		{
			name: "caption under a trailing thumbnail",
			body: `<article><h1>Soup</h1>` + article +
				`<p><a href="/2026/02/bread/"><img src="/img/bread.jpg" alt=""></a></p><p>Fresh bread for the soup.</p></article>`,
			keep: []string{"Paragraph 5"},
			drop: []string{"bread.jpg", "Fresh bread"},
		},
		{
			name: "a photo with its caption inside the story stays",
			body: `<article><h1>Soup</h1>` + story(0) + story(1) + `<p><img src="/img/pot.jpg" alt="pot"></p><p>The pot after an hour.</p>` + story(2) + story(3) + `</article>`,
			keep: []string{"pot.jpg", "The pot after an hour."},
		},
		{
			name: "a photo linked to its full size at the end stays",
			body: `<article><h1>Soup</h1>` + article + `<p><a href="/img/pot-full.jpg"><img src="/img/pot.jpg" alt="pot"></a></p></article>`,
			keep: []string{"pot.jpg"},
		},
		{
			name: "the first section's heading over its paragraph stays",
			body: `<div id="terms"><h1>Terms of sale</h1><p class="muted">In force from 1 January 2026</p><h2>Article 1 – Scope</h2>` + article + `<h2>Article 2 – Prices</h2>` + story(6) + `</div>`,
			keep: []string{"Article 1 – Scope", "Article 2 – Prices", "Paragraph 0"},
			drop: []string{"In force from"},
		},
		{
			name: "a short label before the story's opening still goes",
			body: `<article><h1>Soup</h1><h3>Food and drink</h3><p>Updated 3 March</p>` + article + `</article>`,
			keep: []string{"Paragraph 0"},
			drop: []string{"Food and drink", "Updated 3 March"},
		},
		{
			name: "a newsletter box around an e-mail field, whatever its class",
			body: `<div class="k3j9"><h1>Soup</h1>` + article + `<div class="x4a8l"><h2>Weekly letter</h2><p>Get the best recipes of the week in your inbox every Thursday.</p><input type="email"><button>Subscribe</button></div></div>`,
			keep: []string{"Paragraph 5"},
			drop: []string{"Weekly letter", "best recipes of the week"},
		},
		{
			name: "an announcement bar above the masthead",
			body: `<div class="fixed top-0 bg-indigo-600"><p>New: status pages with custom domains on every plan. <a href="/changelog">Read the changelog</a></p></div>` +
				`<header><a href="/">Tidewell</a><nav><a href="/pricing">Pricing</a></nav></header>` +
				`<section><h1>Soup</h1><p>On-call that lets your whole team sleep through the night, and wakes the right person.</p></section><section><h2>Features</h2><div class="grid">` +
				`<div class="f"><h3>Status pages</h3><p>Public pages that tell customers what is down.</p></div>` +
				`<div class="f"><h3>Escalations</h3><p>Page the next person when nobody answers.</p></div>` +
				`<div class="f"><h3>Chat</h3><p>Incidents open a thread in your team's chat.</p></div></div></section>`,
			keep: []string{"On-call that lets your whole team sleep", "Page the next person"},
			drop: []string{"custom domains"},
		},
		{
			name: "an intro above a table of contents in the content stays",
			body: `<main><p>This guide explains how to make a soup from what the week has left.</p><nav class="toc"><a href="#a">Stock</a> <a href="#b">Vegetables</a></nav><h1>Soup</h1>` + article + `</main>`,
			keep: []string{"This guide explains", "Paragraph 5"},
		},
		{
			name: "a story split into chunks between ads is still cleaned inside",
			body: `<article><h1>Soup</h1>` +
				`<div class="chunk">` + story(0) + `<aside class="readalso"><h4>Read also</h4><ul><li><a href="/r1"><img src="/t1.jpg" alt="">How to tell if your street floods</a></li><li><a href="/r2">A wet summer ahead</a></li></ul></aside>` + story(1) + `</div><div class="ad">Advertisement</div>` +
				`<div class="chunk">` + story(2) + `<figure><img src="/b.jpg" alt="x"><figcaption>Residents move furniture. <span class="credit">Photo: D. Reis</span></figcaption></figure>` + story(3) + `</div><div class="ad">Advertisement</div>` +
				`<div class="chunk">` + story(4) + story(5) + `</div></article>`,
			keep: []string{"Paragraph 0", "Paragraph 3", "Paragraph 5"},
			drop: []string{"street floods", "Photo: D. Reis"},
		},
		{
			name: "a labelled pointer line in any language, and a paywall prompt",
			body: `<div class="feed"><h1>Soup</h1>` + story(0) + story(1) + `<p class="x"><strong>Читайте також:</strong> <a href="/r9">Як підготуватися до відключень: поради</a></p>` + story(2) + story(3) +
				`<p>Sources: <a href="/report">the council's annual report on soups and stews</a> and our own reporting.</p>` + story(4) + `</div>` +
				`<div class="article_paywall"><p>Il vous reste 62 % de cet article à lire. La suite est réservée aux abonnés.</p><a href="/subscribe">S'abonner</a></div>`,
			keep: []string{"Paragraph 4", "and our own reporting."},
			drop: []string{"Як підготуватися", "Il vous reste"},
		},
		{
			name: "ad slots, comments and signatures named in other languages, and ad labels",
			body: `<div class="c1"><h1>Soup</h1>` + story(0) + `<div class="reklam-alani"><span>Reklam</span><div id="x-300"></div></div>` + story(1) +
				`<div class="pubblicita"><small>PUBBLICITÀ</small></div>` + story(2) + `<div class="my-8 text-xs py-24">Sponsored content below</div>` + story(3) +
				`<div><span>- Publicidade -</span></div>` + story(4) + `<p class="disclosure">This post may contain affiliate links.</p>` + story(5) +
				`<div class="commenti"><h3>12 commenti</h3><div class="commento"><b>Giulia</b><p>Fatto ieri sera, buonissimo!</p></div></div></div>`,
			keep: []string{"Paragraph 0", "Paragraph 5"},
			drop: []string{"Reklam", "PUBBLICITÀ", "Sponsored content", "Publicidade", "affiliate links", "12 commenti", "buonissimo"},
		},
		{
			name: "affiliate boxes and the author's box named in other languages",
			body: `<div class="c1"><h1>Soup</h1>` + story(0) + story(1) + `<div class="affiliate-box"><p>My favourite pot</p><p>The Ironside 5 qt pot holds heat for hours.</p><a href="https://shop.example/ref=1">Check price</a></div>` +
				story(2) + story(3) + `<div class="autrice"><img src="/elsa.jpg" alt=""><p>Sono Elsa, ho 74 anni e cucino da quando ne avevo nove.</p></div></div>`,
			keep: []string{"Paragraph 0", "Paragraph 3"},
			drop: []string{"Ironside", "Sono Elsa"},
		},
		{
			name: "a page built with Elementor keeps its text blocks",
			body: `<div class="elementor elementor-12">` + elementorSection(`<div class="elementor-element elementor-widget elementor-widget-heading"><div class="elementor-widget-container"><h1>Soup</h1></div></div>`+elementorText(story(0))) +
				elementorSection(elementorText(story(1))+`<div class="elementor-element elementor-widget elementor-widget-share-buttons"><div class="elementor-widget-container"><a href="https://www.facebook.com/sharer.php?u=x">Share on Facebook</a></div></div>`) +
				elementorSection(elementorText(story(2))) + elementorSection(elementorText(story(3))) + elementorSection(elementorText(story(4))) +
				elementorSection(`<div class="elementor-element elementor-widget elementor-widget-nav-menu"><div class="elementor-widget-container"><nav><a href="/a">Services</a> <a href="/b">Contact</a></nav></div></div>`) + `</div>`,
			keep: []string{"Paragraph 0", "Paragraph 2", "Paragraph 4"},
			drop: []string{"Share on Facebook", "Services"},
		},
		{
			name: "bars fixed to the window",
			body: `<div class="c1"><h1>Soup</h1>` + story(0) + story(1) + story(2) + `<div class="fixed inset-x-0 bottom-0 z-50 p-4"><p>We use essential cookies to run this site and optional analytics cookies to improve it.</p></div>` +
				story(3) + `<div style="position: fixed; bottom: 0">Chat with us, we answer within minutes on weekdays.</div></div>`,
			keep: []string{"Paragraph 0", "Paragraph 3"},
			drop: []string{"essential cookies", "Chat with us"},
		},
		{
			name: "sign-up boxes whose e-mail field is a text field",
			body: `<div class="c1"><h1>Soup</h1>` + story(0) + story(1) + `<div class="css-y66"><p>Stay in touch</p><p>Hear how your support is changing lives. We email about once a month.</p><input placeholder="Your email"><button>Subscribe</button></div>` +
				story(2) + `<div class="t698"><div class="t-title">Розсилка майстерень</div><div class="t-descr">Раз на місяць нові інтерв'ю з майстрами.</div><form><input type="text" name="email"><button>Підписатися</button></form></div>` +
				story(3) + `<div class="search"><p>Search the recipes we have published since 2009.</p><input type="text" name="q"></div></div>`,
			keep: []string{"Paragraph 0", "Paragraph 3", "Search the recipes"},
			drop: []string{"Hear how your support", "Розсилка", "Раз на місяць"},
		},
		{
			name: "an accordion's questions are buttons",
			body: `<div class="c1"><h1>Soup</h1>` + story(0) + story(1) + `<div class="accordion"><h3 class="accordion-header"><button class="accordion-button" data-bs-toggle="collapse">Can I freeze the soup?</button></h3>` +
				`<div class="accordion-body"><p>Yes, for up to three months in a closed box.</p></div>` +
				`<button aria-expanded="false" aria-controls="q2">How long does it keep in the fridge?</button><div id="q2"><p>Three days, covered.</p></div></div>` +
				story(2) + `<p>Order the book <button>Add to cart</button></p><div class="c3"><span>Was this page helpful?</span> <button>Yes</button> <button>No</button></div></div>`,
			keep: []string{"Can I freeze the soup?", "How long does it keep in the fridge?", "Three days, covered."},
			drop: []string{"Add to cart", "Was this page helpful"},
		},
		{
			name: "affiliate notices in any class, in several languages",
			body: `<div class="c1"><h1>Soup</h1><p><em>Aviso: algunos enlaces de este artículo son de afiliado. Si contratas a través de ellos, recibimos una pequeña comisión.</em></p>` +
				story(0) + story(1) + `<div class="note">Ce billet contient des liens affiliés vers des boutiques.</div>` + story(2) +
				`<p>Affiliate marketing pays for most small sites like ours, and we wrote about how it works last year in a long piece.</p>` + story(3) + `</div>`,
			keep: []string{"Paragraph 0", "Paragraph 3", "Affiliate marketing pays"},
			drop: []string{"son de afiliado", "liens affiliés"},
		},
		{
			name: "a label naming other items, then their links",
			body: `<div class="c1"><h1>Soup</h1>` + story(0) + story(1) + story(2) + `<p><b>Other jobs you may like:</b> <a href="/j/1">LPN - Day Shift</a> | <a href="/j/2">Patient Care Technician</a></p>` +
				story(3) + `<p>Ingredients: <a href="/i/1">leeks</a>, <a href="/i/2">potatoes</a> and a good stock.</p></div>`,
			keep: []string{"Paragraph 3", "Ingredients:"},
			drop: []string{"Other jobs you may like", "Patient Care Technician"},
		},
		{
			name: "links drawn as buttons",
			body: `<div class="c1"><h1>Soup</h1>` + story(0) + story(1) + `<a href="/forms/badge" class="govuk-button govuk-button--start" role="button">Start now</a>` + story(2) +
				`<a class="fr-btn" href="/service/carte">Accéder au service en ligne</a><p>Before you start, see <a href="/stock" class="link">how to make stock</a> from the bones of a roast.</p>` +
				story(3) + `<a class="btn btn-primary" href="/files/soup-report.pdf">Download the report</a>` + story(4) + `</div>`,
			keep: []string{"Paragraph 3", "Download the report", "how to make stock"},
			drop: []string{"Start now", "Accéder au service"},
		},
		{
			name: "subscription prompts, told by where their links lead",
			body: `<div class="c1"><h1>Soup</h1>` + story(0) + `<div class="css-171bc6"><p>Support local journalism. Get full digital access for just $1 a week.</p><a href="/subscribe/">Subscribe</a></div>` +
				story(1) + `<div class="css-ae2882"><p>この記事は有料会員限定です。残り2480文字。</p><a href="https://id.example.jp/abonnement/start">有料会員登録</a></div>` + story(2) +
				`<div class="box"><p>Our guide to stock is free to read for everyone, and so is this one.</p><a href="/guides/stock">Read the guide</a></div>` + story(3) + `</div>`,
			keep: []string{"Paragraph 3", "Our guide to stock is free"},
			drop: []string{"Support local journalism", "有料会員限定"},
		},
		{
			name: "a question answered by buttons",
			body: `<div class="c1"><h1>Soup</h1>` + article + `<div class="c9"><div class="c3"><span>Was this transcription accurate?</span> <button>Yes</button> <button>No</button></div></div>` + story(8) + `</div>`,
			keep: []string{"Paragraph 5", "Paragraph 8"},
			drop: []string{"transcription accurate"},
		},
		{
			name: "facts beside a sign-up field stay",
			body: `<div class="c1"><h1>Soup</h1>` + article + `<div class="aside-box"><dl><dt>Date</dt><dd>Saturday 13 February</dd><dt>Price</dt><dd>Free</dd></dl>` +
				`<h3>Hear it first</h3><form><input type="email"><button>Sign up</button></form></div></div>`,
			keep: []string{"Paragraph 5", "Saturday 13 February"},
		},
		{
			name: "rules at the edges and rules in a row",
			body: `<article><h1>Soup</h1><hr>` + story(0) + story(1) + `<hr><p></p><hr>` + story(2) + story(3) + `<hr><div><hr></div><hr></article>`,
			keep: []string{"Paragraph 3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := "<html><head><title>Soup</title></head><body>" + tt.body + "</body></html>"
			res, err := Extract([]byte(page), mustURL(t, "https://example.com/2026/03/soup/"), Options{Formats: []string{FormatMarkdown}, OnlyMainContent: true})
			if err != nil {
				t.Fatal(err)
			}
			md := res.Markdown
			checkKeepDrop(t, md, tt.keep, tt.drop)
			if strings.HasSuffix(md, "* * *") || strings.Contains(md, "* * *\n\n* * *") || strings.HasPrefix(strings.SplitN(md, "\n\n", 2)[1], "* * *") {
				t.Errorf("stray rules in\n%s", md)
			}
		})
	}
}

func TestRulesInside(t *testing.T) {
	page := "<html><head><title>Soup</title></head><body><article><h1>Soup</h1>" + story(0) + story(1) + "<hr>" + story(2) + story(3) + "</article></body></html>"
	res, err := Extract([]byte(page), mustURL(t, "https://example.com/soup"), Options{Formats: []string{FormatMarkdown}, OnlyMainContent: true})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(res.Markdown, "* * *") != 1 {
		t.Errorf("a rule between paragraphs must stay, once:\n%s", res.Markdown)
	}
}

func TestDek(t *testing.T) {
	var body strings.Builder
	for i := range 5 {
		body.WriteString(story(i))
	}
	article := body.String()
	tests := []struct {
		name, body string
		want       string // the Markdown's start
	}{
		{
			name: "sentence-like h2 under the h1",
			body: `<article><h1>Otters return to the Thames</h1><h2>After decades away, otters are breeding again along the upper river.</h2>` + article + `</article>`,
			want: "# Otters return to the Thames\n\nAfter decades away, otters are breeding again along the upper river.\n\nParagraph 0",
		},
		{
			name: "h2 classed as a standfirst, without a full stop",
			body: `<article><header><h1>Otters return to the Thames</h1><h2 class="article__standfirst">Breeding again upstream</h2></header>` + article + `</article>`,
			want: "# Otters return to the Thames\n\nBreeding again upstream\n\nParagraph 0",
		},
		{
			name: "subtitle paragraph stays at the start",
			body: `<article><h1>Otters return to the Thames</h1><p class="sub-title">Breeding again upstream</p>` + article + `</article>`,
			want: "# Otters return to the Thames\n\nBreeding again upstream\n\nParagraph 0",
		},
		{
			name: "headline outside the content, dek first in it",
			body: `<header><h1>Otters return to the Thames</h1></header><main><h2>After decades away, otters are breeding again along the upper river.</h2>` + article + `</main>`,
			want: "# Otters return to the Thames\n\nAfter decades away, otters are breeding again along the upper river.\n\nParagraph 0",
		},
		{
			name: "standfirst in a page header that main-content detection leaves out",
			body: `<div class="story-head"><span class="kicker">Nature</span><h1>Otters return to the Thames</h1><p class="standfirst">Breeding again upstream</p><p class="byline">By Ana Lima</p></div><div class="story-body">` + article + `</div>`,
			want: "# Otters return to the Thames\n\nBreeding again upstream\n\nParagraph 0",
		},
		{
			name: "a sentence-like h2 in the page header",
			body: `<header><h1>Otters return to the Thames</h1><h2>After decades away, otters are breeding again along the upper river.</h2></header><main>` + article + `</main>`,
			want: "# Otters return to the Thames\n\nAfter decades away, otters are breeding again along the upper river.\n\nParagraph 0",
		},
		{
			name: "a short section heading stays a heading",
			body: `<article><h1>Otters return to the Thames</h1>` + story(9) + `<h2>Where they live</h2>` + article + `</article>`,
			want: "# Otters return to the Thames\n\nParagraph 9",
		},
		{
			name: "a question heading first stays a heading",
			body: `<article><h1>Otters return to the Thames</h1><h2>Why did the otters leave the river in the first place?</h2>` + article + `</article>`,
			want: "# Otters return to the Thames\n\n## Why did the otters leave the river in the first place?\n\nParagraph 0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := "<html><head><title>Otters return to the Thames</title></head><body>" + tt.body + "</body></html>"
			res, err := Extract([]byte(page), mustURL(t, "https://example.com/otters"), Options{Formats: []string{FormatMarkdown}, OnlyMainContent: true})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(res.Markdown, tt.want) {
				t.Errorf("Markdown starts\n%s\nwant\n%s", res.Markdown[:min(len(res.Markdown), len(tt.want)+40)], tt.want)
			}
		})
	}
}

func TestRelatedLabel(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"Related", true}, {"Related posts:", true}, {"YOU MAY ALSO LIKE…", true}, {"More from Leaf & Loam", true},
		{"À lire aussi", true}, {"Artículos relacionados", true}, {"Leia também", true},
		{"Relatedness of species", false}, {"Recommendations for growers in cold climates", false},
		{"Read more about how we test our recipes in the kitchen every week", false}, {"", false},
	}
	for _, tt := range tests {
		if got := relatedLabel(tt.in); got != tt.want {
			t.Errorf("relatedLabel(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestShareLink(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"https://www.pinterest.com/pin/create/button/?url=x", true},
		{"https://www.facebook.com/sharer/sharer.php?u=https%3A%2F%2Fexample.com", true},
		{"https://twitter.com/intent/tweet?text=hi&url=x", true},
		{"https://www.linkedin.com/sharing/share-offsite/?url=x", true},
		{"https://api.whatsapp.com/send?text=x", true},
		{"mailto:?subject=Look&body=x", true},
		{"mailto:editor@example.com", false},
		{"https://www.facebook.com/leafandloam", false},
		{"https://example.com/share/our-story", false},
		{"/relative/share?url=x", false},
	}
	for _, tt := range tests {
		if got := shareLink(tt.in); got != tt.want {
			t.Errorf("shareLink(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestDekOnlyInMarkdown checks that a story's standfirst taken from the
// page header goes under the headline in the Markdown only, and not when
// the headline is omitted, while on a page that is no story it is content
// in every format.
func TestDekOnlyInMarkdown(t *testing.T) {
	page := func(head string) []byte {
		return []byte(`<html><head><title>Otters return to the Thames</title>` + head + `</head><body><header class="story-head"><h1>Otters return to the Thames</h1>` +
			`<p class="standfirst">Breeding again upstream</p></header><article class="story-body">` + story(0) + story(1) + story(2) + `</article></body></html>`)
	}
	storyPage := page(`<meta property="og:type" content="article">`)
	u := mustURL(t, "https://example.com/otters")
	res, err := Extract(storyPage, u, Options{Formats: []string{FormatMarkdown, FormatText, FormatHTML}, OnlyMainContent: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Markdown, "Breeding again upstream") {
		t.Errorf("Markdown lacks the standfirst:\n%s", res.Markdown)
	}
	if strings.Contains(res.Text, "Breeding again") || strings.Contains(res.HTML, "Breeding again") {
		t.Errorf("text or html holds the standfirst:\n%s\n%s", res.Text, res.HTML)
	}
	res, err = Extract(storyPage, u, Options{Formats: []string{FormatMarkdown}, OnlyMainContent: true, OmitHeadline: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.Markdown, "Paragraph 0") {
		t.Errorf("omit_headline Markdown = %q", res.Markdown[:min(60, len(res.Markdown))])
	}
	res, err = Extract(page(`<meta property="og:type" content="website">`), u, Options{Formats: []string{FormatMarkdown, FormatText, FormatHTML}, OnlyMainContent: true, OmitHeadline: true})
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]string{"markdown": res.Markdown, "text": res.Text, "html": res.HTML} {
		if !strings.Contains(got, "Breeding again upstream") {
			t.Errorf("on a page that is no story, %s lacks the standfirst:\n%s", name, got)
		}
	}
}

// elementorSection and elementorText wrap blocks as the Elementor page
// builder does.
func elementorSection(blocks string) string {
	return `<section class="elementor-section"><div class="elementor-container"><div class="elementor-column"><div class="elementor-widget-wrap elementor-element-populated">` + blocks + `</div></div></div></section>`
}

func elementorText(html string) string {
	return `<div class="elementor-element elementor-widget elementor-widget-text-editor"><div class="elementor-widget-container">` + html + `</div></div>`
}
