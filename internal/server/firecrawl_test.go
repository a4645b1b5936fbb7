package server

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// firecrawlSite is a small loopback site: a home page linking three
// pages, one of which links a missing page, and a section under /slow/
// whose pages wait until the test ends (for cancels).
func firecrawlSite(t testing.TB) *site {
	t.Helper()
	s := newSite(t, map[string]string{
		"/":       htmlPage("Home", "/a", "/b", "/c"),
		"/a":      htmlPage("Page A", "/b"),
		"/b":      htmlPage("Page B"),
		"/c":      htmlPage("Page C", "/missing", "/a"),
		"/slow/":  htmlPage("Slow", "/slow/1", "/slow/2"),
		"/slow/1": htmlPage("Slow 1"),
		"/slow/2": htmlPage("Slow 2"),
	})
	s.mu.Lock()
	s.gate = make(chan struct{})
	s.mu.Unlock()
	// Registered after newSite's cleanup, so it runs first: the held
	// pages let go before the site closes.
	t.Cleanup(func() { close(s.gate) })
	return s
}

func newFirecrawlEnv(t testing.TB) (*apiEnv, *site) {
	t.Helper()
	s := firecrawlSite(t)
	e := newAPIEnv(t, "", hostOf(s.Server))
	e.addUser(t, "firecrawl@example.com")
	return e, s
}

// fcFailed checks a Firecrawl error answer: the status, {success: false}
// and an error message holding want.
func fcFailed(t testing.TB, res *http.Response, body map[string]any, status int, want string) {
	t.Helper()
	if res.StatusCode != status || body["success"] != false {
		t.Fatalf("status %d body %v, want %d and success false", res.StatusCode, body, status)
	}
	if msg, _ := body["error"].(string); !strings.Contains(msg, want) {
		t.Errorf("error %q does not hold %q", msg, want)
	}
}

func TestFirecrawlScrape(t *testing.T) {
	e, s := newFirecrawlEnv(t)
	for _, v := range []string{"v1", "v2"} {
		t.Run(v, func(t *testing.T) {
			before := e.usedToday(t)
			res, body := e.call(t, "POST", "/firecrawl/"+v+"/scrape", fmt.Sprintf(`{"url":%q,"formats":["markdown","rawHtml","links"],"origin":"test"}`, s.URL+"/a"))
			if res.StatusCode != 200 || body["success"] != true {
				t.Fatalf("scrape: %d %v", res.StatusCode, body)
			}
			data := body["data"].(map[string]any)
			md := data["metadata"].(map[string]any)
			if !strings.Contains(data["markdown"].(string), "Page A") || !strings.Contains(data["rawHtml"].(string), "<html>") {
				t.Errorf("data lacks markdown or rawHtml: %v", data)
			}
			if _, ok := data["html"]; ok {
				t.Errorf("html was not asked for but came: %v", data)
			}
			if links := data["links"].([]any); len(links) != 1 || links[0] != s.URL+"/b" {
				t.Errorf("links = %v", links)
			}
			if md["title"] != "Page A" || md["description"] != "About Page A" || md["sourceURL"] != s.URL+"/a" || md["url"] != s.URL+"/a" || md["statusCode"] != float64(200) {
				t.Errorf("metadata = %v", md)
			}
			if got := e.usedToday(t); got != before+1 {
				t.Errorf("a scrape cost %v units, want 1", got-before)
			}
		})
	}
}

