package render

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func init() {
	sitePage("/bench", `<!doctype html><html><head><title>Bench</title></head><body><main id="root"></main><script>
const items = []; for (let i = 0; i < 200; i++) items.push("<li>Item " + i + " rendered by the page's script</li>");
document.getElementById("root").innerHTML = "<h1>Catalogue</h1><ul>" + items.join("") + "</ul>";
</script></body></html>`)
}

// treeMemory sums the proportional and resident set sizes of root and its
// descendants (Linux). In PSS, shared pages are divided between the
// processes that share them, so its sum is the browser's real memory; the
// RSS sum counts them in every process, so it is larger.
func treeMemory(root int) (pss, rss int64) {
	entries, _ := os.ReadDir("/proc")
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
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) > 1 {
			parent[pid], _ = strconv.Atoi(fields[1])
		}
	}
	for pid := range parent {
		in := false
		for p := pid; p > 1; p = parent[p] {
			if p == root {
				in = true
				break
			}
		}
		if !in {
			continue
		}
		rollup, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "smaps_rollup"))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(rollup), "\n") {
			for prefix, sum := range map[string]*int64{"Pss:": &pss, "Rss:": &rss} {
				if rest, ok := strings.CutPrefix(line, prefix); ok {
					kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
					*sum += kb << 10
				}
			}
		}
	}
	return pss, rss
}

// BenchmarkRenderPool renders a script-built page through pools of 2 and 4
// tabs and reports pages per second and the browser's peak memory: the
// PSS of its processes (peak-MB, shared pages counted once) and the sum
// of their RSS (peak-RSS-MB, shared pages counted in each process).
//
//	go test -run '^$' -bench RenderPool -benchtime 16x ./internal/render/
func BenchmarkRenderPool(b *testing.B) {
	for _, tabs := range []int{2, 4} {
		b.Run(fmt.Sprintf("tabs=%d", tabs), func(b *testing.B) {
			f := browserFixture(b)
			br, err := New(Config{ChromiumPath: os.Getenv("SPIDERGO_CHROMIUM_PATH"), Concurrency: tabs, IdleWait: 500 * time.Millisecond}, f.guard)
			if err != nil {
				b.Fatal(err)
			}
			defer br.Close()
			if _, err := br.Render(context.Background(), Request{URL: f.url("/bench")}); err != nil {
				b.Fatal(err)
			}
			br.mu.Lock()
			root := chromedp.FromContext(br.inst.ctx).Browser.Process().Pid
			br.mu.Unlock()
			var peak, peakRSS int64
			stop := make(chan struct{})
			var mon sync.WaitGroup
			mon.Go(func() {
				for {
					pss, rss := treeMemory(root)
					peak, peakRSS = max(peak, pss), max(peakRSS, rss)
					select {
					case <-stop:
						return
					case <-time.After(200 * time.Millisecond):
					}
				}
			})
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			errs := make(chan error, b.N)
			for range b.N {
				wg.Go(func() {
					res, err := br.Render(context.Background(), Request{URL: f.url("/bench")})
					if err == nil && !strings.Contains(res.HTML, "Item 199") {
						err = fmt.Errorf("page not rendered")
					}
					if err != nil {
						errs <- err
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			close(stop)
			mon.Wait()
			close(errs)
			for err := range errs {
				b.Error(err)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "pages/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
			b.ReportMetric(float64(peakRSS)/(1<<20), "peak-RSS-MB")
		})
	}
}
