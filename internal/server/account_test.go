package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/account"
	"github.com/spidergo/spidergo/internal/auth"
	"github.com/spidergo/spidergo/internal/mail"
	"github.com/spidergo/spidergo/internal/storetest"
)

// testClock is a settable clock shared by a test's server and store.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// mailbox captures the mail a server sends.
type mailbox struct {
	mu   sync.Mutex
	msgs []mail.Message
}

func (m *mailbox) Send(_ context.Context, msg mail.Message) error {
	m.mu.Lock()
	m.msgs = append(m.msgs, msg)
	m.mu.Unlock()
	return nil
}

// to returns every message sent to addr so far.
func (m *mailbox) to(addr string) []mail.Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []mail.Message
	for _, msg := range m.msgs {
		if msg.To == addr {
			out = append(out, msg)
		}
	}
	return out
}

var codeRE = regexp.MustCompile(`\b\d{6}\b`)

// acctEnv is a server set up for account tests: cheap password hashing, a
// captured mailbox, a settable clock and a real listener for browsers.
type acctEnv struct {
	s     *Server
	ts    *httptest.Server
	mail  *mailbox
	clock *testClock
	logs  *logBuffer
}

func newAcctEnv(t *testing.T, env map[string]string) *acctEnv {
	t.Helper()
	return newAcctEnvOn(t, env, storetest.SQLite(t))
}

// eachStore runs f on a server over each backend: SQLite always,
// PostgreSQL when SPIDERGO_TEST_DATABASE_URL is set.
func eachStore(t *testing.T, env map[string]string, f func(t *testing.T, e *acctEnv)) {
	for name, open := range storetest.Each() {
		t.Run(name, func(t *testing.T) { f(t, newAcctEnvOn(t, env, open(t))) })
	}
}

func newAcctEnvOn(t *testing.T, env map[string]string, store spidergo.Store) *acctEnv {
	t.Helper()
	e := &acctEnv{mail: &mailbox{}, clock: &testClock{t: time.Now().UTC().Truncate(time.Millisecond)}, logs: &logBuffer{}}
	s, err := newServer(t, testConfig(t, env), store, slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		testOptions{Now: e.clock.Now, PasswordParams: auth.TestParams, Mailer: e.mail})
	if err != nil {
		t.Fatal(err)
	}
	e.s = s
	e.ts = httptest.NewServer(s.Handler())
	t.Cleanup(func() { e.ts.Close(); closeServer(s) })
	return e
}

// lastCode waits for the mail to addr to settle and returns the code in
// the newest message.
func (e *acctEnv) lastCode(t *testing.T, addr string) string {
	t.Helper()
	e.s.accounts.Close()
	msgs := e.mail.to(addr)
	if len(msgs) == 0 {
		t.Fatalf("no mail to %s", addr)
	}
	code := codeRE.FindString(msgs[len(msgs)-1].Body)
	if code == "" {
		t.Fatalf("no code in mail to %s: %q", addr, msgs[len(msgs)-1].Body)
	}
	return code
}

// browser is an HTTP client with a cookie jar, like a browser tab: cookies
// go only where their Path allows.
type browser struct {
	t   *testing.T
	e   *acctEnv
	c   *http.Client
	hdr http.Header
}

func (e *acctEnv) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, e: e, hdr: http.Header{}, c: &http.Client{
		Jar: jar,
		// Redirects are answers to inspect, not to follow.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// call sends body (a string as is, anything else as JSON) and decodes a
// JSON answer.
func (b *browser) call(method, path string, body any, hdr ...string) (*http.Response, map[string]any) {
	b.t.Helper()
	var r io.Reader
	switch v := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(v)
	default:
		j, _ := json.Marshal(v)
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, b.e.ts.URL+path, r)
	if err != nil {
		b.t.Fatal(err)
	}
	if r != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range b.hdr {
		req.Header[k] = vs
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
			b.t.Fatalf("%s %s: bad JSON: %v", method, path, err)
		}
	}
	return res, m
}

// wantStatus fails unless res has status.
func wantStatus(t *testing.T, res *http.Response, body map[string]any, status int) {
	t.Helper()
	if res.StatusCode != status {
		t.Fatalf("%s %s = %d %v, want %d", res.Request.Method, res.Request.URL.Path, res.StatusCode, body, status)
	}
}

