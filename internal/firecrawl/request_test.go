package firecrawl

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/crawl"
)

func TestTranslate(t *testing.T) {
	v1scrape := endpoint{"v1", spidergo.KindScrape, 0}
	v2scrape := endpoint{"v2", spidergo.KindScrape, 0}
	v1crawl := endpoint{"v1", spidergo.KindCrawl, 0}
	v2crawl := endpoint{"v2", spidergo.KindCrawl, 0}
	v1map := endpoint{"v1", spidergo.KindMap, 0}
	v2map := endpoint{"v2", spidergo.KindMap, 0}
	v2batch := endpoint{"v2", spidergo.KindBatch, 0}
	tests := []struct {
		name string
		ep   endpoint
		body string
		want *api.Request
	}{
		{"v1 scrape", v1scrape,
			`{"url":"https://example.com","formats":["markdown","html","rawHtml","links"],"onlyMainContent":false,"includeTags":["main"],"excludeTags":["nav"],"headers":{"X-A":"b"},"timeout":15000,"maxAge":60000,"waitFor":0,"mobile":false,"origin":"js-sdk@1.0.0","blockAds":true}`,
			&api.Request{URL: "https://example.com", Formats: []string{"metadata", "markdown", "html", "raw_html", "links"}, OnlyMainContent: api.Ptr(false),
				IncludeTags: []string{"main"}, ExcludeTags: []string{"nav"}, Headers: map[string]string{"X-A": "b"}, TimeoutMS: api.Ptr(15000), MaxAgeMS: 60000}},
		{"v2 scrape with format objects", v2scrape,
			`{"url":"https://example.com","formats":[{"type":"markdown"},"links",{"type":"images"}]}`,
			&api.Request{URL: "https://example.com", Formats: []string{"metadata", "markdown", "links", "images"}}},
		{"scrape without formats takes SpiderGo's defaults", v2scrape, `{"url":"https://example.com","integration":"n8n"}`,
			&api.Request{URL: "https://example.com"}},
		{"parsePDF true is what SpiderGo does", v2scrape, `{"url":"https://example.com/a.pdf","parsePDF":true}`,
			&api.Request{URL: "https://example.com/a.pdf"}},
		{"nulls are absent", v2scrape, `{"url":"https://example.com","formats":null,"timeout":null}`,
			&api.Request{URL: "https://example.com"}},
		{"v1 crawl", v1crawl,
			`{"url":"https://example.com","limit":5,"maxDepth":2,"includePaths":["^/blog/.*"],"excludePaths":["/tag/"],"allowBackwardLinks":true,"allowExternalLinks":false,"ignoreSitemap":true,"ignoreQueryParameters":true,"delay":1.5,"webhook":"https://hooks.example.com/x","scrapeOptions":{"formats":["markdown"],"onlyMainContent":true}}`,
			&api.Request{URL: "https://example.com", Limit: api.Ptr(5), MaxDepth: api.Ptr(2), IncludePaths: []string{"^/blog/.*"}, ExcludePaths: []string{"/tag/"},
				CrawlEntireSite: true, Sitemap: "skip", IgnoreQueryParameters: true, DelayMS: 1500, Webhook: &api.Webhook{URL: "https://hooks.example.com/x"},
				Formats: []string{"metadata", "markdown"}, OnlyMainContent: api.Ptr(true), Async: api.Ptr(true)}},
		{"v2 crawl", v2crawl,
			`{"url":"https://example.com","maxDiscoveryDepth":1,"crawlEntireDomain":true,"allowSubdomains":true,"sitemap":"only","deduplicateSimilarURLs":false,"maxConcurrency":2,"webhook":{"url":"https://hooks.example.com/x","events":["page","completed"],"headers":{"X":"y"}}}`,
			&api.Request{URL: "https://example.com", Limit: api.Ptr(crawl.DefaultMaxCrawlPages), MaxDepth: api.Ptr(1), CrawlEntireSite: true, AllowSubdomains: true, Sitemap: "only",
				DeduplicateSimilarURLs: api.Ptr(false), MaxConcurrency: api.Ptr(2), Async: api.Ptr(true),
				Webhook: &api.Webhook{URL: "https://hooks.example.com/x", Events: []string{"page", "completed"}, Headers: map[string]string{"X": "y"}}}},
		{"crawl defaults reach the whole site", v2crawl, `{"url":"https://example.com"}`,
			&api.Request{URL: "https://example.com", Limit: api.Ptr(crawl.DefaultMaxCrawlPages), MaxDepth: api.Ptr(crawl.MaxDepthCap), Async: api.Ptr(true)}},
		{"v1 map", v1map, `{"url":"https://example.com","search":"docs","sitemapOnly":true,"includeSubdomains":true,"limit":50}`,
			&api.Request{URL: "https://example.com", Search: "docs", Sitemap: "only", AllowSubdomains: true, Limit: api.Ptr(50)}},
		{"v2 map asks for titles", v2map, `{"url":"https://example.com","sitemap":"skip","timeout":5000}`,
			&api.Request{URL: "https://example.com", Sitemap: "skip", TimeoutMS: api.Ptr(5000), IncludeTitles: true}},
		{"v2 scrape with actions", v2scrape,
			`{"url":"https://example.com","actions":[{"type":"wait","milliseconds":500},{"type":"wait","selector":"#list"},{"type":"click","selector":"#more","all":false},{"type":"write","text":"spiders"},{"type":"press","key":"Enter"},{"type":"scroll","direction":"down","amount":300},{"type":"scroll","direction":"up"},{"type":"screenshot","fullPage":true},{"type":"screenshot"},{"type":"executeJavascript","script":"document.title = 'x'"}]}`,
			&api.Request{URL: "https://example.com", Actions: []api.Action{
				{Type: "wait", Milliseconds: 500}, {Type: "wait", Selector: "#list"}, {Type: "click", Selector: "#more"}, {Type: "write", Text: "spiders"},
				{Type: "press", Key: "Enter"}, {Type: "scroll", Direction: "down", Amount: 300}, {Type: "scroll", Direction: "up"},
				{Type: "screenshot", FullPage: true}, {Type: "screenshot"}, {Type: "execute_javascript", Script: "document.title = 'x'"}}}},
		{"v1 waitFor and mobile", v1scrape, `{"url":"https://example.com","waitFor":1500,"mobile":true,"actions":[]}`,
			&api.Request{URL: "https://example.com", WaitForMS: 1500, Mobile: true, Actions: []api.Action{}}},
		{"v1 screenshot format", v1scrape, `{"url":"https://example.com","formats":["markdown","screenshot"]}`,
			&api.Request{URL: "https://example.com", Formats: []string{"metadata", "markdown", "screenshot"}}},
		{"v1 full-page screenshot format", v1scrape, `{"url":"https://example.com","formats":["screenshot@fullPage"]}`,
			&api.Request{URL: "https://example.com", Formats: []string{"metadata", "screenshot"}, ScreenshotFullPage: true}},
		{"v2 screenshot format object", v2scrape, `{"url":"https://example.com","formats":["markdown",{"type":"screenshot","fullPage":true,"quality":null}]}`,
			&api.Request{URL: "https://example.com", Formats: []string{"metadata", "markdown", "screenshot"}, ScreenshotFullPage: true}},
		{"v2 viewport screenshot format object", v2scrape, `{"url":"https://example.com","formats":[{"type":"screenshot","fullPage":false}]}`,
			&api.Request{URL: "https://example.com", Formats: []string{"metadata", "screenshot"}}},
		{"crawl scrapeOptions actions", v2crawl, `{"url":"https://example.com","scrapeOptions":{"actions":[{"type":"click","selector":"#a"}],"formats":["screenshot"]}}`,
			&api.Request{URL: "https://example.com", Limit: api.Ptr(crawl.DefaultMaxCrawlPages), MaxDepth: api.Ptr(crawl.MaxDepthCap), Async: api.Ptr(true),
				Actions: []api.Action{{Type: "click", Selector: "#a"}}, Formats: []string{"metadata", "screenshot"}}},
		{"v2 batch", v2batch, `{"urls":["https://a.example","https://b.example"],"formats":["markdown"],"ignoreInvalidURLs":true,"maxConcurrency":3}`,
			&api.Request{URLs: []string{"https://a.example", "https://b.example"}, Formats: []string{"metadata", "markdown"}, IgnoreInvalidURLs: true,
				MaxConcurrency: api.Ptr(3), Async: api.Ptr(true)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Translate(tt.ep, []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("request (-want +got):\n%s", d)
			}
		})
	}
}

