package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/oauth"
)

// fakeProvider plays Google and GitHub: it issues codes for a profile the
// test sets, checks the client secret, redirect URI and PKCE verifier at
// the token endpoint, and answers the profile endpoints.
type fakeProvider struct {
	srv *httptest.Server

	mu       sync.Mutex
	profile  map[string]any   // Google userinfo, or GitHub /user
	emails   []map[string]any // GitHub /user/emails
	codes    map[string]string
	tokenReq url.Values
}

func newFakeProvider(t *testing.T) *fakeProvider {
	f := &fakeProvider{codes: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		f.mu.Lock()
		defer f.mu.Unlock()
		f.tokenReq = r.PostForm
		challenge, ok := f.codes[r.PostForm.Get("code")]
		delete(f.codes, r.PostForm.Get("code"))
		w.Header().Set("Content-Type", "application/json")
		switch {
		case !ok, r.PostForm.Get("client_secret") != "shh", oauth.Challenge(r.PostForm.Get("code_verifier")) != challenge:
			// Like GitHub: a refusal with status 200.
			json.NewEncoder(w).Encode(map[string]string{"error": "bad_verification_code"})
		default:
			json.NewEncoder(w).Encode(map[string]string{"access_token": "provider-token", "token_type": "bearer"})
		}
	})
	auth := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer provider-token" {
				http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			h(w, r)
		}
	}
	mux.HandleFunc("GET /userinfo", auth(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		json.NewEncoder(w).Encode(f.profile)
	}))
	mux.HandleFunc("GET /user", auth(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		json.NewEncoder(w).Encode(f.profile)
	}))
	mux.HandleFunc("GET /user/emails", auth(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		json.NewEncoder(w).Encode(f.emails)
	}))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeProvider) set(profile map[string]any, emails []map[string]any) {
	f.mu.Lock()
	f.profile, f.emails = profile, emails
	f.mu.Unlock()
}

// env configures both providers against the fake.
func (f *fakeProvider) env() map[string]string {
	m := map[string]string{}
	for _, p := range []string{"GOOGLE", "GITHUB"} {
		pre := "SPIDERGO_OAUTH_" + p + "_"
		m[pre+"CLIENT_ID"] = strings.ToLower(p) + "-client"
		m[pre+"CLIENT_SECRET"] = "shh"
		m[pre+"AUTH_URL"] = f.srv.URL + "/authorize"
		m[pre+"TOKEN_URL"] = f.srv.URL + "/token"
	}
	m["SPIDERGO_OAUTH_GOOGLE_USER_URL"] = f.srv.URL + "/userinfo"
	m["SPIDERGO_OAUTH_GITHUB_USER_URL"] = f.srv.URL + "/user"
	m["SPIDERGO_OAUTH_GITHUB_EMAILS_URL"] = f.srv.URL + "/user/emails"
	return m
}

// start begins a sign-in in b and plays the provider's consent screen: it
// returns the callback query the provider would redirect to.
func (f *fakeProvider) start(t *testing.T, b *browser, provider string) url.Values {
	t.Helper()
	res, body := b.call("GET", "/auth/oauth?provider="+provider, nil)
	wantStatus(t, res, body, http.StatusFound)
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), f.srv.URL+"/authorize?") {
		t.Fatalf("redirect to %q", res.Header.Get("Location"))
	}
	q := loc.Query()
	if q.Get("client_id") != provider+"-client" || q.Get("redirect_uri") != "http://localhost:8080/auth/oauth/"+provider ||
		q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || len(q.Get("state")) < 43 {
		t.Errorf("authorize query = %v", q)
	}
	var state *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == stateCookie {
			state = c
		}
	}
	if state == nil || !state.HttpOnly || state.SameSite != http.SameSiteLaxMode || state.MaxAge <= 0 || state.MaxAge > 600 {
		t.Errorf("state cookie = %+v", state)
	}
	code := "code-" + q.Get("state")[:8]
	f.mu.Lock()
	f.codes[code] = q.Get("code_challenge")
	f.mu.Unlock()
	return url.Values{"code": {code}, "state": {q.Get("state")}}
}

// finishOAuth calls the callback and, on success, checks the redirect home.
func finishOAuth(t *testing.T, b *browser, provider string, q url.Values, status int) map[string]any {
	t.Helper()
	res, body := b.call("GET", "/auth/oauth/"+provider+"?"+q.Encode(), nil)
	wantStatus(t, res, body, status)
	if status == http.StatusFound && res.Header.Get("Location") != "/" {
		t.Errorf("callback redirects to %q, want /", res.Header.Get("Location"))
	}
	if status != http.StatusFound {
		for _, c := range res.Cookies() {
			if c.Name == accessCookie && c.MaxAge > 0 {
				t.Errorf("failed callback set a session cookie")
			}
		}
	}
	return body
}

