package server

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/spidergo/spidergo"
)

// Header limits. Headers up to maxHeaderBytes are served; past it the
// answer is a JSON 431 like every other error. net/http stops reading at
// hardHeaderBytes and answers its own plain-text 431, so that a client
// cannot make the server buffer without end.
const (
	maxHeaderBytes  = 64 << 10
	hardHeaderBytes = 1 << 20
)

// headerBytes is about what the request line and headers took on the wire.
func headerBytes(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// withLimits refuses oversized headers and gives the request body a read
// deadline: a client that drips its body a byte at a time gets a 408
// instead of holding a connection and a goroutine for ever.
func (s *Server) withLimits(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if headerBytes(r) > maxHeaderBytes {
			w.Header().Set("Connection", "close")
			s.writeError(w, r, spidergo.Errorf(spidergo.EHEADERS, "Request headers are larger than %d bytes.", maxHeaderBytes))
			return
		}
		if r.Body != nil && r.Body != http.NoBody && s.cfg.BodyTimeout > 0 {
			rc := http.NewResponseController(w)
			if err := rc.SetReadDeadline(time.Now().Add(s.cfg.BodyTimeout)); err == nil {
				r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// deadlineBody lifts the connection's read deadline once the body has been
// read to its end. The deadline must not outlive the body:
// net/http watches the idle connection for a hang-up while the handler
// runs, and a deadline firing there would cancel a long request (a sync
// crawl) that had sent its body long ago.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.done {
		b.done = true
		b.rc.SetReadDeadline(time.Time{})
	}
	// On any other error the deadline stays: net/http drains an unread
	// body before answering, and that drain must fail at once rather than
	// wait for bytes the slow client will never send.
	return n, err
}

// isBodyTimeout reports whether err is a body read that passed its
// deadline.
func isBodyTimeout(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded)
}

// connLimiter bounds open connections in total and per client address, so
// that one client (or a flood of them) cannot use up the process's file
// descriptors: past a bound, a new connection gets a short JSON 503 and is
// closed. Addresses of trusted proxies are counted in the total only, since
// every client behind them shares their address.
type connLimiter struct {
	net.Listener
	total, perClient int
	exempt           func(netip.Addr) bool
	log              *slog.Logger

	mu     sync.Mutex
	open   int
	byAddr map[netip.Addr]int
}

// LimitConns wraps the API's listener in the connection limits of
// SPIDERGO_MAX_CONNECTIONS and SPIDERGO_MAX_CONNECTIONS_PER_CLIENT.
func (s *Server) LimitConns(ln net.Listener) net.Listener {
	if s.cfg.MaxConnections <= 0 && s.cfg.MaxConnectionsPerClient <= 0 {
		return ln
	}
	return &connLimiter{Listener: ln, total: s.cfg.MaxConnections, perClient: s.cfg.MaxConnectionsPerClient,
		exempt: s.trusted, log: s.log, byAddr: map[netip.Addr]int{}}
}

func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := peerAddr(c)
		if why := l.admit(addr); why != "" {
			refuseConn(c, why)
			continue
		}
		return &countedConn{Conn: c, l: l, addr: addr}, nil
	}
}

// admit takes a slot for addr, or says why there is none.
func (l *connLimiter) admit(addr netip.Addr) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.total > 0 && l.open >= l.total {
		return "The server has too many open connections; try again shortly."
	}
	counted := addr.IsValid() && !l.exempt(addr)
	if counted && l.perClient > 0 && l.byAddr[addr] >= l.perClient {
		return "Too many open connections from your address (at most " + strconv.Itoa(l.perClient) + "); close some and try again."
	}
	l.open++
	if counted {
		l.byAddr[addr]++
	}
	return ""
}

func (l *connLimiter) release(addr netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if n := l.byAddr[addr]; n > 1 {
		l.byAddr[addr] = n - 1
	} else {
		delete(l.byAddr, addr)
	}
}

type countedConn struct {
	net.Conn
	l    *connLimiter
	addr netip.Addr
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.l.release(c.addr) })
	return c.Conn.Close()
}

func peerAddr(c net.Conn) netip.Addr {
	ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// refuseConn answers a connection over the limits with a 503 and closes
// it. The write is bounded by a short deadline; the close waits a moment
// (in the background) so that the client reads the answer instead of a
// reset caused by the request bytes nobody read.
func refuseConn(c net.Conn, why string) {
	body := `{"message":` + strconv.Quote(why) + `,"code":"unavailable","request_id":""}` + "\n"
	c.SetDeadline(time.Now().Add(time.Second))
	io.WriteString(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: "+
		strconv.Itoa(len(body))+"\r\n\r\n"+body)
	if tc, ok := c.(*net.TCPConn); ok {
		tc.CloseWrite()
		go func() {
			io.Copy(io.Discard, io.LimitReader(c, 64<<10))
			c.Close()
		}()
		return
	}
	c.Close()
}
