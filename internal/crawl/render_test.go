package crawl

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/fetch"
	"github.com/spidergo/spidergo/internal/render"
)

// shellPage is an empty app shell: auto sends it to the browser.
const shellPage = `<html><head><title>Shell</title></head><body><div id="root"></div><script src="/app.js"></script></body></html>`

// renderedDOM is what the fake browser answers for any page.
const renderedDOM = `<!doctype html><html><head><title>Rendered</title></head><body><main><h1>Rendered</h1><p>This text only exists once the scripts of the page have run in a browser, long enough to keep.</p><a href="/from-dom">next</a></main></body></html>`

// fakeRenderer answers every render with a fixed DOM, screenshots and
// error, recording the requests.
type fakeRenderer struct {
	mu    sync.Mutex
	reqs  []render.Request
	shots [][]byte
	err   error
	noDOM bool
}

func (r *fakeRenderer) Render(ctx context.Context, req render.Request) (*render.Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, req)
	if r.noDOM {
		return nil, r.err
	}
	return &render.Result{URL: req.URL, FinalURL: req.URL, StatusCode: 200, ContentType: "text/html", HTML: renderedDOM, Screenshots: r.shots}, r.err
}

func (r *fakeRenderer) calls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reqs)
}

// scrapeWith scrapes path of site with req and an engine using rd (nil:
// no renderer).
func scrapeWith(t *testing.T, site *httptest.Server, path string, req api.Request, rd render.Renderer) *spidergo.Page {
	t.Helper()
	req.URL = site.URL + path
	o, err := Validate(&req, spidergo.KindScrape, false, testNormalize)
	if err != nil {
		t.Fatal(err)
	}
	q := NewMemQueue()
	cfg := EngineConfig{Fetcher: newTestFetcher(t, site)}
	if rd != nil {
		cfg.Renderer = rd
	}
	e := NewEngine(cfg)
	if err := e.CheckRender(o); err != nil {
		t.Fatal(err)
	}
	if err := e.Run(context.Background(), &Job{ID: "job-1", Options: o, Queue: q}); err != nil {
		t.Fatal(err)
	}
	if len(q.Pages) != 1 {
		t.Fatalf("%d pages", len(q.Pages))
	}
	return q.Pages[0]
}

