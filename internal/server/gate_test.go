package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/quota"
	"github.com/spidergo/spidergo/internal/sqlstore"
	"github.com/spidergo/spidergo/internal/storetest"
)

// keyEnv is a server with API keys, a settable clock, a debug log and a few
// test-only /v1 routes that go through the gate.
type keyEnv struct {
	s     *Server
	h     http.Handler
	store *sqlstore.DB
	clock *testClock
	logs  *logBuffer
}

var gateTestStart = time.Date(2026, 3, 23, 12, 0, 0, 0, time.UTC)

// newKeyEnv builds a keyEnv over store; q replaces the quota counter when
// not nil.
func newKeyEnv(t testing.TB, store *sqlstore.DB, q spidergo.QuotaCounter, env map[string]string) *keyEnv {
	t.Helper()
	clock := &testClock{t: gateTestStart}
	store.SetClock(clock.Now)
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := newServer(t, testConfig(t, env), store, log, testOptions{Now: clock.Now, Quota: q})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeServer(s) })
	e := &keyEnv{s: s, h: s.Handler(), store: store, clock: clock, logs: logs}

	// /v1/scrape and friends belong to the crawl engine; these stand-ins
	// exercise the gate with each way a work request can end.
	work := map[string]handlerFunc{
		"POST /v1/test/work": func(w http.ResponseWriter, r *http.Request) error {
			var in struct {
				URL string `json:"url"`
			}
			if err := decodeJSON(w, r, &in); err != nil {
				return err
			}
			if in.URL == "" {
				return spidergo.Errorf(spidergo.EINVALID, "The url field is required.")
			}
			return writeJSON(w, http.StatusOK, map[string]string{"url": in.URL})
		},
		"POST /v1/test/fail": func(w http.ResponseWriter, r *http.Request) error {
			return errors.New("the disk is on fire")
		},
		"POST /v1/test/unavailable": func(w http.ResponseWriter, r *http.Request) error {
			return spidergo.Errorf(spidergo.EUNAVAILABLE, "Try later.")
		},
		"POST /v1/test/panic": func(w http.ResponseWriter, r *http.Request) error {
			panic("crawler exploded")
		},
		"POST /v1/test/notfound": func(w http.ResponseWriter, r *http.Request) error {
			return spidergo.Errorf(spidergo.ENOTFOUND, "No such page.")
		},
		"POST /v1/test/stream-then-fail": func(w http.ResponseWriter, r *http.Request) error {
			w.WriteHeader(http.StatusOK)
			io.WriteString(w, `{"partial":`)
			return errors.New("stream broke")
		},
		"POST /v1/test/fail-after-midnight": func(w http.ResponseWriter, r *http.Request) error {
			clock.Set(spidergo.QuotaReset(clock.Now()).Add(time.Second))
			return errors.New("failed on the next day")
		},
	}
	for pattern, h := range work {
		s.mux.Handle(pattern, s.wrap(s.requireAPIKey(true, h)))
	}
	s.mux.Handle("GET /v1/test/whoami", s.wrap(s.requireAPIKey(false, func(w http.ResponseWriter, r *http.Request) error {
		return writeJSON(w, http.StatusOK, map[string]string{"user_id": userIDFrom(r.Context()), "key_id": keyFrom(r.Context()).ID})
	})))
	return e
}

func (e *keyEnv) user(t testing.TB) *spidergo.User {
	t.Helper()
	return storetest.NewUser(t, e.store)
}

// key stores a key for userID with limit, bypassing the per-user limit,
// and returns it with its secret.
func (e *keyEnv) key(t testing.TB, userID string, limit int) (*spidergo.APIKey, string) {
	t.Helper()
	k, secret, err := spidergo.NewAPIKey(userID, "test", limit)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.CreateAPIKey(context.Background(), k, 1<<30); err != nil {
		t.Fatal(err)
	}
	return k, secret
}

