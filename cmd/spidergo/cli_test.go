package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spidergo/spidergo/api"
)

// testSite is a small site: / links to /a, /b and /missing (404); /a links
// to /a/deep. hits counts requests per path.
type testSite struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string]int
	// block, when set, is called for a request of that path before it is
	// answered.
	block map[string]func(r *http.Request)
}

func newSite(t *testing.T) *testSite {
	t.Helper()
	s := &testSite{hits: map[string]int{}, block: map[string]func(*http.Request){}}
	page := func(title, body string) string {
		return "<!doctype html><html><head><title>" + title + "</title></head><body><main><h1>" + title + "</h1>" + body + "</main></body></html>"
	}
	pages := map[string]string{
		"/":       page("Home", `<p>Welcome home.</p><a href="/a">A</a> <a href="/b">B</a> <a href="/missing">gone</a> <a href="https://elsewhere.example/">out</a>`),
		"/a":      page("Page A", `<p>All about A.</p><a href="/a/deep">deeper</a>`),
		"/b":      page("Page B", `<p>All about B.</p>`),
		"/a/deep": page("Deep", `<p>Down here.</p>`),
	}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		block := s.block[r.URL.Path]
		s.mu.Unlock()
		if block != nil {
			block(r)
		}
		body, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *testSite) hitsOf(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// runCLI runs the binary's entry point with args and returns its exit code
// and outputs.
func runCLI(t *testing.T, ctx context.Context, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr strings.Builder
	code := run(ctx, args, func(k string) string { return env[k] }, strings.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

const allowLoopback = "--allow=127.0.0.1/32"

func TestScrapeFormats(t *testing.T) {
	site := newSite(t)
	tests := []struct {
		format string
		check  func(t *testing.T, out string)
	}{
		{"markdown", func(t *testing.T, out string) {
			if !strings.Contains(out, "Welcome home.") || !strings.Contains(out, "[A]("+site.URL+"/a)") || strings.Contains(out, "<!--") {
				t.Errorf("markdown:\n%s", out)
			}
		}},
		{"text", func(t *testing.T, out string) {
			if !strings.Contains(out, "Welcome home.") || strings.Contains(out, "[A](") {
				t.Errorf("text:\n%s", out)
			}
		}},
		{"json", func(t *testing.T, out string) {
			var p api.Page
			if err := json.Unmarshal([]byte(out), &p); err != nil {
				t.Fatalf("json: %v\n%s", err, out)
			}
			if p.URL != site.URL+"/" || p.StatusCode != 200 || p.Title != "Home" {
				t.Errorf("page = %+v", p)
			}
		}},
		{"ndjson", func(t *testing.T, out string) {
			lines := strings.Split(strings.TrimSpace(out), "\n")
			var p api.Page
			if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &p) != nil || p.Title != "Home" {
				t.Errorf("ndjson:\n%s", out)
			}
		}},
		{"links", func(t *testing.T, out string) {
			got := strings.Fields(out)
			for _, want := range []string{site.URL + "/a", site.URL + "/b", "https://elsewhere.example/"} {
				if !slices.Contains(got, want) {
					t.Errorf("links lack %s:\n%s", want, out)
				}
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.format, func(t *testing.T) {
			// Flags after the URL, as people type them.
			code, out, errOut := runCLI(t, context.Background(), nil, "", "scrape", site.URL, "--format", tc.format, allowLoopback)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			tc.check(t, out)
		})
	}
}

// crawlURLs runs a local crawl with --format ndjson and returns the exit
// code, the URLs printed and standard error.
func crawlURLs(t *testing.T, ctx context.Context, args ...string) (int, []string, string) {
	t.Helper()
	code, out, errOut := runCLI(t, ctx, nil, "", append([]string{"crawl", "--format", "ndjson", allowLoopback}, args...)...)
	var urls []string
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var p api.Page
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		urls = append(urls, p.URL)
	}
	slices.Sort(urls)
	return code, urls, errOut
}

func TestCrawlExitCodes(t *testing.T) {
	site := newSite(t)
	u := site.URL
	t.Run("all pages fetched: 0", func(t *testing.T) {
		code, urls, errOut := crawlURLs(t, context.Background(), u, "--exclude-path", "^/missing$")
		want := []string{u + "/", u + "/a", u + "/a/deep", u + "/b"}
		if diff := cmp.Diff(want, urls); diff != "" || code != 0 {
			t.Errorf("exit %d, pages (-want +got):\n%s\n%s", code, diff, errOut)
		}
		if !strings.Contains(errOut, "4 pages") {
			t.Errorf("no progress line on stderr:\n%s", errOut)
		}
	})
	t.Run("a 404 page: 1", func(t *testing.T) {
		code, urls, errOut := crawlURLs(t, context.Background(), u, "--max-depth", "1", "-q")
		if code != 1 || len(urls) != 4 {
			t.Errorf("exit %d, pages %v", code, urls)
		}
		if !strings.Contains(errOut, "1 of 4 pages failed") || strings.Contains(errOut, "pages/s") {
			t.Errorf("stderr:\n%s", errOut)
		}
	})
	t.Run("limit and depth", func(t *testing.T) {
		code, urls, _ := crawlURLs(t, context.Background(), u, "--max-depth", "0")
		if code != 0 || len(urls) != 1 {
			t.Errorf("exit %d, pages %v", code, urls)
		}
	})
}

func TestUsageErrors(t *testing.T) {
	site := newSite(t)
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no URL", nil, []string{"scrape"}, "expected \"<url>\""},
		{"unknown flag", nil, []string{"crawl", site.URL, "--bogus"}, "unknown flag --bogus"},
		{"bad format", nil, []string{"scrape", site.URL, "--format", "pdf"}, "--format"},
		{"loopback without --allow", nil, []string{"scrape", site.URL}, "spidergo scrape: "},
		{"limit too large", nil, []string{"crawl", site.URL, allowLoopback, "--limit", "20000"}, "limit"},
		{"bad regexp", nil, []string{"crawl", site.URL, allowLoopback, "--include-path", "("}, "not a valid regular expression"},
		{"bad header", nil, []string{"scrape", site.URL, allowLoopback, "-H", "nocolon"}, "--header"},
		{"api url without key", map[string]string{"SPIDERGO_API_URL": "http://127.0.0.1:1"}, []string{"scrape", site.URL}, "--api-url needs --api-key"},
		{"resume in remote mode", nil, []string{"crawl", site.URL, "--api-url", "http://127.0.0.1:1", "--api-key", "k", "--resume", "x"}, "--resume is for local mode"},
		{"empty batch", nil, []string{"batch", "-"}, "holds no URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, context.Background(), tc.env, "", tc.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2; stderr %s", code, errOut)
			}
			if !strings.Contains(errOut, tc.want) || out != "" {
				t.Errorf("stderr %q lacks %q (stdout %q)", errOut, tc.want, out)
			}
			if lines := strings.Count(strings.TrimSpace(errOut), "\n"); lines > 0 {
				t.Errorf("error is %d lines, want one:\n%s", lines+1, errOut)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	for _, tc := range []struct{ cmd, flag, example string }{
		{"scrape", "--render=", "spidergo scrape https://example.com/app --render browser"},
		{"crawl", "--max-depth=3", "spidergo crawl example.com/blog/ --crawl-entire-site"},
		{"map", "--include-titles", "spidergo map example.com --search pricing"},
		{"batch", "--ignore-invalid-urls", "spidergo batch urls.txt -o pages/"},
	} {
		code, out, _ := runCLI(t, context.Background(), nil, "", tc.cmd, "--help")
		if code != 0 || !strings.Contains(out, tc.flag) || !strings.Contains(out, "Examples:") || !strings.Contains(out, tc.example) {
			t.Errorf("%s --help: exit %d:\n%s", tc.cmd, code, out)
		}
	}
}

func TestOutputDir(t *testing.T) {
	site := newSite(t)
	dir := t.TempDir()
	code, out, errOut := runCLI(t, context.Background(), nil, "", "crawl", site.URL, allowLoopback, "-o", dir, "--max-depth", "1", "-q")
	if code != 1 || out != "" {
		t.Fatalf("exit %d (want 1: /missing is a 404), stdout %q, stderr %s", code, out, errOut)
	}
	host := strings.ReplaceAll(strings.TrimPrefix(site.URL, "http://"), ":", "_")
	home, err := os.ReadFile(filepath.Join(dir, host, "index.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(home), "---\nurl: \""+site.URL+"/\"\ntitle: \"Home\"\n---\n") || !strings.Contains(string(home), "Welcome home.") {
		t.Errorf("index.md:\n%s", home)
	}
	if b, err := os.ReadFile(filepath.Join(dir, host, "a.md")); err != nil || !strings.Contains(string(b), "All about A.") {
		t.Errorf("a.md: %v\n%s", err, b)
	}
	idx, err := os.ReadFile(filepath.Join(dir, "index.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(idx)), "\n") {
		var l indexLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatal(err)
		}
		files[strings.TrimPrefix(l.URL, site.URL)] = l.File + "|" + l.Error
	}
	want := map[string]string{"/": host + "/index.md|", "/a": host + "/a.md|", "/b": host + "/b.md|", "/missing": "|http_4xx"}
	if diff := cmp.Diff(want, files); diff != "" {
		t.Errorf("index (-want +got):\n%s", diff)
	}
}

func TestPagePath(t *testing.T) {
	tests := []struct{ url, want string }{
		{"https://example.com", "example.com/index.md"},
		{"https://example.com/", "example.com/index.md"},
		{"https://example.com/docs/", "example.com/docs/index.md"},
		{"https://example.com/docs/intro", "example.com/docs/intro.md"},
		{"https://example.com/a/page.html", "example.com/a/page.md"},
		{"https://Example.com:8443/x", "Example.com_8443/x.md"},
		{"https://example.com/a/%2e%2e/%2e%2e/etc/passwd", "example.com/a/__/__/etc/passwd.md"},
		{"https://example.com/..%2f..%2fsecret", "example.com/.._.._secret.md"},
		{"https://example.com/a b/ü?x=1", "example.com/a_b/__" + shortHash("x=1") + ".md"},
	}
	for _, tc := range tests {
		got := pagePath(tc.url)
		if got != tc.want {
			t.Errorf("pagePath(%q) = %q, want %q", tc.url, got, tc.want)
		}
		if clean := filepath.ToSlash(filepath.Clean(got)); clean != got || strings.HasPrefix(got, "/") || strings.Contains("/"+got+"/", "/../") {
			t.Errorf("pagePath(%q) = %q escapes its directory", tc.url, got)
		}
	}
}

func TestMapAndBatch(t *testing.T) {
	site := newSite(t)
	code, out, errOut := runCLI(t, context.Background(), nil, "", "map", site.URL, allowLoopback)
	got := strings.Fields(out)
	slices.Sort(got)
	want := []string{site.URL + "/", site.URL + "/a", site.URL + "/b", site.URL + "/missing"}
	if code != 0 || !cmp.Equal(want, got) {
		t.Errorf("map: exit %d %s\n%s", code, errOut, cmp.Diff(want, got))
	}
	code, out, _ = runCLI(t, context.Background(), nil, "", "map", site.URL, allowLoopback, "--format", "json")
	var list []string
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != 4 {
		t.Errorf("map --format json: exit %d\n%s", code, out)
	}

	stdin := "# pages\n" + site.URL + "/a\n\n" + site.URL + "/b\n"
	code, out, errOut = runCLI(t, context.Background(), nil, stdin, "batch", "-", allowLoopback, "--format", "json")
	var pages []api.Page
	if err := json.Unmarshal([]byte(out), &pages); err != nil || code != 0 || len(pages) != 2 {
		t.Fatalf("batch: exit %d, %v\n%s\n%s", code, err, out, errOut)
	}
	if site.hitsOf("/a/deep") != 0 {
		t.Error("a batch followed a link")
	}
}

// TestInterrupt: a cancelled context (Ctrl-C) stops the crawl, keeps what
// was printed, exits 130; --resume then finishes the job without fetching
// a page twice.
func TestInterruptAndResume(t *testing.T) {
	site := newSite(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	site.block["/b"] = func(r *http.Request) {
		cancel() // Ctrl-C while /b is in flight
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}
	journal := filepath.Join(t.TempDir(), "crawl.journal")
	args := []string{site.URL, "--exclude-path", "^/missing$", "--max-concurrency", "1", "--resume", journal, "-q"}
	code, first, errOut := crawlURLs(t, ctx, args...)
	if code != 130 {
		t.Fatalf("exit %d, want 130; stderr %s", code, errOut)
	}
	if !slices.Contains(first, site.URL+"/") || slices.Contains(first, site.URL+"/b") {
		t.Errorf("partial output = %v", first)
	}
	if !strings.Contains(errOut, "interrupted") {
		t.Errorf("stderr: %s", errOut)
	}

	site.mu.Lock()
	delete(site.block, "/b")
	site.mu.Unlock()
	code, all, errOut := crawlURLs(t, context.Background(), args...)
	want := []string{site.URL + "/", site.URL + "/a", site.URL + "/a/deep", site.URL + "/b"}
	if code != 0 || !cmp.Equal(want, all) {
		t.Fatalf("resumed: exit %d %s\n%s", code, errOut, cmp.Diff(want, all))
	}
	for _, p := range []string{"/", "/a"} {
		if n := site.hitsOf(p); n != 1 {
			t.Errorf("%s fetched %d times", p, n)
		}
	}
	if n := site.hitsOf("/b"); n != 2 {
		t.Errorf("/b fetched %d times, want 2 (interrupted, then resumed)", n)
	}

	// Another job's journal is refused.
	code, _, errOut = runCLI(t, context.Background(), nil, "", "crawl", site.URL+"/a", allowLoopback, "--resume", journal)
	if code != 2 || !strings.Contains(errOut, "holds another job") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

// fakeAPI is a SpiderGo server as far as the remote mode needs one.
type fakeAPI struct {
	*httptest.Server
	mu        sync.Mutex
	requests  []api.Request
	cancelled atomic.Bool
	// streamHold, when set, keeps the stream open after its pages.
	streamHold chan struct{}
}

func newFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	f := &fakeAPI{}
	mux := http.NewServeMux()
	auth := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer sk_live_cli" {
				w.WriteHeader(401)
				json.NewEncoder(w).Encode(api.Error{Message: "Missing or invalid API key.", Code: "unauthorized", RequestID: "r1"})
				return
			}
			h(w, r)
		}
	}
	record := func(r *http.Request) api.Request {
		var req api.Request
		json.NewDecoder(r.Body).Decode(&req)
		f.mu.Lock()
		f.requests = append(f.requests, req)
		f.mu.Unlock()
		return req
	}
	page := func(u string) *api.Page {
		return &api.Page{URL: u, StatusCode: 200, Title: "T " + u, Markdown: "# From the server " + u}
	}
	reply := func(w http.ResponseWriter, status int, env *api.Envelope) {
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(api.Response{Message: env})
	}
	mux.HandleFunc("POST /v1/scrape", auth(func(w http.ResponseWriter, r *http.Request) {
		req := record(r)
		if req.URL == "https://refused.example" {
			w.WriteHeader(400)
			json.NewEncoder(w).Encode(api.Error{Message: "URL \"https://refused.example\" points to an address this server does not fetch.", Code: "blocked_address"})
			return
		}
		reply(w, 200, &api.Envelope{CRID: "s1", Status: "completed", TotalPages: 1, Pages: []*api.Page{page(req.URL)}})
	}))
	mux.HandleFunc("POST /v1/crawl", auth(func(w http.ResponseWriter, r *http.Request) {
		record(r)
		reply(w, 202, &api.Envelope{CRID: "c1", Status: "queued"})
	}))
	mux.HandleFunc("POST /v1/batch/scrape", auth(func(w http.ResponseWriter, r *http.Request) {
		req := record(r)
		env := &api.Envelope{CRID: "c1", Status: "queued"}
		if req.IgnoreInvalidURLs {
			env.InvalidURLs = []api.InvalidURL{{URL: "ftp://x", Code: "invalid_url", Reason: "Not an http(s) URL."}}
		}
		reply(w, 202, env)
	}))
	mux.HandleFunc("POST /v1/map", auth(func(w http.ResponseWriter, r *http.Request) {
		record(r)
		reply(w, 200, &api.Envelope{CRID: "m1", Status: "completed", URLs: []string{"https://example.com/", "https://example.com/x"}})
	}))
	mux.HandleFunc("GET /v1/crawl/c1/stream", auth(func(w http.ResponseWriter, r *http.Request) {
		enc := json.NewEncoder(w)
		enc.Encode(api.StreamLine{Type: "page", Page: page("https://example.com/")})
		enc.Encode(api.StreamLine{Type: "page", Page: &api.Page{URL: "https://example.com/gone", StatusCode: 404, Error: "http_4xx"}})
		http.NewResponseController(w).Flush()
		if f.streamHold != nil {
			select {
			case <-f.streamHold:
			case <-r.Context().Done():
			}
			return
		}
		enc.Encode(api.StreamLine{Type: "summary", Job: &api.Envelope{CRID: "c1", Status: "completed", TotalPages: 2}})
	}))
	mux.HandleFunc("DELETE /v1/crawl/c1", auth(func(w http.ResponseWriter, r *http.Request) {
		f.cancelled.Store(true)
		reply(w, 200, &api.Envelope{CRID: "c1", Status: "cancelled"})
	}))
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func TestRemote(t *testing.T) {
	f := newFakeAPI(t)
	env := map[string]string{"SPIDERGO_API_URL": f.URL, "SPIDERGO_API_KEY": "sk_live_cli"}

	code, out, errOut := runCLI(t, context.Background(), env, "", "scrape", "https://example.com/", "--formats", "markdown", "--timeout", "10s")
	if code != 0 || strings.TrimSpace(out) != "# From the server https://example.com/" {
		t.Errorf("scrape: exit %d %q %s", code, out, errOut)
	}
	f.mu.Lock()
	got := f.requests[len(f.requests)-1]
	f.mu.Unlock()
	yes := true
	if diff := cmp.Diff(api.Request{URL: "https://example.com/", Formats: []string{"markdown"}, OnlyMainContent: &yes, Render: "auto", TimeoutMS: api.Ptr(10000)}, got); diff != "" {
		t.Errorf("scrape request (-want +got):\n%s", diff)
	}

	code, out, errOut = runCLI(t, context.Background(), env, "", "crawl", "https://example.com/", "--limit", "500", "--format", "ndjson", "-q")
	if code != 1 || strings.Count(out, "\n") != 2 || !strings.Contains(errOut, "1 of 2 pages failed") {
		t.Errorf("crawl: exit %d\n%s\n%s", code, out, errOut)
	}
	f.mu.Lock()
	got = f.requests[len(f.requests)-1]
	f.mu.Unlock()
	if !got.IsAsync() || *got.Limit != 500 || *got.MaxDepth != 3 || got.Sitemap != "include" || *got.MaxConcurrency != 4 {
		t.Errorf("crawl request = %+v", got)
	}

	code, out, _ = runCLI(t, context.Background(), env, "", "map", "https://example.com/")
	if code != 0 || out != "https://example.com/\nhttps://example.com/x\n" {
		t.Errorf("map: exit %d %q", code, out)
	}

	code, _, errOut = runCLI(t, context.Background(), env, "", "scrape", "https://refused.example")
	if code != 2 || !strings.Contains(errOut, "does not fetch") {
		t.Errorf("refused: exit %d %s", code, errOut)
	}
	code, _, errOut = runCLI(t, context.Background(), map[string]string{"SPIDERGO_API_URL": f.URL, "SPIDERGO_API_KEY": "wrong"}, "", "scrape", "https://example.com")
	if code != 1 || !strings.Contains(errOut, "401 unauthorized") {
		t.Errorf("bad key: exit %d %s", code, errOut)
	}
}

func TestRemoteInterrupt(t *testing.T) {
	f := newFakeAPI(t)
	f.streamHold = make(chan struct{})
	defer close(f.streamHold)
	ctx, cancel := context.WithCancel(context.Background())
	var stdout syncBuilder
	var stderr strings.Builder
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"crawl", "https://example.com", "--api-url", f.URL, "--api-key", "sk_live_cli", "--format", "ndjson", "-q"},
			func(string) string { return "" }, strings.NewReader(""), &stdout, &stderr)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(stdout.String(), "\n") < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code != 130 {
			t.Errorf("exit %d, want 130: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the crawl did not stop")
	}
	if !f.cancelled.Load() {
		t.Error("the job was not cancelled on the server")
	}
	if strings.Count(stdout.String(), "\n") != 2 {
		t.Errorf("partial output:\n%s", stdout.String())
	}
}

// syncBuilder is a strings.Builder safe to read while the command writes.
type syncBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuilder) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuilder) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
