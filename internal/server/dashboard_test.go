package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// tab is a browser tab for the dashboard's pages: a cookie jar, no
// redirects followed, and the Sec-Fetch-Site header browsers send.
type tab struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newTab(t *testing.T, base string) *tab {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &tab{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *tab) send(method, path string, body io.Reader, hdr ...string) (*http.Response, string) {
	b.t.Helper()
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res, string(out)
}

func (b *tab) get(path string) (*http.Response, string) {
	b.t.Helper()
	return b.send(http.MethodGet, path, nil)
}

// post sends a form; hdr are extra header pairs.
func (b *tab) post(path string, form url.Values, hdr ...string) (*http.Response, string) {
	b.t.Helper()
	return b.send(http.MethodPost, path, strings.NewReader(form.Encode()), hdr...)
}

// signUp creates an account through the sign-up form, signed in.
func (b *tab) signUp(first, email string) {
	b.t.Helper()
	res, body := b.post("/signup", url.Values{"first_name": {first}, "email": {email}, "password": {"correct horse battery"}, "password_confirm": {"correct horse battery"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		b.t.Fatalf("sign-up: %d %s %s", res.StatusCode, res.Header.Get("Location"), body)
	}
}

// createKey makes a key through the form and returns it.
func (b *tab) createKey(name string) string {
	b.t.Helper()
	res, body := b.post("/keys", url.Values{"name": {name}})
	if res.StatusCode != http.StatusCreated {
		b.t.Fatalf("create key: %d %s", res.StatusCode, body)
	}
	key := keyRE.FindString(body)
	if key == "" {
		b.t.Fatalf("no key on the page: %s", body)
	}
	return key
}

var keyRE = regexp.MustCompile(`sk_live_[A-Za-z0-9_-]{20,}`)

func pageStatus(t *testing.T, what string, res *http.Response, body string, status int) {
	t.Helper()
	if res.StatusCode != status {
		t.Fatalf("%s: status %d, want %d; body: %.400s", what, res.StatusCode, status, body)
	}
}

func pageRedirect(t *testing.T, what string, res *http.Response, to string) {
	t.Helper()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != to {
		t.Fatalf("%s: %d to %q, want 303 to %q", what, res.StatusCode, res.Header.Get("Location"), to)
	}
}

// wantSignIn checks that path sends a browser without a session to sign
// in: by way of the refresh route, which finds no refresh cookie either.
func (b *tab) wantSignIn(path string) {
	b.t.Helper()
	res, _ := b.get(path)
	pageRedirect(b.t, path, res, "/auth/refresh/continue?next="+url.QueryEscape(path))
	res, _ = b.get(res.Header.Get("Location"))
	pageRedirect(b.t, path+" after trying to refresh", res, "/signin?next="+url.QueryEscape(path))
}

func TestDashboardPublicPages(t *testing.T) {
	e := newAcctEnv(t, map[string]string{"SPIDERGO_BASE_URL": "https://spider.example.org"})
	b := newTab(t, e.ts.URL)
	for _, tc := range []struct{ path, want string }{
		{"/", "Create an account"},
		{"/signup", `autocomplete="new-password"`},
		{"/signin", `name="next" value="/"`},
		{"/quickstart", "https://spider.example.org/v1/scrape"},
		{"/forgot-password", "Email me a code"},
		{"/reset-password", "Enter your reset code"},
		{"/verify-email", "Verify your email address"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			res, body := b.get(tc.path)
			pageStatus(t, tc.path, res, body, http.StatusOK)
			if !strings.Contains(body, tc.want) {
				t.Errorf("%s lacks %q", tc.path, tc.want)
			}
			if !strings.Contains(body, `<html lang="en">`) {
				t.Error("no lang on <html>")
			}
			csp := res.Header.Get("Content-Security-Policy")
			for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "default-src 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("CSP %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
				t.Errorf("CSP allows inline code: %q", csp)
			}
			for h, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"} {
				if got := res.Header.Get(h); got != want {
					t.Errorf("%s: %q, want %q", h, got, want)
				}
			}
			if regexp.MustCompile(`<script>|<script [^>]*>[^<]`).MatchString(body) || strings.Contains(body, " style=") || strings.Contains(body, " onclick=") {
				t.Error("the page has inline script or style")
			}
		})
	}
	// The quick start never holds a real key.
	_, body := b.get("/quickstart")
	if keyRE.MatchString(strings.ReplaceAll(body, "sk_live_your_key", "")) {
		t.Error("the quick start shows something that looks like a key")
	}
	res, body := b.get("/static/style.css")
	pageStatus(t, "stylesheet", res, body, http.StatusOK)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("stylesheet Content-Type %q", ct)
	}
	res, body = b.get("/static/")
	pageStatus(t, "static listing", res, body, http.StatusNotFound)
	// Paths the dashboard does not serve keep the API's JSON 404.
	res, body = b.get("/nope")
	pageStatus(t, "unknown path", res, body, http.StatusNotFound)
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Errorf("unknown path answered %s", res.Header.Get("Content-Type"))
	}
}

