package render

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/spidergo/spidergo/internal/fetch"
)

func TestSlotsServeGroupsInTurn(t *testing.T) {
	s := newSlots(1)
	ctx := context.Background()
	if err := s.acquire(ctx, "big"); err != nil {
		t.Fatal(err)
	}
	// Three waiters from the big crawl queue before one small scrape.
	order := make(chan string, 4)
	waiting := 0
	wait := func(group string) {
		waiting++
		go func() {
			if err := s.acquire(ctx, group); err != nil {
				t.Error(err)
				return
			}
			order <- group
		}()
		// Let the waiter queue up before the next one.
		for {
			if _, w := s.stats(1); w == waiting {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
	wait("big")
	wait("big")
	wait("big")
	wait("small")
	var got []string
	for range 4 {
		s.release()
		got = append(got, <-order)
	}
	want := []string{"big", "small", "big", "big"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("slots went to %v, want %v (the small scrape waits for one page of the big crawl, not three)", got, want)
	}
	s.release()
	if busy, waiting := s.stats(1); busy != 0 || waiting != 0 {
		t.Fatalf("after all releases: busy %d, waiting %d", busy, waiting)
	}
}

func TestSlotsGiveUpWhenCanceled(t *testing.T) {
	s := newSlots(1)
	if err := s.acquire(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := s.acquire(ctx, "b"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("acquire on a full pool with a deadline: %v", err)
	}
	s.release()
	if err := s.acquire(context.Background(), "c"); err != nil {
		t.Fatalf("the slot was lost by the canceled waiter: %v", err)
	}
}

// proxyFixture is a guarded proxy with one allowed upstream and a canary.
func proxyFixture(t *testing.T) (*proxy, *httptest.Server, *canary) {
	t.Helper()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Proxy-Connection") != "" || r.Header.Get("Proxy-Authorization") != "" {
			http.Error(w, "proxy headers were forwarded", http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "upstream saw %s", r.URL.Path)
	}))
	t.Cleanup(up.Close)
	c := newCanary(t)
	t.Cleanup(func() { c.ln.Close() })
	fe, err := fetch.New(fetch.Config{Allow: []string{up.Listener.Addr().String()}, Resolver: noDNS{}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := startProxy(&loopbackOnly{Fetcher: fe})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.close() })
	return p, up, c
}

func TestProxyCarriesOnlyWhatTheGuardAllows(t *testing.T) {
	p, up, c := proxyFixture(t)
	proxyURL, _ := url.Parse("http://" + p.addr())
	client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL)}, Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()

	resp, err := client.Get(up.URL + "/page")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "upstream saw /page" {
		t.Fatalf("plain HTTP through the proxy: %d %q", resp.StatusCode, body)
	}

	// A refused plain HTTP request gets no answer at all (the browser
	// then reports a network error, not a page from the proxy), and the
	// proxy remembers why.
	if resp, err := client.Get("http://" + c.addr() + "/x"); err == nil {
		resp.Body.Close()
		t.Errorf("plain HTTP to the canary was answered %d, want no answer", resp.StatusCode)
	}
	if k := fetch.KindOf(p.recentFailure(c.addr())); k != fetch.KindBlockedAddress {
		t.Errorf("the proxy remembered %q for the canary, want %s", k, fetch.KindBlockedAddress)
	}

	// A tunnel to the allowed upstream works; one to the canary, to a
	// browser service or to a name is refused.
	tunnel := func(target string) string {
		conn, err := net.Dial("tcp", p.addr())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target)
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return resp.Status
		}
		fmt.Fprintf(conn, "GET /tunnel HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", target)
		inner, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(inner.Body)
		return string(b)
	}
	if got := tunnel(up.Listener.Addr().String()); got != "upstream saw /tunnel" {
		t.Errorf("tunnel to the allowed upstream: %q", got)
	}
	for _, target := range []string{c.addr(), "169.254.169.254:80", "accounts.google.com:443", "intranet.example:443"} {
		if got := tunnel(target); !strings.HasPrefix(got, "502") {
			t.Errorf("tunnel to %s: %q, want 502", target, got)
		}
	}
	if n := c.conns.Load(); n != 0 {
		t.Fatalf("the canary saw %d connection(s)", n)
	}
	if p.refused.Load() == 0 || p.service.Load() != 1 {
		t.Errorf("refused %d, service %d", p.refused.Load(), p.service.Load())
	}

	// Requests for the proxy itself are refused.
	resp, err = http.Get("http://" + p.addr() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("origin-form request: status %d, want 400", resp.StatusCode)
	}
}

