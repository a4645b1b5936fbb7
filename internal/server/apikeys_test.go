package server

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/storetest"
)

// keySession signs u in and returns headers carrying the session cookie,
// as a browser on the dashboard would send them.
func keySession(t testing.TB, e *keyEnv, u *spidergo.User) http.Header {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := e.s.startSession(rec, httptest.NewRequest("POST", "/auth/login", nil), u); err != nil {
		t.Fatal(err)
	}
	for _, c := range rec.Result().Cookies() {
		if c.Name == accessCookie {
			return http.Header{"Cookie": {c.Name + "=" + c.Value}, "Content-Type": {"application/json"}}
		}
	}
	t.Fatal("startSession set no access cookie")
	return nil
}

// createKey creates a key through the API and returns the decoded answer.
func createKey(t testing.TB, e *keyEnv, session http.Header, name string) (int, map[string]any) {
	t.Helper()
	res, got := do(t, e.h, "POST", "/auth/api-keys", body(fmt.Sprintf(`{"name":%q}`, name)), session)
	return res.StatusCode, got
}

var keyFormat = regexp.MustCompile(`^sk_live_[A-Za-z0-9_-]{43}$`)

func TestCreateAPIKey(t *testing.T) {
	e := newKeyEnv(t, storetest.SQLite(t), nil, nil)
	u := e.user(t)
	session := keySession(t, e, u)

	status, got := createKey(t, e, session, "  Production Integrations  ")
	if status != 201 {
		t.Fatalf("status %d: %v", status, got)
	}
	if got["message"] != "API key created. Store it securely now; it will not be shown again." {
		t.Errorf("message = %q", got["message"])
	}
	secret, _ := got["api_key"].(string)
	if !keyFormat.MatchString(secret) {
		t.Fatalf("api_key %q is not sk_live_ + 43 base64url characters", secret)
	}
	if len(got) != 3 {
		t.Errorf("top-level fields = %v, want message, api_key and meta", got)
	}
	meta, _ := got["meta"].(map[string]any)
	want := map[string]any{
		"name": "Production Integrations", "prefix": "sk_live_", "last4": secret[len(secret)-4:],
		"daily_limit": 1000.0, "is_active": true, "created_at": "2026-03-23T12:00:00.000Z",
		"last_used_at": nil, "revoked_at": nil,
	}
	for f, v := range want {
		if meta[f] != v {
			t.Errorf("meta.%s = %v, want %v", f, meta[f], v)
		}
	}
	keyID, _ := meta["key_id"].(string)
	if keyID == "" || len(meta) != len(want)+1 {
		t.Errorf("meta = %v, want key_id and %d more fields", meta, len(want))
	}

	// Only the hash is stored, and the key works on /v1 at once.
	stored, err := e.store.APIKeyByID(context.Background(), keyID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Hash != spidergo.HashAPIKey(secret) || strings.Contains(stored.Hash, secret[len(spidergo.APIKeyPrefix):]) {
		t.Errorf("stored hash %q is not the SHA-256 of the key", stored.Hash)
	}
	if stored.UserID != u.ID {
		t.Errorf("key belongs to %q, want %q", stored.UserID, u.ID)
	}
	if res, _ := do(t, e.h, "GET", "/v1/usage", nil, bearer(secret)); res.StatusCode != 200 {
		t.Errorf("new key on /v1/usage: %d", res.StatusCode)
	}
	other, _ := createKey(t, e, session, "second")
	if other != 201 {
		t.Fatalf("second key: %d", other)
	}
}

func TestCreateAPIKeyRefusals(t *testing.T) {
	e := newKeyEnv(t, storetest.SQLite(t), nil, nil)
	session := keySession(t, e, e.user(t))
	long := strings.Repeat("é", 100)
	for _, tt := range []struct {
		name, body string
		want       int
		wantMsg    string
	}{
		{"empty name", `{"name":""}`, 400, "required"},
		{"blank name", `{"name":"   \t "}`, 400, "required"},
		{"no name", `{}`, 400, "required"},
		{"101 characters", `{"name":"` + long + `x"}`, 400, "at most 100"},
		{"control character", `{"name":"bad\u0007name"}`, 400, "control"},
		{"unknown field", `{"name":"x","daily_limit":1000000}`, 400, `Unknown field "daily_limit"`},
		{"not JSON", `name=x`, 400, "not valid JSON"},
		{"100 characters", `{"name":"` + long + `"}`, 201, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, got := do(t, e.h, "POST", "/auth/api-keys", body(tt.body), session)
			if res.StatusCode != tt.want {
				t.Fatalf("status %d, want %d: %v", res.StatusCode, tt.want, got)
			}
			if msg, _ := got["message"].(string); tt.wantMsg != "" && !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message %q, want it to mention %q", msg, tt.wantMsg)
			}
			if tt.want == 201 && utf8.RuneCountInString(got["meta"].(map[string]any)["name"].(string)) != 100 {
				t.Errorf("name not kept whole: %v", got["meta"])
			}
		})
	}
	if res, _ := do(t, e.h, "POST", "/auth/api-keys", body(`{"name":"x"}`), nil); res.StatusCode != 401 {
		t.Errorf("without a session: %d, want 401", res.StatusCode)
	}
	cross := keySession(t, e, e.user(t))
	cross.Set("Sec-Fetch-Site", "cross-site")
	if res, _ := do(t, e.h, "POST", "/auth/api-keys", body(`{"name":"x"}`), cross); res.StatusCode != 403 {
		t.Errorf("cross-site create: %d, want 403", res.StatusCode)
	}
}

