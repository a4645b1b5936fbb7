package fetch

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// robotsSite serves a robots.txt (status and body settable) and counts how
// often it is asked for; every other path answers "page".
type robotsSite struct {
	hits   atomic.Int64
	pages  atomic.Int64
	mu     sync.Mutex
	status int
	body   string
}

func (s *robotsSite) set(status int, body string) {
	s.mu.Lock()
	s.status, s.body = status, body
	s.mu.Unlock()
}

func (s *robotsSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/robots.txt" {
		s.hits.Add(1)
		s.mu.Lock()
		status, body := s.status, s.body
		s.mu.Unlock()
		w.WriteHeader(status)
		w.Write([]byte(body))
		return
	}
	s.pages.Add(1)
	w.Write([]byte("page"))
}

func TestRobotsRules(t *testing.T) {
	cases := []struct {
		name    string
		status  int
		body    string
		path    string
		allowed bool
		delay   time.Duration
	}{
		{name: "allow all", status: 200, body: "User-agent: *\nAllow: /\n", path: "/a", allowed: true},
		{name: "deny path", status: 200, body: "User-agent: *\nDisallow: /private\n", path: "/private/x", allowed: false},
		{name: "deny other path allowed", status: 200, body: "User-agent: *\nDisallow: /private\n", path: "/public", allowed: true},
		{name: "query counts", status: 200, body: "User-agent: *\nDisallow: /*?session=\n", path: "/a?session=1", allowed: false},
		{name: "our group wins over *", status: 200, body: "User-agent: *\nAllow: /\n\nUser-agent: SpiderGo\nDisallow: /\n", path: "/a", allowed: false},
		{name: "other bot's group ignored", status: 200, body: "User-agent: OtherBot\nDisallow: /\n", path: "/a", allowed: true},
		{name: "empty disallow keeps groups apart", status: 200,
			body: "User-agent: spidergo\nDisallow:\n\nUser-agent: *\nDisallow: /\n", path: "/a", allowed: true},
		{name: "malformed lines are skipped, not fatal", status: 200,
			body: "Disallow: /before-agent\nUser-agent: *\nCrawl-delay: soon\nDisallow: /x\nnonsense line\n", path: "/x/y", allowed: false},
		{name: "robots.txt itself always allowed", status: 200, body: "User-agent: *\nDisallow: /\n", path: "/robots.txt", allowed: true},
		{name: "crawl-delay", status: 200, body: "User-agent: *\nCrawl-delay: 2.5\n", path: "/", allowed: true, delay: 2500 * time.Millisecond},
		{name: "crawl-delay capped", status: 200, body: "User-agent: *\nCrawl-delay: 3600\n", path: "/", allowed: true, delay: MaxCrawlDelay},
		{name: "absurd crawl-delay capped", status: 200, body: "User-agent: *\nCrawl-delay: 1e300\n", path: "/", allowed: true, delay: MaxCrawlDelay},
		{name: "404 allows all", status: 404, body: "User-agent: *\nDisallow: /\n", path: "/a", allowed: true},
		{name: "403 allows all", status: 403, path: "/a", allowed: true},
		{name: "500 disallows all", status: 500, path: "/a", allowed: false},
		{name: "503 disallows all", status: 503, path: "/a", allowed: false},
		{name: "429 disallows all", status: 429, path: "/a", allowed: false},
		{name: "empty file allows all", status: 200, body: "", path: "/a", allowed: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			site := &robotsSite{}
			site.set(tc.status, tc.body)
			srv, allow := server(t, site)
			f := testFetcher(t, Config{Allow: []string{allow}, MaxRetries: -1})
			u, _ := url.Parse(srv.URL + tc.path)
			allowed, delay, err := f.Robots(context.Background(), u)
			if err != nil {
				t.Fatal(err)
			}
			if allowed != tc.allowed || delay != tc.delay {
				t.Fatalf("Robots = %v, %s; want %v, %s", allowed, delay, tc.allowed, tc.delay)
			}
			resp, err := f.Fetch(context.Background(), Request{URL: srv.URL + tc.path, RespectRobots: true})
			if tc.allowed {
				if err != nil && KindOf(err) != KindHTTP4xx && KindOf(err) != KindHTTP5xx {
					t.Fatalf("Fetch: %v", err)
				}
			} else {
				wantKind(t, err, KindRobotsDisallowed)
				if resp != nil || site.pages.Load() != 0 {
					t.Fatal("a disallowed page was fetched")
				}
			}
		})
	}
}

