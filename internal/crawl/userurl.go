package crawl

import (
	"context"
	"fmt"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/fetch"
)

// CheckUserURL returns the check every URL a user gives goes through (the
// jobs service's Normalize): the fetcher's pre-check, with a clear 400 for
// what can never be fetched, and the normalized form for the rest.
func CheckUserURL(f *fetch.Fetcher) func(raw string) (string, error) {
	return func(raw string) (string, error) { return checkUserURL(f, raw) }
}

func checkUserURL(f *fetch.Fetcher, raw string) (string, error) {
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
	n, ok := Normalize(u.String(), false)
	if !ok {
		return "", &spidergo.Error{Code: spidergo.EINVALID, Reason: fetch.KindInvalidURL, Message: fmt.Sprintf("URL %q is not a valid http(s) URL.", raw)}
	}
	return n, nil
}