func (e *keyEnv) used(t testing.TB, keyID string) int {
	t.Helper()
	n, err := quotaOf(e.s).QuotaUsed(context.Background(), keyID, spidergo.QuotaDay(e.clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func bearer(secret string) http.Header {
	return http.Header{"Authorization": {"Bearer " + secret}, "Content-Type": {"application/json"}}
}

func body(s string) io.Reader { return strings.NewReader(s) }

// TestGateErrorTable sends a real request for each row of the integration
// guide's error table, and checks the status, the code, the rate-limit
// headers and whether the request's quota unit was kept.
func TestGateErrorTable(t *testing.T) {
	e := newKeyEnv(t, storetest.SQLite(t), nil, nil)
	u := e.user(t)
	k, secret := e.key(t, u.ID, 5)
	revoked, revokedSecret := e.key(t, u.ID, 5)
	if _, err := e.store.RevokeAPIKey(context.Background(), u.ID, revoked.ID); err != nil {
		t.Fatal(err)
	}
	spent, spentSecret := e.key(t, u.ID, 1)
	if res, _ := do(t, e.h, "POST", "/v1/test/work", body(`{"url":"https://example.com"}`), bearer(spentSecret)); res.StatusCode != 200 {
		t.Fatalf("first request on a 1-request key = %d", res.StatusCode)
	}
	_, unknownSecret, _ := spidergo.NewAPIKey(u.ID, "never stored", 5)

	reset := spidergo.QuotaReset(gateTestStart)
	tests := []struct {
		name          string
		path, body    string
		header        http.Header
		wantStatus    int
		wantCode      string
		wantLimit     int
		wantRemaining int
		wantUsed      int // units on k after the request
		checkKey      *spidergo.APIKey
	}{
		{"200 work", "/v1/test/work", `{"url":"https://example.com"}`, bearer(secret), 200, "", 5, 4, 1, k},
		{"400 invalid body", "/v1/test/work", `{"url":`, bearer(secret), 400, spidergo.EINVALID, 5, 4, 1, k},
		{"400 missing url", "/v1/test/work", `{}`, bearer(secret), 400, spidergo.EINVALID, 5, 4, 1, k},
		{"400 unknown field", "/v1/test/work", `{"url":"x","max_dept":2}`, bearer(secret), 400, spidergo.EINVALID, 5, 4, 1, k},
		{"401 missing header", "/v1/test/work", `{"url":"x"}`, nil, 401, spidergo.EUNAUTHORIZED, 1000, 0, 1, k},
		{"401 empty header", "/v1/test/work", `{"url":"x"}`, http.Header{"Authorization": {""}}, 401, spidergo.EUNAUTHORIZED, 1000, 0, 1, k},
		{"401 basic scheme", "/v1/test/work", `{"url":"x"}`, http.Header{"Authorization": {"Basic " + secret}}, 401, spidergo.EUNAUTHORIZED, 1000, 0, 1, k},
		{"401 no prefix", "/v1/test/work", `{"url":"x"}`, http.Header{"Authorization": {"Bearer " + secret[len(spidergo.APIKeyPrefix):]}}, 401, spidergo.EUNAUTHORIZED, 1000, 0, 1, k},
		{"401 test prefix", "/v1/test/work", `{"url":"x"}`, http.Header{"Authorization": {"Bearer sk_test_" + secret[len(spidergo.APIKeyPrefix):]}}, 401, spidergo.EUNAUTHORIZED, 1000, 0, 1, k},
		{"401 too short", "/v1/test/work", `{"url":"x"}`, http.Header{"Authorization": {"Bearer sk_live_abc"}}, 401, spidergo.EUNAUTHORIZED, 1000, 0, 1, k},
		{"401 bad alphabet", "/v1/test/work", `{"url":"x"}`, http.Header{"Authorization": {"Bearer " + secret[:20] + "+/=" + secret[23:]}}, 401, spidergo.EUNAUTHORIZED, 1000, 0, 1, k},
		{"401 two headers", "/v1/test/work", `{"url":"x"}`, http.Header{"Authorization": {"Bearer " + secret, "Bearer " + secret}}, 401, spidergo.EUNAUTHORIZED, 1000, 0, 1, k},
		{"401 unknown key", "/v1/test/work", `{"url":"x"}`, bearer(unknownSecret), 401, spidergo.EUNAUTHORIZED, 1000, 0, 1, k},
		{"403 revoked key", "/v1/test/work", `{"url":"x"}`, bearer(revokedSecret), 403, spidergo.EFORBIDDEN, 5, 0, 0, revoked},
		{"429 quota spent", "/v1/test/work", `{"url":"x"}`, bearer(spentSecret), 429, spidergo.EQUOTA, 1, 0, 1, spent},
		{"500 internal error", "/v1/test/fail", `{}`, bearer(secret), 500, spidergo.EINTERNAL, 5, 4, 1, k},
		{"503 unavailable", "/v1/test/unavailable", `{}`, bearer(secret), 503, spidergo.EUNAVAILABLE, 5, 4, 1, k},
		{"500 panic", "/v1/test/panic", `{}`, bearer(secret), 500, spidergo.EINTERNAL, 5, 4, 1, k},
		{"404 from the handler keeps the unit", "/v1/test/notfound", `{}`, bearer(secret), 404, spidergo.ENOTFOUND, 5, 3, 2, k},
		{"lower-case scheme", "/v1/test/work", `{"url":"x"}`, http.Header{"Authorization": {"bearer " + secret}}, 200, "", 5, 2, 3, k},
		{"read takes no unit", "/v1/test/whoami", ``, bearer(secret), 200, "", 5, 2, 3, k},
		{"read of a spent key", "/v1/test/whoami", ``, bearer(spentSecret), 200, "", 1, 0, 1, spent},
		{"401 unknown key on a read", "/v1/test/whoami", ``, bearer(unknownSecret), 401, spidergo.EUNAUTHORIZED, 1000, 0, 3, k},
		{"403 revoked key on a read", "/v1/test/whoami", ``, bearer(revokedSecret), 403, spidergo.EFORBIDDEN, 5, 0, 0, revoked},
		{"unknown /v1 route", "/v1/no/such/route", ``, bearer(secret), 404, spidergo.ENOTFOUND, 5, 2, 3, k},
		{"unknown /v1 route without a key", "/v1/no/such/route", ``, nil, 401, spidergo.EUNAUTHORIZED, 1000, 0, 3, k},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := "POST"
			if tt.body == "" {
				method = "GET"
			}
			res, got := do(t, e.h, method, tt.path, body(tt.body), tt.header)
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %v)", res.StatusCode, tt.wantStatus, got)
			}
			if tt.wantCode != "" && (got["code"] != tt.wantCode || got["message"] == "") {
				t.Errorf("body = %v, want code %q and a message", got, tt.wantCode)
			}
			h := res.Header
			if h.Get("X-RateLimit-Limit") != strconv.Itoa(tt.wantLimit) ||
				h.Get("X-RateLimit-Remaining") != strconv.Itoa(tt.wantRemaining) ||
				h.Get("X-RateLimit-Reset") != strconv.FormatInt(reset.Unix(), 10) {
				t.Errorf("rate headers = %q/%q/%q, want %d/%d/%d", h.Get("X-RateLimit-Limit"), h.Get("X-RateLimit-Remaining"), h.Get("X-RateLimit-Reset"), tt.wantLimit, tt.wantRemaining, reset.Unix())
			}
			if tt.wantStatus == 401 && !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without a Bearer challenge: %q", h.Get("WWW-Authenticate"))
			}
			if tt.wantStatus == 429 {
				if ra := h.Get("Retry-After"); ra != "43200" { // noon to midnight
					t.Errorf("Retry-After = %q, want 43200", ra)
				}
			} else if h.Get("Retry-After") != "" {
				t.Errorf("Retry-After on a %d", tt.wantStatus)
			}
			if n := e.used(t, tt.checkKey.ID); n != tt.wantUsed {
				t.Errorf("units used = %d, want %d", n, tt.wantUsed)
			}
		})
	}
}

