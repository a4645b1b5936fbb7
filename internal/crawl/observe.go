package crawl

import "time"

// Observer is told what the engine and the job service do, for an
// operator's metrics. Its methods are called from many goroutines, on the
// paths that fetch and store pages, so they must be quick and safe for
// concurrent use. A nil Observer costs one comparison and no clock reading.
type Observer interface {
	// JobStarted reports a job of kind starting to run in this process
	// (trials included; a resumed job starts again).
	JobStarted(kind string)
	// JobFinished reports the end of a run that JobStarted reported:
	// state is the job's final status (completed, failed, cancelled) or
	// "interrupted" when the process stops and leaves the job to resume.
	JobFinished(kind, state string, d time.Duration)
	// PageDone reports one page of a job: outcome is "ok", "cached", or
	// the page's error (a fetch kind such as "timeout", or
	// "extract_failed", "noindex").
	PageDone(outcome string)
	// Extracted reports the time one HTML body took to extract.
	Extracted(d time.Duration)
	// FrontierAdded reports n URLs admitted to a job's frontier.
	FrontierAdded(n int)
	// PageSaved reports the time the store took to save one page.
	PageSaved(d time.Duration)
}

// Load is a snapshot of the engine's shared queues, cheap to take.
type Load struct {
	// FetchSlotsInUse are fetches in flight across all jobs; FetchWaiting
	// are pages waiting for a fetch slot.
	FetchSlotsInUse, FetchWaiting int
	// ParseSlotsInUse are pages being extracted; ParseWaiting wait for an
	// extract slot; ParseRefused synchronous pages gave up waiting, since
	// the start.
	ParseSlotsInUse, ParseWaiting int
	ParseRefused                  int64
}

// Load returns the engine's current queue sizes.
func (e *Engine) Load() Load {
	inUse, waiting := e.slots.load()
	ps := e.parse.Stats()
	return Load{FetchSlotsInUse: inUse, FetchWaiting: waiting, ParseSlotsInUse: int(ps.InUse), ParseWaiting: int(ps.Waiting), ParseRefused: ps.Refused}
}

// pageOutcome is what a finished page reports to the observer.
func pageOutcome(p *fetched) string {
	switch {
	case p.Cached:
		return "cached"
	case p.Error != "":
		return p.Error
	}
	return "ok"
}

// Waiting is how many submitted jobs wait in this process for their user's
// slot; 0 when a scheduler other than the in-process Runner holds them.
func (s *Jobs) Waiting() int {
	if w, ok := s.sched.(interface{ Waiting() int }); ok {
		return w.Waiting()
	}
	return 0
}

// Waiting is how many submitted jobs wait for a slot.
func (r *Runner) Waiting() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.waiting)
}