// TestTranslateRefuses: what SpiderGo cannot honour is a 400 that names
// the option, never a silent drop.
func TestTranslateRefuses(t *testing.T) {
	v1scrape := endpoint{"v1", spidergo.KindScrape, 0}
	v2scrape := endpoint{"v2", spidergo.KindScrape, 0}
	v2crawl := endpoint{"v2", spidergo.KindCrawl, 0}
	v2map := endpoint{"v2", spidergo.KindMap, 0}
	v1batch := endpoint{"v1", spidergo.KindBatch, 0}
	tests := []struct {
		name string
		ep   endpoint
		body string
		want string // in the message
	}{
		{"executeJavascript selector", v2scrape, `{"url":"u","actions":[{"type":"wait","milliseconds":1},{"type":"executeJavascript","script":"1","selector":"#a"}]}`, `actions[1].selector`},
		{"scrape action", v2scrape, `{"url":"u","actions":[{"type":"scrape"}]}`, `actions[0]: scrape`},
		{"pdf action", v2scrape, `{"url":"u","actions":[{"type":"pdf"}]}`, `actions[0]: pdf`},
		{"unknown action", v2scrape, `{"url":"u","actions":[{"type":"dance"}]}`, `"dance"`},
		{"action without type", v2scrape, `{"url":"u","actions":[{"selector":"#a"}]}`, `actions[0].type`},
		{"action field of another type", v2scrape, `{"url":"u","actions":[{"type":"press","selector":"#a"}]}`, `actions[0].selector`},
		{"click all", v2scrape, `{"url":"u","actions":[{"type":"click","selector":"#a","all":true}]}`, `actions[0].all`},
		{"scroll selector", v2scrape, `{"url":"u","actions":[{"type":"scroll","selector":"#a"}]}`, `actions[0].selector`},
		{"screenshot quality", v2scrape, `{"url":"u","actions":[{"type":"screenshot","quality":80}]}`, `actions[0].quality`},
		{"actions not an array", v2scrape, `{"url":"u","actions":{"type":"wait"}}`, `"actions"`},
		{"action field type", v2scrape, `{"url":"u","actions":[{"type":"wait","milliseconds":"soon"}]}`, `actions[0]`},
		{"mobile type", v2scrape, `{"url":"u","mobile":"yes"}`, `"mobile"`},
		{"waitFor range", v1scrape, `{"url":"u","waitFor":-1}`, `"waitFor"`},
		{"screenshot format viewport", v2scrape, `{"url":"u","formats":[{"type":"screenshot","viewport":{"width":1,"height":1}}]}`, `formats[0].viewport`},
		{"json format", v2scrape, `{"url":"u","formats":[{"type":"json","prompt":"x"}]}`, `json`},
		{"jsonOptions", v1scrape, `{"url":"u","jsonOptions":{"prompt":"x"}}`, `"jsonOptions"`},
		{"location", v2scrape, `{"url":"u","location":{"country":"DE"}}`, `"location"`},
		{"proxy", v2scrape, `{"url":"u","proxy":"stealth"}`, `"proxy"`},
		{"parsePDF false", v2scrape, `{"url":"u","parsePDF":false}`, `"parsePDF"`},
		{"unknown option", v2scrape, `{"url":"u","frobnicate":1}`, `"frobnicate"`},
		{"unknown format", v2scrape, `{"url":"u","formats":["poetry"]}`, `"poetry"`},
		{"format options", v2scrape, `{"url":"u","formats":[{"type":"markdown","x":1}]}`, `formats[0].x`},
		{"format object on v1", v1scrape, `{"url":"u","formats":[{"type":"markdown"}]}`, `formats[0]`},
		{"nested scrape option", v2crawl, `{"url":"u","scrapeOptions":{"actions":[{"type":"pdf"}]}}`, `scrapeOptions.actions[0]: pdf`},
		{"prompt", v2crawl, `{"url":"u","prompt":"only blog posts"}`, `"prompt"`},
		{"regexOnFullURL", v2crawl, `{"url":"u","regexOnFullURL":true}`, `"regexOnFullURL"`},
		{"crawl timeout is a scrape option", v2crawl, `{"url":"u","timeout":1000}`, `"timeout"`},
		{"webhook metadata", v2crawl, `{"url":"u","webhook":{"url":"https://h.example","metadata":{"a":1}}}`, `webhook.metadata`},
		{"map location", v2map, `{"url":"u","location":{"country":"US"}}`, `"location"`},
		{"appendToId", v1batch, `{"urls":["u"],"appendToId":"x"}`, `"appendToId"`},
		{"timeout range", v2scrape, `{"url":"u","timeout":10}`, `"timeout"`},
		{"wrong type", v2scrape, `{"url":"u","onlyMainContent":"yes"}`, `"onlyMainContent"`},
		{"not an object", v2scrape, `[1]`, `JSON object`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Translate(tt.ep, []byte(tt.body))
			if spidergo.ErrorCode(err) != spidergo.EINVALID {
				t.Fatalf("error %v, want EINVALID", err)
			}
			if msg := spidergo.ErrorMessage(err); !strings.Contains(msg, tt.want) {
				t.Errorf("message %q does not name %s", msg, tt.want)
			}
		})
	}
}

