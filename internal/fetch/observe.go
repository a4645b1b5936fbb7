package fetch

import "time"

// Observer is told how fetches go, for an operator's metrics. Its methods
// are called on the fetching goroutine, from many goroutines at once, so
// they must be quick and safe for concurrent use. A nil Config.Observer
// costs one comparison per fetch and no clock reading.
type Observer interface {
	// Fetched reports one Fetch: kind is "" on success or its error
	// kind (KindOf); d is the network time of the answer (Response.Duration)
	// or, when no answer came, the time until the failure, limiter waits
	// included; bytes is the payload received (Response.PayloadSize).
	Fetched(kind string, d time.Duration, bytes int64)
	// LimiterWaited reports the time one exchange waited for the per-host
	// limiter (concurrency and delay), robots.txt fetches included.
	LimiterWaited(d time.Duration)
}

// observe reports a finished Fetch to the observer.
func (f *Fetcher) observe(start time.Time, resp *Response, err error) {
	kind, d, n := "", time.Duration(0), int64(0)
	if err != nil {
		kind = KindOf(err)
		if kind == "" {
			kind = "internal"
		}
	}
	if resp != nil {
		d, n = resp.Duration, resp.PayloadSize
	} else {
		d = time.Since(start)
	}
	f.cfg.Observer.Fetched(kind, d, n)
}