// TestGateRefunds checks that only our failures and refused input give
// the unit back, and that a failure after the answer started does not.
func TestGateRefunds(t *testing.T) {
	e := newKeyEnv(t, storetest.SQLite(t), nil, nil)
	k, secret := e.key(t, e.user(t).ID, 10)
	for _, tt := range []struct {
		path, body string
		status     int
		kept       bool
	}{
		{"/v1/test/work", `{"url":"x"}`, 200, true},
		{"/v1/test/work", `not json`, 400, false},
		{"/v1/test/work", `{"url":"` + strings.Repeat("a", 2<<20) + `"}`, 413, true},
		{"/v1/test/fail", `{}`, 500, false},
		{"/v1/test/unavailable", `{}`, 503, false},
		{"/v1/test/panic", `{}`, 500, false},
		{"/v1/test/notfound", `{}`, 404, true},
		{"/v1/test/stream-then-fail", `{}`, 200, true},
	} {
		before := e.used(t, k.ID)
		res, _ := do(t, e.h, "POST", tt.path, body(tt.body), bearer(secret))
		if res.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d", tt.path, res.StatusCode, tt.status)
		}
		want := before
		if tt.kept {
			want++
		}
		if got := e.used(t, k.ID); got != want {
			t.Errorf("%s (%d): used %d → %d, want %d", tt.path, tt.status, before, got, want)
		}
		if rem := res.Header.Get("X-RateLimit-Remaining"); rem != strconv.Itoa(10-want) {
			t.Errorf("%s (%d): X-RateLimit-Remaining = %s, want %d", tt.path, tt.status, rem, 10-want)
		}
	}
	// The refund on panic leaves the panic to withRecover, stack and all.
	if logs := e.logs.String(); !strings.Contains(logs, "crawler exploded") || !strings.Contains(logs, "gate_test.go") {
		t.Errorf("the handler's panic was not logged with its stack:\n%s", logs)
	}
}