func TestDashboardMemberPagesNeedSignIn(t *testing.T) {
	e := newAcctEnv(t, nil)
	b := newTab(t, e.ts.URL)
	for _, p := range []string{"/keys", "/usage", "/playground", "/jobs", "/account", "/account/delete", "/jobs/x", "/keys/x/revoke"} {
		b.wantSignIn(p)
	}
	res, _ := b.post("/keys", url.Values{"name": {"x"}})
	pageRedirect(t, "POST /keys", res, "/signin?next=%2F")
}

// TestDashboardRenewsExpiredSessions: once the 15-minute access cookie is
// gone, the refresh cookie (sent only under /auth/refresh) renews the
// session and the user lands where they were going.
func TestDashboardRenewsExpiredSessions(t *testing.T) {
	e := newAcctEnv(t, nil)
	b := newTab(t, e.ts.URL)
	b.signUp("Ada", "ada@example.com")
	u, _ := url.Parse(e.ts.URL + "/auth/refresh")
	var refresh *http.Cookie
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == refreshCookie {
			refresh = c
		}
	}
	if refresh == nil {
		t.Fatal("no refresh cookie after sign-up")
	}
	// A browser whose access cookie has expired keeps only this one.
	fresh := newTab(t, e.ts.URL)
	fresh.c.Jar.SetCookies(u, []*http.Cookie{{Name: refreshCookie, Value: refresh.Value, Path: refreshPath}})
	res, _ := fresh.get("/keys?done=x")
	pageRedirect(t, "expired access", res, "/auth/refresh/continue?next=%2Fkeys%3Fdone%3Dx")
	res, _ = fresh.get(res.Header.Get("Location"))
	pageRedirect(t, "refresh", res, "/keys?done=x")
	res, body := fresh.get("/keys")
	pageStatus(t, "keys after the refresh", res, body, http.StatusOK)
	// The next= target stays on this site.
	res, _ = fresh.get("/auth/refresh/continue?next=https%3A%2F%2Fevil.example")
	pageRedirect(t, "refresh to a foreign next", res, "/")
}

