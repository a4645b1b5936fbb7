package extract

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// story is a paragraph long enough for readability to score.
func story(i int) string {
	return fmt.Sprintf("<p>Paragraph %d tells the story in full sentences, with enough words, commas, and detail that readability takes it for the body of an article worth reading.</p>", i)
}

// keepDrop is a page body with the text its content must and must not hold.
type keepDrop struct {
	name       string
	body       string
	keep, drop []string
}

// checkKeepDrop reports each keep string missing from text and each drop
// string found in it.
func checkKeepDrop(t *testing.T, text string, keep, drop []string) {
	t.Helper()
	for _, k := range keep {
		if !strings.Contains(text, k) {
			t.Errorf("lost %q:\n%s", k, text)
		}
	}
	for _, d := range drop {
		if strings.Contains(text, d) {
			t.Errorf("kept %q:\n%s", d, text)
		}
	}
}

func TestListingsKeepTheirItems(t *testing.T) {
	const chrome = `<header><nav><a href="/">Home</a> <a href="/about">About</a> <a href="/shop">Shop</a></nav></header>`
	const footer = `<footer><a href="/privacy">Privacy</a> <a href="/terms">Terms</a></footer>`
	var longStory strings.Builder
	for i := range 6 {
		longStory.WriteString(story(i))
	}
	tests := []keepDrop{
		{
			name: "job board rows that are mostly links",
			body: chrome + `<div class="container"><h1>Open positions</h1><p>We build robots for warehouses in two cities and we hire people who like hard problems.</p>
<h2>Engineering</h2>` +
				`<div class="job-row"><a href="/jobs/1">Senior Embedded Engineer</a><span>Gothenburg</span><span>Full-time</span></div>` +
				`<div class="job-row"><a href="/jobs/2">Motion Planning Researcher</a><span>Austin</span><span>Full-time</span></div>` +
				`<div class="job-row"><a href="/jobs/3">Site Reliability Engineer</a><span>Remote</span><span>Full-time</span></div>` +
				`<div class="job-row"><a href="/jobs/4">Supply Chain Analyst</a><span>Gothenburg</span><span>Contract</span></div></div>` + footer,
			keep: []string{"Senior Embedded Engineer", "Site Reliability Engineer", "Supply Chain Analyst"},
			drop: []string{"Privacy"},
		},
		{
			name: "event cards as articles",
			body: chrome + `<div id="main"><h1>What's on</h1>` +
				`<article class="event"><h3><a href="/e/1">The Tempest</a></h3><p>Shakespeare's last play, brought indoors by a touring company this spring. 7.30pm, £16.</p></article>` +
				`<article class="event"><h3><a href="/e/2">Spring Ceilidh</a></h3><p>Live band and a caller, and no experience needed to join the dancing. 8pm, £10.</p></article>` +
				`<article class="event"><h3><a href="/e/3">Printmaking for beginners</a></h3><p>A day workshop in lino cutting with a local artist, materials included. £45.</p></article></div>` + footer,
			keep: []string{"The Tempest", "Spring Ceilidh", "Printmaking for beginners", "A day workshop in lino cutting"},
		},
		{
			name: "card titles before an author line",
			body: chrome + `<section><h1>Birdwatching</h1><p>Field guides, memoirs and books on where to watch birds, chosen by the staff of the shop.</p><ul>` +
				`<li class="card"><h2><a href="/b/1">The Garden Birds Handbook</a></h2><p class="author">Ruth Ashby</p><p>Identify the sixty birds most likely to visit your garden this year.</p></li>` +
				`<li class="card"><h2><a href="/b/2">Waders of the Estuary</a></h2><p class="author">Tom Breck</p><p>A photographic guide to curlews, godwits and all their kin.</p></li>` +
				`<li class="card"><h2><a href="/b/3">Owls of Britain</a></h2><p class="author">Gareth Pryce</p><p>All five resident species, with maps and recordings of their calls.</p></li></ul></section>` + footer,
			keep: []string{"The Garden Birds Handbook", "Waders of the Estuary", "Owls of Britain"},
		},
		{
			name: "product tiles whose bodies are mostly their linked titles",
			body: chrome + `<section class="plp"><h1>Drills</h1><p>A combi drill drills wood and metal, drives screws and, with hammer action, drills into brick.</p><ul class="grid">` +
				`<li class="tile"><div class="tile__body"><h3><a href="/p/1">Bosch PSB 1800 LI-2 Cordless Combi Drill</a></h3><p>18V, two batteries.</p><span>£89.99</span></div></li>` +
				`<li class="tile"><div class="tile__body"><h3><a href="/p/2">Makita Drill</a></h3><p>Metal chuck and LED light; battery sold separately.</p><span>£74.50</span></div></li>` +
				`<li class="tile"><div class="tile__body"><h3><a href="/p/3">DeWalt Drill</a></h3><p>Compact brushless motor with two batteries.</p><span>£179.00</span></div></li>` +
				`<li class="tile"><div class="tile__body"><h3><a href="/p/4">Festool TPC 18/4 Percussion Drill</a></h3><p>Swappable chucks.</p><span>£489.00</span></div></li></ul></section>` + footer,
			keep: []string{"Bosch PSB 1800 LI-2 Cordless Combi Drill", "18V, two batteries.", "Festool TPC 18/4 Percussion Drill", "£489.00"},
		},
		{
			name: "search results keep their dates and captions",
			body: chrome + `<main><h1>Search results</h1><div class="results">` +
				`<div class="result"><span class="result__date">12 Feb 2027</span><h3><a href="/n/0">New cycle lane on Harbour Road</a></h3><p>The lane will be separated from traffic by kerbs.</p></div>` +
				`<div class="result"><span class="result__date">28 Jan 2027</span><h3><a href="/n/1">Consultation on speed limits</a></h3><p>Residents can comment online until 10 March.</p></div>` +
				`<div class="result"><span class="result__date">19 Jan 2027</span><h3><a href="/n/2">Bike parking at the station</a></h3><p>Sixty covered stands beside platform 1.</p><p><strong>See more:</strong> <a href="/n/9">Harbour Road bridge reopens to pedestrians after repairs</a></p></div></div></main>` + footer,
			keep: []string{"12 Feb 2027", "28 Jan 2027", "Consultation on speed limits"},
			drop: []string{"Harbour Road bridge reopens"},
		},
		{
			name: "a portfolio's pieces keep their captions",
			body: chrome + `<main><h1>Work</h1><p>I draw maps, book covers and typefaces for publishers across Europe, from my studio in Budapest.</p><div class="row">` +
				`<div class="col"><figure><img src="/a.jpg" alt="atlas"><figcaption>Danube Atlas, Corvina Press, 2025</figcaption></figure></div>` +
				`<div class="col"><figure><img src="/b.jpg" alt="cover"><figcaption>Cover for The Salt Road, Hart and Lowe</figcaption></figure></div>` +
				`<div class="col"><figure><img src="/c.jpg" alt="type"><figcaption>Varga Sans, a typeface in four weights</figcaption></figure></div></div></main>` + footer,
			keep: []string{"Danube Atlas, Corvina Press, 2025", "Varga Sans, a typeface in four weights"},
		},
		{
			name: "page feedback widget",
			body: chrome + `<main><h1>Buckets</h1>` + longStory.String() + `<div class="feedback"><p>Was this page helpful?</p><a href="/yes">Yes</a> <a href="/no">No</a></div>` + story(9) + `</main>` + footer,
			keep: []string{"Paragraph 0 tells the story", "Paragraph 9 tells the story"},
			drop: []string{"Was this page helpful?"},
		},
		{
			name: "a forum thread keeps its replies",
			body: chrome + `<div class="layout"><div class="left-rail"><a href="/">Home</a> <a href="/popular">Popular</a> <h4>Recent communities</h4><a href="/r/hiking">r/hiking</a></div><div class="main-col">` +
				`<div class="post"><h1>Best first tent for two?</h1><p>Budget is about £150. Mostly campsites in summer, maybe the Lakes.</p></div>` +
				`<div id="comments" class="comments">` +
				`<div class="comment"><a href="/u/a">pitchperfect</a> · 3d<p>Get a tunnel tent with a porch, it keeps the rain off your boots.</p></div>` +
				`<div class="comment"><a href="/u/b">drizzle</a> · 3d<p>Check the hydrostatic head, 3000 mm minimum for British summers.</p></div>` +
				`<div class="comment"><a href="/u/c">oakfire</a> · 2d<p>Buy second hand. Half the price and already proven waterproof.</p></div></div></div>` +
				`<div class="right-rail"><h3>About Community</h3><p>Camping in the UK: kit, sites and wild camping law.</p><p>48.2k members</p></div></div>` + footer,
			keep: []string{"Budget is about £150.", "Get a tunnel tent with a porch", "Check the hydrostatic head", "Buy second hand."},
			drop: []string{"48.2k members", "Recent communities"},
		},
		{
			name: "a thread whose posts are articles with the author's link",
			body: chrome + `<div class="post-stream">` +
				`<div class="topic-post"><article><div class="meta"><a href="/u/sam">solar_sam</a> Nov 30</div><p>Since the 3.8 update my inverter drops off Wi-Fi every night at about 2am and stays off.</p></article></div>` +
				`<div class="topic-post"><article><div class="meta"><a href="/u/mj">mjensen</a> Nov 30</div><p>Same here. The router does a resync at 2am, so the inverter never reconnects.</p></article></div>` +
				`<div class="topic-post"><article><div class="meta"><a href="/u/gb">gridbox_support</a> Dec 1</div><p>We can reproduce this; a fix is in 3.8.2, which rolls out over the air this week.</p></article></div>` +
				`<div class="topic-post"><article><div class="meta"><a href="/u/sam">solar_sam</a> Dec 2</div><p>Static IP did the trick, two nights without a drop.</p></article></div></div>` + footer,
			keep: []string{"Since the 3.8 update", "The router does a resync", "a fix is in 3.8.2", "Static IP did the trick"},
		},
		{
			name: "a thread keeps its posts, not the signatures and vote counts",
			body: chrome + `<div class="thread">` +
				`<div class="post"><div class="vote-count">24 votes</div><div class="body"><p>Cracks at the corner mean that joint was grouted when it should have been caulked.</p></div><div class="signature">2021 Marin Four Corners | 2014 Allez</div></div>` +
				`<div class="post"><div class="vote-count">7 votes</div><div class="body"><p>Use a flexible sealant in the corner and regrout the floor joints after a week.</p></div><div class="signature">Tiles since 1998</div></div>` +
				`<div class="post"><div class="vote-count">2 votes</div><div class="body"><p>Check that the floor is not flexing: cracks come back on a bouncy floor.</p></div><div class="user-info"><span class="reputation">71.9k</span></div>` +
				`<dl class="postprofile"><dt><a href="/u/2">wrenchwendy</a></dt><dd>Moderator</dd><dd><strong>Posts:</strong> 8,377</dd></dl></div>` +
				`<div class="stat-block online-list"><h3>Who is online</h3><p>Users browsing this forum: wrenchwendy and 14 guests</p></div></div>` + footer,
			keep: []string{"should have been caulked", "flexible sealant", "bouncy floor"},
			drop: []string{"24 votes", "2014 Allez", "71.9k", "8,377", "Who is online", "14 guests"},
		},
		{
			name: "comments beside a long story still go",
			body: chrome + `<main><article><h1>Main story</h1>` + longStory.String() + `</article>` +
				`<section id="comments" class="comments"><div class="comment"><p>First! Great read.</p></div><div class="comment"><p>I disagree with all of this.</p></div></section></main>` + footer,
			keep: []string{"Paragraph 5 tells the story"},
			drop: []string{"Great read", "I disagree"},
		},
		{
			name: "a story keeps dropping teaser cards and related strips",
			body: chrome + `<main><article class="story"><h1>Main story</h1>` + longStory.String() + `</article>` +
				`<article class="teaser"><h3><a href="/other-1">Another story entirely</a></h3><p>Its short summary.</p></article>` +
				`<article class="teaser"><h3><a href="/other-2">A second other story</a></h3><p>Its summary too.</p></article>` +
				`<p>You may also like...</p>` +
				`<div class="rel"><a href="/r1">Related story number one</a></div><div class="rel"><a href="/r2">Related story number two</a></div><div class="rel"><a href="/r3">Related story number three</a></div></main>` + footer,
			keep: []string{"Paragraph 0 tells the story", "Paragraph 5 tells the story"},
			drop: []string{"Another story entirely", "A second other story", "Related story number", "You may also like"},
		},
	}
	u := mustURL(t, "https://example.com/page")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := "<html><head><title>Page</title></head><body>" + tt.body + "</body></html>"
			res, err := Extract([]byte(page), u, Options{Formats: []string{FormatText}, OnlyMainContent: true})
			if err != nil {
				t.Fatal(err)
			}
			checkKeepDrop(t, res.Text, tt.keep, tt.drop)
		})
	}
}

