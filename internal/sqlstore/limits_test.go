package sqlstore_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spidergo/spidergo/internal/sqlstore"
	"github.com/spidergo/spidergo/internal/storetest"
)

// sharedStores opens n stores on one database: on PostgreSQL n separate
// connection pools, standing for n processes; on SQLite the one file.
func sharedStores(t *testing.T, backend string, n int) []*sqlstore.DB {
	t.Helper()
	var url string
	switch backend {
	case "postgres":
		url = storetest.PostgresDatabase(t)
	default:
		url = "sqlite:" + t.TempDir() + "/limits.db"
	}
	var dbs []*sqlstore.DB
	for range n {
		d, err := sqlstore.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		// A few connections each: the test server is shared.
		d.SQL().SetMaxOpenConns(4)
		t.Cleanup(func() { d.Close() })
		dbs = append(dbs, d)
	}
	return dbs
}

func TestSharedLimitsAcrossStores(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			dbs := sharedStores(t, backend, 3)
			ctx := context.Background()

			t.Run("trial counts", func(t *testing.T) {
				const limit, callers = 5, 30
				var took atomic.Int64
				var wg sync.WaitGroup
				for i := range callers {
					wg.Go(func() {
						ok, err := dbs[i%len(dbs)].TakeTrial(ctx, "2026-03-23", "192.0.2.7", limit)
						if err != nil {
							t.Error(err)
						}
						if ok {
							took.Add(1)
						}
					})
				}
				wg.Wait()
				if took.Load() != limit {
					t.Fatalf("%d callers on %d stores took %d trials, want %d", callers, len(dbs), took.Load(), limit)
				}
				if err := dbs[1].GiveTrial(ctx, "2026-03-23", "192.0.2.7"); err != nil {
					t.Fatal(err)
				}
				for i, want := range []bool{true, false} {
					if ok, err := dbs[2].TakeTrial(ctx, "2026-03-23", "192.0.2.7", limit); err != nil || ok != want {
						t.Errorf("take %d after a give: %v %v, want %v", i, ok, err, want)
					}
				}
				if ok, _ := dbs[0].TakeTrial(ctx, "2026-03-24", "192.0.2.7", limit); !ok {
					t.Error("the next day's count started spent")
				}
				if ok, _ := dbs[0].TakeTrial(ctx, "2026-03-23", "192.0.2.8", 0); ok {
					t.Error("a limit of 0 allowed a trial")
				}
				// Giving back what was never taken stays at zero.
				if err := dbs[0].GiveTrial(ctx, "2026-03-25", "192.0.2.9"); err != nil {
					t.Fatal(err)
				}
				if ok, _ := dbs[0].TakeTrial(ctx, "2026-03-25", "192.0.2.9", 1); !ok {
					t.Error("a count given back below zero refused its first trial")
				}
			})

			t.Run("throttle buckets", func(t *testing.T) {
				const burst, callers = 4, 24
				var allowed atomic.Int64
				var wg sync.WaitGroup
				for i := range callers {
					wg.Go(func() {
						wait, err := dbs[i%len(dbs)].TakeThrottle(ctx, "login:a", burst, time.Hour)
						if err != nil {
							t.Error(err)
						}
						if wait == 0 {
							allowed.Add(1)
						}
					})
				}
				wg.Wait()
				if allowed.Load() != burst {
					t.Fatalf("%d attempts on %d stores: %d allowed, want the burst of %d", callers, len(dbs), allowed.Load(), burst)
				}
				wait, err := dbs[0].TakeThrottle(ctx, "login:a", burst, time.Hour)
				if err != nil || wait <= 0 || wait > time.Hour {
					t.Errorf("after the burst: wait %v, err %v; want a wait of at most an hour", wait, err)
				}
				if wait, _ := dbs[1].TakeThrottle(ctx, "login:b", burst, time.Hour); wait != 0 {
					t.Errorf("another bucket waits %v", wait)
				}
			})

			t.Run("host slots", func(t *testing.T) {
				const concurrency, callers = 3, 12
				var got atomic.Int64
				var wg sync.WaitGroup
				for i := range callers {
					wg.Go(func() {
						_, ok, err := dbs[i%len(dbs)].ReserveHostSlot(ctx, "a.test", fmt.Sprint("t", i), concurrency, time.Minute, 0)
						if err != nil {
							t.Error(err)
						}
						if ok {
							got.Add(1)
						}
					})
				}
				wg.Wait()
				if got.Load() != concurrency {
					t.Fatalf("%d callers on %d stores got %d slots, want %d", callers, len(dbs), got.Load(), concurrency)
				}
				// Find a holder and release it: one slot comes back.
				for i := range callers {
					if err := dbs[0].ReleaseHostSlot(ctx, "a.test", fmt.Sprint("t", i)); err != nil {
						t.Fatal(err)
					}
					if _, ok, _ := dbs[1].ReserveHostSlot(ctx, "a.test", "again", concurrency, time.Minute, 0); ok {
						break
					}
					if i == callers-1 {
						t.Fatal("no slot came back after releasing every token")
					}
				}
				if _, ok, _ := dbs[2].ReserveHostSlot(ctx, "a.test", "more", concurrency, time.Minute, 0); ok {
					t.Error("a full host gave out a slot")
				}
			})

			t.Run("a dead holder's slot frees when its lease ends", func(t *testing.T) {
				// A lease of 1 ms has ended by the next call.
				if _, ok, err := dbs[0].ReserveHostSlot(ctx, "dead.test", "gone", 1, time.Millisecond, 0); !ok || err != nil {
					t.Fatalf("first slot: %v %v", ok, err)
				}
				var ok bool
				for range 100 {
					var err error
					if _, ok, err = dbs[1].ReserveHostSlot(ctx, "dead.test", "next", 1, time.Minute, 0); err != nil {
						t.Fatal(err)
					}
					if ok {
						break
					}
					time.Sleep(5 * time.Millisecond)
				}
				if !ok {
					t.Fatal("an expired slot was never freed")
				}
				if err := dbs[1].ExtendHostSlot(ctx, "dead.test", "next", time.Hour); err != nil {
					t.Fatal(err)
				}
				if _, ok, _ := dbs[2].ReserveHostSlot(ctx, "dead.test", "third", 1, time.Minute, 0); ok {
					t.Error("a held, extended slot was given out")
				}
			})

			t.Run("starts are paced by the delay", func(t *testing.T) {
				const delay = time.Hour
				var waits []time.Duration
				for i := range 3 {
					wait, ok, err := dbs[i].ReserveHostSlot(ctx, "paced.test", fmt.Sprint("p", i), 10, time.Minute, delay)
					if err != nil || !ok {
						t.Fatalf("reserve %d: %v %v", i, ok, err)
					}
					waits = append(waits, wait)
				}
				// The first starts now, each next one a delay after the one before.
				if waits[0] != 0 || waits[1] < delay-time.Minute || waits[2] < 2*delay-time.Minute {
					t.Errorf("waits %v with a delay of %v", waits, delay)
				}
				if wait, _, _ := dbs[0].ReserveHostSlot(ctx, "other.test", "o", 10, time.Minute, delay); wait != 0 {
					t.Errorf("another host waits %v", wait)
				}
			})
		})
	}
}
