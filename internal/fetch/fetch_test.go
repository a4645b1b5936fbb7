package fetch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCheckNormalises(t *testing.T) {
	res := newFakeResolver()
	f := testFetcher(t, Config{Resolver: res, Allow: []string{"wiki.intranet:9000"}})
	cases := []struct {
		in, want, kind string
	}{
		{"example.com", "https://example.com/", ""},
		{"example.com/a/b?q=1", "https://example.com/a/b?q=1", ""},
		{"example.com:8443/x", "https://example.com:8443/x", ""},
		{"//example.com/a", "https://example.com/a", ""},
		{"  https://Example.COM/a#frag  ", "https://example.com/a", ""},
		{"HTTP://EXAMPLE.com:80/a/../b", "http://example.com/b", ""},
		{"https://example.com:443/", "https://example.com/", ""},
		{"http://münchen.de/straße", "http://xn--mnchen-3ya.de/stra%C3%9Fe", ""},
		{"http://example.com/a b", "http://example.com/a%20b", ""},
		{"http://ex%41mple.com/", "http://example.com/", ""},
		{"http://8.8.8.8/", "http://8.8.8.8/", ""},
		{"http://134744072/", "http://8.8.8.8/", ""},
		{"http://wiki.intranet:9000/", "http://wiki.intranet:9000/", ""},
		{"", "", KindInvalidURL},
		{"http://", "", KindInvalidURL},
		{"mailto:someone@example.com", "", KindInvalidURL},
		{"ws://example.com/", "", KindInvalidURL},
		{"http://u:p@example.com/", "", KindInvalidURL},
		{"http://exa mple.com/", "", KindInvalidURL},
		{"http://example.com:99999/", "", KindInvalidURL},
		{"http://1.2.3.4.5/", "", KindInvalidURL},
		{"http://example.com:22/", "", KindBlockedAddress},
		{"http://wiki.intranet:9001/", "", KindBlockedAddress},
		{"http://127.0.0.1/", "", KindBlockedAddress},
		{"http://localhost/", "", KindBlockedAddress},
		{"http://" + strings.Repeat("a", maxURLLength) + ".com/", "", KindInvalidURL},
	}
	for _, tc := range cases {
		t.Run(truncateForError(tc.in), func(t *testing.T) {
			u, err := f.Check(tc.in)
			if tc.kind != "" {
				wantKind(t, err, tc.kind)
				return
			}
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if u.String() != tc.want {
				t.Fatalf("Check(%q) = %q, want %q", tc.in, u.String(), tc.want)
			}
		})
	}
	if n := res.lookups(); n != 0 {
		t.Fatalf("Check made %d DNS lookups; it must not touch the network", n)
	}
}

func TestRedirects(t *testing.T) {
	closed := newCanary(t, "tcp4", "127.0.0.1:0")
	res := newFakeResolver().set("metadata.test", "169.254.169.254")
	mux := http.NewServeMux()
	srv, allow := server(t, mux)
	mux.HandleFunc("/a", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/b", http.StatusMovedPermanently) })
	mux.HandleFunc("/b", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, srv.URL+"/c", http.StatusFound) })
	mux.HandleFunc("/c", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "d?x=1", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/d", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("done " + r.URL.RawQuery)) })
	mux.HandleFunc("/loop1", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop2", http.StatusFound) })
	mux.HandleFunc("/loop2", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop1", http.StatusFound) })
	mux.HandleFunc("/to-closed-port", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, fmtPort("http://127.0.0.1:%d/", closed.port), http.StatusFound)
	})
	mux.HandleFunc("/to-closed-port-spelled", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, fmtPort("http://0x7f.1:%d/", closed.port), http.StatusFound)
	})
	mux.HandleFunc("/to-metadata", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
	})
	mux.HandleFunc("/to-metadata-name", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://metadata.test/", http.StatusSeeOther)
	})
	mux.HandleFunc("/to-ftp", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "ftp://example.com/", http.StatusFound)
	})
	mux.HandleFunc("/to-userinfo", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://u:p@"+hostPort(srv)+"/d", http.StatusFound)
	})
	mux.HandleFunc("/to-port-22", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://example.com:22/", http.StatusFound)
	})

	f := testFetcher(t, Config{
		Allow:    []string{allow},
		Ports:    []int{80, 443, closed.port},
		Resolver: res,
	})
	t.Run("followed chain", func(t *testing.T) {
		resp, err := f.Fetch(context.Background(), Request{URL: srv.URL + "/a"})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{srv.URL + "/b", srv.URL + "/c", srv.URL + "/d?x=1"}
		if diff := cmp.Diff(want, resp.Redirects); diff != "" {
			t.Fatalf("redirects (-want +got):\n%s", diff)
		}
		if resp.FinalURL != srv.URL+"/d?x=1" || resp.URL != srv.URL+"/a" || string(resp.Body) != "done x=1" {
			t.Fatalf("got URL %s final %s body %q", resp.URL, resp.FinalURL, resp.Body)
		}
	})
	for _, tc := range []struct{ path, kind string }{
		{"/loop1", KindTooManyRedirects},
		{"/to-closed-port", KindBlockedAddress},
		{"/to-closed-port-spelled", KindBlockedAddress},
		{"/to-metadata", KindBlockedAddress},
		{"/to-metadata-name", KindBlockedAddress},
		{"/to-ftp", KindInvalidURL},
		{"/to-userinfo", KindInvalidURL},
		{"/to-port-22", KindBlockedAddress},
	} {
		t.Run(tc.path, func(t *testing.T) {
			resp, err := f.Fetch(context.Background(), Request{URL: srv.URL + tc.path})
			if resp != nil {
				t.Fatalf("got a response for %s", tc.path)
			}
			wantKind(t, err, tc.kind)
		})
	}
	t.Run("cap is configurable", func(t *testing.T) {
		f2 := testFetcher(t, Config{Allow: []string{allow}, MaxRedirects: 2})
		_, err := f2.Fetch(context.Background(), Request{URL: srv.URL + "/a"})
		wantKind(t, err, KindTooManyRedirects)
	})
	t.Run("negative cap returns the redirect", func(t *testing.T) {
		f2 := testFetcher(t, Config{Allow: []string{allow}, MaxRedirects: -1})
		resp, err := f2.Fetch(context.Background(), Request{URL: srv.URL + "/a"})
		if err != nil || resp.StatusCode != http.StatusMovedPermanently {
			t.Fatalf("got %v, %v", resp, err)
		}
	})
	if n := closed.accepted.Load(); n != 0 {
		t.Fatalf("a redirect reached the refused port (%d connections)", n)
	}
}