func TestRobotsCaching(t *testing.T) {
	site := &robotsSite{}
	site.set(200, "User-agent: *\nDisallow: /no\n")
	srv, allow := server(t, site)
	clock := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }

	f := testFetcher(t, Config{Allow: []string{allow}, RobotsTTL: time.Hour, RobotsErrorTTL: time.Minute, MaxRetries: -1})
	f.now = now

	t.Run("fetched once for many concurrent pages", func(t *testing.T) {
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				path := "/yes"
				if i%2 == 0 {
					path = "/no"
				}
				f.Fetch(context.Background(), Request{URL: srv.URL + path, RespectRobots: true})
			}()
		}
		wg.Wait()
		if n := site.hits.Load(); n != 1 {
			t.Fatalf("robots.txt fetched %d times, want 1", n)
		}
		if n := site.pages.Load(); n != 10 {
			t.Fatalf("%d pages fetched, want the 10 allowed ones", n)
		}
	})
	t.Run("refetched after the TTL", func(t *testing.T) {
		advance(time.Hour + time.Second)
		site.set(503, "")
		_, err := f.Fetch(context.Background(), Request{URL: srv.URL + "/yes", RespectRobots: true})
		wantKind(t, err, KindRobotsDisallowed)
		if !strings.Contains(err.Error(), "503") {
			t.Fatalf("reason does not mention the status: %v", err)
		}
		if n := site.hits.Load(); n != 2 {
			t.Fatalf("robots.txt fetched %d times, want 2", n)
		}
	})
	t.Run("an unreachable robots.txt is retried after the error TTL", func(t *testing.T) {
		site.set(200, "User-agent: *\nAllow: /\n")
		if _, err := f.Fetch(context.Background(), Request{URL: srv.URL + "/yes", RespectRobots: true}); KindOf(err) != KindRobotsDisallowed {
			t.Fatalf("within the error TTL: %v", err)
		}
		advance(time.Minute + time.Second)
		if _, err := f.Fetch(context.Background(), Request{URL: srv.URL + "/yes", RespectRobots: true}); err != nil {
			t.Fatalf("after the error TTL: %v", err)
		}
		if n := site.hits.Load(); n != 3 {
			t.Fatalf("robots.txt fetched %d times, want 3", n)
		}
	})
	t.Run("override skips robots.txt", func(t *testing.T) {
		site2 := &robotsSite{}
		site2.set(200, "User-agent: *\nDisallow: /\n")
		srv2, allow2 := server(t, site2)
		f2 := testFetcher(t, Config{Allow: []string{allow2}})
		if _, err := f2.Fetch(context.Background(), Request{URL: srv2.URL + "/x", RespectRobots: false}); err != nil {
			t.Fatal(err)
		}
		if site2.hits.Load() != 0 || site2.pages.Load() != 1 {
			t.Fatalf("robots hits %d pages %d", site2.hits.Load(), site2.pages.Load())
		}
	})
}

