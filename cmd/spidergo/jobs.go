package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/client"
)

// cancelWait bounds the cancellation of a remote job after Ctrl-C.
const cancelWait = 10 * time.Second

func (r *runner) scrape(ctx context.Context, c *scrapeCmd) int {
	req, err := request(&c.Fetch, &c.Page, &c.Extract, &c.Out)
	if err != nil {
		return r.fail("scrape", err)
	}
	req.URL = c.URL
	if c.NoStore {
		req.Store = api.Ptr(false)
	}
	return r.pages(ctx, "scrape", spidergo.KindScrape, req, &c.Mode, &c.Out, "")
}

func (r *runner) crawl(ctx context.Context, c *crawlCmd) int {
	req, err := request(&c.Fetch, &c.Page, &c.Extract, &c.Out)
	if err != nil {
		return r.fail("crawl", err)
	}
	req.URL, req.Limit = c.URL, api.Ptr(c.Limit)
	depth := c.MaxDepth
	req.MaxDepth = &depth
	c.Scope.apply(req)
	req.CrawlEntireSite = c.Crawl.CrawlEntireSite
	c.Pace.apply(req)
	if err := c.Webhook.apply(req); err != nil {
		return r.fail("crawl", err)
	}
	return r.pages(ctx, "crawl", spidergo.KindCrawl, req, &c.Mode, &c.Out, c.Pace.Resume)
}

func (r *runner) batch(ctx context.Context, c *batchCmd) int {
	req, err := request(&c.Fetch, &c.Page, &c.Extract, &c.Out)
	if err != nil {
		return r.fail("batch", err)
	}
	if req.URLs, err = r.readURLs(c.File); err != nil {
		return r.fail("batch", err)
	}
	c.Pace.apply(req)
	req.IgnoreInvalidURLs = c.IgnoreInvalidURLs
	if err := c.Webhook.apply(req); err != nil {
		return r.fail("batch", err)
	}
	return r.pages(ctx, "batch", spidergo.KindBatch, req, &c.Mode, &c.Out, c.Pace.Resume)
}

// pages runs a job that yields pages, locally or on a server, and writes
// them out. The exit code says whether every page was fetched.
func (r *runner) pages(ctx context.Context, cmd, kind string, req *api.Request, m *modeFlags, of *outputFlags, resume string) int {
	apiURL, apiKey, err := r.remote(m)
	if err != nil {
		return r.fail(cmd, err)
	}
	if apiURL != "" && resume != "" {
		return r.fail(cmd, usagef("--resume is for local mode; a remote job keeps its state on the server"))
	}
	// Local jobs are validated before anything is written.
	var l *local
	invalid := 0 // URLs of a batch not run (--ignore-invalid-urls)
	var runLocal func(*output, *progress) error
	if apiURL == "" {
		if err := remoteOnly(req); err != nil {
			return r.fail(cmd, err)
		}
		if l, err = newLocal(m.Allow, r.env); err != nil {
			return r.fail(cmd, err)
		}
		defer l.close()
		if kind == spidergo.KindCrawl {
			// Locally there is no request to answer within a deadline:
			// the asynchronous limits apply.
			req.Async = api.Ptr(true)
		}
		o, err := l.options(req, kind)
		if err != nil {
			return r.fail(cmd, err)
		}
		invalid = len(o.InvalidURLs)
		r.reportInvalid(cmd, o.InvalidURLs, m.Quiet)
		runLocal = func(out *output, prog *progress) error { return l.run(ctx, o, out, prog, resume) }
	}
	out, err := newOutput(of.Format, of.Output, kind == spidergo.KindScrape, r.stdout, r.stderr, m.Quiet)
	if err != nil {
		return r.fail(cmd, err)
	}
	prog := newProgress(r.stderr, m.Quiet || kind == spidergo.KindScrape, apiURL == "")
	var runErr error
	if runLocal != nil {
		runErr = runLocal(out, prog)
	} else {
		invalid, runErr = r.remoteJob(ctx, cmd, kind, req, apiURL, apiKey, out, prog, m.Quiet)
	}
	prog.finish()
	if err := out.close(); err != nil && runErr == nil {
		runErr = err
	}
	if ctx.Err() != nil {
		fmt.Fprintf(r.stderr, "spidergo %s: interrupted; kept the pages fetched so far\n", cmd)
		return exitInterrupted
	}
	if runErr != nil {
		return r.fail(cmd, runErr)
	}
	n, failed := out.counts()
	if invalid > 0 {
		fmt.Fprintf(r.stderr, "spidergo %s: %d URLs were not run\n", cmd, invalid)
		if failed == 0 {
			return exitFailed
		}
	}
	if failed > 0 {
		if n > 1 || kind != spidergo.KindScrape {
			fmt.Fprintf(r.stderr, "spidergo %s: %d of %d pages failed\n", cmd, failed, n)
		}
		return exitFailed
	}
	return exitOK
}