func googleProfile(sub, email string, verified bool) map[string]any {
	return map[string]any{"sub": sub, "email": email, "email_verified": verified, "given_name": "Grace", "family_name": "Hopper", "picture": "https://pics.example/g.png"}
}

func TestOAuthSignIn(t *testing.T) {
	f := newFakeProvider(t)
	eachStore(t, f.env(), func(t *testing.T, e *acctEnv) { testOAuthSignIn(t, f, e) })
}

func testOAuthSignIn(t *testing.T, f *fakeProvider, e *acctEnv) {

	t.Run("google creates an account", func(t *testing.T) {
		f.set(googleProfile("g-1", "Grace@Example.com", true), nil)
		b := e.browser(t)
		finishOAuth(t, b, "google", f.start(t, b, "google"), http.StatusFound)
		res, me := b.call("GET", "/auth/me", nil)
		wantStatus(t, res, me, http.StatusOK)
		if me["email"] != "grace@example.com" || me["first_name"] != "Grace" || me["last_name"] != "Hopper" || me["is_verified"] != true || me["avatar_url"] != "https://pics.example/g.png" {
			t.Errorf("profile = %v", me)
		}
		f.mu.Lock()
		tokenReq := f.tokenReq
		f.mu.Unlock()
		if tokenReq.Get("redirect_uri") != "http://localhost:8080/auth/oauth/google" || tokenReq.Get("grant_type") != "authorization_code" {
			t.Errorf("token request = %v", tokenReq)
		}
		// The account has no password to guess.
		u, _ := e.s.store.UserByEmail(context.Background(), "grace@example.com")
		if u.PasswordHash != "" {
			t.Error("an OAuth account got a password")
		}
		// Signing in again finds the same account by the provider's id,
		// even after the address changed there.
		f.set(googleProfile("g-1", "grace.hopper@example.com", true), nil)
		b2 := e.browser(t)
		finishOAuth(t, b2, "google", f.start(t, b2, "google"), http.StatusFound)
		_, me2 := b2.call("GET", "/auth/me", nil)
		if me2["user_id"] != me["user_id"] {
			t.Errorf("second sign-in reached %v, want %v", me2["user_id"], me["user_id"])
		}
	})

	t.Run("github uses the verified primary email", func(t *testing.T) {
		f.set(map[string]any{"id": 4242, "login": "octocat", "name": "Mona Lisa Octocat", "email": "public@example.com", "avatar_url": "https://pics.example/o.png"},
			[]map[string]any{
				{"email": "old@example.com", "primary": false, "verified": true},
				{"email": "mona@example.com", "primary": true, "verified": true},
			})
		b := e.browser(t)
		finishOAuth(t, b, "github", f.start(t, b, "github"), http.StatusFound)
		_, me := b.call("GET", "/auth/me", nil)
		if me["email"] != "mona@example.com" || me["first_name"] != "Mona" || me["last_name"] != "Lisa Octocat" || me["is_verified"] != true {
			t.Errorf("profile = %v", me)
		}
		id, err := e.s.store.IdentityBySubject(context.Background(), "github", "4242")
		if err != nil || id.UserID != me["user_id"] {
			t.Errorf("identity = %+v, %v", id, err)
		}
	})

	t.Run("links a verified address to an existing account", func(t *testing.T) {
		e.register(t, "ada@example.com", goodPassword)
		e.browser(t).call("POST", "/auth/verify-email", map[string]string{"email": "ada@example.com", "code": e.lastCode(t, "ada@example.com")})
		f.set(googleProfile("g-ada", "ada@example.com", true), nil)
		b := e.browser(t)
		finishOAuth(t, b, "google", f.start(t, b, "google"), http.StatusFound)
		_, me := b.call("GET", "/auth/me", nil)
		u, _ := e.s.store.UserByEmail(context.Background(), "ada@example.com")
		if me["user_id"] != u.ID {
			t.Errorf("signed in as %v, want the existing %v", me["user_id"], u.ID)
		}
		e.login(t, "ada@example.com", goodPassword) // the password still works
	})

	t.Run("no link without a verified address", func(t *testing.T) {
		e.register(t, "bob@example.com", goodPassword)
		for _, tt := range []struct {
			provider string
			profile  map[string]any
			emails   []map[string]any
		}{
			{"google", googleProfile("g-bob", "bob@example.com", false), nil},
			{"google", map[string]any{"sub": "g-bob", "email": "bob@example.com", "email_verified": "false"}, nil},
			{"google", googleProfile("g-new", "nobody-yet@example.com", false), nil},
			{"github", map[string]any{"id": 77, "login": "bob", "email": "bob@example.com"}, []map[string]any{{"email": "bob@example.com", "primary": true, "verified": false}}},
			{"github", map[string]any{"id": 78, "login": "bob2", "email": "bob@example.com"}, []map[string]any{{"email": "bob@example.com", "primary": false, "verified": true}, {"email": "x", "primary": true, "verified": true}}},
		} {
			f.set(tt.profile, tt.emails)
			b := e.browser(t)
			body := finishOAuth(t, b, tt.provider, f.start(t, b, tt.provider), http.StatusForbidden)
			if !strings.Contains(body["message"].(string), "verified") {
				t.Errorf("refusal = %v", body)
			}
		}
		if _, err := e.s.store.IdentityBySubject(context.Background(), "google", "g-bob"); err == nil {
			t.Error("an unverified address was linked")
		}
		if _, err := e.s.store.UserByEmail(context.Background(), "nobody-yet@example.com"); err == nil {
			t.Error("an account was created for an unverified address")
		}
	})

	t.Run("an unverified squatter loses the account to the verified owner", func(t *testing.T) {
		e.register(t, "victim@example.com", "squatter's passphrase")
		squatter := e.login(t, "victim@example.com", "squatter's passphrase")
		f.set(googleProfile("g-victim", "victim@example.com", true), nil)
		b := e.browser(t)
		finishOAuth(t, b, "google", f.start(t, b, "google"), http.StatusFound)
		res, body := squatter.call("GET", "/auth/me", nil)
		wantStatus(t, res, body, http.StatusUnauthorized)
		res, body = e.browser(t).call("POST", "/auth/login", map[string]string{"email": "victim@example.com", "password": "squatter's passphrase"})
		wantStatus(t, res, body, http.StatusUnauthorized)
		res, body = b.call("GET", "/auth/me", nil)
		wantStatus(t, res, body, http.StatusOK)
	})
}

