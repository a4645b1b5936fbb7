package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/spidergo/spidergo/internal/auth"
	"github.com/spidergo/spidergo/internal/config"
	"github.com/spidergo/spidergo/internal/storetest"
)

// redisProxy forwards loopback connections to a Redis server; closing it
// is Redis going down for every client of the proxy, reopening it on the
// same address is Redis coming back.
type redisProxy struct {
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func (p *redisProxy) open(t *testing.T) {
	t.Helper()
	addr := p.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
}

// shut closes the listener and every forwarded connection.
func (p *redisProxy) shut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ln.Close()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRedisOutage takes Redis away from running api and worker processes
// and brings it back: /readyz says so with a redis check, the log says so
// once per change, API key requests are refused rather than counted
// nowhere, and everything answers again afterwards.
func TestRedisOutage(t *testing.T) {
	raw := os.Getenv("SPIDERGO_TEST_REDIS_URL")
	if raw == "" {
		t.Skip("SPIDERGO_TEST_REDIS_URL is not set")
	}
	target, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	proxy := &redisProxy{target: target.Host}
	proxy.open(t)
	defer proxy.shut()
	redisURL := *target
	redisURL.Host = proxy.addr

	for _, role := range []string{RoleAPI, RoleWorker} {
		t.Run(role, func(t *testing.T) {
			cfg, err := config.Load(nil, func(k string) string {
				return map[string]string{"SPIDERGO_ROLE": role, "SPIDERGO_REDIS_URL": redisURL.String()}[k]
			}, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			logs := &syncLog{}
			a, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(logs, nil)), Options{Store: storetest.SQLite(t), PasswordParams: auth.TestParams})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			h := a.Handler()
			var key string
			if role == RoleAPI {
				u := storetest.NewUser(t, a.Store)
				if _, key, err = a.Keys.Create(context.Background(), u.ID, "outage"); err != nil {
					t.Fatal(err)
				}
			}
			get := func(path string) (int, map[string]any) {
				req := httptest.NewRequest("GET", path, nil)
				if key != "" {
					req.Header.Set("Authorization", "Bearer "+key)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				var body map[string]any
				json.Unmarshal(rec.Body.Bytes(), &body)
				return rec.Code, body
			}
			check := func(state string, wantReady int, wantRedis string, wantUsage int) {
				t.Helper()
				for range 3 {
					if code, body := get("/readyz"); code != wantReady || body["redis"] != wantRedis {
						t.Errorf("%s: /readyz = %d %v, want %d with redis %q", state, code, body, wantReady, wantRedis)
					}
				}
				if role != RoleAPI {
					return
				}
				if code, body := get("/v1/usage"); code != wantUsage {
					t.Errorf("%s: /v1/usage = %d %v, want %d", state, code, body, wantUsage)
				}
			}

			check("redis up", http.StatusOK, "ready", http.StatusOK)
			proxy.shut()
			check("redis down", http.StatusServiceUnavailable, "unreachable", http.StatusServiceUnavailable)
			proxy.open(t)
			check("redis back", http.StatusOK, "ready", http.StatusOK)

			out := logs.String()
			if n := strings.Count(out, "redis is unavailable"); n != 1 {
				t.Errorf("the outage was logged %d times, want once:\n%s", n, out)
			}
			if n := strings.Count(out, "redis is available again"); n != 1 {
				t.Errorf("the recovery was logged %d times, want once:\n%s", n, out)
			}
			if strings.Contains(out, "level=ERROR") {
				t.Errorf("requests refused during the outage were logged as errors one by one:\n%s", out)
			}
		})
	}
}