func TestNotInstalled(t *testing.T) {
	fe, err := fetch.New(fetch.Config{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(Config{ChromiumPath: "/nonexistent/chromium"}, fe)
	if KindOf(err) != KindNotInstalled || !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("New with a missing binary: %v (kind %q)", err, KindOf(err))
	}
	if err := Available(Config{ChromiumPath: "/nonexistent/chromium"}); !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("Available: %v", err)
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{"SPIDERGO_CHROMIUM_PATH": " /opt/chromium ", "SPIDERGO_RENDER_CONCURRENCY": "3"}
	cfg, err := ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil || cfg.ChromiumPath != "/opt/chromium" || cfg.Concurrency != 3 {
		t.Fatalf("ConfigFromEnv = %+v, %v", cfg, err)
	}
	for _, bad := range []string{"0", "-1", "many", "1000"} {
		env["SPIDERGO_RENDER_CONCURRENCY"] = bad
		if _, err := ConfigFromEnv(func(k string) string { return env[k] }); err == nil {
			t.Errorf("SPIDERGO_RENDER_CONCURRENCY=%q was accepted", bad)
		}
	}
	env["SPIDERGO_RENDER_CONCURRENCY"] = ""
	if cfg, err := ConfigFromEnv(func(k string) string { return env[k] }); err != nil || cfg.ExecuteJavaScript {
		t.Errorf("scripts are on by default: %+v, %v", cfg, err)
	}
	env["SPIDERGO_RENDER_EXECUTE_JAVASCRIPT"] = "true"
	if cfg, err := ConfigFromEnv(func(k string) string { return env[k] }); err != nil || !cfg.ExecuteJavaScript {
		t.Errorf("SPIDERGO_RENDER_EXECUTE_JAVASCRIPT=true: %+v, %v", cfg, err)
	}
	env["SPIDERGO_RENDER_EXECUTE_JAVASCRIPT"] = "perhaps"
	if _, err := ConfigFromEnv(func(k string) string { return env[k] }); err == nil {
		t.Error("SPIDERGO_RENDER_EXECUTE_JAVASCRIPT=perhaps was accepted")
	}
	if n := DefaultConcurrency(); n < 2 || n > 8 {
		t.Errorf("DefaultConcurrency() = %d, want 2..8", n)
	}
	cfg, err = Config{}.withDefaults()
	if err != nil || cfg.PageTimeout != DefaultPageTimeout || cfg.MaxActions != DefaultMaxActions {
		t.Fatalf("defaults: %+v, %v", cfg, err)
	}
	if _, err := (Config{PageTimeout: -1}).withDefaults(); err == nil {
		t.Error("a negative PageTimeout was accepted")
	}
}

func TestValidateRequest(t *testing.T) {
	fe, err := fetch.New(fetch.Config{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := Config{MaxActions: 3}.withDefaults()
	b := &Browser{cfg: cfg, guard: fe}
	good := Request{URL: "https://example.com/", Actions: []Action{
		{Type: ActionWait, Milliseconds: 10}, {Type: ActionPress, Key: "Enter"}, {Type: ActionScroll, Direction: "bottom"},
	}}
	good.Header = http.Header{"x-token": {"t"}}
	if _, err := b.validate(&good); err != nil {
		t.Fatalf("a good request was refused: %v", err)
	}
	if good.Header.Get("X-Token") != "t" || len(good.Header["X-Token"]) != 1 {
		t.Errorf("header names should be canonical after validation: %v", good.Header)
	}
	for name, req := range map[string]Request{
		"too many actions": {URL: "https://example.com/", Actions: make([]Action, 4)},
		"unknown action":   {URL: "https://example.com/", Actions: []Action{{Type: "execute_javascript"}}},
		"click without":    {URL: "https://example.com/", Actions: []Action{{Type: ActionClick}}},
		"unknown key":      {URL: "https://example.com/", Actions: []Action{{Type: ActionPress, Key: "NoSuchKey"}}},
		"bad direction":    {URL: "https://example.com/", Actions: []Action{{Type: ActionScroll, Direction: "left"}}},
		"negative wait":    {URL: "https://example.com/", Wait: -time.Second},
		"host header":      {URL: "https://example.com/", Header: http.Header{"Host": {"intranet"}}},
		"bad header value": {URL: "https://example.com/", Header: http.Header{"X-A": {"a\r\nb"}}},
	} {
		if _, err := b.validate(&req); KindOf(err) != KindInvalidRequest {
			t.Errorf("%s: %v, want %s", name, err, KindInvalidRequest)
		}
	}
	if _, err := b.validate(&Request{URL: "http://127.0.0.1:22/"}); KindOf(err) != fetch.KindBlockedAddress {
		t.Errorf("a loopback URL: %v", err)
	}
	if _, err := b.validate(&Request{URL: "javascript:alert(1)"}); KindOf(err) != fetch.KindInvalidURL {
		t.Errorf("a javascript: URL: %v", err)
	}
}