func TestOAuthStateChecks(t *testing.T) {
	f := newFakeProvider(t)
	e := newAcctEnv(t, f.env())
	f.set(googleProfile("g-1", "grace@example.com", true), nil)

	for _, tt := range []struct {
		name   string
		mangle func(q url.Values, b *browser) *browser
		status int
	}{
		{"state mismatch", func(q url.Values, b *browser) *browser { q.Set("state", "forged-state-value"); return b }, http.StatusForbidden},
		{"missing state", func(q url.Values, b *browser) *browser { q.Del("state"); return b }, http.StatusBadRequest},
		{"missing code", func(q url.Values, b *browser) *browser { q.Del("code"); return b }, http.StatusBadRequest},
		{"no state cookie (another browser)", func(q url.Values, b *browser) *browser { return e.browser(t) }, http.StatusForbidden},
		{"provider refused", func(q url.Values, b *browser) *browser {
			q.Del("code")
			q.Set("error", "access_denied")
			return b
		}, http.StatusForbidden},
		{"code the provider refuses", func(q url.Values, b *browser) *browser { q.Set("code", "stolen"); return b }, http.StatusForbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := e.browser(t)
			q := f.start(t, b, "google")
			finishOAuth(t, tt.mangle(q, b), "google", q, tt.status)
		})
	}

	t.Run("state from the other provider", func(t *testing.T) {
		b := e.browser(t)
		q := f.start(t, b, "github")
		finishOAuth(t, b, "google", q, http.StatusForbidden)
	})

	t.Run("state is single use", func(t *testing.T) {
		b := e.browser(t)
		q := f.start(t, b, "google")
		finishOAuth(t, b, "google", q, http.StatusFound)
		finishOAuth(t, b, "google", q, http.StatusForbidden)
	})

	t.Run("a code cannot be used without its PKCE verifier", func(t *testing.T) {
		// An attacker who intercepts the code but starts their own sign-in
		// has their own state and verifier: the provider refuses.
		victim, attacker := e.browser(t), e.browser(t)
		stolen := f.start(t, victim, "google")
		own := f.start(t, attacker, "google")
		own.Set("code", stolen.Get("code"))
		finishOAuth(t, attacker, "google", own, http.StatusForbidden)
	})

	for _, tt := range []struct {
		query  string
		status int
	}{
		{"provider=myspace", http.StatusBadRequest},
		{"", http.StatusBadRequest},
	} {
		res, body := e.browser(t).call("GET", "/auth/oauth?"+tt.query, nil)
		wantStatus(t, res, body, tt.status)
	}
	// A known provider without configuration.
	plain := newAcctEnv(t, nil)
	res, body := plain.browser(t).call("GET", "/auth/oauth?provider=github", nil)
	wantStatus(t, res, body, http.StatusNotFound)
	res, body = e.browser(t).call("GET", "/auth/oauth/myspace?code=x&state=y", nil)
	wantStatus(t, res, body, http.StatusBadRequest)
	if body["code"] != spidergo.EINVALID {
		t.Errorf("unknown provider callback = %v", body)
	}
}

func TestOAuthProviderDown(t *testing.T) {
	f := newFakeProvider(t)
	e := newAcctEnv(t, f.env())
	b := e.browser(t)
	q := f.start(t, b, "google")
	f.srv.Close()
	body := finishOAuth(t, b, "google", q, http.StatusServiceUnavailable)
	if strings.Contains(body["message"].(string), "127.0.0.1") {
		t.Errorf("internal detail leaked: %v", body)
	}
}
