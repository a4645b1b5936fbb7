package render

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func init() {
	sitePage("/js", `<!doctype html><html><head><title>Built</title></head><body><div id="root"></div>
<script>
document.getElementById("root").innerHTML = "<p id=made>Built by a script</p>";
fetch("/api/who").then(r => r.text()).then(t => { const p = document.createElement("p"); p.id = "who"; p.textContent = t; document.body.append(p); });
const third = new URLSearchParams(location.search).get("third");
if (third) fetch(third).then(r => r.text()).then(t => { const p = document.createElement("p"); p.id = "third"; p.textContent = t; document.body.append(p); });
</script></body></html>`)
	mux.HandleFunc("/api/who", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "token=%s", r.Header.Get("X-Token"))
	})
}

func init() {
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `<html><body><script>document.body.innerHTML = "<h1>No such page</h1>";</script></body></html>`)
	})
}

func TestRenderErrorStatusIsStillAPage(t *testing.T) {
	f := browserFixture(t)
	res, err := f.b.Render(context.Background(), Request{URL: f.url("/gone")})
	wantKind(t, err, "http_4xx")
	if res == nil || res.StatusCode != http.StatusNotFound || !strings.Contains(res.HTML, "<h1>No such page</h1>") {
		t.Fatalf("a 404 should come back rendered with its status: %+v", res)
	}
}

func TestRenderScriptBuiltPage(t *testing.T) {
	f := browserFixture(t)
	third := f.third.URL + "/echo"
	res := mustRender(t, f.b, Request{URL: f.url("/js?third=" + third), Header: http.Header{"X-Token": {"t1"}}, Delay: 10 * time.Millisecond})
	f.limiter.mu.Lock()
	calls := strings.Join(f.limiter.calls, ",")
	f.limiter.mu.Unlock()
	if !strings.Contains(calls, "127.0.0.1 10ms") {
		t.Errorf("the render did not take the per-host limiter for 127.0.0.1 with its delay: %q", calls)
	}
	// The caller's header reaches the page's own host, never a third party.
	for _, want := range []string{`<p id="made">Built by a script</p>`, `<p id="who">token=t1</p>`, `<p id="third">third-party token=""</p>`, "<!DOCTYPE html>"} {
		if !strings.Contains(res.HTML, want) {
			t.Errorf("rendered DOM lacks %q:\n%s", want, res.HTML)
		}
	}
	if res.StatusCode != 200 || res.ContentType != "text/html" || res.FinalURL != f.url("/js?third="+third) {
		t.Errorf("status %d, type %q, final URL %q", res.StatusCode, res.ContentType, res.FinalURL)
	}
	if res.Timing.Total <= 0 || res.Timing.Load <= 0 {
		t.Errorf("timing not filled: %+v", res.Timing)
	}
}

func init() {
	sitePage("/late", `<html><body><p>Early</p><script>
setTimeout(() => { const p = document.createElement("p"); p.id = "late"; p.textContent = "Late content"; document.body.append(p); }, 1500);
</script></body></html>`)
}

func TestWaitFor(t *testing.T) {
	f := browserFixture(t)
	res := mustRender(t, f.b, Request{URL: f.url("/late")})
	if strings.Contains(res.HTML, `<p id="late">`) {
		t.Fatalf("without wait_for the late content should not be there yet; the test page is too fast (timing %+v)", res.Timing)
	}
	res = mustRender(t, f.b, Request{URL: f.url("/late"), WaitFor: "#late"})
	if !strings.Contains(res.HTML, `<p id="late">Late content</p>`) {
		t.Errorf("wait_for did not wait for #late:\n%s", res.HTML)
	}
	res, err := f.b.Render(context.Background(), Request{URL: f.url("/late"), WaitFor: "#never"})
	wantKind(t, err, KindWaitFor)
	if res == nil || !strings.Contains(res.HTML, "Early") {
		t.Errorf("a wait_for timeout should still return the page, got %+v", res)
	}
}

func decodePNG(t *testing.T, b []byte) (w, h int) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	return img.Bounds().Dx(), img.Bounds().Dy()
}

