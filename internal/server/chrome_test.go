package server

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The dashboard's browser tests drive Debian's Chromium through chromedp.
// They run when Chromium is installed (CI installs it) and skip, saying
// why, when it is not. axe-core, installed by `npm ci` in
// internal/web/testdata/js, checks every page they visit.

// axePath is axe-core's bundle, relative to this package.
const axePath = "../web/testdata/js/node_modules/axe-core/axe.min.js"

// artifactDir keeps what a failing browser test leaves behind (git-ignored).
const artifactDir = "testdata/artifacts"

// screenshotDir receives the documentation's screenshots when
// SPIDERGO_UPDATE_SCREENSHOTS=1.
const screenshotDir = "../../docs/img"

// chrome is one headless Chromium tab.
type chrome struct {
	t   *testing.T
	ctx context.Context
	axe string
}

// chromiumPath finds the browser: SPIDERGO_CHROMIUM_PATH, else Debian's.
func chromiumPath() string {
	for _, p := range []string{os.Getenv("SPIDERGO_CHROMIUM_PATH"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	return ""
}

// newChrome starts Chromium with the flags this closed network needs (no
// background connections, no first-run work) and a fresh profile. On
// failure the test's last screen is saved under testdata/artifacts.
func newChrome(t *testing.T) *chrome {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests skipped in -short mode")
	}
	exe := chromiumPath()
	if exe == "" {
		t.Skip("browser tests skipped: Chromium not found (apt-get install -y chromium, or set SPIDERGO_CHROMIUM_PATH)")
	}
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("axe-core is missing (%v): run `npm ci` in internal/web/testdata/js", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1100, 800),
	}
	for _, f := range []string{"headless", "no-sandbox", "disable-gpu", "disable-quic", "no-first-run", "no-default-browser-check",
		"disable-background-networking", "disable-component-update", "disable-sync", "disable-extensions",
		"disable-default-apps", "disable-dev-shm-usage", "mute-audio", "hide-scrollbars"} {
		opts = append(opts, chromedp.Flag(f, true))
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first call starts the browser, whose life is this context's: no
	// deadline here; each later step has its own.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	b := &chrome{t: t, ctx: ctx, axe: string(axe)}
	t.Cleanup(func() {
		if t.Failed() {
			b.saveArtifact()
		}
	})
	return b
}

// saveArtifact keeps a screenshot and the page's HTML of a failed test.
func (b *chrome) saveArtifact() {
	name := strings.NewReplacer("/", "_", " ", "_").Replace(b.t.Name())
	if err := os.MkdirAll(artifactDir, 0o755); err != nil {
		b.t.Logf("artifact: %v", err)
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("artifact: %v", err)
		return
	}
	p := filepath.Join(artifactDir, name+".png")
	os.WriteFile(p, png, 0o644)
	os.WriteFile(filepath.Join(artifactDir, name+".html"), []byte(html), 0o644)
	abs, _ := filepath.Abs(p)
	b.t.Logf("browser was at %s; screenshot saved to %s", loc, abs)
}

// stepTimeout bounds one browser step.
const stepTimeout = 60 * time.Second

// get runs one action and returns its value, failing the test with what
// was being done.
func get[T any](b *chrome, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// do runs steps in order.
func (b *chrome) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	get(b, what, chromedp.Steps(steps...))
}

// css is the first element matching a CSS selector.
func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// open loads path and checks the page with axe-core.
func (b *chrome) open(base, path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(base+path), chromedp.WaitReady(css("body")))
	b.checkA11y(path)
}

// text is the visible text of the first element matching sel.
func (b *chrome) text(sel string) string {
	b.t.Helper()
	return strings.TrimSpace(get(b, "read "+sel, chromedp.Text(css(sel), chromedp.NodeVisible)))
}

func (b *chrome) value(sel string) string {
	b.t.Helper()
	return get(b, "read "+sel, chromedp.Value(css(sel)))
}

func (b *chrome) location() string {
	b.t.Helper()
	return get(b, "read the location", chromedp.Location())
}

func (b *chrome) html() string {
	b.t.Helper()
	return get(b, "read the page", chromedp.OuterHTML(css("html")))
}

func evalJS[T any](b *chrome, expr string) T {
	b.t.Helper()
	return get(b, "evaluate "+expr, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// axeViolation is one rule axe-core found broken.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// checkA11y runs axe-core's WCAG 2.1 A and AA rules on the page and fails
// on serious or critical violations. The script is evaluated through the
// DevTools protocol, which the page's Content-Security-Policy does not
// govern, so the page's own policy stays as strict as in production.
func (b *chrome) checkA11y(label string) {
	b.t.Helper()
	const run = `(async () => {
  const r = await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}});
  return JSON.stringify(r.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v => ({
    id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))})));
})()`
	get(b, "inject axe-core on "+label, chromedp.Evaluate[bool](`typeof axe === "undefined" ? ((0, eval)(`+jsString(b.axe)+`), true) : true`))
	out := get(b, "axe-core on "+label, chromedp.Evaluate[string](run, chromedp.EvalAwaitPromise))
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		b.t.Fatalf("axe-core on %s: %v", label, err)
	}
	for _, v := range vs {
		b.t.Errorf("accessibility (%s) on %s: %s: %s at %s", v.Impact, label, v.ID, v.Help, strings.Join(v.Nodes, ", "))
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// screenshot saves the viewport as docs/img/name.png when
// SPIDERGO_UPDATE_SCREENSHOTS=1; the documentation shows these.
func (b *chrome) screenshot(name string) {
	b.t.Helper()
	if os.Getenv("SPIDERGO_UPDATE_SCREENSHOTS") != "1" {
		return
	}
	png := get(b, "screenshot "+name, chromedp.CaptureScreenshot())
	p := filepath.Join(screenshotDir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	if len(png) > 200<<10 {
		b.t.Errorf("screenshot %s is %d KB; keep documentation images under 200 KB", name, len(png)>>10)
	}
}

// phone switches the viewport to a phone's size.
func (b *chrome) phone(on bool) {
	b.t.Helper()
	if on {
		b.do("phone viewport", chromedp.EmulateViewport(390, 780, chromedp.EmulateMobile))
		return
	}
	b.do("desktop viewport", chromedp.EmulateReset())
}

// waitFor polls cond (a JavaScript expression) until it is true.
func (b *chrome) waitFor(what, cond string, timeout time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if get(b, "wait for "+what, chromedp.Evaluate[bool](cond)) {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s did not happen within %s", what, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
