package server

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/spidergo/spidergo/internal/render"
)

// jsPage builds its only content in a script, under an empty #root.
const jsPage = `<!doctype html><html><head><title>Built by script</title></head><body><div id="root"></div>
<script>
document.getElementById('root').innerHTML = '<main><h1>Script made this</h1><p>' +
  'This paragraph was written by JavaScript after the page loaded, long enough for the extractor to keep it as the main content.' +
  '</p><a href="/static">a link made by the script</a></main>';
</script></body></html>`

// clickPage shows more text when its button is clicked.
const clickPage = `<!doctype html><html><head><title>Click</title></head><body><main><h1>Click for more</h1>
<p>This page has a button that reveals another paragraph of text, which the extractor should see only after a click.</p>
<button id="more" onclick="var p=document.createElement('p');p.textContent='The hidden paragraph appeared after the click on the button, as promised.';document.querySelector('main').appendChild(p)">More</button>
</main></body></html>`

// latePage adds its content half a second after loading.
const latePage = `<!doctype html><html><head><title>Late</title></head><body><main><h1>Late</h1><p>Some text that is there from the start of the page, enough to read.</p></main>
<script>setTimeout(function(){var p=document.createElement('p');p.id='late';p.textContent='This sentence arrived half a second late.';document.querySelector('main').appendChild(p)}, 500)</script>
</body></html>`

// browserEnv is an API server with a headless browser, or a skipped test
// when Chromium is not installed here.
func browserEnv(t *testing.T, s *site) *apiEnv {
	t.Helper()
	return browserEnvWith(t, s, nil)
}

// browserEnvWith is browserEnv with settings (environment variables).
func browserEnvWith(t *testing.T, s *site, settings map[string]string) *apiEnv {
	t.Helper()
	cfg := testConfig(t, settings)
	if err := render.Available(render.Config{ChromiumPath: cfg.ChromiumPath}); err != nil {
		t.Skipf("SKIPPED browser test: Chromium is not installed (%v); install the chromium package to run it", err)
	}
	e := newAPIEnvOpts(t, "", settings, testOptions{WebhookBackoff: 5 * time.Millisecond, Render: true}, hostOf(s.Server))
	e.addUser(t, "render@example.com")
	return e
}

// scrapeOK scrapes with body and returns the one page.
func (e *apiEnv) scrapeOK(t *testing.T, body string) map[string]any {
	t.Helper()
	res, m := e.call(t, "POST", "/v1/scrape", body)
	if res.StatusCode != 200 {
		t.Fatalf("scrape %s = %d %v", body, res.StatusCode, m)
	}
	return pagesOf(m)[0]
}

