package crawl

import (
	"context"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/spidergo/spidergo"
)

// KindServerBusy is the page error of a page whose extraction was refused
// because every extract slot stayed busy for the whole bounded wait.
const KindServerBusy = "server_busy"

// ErrServerBusy is what a synchronous request answers when one of its pages
// could not get an extract slot in time: 503 with Retry-After, the unit of
// quota given back.
var ErrServerBusy = &spidergo.Error{Code: spidergo.EUNAVAILABLE, Reason: KindServerBusy, RetryAfter: 5 * time.Second,
	Message: "The server is busy extracting other pages. Retry in a few seconds, or start the crawl with \"async\": true to have it wait its turn."}

// ExtractPool bounds the pages extracted at once across every job and
// request of the process. Parsing a large page holds its body, its tree
// and its results in memory at once: measured before the pool, 16
// concurrent scrapes of a 2.7 MB page with 100 000 links took 692 MB of
// memory and 40 took 1.1 GB. With a pool sized by cores, the excess waits
// (async crawls) or is refused after a bounded wait (synchronous requests)
// rather than growing the heap.
type ExtractPool struct {
	slots chan struct{}

	inUse   atomic.Int64
	waiting atomic.Int64
	refused atomic.Int64
	peak    atomic.Int64
}

// PoolStats are an ExtractPool's counters, for tests and metrics.
type PoolStats struct {
	Size    int   // slots
	InUse   int64 // pages being extracted now
	Waiting int64 // pages waiting for a slot now
	Refused int64 // pages refused since the start: the wait ran out
	Peak    int64 // most pages ever extracted at once
}

// NewExtractPool makes a pool of n slots; n ≤ 0 means GOMAXPROCS.
func NewExtractPool(n int) *ExtractPool {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	return &ExtractPool{slots: make(chan struct{}, n)}
}

// Acquire takes a slot. With wait > 0 it gives up after wait with
// ErrServerBusy (counted as refused); with wait ≤ 0 it waits as long as
// ctx lasts. It returns ctx's error when ctx ends first.
func (p *ExtractPool) Acquire(ctx context.Context, wait time.Duration) error {
	select {
	case p.slots <- struct{}{}:
		p.took()
		return nil
	default:
	}
	p.waiting.Add(1)
	defer p.waiting.Add(-1)
	var expired <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		expired = t.C
	}
	select {
	case p.slots <- struct{}{}:
		p.took()
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-expired:
		p.refused.Add(1)
		return ErrServerBusy
	}
}

func (p *ExtractPool) took() {
	n := p.inUse.Add(1)
	for {
		peak := p.peak.Load()
		if n <= peak || p.peak.CompareAndSwap(peak, n) {
			return
		}
	}
}

// Release gives back a slot taken by Acquire.
func (p *ExtractPool) Release() {
	p.inUse.Add(-1)
	<-p.slots
}

// Stats returns the pool's counters.
func (p *ExtractPool) Stats() PoolStats {
	return PoolStats{Size: cap(p.slots), InUse: p.inUse.Load(), Waiting: p.waiting.Load(), Refused: p.refused.Load(), Peak: p.peak.Load()}
}
