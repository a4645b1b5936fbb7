package render

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spidergo/spidergo/internal/fetch"
)

// noDNS refuses every lookup: the tests never resolve a name, so nothing
// can reach a resolver off the machine.
type noDNS struct{}

func (noDNS) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	return nil, fmt.Errorf("tests resolve no names (%s)", host)
}

// loopbackOnly is the tests' safety net around the real guard: a dial to
// an IP literal that is not loopback fails and is recorded, so a guard bug
// can never send a packet off the machine. Names go to the fetcher, whose
// resolver (noDNS) resolves none.
type loopbackOnly struct {
	*fetch.Fetcher
	mu      sync.Mutex
	refused []string
}

func (g *loopbackOnly) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		// A name: the fetcher resolves it with noDNS, which knows none,
		// so it cannot lead anywhere.
		return g.Fetcher.DialContext(ctx, network, addr)
	}
	if !ip.IsLoopback() {
		g.mu.Lock()
		g.refused = append(g.refused, addr)
		g.mu.Unlock()
		return nil, fmt.Errorf("test safety net: %s is not a loopback address", addr)
	}
	return g.Fetcher.DialContext(ctx, network, addr)
}

// canary is a loopback listener outside the allow list: it counts every
// connection it is offered.
type canary struct {
	ln    net.Listener
	conns atomic.Int64
}

func newCanary(t testing.TB) *canary {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &canary{ln: ln}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			c.conns.Add(1)
			conn.Close()
		}
	}()
	return c
}

func (c *canary) addr() string { return c.ln.Addr().String() }

// fixture is one site, one canary and one browser shared by the browser
// tests, which run one after another: a browser start costs a second of a
// shared machine's CPU.
type fixture struct {
	site    *httptest.Server
	third   *httptest.Server // another allowed host (127.0.0.2), a third party to the site
	canary  *canary
	guard   *loopbackOnly
	limiter *recordingLimiter
	b       *Browser
}

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  error
	mux     = http.NewServeMux()

	// thirdParty echoes the X-Token header it got, to anyone (CORS).
	thirdParty = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		fmt.Fprintf(w, "third-party token=%q", r.Header.Get("X-Token"))
	})
)

// browserFixture returns the shared fixture, or skips the test when
// Chromium is not installed.
func browserFixture(t testing.TB) *fixture {
	t.Helper()
	if err := Available(Config{ChromiumPath: os.Getenv("SPIDERGO_CHROMIUM_PATH")}); err != nil {
		t.Skipf("chromium not installed: %v", err)
	}
	if testing.Short() {
		t.Skip("browser tests do not run with -short")
	}
	fixOnce.Do(func() {
		f := &fixture{}
		f.site = httptest.NewServer(mux)
		f.third = httptest.NewUnstartedServer(thirdParty)
		ln, err := net.Listen("tcp", "127.0.0.2:0")
		if err != nil {
			fixErr = err
			return
		}
		f.third.Listener.Close()
		f.third.Listener = ln
		f.third.Start()
		f.canary = newCanary(t)
		fe, err := fetch.New(fetch.Config{
			Allow:    []string{f.site.Listener.Addr().String(), f.third.Listener.Addr().String()},
			Resolver: noDNS{},
		})
		if err != nil {
			fixErr = err
			return
		}
		f.guard = &loopbackOnly{Fetcher: fe}
		f.limiter = &recordingLimiter{HostLimiter: fetch.NewMemoryLimiter(2)}
		f.b, err = New(Config{
			ChromiumPath: os.Getenv("SPIDERGO_CHROMIUM_PATH"),
			Concurrency:  2,
			PageTimeout:  20 * time.Second,
			MaxWait:      3 * time.Second,
			IdleWait:     time.Second,
			Limiter:      f.limiter,
		}, f.guard)
		if err != nil {
			fixErr = err
			return
		}
		fix = f
	})
	if fixErr != nil {
		t.Fatal(fixErr)
	}
	return fix
}

func (f *fixture) url(path string) string { return f.site.URL + path }

// sitePage registers an HTML page on the shared site.
func sitePage(path, body string) {
	mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, body)
	})
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fix != nil {
		fix.b.Close()
		fix.site.Close()
		fix.third.Close()
		fix.canary.ln.Close()
	}
	os.Exit(code)
}

func mustRender(t *testing.T, b *Browser, req Request) *Result {
	t.Helper()
	res, err := b.Render(context.Background(), req)
	if err != nil {
		t.Fatalf("Render(%s): %v", req.URL, err)
	}
	return res
}

func wantKind(t *testing.T, err error, kind string) {
	t.Helper()
	if got := KindOf(err); got != kind {
		t.Fatalf("error kind %q (%v), want %q", got, err, kind)
	}
	var re *Error
	if kind != KindOf(nil) && errors.As(err, &re) && re.Kind != kind {
		t.Fatalf("Error.Kind %q, want %q", re.Kind, kind)
	}
}

// recordingLimiter records the hosts and delays renders asked for.
type recordingLimiter struct {
	fetch.HostLimiter
	mu    sync.Mutex
	calls []string
}

func (l *recordingLimiter) Acquire(ctx context.Context, host string, delay time.Duration) (func(), error) {
	l.mu.Lock()
	l.calls = append(l.calls, fmt.Sprintf("%s %s", host, delay))
	l.mu.Unlock()
	return l.HostLimiter.Acquire(ctx, host, delay)
}
