package server

import (
	"context"
	"fmt"
	"time"

	"github.com/spidergo/spidergo"
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

// NormalizeURL runs the fetcher's pre-check on a user's URL: a clear 400
// for what can never be fetched, and the normalized form for the rest.
// The crawl runner checks the URLs of resumed jobs with it too.
func NormalizeURL(f *fetch.Fetcher, raw string) (string, error) {
	// A name whose every address is refused is told now, not after the
	// job is queued; the dial-time check still decides each fetch.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	u, err := f.CheckResolved(ctx, raw)
	if err != nil {
		kind := fetch.KindOf(err)
		msg := fetch.Detail(err)
		if kind == fetch.KindBlockedAddress {
			msg = fmt.Sprintf("URL %q cannot be fetched: %s", raw, msg)
		}
		return "", &spidergo.Error{Code: spidergo.EINVALID, Reason: kind, Message: msg, Err: err}
	}
	n, ok := crawl.Normalize(u.String(), false)
	if !ok {
		return "", &spidergo.Error{Code: spidergo.EINVALID, Reason: fetch.KindInvalidURL, Message: fmt.Sprintf("URL %q is not a valid http(s) URL.", raw)}
	}
	return n, nil
}