func TestCredentialsDroppedOnCrossHostRedirect(t *testing.T) {
	var seen atomic.Value
	mux := http.NewServeMux()
	srv, allow := server(t, mux)
	mux.HandleFunc("/start", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, strings.Replace(srv.URL, "127.0.0.1", "other.test", 1)+"/land", http.StatusFound)
	})
	mux.HandleFunc("/land", func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.Header.Get("Authorization") + "|" + r.Header.Get("Cookie") + "|" + r.Header.Get("X-Trace"))
	})
	f := testFetcher(t, Config{Allow: []string{allow}, Resolver: newFakeResolver().set("other.test", "127.0.0.1")})
	_, err := f.Fetch(context.Background(), Request{URL: srv.URL + "/start", Header: http.Header{
		"Authorization": {"Bearer secret"}, "Cookie": {"a=b"}, "X-Trace": {"1"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := seen.Load(); got != "||1" {
		t.Fatalf("headers at the other host: %q", got)
	}
}

func TestDNSRebinding(t *testing.T) {
	srv, allow := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok"))
	}))
	port := portOfServer(srv)
	// First answer: the allowed loopback server. Every later answer: a
	// private address. The dialled address decides, each time.
	res := newFakeResolver().set("rebind.test", "127.0.0.1", "10.0.0.7")
	f := testFetcher(t, Config{Allow: []string{allow}, Resolver: res})
	u := fmtPort("http://rebind.test:%d/", port)
	if _, err := f.Fetch(context.Background(), Request{URL: u}); err != nil {
		t.Fatalf("first fetch: %v", err)
	}
	// A fresh connection needs a fresh lookup.
	f.CloseIdleConnections()
	_, err := f.Fetch(context.Background(), Request{URL: u})
	wantKind(t, err, KindBlockedAddress)
}

func TestHTTPStatusErrorsKeepResponse(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/missing", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte("<h1>Not here</h1>"))
	})
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte("oops"))
	})
	srv, allow := server(t, mux)
	f := testFetcher(t, Config{Allow: []string{allow}, MaxRetries: -1})
	for _, tc := range []struct {
		path, kind, body string
		status           int
	}{
		{"/missing", KindHTTP4xx, "<h1>Not here</h1>", 404},
		{"/broken", KindHTTP5xx, "oops", 500},
	} {
		t.Run(tc.path, func(t *testing.T) {
			resp, err := f.Fetch(context.Background(), Request{URL: srv.URL + tc.path})
			wantKind(t, err, tc.kind)
			var fe *Error
			if !errors.As(err, &fe) || fe.StatusCode != tc.status {
				t.Fatalf("error %v has no status %d", err, tc.status)
			}
			if resp == nil || resp.StatusCode != tc.status || string(resp.Body) != tc.body {
				t.Fatalf("response %+v", resp)
			}
		})
	}
}