// TestQuotaResetsAtUTCMidnight moves the clock across midnight.
func TestQuotaResetsAtUTCMidnight(t *testing.T) {
	e := newKeyEnv(t, storetest.SQLite(t), nil, nil)
	k, secret := e.key(t, e.user(t).ID, 2)
	e.clock.Set(time.Date(2026, 3, 23, 23, 59, 58, 500e6, time.UTC))
	for range 2 {
		if res, _ := do(t, e.h, "POST", "/v1/test/work", body(`{"url":"x"}`), bearer(secret)); res.StatusCode != 200 {
			t.Fatalf("status %d, want 200", res.StatusCode)
		}
	}
	res, _ := do(t, e.h, "POST", "/v1/test/work", body(`{"url":"x"}`), bearer(secret))
	if res.StatusCode != 429 || res.Header.Get("Retry-After") != "2" {
		t.Fatalf("spent: %d Retry-After %q, want 429 and 2 (1.5 s rounded up)", res.StatusCode, res.Header.Get("Retry-After"))
	}
	midnight := time.Date(2026, 3, 24, 0, 0, 0, 0, time.UTC)
	if got := res.Header.Get("X-RateLimit-Reset"); got != strconv.FormatInt(midnight.Unix(), 10) {
		t.Errorf("X-RateLimit-Reset = %s, want %d", got, midnight.Unix())
	}

	e.clock.Set(midnight)
	res, _ = do(t, e.h, "POST", "/v1/test/work", body(`{"url":"x"}`), bearer(secret))
	if res.StatusCode != 200 || res.Header.Get("X-RateLimit-Remaining") != "1" {
		t.Fatalf("after midnight: %d remaining %q, want 200 and 1", res.StatusCode, res.Header.Get("X-RateLimit-Remaining"))
	}
	if got := res.Header.Get("X-RateLimit-Reset"); got != strconv.FormatInt(midnight.AddDate(0, 0, 1).Unix(), 10) {
		t.Errorf("X-RateLimit-Reset = %s, want the next midnight", got)
	}

	// A request that started before midnight and failed after it gives the
	// unit back to the day it took it from.
	k2, secret2 := e.key(t, k.UserID, 5)
	e.clock.Set(time.Date(2026, 3, 24, 23, 59, 59, 0, time.UTC))
	do(t, e.h, "POST", "/v1/test/work", body(`{"url":"x"}`), bearer(secret2))
	if res, _ := do(t, e.h, "POST", "/v1/test/fail-after-midnight", body(`{}`), bearer(secret2)); res.StatusCode != 500 {
		t.Fatalf("failing request = %d, want 500", res.StatusCode)
	}
	ctx := context.Background()
	if n, _ := quotaOf(e.s).QuotaUsed(ctx, k2.ID, "2026-03-24"); n != 1 {
		t.Errorf("day the failed request started: %d used, want 1 (its unit returned)", n)
	}
	if n, _ := quotaOf(e.s).QuotaUsed(ctx, k2.ID, "2026-03-25"); n != 0 {
		t.Errorf("day it failed on: %d used, want 0", n)
	}
}