func TestDashboardSignUpSignInSignOut(t *testing.T) {
	e := newAcctEnv(t, nil)
	b := newTab(t, e.ts.URL)

	res, body := b.post("/signup", url.Values{"first_name": {"Ada"}, "email": {"ada@example.com"}, "password": {"correct horse battery"}, "password_confirm": {"other"}})
	pageStatus(t, "mismatched passwords", res, body, http.StatusBadRequest)
	if !strings.Contains(body, `id="f-password_confirm-error"`) || !strings.Contains(body, `value="ada@example.com"`) {
		t.Errorf("mismatch not shown next to the field, or the email was lost: %s", body)
	}
	res, body = b.post("/signup", url.Values{"first_name": {"Ada"}, "email": {"ada@example.com"}, "password": {"short"}, "password_confirm": {"short"}})
	pageStatus(t, "weak password", res, body, http.StatusBadRequest)
	if !strings.Contains(body, `id="f-password-error"`) || !strings.Contains(body, `aria-invalid="true"`) {
		t.Errorf("weak password not shown next to its field: %s", body)
	}
	res, body = b.post("/signup", url.Values{"first_name": {"Ada"}, "email": {"not-an-email"}, "password": {"correct horse battery"}, "password_confirm": {"correct horse battery"}})
	pageStatus(t, "bad email", res, body, http.StatusBadRequest)
	if !strings.Contains(body, `id="f-email-error"`) {
		t.Errorf("bad email not shown next to its field: %s", body)
	}

	b.signUp("Ada", "ada@example.com")
	res, body = b.get("/")
	pageStatus(t, "home", res, body, http.StatusOK)
	if !strings.Contains(body, "Hello, Ada") || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("home after sign-up (Cache-Control %q): %s", res.Header.Get("Cache-Control"), body)
	}
	res, _ = b.get("/signup")
	pageRedirect(t, "sign-up page when signed in", res, "/")

	// A second sign-up with the same address is refused next to the email.
	other := newTab(t, e.ts.URL)
	res, body = other.post("/signup", url.Values{"first_name": {"Eve"}, "email": {"ada@example.com"}, "password": {"correct horse battery"}, "password_confirm": {"correct horse battery"}})
	pageStatus(t, "taken email", res, body, http.StatusConflict)
	if !strings.Contains(body, `id="f-email-error"`) {
		t.Errorf("taken email not shown next to its field: %s", body)
	}

	res, _ = b.post("/signout", nil)
	pageRedirect(t, "sign out", res, "/?done=signed-out")
	b.wantSignIn("/keys")

	res, body = b.post("/signin", url.Values{"email": {"ada@example.com"}, "password": {"wrong password!"}, "next": {"/keys"}})
	pageStatus(t, "wrong password", res, body, http.StatusUnauthorized)
	if !strings.Contains(body, "Invalid email or password.") || !strings.Contains(body, `name="next" value="/keys"`) {
		t.Errorf("wrong password page: %s", body)
	}
	res, _ = b.post("/signin", url.Values{"email": {"ada@example.com"}, "password": {"correct horse battery"}, "next": {"//evil.example/x"}})
	pageRedirect(t, "sign-in to a foreign next", res, "/")
	b.post("/signout", nil)
	res, _ = b.post("/signin", url.Values{"email": {"ada@example.com"}, "password": {"correct horse battery"}, "next": {"/keys"}})
	pageRedirect(t, "sign-in with next", res, "/keys")
}

func TestDashboardVerificationAndReset(t *testing.T) {
	e := newAcctEnv(t, map[string]string{"SPIDERGO_REQUIRE_EMAIL_VERIFICATION": "true"})
	b := newTab(t, e.ts.URL)
	res, _ := b.post("/signup", url.Values{"first_name": {"Ada"}, "email": {"ada@example.com"}, "password": {"correct horse battery"}, "password_confirm": {"correct horse battery"}})
	pageRedirect(t, "sign-up awaiting verification", res, "/verify-email?done=verify&email=ada%40example.com")
	res, _ = b.post("/signin", url.Values{"email": {"ada@example.com"}, "password": {"correct horse battery"}})
	pageRedirect(t, "unverified sign-in", res, "/verify-email?email=ada%40example.com")

	res, body := b.post("/verify-email", url.Values{"email": {"ada@example.com"}, "code": {"000000"}})
	if res.StatusCode < 400 || !strings.Contains(body, `id="f-code-error"`) {
		t.Fatalf("a wrong code: %d, error not next to the code: %s", res.StatusCode, body)
	}
	res, body = b.post("/verify-email/resend", url.Values{"email": {"ada@example.com"}})
	pageStatus(t, "resend", res, body, http.StatusOK)
	res, _ = b.post("/verify-email", url.Values{"email": {"ada@example.com"}, "code": {e.lastCode(t, "ada@example.com")}})
	pageRedirect(t, "verify", res, "/signin?done=verified")
	res, _ = b.post("/signin", url.Values{"email": {"ada@example.com"}, "password": {"correct horse battery"}})
	pageRedirect(t, "verified sign-in", res, "/")

	// Password reset: request a code, enter it, choose a new password.
	anon := newTab(t, e.ts.URL)
	res, body = anon.post("/forgot-password", url.Values{"email": {"ada@example.com"}})
	pageStatus(t, "forgot password", res, body, http.StatusOK)
	if !strings.Contains(body, `action="/reset-password/code"`) {
		t.Fatalf("after asking for a code: %s", body)
	}
	code := e.lastCode(t, "ada@example.com")
	res, body = anon.post("/reset-password/code", url.Values{"email": {"ada@example.com"}, "code": {code}})
	pageStatus(t, "reset code", res, body, http.StatusOK)
	token := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(body)
	if token == nil {
		t.Fatalf("no reset token in the new-password form: %s", body)
	}
	res, body = anon.post("/reset-password", url.Values{"email": {"ada@example.com"}, "token": {token[1]}, "password": {"short"}, "password_confirm": {"short"}})
	pageStatus(t, "weak new password", res, body, http.StatusBadRequest)
	if !strings.Contains(body, `id="f-password-error"`) {
		t.Errorf("weak new password not shown next to its field: %s", body)
	}
	res, _ = anon.post("/reset-password", url.Values{"email": {"ada@example.com"}, "token": {token[1]}, "password": {"a brand new passphrase"}, "password_confirm": {"a brand new passphrase"}})
	pageRedirect(t, "reset", res, "/signin?done=password-reset")
	// The reset ended the other session.
	res, _ = b.get("/keys")
	pageRedirect(t, "old session after reset", res, "/signin?next=%2Fkeys")
	res, _ = anon.post("/signin", url.Values{"email": {"ada@example.com"}, "password": {"a brand new passphrase"}})
	pageRedirect(t, "sign-in with the new password", res, "/")
}