func TestRenderModes(t *testing.T) {
	site := newTestSite(t, map[string]string{"/shell": shellPage, "/static": page("static")})
	const rendered = "only exists once the scripts"

	t.Run("http never renders", func(t *testing.T) {
		rd := &fakeRenderer{}
		p := scrapeWith(t, site.Server, "/shell", api.Request{Render: "http"}, rd)
		if rd.calls() != 0 || p.Rendered != "http" || strings.Contains(p.Markdown, rendered) {
			t.Errorf("calls %d, page %+v", rd.calls(), p)
		}
	})
	t.Run("auto renders a shell", func(t *testing.T) {
		rd := &fakeRenderer{}
		p := scrapeWith(t, site.Server, "/shell", api.Request{}, rd)
		if rd.calls() != 1 || p.Rendered != "browser" || !strings.Contains(p.Markdown, rendered) || p.Title != "Rendered" || p.Error != "" {
			t.Errorf("calls %d, page %+v", rd.calls(), p)
		}
		if p.ContentType != "text/html; charset=utf-8" {
			t.Errorf("ContentType = %q", p.ContentType)
		}
		if got := rd.reqs[0]; got.Group != "job-1" || !got.RespectRobots || got.Screenshot {
			t.Errorf("render request = %+v", got)
		}
	})
	t.Run("auto keeps a static page on http", func(t *testing.T) {
		rd := &fakeRenderer{}
		p := scrapeWith(t, site.Server, "/static", api.Request{}, rd)
		if rd.calls() != 0 || p.Rendered != "http" || !strings.Contains(p.Markdown, "Some text about static") {
			t.Errorf("calls %d, page %+v", rd.calls(), p)
		}
	})
	t.Run("auto without a renderer stays on http", func(t *testing.T) {
		p := scrapeWith(t, site.Server, "/shell", api.Request{}, nil)
		if p.Rendered != "http" || p.Error != "" || p.Title != "Shell" {
			t.Errorf("page %+v", p)
		}
	})
	t.Run("auto keeps the http answer when the browser fails", func(t *testing.T) {
		rd := &fakeRenderer{err: &render.Error{Kind: render.KindRenderError, Action: -1, Err: errors.New("tab crashed")}, noDOM: true}
		p := scrapeWith(t, site.Server, "/shell", api.Request{}, rd)
		if rd.calls() != 1 || p.Rendered != "http" || p.Error != "" || p.Title != "Shell" {
			t.Errorf("page %+v", p)
		}
	})
	t.Run("a failed wait keeps the rendered page and says so", func(t *testing.T) {
		rd := &fakeRenderer{err: &render.Error{Kind: render.KindWaitFor, Action: -1, Err: errors.New("#x did not appear")}}
		p := scrapeWith(t, site.Server, "/shell", api.Request{WaitFor: "#x"}, rd)
		if p.Rendered != "browser" || p.Error != render.KindWaitFor || p.ErrorDetail == "" || !strings.Contains(p.Markdown, rendered) {
			t.Errorf("page %+v", p)
		}
		if rd.reqs[0].WaitFor != "#x" {
			t.Errorf("WaitFor not passed: %+v", rd.reqs[0])
		}
	})
	t.Run("a failed action names it", func(t *testing.T) {
		rd := &fakeRenderer{err: &render.Error{Kind: render.KindActionFailed, Action: 1, Err: errors.New(`click "#missing": not found`)}}
		p := scrapeWith(t, site.Server, "/static", api.Request{Actions: []api.Action{{Type: "wait", Milliseconds: 10}, {Type: "click", Selector: "#missing"}}}, rd)
		if p.Rendered != "browser" || p.Error != render.KindActionFailed || !strings.Contains(p.ErrorDetail, "Action 1") {
			t.Errorf("page %+v", p)
		}
	})
	t.Run("browser renders a static page too", func(t *testing.T) {
		rd := &fakeRenderer{}
		before := site.fetches()["/static"]
		p := scrapeWith(t, site.Server, "/static", api.Request{Render: "browser", Mobile: true}, rd)
		if rd.calls() != 1 || p.Rendered != "browser" || !strings.Contains(p.Markdown, rendered) || !rd.reqs[0].Mobile {
			t.Errorf("calls %d, page %+v", rd.calls(), p)
		}
		if site.fetches()["/static"] != before {
			t.Error("browser mode fetched the page over HTTP too")
		}
	})
	t.Run("browser falls back to http for documents", func(t *testing.T) {
		rd := &fakeRenderer{err: &fetch.Error{Kind: fetch.KindUnsupportedContent}, noDOM: true}
		p := scrapeWith(t, site.Server, "/static", api.Request{Render: "browser"}, rd)
		if p.Rendered != "http" || p.Error != "" || !strings.Contains(p.Markdown, "Some text about static") {
			t.Errorf("page %+v", p)
		}
	})
	t.Run("screenshots", func(t *testing.T) {
		rd := &fakeRenderer{shots: [][]byte{[]byte("action"), []byte("format")}}
		p := scrapeWith(t, site.Server, "/static", api.Request{Formats: []string{"markdown", "screenshot"}, ScreenshotFullPage: true,
			Actions: []api.Action{{Type: "screenshot"}}}, rd)
		if p.Screenshot != pngDataURL([]byte("format")) || !cmp.Equal(p.Screenshots, []string{pngDataURL([]byte("action"))}) {
			t.Errorf("Screenshot %q, Screenshots %q", p.Screenshot, p.Screenshots)
		}
		if r := rd.reqs[0]; !r.Screenshot || !r.FullPage || len(r.Actions) != 1 {
			t.Errorf("render request = %+v", r)
		}
	})
	t.Run("browser without a renderer", func(t *testing.T) {
		req := api.Request{URL: site.URL + "/static", Render: "browser"}
		o, err := Validate(&req, spidergo.KindScrape, false, testNormalize)
		if err != nil {
			t.Fatal(err)
		}
		err = NewEngine(EngineConfig{Fetcher: newTestFetcher(t, site.Server)}).CheckRender(o)
		var se *spidergo.Error
		if !errors.As(err, &se) || se.Code != spidergo.EINVALID || se.Reason != "render_not_installed" || !strings.Contains(se.Message, `render "browser"`) {
			t.Errorf("CheckRender = %v", err)
		}
	})
	t.Run("scripts off unless the renderer runs them", func(t *testing.T) {
		req := api.Request{URL: site.URL + "/static", Actions: []api.Action{{Type: "wait", Milliseconds: 1}, {Type: "execute_javascript", Script: "1"}}}
		o, err := Validate(&req, spidergo.KindScrape, false, testNormalize)
		if err != nil {
			t.Fatal(err)
		}
		for _, rd := range []render.Renderer{&fakeRenderer{}, scriptRenderer{false}} {
			err = NewEngine(EngineConfig{Fetcher: newTestFetcher(t, site.Server), Renderer: rd}).CheckRender(o)
			var se *spidergo.Error
			if !errors.As(err, &se) || se.Code != spidergo.EINVALID || se.Reason != ReasonScriptsOff ||
				!strings.Contains(se.Message, "actions[1]") || !strings.Contains(se.Message, render.ExecuteJavaScriptSetting) {
				t.Errorf("%T: CheckRender = %v", rd, err)
			}
		}
		if err := NewEngine(EngineConfig{Fetcher: newTestFetcher(t, site.Server), Renderer: scriptRenderer{true}}).CheckRender(o); err != nil {
			t.Errorf("with scripts on: %v", err)
		}
	})
}

