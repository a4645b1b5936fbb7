package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/config"
	"github.com/spidergo/spidergo/internal/storetest"
)

// logBuffer is a concurrency-safe log sink tests can search.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testConfig is the default configuration, with env overrides.
func testConfig(t testing.TB, env map[string]string) *config.Config {
	t.Helper()
	cfg, err := config.Load(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// newTestServer returns a server over a fresh SQLite store and its log.
func newTestServer(t testing.TB, env map[string]string) (*Server, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	s, err := newServer(t, testConfig(t, env), storetest.SQLite(t), slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), testOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeServer(s) })
	return s, logs
}

// do sends one request to h and decodes a JSON answer into a map.
func do(t testing.TB, h http.Handler, method, path string, body io.Reader, header http.Header) (*http.Response, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, path, body)
	for k, vs := range header {
		req.Header[k] = vs
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	var m map[string]any
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
			t.Fatalf("%s %s: bad JSON answer: %v", method, path, err)
		}
	}
	return res, m
}

func TestErrorConventions(t *testing.T) {
	s, logs := newTestServer(t, nil)
	type echo struct {
		URL   string `json:"url"`
		Limit int    `json:"limit"`
	}
	s.mux.Handle("POST /test/echo", s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		var in echo
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, in)
	}))
	s.mux.Handle("GET /test/panic", s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		panic("boom")
	}))
	s.mux.Handle("GET /test/internal", s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		return io.ErrUnexpectedEOF // an internal cause must not reach the client
	}))
	h := s.Handler()

	tests := []struct {
		name        string
		method      string
		path        string
		body        string
		header      http.Header
		wantStatus  int
		wantCode    string
		wantMessage string // substring
	}{
		{"ok", "POST", "/test/echo", `{"url":"https://example.com","limit":2}`, nil, 200, "", ""},
		{"malformed JSON", "POST", "/test/echo", `{"url":`, nil, 400, "invalid", "ends too early"},
		{"syntax error", "POST", "/test/echo", `{"url" "x"}`, nil, 400, "invalid", "not valid JSON at byte"},
		{"unknown field", "POST", "/test/echo", `{"url":"x","is_admin":true}`, nil, 400, "invalid", `Unknown field "is_admin"`},
		{"wrong type", "POST", "/test/echo", `{"url":"x","limit":"ten"}`, nil, 400, "invalid", `Field "limit" must be a number`},
		{"empty body", "POST", "/test/echo", ``, nil, 400, "invalid", "empty"},
		{"not an object", "POST", "/test/echo", `[1,2]`, nil, 400, "invalid", "JSON object"},
		{"trailing data", "POST", "/test/echo", `{"url":"x"}{"url":"y"}`, nil, 400, "invalid", "single JSON object"},
		{"wrong content type", "POST", "/test/echo", `url=x`, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, 400, "invalid", "application/json"},
		{"huge body", "POST", "/test/echo", `{"url":"` + strings.Repeat("a", 2<<20) + `"}`, nil, 413, "too_large", "larger than"},
		{"unknown route", "GET", "/no/such/thing", ``, nil, 404, "not_found", "No such route"},
		{"wrong method", "DELETE", "/healthz", ``, nil, 405, "method_not_allowed", "not allowed"},
		{"panic", "GET", "/test/panic", ``, nil, 500, "internal", "internal error"},
		{"internal error hides cause", "GET", "/test/internal", ``, nil, 500, "internal", "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := do(t, h, tt.method, tt.path, strings.NewReader(tt.body), tt.header)
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %v)", res.StatusCode, tt.wantStatus, body)
			}
			rid := res.Header.Get("X-Request-ID")
			if rid == "" {
				t.Error("no X-Request-ID header")
			}
			if tt.wantCode == "" {
				return
			}
			if body["code"] != tt.wantCode || body["request_id"] != rid {
				t.Errorf("body = %v, want code %q and request_id %q", body, tt.wantCode, rid)
			}
			if msg, _ := body["message"].(string); !strings.Contains(msg, tt.wantMessage) {
				t.Errorf("message = %q, want it to contain %q", msg, tt.wantMessage)
			}
			if strings.Contains(body["message"].(string), "unexpected EOF") {
				t.Errorf("internal cause leaked: %v", body)
			}
		})
	}
	if res, _ := do(t, h, "DELETE", "/healthz", nil, nil); res.Header.Get("Allow") != "GET" {
		t.Errorf("405 Allow = %q, want GET", res.Header.Get("Allow"))
	}
	// Several methods go in one comma-separated header.
	if res, _ := do(t, h, "PUT", "/auth/me", nil, nil); len(res.Header.Values("Allow")) != 1 || res.Header.Get("Allow") != "GET, DELETE" {
		t.Errorf("405 Allow = %q, want one header \"GET, DELETE\"", res.Header.Values("Allow"))
	}
	if !strings.Contains(logs.String(), "stack=") || !strings.Contains(logs.String(), "boom") {
		t.Error("panic was not logged with its stack")
	}
	// The server keeps serving after a panic.
	if res, _ := do(t, h, "GET", "/healthz", nil, nil); res.StatusCode != 200 {
		t.Errorf("after panic: /healthz = %d", res.StatusCode)
	}
}