func TestDashboardKeys(t *testing.T) {
	e := newAcctEnv(t, nil)
	b := newTab(t, e.ts.URL)
	b.signUp("Ada", "ada@example.com")

	res, body := b.post("/keys", url.Values{"name": {"   "}})
	pageStatus(t, "empty name", res, body, http.StatusBadRequest)
	if !strings.Contains(body, `id="f-name-error"`) {
		t.Errorf("empty name not shown next to the field: %s", body)
	}

	res, body = b.post("/keys", url.Values{"name": {"Production Integrations"}})
	pageStatus(t, "create", res, body, http.StatusCreated)
	key := keyRE.FindString(body)
	if n := strings.Count(body, key); key == "" || n != 1 {
		t.Fatalf("the new key shows %d times: %s", n, body)
	}
	if !strings.Contains(body, "you will not see it again") || res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("the new key's page lacks the warning or no-store (%q)", res.Header.Get("Cache-Control"))
	}
	res, body = b.get("/keys")
	if strings.Contains(body, key) || !strings.Contains(body, "sk_live_…"+key[len(key)-4:]) {
		t.Fatalf("the list shows the key or lacks its last four: %s", body)
	}
	if strings.Contains(e.logs.String(), key) {
		t.Fatal("the key is in the log")
	}

	b.createKey("second")
	b.createKey("third")
	_, body = b.get("/keys")
	if strings.Contains(body, `action="/keys"`) || !strings.Contains(body, "Revoke one you no longer use") {
		t.Errorf("at the limit the create form stays or the limit is not explained: %s", body)
	}
	res, body = b.post("/keys", url.Values{"name": {"fourth"}})
	pageStatus(t, "fourth key", res, body, http.StatusConflict)
	if !strings.Contains(body, `role="alert"`) || !strings.Contains(body, "revoke") {
		t.Errorf("the fourth key's refusal is not explained: %s", body)
	}

	// Revoke: a confirmation page, then the post.
	id := regexp.MustCompile(`href="/keys/([^/"]+)/revoke"`).FindStringSubmatch(body)
	if id == nil {
		t.Fatal("no revoke link")
	}
	res, body = b.get("/keys/" + id[1] + "/revoke")
	pageStatus(t, "revoke confirmation", res, body, http.StatusOK)
	if !strings.Contains(body, `action="/keys/`+id[1]+`/revoke"`) {
		t.Fatalf("confirmation page: %s", body)
	}
	// Another user cannot see or revoke it.
	eve := newTab(t, e.ts.URL)
	eve.signUp("Eve", "eve@example.com")
	res, body = eve.get("/keys/" + id[1] + "/revoke")
	pageStatus(t, "another user's revoke page", res, body, http.StatusNotFound)
	res, body = eve.post("/keys/"+id[1]+"/revoke", nil)
	pageStatus(t, "another user's revoke", res, body, http.StatusNotFound)

	res, _ = b.post("/keys/"+id[1]+"/revoke", nil)
	pageRedirect(t, "revoke", res, "/keys?done=key-revoked")
	_, body = b.get("/keys?done=key-revoked")
	if !strings.Contains(body, "The API key is revoked.") || strings.Contains(body, `href="/keys/`+id[1]+`/revoke"`) {
		t.Errorf("after revoking: %s", body)
	}
	if !strings.Contains(body, `action="/keys"`) {
		t.Error("below the limit again, the create form is missing")
	}

	// Usage: a 30-day chart per key, with a table for screen readers.
	res, body = b.get("/usage")
	pageStatus(t, "usage", res, body, http.StatusOK)
	if n := strings.Count(body, `<rect class="bar"`); n != 2*30 {
		t.Errorf("usage has %d bars, want 30 for each of 2 keys", n)
	}
	if !strings.Contains(body, `role="img"`) || !strings.Contains(body, "Requests per day as a table") {
		t.Error("the chart lacks its accessible name or its table")
	}

	// Revoke every key at once, after a confirmation.
	res, body = b.get("/keys/revoke-all")
	pageStatus(t, "revoke-all confirmation", res, body, http.StatusOK)
	res, _ = b.post("/keys/revoke-all", nil)
	pageRedirect(t, "revoke all", res, "/keys?done=keys-revoked")
	_, body = b.get("/keys")
	if strings.Contains(body, `/revoke"`) || !strings.Contains(body, "You have no active key.") {
		t.Errorf("keys left after revoking all: %s", body)
	}
}