// reportInvalid prints the URLs of a batch that were not run, one a line.
func (r *runner) reportInvalid(cmd string, urls []api.InvalidURL, quiet bool) {
	if quiet {
		return
	}
	for _, u := range urls {
		fmt.Fprintf(r.stderr, "spidergo %s: not run: %s: %s (%s)\n", cmd, u.URL, oneLine(u.Reason), u.Code)
	}
}

// jobFailed is a remote job that ended failed.
type jobFailed struct{ env *api.Envelope }

func (e *jobFailed) Error() string {
	msg := e.env.Error
	if msg == "" {
		msg = "no reason given"
	}
	return fmt.Sprintf("job %s %s: %s", e.env.CRID, e.env.Status, msg)
}

// remoteJob runs the job on a server through the SDK: a scrape answers at
// once; crawls and batches are started and their stream followed, and
// cancelled on the server when ctx ends.
func (r *runner) remoteJob(ctx context.Context, cmd, kind string, req *api.Request, apiURL, apiKey string, out *output, prog *progress, quiet bool) (invalid int, _ error) {
	err := r.remoteRun(ctx, cmd, kind, req, apiURL, apiKey, out, prog, quiet, &invalid)
	return invalid, err
}

func (r *runner) remoteRun(ctx context.Context, cmd, kind string, req *api.Request, apiURL, apiKey string, out *output, prog *progress, quiet bool, invalid *int) error {
	c, err := client.New(apiURL, apiKey, client.WithUserAgent("spidergo-cli/"+spidergo.Version))
	if err != nil {
		return usagef("%v", err)
	}
	if kind == spidergo.KindScrape {
		res, err := c.Scrape(ctx, req)
		if err != nil {
			return remoteError(err)
		}
		for _, p := range res.Pages {
			if err := out.page(p); err != nil {
				return err
			}
		}
		return nil
	}
	var crid string
	if kind == spidergo.KindBatch {
		var res *client.Result
		if res, err = c.StartBatch(ctx, req); err == nil {
			crid = res.CRID
			*invalid = len(res.InvalidURLs)
			r.reportInvalid(cmd, res.InvalidURLs, quiet)
		}
	} else {
		crid, err = c.StartCrawl(ctx, req)
	}
	if err != nil {
		return remoteError(err)
	}
	for line, err := range c.Stream(ctx, crid) {
		if err != nil {
			if ctx.Err() != nil {
				cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cancelWait)
				defer cancel()
				if _, cerr := c.Cancel(cctx, crid); cerr != nil {
					fmt.Fprintf(r.stderr, "spidergo: could not cancel job %s: %v\n", crid, cerr)
				}
				return ctx.Err()
			}
			return remoteError(err)
		}
		switch line.Type {
		case "page":
			prog.page(failedPage(line.Page))
			if err := out.page(line.Page); err != nil {
				return err
			}
		case "summary":
			if line.Job != nil && line.Job.Status == api.StatusFailed {
				return &jobFailed{line.Job}
			}
		}
	}
	return nil
}

