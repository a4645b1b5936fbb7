package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

var (
	slowArrived = make(chan struct{}, 1)
	slowRelease = make(chan struct{})
)

func init() {
	// /slow answers only when the test lets it, so a render is surely in
	// progress when the browser is killed.
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case slowArrived <- struct{}{}:
		default:
		}
		select {
		case <-slowRelease:
		case <-r.Context().Done():
		case <-time.After(15 * time.Second):
		}
		fmt.Fprint(w, "<html><body>slow</body></html>")
	})
}

func TestBrowserCrashRecovery(t *testing.T) {
	f := browserFixture(t)
	// Make sure a browser runs, and find its process.
	mustRender(t, f.b, Request{URL: f.url("/js")})
	f.b.mu.Lock()
	inst := f.b.inst
	f.b.mu.Unlock()
	proc := chromedp.FromContext(inst.ctx).Browser.Process()
	if proc == nil {
		t.Fatal("no browser process")
	}
	restarts := f.b.Status().Restarts

	errc := make(chan error, 1)
	go func() {
		_, err := f.b.Render(context.Background(), Request{URL: f.url("/slow")})
		errc <- err
	}()
	select {
	case <-slowArrived:
	case <-time.After(15 * time.Second):
		t.Fatal("the slow page was never requested")
	}
	if err := proc.Kill(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	select {
	case err := <-errc:
		wantKind(t, err, KindRenderError)
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("the render noticed the dead browser after %s", took)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the render did not end after the browser was killed")
	}

	res := mustRender(t, f.b, Request{URL: f.url("/js")})
	if !strings.Contains(res.HTML, "Built by a script") {
		t.Errorf("the render after the crash failed:\n%s", res.HTML)
	}
	if st := f.b.Status(); st.Restarts <= restarts || !st.Running {
		t.Errorf("status after the crash: %+v, want a restart and a running browser", st)
	}
}

var (
	poolMu      sync.Mutex
	poolActive  int
	poolPeak    int
	poolServed  atomic.Int64
	poolRelease = 200 * time.Millisecond
)

func init() {
	mux.HandleFunc("/pool/", func(w http.ResponseWriter, r *http.Request) {
		poolMu.Lock()
		poolActive++
		poolPeak = max(poolPeak, poolActive)
		poolMu.Unlock()
		// Hold the page until a second one is loading too (or a while
		// passes), so a pool of two is seen running two pages at once
		// however slowly tabs open on a busy machine.
		deadline := time.Now().Add(1500 * time.Millisecond)
		for time.Now().Before(deadline) {
			poolMu.Lock()
			both := poolActive >= 2
			poolMu.Unlock()
			if both {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(poolRelease)
		poolMu.Lock()
		poolActive--
		poolMu.Unlock()
		poolServed.Add(1)
		fmt.Fprintf(w, `<html><body><script>document.body.innerHTML = "<h1>page %s</h1>";</script></body></html>`, strings.TrimPrefix(r.URL.Path, "/pool/"))
	})
}

func TestPoolBoundsConcurrentPages(t *testing.T) {
	f := browserFixture(t)
	const pages = 8
	var wg sync.WaitGroup
	errs := make([]error, pages)
	htmls := make([]string, pages)
	for i := range pages {
		wg.Go(func() {
			group := "small"
			if i%2 == 0 {
				group = "big"
			}
			res, err := f.b.Render(context.Background(), Request{URL: f.url(fmt.Sprintf("/pool/%d", i)), Group: group})
			errs[i] = err
			if res != nil {
				htmls[i] = res.HTML
			}
		})
	}
	wg.Wait()
	for i := range pages {
		if errs[i] != nil {
			t.Errorf("page %d: %v", i, errs[i])
		} else if want := fmt.Sprintf("<h1>page %d</h1>", i); !strings.Contains(htmls[i], want) {
			t.Errorf("page %d lacks %q", i, want)
		}
	}
	poolMu.Lock()
	peak := poolPeak
	poolMu.Unlock()
	if peak > f.b.cfg.Concurrency {
		t.Errorf("%d pages loaded at once through a pool of %d", peak, f.b.cfg.Concurrency)
	}
	if peak < 2 {
		t.Errorf("the pool of %d never ran 2 pages at once", f.b.cfg.Concurrency)
	}
	if st := f.b.Status(); st.Busy != 0 || st.Waiting != 0 {
		t.Errorf("status after the renders: %+v", st)
	}
}

func TestCanceledRender(t *testing.T) {
	f := browserFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-slowArrived
		cancel()
	}()
	_, err := f.b.Render(ctx, Request{URL: f.url("/slow")})
	wantKind(t, err, KindCanceled)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("a canceled render should wrap context.Canceled: %v", err)
	}
	mustRender(t, f.b, Request{URL: f.url("/js")})
}

// renderers returns the pids of the renderer processes of the browser
// process root (Linux /proc).
func renderers(t *testing.T, root int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	parent := map[int]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// "pid (comm) state ppid ..."; comm may hold spaces.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) > 1 {
			parent[pid], _ = strconv.Atoi(fields[1])
		}
	}
	var out []int
	for pid := range parent {
		cmd, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
		if err != nil || !bytes.Contains(cmd, []byte("--type=renderer")) {
			continue
		}
		for p := parent[pid]; p > 1; p = parent[p] {
			if p == root {
				out = append(out, pid)
				break
			}
		}
	}
	return out
}

func init() {
	sitePage("/crash-me", `<html><body><p>about to crash</p><script>fetch("/slow");</script></body></html>`)
}

func TestTabCrashRecovery(t *testing.T) {
	f := browserFixture(t)
	mustRender(t, f.b, Request{URL: f.url("/js")})
	f.b.mu.Lock()
	inst := f.b.inst
	f.b.mu.Unlock()
	root := chromedp.FromContext(inst.ctx).Browser.Process().Pid
	restarts := f.b.Status().Restarts

	errc := make(chan error, 1)
	go func() {
		// The page loads, then waits on /slow: its renderer is alive and
		// busy when it is killed.
		_, err := f.b.Render(context.Background(), Request{URL: f.url("/crash-me"), Actions: []Action{{Type: ActionWait, Milliseconds: 10000}}})
		errc <- err
	}()
	select {
	case <-slowArrived:
	case <-time.After(15 * time.Second):
		t.Fatal("the page never requested /slow")
	}
	pids := renderers(t, root)
	if len(pids) == 0 {
		t.Fatal("found no renderer process of the browser")
	}
	for _, pid := range pids {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	select {
	case err := <-errc:
		wantKind(t, err, KindRenderError)
		if !strings.Contains(err.Error(), "crashed") {
			t.Errorf("the error should say the tab crashed: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the render did not end after its tab crashed")
	}
	res := mustRender(t, f.b, Request{URL: f.url("/js")})
	if !strings.Contains(res.HTML, "Built by a script") {
		t.Errorf("the render after the tab crash failed:\n%s", res.HTML)
	}
	if st := f.b.Status(); st.Restarts != restarts {
		t.Errorf("a tab crash restarted the browser (%d → %d restarts); only the tab should go", restarts, st.Restarts)
	}
}