func TestDashboardAccount(t *testing.T) {
	e := newAcctEnv(t, nil)
	b := newTab(t, e.ts.URL)
	b.signUp("Ada", "ada@example.com")

	res, body := b.get("/account")
	pageStatus(t, "account", res, body, http.StatusOK)
	secret := regexp.MustCompile(`id="webhook-secret" type="text" readonly value="([^"]+)"`).FindStringSubmatch(body)
	if secret == nil {
		t.Fatalf("no webhook secret: %s", body)
	}
	res, body = b.get("/account/webhook-secret/rotate")
	pageStatus(t, "rotate confirmation", res, body, http.StatusOK)
	res, _ = b.post("/account/webhook-secret", nil)
	pageRedirect(t, "rotate", res, "/account?done=secret-rotated")
	_, body = b.get("/account")
	if strings.Contains(body, secret[1]) {
		t.Error("the webhook secret did not change")
	}

	res, body = b.post("/account/password", url.Values{"current_password": {"wrong one!"}, "new_password": {"a brand new passphrase"}, "new_password_confirm": {"a brand new passphrase"}})
	pageStatus(t, "wrong current password", res, body, http.StatusUnauthorized)
	if !strings.Contains(body, `id="f-current_password-error"`) {
		t.Errorf("wrong current password not next to its field: %s", body)
	}
	res, body = b.post("/account/password", url.Values{"current_password": {"correct horse battery"}, "new_password": {"a brand new passphrase"}, "new_password_confirm": {"different"}})
	pageStatus(t, "mismatched new passwords", res, body, http.StatusBadRequest)
	if !strings.Contains(body, `id="f-new_password_confirm-error"`) {
		t.Errorf("mismatch not next to its field: %s", body)
	}
	res, _ = b.post("/account/password", url.Values{"current_password": {"correct horse battery"}, "new_password": {"a brand new passphrase"}, "new_password_confirm": {"a brand new passphrase"}})
	pageRedirect(t, "change password", res, "/account?done=password-changed")
	res, _ = b.get("/account")
	pageStatus(t, "still signed in after the change", res, "", http.StatusOK)

	res, body = b.post("/account/delete", url.Values{"confirm_email": {"someone@else.example"}})
	pageStatus(t, "delete with the wrong email", res, body, http.StatusBadRequest)
	if !strings.Contains(body, `id="f-confirm_email-error"`) {
		t.Errorf("the wrong email is not next to its field: %s", body)
	}
	res, _ = b.post("/account/delete", url.Values{"confirm_email": {"ADA@example.com "}})
	pageRedirect(t, "delete", res, "/?done=account-deleted")
	b.wantSignIn("/account")
	res, _ = b.post("/signin", url.Values{"email": {"ada@example.com"}, "password": {"a brand new passphrase"}})
	pageStatus(t, "sign-in to a deleted account", res, "", http.StatusUnauthorized)
}

