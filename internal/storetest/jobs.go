package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spidergo/spidergo"
)

func testJobs(t *testing.T, s spidergo.Store) {
	ctx := context.Background()
	alice := &spidergo.User{Email: "alice@example.com"}
	bob := &spidergo.User{Email: "bob@example.com"}
	for _, u := range []*spidergo.User{alice, bob} {
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	j := &spidergo.Job{UserID: alice.ID, Kind: spidergo.KindCrawl, URL: "https://a.example/"}
	if err := s.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Job(ctx, bob.ID, j.ID); spidergo.ErrorCode(err) != spidergo.ENOTFOUND {
		t.Fatalf("another user's job: %v, want ENOTFOUND", err)
	}
	if err := s.DeleteJob(ctx, bob.ID, j.ID); spidergo.ErrorCode(err) != spidergo.ENOTFOUND {
		t.Fatalf("deleting another user's job: %v, want ENOTFOUND", err)
	}

	// Admission dedups, and claims come in admission order.
	added, err := s.AddFrontier(ctx, j.ID, []spidergo.FrontierEntry{{URL: "u1"}, {URL: "u2", Depth: 1, ParentURL: "u1"}, {URL: "u1"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]bool{true, true, false}, added); diff != "" {
		t.Errorf("added (-want +got):\n%s", diff)
	}
	added, _ = s.AddFrontier(ctx, j.ID, []spidergo.FrontierEntry{{URL: "u2"}, {URL: "u3", Depth: 1}})
	if diff := cmp.Diff([]bool{false, true}, added); diff != "" {
		t.Errorf("second add (-want +got):\n%s", diff)
	}
	claimed, err := s.ClaimFrontier(ctx, j.ID, 2)
	if err != nil || len(claimed) != 2 || claimed[0].URL != "u1" || claimed[1].URL != "u2" || claimed[1].ParentURL != "u1" || claimed[1].Depth != 1 {
		t.Fatalf("claim = %+v, %v", claimed, err)
	}
	if again, _ := s.ClaimFrontier(ctx, j.ID, 5); len(again) != 1 || again[0].URL != "u3" {
		t.Fatalf("second claim = %+v, want u3 only", again)
	}

	// A restart puts in-flight entries back.
	n, err := s.RequeueFrontier(ctx, j.ID)
	if err != nil || n != 3 {
		t.Fatalf("requeue = %d, %v; want 3 admitted", n, err)
	}
	claimed, _ = s.ClaimFrontier(ctx, j.ID, 10)
	if len(claimed) != 3 {
		t.Fatalf("after requeue claimed %d, want 3", len(claimed))
	}

	now := time.Now().UTC().Truncate(time.Millisecond)
	p1 := &spidergo.Page{URL: "u1", StatusCode: 200, ResponseTimeMS: 10, PayloadSize: 100, FetchedAt: now, Title: "one"}
	p2 := &spidergo.Page{URL: "u2", StatusCode: 404, ResponseTimeMS: 5, PayloadSize: 7, FetchedAt: now, Error: "http_4xx"}
	for _, p := range []*spidergo.Page{p1, p2, p1} { // the second p1 is a replay and is dropped
		if err := s.SavePage(ctx, j.ID, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddSkipped(ctx, j.ID, map[string]int{"duplicate": 2, "robots": 1}); err != nil {
		t.Fatal(err)
	}
	s.AddSkipped(ctx, j.ID, map[string]int{"duplicate": 1})
	got, err := s.Job(ctx, alice.ID, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.TotalPages != 2 || got.TotalResponseTimeMS != 15 || got.TotalPayloadSize != 107 {
		t.Errorf("totals = %d pages %d ms %d bytes, want 2/15/107", got.TotalPages, got.TotalResponseTimeMS, got.TotalPayloadSize)
	}
	if diff := cmp.Diff(map[string]int{"duplicate": 3, "robots": 1}, got.Skipped); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}

	page1, next, err := s.Pages(ctx, j.ID, "", 1)
	if err != nil || len(page1) != 1 || next == "" || page1[0].Title != "one" {
		t.Fatalf("first page of results = %+v next %q %v", page1, next, err)
	}
	page2, next2, _ := s.Pages(ctx, j.ID, next, 1)
	if len(page2) != 1 || page2[0].URL != "u2" || next2 != "" {
		t.Fatalf("second page of results = %+v next %q", page2, next2)
	}
	if _, _, err := s.Pages(ctx, j.ID, "garbage", 1); spidergo.ErrorCode(err) != spidergo.EINVALID {
		t.Errorf("bad cursor: %v", err)
	}

	// The cache serves only the owner's successful pages.
	if c, err := s.CachedPage(ctx, alice.ID, "u1", now.Add(-time.Minute)); err != nil || c.Title != "one" {
		t.Errorf("cached page for owner = %+v, %v", c, err)
	}
	for name, args := range map[string][3]any{
		"other user":  {bob.ID, "u1", now.Add(-time.Minute)},
		"too old":     {alice.ID, "u1", now.Add(time.Minute)},
		"failed page": {alice.ID, "u2", now.Add(-time.Minute)},
	} {
		if _, err := s.CachedPage(ctx, args[0].(string), args[1].(string), args[2].(time.Time)); spidergo.ErrorCode(err) != spidergo.ENOTFOUND {
			t.Errorf("%s: cache hit (%v)", name, err)
		}
	}

	// Status moves on once; a finished job stays finished.
	if err := s.SetJobStatus(ctx, j.ID, spidergo.StatusRunning, "", now); err != nil {
		t.Fatal(err)
	}
	if err := s.SetJobStatus(ctx, j.ID, spidergo.StatusCancelled, "", now); err != nil {
		t.Fatal(err)
	}
	if err := s.SetJobStatus(ctx, j.ID, spidergo.StatusCompleted, "", now); spidergo.ErrorCode(err) != spidergo.ECONFLICT {
		t.Errorf("completing a cancelled job: %v, want ECONFLICT", err)
	}
	got, _ = s.JobByID(ctx, j.ID)
	if got.Status != spidergo.StatusCancelled || got.StartedAt.IsZero() || got.FinishedAt.IsZero() {
		t.Errorf("job after cancel = %+v", got)
	}
	if unfinished, _ := s.UnfinishedJobs(ctx); len(unfinished) != 0 {
		t.Errorf("unfinished = %d jobs, want 0", len(unfinished))
	}

	// History: newest first, with a cursor.
	for i := 0; i < 3; i++ {
		s.CreateJob(ctx, &spidergo.Job{UserID: alice.ID, Kind: spidergo.KindScrape, URL: "x", CreatedAt: now.Add(time.Duration(i+1) * time.Second)})
	}
	var seen []string
	cursor := ""
	for {
		jobs, next, err := s.ListJobs(ctx, alice.ID, cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range jobs {
			seen = append(seen, j.Kind)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if diff := cmp.Diff([]string{"scrape", "scrape", "scrape", "crawl"}, seen); diff != "" {
		t.Errorf("history order (-want +got):\n%s", diff)
	}
	if jobs, _, _ := s.ListJobs(ctx, bob.ID, "", 10); len(jobs) != 0 {
		t.Errorf("bob sees %d of alice's jobs", len(jobs))
	}

	// Deleting the account removes its jobs and pages.
	if err := s.DeleteUser(ctx, alice.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.JobByID(ctx, j.ID); spidergo.ErrorCode(err) != spidergo.ENOTFOUND {
		t.Errorf("job survived its owner: %v", err)
	}
}

// testFrontierRace admits the same URLs from many goroutines: each must be
// admitted exactly once.
func testFrontierRace(t *testing.T, s spidergo.Store) {
	ctx := context.Background()
	u := &spidergo.User{Email: "race@example.com"}
	s.CreateUser(ctx, u)
	j := &spidergo.Job{UserID: u.ID, Kind: spidergo.KindCrawl, URL: "x"}
	if err := s.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	admitted := map[string]int{}
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			entries := make([]spidergo.FrontierEntry, 20)
			for i := range entries {
				entries[i].URL = string(rune('a' + i))
			}
			added, err := s.AddFrontier(ctx, j.ID, entries)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			for i, ok := range added {
				if ok {
					admitted[entries[i].URL]++
				}
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(admitted) != 20 {
		t.Errorf("admitted %d distinct URLs, want 20", len(admitted))
	}
	for u, n := range admitted {
		if n != 1 {
			t.Errorf("%s admitted %d times", u, n)
		}
	}
}

func testWebhookSecret(t *testing.T, s spidergo.Store) {
	ctx := context.Background()
	u := &spidergo.User{Email: "hook@example.com"}
	other := &spidergo.User{Email: "other@example.com"}
	s.CreateUser(ctx, u)
	s.CreateUser(ctx, other)
	first, err := s.WebhookSecret(ctx, u.ID)
	if err != nil || len(first) < 32 {
		t.Fatalf("WebhookSecret = %q, %v", first, err)
	}
	if again, _ := s.WebhookSecret(ctx, u.ID); again != first {
		t.Errorf("secret changed between reads: %q → %q", first, again)
	}
	if theirs, _ := s.WebhookSecret(ctx, other.ID); theirs == first {
		t.Error("two users share a webhook secret")
	}
	rotated, err := s.RotateWebhookSecret(ctx, u.ID)
	if err != nil || rotated == first {
		t.Errorf("rotate = %q, %v", rotated, err)
	}
	if now, _ := s.WebhookSecret(ctx, u.ID); now != rotated {
		t.Errorf("after rotate = %q, want %q", now, rotated)
	}
	if _, err := s.WebhookSecret(ctx, "nobody"); spidergo.ErrorCode(err) != spidergo.ENOTFOUND {
		t.Errorf("unknown user: %v", err)
	}
}