// TestRenderedScrape runs scrapes through the real server and a real
// headless Chromium on a loopback site. The cases share one browser and
// run one after another: rendering is heavy.
func TestRenderedScrape(t *testing.T) {
	s := newSite(t, map[string]string{"/js": jsPage, "/static": htmlPage("Static"), "/click": clickPage, "/late": latePage})
	e := browserEnv(t, s)
	const built = "written by JavaScript"

	t.Run("readyz", func(t *testing.T) {
		_, m := e.call(t, "GET", "/readyz", "")
		if m["renderer"] != "ready" {
			t.Errorf("readyz = %v, want renderer ready", m)
		}
	})
	t.Run("http misses script content", func(t *testing.T) {
		p := e.scrapeOK(t, `{"url":"`+s.URL+`/js","render":"http"}`)
		if strings.Contains(p["Markdown"].(string)+str(p["TextContent"]), built) || p["Rendered"] != "http" {
			t.Errorf("http page = %v", p)
		}
	})
	t.Run("browser gets it", func(t *testing.T) {
		p := e.scrapeOK(t, `{"url":"`+s.URL+`/js","render":"browser","formats":["markdown"]}`)
		if !strings.Contains(str(p["Markdown"]), built) || p["Rendered"] != "browser" || p["StatusCode"] != 200.0 || p["Error"] != "" {
			t.Errorf("browser page = %v", p)
		}
	})
	t.Run("auto gets it", func(t *testing.T) {
		p := e.scrapeOK(t, `{"url":"`+s.URL+`/js"}`)
		if !strings.Contains(str(p["Markdown"]), built) || p["Rendered"] != "browser" || p["Title"] != "Built by script" {
			t.Errorf("auto page = %v", p)
		}
	})
	t.Run("auto keeps a static page on http", func(t *testing.T) {
		hits := s.count("/static")
		p := e.scrapeOK(t, `{"url":"`+s.URL+`/static"}`)
		if p["Rendered"] != "http" || !strings.Contains(str(p["Markdown"]), "long enough story") {
			t.Errorf("static page = %v", p)
		}
		if got := s.count("/static") - hits; got != 1 {
			t.Errorf("static page fetched %d times, want once", got)
		}
	})
	t.Run("screenshot", func(t *testing.T) {
		p := e.scrapeOK(t, `{"url":"`+s.URL+`/static","formats":["markdown","screenshot"]}`)
		shot := str(p["Screenshot"])
		const prefix = "data:image/png;base64,"
		if !strings.HasPrefix(shot, prefix) || p["Rendered"] != "browser" {
			t.Fatalf("page = %v, want a PNG data URL", p)
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(shot, prefix))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(raw))
		if err != nil || cfg.Width < 100 || cfg.Height < 100 {
			t.Errorf("screenshot: %v, %dx%d", err, cfg.Width, cfg.Height)
		}
	})
	t.Run("click action", func(t *testing.T) {
		p := e.scrapeOK(t, `{"url":"`+s.URL+`/click","formats":["markdown"],"actions":[{"type":"click","selector":"#more"},{"type":"screenshot"}]}`)
		if !strings.Contains(str(p["Markdown"]), "appeared after the click") || p["Rendered"] != "browser" {
			t.Errorf("clicked page = %v", p)
		}
		if shots, _ := p["Screenshots"].([]any); len(shots) != 1 || p["Screenshot"] != nil {
			t.Errorf("Screenshots = %d, Screenshot %v; want one action screenshot and no format one", len(shots), p["Screenshot"] != nil)
		}
	})
	t.Run("wait_for", func(t *testing.T) {
		p := e.scrapeOK(t, `{"url":"`+s.URL+`/late","formats":["markdown"],"wait_for":"#late"}`)
		if !strings.Contains(str(p["Markdown"]), "half a second late") || p["Error"] != "" {
			t.Errorf("late page = %v", p)
		}
	})
	t.Run("crawl follows links the script made", func(t *testing.T) {
		res, m := e.call(t, "POST", "/v1/crawl", `{"url":"`+s.URL+`/js","limit":3,"sitemap":"skip","crawl_entire_site":true,"formats":["markdown"]}`)
		if res.StatusCode != 200 {
			t.Fatalf("crawl = %d %v", res.StatusCode, m)
		}
		got := map[string]string{}
		for _, p := range pagesOf(m) {
			got[strings.TrimPrefix(str(p["URL"]), s.URL)] = str(p["Rendered"])
		}
		if got["/js"] != "browser" || got["/static"] != "http" {
			t.Errorf("crawl pages (URL → Rendered) = %v, want /js rendered and /static, found in the script's link, over HTTP", got)
		}
	})
	t.Run("bad action is refused", func(t *testing.T) {
		res, m := e.call(t, "POST", "/v1/scrape", `{"url":"`+s.URL+`/static","actions":[{"type":"press","key":"NoSuchKey"}]}`)
		if res.StatusCode != 400 || !strings.Contains(str(m["message"]), "actions[0]") {
			t.Errorf("bad action = %d %v", res.StatusCode, m)
		}
	})
}