func TestFirecrawlErrors(t *testing.T) {
	e, s := newFirecrawlEnv(t)
	tests := []struct {
		name, key, method, path, body string
		status                        int
		want                          string
	}{
		{"no key", "", "POST", "/firecrawl/v2/scrape", `{"url":"` + s.URL + `"}`, 401, "API key"},
		{"unknown key", "sk_live_" + strings.Repeat("0", 48), "GET", "/firecrawl/v1/crawl/x", "", 401, ""},
		{"actions without a browser", e.key, "POST", "/firecrawl/v2/scrape", `{"url":"` + s.URL + `","actions":[{"type":"click","selector":"#a"}]}`, 400, "Option actions needs browser rendering"},
		{"screenshot without a browser", e.key, "POST", "/firecrawl/v1/scrape", `{"url":"` + s.URL + `","formats":["screenshot@fullPage"]}`, 400, "needs browser rendering"},
		{"mobile without a browser", e.key, "POST", "/firecrawl/v2/scrape", `{"url":"` + s.URL + `","mobile":true}`, 400, "Option mobile needs browser rendering"},
		{"pdf action", e.key, "POST", "/firecrawl/v2/scrape", `{"url":"` + s.URL + `","actions":[{"type":"pdf"}]}`, 400, "pdf"},
		{"json format", e.key, "POST", "/firecrawl/v1/scrape", `{"url":"` + s.URL + `","formats":["json"]}`, 400, "json"},
		{"unknown option", e.key, "POST", "/firecrawl/v1/crawl", `{"url":"` + s.URL + `","frobnicate":true}`, 400, `"frobnicate"`},
		{"SpiderGo's own checks", e.key, "POST", "/firecrawl/v2/crawl", `{"url":"not a url at all"}`, 400, ""},
		{"private address", e.key, "POST", "/firecrawl/v2/scrape", `{"url":"http://10.0.0.1/"}`, 400, "10.0.0.1"},
		{"unknown job", e.key, "GET", "/firecrawl/v2/crawl/nope", "", 404, ""},
		{"unknown batch", e.key, "GET", "/firecrawl/v1/batch/scrape/nope", "", 404, ""},
		{"cancel unknown", e.key, "DELETE", "/firecrawl/v2/crawl/nope", "", 404, ""},
		{"unknown route", e.key, "POST", "/firecrawl/v2/extract", `{}`, 404, "Firecrawl route"},
		{"bad skip", e.key, "GET", "/firecrawl/v2/crawl/x?skip=-1", "", 400, "skip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.usedToday(t)
			res, body := e.callAs(t, tt.key, tt.method, tt.path, tt.body)
			fcFailed(t, res, body, tt.status, tt.want)
			if got := e.usedToday(t); got != before {
				t.Errorf("a refused request cost %v units", got-before)
			}
		})
	}
}

