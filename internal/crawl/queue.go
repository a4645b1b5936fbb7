package crawl

import (
	"context"
	"sync"
	"time"

	"github.com/spidergo/spidergo"
)

// StoreQueue keeps a job's frontier and pages in the store. Its claims
// carry Owner and a lease of TTL from Now; the owner keeps extending the
// lease while it runs the job (KeepLease).
type StoreQueue struct {
	Store spidergo.JobStore
	JobID string
	Owner string
	TTL   time.Duration
	Now   func() time.Time
	// Observer, when set, is told how long each SavePage took.
	Observer Observer
}

func (q StoreQueue) lease() spidergo.Lease {
	return spidergo.Lease{Owner: q.Owner, Until: q.Now().Add(q.TTL)}
}

// KeepLease extends the owner's claims every TTL/3 until ctx ends, so a
// slow page never loses its claim to another worker.
func (q StoreQueue) KeepLease(ctx context.Context, onErr func(error)) {
	t := time.NewTicker(q.TTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := q.Store.ExtendLease(ctx, q.JobID, q.lease()); err != nil && ctx.Err() == nil {
				onErr(err)
			}
		}
	}
}

func (q StoreQueue) Add(ctx context.Context, e []spidergo.FrontierEntry) ([]bool, error) {
	return q.Store.AddFrontier(ctx, q.JobID, e)
}

// Admit implements Admitter: the store dedups, folds and counts against
// the limit, so the run keeps nothing per URL.
func (q StoreQueue) Admit(ctx context.Context, limit int, e []spidergo.FrontierEntry, skipped map[string]int) ([]spidergo.Admission, error) {
	return q.Store.AdmitFrontier(ctx, q.JobID, limit, e, skipped)
}

// Open implements Shared.
func (q StoreQueue) Open(ctx context.Context) (int, error) {
	return q.Store.OpenFrontier(ctx, q.JobID)
}

func (q StoreQueue) Claim(ctx context.Context, n int) ([]spidergo.FrontierEntry, error) {
	return q.Store.ClaimFrontier(ctx, q.JobID, q.lease(), n)
}

func (q StoreQueue) Save(ctx context.Context, p *spidergo.Page) error {
	if q.Observer == nil {
		return q.Store.SavePage(ctx, q.JobID, p)
	}
	start := time.Now()
	err := q.Store.SavePage(ctx, q.JobID, p)
	q.Observer.PageSaved(time.Since(start))
	return err
}

// pageBatchStore is a store that saves several pages of a job in one
// transaction (sqlstore.DB does).
type pageBatchStore interface {
	SavePages(ctx context.Context, jobID string, pages []*spidergo.Page) error
}

// SaveBatch stores pages in one transaction when the store can, else one
// by one.
func (q StoreQueue) SaveBatch(ctx context.Context, pages []*spidergo.Page) error {
	bs, ok := q.Store.(pageBatchStore)
	if !ok {
		for _, p := range pages {
			if err := q.Save(ctx, p); err != nil {
				return err
			}
		}
		return nil
	}
	if q.Observer == nil {
		return bs.SavePages(ctx, q.JobID, pages)
	}
	start := time.Now()
	err := bs.SavePages(ctx, q.JobID, pages)
	// What each page waited for its batch's write.
	d := time.Since(start)
	for range pages {
		q.Observer.PageSaved(d)
	}
	return err
}

func (q StoreQueue) Skip(ctx context.Context, s map[string]int) error {
	return q.Store.AddSkipped(ctx, q.JobID, s)
}

// Admitter is a Queue that decides admissions itself, under the job's
// limit and with fold keys, and counts what it refuses with skipped (links
// left out before admission) at once: the engine then keeps no state per
// URL, and a job's skip counts are whole once its pages are stored.
type Admitter interface {
	Admit(ctx context.Context, limit int, entries []spidergo.FrontierEntry, skipped map[string]int) ([]spidergo.Admission, error)
}

// Shared is a Queue other runs of the job may claim from at the same time
// (parts on other workers). A run with nothing left to claim ends only once
// Open reports no entry queued or in flight anywhere; until then it looks
// again now and then, since another run's pages may admit more.
type Shared interface {
	Open(ctx context.Context) (int, error)
}

// MemQueue keeps a small job entirely in memory: trials, which store
// nothing.
type MemQueue struct {
	mu      sync.Mutex
	seen    map[string]bool
	queued  []spidergo.FrontierEntry
	Pages   []*spidergo.Page
	Skipped map[string]int
}

// NewMemQueue returns an empty in-memory queue.
func NewMemQueue() *MemQueue {
	return &MemQueue{seen: map[string]bool{}, Skipped: map[string]int{}}
}

func (q *MemQueue) Add(_ context.Context, entries []spidergo.FrontierEntry) ([]bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	added := make([]bool, len(entries))
	for i, e := range entries {
		if !q.seen[e.URL] {
			q.seen[e.URL] = true
			q.queued = append(q.queued, e)
			added[i] = true
		}
	}
	return added, nil
}

func (q *MemQueue) Claim(_ context.Context, n int) ([]spidergo.FrontierEntry, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n = min(n, len(q.queued))
	out := q.queued[:n:n]
	q.queued = q.queued[n:]
	return out, nil
}

func (q *MemQueue) Save(_ context.Context, p *spidergo.Page) error {
	q.mu.Lock()
	q.Pages = append(q.Pages, p)
	q.mu.Unlock()
	return nil
}

func (q *MemQueue) Skip(_ context.Context, s map[string]int) error {
	q.mu.Lock()
	for k, v := range s {
		q.Skipped[k] += v
	}
	q.mu.Unlock()
	return nil
}

// CountQueue runs a job whose pages are not kept ("store": false): the
// frontier and the pages stay in memory for the answer, and the store only
// counts them in the job's totals.
type CountQueue struct {
	*MemQueue
	Store spidergo.JobStore
	JobID string
}

func (q CountQueue) Save(ctx context.Context, p *spidergo.Page) error {
	if err := q.Store.CountPage(ctx, q.JobID, p); err != nil {
		return err
	}
	return q.MemQueue.Save(ctx, p)
}

func (q CountQueue) Skip(ctx context.Context, s map[string]int) error {
	if err := q.Store.AddSkipped(ctx, q.JobID, s); err != nil {
		return err
	}
	return q.MemQueue.Skip(ctx, s)
}

// Progress is the in-memory frontier's counts: admitted and still queued.
func (q *MemQueue) Progress() (discovered, queued int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.seen), len(q.queued)
}
