package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/render"
)

// lastRequest is the body of the fake server's latest request.
func (f *fakeAPI) lastRequest(t *testing.T) api.Request {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) == 0 {
		t.Fatal("the server got no request")
	}
	return f.requests[len(f.requests)-1]
}

// TestFlagsReachRequest checks, against a fake server, that each option
// flag lands in the API request with the API's meaning.
func TestFlagsReachRequest(t *testing.T) {
	f := newFakeAPI(t)
	env := map[string]string{"SPIDERGO_API_URL": f.URL, "SPIDERGO_API_KEY": "sk_live_cli"}
	actionsFile := filepath.Join(t.TempDir(), "actions.json")
	if err := os.WriteFile(actionsFile, []byte(`[{"type":"scroll","direction":"bottom"},{"type":"screenshot","full_page":true}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	urls := filepath.Join(t.TempDir(), "urls.txt")
	if err := os.WriteFile(urls, []byte("https://example.com/\nftp://x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args  []string
		check func(r api.Request) bool
	}{
		{[]string{"crawl", "https://example.com/", "--crawl-entire-site"}, func(r api.Request) bool { return r.CrawlEntireSite }},
		{[]string{"crawl", "https://example.com/"}, func(r api.Request) bool { return r.DeduplicateSimilarURLs == nil && !r.CrawlEntireSite }},
		{[]string{"crawl", "https://example.com/", "--no-deduplicate-similar-urls"}, func(r api.Request) bool {
			return r.DeduplicateSimilarURLs != nil && !*r.DeduplicateSimilarURLs
		}},
		{[]string{"map", "https://example.com/", "--no-deduplicate-similar-urls"}, func(r api.Request) bool {
			return r.DeduplicateSimilarURLs != nil && !*r.DeduplicateSimilarURLs
		}},
		{[]string{"batch", urls, "--ignore-invalid-urls"}, func(r api.Request) bool {
			return r.IgnoreInvalidURLs && len(r.URLs) == 2
		}},
		{[]string{"map", "https://example.com/", "--search", "blog post"}, func(r api.Request) bool { return r.Search == "blog post" }},
		{[]string{"map", "https://example.com/", "--include-titles"}, func(r api.Request) bool { return r.IncludeTitles }},
		{[]string{"scrape", "https://example.com/", "--respect-noindex"}, func(r api.Request) bool { return r.RespectNoindex }},
		{[]string{"scrape", "https://example.com/", "--omit-headline"}, func(r api.Request) bool { return r.OmitHeadline }},
		{[]string{"scrape", "https://example.com/", "--wait-for", "#app .ready"}, func(r api.Request) bool { return r.WaitFor == "#app .ready" }},
		{[]string{"scrape", "https://example.com/", "--wait-for-ms", "1500"}, func(r api.Request) bool { return r.WaitForMS == 1500 }},
		{[]string{"scrape", "https://example.com/", "--actions", `[{"type":"click","selector":"#more"},{"type":"wait","milliseconds":200}]`}, func(r api.Request) bool {
			return cmp.Equal(r.Actions, []api.Action{{Type: "click", Selector: "#more"}, {Type: "wait", Milliseconds: 200}})
		}},
		{[]string{"crawl", "https://example.com/", "--actions", "@" + actionsFile}, func(r api.Request) bool {
			return cmp.Equal(r.Actions, []api.Action{{Type: "scroll", Direction: "bottom"}, {Type: "screenshot", FullPage: true}})
		}},
		{[]string{"scrape", "https://example.com/", "--mobile"}, func(r api.Request) bool { return r.Mobile }},
		{[]string{"scrape", "https://example.com/", "--screenshot-full-page", "--formats", "screenshot"}, func(r api.Request) bool {
			return r.ScreenshotFullPage && cmp.Equal(r.Formats, []string{"screenshot", "markdown"})
		}},
		{[]string{"scrape", "https://example.com/", "--render", "browser"}, func(r api.Request) bool { return r.Render == "browser" }},
		{[]string{"scrape", "https://example.com/", "--max-age", "1h"}, func(r api.Request) bool { return r.MaxAgeMS == 3600000 }},
		{[]string{"batch", urls, "--max-age", "2s"}, func(r api.Request) bool { return r.MaxAgeMS == 2000 }},
		{[]string{"scrape", "https://example.com/", "--no-store"}, func(r api.Request) bool { return r.Store != nil && !*r.Store }},
		{[]string{"scrape", "https://example.com/"}, func(r api.Request) bool { return r.Store == nil && r.MaxAgeMS == 0 && r.Webhook == nil }},
		{[]string{"crawl", "https://example.com/", "--webhook-url", "https://hooks.example/in"}, func(r api.Request) bool {
			return cmp.Equal(r.Webhook, &api.Webhook{URL: "https://hooks.example/in"})
		}},
		{[]string{"batch", urls, "--webhook-url", "https://hooks.example/in", "--webhook-event", "page,completed", "--webhook-event", "failed"}, func(r api.Request) bool {
			return cmp.Equal(r.Webhook, &api.Webhook{URL: "https://hooks.example/in", Events: []string{"page", "completed", "failed"}})
		}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, errOut := runCLI(t, context.Background(), env, "", append(tc.args, "-q")...)
			if code == exitUsage {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if got := f.lastRequest(t); !tc.check(got) {
				t.Errorf("request = %+v", got)
			}
		})
	}
}

// TestFlagsRefused checks that a flag that cannot work where it is used
// fails with one line and exit 2 instead of being ignored.
func TestFlagsRefused(t *testing.T) {
	f := newFakeAPI(t)
	remote := map[string]string{"SPIDERGO_API_URL": f.URL, "SPIDERGO_API_KEY": "sk_live_cli"}
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"scrape", "https://example.com/", "--max-age", "1h"}, "--max-age is for remote mode"},
		{nil, []string{"scrape", "https://example.com/", "--no-store"}, "--no-store is for remote mode"},
		{nil, []string{"crawl", "https://example.com/", "--webhook-url", "https://hooks.example/"}, "--webhook-url is for remote mode"},
		{remote, []string{"crawl", "https://example.com/", "--webhook-event", "page"}, "--webhook-event needs --webhook-url"},
		{remote, []string{"scrape", "https://example.com/", "--actions", "{"}, "--actions: want a JSON array"},
		{remote, []string{"scrape", "https://example.com/", "--actions", `[{"type":"click","sel":"x"}]`}, "--actions: want a JSON array"},
		{remote, []string{"scrape", "https://example.com/", "--actions", "@/nonexistent/actions.json"}, "--actions:"},
		{nil, []string{"scrape", "https://example.com/", "--render", "http", "--mobile"}, "needs the browser"},
		{nil, []string{"scrape", "https://example.com/", "--max-age", "-1s"}, "--max-age"},
		{nil, []string{"map", "https://example.com/", "--render", "browser"}, "unknown flag --render"},
		{remote, []string{"crawl", "https://example.com/", "--no-store"}, "unknown flag --no-store"},
		{remote, []string{"batch", "-", "--no-store"}, "unknown flag --no-store"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, errOut := runCLI(t, context.Background(), tc.env, "", tc.args...)
			if code != exitUsage || !strings.Contains(errOut, tc.want) || strings.Count(errOut, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errOut, tc.want)
			}
		})
	}
}

// TestNoChromium checks that browser flags fail clearly in local mode when
// Chromium is not installed.
func TestNoChromium(t *testing.T) {
	env := map[string]string{"SPIDERGO_CHROMIUM_PATH": filepath.Join(t.TempDir(), "no-chromium")}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"scrape", "https://example.com/", "--render", "browser"}, "--render browser needs headless Chromium"},
		{[]string{"scrape", "https://example.com/", "--formats", "screenshot"}, "--formats screenshot needs headless Chromium"},
		{[]string{"scrape", "https://example.com/", "--actions", `[{"type":"wait","milliseconds":10}]`}, "--actions needs headless Chromium"},
		{[]string{"crawl", "https://example.com/", "--wait-for", "#app"}, "--wait-for needs headless Chromium"},
		{[]string{"batch", "-", "--mobile"}, "--mobile needs headless Chromium"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, errOut := runCLI(t, context.Background(), env, "https://example.com/\n", tc.args...)
			if code != exitUsage || !strings.Contains(errOut, tc.want) || strings.Count(errOut, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errOut, tc.want)
			}
		})
	}
}

// TestRemoteBatchInvalid checks that the URLs a server left out of a batch
// are reported and make the exit code 1.
func TestRemoteBatchInvalid(t *testing.T) {
	f := newFakeAPI(t)
	env := map[string]string{"SPIDERGO_API_URL": f.URL, "SPIDERGO_API_KEY": "sk_live_cli"}
	code, _, errOut := runCLI(t, context.Background(), env, "https://example.com/\nftp://x\n", "batch", "-", "--ignore-invalid-urls")
	if code != exitFailed || !strings.Contains(errOut, "not run: ftp://x") {
		t.Errorf("exit %d, stderr %s", code, errOut)
	}
}

// TestLocalBrowser renders a page whose content only JavaScript builds,
// in local mode, with actions and a screenshot.
func TestLocalBrowser(t *testing.T) {
	if err := render.Available(render.Config{}); err != nil {
		t.Skipf("local browser rendering not tested: %v", err)
	}
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><html><head><title>JS page</title></head><body><main id="app"></main>
<button id="more" onclick="document.getElementById('app').insertAdjacentHTML('beforeend','<p>Clicked for more.</p>')">more</button>
<script>document.getElementById('app').innerHTML = '<h1>Built by script</h1><p class="ready">Rendered in the browser.</p>';</script>
</body></html>`)
	}))
	defer srv.Close()
	code, out, errOut := runCLI(t, context.Background(), nil, "", "scrape", srv.URL, allowLoopback, "--render", "browser",
		"--wait-for", "p.ready", "--actions", `[{"type":"click","selector":"#more"}]`, "--no-only-main-content", "--format", "markdown")
	if code != 0 || !strings.Contains(out, "Rendered in the browser.") || !strings.Contains(out, "Clicked for more.") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, context.Background(), nil, "", "scrape", srv.URL, allowLoopback, "--formats", "screenshot", "--screenshot-full-page", "--format", "json")
	if code != 0 || !strings.Contains(out, "data:image/png;base64,") || !strings.Contains(out, `"browser"`) {
		t.Fatalf("screenshot: exit %d\nstdout %.300s\nstderr %s", code, out, errOut)
	}
}