func TestRobotsCacheBounded(t *testing.T) {
	site := &robotsSite{}
	site.set(200, "User-agent: *\nAllow: /\n")
	srv, allow := server(t, site)
	port := portOfServer(srv)
	res := newFakeResolver()
	names := []string{"a.test", "b.test", "c.test", "d.test"}
	for _, n := range names {
		res.set(n, "127.0.0.1")
	}
	f := testFetcher(t, Config{Allow: []string{allow}, Resolver: res, RobotsCacheSize: 2})
	for _, n := range names {
		u, _ := url.Parse(fmtPort("http://"+n+":%d/", port))
		if _, _, err := f.Robots(context.Background(), u); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.robots.len(); n != 2 {
		t.Fatalf("cache holds %d entries, want 2", n)
	}
	// The most recent host is still cached; the first was evicted.
	before := site.hits.Load()
	u, _ := url.Parse(fmtPort("http://d.test:%d/", port))
	f.Robots(context.Background(), u)
	if site.hits.Load() != before {
		t.Fatal("most recent host was evicted")
	}
	u, _ = url.Parse(fmtPort("http://a.test:%d/", port))
	f.Robots(context.Background(), u)
	if site.hits.Load() != before+1 {
		t.Fatal("oldest host was not evicted")
	}
}

func TestRobotsFetchDetails(t *testing.T) {
	t.Run("body capped at 500 KiB", func(t *testing.T) {
		site := &robotsSite{}
		// The Disallow lies beyond the cap and must be ignored.
		site.set(200, "User-agent: *\n"+strings.Repeat("# padding padding padding\n", MaxRobotsBytes/20)+"Disallow: /\n")
		srv, allow := server(t, site)
		f := testFetcher(t, Config{Allow: []string{allow}})
		u, _ := url.Parse(srv.URL + "/page")
		allowed, _, err := f.Robots(context.Background(), u)
		if err != nil || !allowed {
			t.Fatalf("Robots = %v, %v; the rule past the cap must be ignored", allowed, err)
		}
	})
	t.Run("redirected robots.txt is followed", func(t *testing.T) {
		mux := http.NewServeMux()
		mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/real-robots.txt", http.StatusMovedPermanently)
		})
		mux.HandleFunc("/real-robots.txt", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("User-agent: *\nDisallow: /secret\n"))
		})
		srv, allow := server(t, mux)
		f := testFetcher(t, Config{Allow: []string{allow}})
		u, _ := url.Parse(srv.URL + "/secret")
		if allowed, _, err := f.Robots(context.Background(), u); err != nil || allowed {
			t.Fatalf("Robots = %v, %v", allowed, err)
		}
	})
	t.Run("unreachable host disallows with the network error", func(t *testing.T) {
		f := testFetcher(t, Config{Resolver: newFakeResolver()})
		u, _ := url.Parse("http://gone.test/")
		allowed, _, err := f.Robots(context.Background(), u)
		if allowed {
			t.Fatal("allowed")
		}
		wantKind(t, err, KindDNSError)
		_, err = f.Fetch(context.Background(), Request{URL: "http://gone.test/", RespectRobots: true})
		wantKind(t, err, KindDNSError)
	})
	t.Run("robots.txt is fetched through the guard", func(t *testing.T) {
		res := newFakeResolver().set("private.test", "10.0.0.1")
		f := testFetcher(t, Config{Resolver: res})
		u, _ := url.Parse("http://private.test/")
		_, _, err := f.Robots(context.Background(), u)
		wantKind(t, err, KindBlockedAddress)
	})
	t.Run("crawl-delay paces the host", func(t *testing.T) {
		site := &robotsSite{}
		site.set(200, "User-agent: *\nCrawl-delay: 3\n")
		srv, allow := server(t, site)
		rec := &recordingLimiter{inner: NewMemoryLimiter(4)}
		f := testFetcher(t, Config{Allow: []string{allow}, Limiter: rec, PerHostDelay: time.Second})
		ml := rec.inner.(*MemoryLimiter)
		ns := &noSleep{}
		ml.sleep = ns.sleep
		for _, d := range []time.Duration{0, 5 * time.Second} {
			if _, err := f.Fetch(context.Background(), Request{URL: srv.URL + "/p", RespectRobots: true, Delay: d}); err != nil {
				t.Fatal(err)
			}
		}
		// robots.txt itself (server delay only), then the pages: the
		// largest of server delay, crawl-delay and request delay.
		want := []time.Duration{time.Second, 3 * time.Second, 5 * time.Second}
		got := rec.recorded()
		if len(got) != len(want) {
			t.Fatalf("limiter asked %v, want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("limiter asked %v, want %v", got, want)
			}
		}
	})
}