func TestHiddenContent(t *testing.T) {
	var article strings.Builder
	for i := range 4 {
		article.WriteString(story(i))
	}
	tests := []keepDrop{
		{
			name: "tab panels hidden by attribute, aria-hidden or style",
			body: `<main><h1>Merino tee</h1>` + article.String() +
				`<div role="tablist"><button role="tab">Specs</button><button role="tab">Reviews</button></div>` +
				`<div role="tabpanel" hidden><table><tr><th>Fabric</th><td>100% merino wool, 17.5 micron</td></tr></table></div>` +
				`<div role="tabpanel" aria-hidden="true" style="display: none;"><p>Wore it four days straight on a hut trip. No smell, no itching.</p></div></main>`,
			keep: []string{"100% merino wool, 17.5 micron", "Wore it four days straight"},
		},
		{
			name: "hidden until found",
			body: `<main><h1>FAQ</h1>` + article.String() + `<h2>Can I return it?</h2><div hidden="until-found"><p>Yes, within 60 days, even worn.</p></div></main>`,
			keep: []string{"Yes, within 60 days"},
		},
		{
			name: "hidden blocks that are not tabs still go",
			body: `<main><h1>Soup</h1>` + article.String() + `<div hidden><p>Sign up to our newsletter for recipes every week.</p></div>` +
				`<div style="display:none"><p>Your basket is empty.</p></div><div aria-hidden="true"><p>Loading the next story.</p></div></main>`,
			keep: []string{"Paragraph 3"},
			drop: []string{"newsletter", "basket", "Loading"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := "<html><head><title>Page</title></head><body>" + tt.body + "</body></html>"
			for _, main := range []bool{true, false} {
				res, err := Extract([]byte(page), mustURL(t, "https://example.com/p"), Options{Formats: []string{FormatText}, OnlyMainContent: main})
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("only_main_content=%v", main)
				checkKeepDrop(t, res.Text, tt.keep, tt.drop)
			}
		})
	}
}

