package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/sqlstore"
)

func TestJobErrorsAndProgress(t *testing.T) {
	s := newSite(t, map[string]string{
		"/":           htmlPage("Home", "/a", "/private", "/missing"),
		"/a":          htmlPage("A"),
		"/private":    htmlPage("Private"),
		"/robots.txt": "User-agent: *\nDisallow: /private\n",
	})
	e := newAPIEnv(t, "", hostOf(s.Server))
	e.addUser(t, "a@example.com")
	_, keyB := e.addUser(t, "b@example.com")
	e.addUser(t, "c@example.com")

	res, body := e.call(t, "POST", "/v1/crawl", `{"url":"`+s.URL+`","sitemap":"skip"}`)
	if res.StatusCode != 200 {
		t.Fatalf("crawl = %d %v", res.StatusCode, body)
	}
	crid := msg(body)["CRID"].(string)

	_, status := e.call(t, "GET", "/v1/crawl/"+crid, "")
	head := msg(status)
	progress := map[string]any{}
	for _, k := range []string{"Discovered", "Queued", "InFlight", "Failed", "Limit"} {
		progress[k] = head[k]
	}
	want := map[string]any{"Discovered": 4.0, "Queued": 0.0, "InFlight": 0.0, "Failed": 2.0, "Limit": 10.0}
	if diff := cmp.Diff(want, progress); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}

	res, errs := e.call(t, "GET", "/v1/crawl/"+crid+"/errors", "")
	if res.StatusCode != 200 {
		t.Fatalf("errors = %d %v", res.StatusCode, errs)
	}
	wantErrs := map[string]any{
		"errors":         []any{map[string]any{"url": s.URL + "/missing", "error": "http_4xx", "status_code": 404.0}},
		"robots_blocked": []any{s.URL + "/private"},
		"next":           "",
	}
	if diff := cmp.Diff(wantErrs, errs); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if res, _ := e.callAs(t, keyB, "GET", "/v1/crawl/"+crid+"/errors", ""); res.StatusCode != 404 {
		t.Errorf("another user's errors = %d, want 404", res.StatusCode)
	}
}

func TestListAndDeleteJobs(t *testing.T) {
	s := newSite(t, map[string]string{"/": htmlPage("Home"), "/slow/1": htmlPage("Slow")})
	s.gate = make(chan struct{})
	defer close(s.gate)
	e := newAPIEnv(t, "", hostOf(s.Server))
	_, keyB := e.addUser(t, "b@example.com")
	e.addUser(t, "a@example.com")

	_, body := e.call(t, "POST", "/v1/scrape", `{"url":"`+s.URL+`/"}`)
	done := msg(body)["CRID"].(string)
	_, body = e.call(t, "POST", "/v1/crawl", `{"url":"`+s.URL+`/slow/1","async":true,"sitemap":"skip"}`)
	running := msg(body)["CRID"].(string)
	<-s.started

	list := func(query string) (int, []string, string) {
		res, body := e.call(t, "GET", "/v1/crawl"+query, "")
		var ids []string
		jobs, _ := body["jobs"].([]any)
		for _, j := range jobs {
			ids = append(ids, j.(map[string]any)["CRID"].(string))
		}
		next, _ := body["next"].(string)
		return res.StatusCode, ids, next
	}
	tests := []struct {
		query      string
		wantStatus int
		want       []string
	}{
		{"", 200, []string{running, done}},
		{"?status=running", 200, []string{running}},
		{"?status=completed", 200, []string{done}},
		{"?status=failed", 200, nil},
		{"?status=done", 400, nil},
		{"?limit=0", 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			status, ids, _ := list(tt.query)
			if status != tt.wantStatus {
				t.Fatalf("status = %d, want %d", status, tt.wantStatus)
			}
			if diff := cmp.Diff(tt.want, ids); diff != "" {
				t.Errorf("jobs (-want +got):\n%s", diff)
			}
		})
	}
	// Cursor pagination, one job a page.
	_, first, next := list("?limit=1")
	_, second, last := list("?limit=1&cursor=" + next)
	if diff := cmp.Diff([]string{running, done}, append(first, second...)); diff != "" || last != "" {
		t.Errorf("paginated (-want +got):\n%s (last cursor %q)", diff, last)
	}

	// Deleting: another user's job is unknown; a running job is cancelled
	// and then deleted with its pages.
	if res, _ := e.callAs(t, keyB, "DELETE", "/v1/history/"+running, ""); res.StatusCode != 404 {
		t.Errorf("another user's delete = %d, want 404", res.StatusCode)
	}
	for _, id := range []string{running, done} {
		if res, body := e.call(t, "DELETE", "/v1/history/"+id, ""); res.StatusCode != 200 {
			t.Errorf("delete %s = %d %v", id, res.StatusCode, body)
		}
		if res, _ := e.call(t, "GET", "/v1/crawl/"+id, ""); res.StatusCode != 404 {
			t.Errorf("deleted job = %d, want 404", res.StatusCode)
		}
	}
	var pages int
	if err := e.store.SQL().QueryRow("SELECT count(*) FROM pages").Scan(&pages); err != nil || pages != 0 {
		t.Errorf("%d pages left after deleting every job (%v)", pages, err)
	}
}

