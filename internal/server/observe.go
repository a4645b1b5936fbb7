package server

import "time"

// Observer is told about requests and the gate, for an operator's metrics.
// Its methods are called on every request, from many goroutines, so they
// must be quick and safe for concurrent use; nil observes nothing.
type Observer interface {
	// InFlight moves the number of requests being served by delta.
	InFlight(delta int)
	// Request reports a request served: route is the route table's
	// pattern that answered it ("/" for the catch-all 404, "" for a
	// request refused before routing by the header limits), never the raw
	// path.
	Request(route, method string, status int, d time.Duration)
	// Authorized reports the time the gate's API key check took (the key
	// lookup and the quota counter).
	Authorized(d time.Duration)
	// QuotaRefused reports a request refused for a spent quota; kind is
	// "api_key" or "trial".
	QuotaRefused(kind string)
	// QuotaRefunded reports a unit given back: "api_key" for a work
	// request that ended in 400 or 5xx, "trial" for a trial refused as bad
	// input.
	QuotaRefunded(kind string)
}

// Quota kinds an Observer is told about.
const (
	QuotaAPIKey = "api_key"
	QuotaTrial  = "trial"
)