// TestAPIKeyLimit: the fourth active key is refused with a message that
// says what to do, and ten racing creates leave exactly three keys.
func TestAPIKeyLimit(t *testing.T) {
	for name, newEnv := range gateBackends() {
		if name == "redis" {
			continue // the key limit is the database's alone
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			session := keySession(t, e, e.user(t))
			var ids []string
			for i := range 3 {
				status, got := createKey(t, e, session, fmt.Sprintf("key %d", i))
				if status != 201 {
					t.Fatalf("key %d: %d %v", i, status, got)
				}
				ids = append(ids, got["meta"].(map[string]any)["key_id"].(string))
			}
			status, got := createKey(t, e, session, "fourth")
			if msg, _ := got["message"].(string); status != 409 || !strings.Contains(msg, "Revoke one") {
				t.Fatalf("4th key: %d %v, want 409 telling to revoke one", status, got)
			}
			if res, _ := do(t, e.h, "DELETE", "/auth/api-keys/"+ids[0], nil, session); res.StatusCode != 200 {
				t.Fatalf("revoke: %d", res.StatusCode)
			}
			if status, _ := createKey(t, e, session, "fourth"); status != 201 {
				t.Fatalf("create after revoking one: %d", status)
			}

			racer := keySession(t, e, e.user(t))
			statuses := make([]int, 10)
			var wg sync.WaitGroup
			for i := range statuses {
				wg.Go(func() { statuses[i], _ = createKey(t, e, racer, fmt.Sprintf("racer %d", i)) })
			}
			wg.Wait()
			slices.Sort(statuses)
			want := []int{201, 201, 201, 409, 409, 409, 409, 409, 409, 409}
			if !slices.Equal(statuses, want) {
				t.Fatalf("10 racing creates: %v, want %v", statuses, want)
			}
			_, list := do(t, e.h, "GET", "/auth/api-keys?include_revoked=true", nil, racer)
			if n := len(list["keys"].([]any)); n != 3 {
				t.Fatalf("%d keys stored after the race, want 3", n)
			}
		})
	}
}

