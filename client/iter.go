package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"net/http"
	"net/url"

	"github.com/spidergo/spidergo/api"
)

// pageBatch is how many pages Pages asks for at once.
const pageBatch = 100

// Pages iterates over every page of a job's results, following the Next
// cursors; it stops at the first error, which it yields.
//
//	for p, err := range c.Pages(ctx, crid) {
//		if err != nil { return err }
//		fmt.Println(p.URL)
//	}
func (c *Client) Pages(ctx context.Context, crid string) iter.Seq2[*api.Page, error] {
	return func(yield func(*api.Page, error) bool) {
		cursor := ""
		for {
			res, err := c.Job(ctx, crid, cursor, pageBatch)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, p := range res.Pages {
				if !yield(p, nil) {
					return
				}
			}
			if res.Next == "" || res.Next == cursor {
				return
			}
			cursor = res.Next
		}
	}
}

// Stream iterates over a job's stream: a "page" line for every page from
// the first, live while the job runs, then one "summary" line with the
// finished job's head, after which it ends.
//
// If the connection drops before the summary, Stream reconnects (with the
// client's retry policy) and skips the pages it has already yielded: the
// server sends a job's pages in the order they were stored, so none is
// yielded twice and none is lost. It yields ErrStreamIncomplete, or the
// last error, once its retries are spent.
func (c *Client) Stream(ctx context.Context, crid string) iter.Seq2[*api.StreamLine, error] {
	return func(yield func(*api.StreamLine, error) bool) {
		seen := 0 // pages yielded so far
		failures := 0
		for {
			resp, err := c.do(ctx, call{method: http.MethodGet, path: "/v1/crawl/" + url.PathEscape(crid) + "/stream", idempotent: true, accept: "application/x-ndjson"})
			if err != nil {
				yield(nil, err)
				return
			}
			n, done, stop, err := readStream(resp.Body, seen, yield)
			resp.Body.Close()
			if n > seen {
				seen, failures = n, 0
			}
			if done || stop {
				return
			}
			if ctx.Err() != nil {
				yield(nil, ctx.Err())
				return
			}
			failures++
			if failures > c.retry.MaxRetries {
				if err == nil || errors.Is(err, io.ErrUnexpectedEOF) {
					err = ErrStreamIncomplete
				}
				yield(nil, err)
				return
			}
			if err := sleep(ctx, c.backoff(failures-1)); err != nil {
				yield(nil, err)
				return
			}
		}
	}
}

// readStream yields the lines of one connection, skipping the first skip
// pages. It returns the number of pages read in all, whether the summary
// came, whether the caller stopped, and the read error that ended it.
func readStream(body io.Reader, skip int, yield func(*api.StreamLine, error) bool) (n int, done, stop bool, err error) {
	dec := json.NewDecoder(body)
	for {
		var line api.StreamLine
		if err := dec.Decode(&line); err != nil {
			if err == io.EOF {
				err = nil
			}
			return n, false, false, err
		}
		switch line.Type {
		case "page":
			n++
			if n <= skip {
				continue
			}
			if !yield(&line, nil) {
				return n, false, true, nil
			}
		case "summary":
			yield(&line, nil)
			return n, true, false, nil
		}
	}
}