// scriptRenderer is a renderer that says whether it runs scripts.
type scriptRenderer struct{ on bool }

func (s scriptRenderer) Render(context.Context, render.Request) (*render.Result, error) {
	return nil, errors.New("not used")
}
func (s scriptRenderer) ExecutesJavaScript() bool { return s.on }

func TestValidateRenderOptions(t *testing.T) {
	valid := func(r api.Request) (*Options, error) {
		r.URL = "https://example.com/"
		return Validate(&r, spidergo.KindScrape, false, testNormalize)
	}
	o, err := valid(api.Request{WaitForMS: 300, WaitFor: " #app ", Mobile: true, Actions: []api.Action{
		{Type: "wait", Selector: "#x"}, {Type: "click", Selector: "button"}, {Type: "write", Text: "hi"},
		{Type: "press", Key: "Enter"}, {Type: "scroll", Direction: "bottom"}, {Type: "screenshot", FullPage: true},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if o.Render != RenderAuto || o.WaitFor != "#app" || o.Wait.Milliseconds() != 300 || !o.Mobile || len(o.Actions) != 6 || !o.wantsBrowser() || o.BrowserOption() != "wait_for" {
		t.Errorf("options = %+v", o)
	}
	if o, _ := valid(api.Request{WaitForMS: 500}); o.wantsBrowser() || o.BrowserOption() != "" {
		t.Error("wait_for_ms alone must not send auto to the browser")
	}
	many := make([]api.Action, MaxActions+1)
	for i := range many {
		many[i] = api.Action{Type: "screenshot"}
	}
	for _, tt := range []struct {
		name string
		r    api.Request
		want string
	}{
		{"unknown mode", api.Request{Render: "chrome"}, `"render" must be`},
		{"unknown action", api.Request{Actions: []api.Action{{Type: "hover"}}}, `actions[0] ("hover"): unknown type`},
		{"no type", api.Request{Actions: []api.Action{{Selector: "a"}}}, `"type" is required`},
		{"click without selector", api.Request{Actions: []api.Action{{Type: "wait", Milliseconds: 5}, {Type: "click"}}}, `actions[1] ("click"): a click needs a "selector"`},
		{"write without text", api.Request{Actions: []api.Action{{Type: "write", Selector: "input"}}}, `needs "text"`},
		{"unknown key", api.Request{Actions: []api.Action{{Type: "press", Key: "NoSuchKey"}}}, `unknown key "NoSuchKey"`},
		{"bad direction", api.Request{Actions: []api.Action{{Type: "scroll", Direction: "left"}}}, "direction must be"},
		{"empty wait", api.Request{Actions: []api.Action{{Type: "wait"}}}, `"milliseconds" or a "selector"`},
		{"negative", api.Request{Actions: []api.Action{{Type: "scroll", Amount: -1}}}, "must not be negative"},
		{"too many", api.Request{Actions: many}, fmt.Sprintf("the most is %d", MaxActions)},
		{"http with actions", api.Request{Render: "http", Actions: []api.Action{{Type: "screenshot"}}}, `Option actions needs the browser`},
		{"http with screenshot", api.Request{Render: "http", Formats: []string{"screenshot"}}, `format "screenshot" needs the browser`},
		{"long selector", api.Request{WaitFor: strings.Repeat("a", MaxSelectorLength+1)}, "wait_for"},
		{"script missing", api.Request{Actions: []api.Action{{Type: "execute_javascript"}}}, `needs a "script"`},
		{"script too long", api.Request{Actions: []api.Action{{Type: "execute_javascript", Script: strings.Repeat("x", MaxScriptLength+1)}}}, fmt.Sprintf("at most %d characters", MaxScriptLength)},
		{"script on another action", api.Request{Actions: []api.Action{{Type: "click", Selector: "a", Script: "1"}}}, `only an execute_javascript action takes a "script"`},
	} {
		_, err := valid(tt.r)
		if err == nil || !strings.Contains(spidergo.ErrorMessage(err), tt.want) || spidergo.ErrorCode(err) != spidergo.EINVALID {
			t.Errorf("%s: err = %v, want one saying %q", tt.name, err, tt.want)
		}
	}
	r := api.Request{URL: "https://example.com/", WaitFor: "#x"}
	if _, err := Validate(&r, spidergo.KindMap, false, testNormalize); err == nil || !strings.Contains(err.Error(), "wait_for") {
		t.Errorf("map with wait_for: %v", err)
	}
}

// robotsSite serves pages with robots meta tags and X-Robots-Tag headers.
func robotsSite(t *testing.T) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		body := page(strings.Trim(r.URL.Path, "/"), "/next")
		switch r.URL.Path {
		case "/robots.txt":
			http.NotFound(w, r)
			return
		case "/meta-noindex":
			body = strings.Replace(body, "<head>", `<head><meta name="robots" content="noindex">`, 1)
		case "/header-noindex":
			w.Header().Add("X-Robots-Tag", "noindex")
		case "/header-other-bot":
			w.Header().Add("X-Robots-Tag", "otherbot: noindex")
		case "/shell-noindex":
			w.Header().Add("X-Robots-Tag", "noindex")
			body = shellPage
		case "/meta-nofollow":
			body = strings.Replace(body, "<head>", `<head><meta name="robots" content="nofollow">`, 1)
		}
		fmt.Fprint(w, body)
	}))
	t.Cleanup(s.Close)
	return s
}