func TestListAndRevokeAPIKeys(t *testing.T) {
	e := newKeyEnv(t, storetest.SQLite(t), nil, nil)
	alice, bob := e.user(t), e.user(t)
	as, bs := keySession(t, e, alice), keySession(t, e, bob)
	_, k1 := createKey(t, e, as, "one")
	_, k2 := createKey(t, e, as, "two")
	_, bk := createKey(t, e, bs, "bob's")
	id1 := k1["meta"].(map[string]any)["key_id"].(string)
	id2 := k2["meta"].(map[string]any)["key_id"].(string)
	bobID := bk["meta"].(map[string]any)["key_id"].(string)
	secret1 := k1["api_key"].(string)

	listIDs := func(t *testing.T, h http.Header, query string) []string {
		t.Helper()
		res, got := do(t, e.h, "GET", "/auth/api-keys"+query, nil, h)
		if res.StatusCode != 200 {
			t.Fatalf("list: %d %v", res.StatusCode, got)
		}
		var ids []string
		for _, m := range got["keys"].([]any) {
			meta := m.(map[string]any)
			if _, ok := meta["api_key"]; ok {
				t.Errorf("list shows a key: %v", meta)
			}
			for _, v := range meta {
				if s, ok := v.(string); ok && (strings.HasPrefix(s, "sk_live_") && len(s) > 8 || len(s) == 64) {
					t.Errorf("list shows a key or hash: %v", meta)
				}
			}
			ids = append(ids, meta["key_id"].(string))
		}
		// The fixed clock gives every key the same creation time.
		slices.Sort(ids)
		return ids
	}
	sorted := func(ids ...string) []string { slices.Sort(ids); return ids }
	if got := listIDs(t, as, ""); !slices.Equal(got, sorted(id1, id2)) {
		t.Fatalf("alice's keys = %v, want %v", got, sorted(id1, id2))
	}
	if got := listIDs(t, bs, ""); !slices.Equal(got, []string{bobID}) {
		t.Fatalf("bob's keys = %v", got)
	}

	// Bob can neither revoke nor read the usage of Alice's key, and cannot
	// tell it from a key that does not exist.
	for _, tt := range []struct{ method, path string }{
		{"DELETE", "/auth/api-keys/" + id1},
		{"GET", "/auth/api-keys/" + id1 + "/usage"},
		{"DELETE", "/auth/api-keys/no-such-key"},
		{"GET", "/auth/api-keys/no-such-key/usage"},
	} {
		res, got := do(t, e.h, tt.method, tt.path, nil, bs)
		if res.StatusCode != 404 || got["message"] != "No such API key." {
			t.Errorf("bob %s %s = %d %v, want 404", tt.method, tt.path, res.StatusCode, got)
		}
	}
	if res, _ := do(t, e.h, "GET", "/v1/usage", nil, bearer(secret1)); res.StatusCode != 200 {
		t.Fatalf("alice's key after bob's attempts: %d", res.StatusCode)
	}

	// Revocation takes effect on the very next request.
	res, got := do(t, e.h, "DELETE", "/auth/api-keys/"+id1, nil, as)
	if res.StatusCode != 200 {
		t.Fatalf("revoke: %d %v", res.StatusCode, got)
	}
	meta := got["meta"].(map[string]any)
	if meta["is_active"] != false || meta["revoked_at"] != "2026-03-23T12:00:00.000Z" {
		t.Errorf("revoked meta = %v", meta)
	}
	for _, path := range []string{"/v1/usage", "/v1/test/whoami"} {
		if res, _ := do(t, e.h, "GET", path, nil, bearer(secret1)); res.StatusCode != 403 {
			t.Errorf("revoked key on %s: %d, want 403", path, res.StatusCode)
		}
	}
	if res, _ := do(t, e.h, "POST", "/v1/test/work", body(`{"url":"x"}`), bearer(secret1)); res.StatusCode != 403 {
		t.Errorf("revoked key on a work route: %d, want 403", res.StatusCode)
	}
	if res, _ := do(t, e.h, "DELETE", "/auth/api-keys/"+id1, nil, as); res.StatusCode != 200 {
		t.Errorf("revoking twice: %d, want 200", res.StatusCode)
	}

	if got := listIDs(t, as, ""); !slices.Equal(got, []string{id2}) {
		t.Errorf("active keys after revoke = %v, want %v", got, []string{id2})
	}
	if got := listIDs(t, as, "?include_revoked=true"); !slices.Equal(got, sorted(id1, id2)) {
		t.Errorf("all keys = %v, want %v", got, sorted(id1, id2))
	}
	if res, _ := do(t, e.h, "GET", "/auth/api-keys?include_revoked=maybe", nil, as); res.StatusCode != 400 {
		t.Errorf("include_revoked=maybe: %d, want 400", res.StatusCode)
	}
	if res, _ := do(t, e.h, "GET", "/auth/api-keys", nil, nil); res.StatusCode != 401 {
		t.Errorf("list without a session: %d, want 401", res.StatusCode)
	}
	// The key's owner, and only them, sees last_used_at once it is written.
	e.s.keys.FlushLastUsed(context.Background())
	_, list := do(t, e.h, "GET", "/auth/api-keys?include_revoked=true", nil, as)
	for _, m := range list["keys"].([]any) {
		meta := m.(map[string]any)
		want := any(nil) // key two was never used
		if meta["key_id"] == id1 {
			want = "2026-03-23T12:00:00.000Z"
		}
		if meta["last_used_at"] != want {
			t.Errorf("key %v: last_used_at = %v, want %v", meta["key_id"], meta["last_used_at"], want)
		}
	}
}

