package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/storetest"
)

// TestSavePages stores pages in batches, as a crawl does: in order, each
// in-flight entry once (a replay and a page with no entry are dropped, in
// the batch and across batches), totals added, and a batch that fails
// leaves nothing behind.
func TestSavePages(t *testing.T) {
	for name, open := range storetest.Each() {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			ctx := context.Background()
			u := storetest.NewUser(t, db)
			j := &spidergo.Job{UserID: u.ID, Kind: spidergo.KindCrawl, URL: "https://a.example/"}
			if err := db.CreateJob(ctx, j); err != nil {
				t.Fatal(err)
			}
			var entries []spidergo.FrontierEntry
			for _, s := range []string{"u1", "u2", "u3", "u4"} {
				entries = append(entries, spidergo.FrontierEntry{URL: s})
			}
			if _, err := db.AddFrontier(ctx, j.ID, entries); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ClaimFrontier(ctx, j.ID, spidergo.Lease{Owner: "w", Until: time.Now().Add(time.Hour)}, 4); err != nil {
				t.Fatal(err)
			}
			page := func(url string, status int) *spidergo.Page {
				return &spidergo.Page{URL: url, StatusCode: status, ResponseTimeMS: 3, PayloadSize: 10, FetchedAt: time.Now().UTC()}
			}
			batches := [][]*spidergo.Page{
				{page("u2", 200), page("u1", 500), page("u2", 200), page("nowhere", 200)},
				{page("u1", 200), page("u3", 200)},
				{},
			}
			for _, b := range batches {
				if err := db.SavePages(ctx, j.ID, b); err != nil {
					t.Fatal(err)
				}
			}
			// A batch that cannot be written stores nothing: u4 stays in
			// flight, to be claimed again.
			cancelled, cancel := context.WithCancel(ctx)
			cancel()
			if err := db.SavePages(cancelled, j.ID, []*spidergo.Page{page("u4", 200)}); err == nil {
				t.Error("saving pages with a cancelled context succeeded")
			}
			got, _, err := db.Pages(ctx, j.ID, "", 10)
			if err != nil {
				t.Fatal(err)
			}
			var urls []string
			for _, p := range got {
				urls = append(urls, p.URL)
			}
			if d := cmp.Diff([]string{"u2", "u1", "u3"}, urls); d != "" {
				t.Errorf("stored pages (-want +got):\n%s", d)
			}
			jj, err := db.JobByID(ctx, j.ID)
			if err != nil {
				t.Fatal(err)
			}
			if jj.TotalPages != 3 || jj.Failed != 1 || jj.TotalPayloadSize != 30 || jj.InFlight != 1 {
				t.Errorf("totals: %d pages, %d failed, %d bytes, %d in flight; want 3, 1, 30, 1", jj.TotalPages, jj.Failed, jj.TotalPayloadSize, jj.InFlight)
			}
		})
	}
}