// cookie returns the cookie the browser would send to path.
func (b *browser) cookie(name, path string) string {
	u := b.e.ts.URL + path
	req, _ := http.NewRequest("GET", u, nil)
	for _, c := range b.c.Jar.Cookies(req.URL) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func (e *acctEnv) register(t *testing.T, email, password string) {
	t.Helper()
	res, body := e.browser(t).call("POST", "/auth/register", map[string]string{"first_name": "Ada", "last_name": "Lovelace", "email": email, "password": password})
	wantStatus(t, res, body, http.StatusCreated)
	// Mail goes out in the background: waiting for it keeps the mailbox in
	// the order of the requests.
	e.s.accounts.Close()
}

// login registers nothing; it signs a new browser in.
func (e *acctEnv) login(t *testing.T, email, password string) *browser {
	t.Helper()
	b := e.browser(t)
	res, body := b.call("POST", "/auth/login", map[string]string{"email": email, "password": password})
	wantStatus(t, res, body, http.StatusOK)
	return b
}

const goodPassword = "correct horse battery staple"

func TestAccountLifecycle(t *testing.T) { eachStore(t, nil, testAccountLifecycle) }

func testAccountLifecycle(t *testing.T, e *acctEnv) {
	b := e.browser(t)

	res, body := b.call("POST", "/auth/register", map[string]string{"first_name": "Ada", "last_name": "Lovelace", "email": "Ada@Example.com", "password": goodPassword})
	wantStatus(t, res, body, http.StatusCreated)
	if msg, _ := body["message"].(string); msg == "" {
		t.Errorf("register answer has no message: %v", body)
	}

	res, body = b.call("POST", "/auth/login", map[string]string{"email": "ada@example.COM", "password": goodPassword})
	wantStatus(t, res, body, http.StatusOK)
	user, _ := body["user"].(map[string]any)
	if user["email"] != "ada@example.com" || user["first_name"] != "Ada" || user["user_id"] == "" {
		t.Errorf("login user = %v", user)
	}
	if _, ok := user["password_hash"]; ok {
		t.Error("login answer carries the password hash")
	}

	res, me := b.call("GET", "/auth/me", nil)
	wantStatus(t, res, me, http.StatusOK)
	for _, k := range []string{"user_id", "first_name", "last_name", "email", "is_verified", "avatar_url", "created_at"} {
		if _, ok := me[k]; !ok {
			t.Errorf("/auth/me lacks %q: %v", k, me)
		}
	}
	if len(me) != 7 {
		t.Errorf("/auth/me has extra fields: %v", me)
	}
	if _, err := time.Parse(time.RFC3339, me["created_at"].(string)); err != nil || !strings.HasSuffix(me["created_at"].(string), "Z") {
		t.Errorf("created_at %q is not RFC 3339 UTC", me["created_at"])
	}
	if me["is_verified"] != false || me["user_id"] != user["user_id"] {
		t.Errorf("/auth/me = %v", me)
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("/auth/me Cache-Control = %q", res.Header.Get("Cache-Control"))
	}

	// Refresh rotates both tokens; the old ones die at once.
	oldAccess, oldRefresh := b.cookie(accessCookie, "/"), b.cookie(refreshCookie, refreshPath)
	if oldRefresh == "" || b.cookie(refreshCookie, "/auth/me") != "" {
		t.Fatal("refresh cookie missing, or sent beyond /auth/refresh")
	}
	res, body = b.call("GET", "/auth/refresh", nil)
	wantStatus(t, res, body, http.StatusOK)
	newAccess, newRefresh := b.cookie(accessCookie, "/"), b.cookie(refreshCookie, refreshPath)
	if newAccess == oldAccess || newRefresh == oldRefresh {
		t.Fatal("refresh did not rotate the tokens")
	}
	res, body = b.call("GET", "/auth/me", nil)
	wantStatus(t, res, body, http.StatusOK)

	stale := e.browser(t)
	res, body = stale.call("GET", "/auth/me", nil, "Cookie", accessCookie+"="+oldAccess)
	wantStatus(t, res, body, http.StatusUnauthorized)
	if body["code"] != spidergo.EUNAUTHORIZED {
		t.Errorf("stale token code = %v", body["code"])
	}

	// Replaying the old refresh token is a theft signal: the whole session
	// ends, including the tokens the rightful browser holds now.
	res, body = stale.call("GET", "/auth/refresh", nil, "Cookie", refreshCookie+"="+oldRefresh)
	wantStatus(t, res, body, http.StatusUnauthorized)
	res, body = b.call("GET", "/auth/me", nil)
	wantStatus(t, res, body, http.StatusUnauthorized)
	res, body = b.call("GET", "/auth/refresh", nil)
	wantStatus(t, res, body, http.StatusUnauthorized)

	// Sign in again, then out: the session ends server-side.
	b = e.login(t, "ada@example.com", goodPassword)
	access := b.cookie(accessCookie, "/")
	res, body = b.call("POST", "/auth/logout", nil)
	wantStatus(t, res, body, http.StatusOK)
	if b.cookie(accessCookie, "/") != "" || b.cookie(refreshCookie, refreshPath) != "" {
		t.Error("logout left cookies in the browser")
	}
	res, body = e.browser(t).call("GET", "/auth/me", nil, "Cookie", accessCookie+"="+access)
	wantStatus(t, res, body, http.StatusUnauthorized)
	res, body = b.call("POST", "/auth/logout", nil)
	wantStatus(t, res, body, http.StatusUnauthorized)

	// Deleting the account ends its sessions and frees the address.
	b = e.login(t, "ada@example.com", goodPassword)
	other := e.login(t, "ada@example.com", goodPassword)
	res, body = b.call("DELETE", "/auth/me", nil)
	wantStatus(t, res, body, http.StatusOK)
	res, body = other.call("GET", "/auth/me", nil)
	wantStatus(t, res, body, http.StatusUnauthorized)
	res, body = e.browser(t).call("POST", "/auth/login", map[string]string{"email": "ada@example.com", "password": goodPassword})
	wantStatus(t, res, body, http.StatusUnauthorized)
	e.register(t, "ada@example.com", goodPassword)
}

func TestRegisterValidation(t *testing.T) {
	e := newAcctEnv(t, nil)
	e.register(t, "taken@example.com", goodPassword)
	for _, tt := range []struct {
		name   string
		body   string
		status int
		msg    string
	}{
		{"mass assignment is_verified", `{"first_name":"A","email":"a1@example.com","password":"` + goodPassword + `","is_verified":true}`, 400, `Unknown field "is_verified"`},
		{"mass assignment role", `{"first_name":"A","email":"a2@example.com","password":"` + goodPassword + `","role":"admin"}`, 400, `Unknown field "role"`},
		{"mass assignment user_id", `{"email":"a3@example.com","password":"` + goodPassword + `","user_id":"x"}`, 400, `Unknown field "user_id"`},
		{"short password", `{"email":"a4@example.com","password":"Ab1!"}`, 400, "at least 8"},
		{"common password", `{"email":"a5@example.com","password":"Password123!"}`, 400, "too common"},
		{"missing password", `{"email":"a6@example.com"}`, 400, "at least 8"},
		{"bad email", `{"email":"not-an-email","password":"` + goodPassword + `"}`, 400, "valid email"},
		{"missing email", `{"password":"` + goodPassword + `"}`, 400, "email address is required"},
		{"display-name email", `{"email":"Eve <eve@example.com>","password":"` + goodPassword + `"}`, 400, "valid email"},
		{"control character in name", `{"first_name":"A\u0000B","email":"a7@example.com","password":"` + goodPassword + `"}`, 400, "not allowed"},
		{"taken email", `{"email":"taken@example.com","password":"` + goodPassword + `"}`, 409, "already exists"},
		{"taken email other case", `{"email":"TAKEN@example.com","password":"` + goodPassword + `"}`, 409, "already exists"},
		{"not JSON", `email=a@example.com`, 400, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, body := e.browser(t).call("POST", "/auth/register", tt.body)
			wantStatus(t, res, body, tt.status)
			if msg, _ := body["message"].(string); !strings.Contains(msg, tt.msg) {
				t.Errorf("message %q does not contain %q", msg, tt.msg)
			}
		})
	}
	// Nothing refused was created.
	users, _ := e.s.store.ListUsers(context.Background())
	if len(users) != 1 {
		t.Errorf("%d accounts exist after refused sign-ups, want 1", len(users))
	}

	for _, tt := range []struct {
		name      string
		body      map[string]string
		wantFirst string
		wantLast  string
	}{
		{"name split", map[string]string{"name": "  Grace  Brewster Hopper "}, "Grace", "Brewster Hopper"},
		{"single name", map[string]string{"name": "Cher"}, "Cher", ""},
		{"first and last win over name", map[string]string{"name": "Wrong Name", "first_name": "Alan", "last_name": "Turing"}, "Alan", "Turing"},
		{"first only wins over name", map[string]string{"name": "Wrong Name", "first_name": "Alan"}, "Alan", ""},
		{"no name at all", map[string]string{}, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			email := strings.ReplaceAll(tt.name, " ", "-") + "@example.com"
			tt.body["email"], tt.body["password"] = email, goodPassword
			res, body := e.browser(t).call("POST", "/auth/register", tt.body)
			wantStatus(t, res, body, http.StatusCreated)
			u, err := e.s.store.UserByEmail(context.Background(), email)
			if err != nil {
				t.Fatal(err)
			}
			if u.FirstName != tt.wantFirst || u.LastName != tt.wantLast {
				t.Errorf("names = %q %q, want %q %q", u.FirstName, u.LastName, tt.wantFirst, tt.wantLast)
			}
			if u.IsVerified || !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
				t.Errorf("stored user = verified %v, hash %q", u.IsVerified, u.PasswordHash)
			}
		})
	}
}

