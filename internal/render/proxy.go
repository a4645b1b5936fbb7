package render

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// proxy is the browser's only way out: an HTTP proxy on 127.0.0.1 that
// dials every connection with the guard. It understands CONNECT (https,
// wss, and Chromium's tunnels for ws) and absolute-form plain HTTP
// requests; anything else is refused. It can reach no more than the
// fetcher itself can, so it needs no password.
type proxy struct {
	guard    Guard
	ln       net.Listener
	srv      *http.Server
	tr       *http.Transport
	dialWait time.Duration

	refused  atomic.Int64 // dials the guard refused
	service  atomic.Int64 // dials to the browser's own services, refused
	tunnels  sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	failures map[string]failure // recent dial failures by host:port
	closed   bool
}

// hopHeaders are removed when a plain HTTP request is forwarded (RFC 9110
// §7.6.1), with the proxy's own headers.
var hopHeaders = []string{
	"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

func startProxy(g Guard) (*proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("render: starting the browser's proxy: %w", err)
	}
	p := &proxy{guard: g, ln: ln, dialWait: 15 * time.Second, conns: map[net.Conn]struct{}{}, failures: map[string]failure{}}
	p.tr = &http.Transport{
		// Never a proxy from the environment: the guard must see the
		// target's address.
		Proxy:                 nil,
		DialContext:           p.dial,
		ResponseHeaderTimeout: 30 * time.Second,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       30 * time.Second,
		// The browser negotiates content encoding itself.
		DisableCompression: true,
	}
	p.srv = &http.Server{
		Handler:           p,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          nil,
	}
	go p.srv.Serve(ln) //nolint:errcheck // ends with Close
	return p, nil
}

// addr is the proxy's "127.0.0.1:port".
func (p *proxy) addr() string { return p.ln.Addr().String() }

// browserServiceHosts are the endpoints Chromium calls on its own (sign-in
// checks, component and update services, safe browsing), some of them
// whatever the command line says. They are never dialled: the proxy
// carries pages' requests only.
var browserServiceHosts = map[string]bool{
	"accounts.google.com":                  true,
	"update.googleapis.com":                true,
	"clientservices.googleapis.com":        true,
	"safebrowsing.googleapis.com":          true,
	"sb-ssl.google.com":                    true,
	"optimizationguide-pa.googleapis.com":  true,
	"content-autofill.googleapis.com":      true,
	"android.clients.google.com":           true,
	"redirector.gvt1.com":                  true,
	"edgedl.me.gvt1.com":                   true,
	"clients1.google.com":                  true,
	"clients2.google.com":                  true,
	"clients3.google.com":                  true,
	"clients4.google.com":                  true,
	"clients5.google.com":                  true,
	"clients6.google.com":                  true,
	"clients2.googleusercontent.com":       true,
	"chromewebstore.googleapis.com":        true,
	"passwordsleakcheck-pa.googleapis.com": true,
}

// errBrowserService refuses the browser's own background traffic.
var errBrowserService = errors.New("the browser's own service traffic is not carried")

func (p *proxy) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if host, _, err := net.SplitHostPort(addr); err == nil && browserServiceHosts[strings.TrimSuffix(strings.ToLower(host), ".")] {
		p.service.Add(1)
		return nil, errBrowserService
	}
	ctx, cancel := context.WithTimeout(ctx, p.dialWait)
	defer cancel()
	c, err := p.guard.DialContext(ctx, network, addr)
	if err != nil {
		p.refused.Add(1)
		p.remember(addr, err)
	}
	return c, err
}

// maxRemembered bounds the table of recent dial failures.
const maxRemembered = 1024

// remember keeps why a dial to addr failed, so a failed navigation can be
// reported with the guard's kind (blocked_address, dns_error…) rather
// than as a browser error.
func (p *proxy) remember(addr string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.failures) >= maxRemembered {
		clear(p.failures)
	}
	p.failures[strings.ToLower(addr)] = failure{err: err, at: time.Now()}
}

// recentFailure returns the error of a dial to addr in the last minute.
func (p *proxy) recentFailure(addr string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	f, ok := p.failures[strings.ToLower(addr)]
	if !ok || time.Since(f.at) > time.Minute {
		return nil
	}
	return f.err
}

type failure struct {
	err error
	at  time.Time
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect {
		p.connect(w, r)
		return
	}
	if r.URL.Scheme != "http" || r.URL.Host == "" {
		// Origin-form requests are for the proxy itself, and https in
		// absolute form is not something a browser sends.
		http.Error(w, "this proxy only carries the browser's requests", http.StatusBadRequest)
		return
	}
	out := r.Clone(r.Context())
	out.RequestURI = ""
	for _, h := range hopHeaders {
		out.Header.Del(h)
	}
	if c := r.Header.Get("Connection"); c != "" {
		for _, name := range strings.Split(c, ",") {
			out.Header.Del(strings.TrimSpace(name))
		}
	}
	resp, err := p.tr.RoundTrip(out)
	if err != nil {
		// No answer at all, so the browser reports a network error (and
		// the renderer the dial's kind) rather than a page from us.
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, herr := hj.Hijack(); herr == nil {
				c.Close()
				return
			}
		}
		http.Error(w, "refused or unreachable", http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for _, h := range hopHeaders {
		resp.Header.Del(h)
	}
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body) //nolint:errcheck // the browser went away
}

// connect opens a tunnel to r.Host through the guard.
func (p *proxy) connect(w http.ResponseWriter, r *http.Request) {
	upstream, err := p.dial(r.Context(), "tcp", r.Host)
	if err != nil {
		http.Error(w, "refused or unreachable", http.StatusBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		upstream.Close()
		http.Error(w, "tunnels are not supported here", http.StatusInternalServerError)
		return
	}
	client, buf, err := hj.Hijack()
	if err != nil {
		upstream.Close()
		return
	}
	if !p.track(client, upstream) {
		client.Close()
		upstream.Close()
		return
	}
	if _, err := client.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n")); err != nil {
		p.untrack(client, upstream)
		return
	}
	p.tunnels.Add(1)
	go func() {
		defer p.tunnels.Done()
		defer p.untrack(client, upstream)
		done := make(chan struct{}, 2)
		go func() {
			// Bytes the browser sent after the CONNECT header are in buf.
			io.Copy(upstream, io.MultiReader(buf.Reader, client)) //nolint:errcheck
			closeWrite(upstream)
			done <- struct{}{}
		}()
		go func() {
			io.Copy(client, upstream) //nolint:errcheck
			closeWrite(client)
			done <- struct{}{}
		}()
		<-done
		<-done
	}()
}

func closeWrite(c net.Conn) {
	if tc, ok := c.(interface{ CloseWrite() error }); ok {
		tc.CloseWrite() //nolint:errcheck
		return
	}
	c.Close()
}

func (p *proxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *proxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		c.Close()
		delete(p.conns, c)
	}
}

// close stops the proxy and every tunnel.
func (p *proxy) close() error {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	err := p.srv.Close()
	p.tunnels.Wait()
	p.tr.CloseIdleConnections()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
