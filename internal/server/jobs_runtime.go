package server

import (
	"context"
	"time"

	"github.com/spidergo/spidergo/internal/apikey"
	"github.com/spidergo/spidergo/internal/crawl"
	"github.com/spidergo/spidergo/internal/fetch"
)

// jobRuntime is what scrape and crawl requests run on: one fetcher and one
// job service for the whole process, built and started by the caller of
// New.
type jobRuntime struct {
	fetcher *fetch.Fetcher
	svc     *crawl.Jobs
	trials  *apikey.TrialCounter
}

// keyIDFrom is the id of the request's API key, "" on cookie routes.
func keyIDFrom(ctx context.Context) string {
	if k := keyFrom(ctx); k != nil {
		return k.ID
	}
	return ""
}

// secondsToMidnight is the wait until the next UTC day.
func secondsToMidnight(now time.Time) int {
	now = now.UTC()
	next := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, time.UTC)
	return int(next.Sub(now).Seconds()) + 1
}