func TestLoginFailuresLookAlike(t *testing.T) {
	e := newAcctEnv(t, nil)
	e.register(t, "ada@example.com", goodPassword)
	// An account that signs in only through a provider has no password.
	if err := e.s.store.CreateUser(context.Background(), &spidergo.User{Email: "oauth@example.com", IsVerified: true}); err != nil {
		t.Fatal(err)
	}
	var first map[string]any
	for _, tt := range []struct{ name, email, password string }{
		{"wrong password", "ada@example.com", "wrong horse battery staple"},
		{"unknown email", "nobody@example.com", goodPassword},
		{"password-less account", "oauth@example.com", ""},
		{"empty password", "ada@example.com", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := e.browser(t)
			res, body := b.call("POST", "/auth/login", map[string]string{"email": tt.email, "password": tt.password})
			wantStatus(t, res, body, http.StatusUnauthorized)
			if first == nil {
				first = body
			}
			if body["message"] != first["message"] || body["code"] != first["code"] {
				t.Errorf("answer %v differs from %v", body, first)
			}
			if len(res.Cookies()) != 0 {
				t.Errorf("failed login set cookies: %v", res.Cookies())
			}
		})
	}
	res, body := e.browser(t).call("POST", "/auth/login", `{"email":"ada@example.com","password":"x","remember":true}`)
	wantStatus(t, res, body, http.StatusBadRequest)
}