func TestDocumentOf(t *testing.T) {
	p := &api.Page{URL: "https://example.com/a", FinalURL: "https://example.com/b", StatusCode: 200, ContentType: "text/html",
		Title: "A", MetaDescription: "About A", Language: "en", Markdown: "# A", HTML: "<h1>A</h1>", RawHTML: "<html>",
		Links:    &api.Links{Internal: []string{"https://example.com/c"}, External: []string{"https://other.example/"}},
		Metadata: map[string]string{"og:title": "OG A", "title": "tag title"}}
	want := Document{Markdown: "# A", HTML: "<h1>A</h1>", RawHTML: "<html>", Links: []string{"https://example.com/c", "https://other.example/"},
		Metadata: map[string]any{"og:title": "OG A", "title": "A", "description": "About A", "language": "en", "sourceURL": "https://example.com/a",
			"url": "https://example.com/b", "statusCode": 200, "contentType": "text/html", "cacheState": "miss"}}
	if d := cmp.Diff(want, documentOf(p)); d != "" {
		t.Errorf("document (-want +got):\n%s", d)
	}
	failed := documentOf(&api.Page{URL: "https://example.com/x", StatusCode: 404, Error: "http_4xx", ErrorDetail: "The server answered 404."})
	if failed.Metadata["error"] != "The server answered 404." || failed.Metadata["statusCode"] != 404 {
		t.Errorf("failed page metadata = %v", failed.Metadata)
	}
}