func TestStoreFalse(t *testing.T) {
	s := newSite(t, map[string]string{"/": htmlPage("Home", "/a"), "/a": htmlPage("A")})
	e := newAPIEnv(t, "", hostOf(s.Server))
	e.addUser(t, "a@example.com")
	tests := []struct {
		name, path, body string
		wantPages        int
	}{
		{"scrape", "/v1/scrape", `{"url":"` + s.URL + `/","store":false}`, 1},
		{"sync crawl", "/v1/crawl", `{"url":"` + s.URL + `/","store":false,"sitemap":"skip"}`, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := e.call(t, "POST", tt.path, tt.body)
			if res.StatusCode != 200 || len(pagesOf(body)) != tt.wantPages || pagesOf(body)[0]["Title"] != "Home" {
				t.Fatalf("answer = %d %v", res.StatusCode, body)
			}
			if d := msg(body)["Discovered"]; d != float64(tt.wantPages) {
				t.Errorf("Discovered = %v, want %d", d, tt.wantPages)
			}
			crid := msg(body)["CRID"].(string)
			_, got := e.call(t, "GET", "/v1/crawl/"+crid, "")
			if msg(got)["TotalPages"] != float64(tt.wantPages) || msg(got)["Discovered"] != float64(tt.wantPages) || len(pagesOf(got)) != 0 || msg(got)["Status"] != "completed" {
				t.Errorf("stored job = %v, want counts and no pages", msg(got))
			}
			var n int
			if err := e.store.SQL().QueryRow("SELECT count(*) FROM pages WHERE job_id = ?", crid).Scan(&n); err != nil || n != 0 {
				t.Errorf("%d pages stored (%v)", n, err)
			}
		})
	}
	res, body := e.call(t, "POST", "/v1/crawl", `{"url":"`+s.URL+`/","store":false,"async":true}`)
	if res.StatusCode != 400 || !strings.Contains(body["message"].(string), `"store": false`) {
		t.Errorf("async with store false = %d %v, want 400 explaining", res.StatusCode, body)
	}
}

// TestShutdownWithFailingWebhooks stops a server whose webhook receiver
// always answers 503, with a retry backoff far longer than the shutdown
// timeout: shutdown must still end within the timeout.
func TestShutdownWithFailingWebhooks(t *testing.T) {
	s := newSite(t, map[string]string{"/": htmlPage("Home", "/slow/1"), "/slow/1": htmlPage("Slow")})
	s.gate = make(chan struct{})
	defer close(s.gate)
	var hooks atomic.Int32
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hooks.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer receiver.Close()

	const timeout = time.Second
	db, err := sqlstore.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "shutdown.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg := testConfig(t, map[string]string{
		"SPIDERGO_FETCH_ALLOW":      hostOf(s.Server) + "," + hostOf(receiver),
		"SPIDERGO_SHUTDOWN_TIMEOUT": timeout.String(),
	})
	srv, err := newServer(t, cfg, db, slog.New(slog.NewTextHandler(io.Discard, nil)), testOptions{WebhookBackoff: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	e := &apiEnv{srv: srv, store: db}
	e.addUser(t, "a@example.com")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	e.http = &httptest.Server{URL: "http://" + ln.Addr().String()}

	hook := `"webhook":{"url":"` + receiver.URL + `/hook"}`
	if res, body := e.call(t, "POST", "/v1/crawl", `{"url":"`+s.URL+`","async":true,"sitemap":"skip",`+hook+`}`); res.StatusCode != 202 {
		t.Fatalf("async crawl = %d %v", res.StatusCode, body)
	}
	if res, body := e.call(t, "POST", "/v1/scrape", `{"url":"`+s.URL+`",`+hook+`}`); res.StatusCode != 200 {
		t.Fatalf("scrape = %d %v", res.StatusCode, body)
	}
	<-s.started
	for deadline := time.Now().Add(5 * time.Second); hooks.Load() < 2 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	began := time.Now()
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(timeout + 5*time.Second):
		t.Fatal("shutdown still waits on webhook retries")
	}
	// As internal/app does: once requests have drained, the jobs stop.
	closeServer(srv)
	if took := time.Since(began); took > timeout+time.Second {
		t.Errorf("shutdown took %v, want at most the %v timeout", took.Round(time.Millisecond), timeout)
	}
	var status string
	if err := db.SQL().QueryRow("SELECT status FROM jobs WHERE kind = 'crawl'").Scan(&status); err != nil || status != spidergo.StatusRunning {
		t.Errorf("interrupted async job = %q (%v), want running, to resume at the next start", status, err)
	}
}
