package render

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spidergo/spidergo/internal/fetch"
)

func init() {
	// The page tries every way a page has to reach the canary, a loopback
	// port outside the allow list, and a metadata-style address: fetch,
	// XHR, an image, an iframe, a WebSocket, a beacon, a prefetch, a
	// worker's fetch, a redirect from the allowed site and a form post.
	mux.HandleFunc("/attack", func(w http.ResponseWriter, r *http.Request) {
		c := "http://" + fix.canary.addr()
		ws := "ws://" + fix.canary.addr()
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!doctype html><html><head><link rel="prefetch" href="%[1]s/prefetch"><link rel="stylesheet" href="%[1]s/style.css"></head><body>
<p id="ok">Allowed content</p>
<img src="%[1]s/img.png"><img src="/to-canary">
<iframe src="%[1]s/frame"></iframe>
<iframe src="http://169.254.169.254/latest/meta-data/"></iframe>
<ul id="log"></ul>
<form id="f" method="post" action="%[1]s/post" target="sink"><input name="a" value="b"></form><iframe name="sink"></iframe>
<script>
const log = (m) => { const li = document.createElement("li"); li.textContent = m; document.getElementById("log").append(li); };
fetch("%[1]s/fetch").then(() => log("fetch:reached"), () => log("fetch:blocked"));
fetch("/to-canary").then(() => log("redirect:reached"), () => log("redirect:blocked"));
fetch("http://169.254.169.254/latest/meta-data/").then(() => log("metadata:reached"), () => log("metadata:blocked"));
const x = new XMLHttpRequest(); x.open("GET", "%[1]s/xhr"); x.onload = () => log("xhr:reached"); x.onerror = () => log("xhr:blocked"); x.send();
try { const s = new WebSocket("%[2]s/ws"); s.onopen = () => log("ws:reached"); s.onerror = () => log("ws:blocked"); } catch (e) { log("ws:blocked"); }
navigator.sendBeacon("%[1]s/beacon", "x");
const wk = new Worker(URL.createObjectURL(new Blob(['fetch("%[1]s/worker").then(() => postMessage("reached"), () => postMessage("blocked"))'], {type: "text/javascript"})));
wk.onmessage = (e) => log("worker:" + e.data);
log("rtc:" + typeof window.RTCPeerConnection);
document.getElementById("f").submit();
</script></body></html>`, c, ws)
	})
	mux.HandleFunc("/to-canary", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://"+fix.canary.addr()+"/redirected", http.StatusFound)
	})
}

func TestGuardCanary(t *testing.T) {
	f := browserFixture(t)
	before := f.b.Status().Refused
	res := mustRender(t, f.b, Request{URL: f.url("/attack"), Screenshot: true, Actions: []Action{{Type: ActionWait, Milliseconds: 1500}}})
	t.Logf("timing %+v, %d requests blocked", res.Timing, res.Blocked)
	if !strings.Contains(res.HTML, `<p id="ok">Allowed content</p>`) {
		t.Errorf("the allowed page did not render:\n%s", res.HTML)
	}
	for _, probe := range []string{"fetch", "redirect", "metadata", "xhr", "ws", "worker"} {
		if !strings.Contains(res.HTML, "<li>"+probe+":blocked</li>") {
			t.Errorf("%s: the page did not see its request fail:\n%s", probe, res.HTML)
		}
	}
	if !strings.Contains(res.HTML, "<li>rtc:undefined</li>") {
		t.Errorf("RTCPeerConnection should be gone from pages:\n%s", res.HTML)
	}
	// Give late requests (beacons, the form post, the iframes) a moment
	// to arrive if they were going to.
	time.Sleep(500 * time.Millisecond)
	if n := f.canary.conns.Load(); n != 0 {
		t.Fatalf("the canary saw %d connection(s): a browser request went around the guard", n)
	}
	if res.Blocked == 0 {
		t.Error("Result.Blocked is 0, but the page's requests were refused")
	}
	// The WebSocket and the worker are not paused by the tab's
	// interception: the proxy refused them.
	if f.b.Status().Refused <= before {
		t.Error("the proxy refused nothing; the WebSocket and the worker's fetch should have reached it and been refused")
	}
	f.guard.mu.Lock()
	defer f.guard.mu.Unlock()
	if len(f.guard.refused) > 0 {
		t.Errorf("the guard let through dials to non-loopback addresses, stopped only by the test's safety net: %v", f.guard.refused)
	}
}

func TestBlockedNavigation(t *testing.T) {
	f := browserFixture(t)
	for _, u := range []string{"http://" + f.canary.addr() + "/", "http://169.254.169.254/", "http://localhost:9/", "file:///etc/passwd"} {
		_, err := f.b.Render(context.Background(), Request{URL: u})
		if k := KindOf(err); k != fetch.KindBlockedAddress && k != fetch.KindInvalidURL {
			t.Errorf("Render(%s): kind %q (%v), want blocked_address or invalid_url", u, k, err)
		}
	}
	// A name is resolved by the guard, not by the browser (here it
	// resolves to nothing), and the page gets the fetcher's kind.
	_, err := f.b.Render(context.Background(), Request{URL: "http://intranet.example/"})
	wantKind(t, err, fetch.KindDNSError)
	_, err = f.b.Render(context.Background(), Request{URL: "https://intranet.example/"})
	wantKind(t, err, fetch.KindDNSError)
	// A redirect of the navigation into a refused address is refused
	// by the interception.
	_, err = f.b.Render(context.Background(), Request{URL: f.url("/to-canary")})
	wantKind(t, err, fetch.KindBlockedAddress)
	if n := f.canary.conns.Load(); n != 0 {
		t.Fatalf("the canary saw %d connection(s)", n)
	}
}

func init() {
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "User-agent: *\nDisallow: /private\n")
	})
	sitePage("/private", `<html><body>private</body></html>`)
}

func TestRobots(t *testing.T) {
	f := browserFixture(t)
	_, err := f.b.Render(context.Background(), Request{URL: f.url("/private"), RespectRobots: true})
	wantKind(t, err, fetch.KindRobotsDisallowed)
	res := mustRender(t, f.b, Request{URL: f.url("/private")})
	if !strings.Contains(res.HTML, "private") {
		t.Errorf("without RespectRobots the page should render:\n%s", res.HTML)
	}
}

func init() {
	mux.HandleFunc("/file.bin", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="spidergo-test-download.bin"`)
		fmt.Fprint(w, strings.Repeat("x", 4096))
	})
	mux.HandleFunc("/report.pdf", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		io.WriteString(w, "%PDF-1.4\n%%EOF\n")
	})
	sitePage("/download-link", `<html><body><a id="dl" href="/file.bin" download>get</a><p>page with a download</p></body></html>`)
}

func TestDownloadsRefused(t *testing.T) {
	f := browserFixture(t)
	_, err := f.b.Render(context.Background(), Request{URL: f.url("/file.bin")})
	wantKind(t, err, KindDownloadRefused)
	// A document that is no web page is left to the HTTP fetcher.
	_, err = f.b.Render(context.Background(), Request{URL: f.url("/report.pdf")})
	wantKind(t, err, fetch.KindUnsupportedContent)

	res := mustRender(t, f.b, Request{URL: f.url("/download-link"), Actions: []Action{{Type: ActionClick, Selector: "#dl"}, {Type: ActionWait, Milliseconds: 500}}})
	if !strings.Contains(res.HTML, "page with a download") {
		t.Errorf("the page did not render:\n%s", res.HTML)
	}
	home, _ := os.UserHomeDir()
	for _, dir := range []string{filepath.Join(home, "Downloads"), home, os.TempDir()} {
		if _, err := os.Stat(filepath.Join(dir, "spidergo-test-download.bin")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the download was saved in %s (stat: %v)", dir, err)
		}
	}
}
