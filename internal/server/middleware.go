package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spidergo/spidergo"
)

type ctxKey int

const requestIDKey ctxKey = iota

// requestID returns the request's id, set by withRequestID.
func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// saneRequestID accepts a client's X-Request-ID only when it cannot break a
// log line or a header.
func saneRequestID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func (s *Server) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !saneRequestID(id) {
			var b [12]byte
			rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey, id)))
	})
}

// recorder remembers the status and whether the answer has started.
type recorder struct {
	http.ResponseWriter
	status  int
	wrote   bool
	flushed bool // the answer streams (the job stream): long by design
	bytes   int64
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.status, r.wrote = http.StatusOK, true
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *recorder) Flush() {
	r.flushed = true
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// withLogging writes one line per request: method, path (never the query,
// which may carry secrets), route pattern, status, duration, bytes and
// request id; and a WARN line for a request slower than the slow-request
// threshold, unless its answer streamed. It tells the observer too.
//
// The route is the pattern the ServeMux matched, which it records on the
// request it was handed: the middleware inside this one pass r on as it
// is.
func (s *Server) withLogging(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		if s.obs != nil {
			s.obs.InFlight(1)
			defer s.obs.InFlight(-1)
		}
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		d := time.Since(start)
		status := rec.status
		if !rec.wrote {
			status = http.StatusOK
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("route", r.Pattern),
			slog.Int("status", status),
			slog.Duration("duration", d),
			slog.Int64("bytes", rec.bytes),
			slog.String("request_id", requestID(r.Context())),
		)
		if s.obs != nil {
			s.obs.Request(r.Pattern, r.Method, status, d)
		}
		if s.slow > 0 && d >= s.slow && !rec.flushed {
			s.log.LogAttrs(r.Context(), slog.LevelWarn, "slow request",
				slog.String("route", r.Pattern),
				slog.String("method", r.Method),
				slog.Int("status", status),
				slog.Duration("duration", d),
				slog.Duration("threshold", s.slow),
				slog.String("request_id", requestID(r.Context())),
			)
		}
	})
}

// withRecover turns a panic into a logged stack and a 500, and keeps the
// server serving.
func (s *Server) withRecover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic", "request_id", requestID(r.Context()), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			s.writeError(w, r, &spidergo.Error{Code: spidergo.EINTERNAL, Message: "An internal error occurred.", Err: fmt.Errorf("panic: %v", v)})
		}()
		next.ServeHTTP(w, r)
	})
}

// clientIP is the address of the caller: the peer, or, when the peer is a
// trusted proxy, the right-most untrusted address in X-Forwarded-For.
func (s *Server) clientIP(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	peer = peer.Unmap()
	if !s.trusted(peer) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return peer
		}
		a = a.Unmap()
		if !s.trusted(a) {
			return a
		}
		peer = a
	}
	return peer
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