func TestDashboardJobs(t *testing.T) {
	site := newSite(t, map[string]string{"/": htmlPage("Home", "/a"), "/a": htmlPage("A")})
	e := newAcctEnv(t, map[string]string{"SPIDERGO_FETCH_ALLOW": hostOf(site.Server)})
	ada, eve := newTab(t, e.ts.URL), newTab(t, e.ts.URL)
	ada.signUp("Ada", "ada@example.com")
	eve.signUp("Eve", "eve@example.com")

	// The playground's calls: a sync scrape, then an async crawl.
	res, body := ada.send(http.MethodPost, "/scrape", strings.NewReader(`{"url":"`+site.URL+`/"}`), "Content-Type", "application/json")
	pageStatus(t, "scrape", res, body, http.StatusOK)
	res, body = ada.send(http.MethodPost, "/crawl", strings.NewReader(`{"url":"`+site.URL+`/","async":true,"limit":5}`), "Content-Type", "application/json")
	pageStatus(t, "async crawl", res, body, http.StatusAccepted)
	var started struct {
		Message struct{ CRID string } `json:"message"`
	}
	json.Unmarshal([]byte(body), &started)
	id := started.Message.CRID
	if loc := res.Header.Get("Location"); loc != "/history/"+id {
		t.Fatalf("an async cookie crawl answers Location %q, want /history/%s", loc, id)
	}
	res, body = eve.get("/history/" + id + "/stream")
	pageStatus(t, "another user's stream", res, body, http.StatusNotFound)
	res, body = eve.send(http.MethodPost, "/history/"+id+"/cancel", nil)
	pageStatus(t, "another user's cancel", res, body, http.StatusNotFound)
	res, body = ada.get("/history/" + id + "/stream")
	pageStatus(t, "stream", res, body, http.StatusOK)
	if !strings.Contains(body, `"type":"summary"`) || strings.Count(body, `"type":"page"`) != 2 {
		t.Fatalf("stream: %s", body)
	}
	res, body = ada.send(http.MethodPost, "/history/"+id+"/cancel", nil)
	if res.StatusCode != http.StatusConflict && res.StatusCode != http.StatusOK {
		t.Fatalf("cancelling a finished job: %d %s", res.StatusCode, body)
	}

	res, body = ada.get("/jobs")
	pageStatus(t, "history", res, body, http.StatusOK)
	if strings.Count(body, `href="/jobs/`) != 2 || strings.Index(body, "Crawl") > strings.Index(body, "Scrape") {
		t.Errorf("history should list the crawl, then the older scrape: %s", body)
	}
	res, body = ada.get("/jobs/" + id)
	pageStatus(t, "job", res, body, http.StatusOK)
	if !strings.Contains(body, site.URL+"/a") || !strings.Contains(body, `class="md"`) {
		t.Errorf("the job page lacks its pages or their Markdown: %s", body)
	}

	for _, p := range []string{"/jobs/" + id, "/jobs/" + id + "/delete"} {
		res, body = eve.get(p)
		pageStatus(t, "another user's "+p, res, body, http.StatusNotFound)
	}
	res, body = eve.post("/jobs/"+id+"/delete", nil)
	pageStatus(t, "another user's delete", res, body, http.StatusNotFound)
	res, body = eve.post("/jobs/"+id+"/cancel", nil)
	pageStatus(t, "another user's cancel form", res, body, http.StatusNotFound)

	res, body = ada.get("/jobs/" + id + "/delete")
	pageStatus(t, "delete confirmation", res, body, http.StatusOK)
	res, _ = ada.post("/jobs/"+id+"/delete", nil)
	pageRedirect(t, "delete", res, "/jobs?done=job-deleted")
	res, body = ada.get("/jobs/" + id)
	pageStatus(t, "deleted job", res, body, http.StatusNotFound)

	// Crawled Markdown reaches the page sanitized.
	res, body = ada.send(http.MethodPost, "/playground/markdown",
		strings.NewReader(`{"markdown":"# Hi\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>"}`), "Content-Type", "application/json")
	pageStatus(t, "render markdown", res, body, http.StatusOK)
	var out struct{ HTML string }
	json.Unmarshal([]byte(body), &out)
	if !strings.Contains(out.HTML, "<h1>Hi</h1>") || strings.Contains(out.HTML, "<script") || strings.Contains(out.HTML, "javascript:") || strings.Contains(out.HTML, "onerror") {
		t.Fatalf("rendered Markdown: %q", out.HTML)
	}
}