// gateBackends returns, per quota backend, a fresh server environment:
// the SQL counter on SQLite and on PostgreSQL, and Redis (over SQLite or
// PostgreSQL for the keys) when configured. Unconfigured backends skip.
func gateBackends() map[string]func(t testing.TB) *keyEnv {
	out := map[string]func(t testing.TB) *keyEnv{}
	for name, open := range storetest.Each() {
		out[name] = func(t testing.TB) *keyEnv { return newKeyEnv(t, open(t), nil, nil) }
	}
	out["redis"] = func(t testing.TB) *keyEnv {
		rdb, prefix := storetest.Redis(t)
		return newKeyEnv(t, storetest.SQLite(t), quota.NewRedis(rdb, prefix), nil)
	}
	// How several instances run: keys in PostgreSQL, quota in Redis.
	out["postgres+redis"] = func(t testing.TB) *keyEnv {
		rdb, prefix := storetest.Redis(t)
		return newKeyEnv(t, storetest.Postgres(t), quota.NewRedis(rdb, prefix), nil)
	}
	return out
}

// TestGateQuotaRace: with 1000 units left, 1500 simultaneous work requests
// start exactly 1000; the other 500 get 429.
func TestGateQuotaRace(t *testing.T) {
	for name, newEnv := range gateBackends() {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			k, secret := e.key(t, e.user(t).ID, 1000)
			const requests = 1500
			var ok, refused atomic.Int32
			var wg sync.WaitGroup
			start := make(chan struct{})
			for range requests {
				wg.Go(func() {
					req := httptest.NewRequest("POST", "/v1/test/work", strings.NewReader(`{"url":"x"}`))
					req.Header = bearer(secret)
					rec := httptest.NewRecorder()
					<-start
					e.h.ServeHTTP(rec, req)
					switch rec.Code {
					case 200:
						ok.Add(1)
					case 429:
						refused.Add(1)
					default:
						t.Errorf("status %d: %s", rec.Code, rec.Body)
					}
				})
			}
			close(start)
			wg.Wait()
			if ok.Load() != 1000 || refused.Load() != 500 {
				t.Fatalf("%d racing requests, limit 1000: %d started, %d refused; want 1000 and 500", requests, ok.Load(), refused.Load())
			}
			_, usage := do(t, e.h, "GET", "/v1/usage", nil, bearer(secret))
			if usage["used_today"] != 1000.0 || usage["remaining"] != 0.0 {
				t.Errorf("/v1/usage after the race = %v", usage)
			}
			if n := e.used(t, k.ID); n != 1000 {
				t.Errorf("counter = %d, want 1000", n)
			}
		})
	}
}

// TestGateBackends runs the gate's basic promises on every quota backend.
func TestGateBackends(t *testing.T) {
	for name, newEnv := range gateBackends() {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			u := e.user(t)
			k, secret := e.key(t, u.ID, 3)
			for i, want := range []int{200, 400, 200, 200, 429} {
				b := `{"url":"x"}`
				if want == 400 {
					b = `{}`
				}
				if res, _ := do(t, e.h, "POST", "/v1/test/work", body(b), bearer(secret)); res.StatusCode != want {
					t.Fatalf("request %d: %d, want %d", i, res.StatusCode, want)
				}
			}
			res, got := do(t, e.h, "GET", "/v1/test/whoami", nil, bearer(secret))
			if res.StatusCode != 200 || got["user_id"] != u.ID || got["key_id"] != k.ID {
				t.Errorf("whoami = %d %v, want the key's owner and id", res.StatusCode, got)
			}
			e.clock.Set(gateTestStart.AddDate(0, 0, 1))
			if res, _ := do(t, e.h, "POST", "/v1/test/work", body(`{"url":"x"}`), bearer(secret)); res.StatusCode != 200 {
				t.Errorf("next day: %d, want 200", res.StatusCode)
			}
		})
	}
}

