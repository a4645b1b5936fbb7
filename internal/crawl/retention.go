package crawl

import (
	"context"
	"time"
)

// Retention sweeping: finished jobs older than the retention period go,
// with their pages and frontier, a few at a time.
const (
	// RetentionEvery is how often the sweeper looks for expired jobs.
	RetentionEvery = time.Hour
	// retentionBatch is how many jobs one store call deletes; the sweeper
	// calls again until a call finds fewer.
	retentionBatch = 50
)

// SweepExpired deletes every finished job that finished longer than keep
// ago and returns how many it deleted. keep ≤ 0 keeps jobs forever.
func (s *Jobs) SweepExpired(ctx context.Context, keep time.Duration) (int, error) {
	if keep <= 0 {
		return 0, nil
	}
	before := s.now().Add(-keep)
	total := 0
	for {
		n, err := s.store.DeleteExpiredJobs(ctx, before, retentionBatch)
		total += n
		if err != nil || n < retentionBatch {
			return total, err
		}
	}
}

// RunRetention sweeps expired jobs at once and then every `every`
// (RetentionEvery when zero) until ctx ends. A failed sweep is logged and
// tried again at the next turn. keep ≤ 0 keeps jobs forever: it returns
// at once.
func (s *Jobs) RunRetention(ctx context.Context, keep, every time.Duration) error {
	if keep <= 0 {
		return nil
	}
	if every <= 0 {
		every = RetentionEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := s.SweepExpired(ctx, keep)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Error("retention sweep failed", "deleted", n, "err", err)
		case n > 0:
			s.log.Info("expired jobs deleted", "jobs", n, "retention", keep)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
