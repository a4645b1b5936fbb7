package mcp

import (
	"context"
	"errors"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/client"
	"github.com/spidergo/spidergo/internal/crawl"
)

// Jobs is the part of the job service the tools use (*crawl.Jobs).
type Jobs interface {
	Start(ctx context.Context, a crawl.Actor, kind string, req *api.Request) (*crawl.Started, error)
	Get(ctx context.Context, userID, id, cursor string, limit int) (*api.Envelope, error)
	Cancel(ctx context.Context, userID, id string) (*spidergo.Job, error)
}

// JobsBackend runs the tools on the job service for one user.
type JobsBackend struct {
	Jobs  Jobs
	Actor crawl.Actor
	// Charge takes one quota unit for a job started, as /v1 does for a
	// work request, and returns what gives it back; nil charges nothing
	// (the local engine of `spidergo mcp`).
	Charge func(ctx context.Context) (refund func(), err error)
}

// Start starts a job for the backend's user.
func (b *JobsBackend) Start(ctx context.Context, kind string, req *api.Request) (*api.Envelope, error) {
	refund := func() {}
	if b.Charge != nil {
		var err error
		if refund, err = b.Charge(ctx); err != nil {
			return nil, err
		}
	}
	st, err := b.Jobs.Start(ctx, b.Actor, kind, req)
	if err != nil {
		// As on /v1: refused input and our own failures cost nothing.
		if code := spidergo.ErrorCode(err); code == spidergo.EINVALID || code == spidergo.EINTERNAL || code == spidergo.EUNAVAILABLE {
			refund()
		}
		return nil, err
	}
	return st.Envelope, nil
}

// Job returns one of the user's jobs with a page of its results.
func (b *JobsBackend) Job(ctx context.Context, crid, cursor string, limit int) (*api.Envelope, error) {
	return b.Jobs.Get(ctx, b.Actor.UserID, crid, cursor, limit)
}

// Cancel stops one of the user's jobs.
func (b *JobsBackend) Cancel(ctx context.Context, crid string) error {
	_, err := b.Jobs.Cancel(ctx, b.Actor.UserID, crid)
	return err
}

// ClientBackend runs the tools on a remote SpiderGo server.
type ClientBackend struct{ C *client.Client }

// Start starts a job on the server.
func (b *ClientBackend) Start(ctx context.Context, kind string, req *api.Request) (*api.Envelope, error) {
	var (
		res *client.Result
		id  string
		err error
	)
	switch kind {
	case spidergo.KindScrape:
		res, err = b.C.Scrape(ctx, req)
	case spidergo.KindMap:
		res, err = b.C.Map(ctx, req)
	case spidergo.KindCrawl:
		id, err = b.C.StartCrawl(ctx, req)
	case spidergo.KindBatch:
		id, err = b.C.BatchScrape(ctx, req.URLs, req)
	}
	if err != nil {
		return nil, remoteError(err)
	}
	if res != nil {
		return res.Envelope, nil
	}
	return &api.Envelope{CRID: id, Kind: kind, Status: spidergo.StatusQueued, URL: req.URL}, nil
}

// Job returns a job of the server with a page of its results.
func (b *ClientBackend) Job(ctx context.Context, crid, cursor string, limit int) (*api.Envelope, error) {
	res, err := b.C.Job(ctx, crid, cursor, limit)
	if err != nil {
		return nil, remoteError(err)
	}
	return res.Envelope, nil
}

// Cancel stops a job of the server.
func (b *ClientBackend) Cancel(ctx context.Context, crid string) error {
	_, err := b.C.Cancel(ctx, crid)
	return remoteError(err)
}

// remoteError keeps the server's message for the model to read.
func remoteError(err error) error {
	if err == nil {
		return nil
	}
	var ae *client.Error
	if errors.As(err, &ae) {
		return &spidergo.Error{Code: spidergo.EINVALID, Message: ae.Message, Err: err}
	}
	return err
}
