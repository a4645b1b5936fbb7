package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spidergo/spidergo"
)

// testFrontierAdmit: admissions under a limit and with fold keys, one
// batch after another, say what they did with each entry.
func testFrontierAdmit(t *testing.T, s spidergo.Store) {
	ctx := context.Background()
	u := &spidergo.User{Email: "admit@example.com"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	j := &spidergo.Job{UserID: u.ID, Kind: spidergo.KindCrawl, URL: "x"}
	if err := s.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	type e = spidergo.FrontierEntry
	tests := []struct {
		name    string
		limit   int
		entries []e
		skipped map[string]int
		want    []spidergo.Admission
	}{
		{"new, repeated and folded", 4, []e{{URL: "a"}, {URL: "b", Fold: "B"}, {URL: "a"}, {URL: "b2", Fold: "B"}}, map[string]int{"out_of_scope": 2},
			[]spidergo.Admission{spidergo.AdmitNew, spidergo.AdmitNew, spidergo.AdmitDuplicate, spidergo.AdmitSimilar}},
		{"up to the limit", 4, []e{{URL: "c"}, {URL: "d"}, {URL: "e"}}, nil,
			[]spidergo.Admission{spidergo.AdmitNew, spidergo.AdmitNew, spidergo.AdmitOverLimit}},
		{"at the limit, repeats are still repeats", 4, []e{{URL: "a"}, {URL: "b3", Fold: "B"}, {URL: "f", Fold: "F"}}, map[string]int{"duplicate": 1},
			[]spidergo.Admission{spidergo.AdmitDuplicate, spidergo.AdmitSimilar, spidergo.AdmitOverLimit}},
		{"a higher limit admits more", 5, []e{{URL: "f"}, {URL: "g"}}, nil,
			[]spidergo.Admission{spidergo.AdmitNew, spidergo.AdmitOverLimit}},
		{"no limit", 0, []e{{URL: "g"}, {URL: "f"}}, nil,
			[]spidergo.Admission{spidergo.AdmitNew, spidergo.AdmitDuplicate}},
		{"nothing to admit, skips to count", 1, nil, map[string]int{"max_depth": 3}, []spidergo.Admission{}},
	}
	for _, tt := range tests {
		got, err := s.AdmitFrontier(ctx, j.ID, tt.limit, tt.entries, tt.skipped)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	got, err := s.JobByID(ctx, j.ID)
	if err != nil || got.Discovered != 6 || got.Queued != 6 {
		t.Fatalf("job after admissions: %+v, %v; want 6 discovered and queued", got, err)
	}
	want := map[string]int{"out_of_scope": 2, "max_depth": 3, "duplicate": 4, "duplicate_similar": 2, "limit": 3}
	if diff := cmp.Diff(want, got.Skipped); diff != "" {
		t.Errorf("skip counts (-want +got):\n%s", diff)
	}
	if n, err := s.OpenFrontier(ctx, j.ID); err != nil || n != 6 {
		t.Errorf("open entries = %d, %v; want 6", n, err)
	}
	if _, err := s.AdmitFrontier(ctx, "nojob", 1, []e{{URL: "a"}}, nil); spidergo.ErrorCode(err) != spidergo.ENOTFOUND {
		t.Errorf("admitting to a missing job: %v, want ENOTFOUND", err)
	}
}

// testFrontierAdmitRace admits overlapping URLs from many goroutines, as
// several workers crawling one job do, under a limit: the job ends with
// exactly its limit of URLs, each admitted once, and every refusal is
// a repeat or over the limit.
func testFrontierAdmitRace(t *testing.T, s spidergo.Store) {
	ctx := context.Background()
	u := &spidergo.User{Email: "admitrace@example.com"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	j := &spidergo.Job{UserID: u.ID, Kind: spidergo.KindCrawl, URL: "x"}
	if err := s.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	const workers, batches, limit = 6, 10, 37
	var mu sync.Mutex
	admitted := map[string]int{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for b := range batches {
				entries := make([]spidergo.FrontierEntry, 5)
				for i := range entries {
					entries[i].URL = fmt.Sprintf("u%d", (w+b*5+i)%60)
				}
				got, err := s.AdmitFrontier(ctx, j.ID, limit, entries, nil)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for i, a := range got {
					if a == spidergo.AdmitNew {
						admitted[entries[i].URL]++
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(admitted) != limit {
		t.Errorf("admitted %d distinct URLs, want the limit %d", len(admitted), limit)
	}
	for u, n := range admitted {
		if n != 1 {
			t.Errorf("%s admitted %d times", u, n)
		}
	}
	if got, _ := s.JobByID(ctx, j.ID); got.Discovered != limit {
		t.Errorf("job discovered %d, want %d", got.Discovered, limit)
	}
}

// testFrontierTakeover: when no entry is queued, a claim takes the
// in-flight entries whose lease ran out, never live ones; saving ends an
// entry's openness, and a replayed save is dropped.
func testFrontierTakeover(t *testing.T, s spidergo.Store) {
	ctx := context.Background()
	u := &spidergo.User{Email: "takeover@example.com"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	j := &spidergo.Job{UserID: u.ID, Kind: spidergo.KindCrawl, URL: "x"}
	if err := s.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddFrontier(ctx, j.ID, []spidergo.FrontierEntry{{URL: "live"}, {URL: "dead"}, {URL: "queued"}}); err != nil {
		t.Fatal(err)
	}
	hour := time.Now().Add(time.Hour)
	if got, _ := s.ClaimFrontier(ctx, j.ID, spidergo.Lease{Owner: "alive", Until: hour}, 1); len(got) != 1 || got[0].URL != "live" {
		t.Fatalf("alive claimed %+v", got)
	}
	if got, _ := s.ClaimFrontier(ctx, j.ID, spidergo.Lease{Owner: "dead", Until: time.Now().Add(-time.Second)}, 1); len(got) != 1 || got[0].URL != "dead" {
		t.Fatalf("dead claimed %+v", got)
	}
	got, err := s.ClaimFrontier(ctx, j.ID, spidergo.Lease{Owner: "other", Until: hour}, 10)
	var urls []string
	for _, e := range got {
		urls = append(urls, e.URL)
	}
	if diff := cmp.Diff([]string{"queued", "dead"}, urls); err != nil || diff != "" {
		t.Errorf("other claimed (-want +got):\n%s %v", diff, err)
	}
	if n, _ := s.OpenFrontier(ctx, j.ID); n != 3 {
		t.Errorf("open entries = %d, want 3", n)
	}
	for _, url := range []string{"live", "dead", "queued", "dead"} {
		if err := s.SavePage(ctx, j.ID, &spidergo.Page{URL: url, StatusCode: 200}); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := s.OpenFrontier(ctx, j.ID); n != 0 {
		t.Errorf("open entries after saving every page = %d, want 0", n)
	}
	if got, _ := s.JobByID(ctx, j.ID); got.TotalPages != 3 {
		t.Errorf("job holds %d pages, want 3 (the replay is dropped)", got.TotalPages)
	}
	pages, _, _ := s.Pages(ctx, j.ID, "", 10)
	for i, p := range pages {
		if want := []string{"live", "dead", "queued"}[i]; p.URL != want {
			t.Errorf("page %d = %s, want %s", i+1, p.URL, want)
		}
	}
}
