package dispatch

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/spidergo/spidergo/internal/storetest"
)

// Two notifiers on one database stand for two processes: a change in one
// wakes a stream waiting in the other.
func TestNotifierAcrossProcesses(t *testing.T) {
	url := storetest.PostgresDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pool := func() *pgxpool.Pool {
		p, err := pgxpool.New(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		return p
	}
	worker, api := newNotifier(pool(), discard()), newNotifier(pool(), discard())
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	for _, n := range []*notifier{worker, api} {
		go func() {
			n.run(runCtx)
			done <- struct{}{}
		}()
	}
	defer func() {
		stop()
		<-done
		<-done
	}()

	changed, unwatch := api.watch("job1")
	defer unwatch()
	other, unwatchOther := api.watch("job2")
	defer unwatchOther()
	// The listener may not be listening yet: change until woken.
	for woken := false; !woken; {
		worker.changed("job1")
		select {
		case <-changed:
			woken = true
		case <-time.After(200 * time.Millisecond):
		case <-ctx.Done():
			t.Fatal("the other process's watcher was never woken")
		}
	}
	select {
	case <-other:
		t.Error("a watcher of another job was woken")
	default:
	}
	// A local change wakes local watchers at once.
	local, unwatchLocal := worker.watch("job3")
	defer unwatchLocal()
	worker.changed("job3")
	select {
	case <-local:
	default:
		t.Error("a local watcher was not woken at once")
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
