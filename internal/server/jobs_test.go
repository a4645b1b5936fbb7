package server

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/sqlstore"
)

// site is a loopback test site that counts requests and can hold pages
// back until released.
type site struct {
	*httptest.Server
	mu      sync.Mutex
	hits    map[string]int
	pages   map[string]string
	gate    chan struct{} // when set, pages under /slow/ wait for it
	started chan string
}

func newSite(t testing.TB, pages map[string]string) *site {
	t.Helper()
	s := &site{hits: map[string]int{}, pages: pages, started: make(chan string, 1000)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.RequestURI()]++
		gate := s.gate
		body, ok := s.pages[r.URL.Path]
		s.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		if gate != nil && strings.HasPrefix(r.URL.Path, "/slow/") {
			s.started <- r.URL.Path
			select {
			case <-gate:
			case <-r.Context().Done():
				return
			}
		}
		if r.URL.Path == "/robots.txt" {
			w.Header().Set("Content-Type", "text/plain")
		} else {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
		}
		io.WriteString(w, body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *site) count(uri string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[uri]
}

func htmlPage(title string, links ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<html><head><title>%s</title><meta name=description content=\"About %s\"></head><body><main><h1>%s</h1><p>This page tells a long enough story about %s for the extractor to keep it as the main content of the page.</p>", title, title, title, title)
	for _, l := range links {
		fmt.Fprintf(&b, `<p><a href="%s">more</a></p>`, l)
	}
	b.WriteString("</main></body></html>")
	return b.String()
}

// apiEnv is a running server with one user holding one API key.
type apiEnv struct {
	srv    *Server
	http   *httptest.Server
	store  *sqlstore.DB
	userID string
	key    string
}

// newAPIEnv starts a server whose fetcher may reach allow (host:port
// entries), over the SQLite file at dbPath (a fresh one when empty).
func newAPIEnv(t testing.TB, dbPath string, allow ...string) *apiEnv {
	t.Helper()
	return newAPIEnvWith(t, dbPath, nil, allow...)
}

// newAPIEnvWith is newAPIEnv with extra configuration.
func newAPIEnvWith(t testing.TB, dbPath string, extra map[string]string, allow ...string) *apiEnv {
	t.Helper()
	return newAPIEnvOpts(t, dbPath, extra, testOptions{WebhookBackoff: 5 * time.Millisecond}, allow...)
}

// newAPIEnvOpts is newAPIEnvWith with the test server's options.
func newAPIEnvOpts(t testing.TB, dbPath string, extra map[string]string, o testOptions, allow ...string) *apiEnv {
	t.Helper()
	if dbPath == "" {
		dbPath = filepath.Join(t.TempDir(), "api.db")
	}
	db, err := sqlstore.Open(context.Background(), "sqlite:"+dbPath)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SPIDERGO_FETCH_ALLOW": strings.Join(allow, ",")}
	for k, v := range extra {
		env[k] = v
	}
	srv, err := newServer(t, testConfig(t, env), db, slog.New(slog.NewTextHandler(io.Discard, nil)), o)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	e := &apiEnv{srv: srv, http: hs, store: db}
	t.Cleanup(func() { hs.Close(); closeServer(srv); db.Close() })
	return e
}

// addUser creates a user with a key and makes it the env's caller.
func (e *apiEnv) addUser(t testing.TB, email string) (userID, key string) {
	t.Helper()
	ctx := context.Background()
	u := &spidergo.User{Email: email, IsVerified: true}
	if err := e.store.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	k, secret, err := spidergo.NewAPIKey(u.ID, "test", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.CreateAPIKey(ctx, k, 3); err != nil {
		t.Fatal(err)
	}
	e.userID, e.key = u.ID, secret
	return u.ID, secret
}

func hostOf(s *httptest.Server) string {
	u, _ := url.Parse(s.URL)
	return u.Host
}

// call sends a JSON request with the env's key and decodes the answer.
func (e *apiEnv) call(t testing.TB, method, path, body string) (*http.Response, map[string]any) {
	t.Helper()
	return e.callAs(t, e.key, method, path, body)
}

func (e *apiEnv) callAs(t testing.TB, key, method, path, body string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, e.http.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return roundTrip(t, req)
}

// roundTrip sends req and decodes its JSON answer.
func roundTrip(t testing.TB, req *http.Request) (*http.Response, map[string]any) {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s %s: answer is not JSON: %q", req.Method, req.URL.Path, raw)
	}
	return res, m
}

func msg(m map[string]any) map[string]any {
	out, _ := m["message"].(map[string]any)
	return out
}

