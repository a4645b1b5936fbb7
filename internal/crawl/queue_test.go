package crawl

import (
	"context"
	"testing"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/storetest"
)

// TestKeepLease: a worker that keeps its lease keeps its claims past the
// lease's length; once it stops, another worker takes them back.
func TestKeepLease(t *testing.T) {
	store := storetest.SQLite(t)
	ctx := context.Background()
	u := &spidergo.User{Email: "lease@example.com"}
	if err := store.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	j := &spidergo.Job{UserID: u.ID, Kind: spidergo.KindCrawl, URL: "x"}
	if err := store.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	if _, err := store.AddFrontier(ctx, j.ID, []spidergo.FrontierEntry{{URL: "https://a.example/"}}); err != nil {
		t.Fatal(err)
	}
	const ttl = 500 * time.Millisecond
	q := StoreQueue{Store: store, JobID: j.ID, Owner: "keeper", TTL: ttl, Now: time.Now}
	if got, err := q.Claim(ctx, 1); err != nil || len(got) != 1 {
		t.Fatalf("claim = %v, %v", got, err)
	}
	keepCtx, stop := context.WithCancel(ctx)
	kept := make(chan struct{})
	go func() {
		defer close(kept)
		q.KeepLease(keepCtx, func(err error) { t.Error(err) })
	}()
	other := StoreQueue{Store: store, JobID: j.ID, Owner: "other", TTL: ttl, Now: time.Now}
	steps := []struct {
		name  string
		after func()
		want  int
	}{
		{"lease kept past its length", func() { time.Sleep(5 * ttl / 2) }, 0},
		{"lease run out", func() { stop(); <-kept; time.Sleep(2 * ttl) }, 1},
	}
	for _, st := range steps {
		st.after()
		if _, err := store.RequeueFrontier(ctx, j.ID, "other"); err != nil {
			t.Fatal(err)
		}
		got, err := other.Claim(ctx, 1)
		if err != nil || len(got) != st.want {
			t.Errorf("%s: other worker claimed %d, %v; want %d", st.name, len(got), err, st.want)
		}
	}
}