func TestRetries(t *testing.T) {
	var hits atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/flaky", func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) <= 2 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Write([]byte("finally"))
	})
	mux.HandleFunc("/down", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/later", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/much-later", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	mux.HandleFunc("/date", func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.Header().Set("Retry-After", time.Now().Add(-time.Minute).UTC().Format(http.TimeFormat))
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok"))
	})
	srv, allow := server(t, mux)

	cases := []struct {
		path       string
		kind       string
		hits       int64
		waits      []time.Duration // nil: not checked
		maxRetries int
	}{
		{path: "/flaky", hits: 3, waits: []time.Duration{0, 0}},
		{path: "/down", kind: KindHTTP5xx, hits: 3},
		{path: "/later", kind: KindHTTP5xx, hits: 3, waits: []time.Duration{7 * time.Second, 7 * time.Second}},
		{path: "/much-later", kind: KindHTTP4xx, hits: 1, waits: []time.Duration{}},
		{path: "/date", hits: 2, waits: []time.Duration{0}},
		{path: "/down", kind: KindHTTP5xx, hits: 1, maxRetries: -1},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			hits.Store(0)
			f := testFetcher(t, Config{Allow: []string{allow}, MaxRetries: tc.maxRetries, RetryBaseDelay: 100 * time.Millisecond})
			ns := &noSleep{}
			f.sleep = ns.sleep
			resp, err := f.Fetch(context.Background(), Request{URL: srv.URL + tc.path})
			if tc.kind == "" && err != nil {
				t.Fatal(err)
			}
			if tc.kind != "" {
				wantKind(t, err, tc.kind)
				if resp == nil {
					t.Fatal("no response with the status error")
				}
			}
			if got := hits.Load(); got != tc.hits {
				t.Fatalf("server hit %d times, want %d", got, tc.hits)
			}
			if tc.waits != nil {
				if diff := cmp.Diff(tc.waits, ns.recorded(), cmp.Comparer(func(a, b []time.Duration) bool {
					return len(a) == len(b) && (len(a) == 0 || cmp.Equal(a, b))
				})); diff != "" {
					t.Fatalf("waits (-want +got):\n%s", diff)
				}
			}
		})
	}
	t.Run("backoff without Retry-After grows with jitter", func(t *testing.T) {
		hits.Store(0)
		f := testFetcher(t, Config{Allow: []string{allow}, RetryBaseDelay: 100 * time.Millisecond})
		ns := &noSleep{}
		f.sleep = ns.sleep
		f.jitter = func() float64 { return 0.5 } // factor 1.0
		f.Fetch(context.Background(), Request{URL: srv.URL + "/down"})
		want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond}
		if diff := cmp.Diff(want, ns.recorded()); diff != "" {
			t.Fatalf("backoff (-want +got):\n%s", diff)
		}
	})
	t.Run("Retry-After beyond the caller's deadline is not waited for", func(t *testing.T) {
		hits.Store(0)
		f := testFetcher(t, Config{Allow: []string{allow}})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := f.Fetch(ctx, Request{URL: srv.URL + "/later"})
		wantKind(t, err, KindHTTP5xx)
		if hits.Load() != 1 {
			t.Fatalf("hits %d", hits.Load())
		}
	})
}

