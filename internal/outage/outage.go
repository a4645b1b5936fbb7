// Package outage follows whether a shared dependency (Redis, or the
// database holding shared limits) answers, so that its users degrade in
// step: each change of state is logged once, not once per request, the
// readiness probe can report it, and while it is down callers go straight
// to their fallback, trying the dependency again only now and then instead
// of making every request wait for it to fail.
package outage

import (
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// RetryEvery is how often, while a dependency is down, one caller tries it
// again.
const RetryEvery = time.Second

// Watch is the state of one dependency. A nil *Watch is a dependency that
// is always up: Try answers true and Report does nothing.
type Watch struct {
	name    string
	degrade string
	log     *slog.Logger
	now     func() time.Time

	// isDown mirrors down for the fast path: while the dependency is up,
	// Try and a successful Report take no lock (they run on every request
	// that uses it).
	isDown atomic.Bool

	mu      sync.Mutex
	down    bool
	err     error
	since   time.Time
	lastTry time.Time
}

// New returns the watch of the dependency called name; degrade says, for
// the log, what its users do while it is down.
func New(name, degrade string, log *slog.Logger) *Watch {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Watch{name: name, degrade: degrade, log: log, now: time.Now}
}

// SetClock replaces the clock; tests use it to pass RetryEvery.
func (w *Watch) SetClock(now func() time.Time) { w.now = now }

// Try reports whether a caller should use the dependency now: always while
// it is up; while it is down, only the first caller after each RetryEvery,
// whose Report then settles the state.
func (w *Watch) Try() bool {
	if w == nil || !w.isDown.Load() {
		return true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.down {
		return true
	}
	now := w.now()
	if now.Sub(w.lastTry) < RetryEvery {
		return false
	}
	w.lastTry = now
	return true
}

// Report records the outcome of one use: err nil means the dependency
// answered. Going down and coming back are logged once each.
func (w *Watch) Report(err error) {
	if w == nil || (err == nil && !w.isDown.Load()) {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	switch {
	case err != nil && !w.down:
		w.down, w.err, w.since, w.lastTry = true, err, now, now
		w.isDown.Store(true)
		w.log.Warn(w.name+" is unavailable; "+w.degrade, "dependency", w.name, "err", err)
	case err != nil:
		w.err = err
	case w.down:
		w.down, w.err = false, nil
		w.isDown.Store(false)
		w.log.Info(w.name+" is available again", "dependency", w.name, "down_for", now.Sub(w.since).Round(time.Millisecond).String())
	}
}

// ErrDown marks errors caused by a dependency being down. The outage is
// logged by its Watch, once, so whoever answers such an error (a 503) need
// not log it again for every request.
var ErrDown = errors.New("unavailable")

// Err is nil while the dependency is up, else the error that it last
// failed with.
func (w *Watch) Err() error {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.down {
		return nil
	}
	return w.err
}

// Name is the dependency's name as the log shows it.
func (w *Watch) Name() string {
	if w == nil {
		return ""
	}
	return w.name
}