func init() {
	sitePage("/actions", `<html><body style="margin:0">
<button id="reveal" onclick="document.getElementById('secret').hidden = false">Show</button>
<p id="secret" hidden>Revealed text</p>
<form id="f" onsubmit="event.preventDefault(); document.getElementById('sent').textContent = 'sent:' + document.getElementById('q').value;">
<input id="q" name="q"></form>
<p id="sent"></p>
<ul id="list"></ul>
<div id="sentinel" style="height:10px"></div>
<script>
let n = 0;
function more() { for (let i = 0; i < 10 && n < 50; i++) { const li = document.createElement("li"); li.textContent = "item " + (++n); li.style.height = "120px"; document.getElementById("list").append(li); } }
more();
new IntersectionObserver(es => { if (es.some(e => e.isIntersecting)) setTimeout(more, 50); }).observe(document.getElementById("sentinel"));
</script></body></html>`)
}

func TestActions(t *testing.T) {
	f := browserFixture(t)
	res := mustRender(t, f.b, Request{URL: f.url("/actions"), Screenshot: true, FullPage: true, Actions: []Action{
		{Type: ActionClick, Selector: "#reveal"},
		{Type: ActionWrite, Selector: "#q", Text: "spider"},
		{Type: ActionPress, Key: "Enter"},
		{Type: ActionWait, Milliseconds: 100},
		{Type: ActionScreenshot},
		{Type: ActionScroll, Direction: "bottom"},
	}})
	if !strings.Contains(res.HTML, `<p id="secret">Revealed text</p>`) {
		t.Errorf("click did not reveal the text:\n%s", res.HTML)
	}
	if !strings.Contains(res.HTML, "sent:spider") {
		t.Errorf("write + press Enter did not submit the form:\n%s", res.HTML)
	}
	if !strings.Contains(res.HTML, "<li style=\"height: 120px;\">item 50</li>") {
		t.Errorf("scrolling to the bottom did not load all 50 items:\n%s", res.HTML)
	}
	if len(res.Screenshots) != 2 {
		t.Fatalf("%d screenshots, want 2 (the action's and the page's)", len(res.Screenshots))
	}
	if w, h := decodePNG(t, res.Screenshots[0]); w != desktopWidth || h != desktopHeight {
		t.Errorf("viewport screenshot is %dx%d, want %dx%d", w, h, desktopWidth, desktopHeight)
	}
	if w, h := decodePNG(t, res.Screenshots[1]); w != desktopWidth || h <= 50*120 {
		t.Errorf("full-page screenshot is %dx%d, want %d wide and taller than the list", w, h, desktopWidth)
	}

	_, err := f.b.Render(context.Background(), Request{URL: f.url("/actions"), Actions: []Action{
		{Type: ActionClick, Selector: "#reveal"},
		{Type: ActionClick, Selector: "#missing"},
	}})
	wantKind(t, err, KindActionFailed)
	if re := err.(*Error); re.Action != 1 || !strings.Contains(err.Error(), "#missing") {
		t.Errorf("the failed action should be reported as action 1 on #missing: %v", err)
	}

	_, err = f.b.Render(context.Background(), Request{URL: f.url("/actions"), Actions: []Action{{Type: "dance"}}})
	wantKind(t, err, KindInvalidRequest)
}

func init() {
	sitePage("/mobile", `<html><head><meta name="viewport" content="width=device-width, initial-scale=1"></head><body><p id="w"></p><script>document.getElementById("w").textContent = "width=" + window.innerWidth + " mobile=" + /Mobile/.test(navigator.userAgent);</script></body></html>`)
}

func TestMobile(t *testing.T) {
	f := browserFixture(t)
	res := mustRender(t, f.b, Request{URL: f.url("/mobile"), Mobile: true, Screenshot: true})
	if want := fmt.Sprintf("width=%d mobile=true", mobileWidth); !strings.Contains(res.HTML, want) {
		t.Errorf("mobile page lacks %q:\n%s", want, res.HTML)
	}
	if w, h := decodePNG(t, res.Screenshots[0]); w != mobileWidth || h != mobileHeight {
		t.Errorf("mobile screenshot is %dx%d, want %dx%d", w, h, mobileWidth, mobileHeight)
	}
	res = mustRender(t, f.b, Request{URL: f.url("/mobile")})
	if want := fmt.Sprintf("width=%d mobile=false", desktopWidth); !strings.Contains(res.HTML, want) {
		t.Errorf("desktop page lacks %q:\n%s", want, res.HTML)
	}
}