func pagesOf(m map[string]any) []map[string]any {
	var out []map[string]any
	for _, p := range msg(m)["Pages"].([]any) {
		out = append(out, p.(map[string]any))
	}
	return out
}

func (e *apiEnv) usedToday(t testing.TB) float64 {
	t.Helper()
	_, u := e.call(t, "GET", "/v1/usage", "")
	return u["used_today"].(float64)
}

func TestScrape(t *testing.T) {
	s := newSite(t, map[string]string{"/": htmlPage("Home", "/a"), "/a": htmlPage("A")})
	e := newAPIEnv(t, "", hostOf(s.Server))
	e.addUser(t, "a@example.com")

	res, body := e.call(t, "POST", "/v1/scrape", `{"url":"`+s.URL+`/"}`)
	if res.StatusCode != 200 {
		t.Fatalf("scrape = %d %v", res.StatusCode, body)
	}
	m := msg(body)
	if m["CRID"] == "" || m["UserID"] != e.userID || m["TotalPages"] != 1.0 || m["Status"] != "completed" {
		t.Errorf("envelope head = %v", m)
	}
	p := pagesOf(body)[0]
	if p["StatusCode"] != 200.0 || p["Title"] != "Home" || p["Error"] != "" || !strings.Contains(p["Markdown"].(string), "long enough story") {
		t.Errorf("page = %v", p)
	}
	if m["TotalPayloadSize"].(float64) <= 0 || m["TotalPayloadSize"] != p["PayloadSize"] {
		t.Errorf("TotalPayloadSize %v vs page %v", m["TotalPayloadSize"], p["PayloadSize"])
	}
	for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-Request-ID"} {
		if res.Header.Get(h) == "" {
			t.Errorf("missing %s", h)
		}
	}
	if links, _ := p["Links"].(map[string]any); links == nil || len(links["Internal"].([]any)) != 1 {
		t.Errorf("links = %v", p["Links"])
	}
	if s.count("/a") != 0 {
		t.Error("scrape followed a link")
	}
	if got := e.usedToday(t); got != 1 {
		t.Errorf("used_today = %v, want 1", got)
	}
}