func TestNoindexIsReported(t *testing.T) {
	site := robotsSite(t)
	for _, tt := range []struct {
		path    string
		req     api.Request
		robots  []string
		dropped bool
	}{
		{"/meta-noindex", api.Request{}, []string{"noindex"}, false},
		{"/meta-noindex", api.Request{RespectNoindex: true}, []string{"noindex"}, true},
		{"/header-noindex", api.Request{}, []string{"noindex"}, false},
		{"/header-noindex", api.Request{RespectNoindex: true}, []string{"noindex"}, true},
		{"/header-other-bot", api.Request{RespectNoindex: true}, nil, false},
		{"/meta-nofollow", api.Request{}, []string{"nofollow"}, false},
		{"/plain", api.Request{RespectNoindex: true}, nil, false},
	} {
		p := scrapeWith(t, site, tt.path, tt.req, nil)
		name := fmt.Sprintf("%s respect_noindex=%v", tt.path, tt.req.RespectNoindex)
		if !cmp.Equal(p.Robots, tt.robots) {
			t.Errorf("%s: Robots = %q, want %q", name, p.Robots, tt.robots)
		}
		kept := strings.Contains(p.Markdown, "Some text about")
		switch {
		case tt.dropped && (kept || p.Error != "noindex" || p.ErrorDetail == ""):
			t.Errorf("%s: want the content dropped with Error noindex: %+v", name, p)
		case !tt.dropped && (!kept || p.Error != ""):
			t.Errorf("%s: want the content kept: %+v", name, p)
		}
	}
}