func TestV1Usage(t *testing.T) {
	e := newKeyEnv(t, storetest.SQLite(t), nil, nil)
	k, secret := e.key(t, e.user(t).ID, 7)
	for range 3 {
		do(t, e.h, "POST", "/v1/test/work", body(`{"url":"x"}`), bearer(secret))
	}
	res, got := do(t, e.h, "GET", "/v1/usage", nil, bearer(secret))
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	want := map[string]any{"key_id": k.ID, "daily_limit": 7.0, "used_today": 3.0, "remaining": 4.0, "resets_at": "2026-03-24T00:00:00.000Z"}
	for f, v := range want {
		if got[f] != v {
			t.Errorf("%s = %v, want %v", f, got[f], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("fields = %v, want exactly %v", got, want)
	}
	if res.Header.Get("X-RateLimit-Remaining") != "4" {
		t.Errorf("a read took a unit: X-RateLimit-Remaining = %s", res.Header.Get("X-RateLimit-Remaining"))
	}
	if res, _ := do(t, e.h, "POST", "/v1/usage", nil, bearer(secret)); res.StatusCode != 405 || res.Header.Get("Allow") != "GET" || res.Header.Get("X-RateLimit-Limit") != "7" {
		t.Errorf("POST /v1/usage = %d Allow %q limit %q, want 405, GET and the rate headers", res.StatusCode, res.Header.Get("Allow"), res.Header.Get("X-RateLimit-Limit"))
	}
}

// TestLastUsedAt: the gate records use without writing on the request
// path, at most once a minute per key.
func TestLastUsedAt(t *testing.T) {
	e := newKeyEnv(t, storetest.SQLite(t), nil, nil)
	k, secret := e.key(t, e.user(t).ID, 100)
	ctx := context.Background()
	do(t, e.h, "GET", "/v1/test/whoami", nil, bearer(secret))
	if got, _ := e.store.APIKeyByID(ctx, k.ID); !got.LastUsedAt.IsZero() {
		t.Fatalf("last_used_at written on the request path: %v", got.LastUsedAt)
	}
	e.s.keys.FlushLastUsed(ctx)
	if got, _ := e.store.APIKeyByID(ctx, k.ID); !got.LastUsedAt.Equal(gateTestStart) {
		t.Fatalf("last_used_at = %v, want %v", got.LastUsedAt, gateTestStart)
	}
	e.clock.Set(gateTestStart.Add(30 * time.Second))
	do(t, e.h, "GET", "/v1/test/whoami", nil, bearer(secret))
	e.s.keys.FlushLastUsed(ctx)
	if got, _ := e.store.APIKeyByID(ctx, k.ID); !got.LastUsedAt.Equal(gateTestStart) {
		t.Errorf("a use within the minute was written: last_used_at = %v, want %v", got.LastUsedAt, gateTestStart)
	}
	later := gateTestStart.Add(2 * time.Minute)
	e.clock.Set(later)
	do(t, e.h, "GET", "/v1/test/whoami", nil, bearer(secret))
	closeServer(e.s) // flushes what is pending
	if got, _ := e.store.APIKeyByID(ctx, k.ID); !got.LastUsedAt.Equal(later) {
		t.Errorf("last_used_at after close = %v, want %v", got.LastUsedAt, later)
	}
}

// TestRealWorkRouteRefundsBadInput: the crawl engine's own /v1/scrape,
// behind the gate, gives the unit of a request it refuses back.
func TestRealWorkRouteRefundsBadInput(t *testing.T) {
	e := newKeyEnv(t, storetest.SQLite(t), nil, nil)
	k, secret := e.key(t, e.user(t).ID, 10)
	res, got := do(t, e.h, "POST", "/v1/scrape", body(`{"url":"https://example.com","max_dept":2}`), bearer(secret))
	if res.StatusCode != 400 {
		t.Fatalf("status %d, want 400: %v", res.StatusCode, got)
	}
	if n := e.used(t, k.ID); n != 0 || res.Header.Get("X-RateLimit-Remaining") != "10" {
		t.Errorf("after a refused scrape: %d used, X-RateLimit-Remaining %s; want 0 and 10", n, res.Header.Get("X-RateLimit-Remaining"))
	}
}