func TestStatusOf(t *testing.T) {
	tests := []struct {
		env              api.Envelope
		status           string
		total, completed int
	}{
		{api.Envelope{Status: spidergo.StatusQueued, Limit: 10}, "scraping", 0, 0},
		{api.Envelope{Status: spidergo.StatusRunning, Discovered: 30, Limit: 10, TotalPages: 4}, "scraping", 10, 4},
		{api.Envelope{Status: spidergo.StatusRunning, Discovered: 6, Limit: 10, TotalPages: 2}, "scraping", 6, 2},
		{api.Envelope{Status: spidergo.StatusCompleted, Discovered: 30, Limit: 10, TotalPages: 10}, "completed", 10, 10},
		{api.Envelope{Status: spidergo.StatusCancelled, Discovered: 30, Limit: 10, TotalPages: 3}, "cancelled", 3, 3},
		{api.Envelope{Status: spidergo.StatusFailed}, "failed", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.env.Status, func(t *testing.T) {
			st := statusOf(&tt.env)
			if st.Status != tt.status || st.Total != tt.total || st.Completed != tt.completed || !st.Success || st.Data == nil {
				t.Errorf("statusOf = %+v, want status %s total %d completed %d", st, tt.status, tt.total, tt.completed)
			}
		})
	}
}