func TestOneUserCannotTouchAnother(t *testing.T) {
	e := newAcctEnv(t, nil)
	e.register(t, "ada@example.com", goodPassword)
	e.register(t, "bob@example.com", "another fine passphrase")
	ada := e.login(t, "ada@example.com", goodPassword)
	bob := e.login(t, "bob@example.com", "another fine passphrase")

	_, adaMe := ada.call("GET", "/auth/me", nil)
	_, bobMe := bob.call("GET", "/auth/me", nil)
	if adaMe["email"] != "ada@example.com" || bobMe["email"] != "bob@example.com" {
		t.Fatalf("profiles: ada %v, bob %v", adaMe, bobMe)
	}
	// Only the session decides whose account a request touches: there is
	// no id to swap, and query strings or bodies are ignored.
	res, body := ada.call("GET", "/auth/me?user_id="+bobMe["user_id"].(string), nil)
	wantStatus(t, res, body, http.StatusOK)
	if body["email"] != "ada@example.com" {
		t.Errorf("ada read %v", body)
	}
	res, body = ada.call("DELETE", "/auth/me?user_id="+bobMe["user_id"].(string), nil)
	wantStatus(t, res, body, http.StatusOK)
	if _, err := e.s.store.UserByID(context.Background(), adaMe["user_id"].(string)); err == nil {
		t.Error("ada's account survived her deletion")
	}
	res, body = bob.call("GET", "/auth/me", nil)
	wantStatus(t, res, body, http.StatusOK)
	if body["email"] != "bob@example.com" {
		t.Errorf("bob sees %v", body)
	}
	// A forged cookie is just unknown.
	res, body = e.browser(t).call("GET", "/auth/me", nil, "Cookie", accessCookie+"="+auth.NewToken())
	wantStatus(t, res, body, http.StatusUnauthorized)
}

