package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progressEvery is how often plain progress lines are written when
// standard error is not a terminal.
const progressEvery = 2 * time.Second

// progress reports a crawl's advance on standard error: a bar on a
// terminal, a plain line every few seconds otherwise, nothing with
// --quiet.
type progress struct {
	mu         sync.Mutex
	w          io.Writer
	bar        *progressbar.ProgressBar
	start      time.Time
	done       int
	discovered int // -1 while unknown (remote jobs)
	errors     int
	stop       chan struct{}
	stopped    sync.WaitGroup
	quiet      bool
}

func newProgress(w io.Writer, quiet bool, knowsDiscovered bool) *progress {
	p := &progress{w: w, start: time.Now(), quiet: quiet, stop: make(chan struct{})}
	if !knowsDiscovered {
		p.discovered = -1
	}
	if quiet {
		return p
	}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions64(-1,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription("crawling"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("pages"),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
		return p
	}
	p.stopped.Add(1)
	go func() {
		defer p.stopped.Done()
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.mu.Lock()
				fmt.Fprintln(p.w, p.line())
				p.mu.Unlock()
			}
		}
	}()
	return p
}

// line is the plain progress line.
func (p *progress) line() string {
	elapsed := time.Since(p.start)
	rate := float64(p.done) / max(elapsed.Seconds(), 0.001)
	of := ""
	if p.discovered >= 0 {
		of = fmt.Sprintf(" of %d discovered", p.discovered)
	}
	return fmt.Sprintf("spidergo: %d %s%s, %.1f pages/s, %d %s, %s", p.done, plural(p.done, "page", "pages"), of, rate,
		p.errors, plural(p.errors, "error", "errors"), elapsed.Round(100*time.Millisecond))
}

// discover adds n URLs admitted to the crawl.
func (p *progress) discover(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.discovered += n
	if p.bar != nil && n > 0 {
		p.bar.ChangeMax(p.discovered)
		p.show()
	}
}

// page counts one page fetched.
func (p *progress) page(failed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if failed {
		p.errors++
	}
	if p.bar != nil {
		p.show()
	}
}

// show moves the bar to the pages done. The bar takes reaching its maximum
// for the end, and stops drawing: while done equals discovered, the links
// of the last page are yet to be admitted, so the bar waits for them.
func (p *progress) show() {
	if p.discovered >= 0 && p.done >= p.discovered {
		return
	}
	p.bar.Describe(fmt.Sprintf("crawling, %d %s", p.errors, plural(p.errors, "error", "errors")))
	p.bar.Set(p.done)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// finish stops the reports and writes the last line.
func (p *progress) finish() {
	close(p.stop)
	p.stopped.Wait()
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Set(p.done)
		p.bar.Finish()
	}
	fmt.Fprintln(p.w, p.line())
}
