package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/spidergo/spidergo"
)

// testRetention checks DeleteExpiredJobs: only finished jobs older than
// the cut go, oldest first and at most maxJobs a call, with every page
// (more than one delete batch of them) and frontier entry; queued and
// running jobs stay whatever their age.
func testRetention(t *testing.T, s spidergo.Store) {
	ctx := context.Background()
	u := &spidergo.User{Email: "retention@example.com"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	old, recent := now.Add(-40*24*time.Hour), now.Add(-24*time.Hour)
	cut := now.Add(-30 * 24 * time.Hour)

	jobs := []struct {
		name        string
		status      string
		at          time.Time // created, and finished when final
		pages       int
		wantDeleted bool
	}{
		{"old completed crawl", spidergo.StatusCompleted, old, 1001, true},
		{"old cancelled", spidergo.StatusCancelled, old.Add(time.Minute), 3, true},
		{"old failed", spidergo.StatusFailed, old.Add(2 * time.Minute), 0, true},
		{"old running", spidergo.StatusRunning, old, 2, false},
		{"old queued", spidergo.StatusQueued, old, 0, false},
		{"recent completed", spidergo.StatusCompleted, recent, 2, false},
	}
	ids := map[string]string{}
	for _, jt := range jobs {
		j := &spidergo.Job{UserID: u.ID, Kind: spidergo.KindCrawl, URL: "https://example.com/", Status: spidergo.StatusQueued, CreatedAt: jt.at}
		if err := s.CreateJob(ctx, j); err != nil {
			t.Fatal(err)
		}
		ids[jt.name] = j.ID
		if jt.pages > 0 {
			entries := make([]spidergo.FrontierEntry, jt.pages+1) // one left queued
			for i := range entries {
				entries[i] = spidergo.FrontierEntry{URL: fmt.Sprintf("https://example.com/%d", i)}
			}
			if _, err := s.AddFrontier(ctx, j.ID, entries); err != nil {
				t.Fatal(err)
			}
			for i := range jt.pages {
				if err := s.SavePage(ctx, j.ID, &spidergo.Page{URL: entries[i].URL, StatusCode: 200, FetchedAt: jt.at}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if jt.status != spidergo.StatusQueued {
			if err := s.SetJobStatus(ctx, j.ID, jt.status, "", jt.at); err != nil {
				t.Fatal(err)
			}
		}
	}

	// Two a call: the oldest two finished jobs, then the third, then none.
	for i, want := range []int{2, 1, 0} {
		n, err := s.DeleteExpiredJobs(ctx, cut, 2)
		if err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Fatalf("call %d deleted %d jobs, want %d", i+1, n, want)
		}
	}
	for _, jt := range jobs {
		t.Run(jt.name, func(t *testing.T) {
			id := ids[jt.name]
			_, err := s.JobByID(ctx, id)
			if gone := spidergo.ErrorCode(err) == spidergo.ENOTFOUND; gone != jt.wantDeleted {
				t.Fatalf("deleted = %v (err %v), want %v", gone, err, jt.wantDeleted)
			}
			pages, _, err := s.Pages(ctx, id, "", 10)
			if err != nil {
				t.Fatal(err)
			}
			wantPages := min(jt.pages, 10)
			if jt.wantDeleted {
				wantPages = 0
			}
			if len(pages) != wantPages {
				t.Errorf("%d pages left, want %d", len(pages), wantPages)
			}
			if jt.wantDeleted {
				if n, err := s.RequeueFrontier(ctx, id, "test"); err != nil || n != 0 {
					t.Errorf("frontier entries left: %d (err %v)", n, err)
				}
			}
		})
	}
}
