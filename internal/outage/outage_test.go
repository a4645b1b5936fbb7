package outage

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestWatch(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	w := New("redis", "limits fall back", log)
	clock := time.Unix(1e9, 0)
	w.SetClock(func() time.Time { return clock })
	refused := errors.New("connection refused")

	steps := []struct {
		name     string
		advance  time.Duration
		report   error
		wantTry  bool
		wantDown bool
	}{
		{name: "up", report: nil, wantTry: true},
		{name: "goes down", report: refused, wantTry: true, wantDown: true},
		{name: "still down: not tried", wantTry: false, wantDown: true},
		{name: "a retry, still failing", advance: RetryEvery, report: refused, wantTry: true, wantDown: true},
		{name: "still down after the retry", advance: RetryEvery / 2, wantTry: false, wantDown: true},
		{name: "a retry that answers", advance: RetryEvery, report: nil, wantTry: true},
		{name: "up again", wantTry: true},
	}
	for _, s := range steps {
		clock = clock.Add(s.advance)
		tried := w.Try()
		if tried != s.wantTry {
			t.Errorf("%s: Try = %v, want %v", s.name, tried, s.wantTry)
		}
		if tried {
			w.Report(s.report)
		}
		if down := w.Err() != nil; down != s.wantDown {
			t.Errorf("%s: down = %v, want %v", s.name, down, s.wantDown)
		}
	}
	logged := buf.String()
	if n := strings.Count(logged, "redis is unavailable; limits fall back"); n != 1 {
		t.Errorf("the outage was logged %d times, want once:\n%s", n, logged)
	}
	if n := strings.Count(logged, "redis is available again"); n != 1 || !strings.Contains(logged, "down_for=2.5s") {
		t.Errorf("the recovery was logged %d times (want once, with its 2.5s):\n%s", n, logged)
	}
}

func TestNilWatchIsAlwaysUp(t *testing.T) {
	var w *Watch
	w.Report(errors.New("ignored"))
	if !w.Try() || w.Err() != nil || w.Name() != "" {
		t.Error("a nil watch is not up")
	}
}

// TestWatchConcurrent: many callers failing at once still log one outage,
// and while it lasts only one of them per interval tries again.
func TestWatchConcurrent(t *testing.T) {
	var buf syncBuffer
	w := New("redis", "x", slog.New(slog.NewTextHandler(&buf, nil)))
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { w.Report(errors.New("refused")) })
	}
	wg.Wait()
	tries := 0
	for range 50 {
		if w.Try() {
			tries++
		}
	}
	if tries != 0 {
		t.Errorf("%d tries right after the outage, want none", tries)
	}
	if n := strings.Count(buf.String(), "is unavailable"); n != 1 {
		t.Errorf("logged %d times, want once", n)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