// TestNoindexHeaderOfRenderedPage: under auto, the HTTP answer's
// X-Robots-Tag still counts for the page rendered after it.
func TestNoindexHeaderOfRenderedPage(t *testing.T) {
	site := robotsSite(t)
	p := scrapeWith(t, site, "/shell-noindex", api.Request{}, &fakeRenderer{})
	if p.Rendered != "browser" || !cmp.Equal(p.Robots, []string{"noindex"}) || !strings.Contains(p.Markdown, "only exists once") {
		t.Errorf("page %+v", p)
	}
}

func TestNofollowGovernsLinks(t *testing.T) {
	site := robotsSite(t)
	crawl := func(path string, respect bool) []string {
		req := api.Request{URL: site.URL + path, RespectRobots: &respect, Sitemap: "skip", Limit: api.Ptr(2)}
		o, err := Validate(&req, spidergo.KindCrawl, false, testNormalize)
		if err != nil {
			t.Fatal(err)
		}
		q := NewMemQueue()
		if err := NewEngine(EngineConfig{Fetcher: newTestFetcher(t, site)}).Run(context.Background(), &Job{ID: "j", Options: o, Queue: q}); err != nil {
			t.Fatal(err)
		}
		var paths []string
		for _, p := range q.Pages {
			u, _ := url.Parse(p.URL)
			paths = append(paths, u.Path)
		}
		return paths
	}
	if got := crawl("/meta-nofollow", true); !cmp.Equal(got, []string{"/meta-nofollow"}) {
		t.Errorf("nofollow under respect_robots: pages %q", got)
	}
	if got := crawl("/meta-nofollow", false); !cmp.Equal(got, []string{"/meta-nofollow", "/next"}) {
		t.Errorf("nofollow without respect_robots: pages %q", got)
	}
	if got := crawl("/meta-noindex", true); !cmp.Equal(got, []string{"/meta-noindex", "/next"}) {
		t.Errorf("noindex page's links: pages %q", got)
	}
}

func TestOmitHeadline(t *testing.T) {
	site := newTestSite(t, map[string]string{"/a": page("Headline of the story")})
	p := scrapeWith(t, site.Server, "/a", api.Request{Formats: []string{"markdown"}}, nil)
	if !strings.HasPrefix(p.Markdown, "# Headline of the story") {
		t.Errorf("default Markdown = %q, want it to begin with the headline", p.Markdown)
	}
	p = scrapeWith(t, site.Server, "/a", api.Request{Formats: []string{"markdown"}, OmitHeadline: true}, nil)
	if strings.Contains(p.Markdown, "# Headline of the story") || !strings.Contains(p.Markdown, "Some text about") {
		t.Errorf("omit_headline Markdown = %q", p.Markdown)
	}
}