// remoteError makes an SDK error one line for people; a refused input is
// a usage error.
func remoteError(err error) error {
	var e *client.Error
	if !errors.As(err, &e) {
		return err
	}
	if e.Status == 400 {
		return usagef("%s", e.Message)
	}
	msg := fmt.Sprintf("server answered %d %s: %s", e.Status, e.Code, e.Message)
	if e.RequestID != "" {
		msg += " (request " + e.RequestID + ")"
	}
	return errors.New(msg)
}

func (r *runner) mapSite(ctx context.Context, c *mapCmd) int {
	req, err := request(&c.Fetch, nil, nil, nil)
	if err != nil {
		return r.fail("map", err)
	}
	req.URL, req.Limit = c.URL, api.Ptr(c.Limit)
	req.Search, req.IncludeTitles = c.Search, c.IncludeTitles
	c.Scope.apply(req)
	apiURL, apiKey, err := r.remote(&c.Mode)
	if err != nil {
		return r.fail("map", err)
	}
	var res *api.Envelope
	if apiURL == "" {
		if err := remoteOnly(req); err != nil {
			return r.fail("map", err)
		}
		l, err := newLocal(c.Mode.Allow, r.env)
		if err != nil {
			return r.fail("map", err)
		}
		defer l.close()
		o, err := l.options(req, spidergo.KindMap)
		if err != nil {
			return r.fail("map", err)
		}
		m, err := l.engine.MapSite(ctx, o)
		if err != nil && ctx.Err() == nil {
			return r.fail("map", fmt.Errorf("%s: %w", o.Seeds[0], err))
		}
		if m != nil {
			res = &api.Envelope{}
			m.Fill(res)
		}
	} else {
		cl, err := client.New(apiURL, apiKey, client.WithUserAgent("spidergo-cli/"+spidergo.Version))
		if err != nil {
			return r.fail("map", usagef("%v", err))
		}
		got, err := cl.Map(ctx, req)
		if err != nil && ctx.Err() == nil {
			return r.fail("map", remoteError(err))
		}
		if got != nil {
			res = got.Envelope
		}
	}
	if res == nil {
		res = &api.Envelope{}
	}
	if c.IncludeTitles {
		err = writeLinks(r.stdout, c.Format, res.Links)
	} else {
		err = writeURLs(r.stdout, c.Format, res.URLs)
	}
	if err != nil {
		return r.fail("map", err)
	}
	if ctx.Err() != nil {
		fmt.Fprintln(r.stderr, "spidergo map: interrupted")
		return exitInterrupted
	}
	return exitOK
}

// writeLinks writes a map's URLs with their titles: one object a line or
// one array for json and ndjson, the URL, a tab and the title otherwise.
func writeLinks(w io.Writer, format string, links []api.MapLink) error {
	if links == nil {
		links = []api.MapLink{}
	}
	switch format {
	case "json":
		b, err := json.MarshalIndent(links, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	case "ndjson":
		for _, l := range links {
			b, _ := json.Marshal(l)
			if _, err := w.Write(append(b, '\n')); err != nil {
				return err
			}
		}
		return nil
	}
	for _, l := range links {
		if _, err := fmt.Fprintf(w, "%s\t%s\n", l.URL, oneLine(l.Title)); err != nil {
			return err
		}
	}
	return nil
}

func writeURLs(w interface{ Write([]byte) (int, error) }, format string, urls []string) error {
	if urls == nil {
		urls = []string{}
	}
	switch format {
	case "json":
		b, err := json.MarshalIndent(urls, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	case "ndjson":
		for _, u := range urls {
			b, _ := json.Marshal(u)
			if _, err := w.Write(append(b, '\n')); err != nil {
				return err
			}
		}
		return nil
	}
	for _, u := range urls {
		if _, err := fmt.Fprintln(w, u); err != nil {
			return err
		}
	}
	return nil
}
