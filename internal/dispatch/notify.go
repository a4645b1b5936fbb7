package dispatch

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// channel is the NOTIFY channel of job changes; the payload is the job id.
const channel = "spidergo_job_changed"

// flushEvery coalesces a job's changes: a crawl saving hundreds of pages a
// second sends one notification per job per interval, not one per page.
const flushEvery = 100 * time.Millisecond

// notifier wakes a job's watchers in this process at once and in the
// others through LISTEN/NOTIFY.
type notifier struct {
	pool *pgxpool.Pool
	log  *slog.Logger

	mu       sync.Mutex
	watchers map[string]map[chan struct{}]struct{}
	pending  map[string]struct{}
	kick     chan struct{}
}

func newNotifier(pool *pgxpool.Pool, log *slog.Logger) *notifier {
	return &notifier{pool: pool, log: log, watchers: map[string]map[chan struct{}]struct{}{},
		pending: map[string]struct{}{}, kick: make(chan struct{}, 1)}
}

// watch returns a channel closed at the job's next change.
func (n *notifier) watch(id string) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	n.mu.Lock()
	set := n.watchers[id]
	if set == nil {
		set = map[chan struct{}]struct{}{}
		n.watchers[id] = set
	}
	set[ch] = struct{}{}
	n.mu.Unlock()
	return ch, func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		if set, ok := n.watchers[id]; ok {
			delete(set, ch)
			if len(set) == 0 {
				delete(n.watchers, id)
			}
		}
	}
}

// wake closes the job's watchers here.
func (n *notifier) wake(id string) {
	n.mu.Lock()
	set := n.watchers[id]
	delete(n.watchers, id)
	n.mu.Unlock()
	for ch := range set {
		close(ch)
	}
}

// changed wakes the job's watchers here and queues a notification for the
// other processes.
func (n *notifier) changed(id string) {
	n.wake(id)
	n.mu.Lock()
	n.pending[id] = struct{}{}
	n.mu.Unlock()
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// run listens and sends notifications until ctx ends.
func (n *notifier) run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		n.send(ctx)
	}()
	for ctx.Err() == nil {
		if err := n.listen(ctx); err != nil && ctx.Err() == nil {
			n.log.Warn("job notifications interrupted; streams poll meanwhile", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
	wg.Wait()
}

// listen holds one connection in LISTEN and wakes watchers of every job
// named in a notification.
func (n *notifier) listen(ctx context.Context) error {
	conn, err := n.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// A connection left in LISTEN must not go back to the pool.
	pc := conn.Hijack()
	defer pc.Close(context.WithoutCancel(ctx))
	if _, err := pc.Exec(ctx, "LISTEN "+channel); err != nil {
		return err
	}
	for {
		note, err := pc.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		n.wake(note.Payload)
	}
}

// send flushes pending notifications at most every flushEvery.
func (n *notifier) send(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.kick:
		}
		n.mu.Lock()
		ids := make([]string, 0, len(n.pending))
		for id := range n.pending {
			ids = append(ids, id)
		}
		clear(n.pending)
		n.mu.Unlock()
		if len(ids) > 0 {
			if _, err := n.pool.Exec(ctx, "SELECT pg_notify($1, id) FROM unnest($2::text[]) AS id", channel, ids); err != nil && ctx.Err() == nil {
				n.log.Warn("job notification not sent", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(flushEvery):
		}
	}
}