// TestConnectionRetriedOnce uses a server that drops the first
// connection without answering.
func TestConnectionRetriedOnce(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("second time lucky"))
	}))
	srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if s == http.StateNew && conns.Add(1) == 1 {
			c.Close()
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	f := testFetcher(t, Config{Allow: []string{hostPort(srv)}})
	resp, err := f.Fetch(context.Background(), Request{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Body) != "second time lucky" || conns.Load() != 2 {
		t.Fatalf("body %q after %d connections", resp.Body, conns.Load())
	}

	t.Run("refused connection is retried once, then reported", func(t *testing.T) {
		ln, _ := net.Listen("tcp4", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close() // nothing listens there now
		f := testFetcher(t, Config{Allow: []string{addr}})
		ns := &noSleep{}
		f.sleep = ns.sleep
		_, err := f.Fetch(context.Background(), Request{URL: "http://" + addr + "/"})
		wantKind(t, err, KindConnectError)
		if len(ns.recorded()) != 1 {
			t.Fatalf("retried %d times, want once", len(ns.recorded()))
		}
	})
}

func TestRequestValidation(t *testing.T) {
	var got atomic.Value
	srv, allow := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Method + " " + r.Header.Get("X-Custom") + " " + r.Header.Get("User-Agent") + " " + r.Header.Get("Accept-Encoding"))
		w.Write([]byte("body"))
	}))
	f := testFetcher(t, Config{Allow: []string{allow}, UserAgent: "SpiderGo/9 (+https://spidergo.test)"})
	for _, tc := range []struct {
		name string
		req  Request
		kind string
	}{
		{"Host header", Request{URL: srv.URL, Header: http.Header{"Host": {"evil"}}}, KindInvalidRequest},
		{"lower-case host header", Request{URL: srv.URL, Header: http.Header{"host": {"evil"}}}, KindInvalidRequest},
		{"Connection", Request{URL: srv.URL, Header: http.Header{"Connection": {"close"}}}, KindInvalidRequest},
		{"Transfer-Encoding", Request{URL: srv.URL, Header: http.Header{"Transfer-Encoding": {"chunked"}}}, KindInvalidRequest},
		{"Upgrade", Request{URL: srv.URL, Header: http.Header{"Upgrade": {"websocket"}}}, KindInvalidRequest},
		{"Proxy-Authorization", Request{URL: srv.URL, Header: http.Header{"Proxy-Authorization": {"x"}}}, KindInvalidRequest},
		{"Accept-Encoding", Request{URL: srv.URL, Header: http.Header{"Accept-Encoding": {"zstd"}}}, KindInvalidRequest},
		{"bad name", Request{URL: srv.URL, Header: http.Header{"Bad Name": {"x"}}}, KindInvalidRequest},
		{"bad value", Request{URL: srv.URL, Header: http.Header{"X-A": {"a\r\nX-B: b"}}}, KindInvalidRequest},
		{"POST", Request{URL: srv.URL, Method: "POST"}, KindInvalidRequest},
		{"negative delay", Request{URL: srv.URL, Delay: -time.Second}, KindInvalidRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.Fetch(context.Background(), tc.req)
			wantKind(t, err, tc.kind)
		})
	}
	t.Run("extra header and user agent sent", func(t *testing.T) {
		_, err := f.Fetch(context.Background(), Request{URL: srv.URL, Header: http.Header{"x-custom": {"yes"}}})
		if err != nil {
			t.Fatal(err)
		}
		if want := "GET yes SpiderGo/9 (+https://spidergo.test) gzip, deflate, br"; got.Load() != want {
			t.Fatalf("server saw %q, want %q", got.Load(), want)
		}
	})
	t.Run("HEAD", func(t *testing.T) {
		resp, err := f.Fetch(context.Background(), Request{URL: srv.URL, Method: "head"})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Body) != 0 || !strings.HasPrefix(got.Load().(string), "HEAD ") {
			t.Fatalf("HEAD got body %q, server saw %q", resp.Body, got.Load())
		}
	})
}

func TestHTTP2AndTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte(r.Proto))
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())

	f := testFetcher(t, Config{
		Allow:     []string{hostPort(srv)},
		TLSConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	})
	resp, err := f.Fetch(context.Background(), Request{URL: srv.URL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Proto != "HTTP/2.0" || string(resp.Body) != "HTTP/2.0" {
		t.Fatalf("proto %q body %q", resp.Proto, resp.Body)
	}

	t.Run("untrusted certificate is a tls_error", func(t *testing.T) {
		f := testFetcher(t, Config{Allow: []string{hostPort(srv)}})
		_, err := f.Fetch(context.Background(), Request{URL: srv.URL + "/"})
		wantKind(t, err, KindTLSError)
	})
}

func TestKeepAliveReuse(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("x"))
	}))
	srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	f := testFetcher(t, Config{Allow: []string{hostPort(srv)}})
	for range 10 {
		if _, err := f.Fetch(context.Background(), Request{URL: srv.URL + "/", RespectRobots: true}); err != nil {
			t.Fatal(err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("10 sequential fetches (and robots.txt) used %d connections, want 1", n)
	}
}

func TestCanceledContext(t *testing.T) {
	srv, allow := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	f := testFetcher(t, Config{Allow: []string{allow}})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(20 * time.Millisecond)
		cancel()
	}()
	_, err := f.Fetch(ctx, Request{URL: srv.URL})
	wantKind(t, err, KindCanceled)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error does not wrap context.Canceled: %v", err)
	}
}

func TestDNSError(t *testing.T) {
	f := testFetcher(t, Config{})
	_, err := f.Fetch(context.Background(), Request{URL: "http://does-not-exist.test/"})
	wantKind(t, err, KindDNSError)
}

func TestKindOf(t *testing.T) {
	if KindOf(nil) != "" || KindOf(errors.New("x")) != "" {
		t.Fatal("KindOf of non-fetch errors must be empty")
	}
	wrapped := errors.Join(errors.New("ctx"), &Error{Kind: KindTimeout})
	if KindOf(wrapped) != KindTimeout {
		t.Fatal("KindOf must look through wrapping")
	}
}
