package main

import (
	"context"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/crawl"
)

// SaveBatch times a batch of pages stored at once, as one Save call, when
// the queue beneath stores batches.
func (q *timedQueue) SaveBatch(ctx context.Context, pages []*spidergo.Page) error {
	bq, ok := q.Queue.(crawl.BatchQueue)
	if !ok {
		for _, p := range pages {
			if err := q.Save(ctx, p); err != nil {
				return err
			}
		}
		return nil
	}
	defer q.record("Save", time.Now())
	return bq.SaveBatch(ctx, pages)
}