func TestFactsBesideTheContent(t *testing.T) {
	var article strings.Builder
	for i := range 4 {
		article.WriteString(story(i))
	}
	const chrome = `<header><nav><a href="/">Home</a> <a href="/events">Events</a> <a href="/jobs">Jobs</a></nav></header>`
	tests := []keepDrop{
		{
			name: "an event's details list after its description",
			body: chrome + `<div class="event"><h1>Truffle fair</h1><div class="event-description">` + article.String() + `</div>` +
				`<div class="event-meta"><h2>Details</h2><dl><div><dt>Start:</dt><dd>Friday 17 October, 16:00</dd></div><div><dt>End:</dt><dd>Sunday 19 October</dd></div><div><dt>Cost:</dt><dd>Free entry</dd></div></dl></div>` +
				`<div class="nav-links"><a href="/e/1">« Pumpkin fair</a> <a href="/e/2">Christmas concert »</a></div></div>`,
			keep: []string{"Friday 17 October, 16:00", "Free entry", "Paragraph 3"},
			drop: []string{"Pumpkin fair"},
		},
		{
			name: "a job's key facts above the advert",
			body: chrome + `<div class="col"><h1>Nurse, emergency department</h1><div class="facts"><p><strong>Hours:</strong> Full time, permanent</p><p><strong>Place:</strong> Storvik</p><p><strong>Closing date:</strong> 2026-04-12</p></div>` +
				`<div class="text">` + article.String() + `</div></div>`,
			keep: []string{"Hours: Full time, permanent", "Closing date: 2026-04-12", "Paragraph 0"},
		},
		{
			name: "a specifications table beside the description",
			body: chrome + `<div class="product"><div class="description">` + article.String() + `</div>` +
				`<div class="properties"><table><tr><th>Power</th><td>310 W</td></tr><tr><th>Weight</th><td>4.2 kg</td></tr><tr><th>Colour</th><td>Matt black</td></tr></table></div></div>`,
			keep: []string{"310 W", "Matt black"},
		},
		{
			name: "the next panel of the same kind as the content",
			body: chrome + `<div class="tabs"><div class="panel">` + article.String() + `</div><div class="panel"><h2>In the box</h2><ul><li>Neck strap</li><li>Rain guard</li></ul></div></div>`,
			keep: []string{"Rain guard"},
		},
		{
			name: "customers' reviews beside the description",
			body: chrome + `<div class="item_desc">` + article.String() + `</div><div class="review-area"><h2>Reviews</h2>` +
				`<div class="review"><p>Sweeter rice than my old cooker, and it stays good when cold.</p></div>` +
				`<div class="review"><p>Tastes fine, but fifty-five minutes is a long wait for dinner.</p></div><a href="/reviews">All 156 reviews</a></div>`,
			keep: []string{"Sweeter rice than my old cooker", "fifty-five minutes is a long wait"},
		},
		{
			name: "reviews in a shop's comment templates",
			body: chrome + `<div class="summary"><h1>Bifold Wallet No. 4</h1></div><div class="tabs"><div class="panel entry-content" id="tab-description">` + article.String() + `</div>` +
				`<div class="panel entry-content" id="tab-reviews"><div id="reviews" class="woocommerce-Reviews"><div id="comments"><h2>2 reviews for Bifold Wallet No. 4</h2><ol class="commentlist">` +
				`<li class="review comment-author-jc"><div class="comment_container"><div class="comment-text"><p class="meta"><strong>James C.</strong> 3 June 2026</p><div class="description"><p>Stiff for the first fortnight, now it folds shut on its own.</p></div></div></div></li>` +
				`<li class="review"><div class="comment_container"><div class="comment-text"><p class="meta"><strong>Aoife R.</strong> 2 July 2026</p><div class="description"><p>Six cards is the real maximum, a seventh makes the pocket tight.</p></div></div></div></li></ol></div>` +
				`<div id="review_form"><div id="respond" class="comment-respond"><span>Add a review</span><form><p class="comment-notes">Your email address will not be published.</p><textarea></textarea></form></div></div></div></div></div>`,
			keep: []string{"Stiff for the first fortnight", "a seventh makes the pocket tight", "Paragraph 3"},
			drop: []string{"Your email address will not be published"},
		},
		{
			name: "a release's attachments stay, its links elsewhere go",
			body: chrome + `<article class="node"><h1>Plant opens</h1>` + article.String() +
				`<div class="field field--name-field-downloads"><div class="field__label">Downloads</div><div class="field__item"><a href="/files/fact-sheet.pdf">Plant fact sheet (PDF, 1.1 MB)</a></div></div>` +
				`<div class="gov-attachments"><h3>Materials</h3><ul><li><a href="/doc/123">Text of the regulation (PDF, 0.31 MB)</a></li><li><a href="/doc/124">Infographic (PDF, 2 MB)</a></li></ul></div>` +
				`<div class="more"><a href="/news">All news</a> <a href="/press">Press office</a></div></article>`,
			keep: []string{"Plant fact sheet (PDF, 1.1 MB)", "Text of the regulation", "Infographic"},
			drop: []string{"All news", "Press office"},
		},
		{
			name: "the other fields of the same record",
			body: chrome + `<article class="node"><h1>Lever espresso machine</h1><div class="field field--name-body text-formatted">` + article.String() + `</div>` +
				`<div class="field field--name-field-pros"><h3>Pros</h3><ul><li>Excellent espresso from good coffee</li><li>No electricity, no scale</li><li>Solid build, spare parts available</li></ul></div>` +
				`<div class="field field--name-field-verdict"><p><strong>Verdict:</strong> if you like black coffee and do not mind ruining the first ten shots, it is one of the best buys under 300 euros.</p></div>` +
				`<div class="field field--name-field-tags"><a href="/t/1">Coffee</a> <a href="/t/2">Reviews</a></div></article>`,
			keep: []string{"No electricity, no scale", "one of the best buys under 300 euros"},
			drop: []string{"Reviews"},
		},
		{
			name: "a testimonial keeps who said it",
			body: chrome + `<main><h1>Tidewell</h1>` + article.String() + `<figure><blockquote><p>We replaced three tools and our pager got quieter.</p></blockquote><figcaption>Dana Ortiz, SRE lead at Bramble</figcaption></figure>` +
				`<figure><img src="/office.jpg" alt=""><figcaption>Our office in Leeds. Photo: J. Doe</figcaption></figure>` + story(7) + `</main>`,
			keep: []string{"our pager got quieter", "Dana Ortiz, SRE lead at Bramble", "Our office in Leeds."},
			drop: []string{"Photo: J. Doe"},
		},
		{
			name: "a story's captions go",
			body: chrome + `<article><h1>Otters return</h1><p class="byline">By Ana Lima</p>` + article.String() + `<figure><img src="/otter.jpg" alt=""><figcaption>An otter on the weir at dawn. <span class="credit">Photo: J. Doe</span></figcaption></figure>` + story(7) + `</article>`,
			keep: []string{"Paragraph 7"},
			drop: []string{"An otter on the weir", "Photo: J. Doe"},
		},
		{
			name: "a report's captions stay, their credits go",
			body: chrome + `<main><h1>Air quality in 2025</h1>` + article.String() + `<figure><img src="/pm.png" alt=""><figcaption>Annual mean PM2.5 at urban stations, 2015 to 2025. <span class="credit">Source: EEMA</span></figcaption></figure>` +
				`<figure><img src="/station.jpg" alt=""><figcaption>A measuring station in Aarhus. Foto: K. Holm</figcaption></figure>` + story(7) + `</main>`,
			keep: []string{"Annual mean PM2.5 at urban stations", "A measuring station in Aarhus."},
			drop: []string{"Source: EEMA", "K. Holm"},
		},
		{
			name: "a table's columns named like boilerplate",
			body: chrome + `<main><h1>The Railway Journey</h1>` + article.String() + `<h2>Holdings</h2><table><tr><th>Branch</th><th>Status</th><th>Due</th></tr>` +
				`<tr><td class="location">Jedburgh</td><td class="status">Checked out</td><td class="date_due">03/14/2027</td></tr>` +
				`<tr><td class="location">Kelso</td><td class="status">Available</td><td class="date_due"></td></tr></table></main>`,
			keep: []string{"03/14/2027", "Checked out"},
		},
		{
			name: "a catalogue's grid under its short introduction",
			body: chrome + `<main><div class="category-description"><p>Ankle boots for every season: leather, suede, lined or waterproof, flat or heeled. Free delivery from 60 euros.</p></div>` +
				`<div class="grid"><ol class="product-items">` +
				`<li class="product-item"><a href="/p0">Lina black leather boots</a><p>Full-grain leather, 4 cm heel</p><span>89,00 €</span></li>` +
				`<li class="product-item"><a href="/p1">Iris burgundy lace-ups</a><p>Suede, lined with wool</p><span>129,00 €</span></li>` +
				`<li class="product-item"><a href="/p2">Alix vegan boots</a><p>Recycled upper, rubber sole</p><span>74,00 €</span></li></ol></div>` +
				`<div class="category-seo-text"><h2>How to choose boots?</h2><p>For every day, pick a heel under 5 cm and a rubber sole, which grips better on wet pavements.</p></div></main>`,
			keep: []string{"Lina black leather boots", "129,00 €", "Alix vegan boots", "rubber sole, which grips"},
		},
		{
			name: "a grid's last row after a banner",
			body: chrome + `<main><h1>Mirrorless cameras</h1><p>Mirrorless cameras are smaller than DSLRs because they have no mirror box; the viewfinder shows the sensor's image.</p>` +
				`<ul class="grid gap-4"><li class="card"><a href="/p/1">Kestrel Z50 II</a><p>1,199.00</p><p>24 MP APS-C, 4K60 video</p></li><li class="card"><a href="/p/2">Norda X-T8</a><p>1,649.00</p><p>40 MP APS-C</p></li>` +
				`<li class="card"><a href="/p/3">Halvik R9 Mark III</a><p>2,499.00</p><p>Full frame, 45 MP</p></li><li class="card"><a href="/p/4">Kestrel Z5 Kit</a><p>999.00</p><p>Full frame, with lens</p></li></ul>` +
				`<div class="banner"><p>Trade in your old camera and get an extra 100 towards a new body.</p><a href="/trade-in">Get a quote</a></div>` +
				`<ul class="grid gap-4"><li class="card"><a href="/p/5">Norda X-S30</a><p>899.00</p><p>26 MP APS-C, flip screen</p></li><li class="card"><a href="/p/6">Halvik R50 Vlog Kit</a><p>749.00</p><p>Includes shotgun mic and grip</p></li></ul>` +
				`<section><h2>Choosing a mirrorless camera</h2><p>If you mostly shoot video, look for a body that records 10-bit footage without cropping the sensor, and check how long it records before it overheats.</p></section></main>`,
			keep: []string{"Kestrel Z5 Kit", "Norda X-S30", "Includes shotgun mic and grip", "10-bit footage"},
		},
		{
			name: "a catalogue's introduction far above its guide text",
			body: chrome + `<main><div class="title"><h1>Trail shoes</h1></div><div class="category-view"><div class="description"><div data-type="text"><p>Trail shoes trade the soft outsoles of road trainers for deeper lugs, tougher uppers and, often, a thin rock plate under the forefoot, for grip on mud.</p>` +
				`<p>Not sure where to start? Choose a lower drop and firmer feel for technical routes, or a cushioned shoe with a wider base for forest roads and paths.</p></div></div></div>` +
				`<div class="columns"><div class="column main"><div class="toolbar"><a href="?mode=list">List</a> <a href="?sort=price">Sort by price</a></div><ol class="products">` +
				`<li class="product"><a href="/p/1">Scree Runner 4 Men's Trail Shoe</a> <span>$139.95</span> <a href="/wish?p=1">Add to Wish List</a></li><li class="product"><a href="/p/2">Talus GTX Waterproof Trail Runner</a> <span>$164.95</span> <a href="/wish?p=2">Add to Wish List</a></li>` +
				`<li class="product"><a href="/p/3">Moraine Wide-Fit Trail Shoe</a> <span>$129.95</span> <a href="/wish?p=3">Add to Wish List</a></li></ol>` +
				`<div class="category-bottom-text"><h2>How should a trail shoe fit?</h2><p>Leave about a thumb's width between your longest toe and the end of the shoe, so that toes do not hit the front on long descents, and keep the heel locked.</p>` +
				`<p>If you are between sizes, try both in the afternoon, when feet are slightly swollen, and walk down a slope in them before you decide.</p></div></div>` +
				`<div class="filters"><a href="?g=m">Men</a> <a href="?g=w">Women</a> <a href="?g=k">Kids</a> <a href="?d=0">Drop 0–4 mm</a> <a href="?d=5">Drop 5–8 mm</a></div></div></main>`,
			keep: []string{"deeper lugs, tougher uppers", "Choose a lower drop", "a thumb's width"},
		},
		{
			name: "a page built of sections",
			body: chrome + `<div class="section hero"><div class="container"><h1>Furniture made to be handed down</h1><p class="lead">Nordlys is a small joinery in Silkeborg that builds tables and benches in solid wood.</p></div></div>` +
				`<div class="section"><div class="container"><div class="grid"><div class="rich-text"><h2>How it started</h2><p>The workshop was founded in 2011 by two cabinetmakers. The first year they mostly made kitchen tables for friends and neighbours; today there are eleven of us, two of them apprentices.</p>` +
				`<p>Everything is still drawn, planed and assembled in the same old machine hall by the river, where the first table was made.</p></div><div class="image"><img src="/w.jpg" alt=""></div></div></div></div>` +
				`<div class="section bg-sand"><div class="container"><h2>What we believe in</h2><div class="card"><h3>Solid wood</h3><p>No chipboard and no veneer. Only oak, ash and beech that can be sanded and oiled again.</p></div></div></div>` +
				`<div class="section"><div class="container"><h2>Visit the workshop</h2><p>Showroom and workshop: Ørnevej 9, Silkeborg. Open Thursday and Friday, 10 to 17.</p></div></div>` +
				`<div class="section newsletter"><div class="container"><p>Hear about new furniture and open days first.</p></div></div>`,
			keep: []string{"small joinery in Silkeborg", "founded in 2011", "Only oak, ash and beech", "Ørnevej 9"},
			drop: []string{"open days first"},
		},
		{
			name: "a catalogue's products with their prices, and a product page's cross-selling",
			body: chrome + `<div class="col-md-9"><h1>Down jackets</h1><p>Natural down still keeps you warmer than any synthetic filling of the same weight, and it lasts for years if you wash it right.</p>` +
				`<section class="products d-flex"><div class="product col-6"><a href="/p/1"><img src="/1.jpg" alt=""></a><h3><a href="/p/1">Tatra Down 700 jacket</a></h3><div class="prices"><strong>899,00 zł</strong></div></div>` +
				`<div class="product col-6"><a href="/p/2"><img src="/2.jpg" alt=""></a><h3><a href="/p/2">Bieszczady Long coat</a></h3><div class="prices"><strong>1 099,00 zł</strong></div></div>` +
				`<div class="product col-6"><a href="/p/3"><img src="/3.jpg" alt=""></a><h3><a href="/p/3">Pieniny Vest</a></h3><div class="prices"><strong>449,00 zł</strong></div></div></section>` +
				`<div class="cross"><h2>Customers also bought</h2><div class="grid"><div class="tile"><a href="/p/8">Waterproof spray for down</a><span>$14.00</span></div><div class="tile"><a href="/p/9">Merino base layer top</a><span>$59.00</span></div>` +
				`<div class="tile"><a href="/p/10">Fleece neck warmer</a><span>$19.00</span></div></div></div></div>`,
			keep: []string{"Tatra Down 700 jacket", "1 099,00 zł", "Pieniny Vest"},
			drop: []string{"Customers also bought", "Merino base layer"},
		},
		{
			name: "a comparison table with column headers",
			body: chrome + `<main><div class="hero"><h1>Pricing</h1>` + article.String() + `</div>` +
				`<div class="compare"><h2>Compare plans</h2><table><tr><th></th><th>Free</th><th>Team</th></tr><tr><td>Boards</td><td>3</td><td>Unlimited</td></tr>` +
				`<tr><td>Storage</td><td>1 GB</td><td>50 GB</td></tr><tr><td>Version history</td><td>7 days</td><td>1 year</td></tr></table></div></main>`,
			keep: []string{"Version history", "50 GB"},
		},
		{
			name: "a station's info table without column headers is no fact block",
			body: chrome + `<main><div class="report">` + article.String() + `</div>` +
				`<div class="stats"><div class="stats_header">Station info</div><table><tr><td class="label">Hardware</td><td>Davis Vantage Pro2</td></tr>` +
				`<tr><td class="label">Uptime</td><td>41 days, 3 hours</td></tr><tr><td class="label">Software</td><td>weewx 5.1.0</td></tr></table></div></main>`,
			keep: []string{"Paragraph 3"},
			drop: []string{"Davis Vantage Pro2"},
		},
		{
			name: "a meta line goes, labelled facts classed meta stay, times are no labels",
			body: chrome + `<div class="q"><div class="q-body">` + article.String() + `<span class="q-view-meta">asked Feb 3 in Bathrooms by lindaw</span></div>` +
				`<div class="product-meta"><p>SKU: AQ7-BLK-2026</p><p>Category: Headphones</p><p>Stock: 7 left</p></div>` +
				`<section class="comments"><div class="comment"><span class="comment-date">07 dic 2026 - 07:00 CET</span><p>Con mi sueldo no llego.</p></div>` +
				`<div class="comment"><span class="comment-date">07 dic 2026 - 08:10 CET</span><p>Es un abuso.</p></div><div class="comment"><span class="comment-date">07 dic 2026 - 09:30 CET</span><p>Muy cierto.</p></div></section></div>`,
			keep: []string{"SKU: AQ7-BLK-2026", "Paragraph 3"},
			drop: []string{"asked Feb 3", "Con mi sueldo"},
		},
		{
			name: "a short section beside the content's sections, and a quotation between them",
			body: chrome + `<main><section class="hero"><h1>MSc Data</h1></section>` +
				`<section id="overview"><h2>Overview</h2><p>Open to graduates of any subject who want to work with data.</p></section>` +
				`<div class="promo"><p>Meet us at our open evening on 21 January.</p><a href="/open">Book</a></div>` +
				`<section id="entry"><h2>Entry</h2>` + article.String() + `</section>` +
				`<blockquote class="testimonial"><p>My dissertation turned into my first job.</p></blockquote>` +
				`<section id="comments"><h2>Comments</h2><p>Is there a part-time route for people who work full time?</p></section>` +
				`<section class="related"><h2>Related</h2><ul><li><a href="/a">MSc AI</a></li><li><a href="/b">MSc Analytics</a></li></ul></section></main>`,
			keep: []string{"Open to graduates of any subject", "Paragraph 3", "My dissertation turned into my first job."},
			drop: []string{"open evening", "part-time route", "MSc AI"},
		},
		{
			name: "a buy box above the description",
			body: chrome + `<table><tr><td><img src="/kt550.jpg" alt=""></td><td><span class="item_name"><b>Rice cooker KT-550</b></span><br><span class="catch">An iron pot three millimetres thick.</span><br>` +
				`<span class="price2">19,800円</span><br><div class="delivery">Ships today when ordered by noon</div></td></tr></table><div class="item_desc">` + article.String() + `</div>`,
			keep: []string{"19,800円", "An iron pot three millimetres thick.", "Paragraph 3"},
		},
		{
			name: "a reference, price and stock at the start of the content",
			body: chrome + `<div class="row"><div class="col"><h1>Espresso machine Barista 15</h1><p class="text-muted">Ref. HP-CAF-0915</p><p class="h3">129,99 €</p>` +
				`<span class="badge">In stock: 7 left</span></div></div><div class="tab-pane">` + article.String() + `</div>`,
			keep: []string{"Ref. HP-CAF-0915", "129,99 €", "In stock: 7 left", "Paragraph 3"},
		},
		{
			name: "a sidebar's price far from the content is no buy box",
			body: chrome + `<div class="story">` + article.String() + `</div><div class="shop-teaser"><a href="/shop/mug">Our mug</a><p>$12</p></div>`,
			keep: []string{"Paragraph 3"},
			drop: []string{"Our mug", "$12"},
		},
		{
			name: "a byline and a date are not facts",
			body: chrome + `<article><h1>Otters return</h1><div class="info"><p>By: Jo Smith</p><p>Updated: 3 March</p></div>` + article.String() + `</article>`,
			keep: []string{"Paragraph 0"},
			drop: []string{"Jo Smith", "Updated: 3 March"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := "<html><head><title>Page</title></head><body>" + tt.body + "<footer><a href=\"/privacy\">Privacy</a></footer></body></html>"
			res, err := Extract([]byte(page), mustURL(t, "https://example.com/p"), Options{Formats: []string{FormatText}, OnlyMainContent: true})
			if err != nil {
				t.Fatal(err)
			}
			checkKeepDrop(t, res.Text, tt.keep, tt.drop)
		})
	}
}

