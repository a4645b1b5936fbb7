package apikey

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/spidergo/spidergo"
)

// toucher keeps api_keys.last_used_at without a write on the request
// path: Authorize notes a use in memory, at most once a minute per key, and
// RunFlusher writes the notes in one transaction every few seconds. The
// dashboard's "last used" is therefore accurate to about a minute.
type toucher struct {
	store spidergo.APIKeyStore
	log   *slog.Logger
	now   func() time.Time

	mu      sync.Mutex
	noted   map[string]time.Time // last noted use per key, to coalesce
	pending map[string]time.Time // uses not yet written
}

// touchEvery is the coalescing window per key.
const touchEvery = time.Minute

// FlushEvery is how often recorded key uses are written out.
const FlushEvery = 10 * time.Second

func newToucher(store spidergo.APIKeyStore, log *slog.Logger, now func() time.Time) *toucher {
	return &toucher{store: store, log: log, now: now, noted: map[string]time.Time{}, pending: map[string]time.Time{}}
}

func (t *toucher) note(id string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if prev, ok := t.noted[id]; ok && at.Sub(prev) < touchEvery && !at.Before(prev) {
		return
	}
	t.noted[id] = at
	t.pending[id] = at
}

// flush writes the pending uses and forgets keys idle for a minute, so the
// maps hold only recently used keys.
func (t *toucher) flush(ctx context.Context) {
	t.mu.Lock()
	batch := t.pending
	t.pending = map[string]time.Time{}
	now := t.now()
	for id, at := range t.noted {
		if now.Sub(at) >= touchEvery {
			delete(t.noted, id)
		}
	}
	t.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	if err := t.store.TouchAPIKeys(ctx, batch); err != nil {
		t.log.Warn("recording API key use failed", "keys", len(batch), "err", err)
	}
}

// FlushLastUsed writes the key uses noted so far.
func (s *Service) FlushLastUsed(ctx context.Context) { s.touch.flush(ctx) }

// RunFlusher writes noted key uses every `every` (FlushEvery when zero)
// until ctx ends, then once more so that a stop loses none.
func (s *Service) RunFlusher(ctx context.Context, every time.Duration) error {
	if every <= 0 {
		every = FlushEvery
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			fctx, cancel := context.WithTimeout(ctx, every)
			s.touch.flush(fctx)
			cancel()
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			s.touch.flush(fctx)
			cancel()
			return nil
		}
	}
}