func TestAPIKeyUsageChart(t *testing.T) {
	for name, newEnv := range gateBackends() {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			u := e.user(t)
			session := keySession(t, e, u)
			_, created := createKey(t, e, session, "charted")
			id := created["meta"].(map[string]any)["key_id"].(string)
			secret := created["api_key"].(string)
			// Two requests 40 days ago (outside the chart), one 29 days ago
			// (its first day), three today.
			for _, step := range []struct{ daysAgo, n int }{{40, 2}, {29, 1}, {0, 3}} {
				e.clock.Set(gateTestStart.AddDate(0, 0, -step.daysAgo))
				for range step.n {
					if res, _ := do(t, e.h, "POST", "/v1/test/work", body(`{"url":"x"}`), bearer(secret)); res.StatusCode != 200 {
						t.Fatalf("request: %d", res.StatusCode)
					}
				}
			}
			session = keySession(t, e, u) // the clock moved; sign in afresh
			res, got := do(t, e.h, "GET", "/auth/api-keys/"+id+"/usage", nil, session)
			if res.StatusCode != 200 {
				t.Fatalf("usage: %d %v", res.StatusCode, got)
			}
			days := got["days"].([]any)
			if len(days) != spidergo.UsageDays {
				t.Fatalf("%d days, want %d", len(days), spidergo.UsageDays)
			}
			first, last := days[0].(map[string]any), days[len(days)-1].(map[string]any)
			if first["day"] != "2026-02-22" || first["used"] != 1.0 || last["day"] != "2026-03-23" || last["used"] != 3.0 {
				t.Errorf("first %v, last %v; want 2026-02-22 with 1 and 2026-03-23 with 3", first, last)
			}
			if got["total"] != 4.0 || got["key_id"] != id || got["from"] != "2026-02-22" || got["to"] != "2026-03-23" {
				t.Errorf("usage = %v", got)
			}
		})
	}
}

// TestAPIKeysNeverLogged: neither a key nor its hash reaches the log, even
// at debug level; key ids and last four characters do.
func TestAPIKeysNeverLogged(t *testing.T) {
	e := newKeyEnv(t, storetest.SQLite(t), nil, nil)
	u := e.user(t)
	session := keySession(t, e, u)
	_, created := createKey(t, e, session, "logged?")
	secret := created["api_key"].(string)
	id := created["meta"].(map[string]any)["key_id"].(string)
	_, unknown, _ := spidergo.NewAPIKey(u.ID, "unknown", 1)

	do(t, e.h, "GET", "/v1/usage", nil, bearer(secret))
	do(t, e.h, "POST", "/v1/test/work", body(`{"url":"x"}`), bearer(secret))
	do(t, e.h, "POST", "/v1/test/fail", body(`{}`), bearer(secret))
	do(t, e.h, "POST", "/v1/test/panic", body(`{}`), bearer(secret))
	do(t, e.h, "GET", "/v1/usage", nil, bearer(unknown))
	do(t, e.h, "GET", "/v1/usage", nil, http.Header{"Authorization": {"Bearer sk_live_" + strings.Repeat("x", 10)}})
	do(t, e.h, "DELETE", "/auth/api-keys/"+id, nil, session)
	do(t, e.h, "GET", "/v1/usage", nil, bearer(secret))
	closeServer(e.s)

	out := e.logs.String()
	for _, s := range []string{secret, secret[len(spidergo.APIKeyPrefix):], spidergo.HashAPIKey(secret), unknown, unknown[len(spidergo.APIKeyPrefix):], strings.Repeat("x", 10)} {
		if strings.Contains(out, s) {
			t.Errorf("log contains a key or hash %q:\n%s", s, out)
		}
	}
	for _, want := range []string{"API key created", "API key revoked", "revoked API key used", "key_id=" + id, "last4=" + secret[len(secret)-4:]} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}