func TestDashboardHistoryPaging(t *testing.T) {
	site := newSite(t, map[string]string{"/": htmlPage("Home")})
	e := newAcctEnv(t, map[string]string{"SPIDERGO_FETCH_ALLOW": hostOf(site.Server)})
	b := newTab(t, e.ts.URL)
	b.signUp("Ada", "ada@example.com")
	for range 23 {
		res, body := b.send(http.MethodPost, "/scrape", strings.NewReader(`{"url":"`+site.URL+`/"}`), "Content-Type", "application/json")
		pageStatus(t, "scrape", res, body, http.StatusOK)
	}
	_, body := b.get("/jobs")
	if n := strings.Count(body, `href="/jobs/`); n != 20 {
		t.Fatalf("the first screen lists %d jobs, want 20", n)
	}
	older := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(body)
	if older == nil || strings.Contains(body, `rel="prev"`) {
		t.Fatalf("first screen's pager: %s", body)
	}
	_, body = b.get(strings.ReplaceAll(older[1], "&amp;", "&"))
	if n := strings.Count(body, `href="/jobs/`); n != 3 {
		t.Fatalf("the second screen lists %d jobs, want 3", n)
	}
	newer := regexp.MustCompile(`href="([^"]+)" rel="prev"`).FindStringSubmatch(body)
	if newer == nil || strings.Contains(body, `rel="next"`) {
		t.Fatalf("second screen's pager: %s", body)
	}
	_, body = b.get(strings.ReplaceAll(newer[1], "&amp;", "&"))
	if n := strings.Count(body, `href="/jobs/`); n != 20 {
		t.Fatalf("back on the first screen: %d jobs", n)
	}
}

// TestDashboardRefusesCrossOrigin sends every state-changing page route a
// cross-site form, as another site's page would: each is refused with 403
// and changes nothing.
func TestDashboardRefusesCrossOrigin(t *testing.T) {
	e := newAcctEnv(t, nil)
	b := newTab(t, e.ts.URL)
	b.signUp("Ada", "ada@example.com")
	key := b.createKey("kept")
	_, body := b.get("/keys")
	keyID := regexp.MustCompile(`href="/keys/([^/"]+)/revoke"`).FindStringSubmatch(body)[1]

	forms := map[string]url.Values{
		"/signup":                    {"first_name": {"Eve"}, "email": {"eve@example.com"}, "password": {"correct horse battery"}, "password_confirm": {"correct horse battery"}},
		"/signin":                    {"email": {"ada@example.com"}, "password": {"correct horse battery"}},
		"/signout":                   nil,
		"/keys":                      {"name": {"evil"}},
		"/keys/revoke-all":           nil,
		"/keys/" + keyID + "/revoke": nil,
		"/account/password":          {"current_password": {"correct horse battery"}, "new_password": {"evil evil evil 1"}, "new_password_confirm": {"evil evil evil 1"}},
		"/account/webhook-secret":    nil,
		"/account/delete":            {"confirm_email": {"ada@example.com"}},
		"/jobs/x/delete":             nil,
		"/jobs/x/cancel":             nil,
		"/verify-email":              {"email": {"ada@example.com"}, "code": {"123456"}},
		"/verify-email/resend":       {"email": {"ada@example.com"}},
		"/forgot-password":           {"email": {"ada@example.com"}},
		"/reset-password/code":       {"email": {"ada@example.com"}, "code": {"123456"}},
		"/reset-password":            {"email": {"ada@example.com"}, "token": {"x"}, "password": {"evil evil evil 1"}, "password_confirm": {"evil evil evil 1"}},
		"/playground/markdown":       nil,
	}
	for path, form := range forms {
		for _, hdr := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Sec-Fetch-Site", "", "Origin", "https://evil.example"}} {
			res, body := b.post(path, form, hdr...)
			if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "sent from another site") {
				t.Errorf("cross-origin POST %s (%v): %d %.200s", path, hdr, res.StatusCode, body)
			}
		}
	}
	// Nothing changed: still signed in, the key still works, one key.
	res, body := b.get("/keys")
	pageStatus(t, "keys", res, body, http.StatusOK)
	if strings.Count(body, `/revoke"`) != 1 {
		t.Errorf("the keys changed: %s", body)
	}
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/v1/usage", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("the key stopped working: %v %v", res, err)
	}
}

// TestDashboardOAuthButtons shows a button for each configured provider on
// the sign-in and sign-up pages, and none when there are none.
func TestDashboardOAuthButtons(t *testing.T) {
	plain := newTab(t, newAcctEnv(t, nil).ts.URL)
	for _, p := range []string{"/signin", "/signup"} {
		if _, body := plain.get(p); strings.Contains(body, "/auth/oauth?provider=") {
			t.Errorf("%s offers a provider none is configured for", p)
		}
	}
	e := newAcctEnv(t, map[string]string{
		"SPIDERGO_OAUTH_GITHUB_CLIENT_ID": "id", "SPIDERGO_OAUTH_GITHUB_CLIENT_SECRET": "secret",
		"SPIDERGO_OAUTH_GOOGLE_CLIENT_ID": "id", "SPIDERGO_OAUTH_GOOGLE_CLIENT_SECRET": "secret",
	})
	b := newTab(t, e.ts.URL)
	for _, p := range []string{"/signin", "/signup"} {
		_, body := b.get(p)
		for _, want := range []string{`href="/auth/oauth?provider=github">Continue with GitHub`, `href="/auth/oauth?provider=google">Continue with Google`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %s", p, want)
			}
		}
	}
}

// TestDashboardCancelRunningJob: the job page of a running crawl offers a
// cancel form that stops it; the playground page itself serves signed-in
// users.
func TestDashboardCancelRunningJob(t *testing.T) {
	site := newSite(t, map[string]string{"/slow/": htmlPage("Slow", "/slow/a"), "/slow/a": htmlPage("A")})
	site.gate = make(chan struct{})
	defer close(site.gate)
	e := newAcctEnv(t, map[string]string{"SPIDERGO_FETCH_ALLOW": hostOf(site.Server)})
	b := newTab(t, e.ts.URL)
	b.signUp("Ada", "ada@example.com")
	res, body := b.get("/playground")
	pageStatus(t, "playground", res, body, http.StatusOK)
	if !strings.Contains(body, `src="/static/playground.js"`) {
		t.Error("the playground page lacks its script")
	}

	res, body = b.send(http.MethodPost, "/crawl", strings.NewReader(`{"url":"`+site.URL+`/slow/","async":true}`), "Content-Type", "application/json")
	pageStatus(t, "async crawl", res, body, http.StatusAccepted)
	id := strings.TrimPrefix(res.Header.Get("Location"), "/history/")
	<-site.started // the crawl is fetching its seed
	_, body = b.get("/jobs/" + id)
	if !strings.Contains(body, `action="/jobs/`+id+`/cancel"`) {
		t.Fatalf("a running job's page has no cancel form: %s", body)
	}
	res, _ = b.post("/jobs/"+id+"/cancel", nil)
	pageRedirect(t, "cancel", res, "/jobs/"+id)
	_, body = b.get("/jobs/" + id)
	if !strings.Contains(body, `data-testid="job-status">cancel`) {
		t.Errorf("after cancelling, the job page says: %s", regexp.MustCompile(`data-testid="job-status">[a-z]+`).FindString(body))
	}
}
