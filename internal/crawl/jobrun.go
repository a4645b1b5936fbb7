package crawl

import (
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/spidergo/spidergo"
)

// jobRun is one run of a job in this process: its log, whose every line
// carries the job's CRID and kind, the pages it stored, and its start, so
// that its end can be logged and observed with a duration.
type jobRun struct {
	log   *slog.Logger
	obs   Observer
	kind  string
	start time.Time
	pages atomic.Int64
}

// startRun logs and observes the start of a run of job id.
func (s *Jobs) startRun(id, kind string, async bool) *jobRun {
	r := &jobRun{log: s.log.With(slog.String("crid", id), slog.String("kind", kind)), obs: s.obs, kind: kind, start: time.Now()}
	r.log.Info("job started", slog.Bool("async", async))
	if r.obs != nil {
		r.obs.JobStarted(kind)
	}
	return r
}

// end logs and observes the end of the run: state is the job's final
// status, or "interrupted" when it is left for the next process.
func (r *jobRun) end(state string) {
	d := time.Since(r.start)
	r.log.Info("job finished", slog.String("state", state), slog.Int64("pages", r.pages.Load()), slog.Duration("duration", d))
	if r.obs != nil {
		r.obs.JobFinished(r.kind, state, d)
	}
}

// finalState is the state a run ends in: the final status of the job as
// read back after finishing it (a cancel recorded meanwhile wins), else
// the one the run asked for.
func finalState(asked string, done *spidergo.Job) string {
	if done != nil && done.Finished() {
		return done.Status
	}
	return asked
}