func TestCookieAttributes(t *testing.T) {
	for _, tt := range []struct {
		name       string
		env        map[string]string
		url        string
		remote     string
		header     http.Header
		wantSecure bool
	}{
		{"auto over http", nil, "http://spidergo.test/auth/login", "", nil, false},
		{"auto over TLS", nil, "https://spidergo.test/auth/login", "", nil, true},
		{"forced on", map[string]string{"SPIDERGO_SECURE_COOKIES": "true"}, "http://spidergo.test/auth/login", "", nil, true},
		{"forced off", map[string]string{"SPIDERGO_SECURE_COOKIES": "false"}, "https://spidergo.test/auth/login", "", nil, false},
		{"trusted proxy says https", map[string]string{"SPIDERGO_TRUSTED_PROXIES": "10.0.0.0/8"}, "http://spidergo.test/auth/login", "10.0.0.1:1234", http.Header{"X-Forwarded-Proto": {"https"}}, true},
		{"untrusted peer says https", nil, "http://spidergo.test/auth/login", "203.0.113.1:1234", http.Header{"X-Forwarded-Proto": {"https"}}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newAcctEnv(t, tt.env)
			e.register(t, "ada@example.com", goodPassword)
			req := httptest.NewRequest("POST", tt.url, strings.NewReader(`{"email":"ada@example.com","password":"`+goodPassword+`"}`))
			if tt.remote != "" {
				req.RemoteAddr = tt.remote
			}
			for k, v := range tt.header {
				req.Header[k] = v
			}
			rec := httptest.NewRecorder()
			e.s.Handler().ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Fatalf("login = %d %s", rec.Code, rec.Body)
			}
			got := map[string]*http.Cookie{}
			for _, c := range rec.Result().Cookies() {
				got[c.Name] = c
			}
			for _, w := range []struct {
				name, path string
				maxAge     time.Duration
			}{
				{accessCookie, "/", account.AccessTTL},
				{refreshCookie, "/auth/refresh", account.RefreshTTL},
			} {
				c := got[w.name]
				if c == nil {
					t.Fatalf("no %s cookie", w.name)
				}
				if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != w.path || c.Secure != tt.wantSecure {
					t.Errorf("%s: HttpOnly %v SameSite %v Path %q Secure %v; want true Lax %q %v", w.name, c.HttpOnly, c.SameSite, c.Path, c.Secure, w.path, tt.wantSecure)
				}
				if time.Duration(c.MaxAge)*time.Second != w.maxAge {
					t.Errorf("%s Max-Age = %ds, want %v", w.name, c.MaxAge, w.maxAge)
				}
				if len(c.Value) < 43 { // 32 bytes in base64
					t.Errorf("%s value %q is shorter than 32 random bytes", w.name, c.Value)
				}
			}
			// Only the hash is stored: the token itself finds nothing.
			ctx := context.Background()
			if _, err := e.s.store.SessionByAccessHash(ctx, auth.HashToken(got[accessCookie].Value), e.clock.Now()); err != nil {
				t.Errorf("session by hashed token: %v", err)
			}
			if _, err := e.s.store.SessionByAccessHash(ctx, got[accessCookie].Value, e.clock.Now()); err == nil {
				t.Error("the raw token is stored")
			}
		})
	}
}