func TestScrapeFailures(t *testing.T) {
	s := newSite(t, map[string]string{"/": htmlPage("Home")})
	e := newAPIEnv(t, "", hostOf(s.Server))
	e.addUser(t, "a@example.com")
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantCode   string // error code, or the page's Error for 200
		wantMsg    string
	}{
		{"missing url", `{}`, 400, "invalid", `"url" is required`},
		{"unknown field", `{"url":"` + s.URL + `","max_dept":2}`, 400, "invalid", `Unknown field "max_dept"`},
		{"bad json", `{"url":`, 400, "invalid", "JSON"},
		{"bad format", `{"url":"` + s.URL + `","formats":["pdf"]}`, 400, "invalid", `Unknown format "pdf"`},
		{"browser render absent", `{"url":"` + s.URL + `","render":"browser"}`, 400, "render_not_installed", "Chromium"},
		{"screenshot absent", `{"url":"` + s.URL + `","formats":["screenshot"]}`, 400, "render_not_installed", "browser rendering"},
		{"bad selector", `{"url":"` + s.URL + `","include_tags":["[[["]}`, 400, "invalid", "include_tags"},
		{"host header", `{"url":"` + s.URL + `","headers":{"Host":"x"}}`, 400, "invalid", "may not be set"},
		{"ftp", `{"url":"ftp://example.com/"}`, 400, "invalid_url", "only http and https"},
		{"private address", `{"url":"http://10.0.0.1/"}`, 400, "blocked_address", "does not fetch"},
		{"metadata address", `{"url":"http://169.254.169.254/latest/meta-data/"}`, 400, "blocked_address", "does not fetch"},
		{"decimal loopback", `{"url":"http://2130706433/"}`, 400, "blocked_address", "does not fetch"},
		{"other loopback port", `{"url":"http://127.0.0.1:1/"}`, 400, "blocked_address", "Port 1 is not allowed"},
		{"localhost name", `{"url":"http://localhost:8080/"}`, 400, "blocked_address", "does not fetch"},
		{"404 seed is a page", `{"url":"` + s.URL + `/missing"}`, 200, "http_4xx", ""},
		{"webhook to private address", `{"url":"` + s.URL + `","webhook":{"url":"http://10.1.2.3/hook"}}`, 400, "blocked_address", "does not fetch"},
		{"webhook unknown event", `{"url":"` + s.URL + `","webhook":{"url":"` + s.URL + `/hook","events":["paged"]}}`, 400, "invalid", `Unknown webhook event "paged"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.usedToday(t)
			res, body := e.call(t, "POST", "/v1/scrape", tt.body)
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %v", res.StatusCode, tt.wantStatus, body)
			}
			if tt.wantStatus == 200 {
				if got := pagesOf(body)[0]["Error"]; got != tt.wantCode {
					t.Errorf("page Error = %v, want %s", got, tt.wantCode)
				}
				return
			}
			if body["code"] != tt.wantCode || !strings.Contains(body["message"].(string), tt.wantMsg) {
				t.Errorf("error = %v, want code %s and message containing %q", body, tt.wantCode, tt.wantMsg)
			}
			if after := e.usedToday(t); after != before {
				t.Errorf("a 400 took a quota unit: %v → %v", before, after)
			}
		})
	}
}

func TestSyncCrawl(t *testing.T) {
	s := newSite(t, map[string]string{
		"/":           htmlPage("Home", "/a", "/b", "/a#x", "/b?"),
		"/a":          htmlPage("A", "/", "/c"),
		"/b":          htmlPage("B"),
		"/c":          htmlPage("C"),
		"/robots.txt": "User-agent: *\nAllow: /\n",
	})
	e := newAPIEnv(t, "", hostOf(s.Server))
	e.addUser(t, "a@example.com")
	res, body := e.call(t, "POST", "/v1/crawl", `{"url":"`+s.URL+`","sitemap":"skip"}`)
	if res.StatusCode != 200 {
		t.Fatalf("crawl = %d %v", res.StatusCode, body)
	}
	var got []string
	for _, p := range pagesOf(body) {
		got = append(got, strings.TrimPrefix(p["URL"].(string), s.URL))
	}
	sort.Strings(got)
	if diff := cmp.Diff([]string{"/", "/a", "/b", "/c"}, got); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
	if msg(body)["TotalPages"] != 4.0 {
		t.Errorf("TotalPages = %v", msg(body)["TotalPages"])
	}
	if res, body := e.call(t, "POST", "/v1/crawl", `{"url":"`+s.URL+`","limit":500}`); res.StatusCode != 400 || !strings.Contains(body["message"].(string), `"async": true`) {
		t.Errorf("sync crawl over the cap = %d %v", res.StatusCode, body)
	}
}

// waitJob polls a job until it is finished.
func (e *apiEnv) waitJob(t testing.TB, crid string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		res, body := e.call(t, "GET", "/v1/crawl/"+crid, "")
		if res.StatusCode != 200 {
			t.Fatalf("status = %d %v", res.StatusCode, body)
		}
		switch msg(body)["Status"] {
		case "completed", "cancelled", "failed":
			return body
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("job %s did not finish", crid)
	return nil
}

func TestAsyncCrawlLifecycle(t *testing.T) {
	pages := map[string]string{}
	var links []string
	for i := 0; i < 12; i++ {
		links = append(links, fmt.Sprintf("/p%d", i))
		pages[fmt.Sprintf("/p%d", i)] = htmlPage(fmt.Sprintf("P%d", i))
	}
	pages["/"] = htmlPage("Home", links...)
	s := newSite(t, pages)
	e := newAPIEnv(t, "", hostOf(s.Server))
	_, keyA := e.addUser(t, "a@example.com")
	_, keyB := e.addUser(t, "b@example.com")
	e.key = keyA

	res, body := e.call(t, "POST", "/v1/crawl", `{"url":"`+s.URL+`","async":true,"limit":13,"sitemap":"skip"}`)
	if res.StatusCode != 202 {
		t.Fatalf("async crawl = %d %v", res.StatusCode, body)
	}
	crid := msg(body)["CRID"].(string)
	if res.Header.Get("Location") != "/v1/crawl/"+crid || msg(body)["Status"] != "queued" {
		t.Errorf("202 head: Location %q, body %v", res.Header.Get("Location"), body)
	}
	done := e.waitJob(t, crid)
	if msg(done)["Status"] != "completed" || msg(done)["TotalPages"] != 13.0 {
		t.Fatalf("finished job = %v", msg(done))
	}

	// Cursor pagination returns every page once.
	seen := map[string]int{}
	cursor := ""
	for i := 0; ; i++ {
		_, body := e.call(t, "GET", "/v1/crawl/"+crid+"?limit=5&cursor="+cursor, "")
		for _, p := range pagesOf(body) {
			seen[p["URL"].(string)]++
		}
		cursor = msg(body)["Next"].(string)
		if cursor == "" || i > 10 {
			break
		}
	}
	if len(seen) != 13 {
		t.Errorf("paginated %d distinct pages, want 13", len(seen))
	}
	for u, n := range seen {
		if n != 1 {
			t.Errorf("%s listed %d times", u, n)
		}
	}

	// The stream replays the finished job and ends with a summary.
	for _, accept := range []string{"", "text/event-stream"} {
		req, _ := http.NewRequest("GET", e.http.URL+"/v1/crawl/"+crid+"/stream", nil)
		req.Header.Set("Authorization", "Bearer "+keyA)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		text := string(raw)
		if accept == "" {
			lines := strings.Split(strings.TrimSpace(text), "\n")
			if len(lines) != 14 || !strings.Contains(lines[13], `"type":"summary"`) {
				t.Errorf("NDJSON stream: %d lines, last %q", len(lines), lines[len(lines)-1])
			}
		} else if strings.Count(text, "event: page") != 13 || !strings.Contains(text, "event: summary") {
			t.Errorf("SSE stream = %q…", text[:min(300, len(text))])
		}
	}

	// Another user sees nothing of it.
	for _, path := range []string{"/v1/crawl/" + crid, "/v1/crawl/" + crid + "/stream"} {
		if res, _ := e.callAs(t, keyB, "GET", path, ""); res.StatusCode != 404 {
			t.Errorf("other user GET %s = %d, want 404", path, res.StatusCode)
		}
	}
	if res, _ := e.callAs(t, keyB, "DELETE", "/v1/crawl/"+crid, ""); res.StatusCode != 404 {
		t.Errorf("other user DELETE = %d, want 404", res.StatusCode)
	}
	_, hist := e.callAs(t, keyB, "GET", "/v1/history", "")
	if jobs := hist["jobs"].([]any); len(jobs) != 0 {
		t.Errorf("other user's history holds %d jobs", len(jobs))
	}
	_, hist = e.call(t, "GET", "/v1/history", "")
	if jobs := hist["jobs"].([]any); len(jobs) != 1 || jobs[0].(map[string]any)["CRID"] != crid {
		t.Errorf("history = %v", hist)
	}
}

func TestCancelAndLiveStream(t *testing.T) {
	pages := map[string]string{"/": htmlPage("Home", "/fast", "/slow/1", "/slow/2", "/slow/3")}
	pages["/fast"] = htmlPage("Fast")
	for i := 1; i <= 3; i++ {
		pages[fmt.Sprintf("/slow/%d", i)] = htmlPage("Slow")
	}
	s := newSite(t, pages)
	s.gate = make(chan struct{})
	defer close(s.gate)
	e := newAPIEnv(t, "", hostOf(s.Server))
	e.addUser(t, "a@example.com")
	_, body := e.call(t, "POST", "/v1/crawl", `{"url":"`+s.URL+`","async":true,"sitemap":"skip","max_concurrency":1}`)
	crid := msg(body)["CRID"].(string)

	// Open the stream while the job runs: it must deliver pages live.
	req, _ := http.NewRequest("GET", e.http.URL+"/v1/crawl/"+crid+"/stream", nil)
	req.Header.Set("Authorization", "Bearer "+e.key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	lines := bufio.NewScanner(res.Body)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	<-s.started // the crawl now waits on a slow page
	var streamed []string
	for len(streamed) < 2 && lines.Scan() {
		streamed = append(streamed, lines.Text())
	}
	if len(streamed) != 2 {
		t.Fatalf("live stream gave %d lines before the job finished", len(streamed))
	}

	res2, body := e.call(t, "DELETE", "/v1/crawl/"+crid, "")
	if res2.StatusCode != 200 || msg(body)["Status"] != "cancelled" {
		t.Fatalf("cancel = %d %v", res2.StatusCode, body)
	}
	for lines.Scan() {
		streamed = append(streamed, lines.Text())
	}
	if last := streamed[len(streamed)-1]; !strings.Contains(last, `"summary"`) || !strings.Contains(last, `"cancelled"`) {
		t.Errorf("stream did not end with a cancelled summary: %q", last)
	}
	done := e.waitJob(t, crid)
	if msg(done)["Status"] != "cancelled" || msg(done)["TotalPages"] != 2.0 {
		t.Errorf("after cancel = %v (pages fetched before the cancel must stay)", msg(done))
	}
	if res, body := e.call(t, "DELETE", "/v1/crawl/"+crid, ""); res.StatusCode != 409 {
		t.Errorf("second cancel = %d %v, want 409", res.StatusCode, body)
	}
}

func TestRestartResumesCrawl(t *testing.T) {
	pages := map[string]string{}
	var links []string
	for i := 0; i < 8; i++ {
		p := fmt.Sprintf("/slow/%d", i)
		links = append(links, p)
		pages[p] = htmlPage(p)
	}
	pages["/"] = htmlPage("Home", links...)
	s := newSite(t, pages)
	s.gate = make(chan struct{})
	dbPath := filepath.Join(t.TempDir(), "resume.db")

	first := newAPIEnv(t, dbPath, hostOf(s.Server))
	first.addUser(t, "a@example.com")
	_, body := first.call(t, "POST", "/v1/crawl", `{"url":"`+s.URL+`","async":true,"sitemap":"skip","max_concurrency":2}`)
	crid := msg(body)["CRID"].(string)
	<-s.started
	<-s.started
	// The home page is written once its links are queued, so the slow
	// pages may start first: wait until it is stored.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		_, body := first.call(t, "GET", "/v1/crawl/"+crid, "")
		if msg(body)["TotalPages"] == 1.0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the home page was not stored: %v", msg(body))
		}
	}
	// Stop the process mid-crawl: the home page is stored, two slow pages
	// are in flight, the rest are queued.
	first.http.Close()
	closeServer(first.srv)
	first.store.Close()

	s.mu.Lock()
	close(s.gate)
	s.gate = nil
	s.mu.Unlock()

	second := newAPIEnv(t, dbPath, hostOf(s.Server))
	second.key = first.key
	done := second.waitJob(t, crid)
	if msg(done)["Status"] != "completed" || msg(done)["TotalPages"] != 9.0 {
		t.Fatalf("resumed job = %v", msg(done))
	}
	seen := map[string]int{}
	for _, p := range pagesOf(done) {
		seen[p["URL"].(string)]++
	}
	if len(seen) != 9 {
		t.Errorf("resumed job holds %d distinct pages, want 9", len(seen))
	}
	for u, n := range seen {
		if n != 1 {
			t.Errorf("%s stored %d times", u, n)
		}
	}
	if n := s.count("/"); n != 1 {
		t.Errorf("the stored home page was fetched %d times", n)
	}
}

func TestCacheIsPerUser(t *testing.T) {
	s := newSite(t, map[string]string{"/": htmlPage("Home")})
	e := newAPIEnv(t, "", hostOf(s.Server))
	_, keyA := e.addUser(t, "a@example.com")
	_, keyB := e.addUser(t, "b@example.com")
	req := `{"url":"` + s.URL + `/","max_age_ms":60000}`
	_, first := e.callAs(t, keyA, "POST", "/v1/scrape", req)
	_, again := e.callAs(t, keyA, "POST", "/v1/scrape", req)
	_, other := e.callAs(t, keyB, "POST", "/v1/scrape", req)
	if pagesOf(first)[0]["Cached"] != false || pagesOf(again)[0]["Cached"] != true {
		t.Errorf("owner's second scrape not served from cache: %v / %v", pagesOf(first)[0]["Cached"], pagesOf(again)[0]["Cached"])
	}
	if pagesOf(other)[0]["Cached"] != false {
		t.Error("another user was served the first user's cached page")
	}
	if n := s.count("/"); n != 2 {
		t.Errorf("site fetched %d times, want 2 (user A once, user B once)", n)
	}
}

func TestBatchAndMap(t *testing.T) {
	s := newSite(t, map[string]string{
		"/":  htmlPage("Home", "/a", "/b", "https://elsewhere.example/"),
		"/a": htmlPage("A", "/deep"),
		"/b": htmlPage("B"),
	})
	e := newAPIEnv(t, "", hostOf(s.Server))
	e.addUser(t, "a@example.com")

	res, body := e.call(t, "POST", "/v1/batch/scrape", `{"urls":["`+s.URL+`/a","`+s.URL+`/b","`+s.URL+`/b#dup"]}`)
	if res.StatusCode != 202 {
		t.Fatalf("batch = %d %v", res.StatusCode, body)
	}
	done := e.waitJob(t, msg(body)["CRID"].(string))
	if msg(done)["TotalPages"] != 2.0 || s.count("/deep") != 0 {
		t.Errorf("batch = %v pages; /deep fetched %d times", msg(done)["TotalPages"], s.count("/deep"))
	}
	if res, body := e.call(t, "POST", "/v1/batch/scrape", `{"urls":[]}`); res.StatusCode != 400 {
		t.Errorf("empty batch = %d %v", res.StatusCode, body)
	}
	res, body = e.call(t, "POST", "/v1/batch/scrape", `{"urls":["`+s.URL+`/a","http://10.0.0.7/"]}`)
	if res.StatusCode != 400 || body["code"] != "blocked_address" || !strings.HasPrefix(body["message"].(string), "urls[1]: ") {
		t.Errorf("batch with a private URL = %d %v", res.StatusCode, body)
	}

	res, body = e.call(t, "POST", "/v1/map", `{"url":"`+s.URL+`"}`)
	if res.StatusCode != 200 {
		t.Fatalf("map = %d %v", res.StatusCode, body)
	}
	var urls []string
	for _, u := range msg(body)["URLs"].([]any) {
		urls = append(urls, strings.TrimPrefix(u.(string), s.URL))
	}
	sort.Strings(urls)
	if diff := cmp.Diff([]string{"/", "/a", "/b"}, urls); diff != "" {
		t.Errorf("map URLs (-want +got):\n%s", diff)
	}
	if msg(body)["TotalPages"] != 3.0 {
		t.Errorf("map TotalPages = %v, want 3", msg(body)["TotalPages"])
	}
	// A map read back later answers the same URLs, paged like any result,
	// with titles when they were asked for.
	res, body = e.call(t, "POST", "/v1/map", `{"url":"`+s.URL+`","include_titles":true}`)
	if res.StatusCode != 200 {
		t.Fatalf("map with titles = %d %v", res.StatusCode, body)
	}
	answered := msg(body)
	crid := answered["CRID"].(string)
	_, first := e.call(t, "GET", "/v1/crawl/"+crid+"?limit=2", "")
	_, second := e.call(t, "GET", "/v1/crawl/"+crid+"?limit=2&cursor="+msg(first)["Next"].(string), "")
	readBack := append(msg(first)["URLs"].([]any), msg(second)["URLs"].([]any)...)
	if diff := cmp.Diff(answered["URLs"], readBack); diff != "" {
		t.Errorf("map read back (-answered +read):\n%s", diff)
	}
	if msg(first)["TotalPages"] != 3.0 || len(msg(first)["Pages"].([]any)) != 0 || len(msg(first)["Links"].([]any)) != 2 {
		t.Errorf("map head read back = %v", msg(first))
	}
}

func TestTrial(t *testing.T) {
	s := newSite(t, map[string]string{"/": htmlPage("Home", "/a"), "/a": htmlPage("A")})
	e := newAPIEnv(t, "", hostOf(s.Server))
	post := func(path, body string) (*http.Response, map[string]any) {
		req, _ := http.NewRequest("POST", e.http.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		return roundTrip(t, req)
	}
	if res, body := post("/trial/crawl", `{"url":"`+s.URL+`","limit":6}`); res.StatusCode != 400 {
		t.Errorf("trial crawl over 5 pages = %d %v", res.StatusCode, body)
	}
	res, body := post("/trial/crawl", `{"url":"`+s.URL+`","sitemap":"skip"}`)
	if res.StatusCode != 200 || msg(body)["TotalPages"] != 2.0 {
		t.Fatalf("trial crawl = %d %v", res.StatusCode, body)
	}
	for i := 0; i < 2; i++ {
		if res, body := post("/trial/scrape", `{"url":"`+s.URL+`"}`); res.StatusCode != 200 {
			t.Fatalf("trial scrape %d = %d %v", i, res.StatusCode, body)
		}
	}
	res, body = post("/trial/scrape", `{"url":"`+s.URL+`"}`)
	if res.StatusCode != 429 || res.Header.Get("Retry-After") == "" {
		t.Errorf("fourth trial = %d %v, want 429 with Retry-After", res.StatusCode, body)
	}
	users, _ := e.store.ListUsers(context.Background())
	if len(users) != 0 {
		t.Errorf("trial created %d users", len(users))
	}
	var n int
	e.store.SQL().QueryRow("SELECT count(*) FROM jobs").Scan(&n)
	if n != 0 {
		t.Errorf("trial stored %d jobs", n)
	}
}

// TestIntegrationGuideClients runs the guide's client examples against a
// local server: the Go example in-process, curl, Node's fetch and Python's
// requests where they are installed.
func TestIntegrationGuideClients(t *testing.T) {
	s := newSite(t, map[string]string{"/": htmlPage("Example Domain")})
	e := newAPIEnv(t, "", hostOf(s.Server))
	e.addUser(t, "a@example.com")
	payload := `{"url":"` + s.URL + `"}`

	// Go (net/http), as in the guide.
	req, err := http.NewRequest(http.MethodPost, e.http.URL+"/v1/scrape", bytes.NewReader([]byte(payload)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	checkEnvelope(t, "go", resp.StatusCode, body)

	for _, c := range guideClients(e.http.URL, e.key, s.URL) {
		t.Run(c.name, func(t *testing.T) {
			out, err := c.run()
			if err != nil {
				t.Skipf("%s is not available here: %v", c.name, err)
			}
			checkEnvelope(t, c.name, 200, out)
		})
	}
}

func checkEnvelope(t *testing.T, who string, status int, body []byte) {
	t.Helper()
	var env struct {
		Message struct {
			CRID       string
			UserID     string
			TotalPages int
			Pages      []struct{ Title string }
		} `json:"message"`
	}
	if err := json.Unmarshal(body, &env); err != nil || status != 200 {
		t.Fatalf("%s: status %d, body %q (%v)", who, status, body, err)
	}
	if env.Message.CRID == "" || env.Message.TotalPages != 1 || len(env.Message.Pages) != 1 || env.Message.Pages[0].Title != "Example Domain" {
		t.Errorf("%s: envelope %+v", who, env.Message)
	}
}

func TestWebhooks(t *testing.T) {
	s := newSite(t, map[string]string{"/": htmlPage("Home", "/a"), "/a": htmlPage("A")})
	type delivery struct {
		event, signature string
		body             []byte
	}
	var mu sync.Mutex
	var got []delivery
	failures := 1 // the first delivery fails and must be retried
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if failures > 0 {
			failures--
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if r.Header.Get("X-Custom") != "yes" {
			t.Errorf("custom header missing: %v", r.Header)
		}
		got = append(got, delivery{r.Header.Get("X-SpiderGo-Event"), r.Header.Get("X-SpiderGo-Signature"), body})
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()
	e := newAPIEnv(t, "", hostOf(s.Server), hostOf(receiver))
	e.addUser(t, "a@example.com")

	res, body := e.call(t, "POST", "/v1/crawl", `{"url":"`+s.URL+`","async":true,"sitemap":"skip",
		"webhook":{"url":"`+receiver.URL+`/hook","headers":{"X-Custom":"yes"}}}`)
	if res.StatusCode != 202 {
		t.Fatalf("crawl = %d %v", res.StatusCode, body)
	}
	crid := msg(body)["CRID"].(string)
	e.waitJob(t, crid)
	_, sec := e.call(t, "GET", "/v1/webhook-secret", "")
	secret := sec["webhook_secret"].(string)

	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 4 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	var events []string
	for _, d := range got {
		events = append(events, d.event)
		var ev struct {
			Event, CRID string
			Timestamp   time.Time
		}
		if err := json.Unmarshal(d.body, &ev); err != nil || ev.CRID != crid || ev.Event != d.event {
			t.Errorf("event body %s (%v)", d.body, err)
		}
		// Verify as a receiver would: HMAC-SHA256 over "<t>.<body>".
		var ts int64
		fmt.Sscanf(d.signature, "t=%d,", &ts)
		mac := hmac.New(sha256.New, []byte(secret))
		fmt.Fprintf(mac, "%d.%s", ts, d.body)
		if want := fmt.Sprintf("t=%d,v1=%x", ts, mac.Sum(nil)); d.signature != want || time.Since(time.Unix(ts, 0)) > time.Minute {
			t.Errorf("signature %q, want %q", d.signature, want)
		}
	}
	if diff := cmp.Diff([]string{"started", "page", "page", "completed"}, events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestDashboardJobRoutes(t *testing.T) {
	s := newSite(t, map[string]string{"/": htmlPage("Home", "/a"), "/a": htmlPage("A")})
	e := newAPIEnv(t, "", hostOf(s.Server))
	ctx := context.Background()
	login := func(email string) []*http.Cookie {
		u := &spidergo.User{Email: email, IsVerified: true}
		if err := e.store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		if err := e.srv.startSession(rec, httptest.NewRequest("POST", "/auth/login", nil), u); err != nil {
			t.Fatal(err)
		}
		return rec.Result().Cookies()
	}
	alice, bob := login("alice@example.com"), login("bob@example.com")
	send := func(cookies []*http.Cookie, method, path, body string, header http.Header) (*http.Response, map[string]any) {
		req, _ := http.NewRequest(method, e.http.URL+path, strings.NewReader(body))
		for _, c := range cookies {
			req.AddCookie(c)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for k, v := range header {
			req.Header[k] = v
		}
		return roundTrip(t, req)
	}

	if res, _ := send(nil, "POST", "/scrape", `{"url":"`+s.URL+`"}`, nil); res.StatusCode != 401 {
		t.Errorf("scrape without a session = %d, want 401", res.StatusCode)
	}
	crossSite := http.Header{"Origin": {"https://evil.example"}, "Sec-Fetch-Site": {"cross-site"}}
	if res, _ := send(alice, "POST", "/crawl", `{"url":"`+s.URL+`"}`, crossSite); res.StatusCode != 403 {
		t.Errorf("cross-origin crawl = %d, want 403", res.StatusCode)
	}
	res, body := send(alice, "POST", "/crawl", `{"url":"`+s.URL+`","sitemap":"skip"}`, nil)
	if res.StatusCode != 200 || msg(body)["TotalPages"] != 2.0 {
		t.Fatalf("dashboard crawl = %d %v", res.StatusCode, body)
	}
	crid := msg(body)["CRID"].(string)
	if res, body := send(alice, "POST", "/scrape", `{"url":"`+s.URL+`/a"}`, nil); res.StatusCode != 200 || msg(body)["TotalPages"] != 1.0 {
		t.Fatalf("dashboard scrape = %d %v", res.StatusCode, body)
	}

	_, hist := send(alice, "GET", "/history", "", nil)
	jobs := hist["jobs"].([]any)
	if len(jobs) != 2 || jobs[0].(map[string]any)["Kind"] != "scrape" || jobs[1].(map[string]any)["CRID"] != crid {
		t.Errorf("history (newest first) = %v", jobs)
	}
	if res, body := send(alice, "GET", "/history/"+crid, "", nil); res.StatusCode != 200 || len(pagesOf(body)) != 2 {
		t.Errorf("GET /history/{id} = %d %v", res.StatusCode, body)
	}
	for _, tt := range []struct{ method, path string }{{"GET", "/history/" + crid}, {"DELETE", "/history/" + crid}} {
		if res, _ := send(bob, tt.method, tt.path, "", nil); res.StatusCode != 404 {
			t.Errorf("bob %s %s = %d, want 404", tt.method, tt.path, res.StatusCode)
		}
	}
	if res, _ := send(alice, "DELETE", "/history/"+crid, "", crossSite); res.StatusCode != 403 {
		t.Errorf("cross-origin delete = %d, want 403", res.StatusCode)
	}
	if res, _ := send(alice, "DELETE", "/history/"+crid, "", nil); res.StatusCode != 200 {
		t.Errorf("delete = %d", res.StatusCode)
	}
	if res, _ := send(alice, "GET", "/history/"+crid, "", nil); res.StatusCode != 404 {
		t.Errorf("deleted job = %d, want 404", res.StatusCode)
	}
}

func TestPerUserJobCap(t *testing.T) {
	s := newSite(t, map[string]string{"/slow/1": htmlPage("Slow"), "/": htmlPage("Home")})
	s.gate = make(chan struct{})
	e := newAPIEnvWith(t, "", map[string]string{"SPIDERGO_MAX_JOBS_PER_USER": "1"}, hostOf(s.Server))
	_, keyA := e.addUser(t, "a@example.com")
	_, keyB := e.addUser(t, "b@example.com")
	start := func(key, path string) string {
		res, body := e.callAs(t, key, "POST", "/v1/crawl", `{"url":"`+s.URL+path+`","async":true,"sitemap":"skip"}`)
		if res.StatusCode != 202 {
			t.Fatalf("crawl = %d %v", res.StatusCode, body)
		}
		return msg(body)["CRID"].(string)
	}
	first := start(keyA, "/slow/1")
	<-s.started // A's first job holds its only slot
	second := start(keyA, "/")
	other := start(keyB, "/")

	// B is not held up by A's queue.
	e.key = keyB
	if st := msg(e.waitJob(t, other))["Status"]; st != "completed" {
		t.Fatalf("other user's job = %v", st)
	}
	e.key = keyA
	if _, body := e.call(t, "GET", "/v1/crawl/"+second, ""); msg(body)["Status"] != "queued" {
		t.Errorf("A's second job = %v while the first runs, want queued", msg(body)["Status"])
	}
	close(s.gate)
	for _, id := range []string{first, second} {
		if st := msg(e.waitJob(t, id))["Status"]; st != "completed" {
			t.Errorf("job %s = %v", id, st)
		}
	}
}
