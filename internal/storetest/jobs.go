package storetest

import (
	"context"
	"fmt"
	"slices"
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
	worker := spidergo.Lease{Owner: "w1", Until: time.Now().Add(time.Hour)}
	claimed, err := s.ClaimFrontier(ctx, j.ID, worker, 2)
	if err != nil || len(claimed) != 2 || claimed[0].URL != "u1" || claimed[1].URL != "u2" || claimed[1].ParentURL != "u1" || claimed[1].Depth != 1 {
		t.Fatalf("claim = %+v, %v", claimed, err)
	}
	if again, _ := s.ClaimFrontier(ctx, j.ID, worker, 5); len(again) != 1 || again[0].URL != "u3" {
		t.Fatalf("second claim = %+v, want u3 only", again)
	}
	if p, _ := s.JobByID(ctx, j.ID); p.Discovered != 3 || p.Queued != 0 || p.InFlight != 3 {
		t.Errorf("progress = %d discovered %d queued %d in flight, want 3/0/3", p.Discovered, p.Queued, p.InFlight)
	}

	// Another worker's requeue leaves w1's live claims alone; w1's own
	// restart puts them back.
	n, err := s.RequeueFrontier(ctx, j.ID, "w2")
	if err != nil || n != 3 {
		t.Fatalf("requeue by w2 = %d, %v; want 3 admitted", n, err)
	}
	if stolen, _ := s.ClaimFrontier(ctx, j.ID, spidergo.Lease{Owner: "w2", Until: time.Now().Add(time.Hour)}, 10); len(stolen) != 0 {
		t.Fatalf("w2 took %d of w1's live claims", len(stolen))
	}
	if n, err := s.RequeueFrontier(ctx, j.ID, "w1"); err != nil || n != 3 {
		t.Fatalf("requeue by w1 = %d, %v; want 3 admitted", n, err)
	}
	claimed, _ = s.ClaimFrontier(ctx, j.ID, worker, 10)
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
	if got.Failed != 1 || got.InFlight != 1 || got.Discovered != 3 {
		t.Errorf("progress = %d failed %d in flight %d discovered, want 1/1/3", got.Failed, got.InFlight, got.Discovered)
	}
	failed, next, err := s.FailedPages(ctx, j.ID, "", 10)
	if err != nil || len(failed) != 1 || failed[0].URL != "u2" || next != "" {
		t.Errorf("failed pages = %+v next %q %v, want u2 only", failed, next, err)
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
		jobs, next, err := s.ListJobs(ctx, alice.ID, spidergo.JobFilter{Cursor: cursor, Limit: 2})
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
	if jobs, _, _ := s.ListJobs(ctx, bob.ID, spidergo.JobFilter{Limit: 10}); len(jobs) != 0 {
		t.Errorf("bob sees %d of alice's jobs", len(jobs))
	}
	for _, tt := range []struct {
		status string
		want   int
	}{{spidergo.StatusQueued, 3}, {spidergo.StatusCancelled, 1}, {spidergo.StatusRunning, 0}} {
		jobs, _, err := s.ListJobs(ctx, alice.ID, spidergo.JobFilter{Status: tt.status, Limit: 10})
		if err != nil || len(jobs) != tt.want {
			t.Errorf("%s jobs = %d, %v; want %d", tt.status, len(jobs), err, tt.want)
		}
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

// testFrontierClaimRace claims one job's frontier from many goroutines,
// each a worker of its own: every entry must be claimed exactly once.
func testFrontierClaimRace(t *testing.T, s spidergo.Store) {
	ctx := context.Background()
	u := &spidergo.User{Email: "claims@example.com"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	j := &spidergo.Job{UserID: u.ID, Kind: spidergo.KindCrawl, URL: "x"}
	if err := s.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	const entries, workers = 200, 8
	batch := make([]spidergo.FrontierEntry, entries)
	for i := range batch {
		batch[i].URL = fmt.Sprintf("https://a.example/%d", i)
	}
	if _, err := s.AddFrontier(ctx, j.ID, batch); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	claims := map[string]int{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lease := spidergo.Lease{Owner: fmt.Sprintf("worker-%d", w), Until: time.Now().Add(time.Hour)}
			for {
				got, err := s.ClaimFrontier(ctx, j.ID, lease, 3)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, e := range got {
					claims[e.URL]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(claims) != entries {
		t.Errorf("claimed %d distinct entries, want %d", len(claims), entries)
	}
	for u, n := range claims {
		if n != 1 {
			t.Errorf("%s claimed %d times", u, n)
		}
	}
}

// testFrontierLease: a claim whose lease ran out is taken back by any
// worker; extending a lease keeps it.
func testFrontierLease(t *testing.T, s spidergo.Store) {
	ctx := context.Background()
	u := &spidergo.User{Email: "lease@example.com"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	j := &spidergo.Job{UserID: u.ID, Kind: spidergo.KindCrawl, URL: "x"}
	if err := s.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddFrontier(ctx, j.ID, []spidergo.FrontierEntry{{URL: "kept"}, {URL: "lost"}}); err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Minute)
	if got, _ := s.ClaimFrontier(ctx, j.ID, spidergo.Lease{Owner: "alive", Until: past}, 1); len(got) != 1 {
		t.Fatalf("alive claimed %d", len(got))
	}
	if got, _ := s.ClaimFrontier(ctx, j.ID, spidergo.Lease{Owner: "dead", Until: past}, 1); len(got) != 1 {
		t.Fatalf("dead claimed %d", len(got))
	}
	if err := s.ExtendLease(ctx, j.ID, spidergo.Lease{Owner: "alive", Until: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RequeueFrontier(ctx, j.ID, "other"); err != nil {
		t.Fatal(err)
	}
	got, err := s.ClaimFrontier(ctx, j.ID, spidergo.Lease{Owner: "other", Until: time.Now().Add(time.Hour)}, 10)
	if err != nil || len(got) != 1 || got[0].URL != "lost" {
		t.Errorf("after requeue other claimed %+v, %v; want the dead worker's entry only", got, err)
	}
}

// testJobSlots starts queued async jobs of one user from many goroutines
// under a cap of 2: exactly two start. Sync jobs do not count.
func testJobSlots(t *testing.T, s spidergo.Store) {
	ctx := context.Background()
	u := &spidergo.User{Email: "slots@example.com"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateJob(ctx, &spidergo.Job{UserID: u.ID, Kind: spidergo.KindScrape, URL: "x", Status: spidergo.StatusRunning}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range 6 {
		j := &spidergo.Job{UserID: u.ID, Kind: spidergo.KindCrawl, URL: "x", Status: spidergo.StatusQueued, Async: true}
		if err := s.CreateJob(ctx, j); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, j.ID)
	}
	var mu sync.Mutex
	started := 0
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.ClaimJobSlot(ctx, id, 2, time.Now())
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				started++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if started != 2 {
		t.Fatalf("%d jobs started under a cap of 2", started)
	}
	running, _, _ := s.ListJobs(ctx, u.ID, spidergo.JobFilter{Status: spidergo.StatusRunning, Limit: 10})
	var async *spidergo.Job
	for _, j := range running {
		if j.Async {
			async = j
		}
	}
	if async == nil {
		t.Fatal("no running async job")
	}
	if ok, err := s.ClaimJobSlot(ctx, async.ID, 2, time.Now()); !ok || err != nil {
		t.Errorf("a running job's slot = %v, %v; want it kept", ok, err)
	}
	if err := s.SetJobStatus(ctx, async.ID, spidergo.StatusCompleted, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimJobSlot(ctx, async.ID, 2, time.Now()); spidergo.ErrorCode(err) != spidergo.ECONFLICT {
		t.Errorf("a finished job's slot: %v, want ECONFLICT", err)
	}
	freed := 0
	for _, id := range ids {
		if ok, _ := s.ClaimJobSlot(ctx, id, 2, time.Now()); ok {
			freed++
		}
	}
	if freed != 2 { // the one still running plus one that takes the freed slot
		t.Errorf("after one finished, %d jobs hold slots, want 2", freed)
	}
}

// testCountPage: a page counted without being kept moves the totals only.
func testCountPage(t *testing.T, s spidergo.Store) {
	ctx := context.Background()
	u := &spidergo.User{Email: "count@example.com"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	j := &spidergo.Job{UserID: u.ID, Kind: spidergo.KindScrape, URL: "x", Limit: 7}
	if err := s.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*spidergo.Page{{URL: "a", StatusCode: 200, ResponseTimeMS: 3, PayloadSize: 10}, {URL: "b", StatusCode: 500, ResponseTimeMS: 4, PayloadSize: 1}} {
		if err := s.CountPage(ctx, j.ID, p); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.JobByID(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.TotalPages != 2 || got.TotalResponseTimeMS != 7 || got.TotalPayloadSize != 11 || got.Failed != 1 || got.Limit != 7 || got.Discovered != 2 {
		t.Errorf("job = %+v, want 2 pages (2 discovered), 7 ms, 11 bytes, 1 failed, limit 7", got)
	}
	if pages, _, _ := s.Pages(ctx, j.ID, "", 10); len(pages) != 0 {
		t.Errorf("%d pages kept", len(pages))
	}
}

// testAddPages: pages without frontier entries are stored in order, counted,
// and read back with cursors like any others.
func testAddPages(t *testing.T, s spidergo.Store) {
	ctx := context.Background()
	u := &spidergo.User{Email: "map@example.com"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	j := &spidergo.Job{UserID: u.ID, Kind: spidergo.KindMap, URL: "https://example.com/", Limit: 5000}
	if err := s.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	if err := s.AddPages(ctx, j.ID, nil); err != nil {
		t.Fatalf("no pages: %v", err)
	}
	in := []*spidergo.Page{{URL: "https://example.com/"}, {URL: "https://example.com/b", Title: "B"}, {URL: "https://example.com/a"}}
	if err := s.AddPages(ctx, j.ID, in); err != nil {
		t.Fatal(err)
	}
	got, err := s.JobByID(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.TotalPages != 3 {
		t.Errorf("TotalPages = %d, want 3", got.TotalPages)
	}
	first, next, err := s.Pages(ctx, j.ID, "", 2)
	if err != nil {
		t.Fatal(err)
	}
	rest, _, err := s.Pages(ctx, j.ID, next, 2)
	if err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, p := range append(first, rest...) {
		urls = append(urls, p.URL+"|"+p.Title)
	}
	want := []string{"https://example.com/|", "https://example.com/b|B", "https://example.com/a|"}
	if !slices.Equal(urls, want) {
		t.Errorf("pages = %q, want %q", urls, want)
	}
	if err := s.AddPages(ctx, "no-such-job", in[:1]); spidergo.ErrorCode(err) != spidergo.ENOTFOUND {
		t.Errorf("unknown job: %v, want not found", err)
	}
}