func TestCrossOriginRefused(t *testing.T) {
	e := newAcctEnv(t, nil)
	e.register(t, "ada@example.com", goodPassword)
	b := e.login(t, "ada@example.com", goodPassword)
	loginBody := map[string]string{"email": "ada@example.com", "password": goodPassword}

	for _, tt := range []struct {
		name   string
		method string
		path   string
		body   any
		hdr    []string
		status int
	}{
		{"login from another origin", "POST", "/auth/login", loginBody, []string{"Origin", "https://evil.example"}, 403},
		{"login cross-site fetch", "POST", "/auth/login", loginBody, []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"register cross-site", "POST", "/auth/register", map[string]string{"email": "x@example.com", "password": goodPassword}, []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"forgot-password cross-site", "POST", "/auth/forgot-password", map[string]string{"email": "ada@example.com"}, []string{"Origin", "https://evil.example"}, 403},
		{"logout cross-site", "POST", "/auth/logout", nil, []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"delete account cross-site", "DELETE", "/auth/me", nil, []string{"Origin", "https://evil.example"}, 403},
		{"revoke all keys cross-site", "POST", "/auth/api-keys/revoke-all", nil, []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"change password cross-site", "POST", "/auth/change-password", map[string]string{"current_password": goodPassword, "new_password": "a brand new passphrase"}, []string{"Sec-Fetch-Site", "same-site"}, 403},
		{"read profile cross-site (safe method)", "GET", "/auth/me", nil, []string{"Sec-Fetch-Site", "cross-site"}, 200},
		{"login same-origin fetch", "POST", "/auth/login", loginBody, []string{"Sec-Fetch-Site", "same-origin"}, 200},
		{"login with own Origin", "POST", "/auth/login", loginBody, []string{"Origin", e.ts.URL}, 200},
		{"login with base URL origin", "POST", "/auth/login", loginBody, []string{"Origin", "http://localhost:8080"}, 200},
		{"login from curl", "POST", "/auth/login", loginBody, nil, 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, body := b.call(tt.method, tt.path, tt.body, tt.hdr...)
			wantStatus(t, res, body, tt.status)
			if tt.status == 403 {
				if body["code"] != spidergo.EFORBIDDEN || !strings.Contains(body["message"].(string), "Cross-origin") {
					t.Errorf("refusal body = %v", body)
				}
				if len(res.Cookies()) != 0 {
					t.Errorf("refused request changed cookies: %v", res.Cookies())
				}
			}
		})
	}
	// The refused logout and delete changed nothing.
	res, body := b.call("GET", "/auth/me", nil)
	wantStatus(t, res, body, http.StatusOK)
}

func TestThrottling(t *testing.T) {
	e := newAcctEnv(t, nil)
	e.register(t, "ada@example.com", goodPassword)
	b := e.browser(t)
	wrong := map[string]string{"email": "ada@example.com", "password": "not the password"}

	// Per email: wrong guesses at one account run out.
	var res *http.Response
	var body map[string]any
	for i := 0; ; i++ {
		res, body = b.call("POST", "/auth/login", wrong)
		if res.StatusCode == http.StatusTooManyRequests {
			break
		}
		wantStatus(t, res, body, http.StatusUnauthorized)
		if i > 50 {
			t.Fatal("50 wrong passwords and no throttling")
		}
	}
	if body["code"] != spidergo.ETHROTTLED || res.Header.Get("Retry-After") == "" {
		t.Errorf("throttled answer: %v, Retry-After %q", body, res.Header.Get("Retry-After"))
	}
	// Even the right password waits: otherwise the throttle would leak it.
	res, body = b.call("POST", "/auth/login", map[string]string{"email": "ada@example.com", "password": goodPassword})
	wantStatus(t, res, body, http.StatusTooManyRequests)
	e.clock.Advance(time.Minute)
	res, body = b.call("POST", "/auth/login", map[string]string{"email": "ada@example.com", "password": goodPassword})
	wantStatus(t, res, body, http.StatusOK)

	// Per address: one client spraying many accounts runs out too.
	for i := 0; ; i++ {
		res, body = b.call("POST", "/auth/login", map[string]string{"email": strings.Repeat("x", i+1) + "@example.com", "password": "whatever-password"})
		if res.StatusCode == http.StatusTooManyRequests {
			break
		}
		if i > 50 {
			t.Fatal("50 logins from one address and no throttling")
		}
	}

	// Mail-sending routes: per address asked for, whoever asks.
	for i := 0; ; i++ {
		res, body = e.browser(t).call("POST", "/auth/forgot-password", map[string]string{"email": "victim@example.com"})
		if res.StatusCode == http.StatusTooManyRequests {
			break
		}
		wantStatus(t, res, body, http.StatusOK)
		if i > 20 {
			t.Fatal("20 reset mails to one address and no throttling")
		}
	}
	e.clock.Advance(time.Hour)
	for i := 0; ; i++ {
		res, body = b.call("POST", "/auth/resend-email", map[string]string{"email": "ada@example.com"})
		if res.StatusCode == http.StatusTooManyRequests {
			break
		}
		wantStatus(t, res, body, http.StatusOK)
		if i > 20 {
			t.Fatal("20 verification mails and no throttling")
		}
	}
	e.clock.Advance(time.Hour)
	for i := 0; ; i++ {
		res, body = b.call("POST", "/auth/register", map[string]string{"email": strings.Repeat("r", i+1) + "@example.com", "password": goodPassword})
		if res.StatusCode == http.StatusTooManyRequests {
			break
		}
		wantStatus(t, res, body, http.StatusCreated)
		if i > 50 {
			t.Fatal("50 sign-ups from one address and no throttling")
		}
	}
}