// pollFirecrawl reads a job's status until it ends.
func pollFirecrawl(t testing.TB, e *apiEnv, path string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, body := e.call(t, "GET", path, "")
		if res.StatusCode != 200 || body["success"] != true {
			t.Fatalf("GET %s: %d %v", path, res.StatusCode, body)
		}
		if body["status"] != "scraping" {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: still %v", path, body["status"])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestFirecrawlCrawl(t *testing.T) {
	e, s := newFirecrawlEnv(t)
	res, body := e.call(t, "POST", "/firecrawl/v2/crawl", `{"url":"`+s.URL+`/","limit":10,"scrapeOptions":{"formats":["markdown"]}}`)
	if res.StatusCode != 200 || body["success"] != true {
		t.Fatalf("start: %d %v", res.StatusCode, body)
	}
	id := body["id"].(string)
	if body["url"] != e.http.URL+"/firecrawl/v2/crawl/"+id {
		t.Errorf("url = %v", body["url"])
	}
	done := pollFirecrawl(t, e, "/firecrawl/v2/crawl/"+id)
	if done["status"] != "completed" || done["completed"] != float64(5) || done["total"] != float64(5) || done["creditsUsed"] != float64(1) {
		t.Errorf("finished status = %v", done)
	}
	if _, ok := done["next"]; ok {
		t.Errorf("one page of results has a next: %v", done["next"])
	}

	// Paging: ?limit=2 leads on with next until the last page, which has
	// none.
	seen := map[string]bool{}
	path := "/firecrawl/v2/crawl/" + id + "?limit=2"
	for pages := 0; path != ""; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		_, b := e.call(t, "GET", path, "")
		for _, d := range b["data"].([]any) {
			u := d.(map[string]any)["metadata"].(map[string]any)["sourceURL"].(string)
			if seen[u] {
				t.Errorf("%s on two pages", u)
			}
			seen[u] = true
		}
		path = ""
		if next, ok := b["next"].(string); ok {
			path = strings.TrimPrefix(next, e.http.URL)
			if !strings.Contains(next, "skip=") || !strings.Contains(next, "limit=2") {
				t.Errorf("next = %s", next)
			}
		}
	}
	if len(seen) != 5 || !seen[s.URL+"/missing"] {
		t.Errorf("pages read = %v, want the 5 stored", seen)
	}

	_, errs := e.call(t, "GET", "/firecrawl/v2/crawl/"+id+"/errors", "")
	list := errs["errors"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["url"] != s.URL+"/missing" {
		t.Errorf("errors = %v", errs)
	}
	// firecrawl-js's v1 client asks with DELETE.
	if _, errs := e.call(t, "DELETE", "/firecrawl/v1/crawl/"+id+"/errors", ""); len(errs["errors"].([]any)) != 1 {
		t.Errorf("DELETE errors = %v", errs)
	}
	res, body = e.call(t, "DELETE", "/firecrawl/v2/crawl/"+id, "")
	fcFailed(t, res, body, 409, "completed")
}

func TestFirecrawlCancel(t *testing.T) {
	e, s := newFirecrawlEnv(t)
	_, body := e.call(t, "POST", "/firecrawl/v1/crawl", `{"url":"`+s.URL+`/slow/","limit":5}`)
	id := body["id"].(string)
	select {
	case <-s.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the crawl did not start")
	}
	res, body := e.call(t, "DELETE", "/firecrawl/v1/crawl/"+id, "")
	if res.StatusCode != 200 || body["status"] != "cancelled" {
		t.Fatalf("cancel: %d %v", res.StatusCode, body)
	}
	if st := pollFirecrawl(t, e, "/firecrawl/v1/crawl/"+id); st["status"] != "cancelled" {
		t.Errorf("status after cancel = %v", st["status"])
	}
}

func TestFirecrawlMapAndBatch(t *testing.T) {
	e, s := newFirecrawlEnv(t)
	_, v1 := e.call(t, "POST", "/firecrawl/v1/map", `{"url":"`+s.URL+`/"}`)
	links, _ := v1["links"].([]any)
	if v1["success"] != true || !containsAny(links, s.URL+"/a") {
		t.Errorf("v1 map = %v", v1)
	}
	_, v2 := e.call(t, "POST", "/firecrawl/v2/map", `{"url":"`+s.URL+`/","limit":10}`)
	found := false
	for _, l := range v2["links"].([]any) {
		if l.(map[string]any)["url"] == s.URL+"/b" {
			found = true
		}
	}
	if v2["success"] != true || !found {
		t.Errorf("v2 map = %v", v2)
	}

	res, body := e.call(t, "POST", "/firecrawl/v2/batch/scrape", `{"urls":["`+s.URL+`/a","`+s.URL+`/b","ftp://nope"],"ignoreInvalidURLs":true,"formats":["markdown"]}`)
	if res.StatusCode != 200 || body["success"] != true {
		t.Fatalf("batch: %d %v", res.StatusCode, body)
	}
	if inv := body["invalidURLs"].([]any); len(inv) != 1 || inv[0] != "ftp://nope" {
		t.Errorf("invalidURLs = %v", inv)
	}
	done := pollFirecrawl(t, e, "/firecrawl/v2/batch/scrape/"+body["id"].(string))
	if done["status"] != "completed" || len(done["data"].([]any)) != 2 {
		t.Errorf("batch status = %v", done)
	}
}

func containsAny(list []any, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// TestFirecrawlJSSDK runs the official firecrawl-js SDK, unchanged, against
// this server: v1 and v2 scrape, crawl with polling, paging, errors, cancel,
// map and batch (internal/firecrawl/testdata/js/sdk.test.mjs). It needs
// node and `npm ci` run in that folder.
func TestFirecrawlJSSDK(t *testing.T) {
	if testing.Short() {
		t.Skip("the SDK run takes a while")
	}
	dir, err := filepath.Abs("../firecrawl/testdata/js")
	if err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the Firecrawl SDK test needs it")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@mendable", "firecrawl-js", "package.json")); err != nil {
		t.Skipf("@mendable/firecrawl-js is not installed: run `npm ci` in %s", dir)
	}
	e, s := newFirecrawlEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "sdk.test.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NODE_ENV=test",
		"SPIDERGO_FIRECRAWL_URL="+e.http.URL+"/firecrawl", "SPIDERGO_API_KEY="+e.key, "SITE_URL="+s.URL)
	out, err := cmd.CombinedOutput()
	t.Logf("firecrawl-js:\n%s", out)
	if err != nil {
		t.Fatalf("the SDK checks failed: %v", err)
	}
	if !strings.Contains(string(out), "all Firecrawl SDK checks passed") {
		t.Fatal("the SDK script ended early")
	}
}