// TestLocalMapAndBatchOptions runs the map and batch options in local
// mode against a loopback site.
func TestLocalMapAndBatchOptions(t *testing.T) {
	site := newSite(t)
	code, out, errOut := runCLI(t, context.Background(), nil, "", "map", site.URL, allowLoopback, "--include-titles", "--search", "deep a")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 4 || lines[0] != site.URL+"/a\tA" {
		t.Errorf("map --include-titles --search: exit %d %s\n%q", code, errOut, lines)
	}
	code, out, _ = runCLI(t, context.Background(), nil, "", "map", site.URL, allowLoopback, "--include-titles", "--format", "ndjson")
	if code != 0 || !strings.Contains(out, `{"url":"`+site.URL+`/b","title":"B"}`) {
		t.Errorf("map --include-titles --format ndjson: exit %d\n%s", code, out)
	}

	stdin := site.URL + "/a\nftp://nowhere.example/x\n"
	code, _, errOut = runCLI(t, context.Background(), nil, stdin, "batch", "-", allowLoopback)
	if code != exitUsage || !strings.Contains(errOut, "--ignore-invalid-urls runs the other URLs") {
		t.Errorf("batch with a bad URL: exit %d %s", code, errOut)
	}
	code, out, errOut = runCLI(t, context.Background(), nil, stdin, "batch", "-", allowLoopback, "--ignore-invalid-urls", "--format", "ndjson")
	if code != exitFailed || strings.Count(out, "\n") != 1 || !strings.Contains(errOut, "not run: ftp://nowhere.example/x") || !strings.Contains(errOut, "1 URLs were not run") {
		t.Errorf("batch --ignore-invalid-urls: exit %d\n%s\n%s", code, out, errOut)
	}
}