func TestSessionExpiry(t *testing.T) {
	e := newAcctEnv(t, nil)
	e.register(t, "ada@example.com", goodPassword)
	b := e.login(t, "ada@example.com", goodPassword)

	// The access token lasts 15 minutes; a refresh brings a new one.
	e.clock.Advance(account.AccessTTL + time.Second)
	res, body := b.call("GET", "/auth/me", nil)
	wantStatus(t, res, body, http.StatusUnauthorized)
	res, body = b.call("GET", "/auth/refresh", nil)
	wantStatus(t, res, body, http.StatusOK)
	res, body = b.call("GET", "/auth/me", nil)
	wantStatus(t, res, body, http.StatusOK)

	// The refresh token slides: used every 6 days it keeps the session,
	// but never past 30 days from sign-in.
	for day := 6; day < 30; day += 6 {
		e.clock.Advance(6 * 24 * time.Hour)
		res, body = b.call("GET", "/auth/refresh", nil)
		wantStatus(t, res, body, http.StatusOK)
	}
	e.clock.Advance(7 * 24 * time.Hour)
	res, body = b.call("GET", "/auth/refresh", nil)
	wantStatus(t, res, body, http.StatusUnauthorized)

	// Unused for more than 7 days, the refresh token is dead.
	b = e.login(t, "ada@example.com", goodPassword)
	e.clock.Advance(account.RefreshTTL + time.Second)
	res, body = b.call("GET", "/auth/refresh", nil)
	wantStatus(t, res, body, http.StatusUnauthorized)
	res, body = e.browser(t).call("GET", "/auth/refresh", nil)
	wantStatus(t, res, body, http.StatusUnauthorized)
}

func TestChangePassword(t *testing.T) {
	e := newAcctEnv(t, nil)
	e.register(t, "ada@example.com", goodPassword)
	b := e.login(t, "ada@example.com", goodPassword)
	other := e.login(t, "ada@example.com", goodPassword)

	res, body := b.call("POST", "/auth/change-password", map[string]string{"current_password": "not it at all", "new_password": "a brand new passphrase"})
	wantStatus(t, res, body, http.StatusUnauthorized)
	res, body = b.call("POST", "/auth/change-password", map[string]string{"current_password": goodPassword, "new_password": "password1"})
	wantStatus(t, res, body, http.StatusBadRequest)
	res, body = b.call("POST", "/auth/change-password", map[string]string{"current_password": goodPassword, "new_password": "a brand new passphrase"})
	wantStatus(t, res, body, http.StatusOK)

	res, body = other.call("GET", "/auth/me", nil)
	wantStatus(t, res, body, http.StatusUnauthorized)
	res, body = b.call("GET", "/auth/me", nil)
	wantStatus(t, res, body, http.StatusOK)
	res, body = e.browser(t).call("POST", "/auth/login", map[string]string{"email": "ada@example.com", "password": goodPassword})
	wantStatus(t, res, body, http.StatusUnauthorized)
	e.login(t, "ada@example.com", "a brand new passphrase")
}