func init() {
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html><body><p>spinning</p><script>while (true) {}</script></body></html>`)
	})
}

func TestHangHitsTheDeadline(t *testing.T) {
	f := browserFixture(t)
	start := time.Now()
	_, err := f.b.Render(context.Background(), Request{URL: f.url("/hang"), Timeout: 3 * time.Second})
	wantKind(t, err, KindTimeout)
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("a 3s deadline took %s", took)
	}
	res := mustRender(t, f.b, Request{URL: f.url("/js")})
	if !strings.Contains(res.HTML, "Built by a script") {
		t.Errorf("the render after a hang failed:\n%s", res.HTML)
	}
}

func TestExecuteJavaScript(t *testing.T) {
	f := browserFixture(t)
	script := Action{Type: ActionExecuteJavaScript, Script: `(async () => { await new Promise(r => setTimeout(r, 50)); document.body.insertAdjacentHTML('beforeend', '<p id="by-script">Written by the request</p>'); return document.body; })()`}
	// The shared browser does not allow scripts.
	_, err := f.b.Render(context.Background(), Request{URL: f.url("/js"), Actions: []Action{script}})
	wantKind(t, err, KindInvalidRequest)
	if err == nil || !strings.Contains(err.Error(), ExecuteJavaScriptSetting) {
		t.Errorf("the refusal should name %s: %v", ExecuteJavaScriptSetting, err)
	}

	b, err := New(Config{ChromiumPath: os.Getenv("SPIDERGO_CHROMIUM_PATH"), Concurrency: 1, PageTimeout: 20 * time.Second, IdleWait: time.Second, ExecuteJavaScript: true}, f.guard)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !b.ExecutesJavaScript() {
		t.Fatal("ExecutesJavaScript() = false")
	}
	res := mustRender(t, b, Request{URL: f.url("/js"), Actions: []Action{script}})
	if !strings.Contains(res.HTML, `<p id="by-script">Written by the request</p>`) {
		t.Errorf("the script's change is not in the DOM:\n%s", res.HTML)
	}
	_, err = b.Render(context.Background(), Request{URL: f.url("/js"), Actions: []Action{{Type: ActionExecuteJavaScript, Script: `throw new Error("boom")`}}})
	wantKind(t, err, KindActionFailed)
	_, err = b.Render(context.Background(), Request{URL: f.url("/js"), Timeout: 2 * time.Second, Actions: []Action{{Type: ActionExecuteJavaScript, Script: `new Promise(() => {})`}}})
	wantKind(t, err, KindTimeout)
}

// TestLoadAllResources: by default a rendered page's images (without a
// screenshot) are skipped; LoadAllResources loads them.
func TestLoadAllResources(t *testing.T) {
	f := browserFixture(t)
	var hits atomic.Int32
	mux.HandleFunc("/res/pixel.png", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "image/png")
		w.Write(onePixelPNG)
	})
	sitePage("/res/page", `<html><body><h1>Pictures</h1><p>A page with one picture.</p><img src="/res/pixel.png" alt="pixel"></body></html>`)

	mustRender(t, f.b, Request{URL: f.url("/res/page")})
	if n := hits.Load(); n != 0 {
		t.Errorf("the default renderer fetched the image %d times, want it skipped", n)
	}

	all, err := New(Config{ChromiumPath: os.Getenv("SPIDERGO_CHROMIUM_PATH"), Concurrency: 1, PageTimeout: 20 * time.Second,
		MaxWait: 3 * time.Second, IdleWait: time.Second, LoadAllResources: true}, f.guard)
	if err != nil {
		t.Fatal(err)
	}
	defer all.Close()
	mustRender(t, all, Request{URL: f.url("/res/page")})
	if n := hits.Load(); n == 0 {
		t.Error("with LoadAllResources the image was never fetched")
	}
}

// onePixelPNG is a 1×1 transparent PNG.
var onePixelPNG = []byte{
	0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
	0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x00, 0x02, 0x00,
	0x00, 0x05, 0x00, 0x01, 0xe9, 0xfa, 0xdc, 0xd8, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44,
	0xae, 0x42, 0x60, 0x82,
}