func TestPriceLine(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"129,99 €", true},
		{"$89", true},
		{"3,900 NOK until 1 February", true},
		{"19,800円", true},
		{"1.299 TL", true},
		{"od 49 zł", true},
		{"R$ 59,90", true},
		{"Updated 3 March 2026", false},
		{"Try these 3 recipes", false},
		{"6 ft tall", false},
		{"Price on request", false},
		{"Chapter 12", false},
	}
	for _, tt := range tests {
		if got := priceLine(tt.in); got != tt.want {
			t.Errorf("priceLine(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestFactsUnderTheTitle checks that the short lines under the title of a
// page that is no story (an event, a policy, a recipe) are kept as its
// facts, while a story's dateline and byline still go.
func TestFactsUnderTheTitle(t *testing.T) {
	var article strings.Builder
	for i := range 4 {
		article.WriteString(story(i))
	}
	const (
		website = `<meta property="og:type" content="website">`
		storyOG = `<meta property="og:type" content="article">`
		storyLD = `<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle","headline":"Page"}</script>`
		blogLD  = `<script type="application/ld+json">{"@context":"https://schema.org","@type":"BlogPosting","headline":"Page"}</script>`
	)
	dated := `<main><h1>Page</h1><p class="when">Saturday 6 March 2027, 9:30</p>` + article.String() + `</main>`
	captioned := `<article><h1>Page</h1>` + story(0) + story(1) + `<figure><img src="/stairs.jpg" alt=""><figcaption>The stairs below the castle, just after sunrise. Photo: Ana Lima</figcaption></figure>` + story(2) + story(3) + `</article>`
	hero := `<div class="job-hero"><a href="/jobs">All open roles</a><h1>Page</h1><div class="location">Remote (US or Canada) · Engineering · Full-time</div>` +
		`<p><a href="/apply">Apply now</a></p></div><div class="job-content">` + article.String() + `</div>`
	field := `<main><h1>Page</h1><div class="field field--name-field-date"><div class="field__label">Date</div><div class="field__item">14-15 April 2027</div></div>` + article.String() + `</main>`
	tests := []struct {
		name, head, body string
		keep, drop       []string
	}{
		{"an event's date line", website, dated, []string{"Saturday 6 March 2027, 9:30", "Paragraph 3"}, nil},
		{"a page without metadata", "", `<main><h1>Page</h1><p>Last updated: 1 January 2027</p>` + article.String() + `</main>`, []string{"Last updated: 1 January 2027"}, nil},
		{"an event's date field", website, field, []string{"14-15 April 2027"}, nil},
		{"a story's dateline by OpenGraph", storyOG, dated, []string{"Paragraph 3"}, []string{"Saturday 6 March"}},
		{"a story's dateline by JSON-LD", storyLD, dated, []string{"Paragraph 3"}, []string{"Saturday 6 March"}},
		{"a story's date field", storyOG, field, []string{"Paragraph 3"}, []string{"14-15 April"}},
		{"a job's place in the header above the content", website, hero, []string{"Remote (US or Canada) · Engineering · Full-time", "Paragraph 3"}, []string{"All open roles", "Apply now"}},
		{"a story's dateline in the header above the content", storyOG, hero, []string{"Paragraph 3"}, []string{"Remote (US or Canada)"}},
		{"a blog post's captions", blogLD, captioned, []string{"The stairs below the castle, just after sunrise.", "Paragraph 3"}, []string{"Photo: Ana Lima"}},
		{"a news story's captions", storyLD, captioned, []string{"Paragraph 3"}, []string{"The stairs below the castle", "Photo: Ana Lima"}},
		{"an exhibition's dates above its title", website, `<header class="entry-header"><p class="expo-dates">From 14 February to 25 May 2027</p><h1>Page</h1></header><div class="entry-content">` + article.String() + `</div>`, []string{"From 14 February to 25 May 2027", "Paragraph 3"}, nil},
		{"a table's caption classed as a caption", website, `<main><h1>Page</h1>` + article.String() + `<table class="govuk-table"><caption class="govuk-table__caption">Adult passport fees from 1 April 2026</caption><tr><th>Online</th><td>£88.50</td></tr><tr><th>By post</th><td>£100</td></tr></table></main>`, []string{"Adult passport fees from 1 April 2026", "£88.50"}, nil},
		{"a release's contact line at its end", website, `<main><h1>Page</h1>` + article.String() + `<p>Media office: <a href="mailto:press@agency.example">press@agency.example</a>, +45 3336 7100</p></main>`, []string{"Media office: press@agency.example, +45 3336 7100"}, nil},
		{"a story's contact line at its end", storyOG, `<main><h1>Page</h1>` + article.String() + `<p>Media office: press@agency.example, +45 3336 7100</p></main>`, []string{"Paragraph 3"}, []string{"Media office"}},
		{"a job's facts under a title marked as a heading by its role", website, `<div class="hero"><div class="kicker">Vacancy</div><div role="heading" aria-level="1">Page</div><div class="sc-16eaa4"><span>Utrecht</span> <span>32–40 hours</span> <span>€ 3.100 – € 4.050 a month</span></div></div><div class="links"><a href="/jobs">All vacancies</a> <a href="/apply">Apply</a></div><div class="body">` + article.String() + `</div>`, []string{"€ 3.100 – € 4.050 a month", "Paragraph 3"}, []string{"All vacancies"}},
		{"a story's author box without a name for it", storyOG, `<article><h1>Page</h1>` + article.String() + `<div class="css-81c6b8"><img src="/a.jpg" alt="Helen Marsh"><div><strong>Helen Marsh</strong><p>Helen Marsh is the Courier's environment correspondent and has covered the coast since 2014.</p></div></div></article>`, []string{"Paragraph 3"}, []string{"environment correspondent"}},
		{"a team member's card on a company page", website, `<main><h1>Page</h1>` + article.String() + `<div class="member"><img src="/a.jpg" alt="Helen Marsh"><div><strong>Helen Marsh</strong><p>Helen Marsh leads our workshop and has built boats on this coast since 2014.</p></div></div></main>`, []string{"Paragraph 3", "leads our workshop"}, nil},
		{"a restaurant's menu classed as a menu", website, `<div class="site"><ul class="menu"><li><a href="/">Home</a></li><li><a href="/book">Book a table</a></li><li><a href="/contact">Contact</a></li></ul>` +
			`<div class="container"><h1>Page</h1>` + article.String() + `<div class="menu-section"><h2>Starters</h2><ul><li>Tzatziki with cucumber from the garden — 5.50</li><li>Dakos with soft cheese and capers — 7.00</li></ul></div>` +
			`<div class="menu-section"><h2>Mains</h2><ul><li>Grilled octopus with yellow split peas — 16.00</li><li>Slow-cooked goat with pasta — 14.00</li></ul></div></div></div>`,
			[]string{"Tzatziki with cucumber", "Slow-cooked goat"}, []string{"Book a table"}},
		{"a shop theme's product meta with its price and description", website, `<div class="Product"><div class="Product__Gallery"><img src="/p.jpg" alt=""></div><div class="ProductMeta"><h1>Page</h1><p class="ProductMeta__Price">₩32,000 (was ₩38,000)</p>` +
			`<div class="ProductMeta__Description"><p>Rice bran extract and five ceramides fill in a dry, sensitive skin barrier, and the serum sinks in without a sticky film, morning and evening, under sunscreen or alone.</p></div></div></div>` +
			`<div class="reviews"><div class="review"><p class="review-header">Minji · 2026.05.21</p><p>My cheeks stopped going red when the seasons change, and it layers well under sunscreen.</p></div></div>`,
			[]string{"₩32,000 (was ₩38,000)", "five ceramides fill in"}, nil},
		{"a collection's grid of linked cards inside wrappers, beside its text", website, `<div class="page"><h1>Page</h1><div class="rte">` + article.String() + `</div><div class="grid grid--uniform">` +
			`<div class="grid__item"><div class="grid-product__content"><a href="/p/1" class="grid-product__link"><div class="title">Alishan High Mountain Oolong 50g</div><div class="price">£12.50</div></a></div></div>` +
			`<div class="grid__item"><div class="grid-product__content"><a href="/p/2" class="grid-product__link"><div class="title">Dong Ding Oolong 50g</div><div class="price">£13.00</div></a></div></div>` +
			`<div class="grid__item"><div class="grid-product__content"><a href="/p/3" class="grid-product__link"><div class="title">Oriental Beauty Oolong 25g</div><div class="price">£15.00</div></a></div></div></div></div>`,
			[]string{"Alishan High Mountain Oolong 50g", "£13.00", "Paragraph 3"}, nil},
		{"a catalogue's tiles named by a link inside them", website, `<main><h1>Page</h1><div class="category-description">` + article.String() + `</div><div class="products wrapper grid"><ol class="product-items">` +
			magentoItem("Scree Runner 4 Trail Shoe", "$139.95") + magentoItem("Talus GTX Waterproof Runner", "$164.95") + magentoItem("Moraine Wide-Fit Shoe", "$129.95") + `</ol></div></main>`,
			[]string{"Talus GTX Waterproof Runner", "$129.95", "Paragraph 3"}, nil},
		{"a linked line is no fact", website, `<main><h1>Page</h1><div class="bar"><a href="/reply">Post reply</a> 3 posts, page 1 of 1</div>` + article.String() + `</main>`, []string{"Paragraph 3"}, []string{"Post reply"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := "<html><head><title>Page</title>" + tt.head + "</head><body><nav><a href=\"/\">Home</a> <a href=\"/a\">About</a></nav>" + tt.body + "</body></html>"
			res, err := Extract([]byte(page), mustURL(t, "https://example.com/p"), Options{Formats: []string{FormatText}, OnlyMainContent: true})
			if err != nil {
				t.Fatal(err)
			}
			checkKeepDrop(t, res.Text, tt.keep, tt.drop)
		})
	}
}

func TestDatedPath(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"/2026/03/soup/", true},
		{"/news/2026/11/18/ferry-cuts", true},
		{"/blog/2026-03-14-soup", true},
		{"/events/2026/", false},
		{"/products/2026-edition", false},
		{"/page/1999", false},
		{"/terms", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := datedPath(tt.path); got != tt.want {
			t.Errorf("datedPath(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestDocumentLink(t *testing.T) {
	tests := []struct {
		a    string
		want bool
	}{
		{`<a href="/files/report.pdf">Annual report</a>`, true},
		{`<a href="/files/Form-B.DOCX?download=1">Form B</a>`, true},
		{`<a href="/doc/123">Text of the regulation (PDF, 0.31 MB)</a>`, true},
		{`<a href="/d/9">使用手册 V2.3（PDF）</a>`, true},
		{`<a href="/news/pdfs-explained">Why PDFs are hard</a>`, false},
		{`<a href="/news">All news</a>`, false},
	}
	for _, tt := range tests {
		doc, err := html.Parse(strings.NewReader(tt.a))
		if err != nil {
			t.Fatal(err)
		}
		var a *html.Node
		walk(doc, func(n *html.Node) bool {
			if n.Type == html.ElementNode && n.DataAtom == atom.A {
				a = n
			}
			return a == nil
		})
		if got := documentLink(a); got != tt.want {
			t.Errorf("documentLink(%s) = %v, want %v", tt.a, got, tt.want)
		}
	}
}

// magentoItem is a product tile as a Magento theme writes it: a photo
// link, the name linked inside a <strong>, a rating, the price and the
// cart buttons.
func magentoItem(name, price string) string {
	return `<li class="item product product-item"><div class="product-item-info"><a href="/p" class="product photo"><span class="product-image-container"><img src="/p.jpg" alt="` + name + `"></span></a>` +
		`<div class="product details"><strong class="product name"><a class="product-item-link" href="/p">` + name + `</a></strong>` +
		`<div class="product-reviews-summary short"><div class="rating-result" title="92%"><span>92%</span></div></div><div class="price-box"><span class="price">` + price + `</span></div>` +
		`<div class="product-item-inner"><div class="actions-primary"><form action="/cart/add"><button type="submit">Add to Cart</button></form></div>` +
		`<div class="actions-secondary"><a href="#" class="action towishlist" role="button"><span>Add to Wish List</span></a><a href="#" class="action tocompare" role="button"><span>Add to Compare</span></a></div></div></div></div></li>`
}

func TestProductGrid(t *testing.T) {
	tests := []struct {
		name, list string
		want       bool
	}{
		{"tiles named by a link inside them", magentoItem("Scree Runner 4", "$139.95") + magentoItem("Talus GTX Runner", "$164.95") + magentoItem("Moraine Wide-Fit", "$129.95"), true},
		{"linked cards with prices", `<li class="c"><a href="/1">Alishan Oolong 50g £12.50</a></li><li class="c"><a href="/2">Dong Ding Oolong £13.00</a></li><li class="c"><a href="/3">Bai Hao Oolong £15.00</a></li>`, true},
		{"two tiles are no grid", magentoItem("Scree Runner 4", "$139.95") + magentoItem("Talus GTX Runner", "$164.95"), false},
		{"linked stories without prices", `<li class="c"><a href="/1">Otters return to the Thames</a></li><li class="c"><a href="/2">Council votes on bins</a></li><li class="c"><a href="/3">Ferry cuts sailings</a></li>`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := html.Parse(strings.NewReader("<ol>" + tt.list + "</ol>"))
			if err != nil {
				t.Fatal(err)
			}
			var ol *html.Node
			walk(doc, func(n *html.Node) bool {
				if n.Type == html.ElementNode && n.DataAtom == atom.Ol {
					ol = n
				}
				return ol == nil
			})
			if got := newCleaner().productGrid(ol); got != tt.want {
				t.Errorf("productGrid = %v, want %v", got, tt.want)
			}
		})
	}
}