func TestOutdatedHashIsReplaced(t *testing.T) {
	e := newAcctEnv(t, nil)
	old := auth.NewHasher(auth.Params{Memory: 32, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
	h, _ := old.Hash(context.Background(), goodPassword)
	if err := e.s.store.CreateUser(context.Background(), &spidergo.User{Email: "ada@example.com", PasswordHash: h}); err != nil {
		t.Fatal(err)
	}
	e.login(t, "ada@example.com", goodPassword)
	u, _ := e.s.store.UserByEmail(context.Background(), "ada@example.com")
	if u.PasswordHash == h || !strings.Contains(u.PasswordHash, "m=64,t=1,p=1") {
		t.Errorf("hash not upgraded: %q", u.PasswordHash)
	}
	e.login(t, "ada@example.com", goodPassword)
}

func TestDeleteAccountTakesEverything(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, e *acctEnv) {
		ctx := context.Background()
		e.register(t, "ada@example.com", goodPassword)
		e.register(t, "bob@example.com", goodPassword)
		ada := e.login(t, "ada@example.com", goodPassword)
		owned := map[string]*spidergo.APIKey{}
		jobs := map[string]*spidergo.Job{}
		for _, email := range []string{"ada@example.com", "bob@example.com"} {
			u, _ := e.s.store.UserByEmail(ctx, email)
			k, _, err := spidergo.NewAPIKey(u.ID, "key", 1000)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.s.store.CreateAPIKey(ctx, k, 3); err != nil {
				t.Fatal(err)
			}
			j := &spidergo.Job{UserID: u.ID, Kind: spidergo.KindScrape, URL: "https://example.com/"}
			if err := e.s.store.CreateJob(ctx, j); err != nil {
				t.Fatal(err)
			}
			owned[email], jobs[email] = k, j
		}
		res, body := ada.call("DELETE", "/auth/me", nil)
		wantStatus(t, res, body, http.StatusOK)
		adaID := owned["ada@example.com"].UserID
		if _, err := e.s.store.APIKeyByID(ctx, owned["ada@example.com"].ID); err == nil {
			t.Error("API key outlived its account")
		}
		if _, err := e.s.store.Job(ctx, adaID, jobs["ada@example.com"].ID); err == nil {
			t.Error("history outlived its account")
		}
		if _, err := e.s.store.APIKeyByID(ctx, owned["bob@example.com"].ID); err != nil {
			t.Errorf("another account's key: %v", err)
		}
		if _, err := e.s.store.Job(ctx, owned["bob@example.com"].UserID, jobs["bob@example.com"].ID); err != nil {
			t.Errorf("another account's history: %v", err)
		}
	})
}

func TestConcurrentRefresh(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, e *acctEnv) {
		e.register(t, "ada@example.com", goodPassword)
		b := e.login(t, "ada@example.com", goodPassword)
		refresh := b.cookie(refreshCookie, refreshPath)
		const n = 6
		codes := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				req, _ := http.NewRequest("GET", e.ts.URL+"/auth/refresh", nil)
				req.AddCookie(&http.Cookie{Name: refreshCookie, Value: refresh})
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					return
				}
				res.Body.Close()
				codes[i] = res.StatusCode
			})
		}
		wg.Wait()
		ok := 0
		for _, c := range codes {
			switch c {
			case http.StatusOK:
				ok++
			case http.StatusUnauthorized:
			default:
				t.Errorf("refresh answered %d", c)
			}
		}
		if ok != 1 {
			t.Errorf("%d of %d racing refreshes with one token succeeded, want 1 (%v)", ok, n, codes)
		}
	})
}

// TestRegisterSaysWhatWasMailed: the answer claims a mail only when one
// can leave the server.
func TestRegisterSaysWhatWasMailed(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  map[string]string
		want string
		not  string
	}{
		{"no SMTP", nil, "You can sign in now.", "sent"},
		{"SMTP, verification optional", map[string]string{"SPIDERGO_SMTP_URL": "smtp://127.0.0.1:1", "SPIDERGO_REQUIRE_EMAIL_VERIFICATION": "false"}, "We sent a verification code", ""},
		{"verification required", map[string]string{"SPIDERGO_SMTP_URL": "smtp://127.0.0.1:1"}, "Enter the verification code", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newAcctEnv(t, tt.env)
			res, body := e.browser(t).call("POST", "/auth/register", map[string]string{"email": "new@example.com", "password": goodPassword})
			wantStatus(t, res, body, http.StatusCreated)
			msg, _ := body["message"].(string)
			if !strings.Contains(msg, tt.want) || (tt.not != "" && strings.Contains(msg, tt.not)) {
				t.Errorf("message = %q, want it to say %q", msg, tt.want)
			}
		})
	}
}