// TestNoindexOverAPI: a noindex page is returned in full with Robots,
// unless respect_noindex asks for its content to be dropped.
func TestNoindexOverAPI(t *testing.T) {
	noindex := strings.Replace(htmlPage("Hidden"), "<head>", `<head><meta name="robots" content="noindex">`, 1)
	s := newSite(t, map[string]string{"/n": noindex})
	e := newAPIEnv(t, "", hostOf(s.Server))
	e.addUser(t, "noindex@example.com")
	p := e.scrapeOK(t, `{"url":"`+s.URL+`/n","formats":["markdown"]}`)
	robots, _ := p["Robots"].([]any)
	if p["Error"] != "" || !strings.Contains(str(p["Markdown"]), "long enough story") || len(robots) != 1 || robots[0] != "noindex" || p["Rendered"] != "http" {
		t.Errorf("noindex page = %v, want its content and Robots [noindex]", p)
	}
	p = e.scrapeOK(t, `{"url":"`+s.URL+`/n","formats":["markdown"],"respect_noindex":true,"omit_headline":true}`)
	if p["Error"] != "noindex" || p["Markdown"] != nil {
		t.Errorf("noindex page under respect_noindex = %v, want no content and Error noindex", p)
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// TestRenderNotInstalled: without a browser, the options that need one
// answer 400 render_not_installed naming the option, auto stays on HTTP
// and /readyz still answers ready.
func TestRenderNotInstalled(t *testing.T) {
	s := newSite(t, map[string]string{"/js": jsPage})
	e := newAPIEnv(t, "", hostOf(s.Server))
	e.addUser(t, "norender@example.com")
	for body, option := range map[string]string{
		`"render":"browser"`:                          `render "browser"`,
		`"formats":["markdown","screenshot"]`:         `format "screenshot"`,
		`"wait_for":"#x"`:                             "wait_for",
		`"actions":[{"type":"click","selector":"a"}]`: "actions",
		`"mobile":true`:                               "mobile",
	} {
		res, m := e.call(t, "POST", "/v1/scrape", `{"url":"`+s.URL+`/js",`+body+`}`)
		if res.StatusCode != 400 || m["code"] != "render_not_installed" || !strings.Contains(str(m["message"]), option) {
			t.Errorf("%s = %d %v, want 400 render_not_installed naming %s", body, res.StatusCode, m, option)
		}
	}
	p := pagesOf(func() map[string]any { _, m := e.call(t, "POST", "/v1/scrape", `{"url":"`+s.URL+`/js"}`); return m }())[0]
	if p["Rendered"] != "http" || p["Error"] != "" {
		t.Errorf("auto without a browser = %v, want the HTTP page", p)
	}
	if res, m := e.call(t, "POST", "/v1/scrape", `{"url":"`+s.URL+`/js","render":"http","wait_for":"#x"}`); res.StatusCode != 400 || m["code"] != "invalid" {
		t.Errorf("wait_for under render http = %d %v, want 400 invalid", res.StatusCode, m)
	}
	if _, m := e.call(t, "GET", "/readyz", ""); m["status"] != "ready" || m["renderer"] != "not installed" {
		t.Errorf("readyz = %v", m)
	}
}

// TestFirecrawlRendered runs a Firecrawl scrape with a click action, a
// screenshot action and the screenshot format through the real server and
// a real headless Chromium.
func TestFirecrawlRendered(t *testing.T) {
	s := newSite(t, map[string]string{"/click": clickPage})
	e := browserEnv(t, s)
	for _, v := range []string{"v1", "v2"} {
		t.Run(v, func(t *testing.T) {
			res, body := e.call(t, "POST", "/firecrawl/"+v+"/scrape", `{"url":"`+s.URL+`/click","formats":["markdown","screenshot"],"waitFor":100,`+
				`"actions":[{"type":"click","selector":"#more"},{"type":"screenshot","fullPage":true}]}`)
			if res.StatusCode != 200 || body["success"] != true {
				t.Fatalf("scrape: %d %v", res.StatusCode, body)
			}
			data := body["data"].(map[string]any)
			if !strings.Contains(str(data["markdown"]), "appeared after the click") {
				t.Errorf("markdown = %q, want the clicked-in paragraph", data["markdown"])
			}
			const prefix = "data:image/png;base64,"
			if shot := str(data["screenshot"]); !strings.HasPrefix(shot, prefix) {
				t.Errorf("screenshot = %.40q, want a PNG data URL", shot)
			}
			actions, _ := data["actions"].(map[string]any)
			shots, _ := actions["screenshots"].([]any)
			if len(shots) != 1 || !strings.HasPrefix(str(shots[0]), prefix) {
				t.Fatalf("actions = %.200v, want one screenshot", actions)
			}
			raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(str(shots[0]), prefix))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := png.DecodeConfig(bytes.NewReader(raw)); err != nil {
				t.Errorf("action screenshot: %v", err)
			}
		})
	}
}

// TestExecuteJavaScript: the execute_javascript action is refused, naming
// the setting, unless the operator allowed it; allowed, what the script
// writes into the page is in the Markdown.
func TestExecuteJavaScript(t *testing.T) {
	s := newSite(t, map[string]string{"/static": htmlPage("Static")})
	const script = `document.querySelector('body').insertAdjacentHTML('beforeend', '<p id="added">This sentence was added by the request\'s own script, after the page had loaded.</p>')`
	body := `{"url":"` + s.URL + `/static","render":"browser","formats":["markdown"],"only_main_content":false,"actions":[{"type":"execute_javascript","script":` + strconvQuote(script) + `}]}`
	t.Run("off", func(t *testing.T) {
		e := browserEnv(t, s)
		res, m := e.call(t, "POST", "/v1/scrape", body)
		if res.StatusCode != 400 || !strings.Contains(str(m["message"]), "SPIDERGO_RENDER_EXECUTE_JAVASCRIPT") || m["code"] != "execute_javascript_disabled" {
			t.Errorf("scrape = %d %v, want a 400 naming the setting", res.StatusCode, m)
		}
		res, fc := e.call(t, "POST", "/firecrawl/v2/scrape", `{"url":"`+s.URL+`/static","actions":[{"type":"executeJavascript","script":"1"}]}`)
		if res.StatusCode != 400 || !strings.Contains(str(fc["error"]), "SPIDERGO_RENDER_EXECUTE_JAVASCRIPT") {
			t.Errorf("Firecrawl scrape = %d %v, want a 400 naming the setting", res.StatusCode, fc)
		}
	})
	t.Run("on", func(t *testing.T) {
		e := browserEnvWith(t, s, map[string]string{"SPIDERGO_RENDER_EXECUTE_JAVASCRIPT": "true"})
		p := e.scrapeOK(t, body)
		if !strings.Contains(str(p["Markdown"]), "added by the request's own script") || p["Rendered"] != "browser" {
			t.Errorf("page = %v, want the script's sentence in the Markdown", p)
		}
		res, m := e.call(t, "POST", "/v1/scrape", `{"url":"`+s.URL+`/static","actions":[{"type":"execute_javascript","script":"`+strings.Repeat("x", 10001)+`"}]}`)
		if res.StatusCode != 400 || !strings.Contains(str(m["message"]), "10000") {
			t.Errorf("long script = %d %v, want a 400", res.StatusCode, m)
		}
		res, fc := e.call(t, "POST", "/firecrawl/v1/scrape", `{"url":"`+s.URL+`/static","formats":["markdown"],"onlyMainContent":false,"actions":[{"type":"executeJavascript","script":`+strconvQuote(script)+`}]}`)
		if data, _ := fc["data"].(map[string]any); res.StatusCode != 200 || !strings.Contains(str(data["markdown"]), "added by the request's own script") {
			t.Errorf("Firecrawl scrape = %d %v", res.StatusCode, fc)
		}
	})
}

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }
