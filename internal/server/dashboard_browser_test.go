package server

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestDashboardInBrowser walks a new user through the dashboard in a real
// browser: sign up, create a key and see it exactly once, use it over HTTP
// and see today's usage rise, revoke it, crawl a local site from the
// playground and watch it finish, open it in history, sign out. axe-core
// checks every page on the way.
func TestDashboardInBrowser(t *testing.T) {
	b := newChrome(t)
	site := newSite(t, map[string]string{
		"/":           htmlPage("Garden", "/roses", "/tulips"),
		"/roses":      htmlPage("Roses", "/tulips", "/"),
		"/tulips":     htmlPage("Tulips", "/daisies"),
		"/daisies":    htmlPage("Daisies"),
		"/robots.txt": "User-agent: *\nAllow: /\n",
	})
	env := newAPIEnvWith(t, "", nil, hostOf(site.Server))
	base := env.http.URL

	// The landing page, then sign up.
	b.open(base, "/")
	b.screenshot("landing")
	b.do("go to sign-up", chromedp.Click(css(`a[href="/signup"].button`)), chromedp.WaitVisible(css("#f-first_name")))
	b.checkA11y("/signup")
	// A refused form says why next to the field.
	b.do("sign up with a short password",
		chromedp.SendKeys(css("#f-first_name"), "Ada"),
		chromedp.SendKeys(css("#f-email"), "ada@example.com"),
		chromedp.SendKeys(css("#f-password"), "short"),
		chromedp.SendKeys(css("#f-password_confirm"), "short"),
		chromedp.Submit(css("#f-email")),
		chromedp.WaitVisible(css("#f-password-error")))
	b.checkA11y("/signup with an error")
	b.do("sign up",
		chromedp.SendKeys(css("#f-password"), "correct horse battery"),
		chromedp.SendKeys(css("#f-password_confirm"), "correct horse battery"),
		chromedp.Submit(css("#f-email")),
		chromedp.WaitVisible(css(`nav a[href="/keys"]`)))
	if h := b.text("h1"); h != "Hello, Ada" {
		t.Fatalf("after sign-up the home page says %q", h)
	}
	b.checkA11y("/ signed in")

	// Create a key: shown once, never again.
	b.open(base, "/keys")
	b.do("create a key",
		chromedp.SendKeys(css("#f-name"), "Production Integrations"),
		chromedp.Submit(css("#f-name")),
		chromedp.WaitVisible(css("#new-key")))
	key := b.value("#new-key")
	if !strings.HasPrefix(key, "sk_live_") {
		t.Fatalf("new key %q", key)
	}
	if n := strings.Count(b.html(), key); n != 1 {
		t.Fatalf("the new key appears %d times on the page, want once", n)
	}
	if !strings.Contains(b.text(".created"), "you will not see it again") {
		t.Error("the new key's box does not say it is shown once")
	}
	if loc := b.location(); strings.Contains(loc, key) {
		t.Fatal("the key is in the URL")
	}
	b.checkA11y("/keys with a new key")
	b.open(base, "/keys")
	// Taken after the reload: no key, not even a throwaway one, goes into
	// a committed image.
	b.screenshot("keys")
	if strings.Contains(b.html(), key) {
		t.Fatal("the key is shown again after a reload")
	}
	if !strings.Contains(b.html(), "sk_live_…"+key[len(key)-4:]) {
		t.Error("the key list does not show sk_live_…last4")
	}
	stored := evalJS[string](b, `JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + document.cookie`)
	if strings.Contains(stored, key) {
		t.Fatal("the key is in browser storage")
	}
	if used := b.text(`[data-testid="used-today"]`); used != "0" {
		t.Fatalf("a new key shows %s used today", used)
	}

	// Use the key from here, over HTTP, and see today's usage rise.
	for range 2 {
		req, _ := http.NewRequest(http.MethodPost, base+"/v1/scrape", strings.NewReader(`{"url":"`+site.URL+`/roses"}`))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("scrape with the key: %d %s", res.StatusCode, body)
		}
	}
	b.open(base, "/keys")
	if used := b.text(`[data-testid="used-today"]`); used != "2" {
		t.Fatalf("after two requests the key shows %s used today", used)
	}
	b.open(base, "/usage")
	if !strings.Contains(b.html(), "<svg") {
		t.Fatal("the usage page has no chart")
	}
	b.screenshot("usage")

	// Revoke it, with confirmation; the key is then refused.
	b.open(base, "/keys")
	b.do("revoke", chromedp.Click(css(`a[href$="/revoke"]`)), chromedp.WaitVisible(css("button.danger")))
	b.checkA11y("revoke confirmation")
	b.do("confirm revoke", chromedp.Click(css("button.danger")), chromedp.WaitVisible(css(".flash")))
	if !strings.Contains(b.text(".flash"), "revoked") {
		t.Fatalf("after revoking: %q", b.text(".flash"))
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/v1/usage", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("a revoked key: %v %v, want 403", res, err)
	}

	// The render choice reaches the request: this server has no browser,
	// so asking for one is refused next to the choice, in words.
	b.open(base, "/playground")
	b.do("scrape with a browser",
		chromedp.SendKeys(css("#pg-url"), site.URL+"/"),
		chromedp.SetValue(css("#pg-render"), "browser"),
		chromedp.Click(css("#pg-run")))
	b.waitFor("the rendering error", `!document.getElementById("pg-render-error").hidden`, 20*time.Second)
	if msg := b.text("#pg-render-error"); !strings.Contains(msg, "not installed") {
		t.Errorf("the rendering error reads %q", msg)
	}

	// Crawl the local site from the playground and watch it finish.
	b.open(base, "/playground")
	b.do("start a crawl",
		chromedp.Click(css(`input[name="mode"][value="crawl"]`)),
		chromedp.SendKeys(css("#pg-url"), site.URL+"/"),
		chromedp.SetValue(css("#pg-limit"), "5"),
		chromedp.Click(css("#pg-run")))
	b.waitFor("the crawl to finish", `document.getElementById("pg-status").textContent.startsWith("Finished")`, 60*time.Second)
	status := b.text("#pg-status")
	if !strings.Contains(status, "completed") {
		t.Fatalf("crawl status %q", status)
	}
	if q := b.text("#pg-queue"); !strings.Contains(q, "discovered") {
		t.Errorf("the finished crawl's frontier counts read %q", q)
	}
	done, _ := strconv.Atoi(b.text(`[data-testid="pages-done"]`))
	if done != 4 {
		t.Fatalf("the crawl shows %d pages done, want the site's 4", done)
	}
	b.waitFor("the Markdown to render", `(document.querySelector("#panel-md p") || {textContent: ""}).textContent.includes("long enough story")`, 10*time.Second)
	b.checkA11y("/playground with results")
	evalJS[bool](b, `document.getElementById("pg-progress").scrollIntoView(), true`)
	b.screenshot("playground")
	b.do("open the job", chromedp.Click(css("#pg-job-link")), chromedp.WaitVisible(css(`[data-testid="job-status"]`)))
	if s := b.text(`[data-testid="job-status"]`); s != "completed" {
		t.Fatalf("the job page says %q", s)
	}
	b.checkA11y("job page")
	b.screenshot("job")
	b.open(base, "/jobs")
	if !strings.Contains(b.html(), site.URL) {
		t.Fatal("history does not list the crawl")
	}
	b.screenshot("history")

	// The remaining pages, each checked by axe-core.
	b.open(base, "/quickstart")
	b.screenshot("quickstart")
	b.open(base, "/account")
	b.screenshot("account")
	for _, p := range []string{"/account/delete", "/account/webhook-secret/rotate", "/keys/revoke-all", "/jobs/no-such-job"} {
		b.open(base, p)
	}
	b.phone(true)
	b.open(base, "/")
	b.screenshot("home-phone")
	b.phone(false)

	// Sign out; the dashboard then asks to sign in.
	b.open(base, "/")
	b.do("sign out", chromedp.Click(css(`form[action="/signout"] button`)), chromedp.WaitVisible(css(".flash")))
	if f := b.text(".flash"); !strings.Contains(f, "signed out") {
		t.Fatalf("after signing out: %q", f)
	}
	b.open(base, "/keys")
	if loc := b.location(); !strings.Contains(loc, "/signin?next=%2Fkeys") {
		t.Fatalf("signed out, /keys went to %s", loc)
	}
	for _, p := range []string{"/signup", "/forgot-password", "/reset-password", "/verify-email", "/quickstart"} {
		b.open(base, p)
	}
}
