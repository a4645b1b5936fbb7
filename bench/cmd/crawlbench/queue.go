package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/crawl"
)

// timedQueue measures how long the engine waits on each Queue method: the
// figures that show whether storage holds a crawl back.
type timedQueue struct {
	crawl.Queue
	mu    sync.Mutex
	calls map[string][]time.Duration
}

func newTimedQueue(q crawl.Queue) *timedQueue {
	return &timedQueue{Queue: q, calls: map[string][]time.Duration{}}
}

func (q *timedQueue) record(name string, start time.Time) {
	d := time.Since(start)
	q.mu.Lock()
	q.calls[name] = append(q.calls[name], d)
	q.mu.Unlock()
}

func (q *timedQueue) Add(ctx context.Context, e []spidergo.FrontierEntry) ([]bool, error) {
	defer q.record("Add", time.Now())
	return q.Queue.Add(ctx, e)
}

func (q *timedQueue) Claim(ctx context.Context, n int) ([]spidergo.FrontierEntry, error) {
	defer q.record("Claim", time.Now())
	return q.Queue.Claim(ctx, n)
}

func (q *timedQueue) Save(ctx context.Context, p *spidergo.Page) error {
	defer q.record("Save", time.Now())
	return q.Queue.Save(ctx, p)
}

// summary is one line per method: calls, total, mean, p99 and max.
func (q *timedQueue) summary() string {
	q.mu.Lock()
	defer q.mu.Unlock()
	var b strings.Builder
	for _, name := range []string{"Add", "Claim", "Save"} {
		ds := slices.Clone(q.calls[name])
		if len(ds) == 0 {
			continue
		}
		slices.Sort(ds)
		var total time.Duration
		for _, d := range ds {
			total += d
		}
		fmt.Fprintf(&b, "%s: %d calls, %s in all, mean %s, p99 %s, max %s; ", name, len(ds),
			total.Round(time.Millisecond), (total / time.Duration(len(ds))).Round(time.Microsecond),
			ds[len(ds)*99/100].Round(time.Microsecond), ds[len(ds)-1].Round(time.Microsecond))
	}
	return strings.TrimSuffix(b.String(), "; ")
}

// claimAheadQueue claims n entries at a time from the queue beneath and
// hands them out as the engine asks: one store transaction per n pages
// instead of one per page. Entries claimed ahead are in flight in the
// store, as the engine's own are, so a restart would requeue them.
type claimAheadQueue struct {
	crawl.Queue
	n   int
	buf []spidergo.FrontierEntry
}

// Claim is only called by the job's loop goroutine.
func (q *claimAheadQueue) Claim(ctx context.Context, n int) ([]spidergo.FrontierEntry, error) {
	if len(q.buf) < n {
		more, err := q.Queue.Claim(ctx, max(n, q.n)-len(q.buf))
		if err != nil {
			return nil, err
		}
		q.buf = append(q.buf, more...)
	}
	n = min(n, len(q.buf))
	out := slices.Clone(q.buf[:n])
	q.buf = q.buf[n:]
	return out, nil
}