func TestRequestID(t *testing.T) {
	s, logs := newTestServer(t, nil)
	for _, tt := range []struct {
		in       string
		wantEcho bool
	}{
		{"abc-123_X.y", true},
		{"", false},
		{"has space", false},
		{"new\nline", false},
		{strings.Repeat("a", 65), false},
	} {
		res, _ := do(t, s.Handler(), "GET", "/healthz", nil, http.Header{"X-Request-Id": {tt.in}})
		got := res.Header.Get("X-Request-ID")
		if (got == tt.in) != tt.wantEcho || got == "" {
			t.Errorf("X-Request-ID %q → %q, want echo %v", tt.in, got, tt.wantEcho)
		}
	}
	if !strings.Contains(logs.String(), "request_id=abc-123_X.y") {
		t.Error("request line does not carry the request id")
	}
}

func TestLogsCarryNoSecrets(t *testing.T) {
	s, logs := newTestServer(t, nil)
	h := http.Header{
		"Authorization": {"Bearer sk_live_secretsecretsecret"},
		"Cookie":        {"access_token=cookiesecret"},
	}
	do(t, s.Handler(), "GET", "/healthz?password=hunter2", nil, h)
	out := logs.String()
	for _, secret := range []string{"sk_live_secret", "cookiesecret", "hunter2"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{"method=GET", "path=/healthz", "status=200", "duration="} {
		if !strings.Contains(out, want) {
			t.Errorf("request line lacks %q:\n%s", want, out)
		}
	}
}

func TestReadyz(t *testing.T) {
	s, _ := newTestServer(t, nil)
	if res, _ := do(t, s.Handler(), "GET", "/readyz", nil, nil); res.StatusCode != 200 {
		t.Fatalf("readyz = %d, want 200", res.StatusCode)
	}
	s.store.Close()
	res, body := do(t, s.Handler(), "GET", "/readyz", nil, nil)
	if res.StatusCode != 503 || body["code"] != spidergo.EUNAVAILABLE {
		t.Fatalf("readyz with closed db = %d %v, want 503", res.StatusCode, body)
	}
}

func TestClientIP(t *testing.T) {
	s, _ := newTestServer(t, map[string]string{"SPIDERGO_TRUSTED_PROXIES": "10.0.0.0/8"})
	for _, tt := range []struct{ remote, xff, want string }{
		{"203.0.113.9:1234", "", "203.0.113.9"},
		{"203.0.113.9:1234", "1.2.3.4", "203.0.113.9"}, // untrusted peer: header ignored
		{"10.0.0.1:1234", "1.2.3.4", "1.2.3.4"},
		{"10.0.0.1:1234", "6.6.6.6, 1.2.3.4, 10.0.0.2", "1.2.3.4"}, // right-most untrusted
		{"10.0.0.1:1234", "garbage", "10.0.0.1"},
		{"[::ffff:10.0.0.1]:1234", "1.2.3.4", "1.2.3.4"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		if got := s.clientIP(r).String(); got != tt.want {
			t.Errorf("clientIP(%s, %q) = %s, want %s", tt.remote, tt.xff, got, tt.want)
		}
	}
}

func TestGracefulShutdown(t *testing.T) {
	s, _ := newTestServer(t, map[string]string{"SPIDERGO_SHUTDOWN_TIMEOUT": "5s"})
	release := make(chan struct{})
	started := make(chan struct{})
	s.mux.Handle("GET /test/slow", s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		close(started)
		<-release
		return writeJSON(w, 200, map[string]string{"done": "yes"})
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()

	got := make(chan string, 1)
	go func() {
		res, err := http.Get("http://" + ln.Addr().String() + "/test/slow")
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		got <- string(b)
	}()
	<-started
	cancel() // like SIGTERM: stop accepting, finish in-flight work
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v before the in-flight request finished", err)
	case <-time.After(100 * time.Millisecond):
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("server still accepts connections after shutdown began")
	}
	close(release)
	if body := <-got; !strings.Contains(body, "yes") {
		t.Errorf("in-flight request got %q", body)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
}
