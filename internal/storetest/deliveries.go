package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/spidergo/spidergo"
)

// testDeliveries: deliveries are stored in order, claimed one at a time
// (the job's first pending one, under a lease), finished, redelivered and
// listed; they go with their job.
func testDeliveries(t *testing.T, s spidergo.Store) {
	ctx := context.Background()
	u := &spidergo.User{Email: "deliveries@example.com"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	j := &spidergo.Job{UserID: u.ID, Kind: spidergo.KindCrawl, URL: "https://example.com/", Status: spidergo.StatusRunning}
	if err := s.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	other := &spidergo.Job{UserID: u.ID, Kind: spidergo.KindCrawl, URL: "https://example.com/", Status: spidergo.StatusRunning}
	if err := s.CreateJob(ctx, other); err != nil {
		t.Fatal(err)
	}
	if err := s.AddDelivery(ctx, &spidergo.WebhookDelivery{JobID: "no-such-job", UserID: u.ID, Event: "page", Payload: []byte("{}"), URL: "https://hooks.example/"}); spidergo.ErrorCode(err) != spidergo.ENOTFOUND {
		t.Errorf("delivery of an unknown job: %v, want ENOTFOUND", err)
	}
	events := []string{"started", "page", "page", "completed"}
	var added []*spidergo.WebhookDelivery
	for i, ev := range events {
		d := &spidergo.WebhookDelivery{JobID: j.ID, UserID: u.ID, Event: ev, Payload: fmt.Appendf(nil, `{"event":%q,"n":%d}`, ev, i),
			URL: "https://hooks.example/in", Headers: map[string]string{"X-Team": "growth"}}
		if err := s.AddDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
		if d.ID == "" || d.State != spidergo.DeliveryPending || d.CreatedAt.IsZero() || d.NextAttemptAt.IsZero() {
			t.Fatalf("AddDelivery did not fill the delivery: %+v", d)
		}
		if i > 0 && d.Seq <= added[i-1].Seq {
			t.Errorf("seq %d after %d: not in order", d.Seq, added[i-1].Seq)
		}
		added = append(added, d)
	}

	t.Run("list and page", func(t *testing.T) {
		first, next, err := s.Deliveries(ctx, j.ID, "", 3)
		if err != nil || len(first) != 3 || next == "" {
			t.Fatalf("first page: %d deliveries, next %q, %v", len(first), next, err)
		}
		rest, next2, err := s.Deliveries(ctx, j.ID, next, 3)
		if err != nil || len(rest) != 1 || next2 != "" {
			t.Fatalf("second page: %d deliveries, next %q, %v", len(rest), next2, err)
		}
		for i, d := range append(first, rest...) {
			if d.ID != added[i].ID || d.Event != events[i] || string(d.Payload) != string(added[i].Payload) || d.Headers["X-Team"] != "growth" || d.URL != "https://hooks.example/in" {
				t.Errorf("delivery %d = %+v, want %+v", i, d, added[i])
			}
		}
		if none, _, err := s.Deliveries(ctx, other.ID, "", 10); err != nil || len(none) != 0 {
			t.Errorf("another job's deliveries: %d, %v", len(none), err)
		}
		if _, _, err := s.Deliveries(ctx, j.ID, "x", 10); spidergo.ErrorCode(err) != spidergo.EINVALID {
			t.Errorf("bad cursor: %v, want EINVALID", err)
		}
		if _, err := s.DeliveryByID(ctx, other.ID, added[0].ID); spidergo.ErrorCode(err) != spidergo.ENOTFOUND {
			t.Errorf("delivery through another job: %v, want ENOTFOUND", err)
		}
	})

	now := time.Now().Add(time.Second)
	lease := func(owner string) spidergo.Lease { return spidergo.Lease{Owner: owner, Until: now.Add(time.Minute)} }

	t.Run("claims go in order, one owner at a time", func(t *testing.T) {
		due, err := s.DueDeliveryJobs(ctx, now, 10)
		if err != nil || len(due) != 1 || due[0] != j.ID {
			t.Fatalf("DueDeliveryJobs = %v, %v; want [%s]", due, err, j.ID)
		}
		d, _, err := s.ClaimDelivery(ctx, j.ID, lease("a"), now)
		if err != nil || d == nil || d.ID != added[0].ID {
			t.Fatalf("first claim = %+v, %v; want the started event", d, err)
		}
		// While a holds the first, nobody gets it nor the ones after it.
		got, wait, err := s.ClaimDelivery(ctx, j.ID, lease("b"), now)
		if err != nil || got != nil || !wait.Equal(now.Add(time.Minute).Truncate(time.Millisecond)) {
			t.Errorf("claim by b while a holds the head = %+v, wait %v, %v; want nothing until a's lease ends", got, wait, err)
		}
		if due, _ := s.DueDeliveryJobs(ctx, now, 10); len(due) != 0 {
			t.Errorf("a claimed job listed as due: %v", due)
		}
		// A failed attempt with a retry later keeps the order: the next
		// delivery waits behind it.
		d.Attempts, d.LastStatus, d.LastError, d.NextAttemptAt = 1, 503, "http_503", now.Add(time.Hour)
		if err := s.FinishDelivery(ctx, d, "b", now); spidergo.ErrorCode(err) != spidergo.ECONFLICT {
			t.Errorf("finish by a non-owner: %v, want ECONFLICT", err)
		}
		if err := s.FinishDelivery(ctx, d, "a", now); err != nil {
			t.Fatal(err)
		}
		got, wait, err = s.ClaimDelivery(ctx, j.ID, lease("b"), now)
		if err != nil || got != nil || !wait.Equal(now.Add(time.Hour).Truncate(time.Millisecond)) {
			t.Errorf("claim before the retry is due = %+v, wait %v, %v", got, wait, err)
		}
		later := now.Add(2 * time.Hour)
		got, _, err = s.ClaimDelivery(ctx, j.ID, spidergo.Lease{Owner: "b", Until: later.Add(time.Minute)}, later)
		if err != nil || got == nil || got.ID != added[0].ID || got.Attempts != 1 || got.LastError != "http_503" {
			t.Fatalf("claim once due = %+v, %v", got, err)
		}
		got.Attempts, got.LastStatus, got.LastError, got.State, got.DeliveredAt = 2, 204, "", spidergo.DeliveryDelivered, later
		if err := s.FinishDelivery(ctx, got, "b", later); err != nil {
			t.Fatal(err)
		}
		// A lease that ran out is anybody's.
		got, _, err = s.ClaimDelivery(ctx, j.ID, spidergo.Lease{Owner: "a", Until: later.Add(time.Second)}, later)
		if err != nil || got == nil || got.ID != added[1].ID {
			t.Fatalf("next claim = %+v, %v; want the first page", got, err)
		}
		after := later.Add(time.Minute)
		got2, _, err := s.ClaimDelivery(ctx, j.ID, spidergo.Lease{Owner: "b", Until: after.Add(time.Minute)}, after)
		if err != nil || got2 == nil || got2.ID != added[1].ID {
			t.Fatalf("claim after a's lease ran out = %+v, %v", got2, err)
		}
		if err := s.FinishDelivery(ctx, got, "a", after); spidergo.ErrorCode(err) != spidergo.ECONFLICT {
			t.Errorf("finish of a lost claim: %v, want ECONFLICT", err)
		}
		got2.Attempts, got2.State, got2.LastStatus, got2.LastError = 1, spidergo.DeliveryFailed, 410, "http_410"
		if err := s.FinishDelivery(ctx, got2, "b", after); err != nil {
			t.Fatal(err)
		}
		stored, err := s.DeliveryByID(ctx, j.ID, added[0].ID)
		if err != nil || stored.State != spidergo.DeliveryDelivered || stored.Attempts != 2 || stored.LastStatus != 204 || stored.DeliveredAt.IsZero() {
			t.Errorf("delivered row = %+v, %v", stored, err)
		}
	})

	t.Run("redeliver", func(t *testing.T) {
		at := now.Add(3 * time.Hour)
		d, err := s.RedeliverDelivery(ctx, j.ID, added[1].ID, at)
		if err != nil || d.State != spidergo.DeliveryPending || d.Attempts != 0 || d.LastStatus != 410 || !d.NextAttemptAt.Equal(at.Truncate(time.Millisecond)) {
			t.Fatalf("redeliver = %+v, %v", d, err)
		}
		if _, err := s.RedeliverDelivery(ctx, other.ID, added[1].ID, at); spidergo.ErrorCode(err) != spidergo.ENOTFOUND {
			t.Errorf("redeliver through another job: %v, want ENOTFOUND", err)
		}
		got, _, err := s.ClaimDelivery(ctx, j.ID, spidergo.Lease{Owner: "a", Until: at.Add(time.Minute)}, at)
		if err != nil || got == nil || got.ID != added[1].ID {
			t.Errorf("claim after redeliver = %+v, %v", got, err)
		}
	})

	t.Run("racing claims", func(t *testing.T) {
		job := &spidergo.Job{UserID: u.ID, Kind: spidergo.KindCrawl, URL: "https://example.com/", Status: spidergo.StatusRunning}
		if err := s.CreateJob(ctx, job); err != nil {
			t.Fatal(err)
		}
		if err := s.AddDelivery(ctx, &spidergo.WebhookDelivery{JobID: job.ID, UserID: u.ID, Event: "started", Payload: []byte("{}"), URL: "https://hooks.example/"}); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		claims := 0
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				d, _, err := s.ClaimDelivery(ctx, job.ID, lease(fmt.Sprint("w", i)), now)
				if err != nil {
					t.Error(err)
				}
				if d != nil {
					mu.Lock()
					claims++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if claims != 1 {
			t.Errorf("%d racing claims won, want 1", claims)
		}
	})

	t.Run("deleted with the job", func(t *testing.T) {
		if err := s.DeleteJob(ctx, u.ID, j.ID); err != nil {
			t.Fatal(err)
		}
		if left, _, err := s.Deliveries(ctx, j.ID, "", 10); err != nil || len(left) != 0 {
			t.Errorf("deliveries of a deleted job: %d, %v", len(left), err)
		}
	})
}
