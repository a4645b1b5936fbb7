// Package mcp is SpiderGo's Model Context Protocol server: the tools
// scrape, crawl, crawl_status, cancel, map and batch_scrape, for agents
// (Claude, Cursor, IDEs) over stdio (`spidergo mcp`) or streamable HTTP
// (/mcp on the server).
//
// Its rules: the tools run on a Backend — the job service for one user, or
// a remote server through the Go SDK — so an agent gets the same answers,
// limits and safety rules as /v1. Every result is Markdown text for the
// model plus structured content for programs, and is bounded: max_chars
// caps the text, crawl_status pages through results, so a big crawl
// cannot flood an agent's context. A tool that waits (crawl and
// batch_scrape with "wait") sends progress notifications and, when the
// call is cancelled, cancels its job.
package mcp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
)

// Backend runs the tools' jobs.
type Backend interface {
	// Start starts a job of kind: a scrape or a map answers when done,
	// a crawl or a batch is queued and answers at once with its CRID.
	Start(ctx context.Context, kind string, req *api.Request) (*api.Envelope, error)
	// Job returns a job with up to limit of its pages after cursor.
	Job(ctx context.Context, crid, cursor string, limit int) (*api.Envelope, error)
	// Cancel stops a queued or running job.
	Cancel(ctx context.Context, crid string) error
}

// Config configures the MCP server.
type Config struct {
	// Backend returns the backend a tool call runs on: a fixed one over
	// stdio, the caller's over HTTP.
	Backend func(ctx context.Context, req *sdk.CallToolRequest) (Backend, error)
	// Version is reported to clients.
	Version string
	// Poll is how often a waiting tool looks at its job (default 1 s).
	Poll time.Duration
}

// Bounds of the tools' output.
const (
	DefaultMaxChars = 20000
	MaxMaxChars     = 200000
	MinMaxChars     = 200
	DefaultPages    = 10
	MaxPages        = 50
	DefaultMapURLs  = 200
)

// NewServer builds the MCP server with SpiderGo's tools.
func NewServer(cfg Config) *sdk.Server {
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	t := &tools{cfg: cfg}
	s := sdk.NewServer(&sdk.Implementation{Name: "spidergo", Title: "SpiderGo", Version: cfg.Version}, &sdk.ServerOptions{
		Instructions: "SpiderGo fetches web pages and whole sites as clean Markdown. Use scrape for one page, map to list a site's URLs, " +
			"crawl (then crawl_status to read the pages, a few at a time) for a site, batch_scrape for a list of URLs. " +
			"Outputs are cut at max_chars; page through crawl results with the cursor crawl_status returns.",
	})
	sdk.AddTool(s, &sdk.Tool{Name: "scrape", Title: "Scrape a page",
		Description: "Fetch one web page and return its main content as Markdown, with its title, description, status and links."}, t.scrape)
	sdk.AddTool(s, &sdk.Tool{Name: "crawl", Title: "Crawl a site",
		Description: "Start crawling a site from a URL, following its links within scope. Returns the crawl's id (CRID) at once; " +
			"read the pages with crawl_status. With wait=true, waits for the crawl to end, reporting progress."}, t.crawl)
	sdk.AddTool(s, &sdk.Tool{Name: "crawl_status", Title: "Read a crawl",
		Description: "A crawl's or batch's status and a page of its results as Markdown. Pass the returned next_cursor to read on."}, t.crawlStatus)
	sdk.AddTool(s, &sdk.Tool{Name: "cancel", Title: "Cancel a crawl",
		Description: "Stop a running crawl or batch; the pages fetched so far stay readable."}, t.cancel)
	sdk.AddTool(s, &sdk.Tool{Name: "map", Title: "Map a site",
		Description: "List a site's URLs from its sitemaps and the start page's links, without fetching every page."}, t.mapSite)
	sdk.AddTool(s, &sdk.Tool{Name: "batch_scrape", Title: "Scrape many pages",
		Description: "Scrape a list of URLs as one job. Returns its id (CRID) at once; read the pages with crawl_status. " +
			"With wait=true, waits for the batch to end, reporting progress."}, t.batch)
	return s
}

type tools struct{ cfg Config }

// ScrapeInput is the scrape tool's input.
type ScrapeInput struct {
	URL             string   `json:"url" jsonschema:"the page to fetch (http or https)"`
	OnlyMainContent *bool    `json:"only_main_content,omitempty" jsonschema:"keep the main content only, without navigation, headers and footers (default true)"`
	IncludeTags     []string `json:"include_tags,omitempty" jsonschema:"CSS selectors of the elements to keep"`
	ExcludeTags     []string `json:"exclude_tags,omitempty" jsonschema:"CSS selectors of the elements to remove"`
	TimeoutMS       *int     `json:"timeout_ms,omitempty" jsonschema:"deadline of the fetch in milliseconds (1000 to 120000; default 30000)"`
	MaxChars        *int     `json:"max_chars,omitempty" jsonschema:"cut the Markdown at this many characters (200 to 200000; default 20000)"`
}

// PageOutput is one page in a tool's structured output.
type PageOutput struct {
	URL         string   `json:"url"`
	FinalURL    string   `json:"final_url,omitempty"`
	StatusCode  int      `json:"status_code"`
	Title       string   `json:"title,omitempty"`
	Description string   `json:"description,omitempty"`
	Markdown    string   `json:"markdown,omitempty"`
	Links       []string `json:"links,omitempty"`
	Error       string   `json:"error,omitempty"`
	Truncated   bool     `json:"truncated,omitempty"`
}

// JobOutput is the structured output of crawl, batch_scrape,
// crawl_status and cancel.
type JobOutput struct {
	CRID       string       `json:"crid"`
	Kind       string       `json:"kind,omitempty"`
	Status     string       `json:"status"`
	URL        string       `json:"url,omitempty"`
	TotalPages int          `json:"total_pages"`
	Failed     int          `json:"failed"`
	Discovered int          `json:"discovered"`
	Limit      int          `json:"limit"`
	NextCursor string       `json:"next_cursor,omitempty"`
	Pages      []PageOutput `json:"pages,omitempty"`
}

// MapOutput is the map tool's structured output.
type MapOutput struct {
	URL       string   `json:"url"`
	Count     int      `json:"count"`
	URLs      []string `json:"urls"`
	Truncated bool     `json:"truncated,omitempty"`
}

func maxChars(p *int) (int, error) {
	if p == nil {
		return DefaultMaxChars, nil
	}
	if *p < MinMaxChars || *p > MaxMaxChars {
		return 0, fmt.Errorf("max_chars must be from %d to %d", MinMaxChars, MaxMaxChars)
	}
	return *p, nil
}

// cut shortens s to n characters (runes), reporting whether it did.
func cut(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	r := []rune(s)
	if len(r) <= n {
		return s, false
	}
	return string(r[:n]), true
}

// toolError turns an error into a tool result the model can read and act
// on; cancellation stays a protocol error.
func toolError(err error) (*sdk.CallToolResult, error) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil, err
	}
	msg := spidergo.ErrorMessage(err)
	var e *spidergo.Error
	if !errors.As(err, &e) {
		msg = err.Error()
	}
	return &sdk.CallToolResult{IsError: true, Content: []sdk.Content{&sdk.TextContent{Text: "Error: " + msg}}}, nil
}

func text(s string) []sdk.Content { return []sdk.Content{&sdk.TextContent{Text: s}} }

func pageOutput(p *api.Page, budget int) PageOutput {
	out := PageOutput{URL: p.URL, StatusCode: p.StatusCode, Title: p.Title, Description: p.MetaDescription, Error: p.ErrorDetail}
	if p.FinalURL != p.URL {
		out.FinalURL = p.FinalURL
	}
	if out.Error == "" {
		out.Error = p.Error
	}
	out.Markdown, out.Truncated = cut(p.Markdown, budget)
	if p.Links != nil {
		out.Links = append(append([]string{}, p.Links.Internal...), p.Links.External...)
	}
	return out
}

// pageMarkdown is a page as the model reads it.
func pageMarkdown(b *strings.Builder, p PageOutput, links bool) {
	title := p.Title
	if title == "" {
		title = p.URL
	}
	fmt.Fprintf(b, "# %s\n\nURL: %s", title, p.URL)
	if p.FinalURL != "" {
		fmt.Fprintf(b, " (redirected to %s)", p.FinalURL)
	}
	fmt.Fprintf(b, "\nStatus: %d\n", p.StatusCode)
	if p.Description != "" {
		fmt.Fprintf(b, "Description: %s\n", p.Description)
	}
	if p.Error != "" {
		fmt.Fprintf(b, "Error: %s\n", p.Error)
	}
	b.WriteString("\n")
	b.WriteString(p.Markdown)
	if p.Truncated {
		b.WriteString("\n\n[… cut at max_chars]")
	}
	b.WriteString("\n")
	if links && len(p.Links) > 0 {
		fmt.Fprintf(b, "\nLinks (%d):\n", len(p.Links))
		for i, l := range p.Links {
			if i == 50 {
				fmt.Fprintf(b, "- … %d more\n", len(p.Links)-50)
				break
			}
			fmt.Fprintf(b, "- %s\n", l)
		}
	}
}

func (t *tools) backend(ctx context.Context, req *sdk.CallToolRequest) (Backend, error) {
	return t.cfg.Backend(ctx, req)
}

func (t *tools) scrape(ctx context.Context, req *sdk.CallToolRequest, in ScrapeInput) (*sdk.CallToolResult, PageOutput, error) {
	n, err := maxChars(in.MaxChars)
	if err != nil {
		r, err := toolError(err)
		return r, PageOutput{}, err
	}
	b, err := t.backend(ctx, req)
	if err != nil {
		return nil, PageOutput{}, err
	}
	env, err := b.Start(ctx, spidergo.KindScrape, &api.Request{URL: in.URL, Formats: []string{"markdown", "links", "metadata"},
		OnlyMainContent: in.OnlyMainContent, IncludeTags: in.IncludeTags, ExcludeTags: in.ExcludeTags, TimeoutMS: in.TimeoutMS})
	if err != nil {
		r, err := toolError(err)
		return r, PageOutput{}, err
	}
	if len(env.Pages) == 0 {
		r, err := toolError(fmt.Errorf("the page was not fetched in time"))
		return r, PageOutput{}, err
	}
	out := pageOutput(env.Pages[0], n)
	var sb strings.Builder
	pageMarkdown(&sb, out, true)
	return &sdk.CallToolResult{Content: text(sb.String()), IsError: out.StatusCode == 0 && out.Error != ""}, out, nil
}

// CrawlInput is the crawl tool's input.
type CrawlInput struct {
	URL             string   `json:"url" jsonschema:"where the crawl starts (http or https)"`
	Limit           *int     `json:"limit,omitempty" jsonschema:"most pages to fetch (1 to 10000; default 10)"`
	MaxDepth        *int     `json:"max_depth,omitempty" jsonschema:"most links to follow from the start page (0 to 50; default 3)"`
	IncludePaths    []string `json:"include_paths,omitempty" jsonschema:"follow only URLs whose path matches one of these regular expressions"`
	ExcludePaths    []string `json:"exclude_paths,omitempty" jsonschema:"never follow URLs whose path matches one of these regular expressions"`
	CrawlEntireSite *bool    `json:"crawl_entire_site,omitempty" jsonschema:"follow links anywhere on the site, not only under the start URL's directory"`
	OnlyMainContent *bool    `json:"only_main_content,omitempty" jsonschema:"keep each page's main content only (default true)"`
	Wait            *bool    `json:"wait,omitempty" jsonschema:"wait until the crawl ends, sending progress notifications (default false: answer at once)"`
}

func (t *tools) crawl(ctx context.Context, req *sdk.CallToolRequest, in CrawlInput) (*sdk.CallToolResult, JobOutput, error) {
	r := &api.Request{URL: in.URL, Limit: in.Limit, MaxDepth: in.MaxDepth, IncludePaths: in.IncludePaths, ExcludePaths: in.ExcludePaths,
		OnlyMainContent: in.OnlyMainContent, Async: api.Ptr(true), Formats: []string{"markdown", "links", "metadata"}}
	if in.CrawlEntireSite != nil {
		r.CrawlEntireSite = *in.CrawlEntireSite
	}
	return t.startJob(ctx, req, spidergo.KindCrawl, r, in.Wait != nil && *in.Wait)
}

// BatchInput is the batch_scrape tool's input.
type BatchInput struct {
	URLs            []string `json:"urls" jsonschema:"the pages to fetch (1 to 1000)"`
	OnlyMainContent *bool    `json:"only_main_content,omitempty" jsonschema:"keep each page's main content only (default true)"`
	Wait            *bool    `json:"wait,omitempty" jsonschema:"wait until the batch ends, sending progress notifications (default false: answer at once)"`
}

func (t *tools) batch(ctx context.Context, req *sdk.CallToolRequest, in BatchInput) (*sdk.CallToolResult, JobOutput, error) {
	r := &api.Request{URLs: in.URLs, OnlyMainContent: in.OnlyMainContent, Async: api.Ptr(true), Formats: []string{"markdown", "links", "metadata"}}
	return t.startJob(ctx, req, spidergo.KindBatch, r, in.Wait != nil && *in.Wait)
}

// startJob starts a crawl or batch and, when asked, waits for its end.
func (t *tools) startJob(ctx context.Context, req *sdk.CallToolRequest, kind string, r *api.Request, wait bool) (*sdk.CallToolResult, JobOutput, error) {
	b, err := t.backend(ctx, req)
	if err != nil {
		return nil, JobOutput{}, err
	}
	env, err := b.Start(ctx, kind, r)
	if err != nil {
		res, err := toolError(err)
		return res, JobOutput{}, err
	}
	if wait {
		if env, err = t.wait(ctx, req, b, env.CRID); err != nil {
			res, err := toolError(err)
			return res, JobOutput{}, err
		}
	}
	out := jobOutput(env)
	var sb strings.Builder
	jobHead(&sb, out)
	fmt.Fprintf(&sb, "\nRead its pages with crawl_status {\"crid\": %q}.\n", out.CRID)
	return &sdk.CallToolResult{Content: text(sb.String())}, out, nil
}

func finished(status string) bool {
	return status == spidergo.StatusCompleted || status == spidergo.StatusCancelled || status == spidergo.StatusFailed
}

// wait polls a job until it ends, reporting its progress to a client that
// asked for it. A cancelled call cancels the job.
func (t *tools) wait(ctx context.Context, req *sdk.CallToolRequest, b Backend, crid string) (*api.Envelope, error) {
	token := req.Params.GetProgressToken()
	tick := time.NewTicker(t.cfg.Poll)
	defer tick.Stop()
	last := -1
	for {
		env, err := b.Job(ctx, crid, "", 1)
		if err != nil {
			if ctx.Err() != nil {
				err = ctx.Err()
			}
			if errors.Is(err, context.Canceled) {
				cancelJob(ctx, b, crid)
			}
			return nil, err
		}
		if token != nil && env.TotalPages != last {
			last = env.TotalPages
			total := float64(max(env.Limit, env.TotalPages))
			if finished(env.Status) {
				total = float64(env.TotalPages)
			}
			_ = req.Session.NotifyProgress(ctx, &sdk.ProgressNotificationParams{ProgressToken: token,
				Progress: float64(env.TotalPages), Total: total, Message: fmt.Sprintf("%d pages fetched (%s)", env.TotalPages, env.Status)})
		}
		if finished(env.Status) {
			env.Pages = nil
			return env, nil
		}
		select {
		case <-ctx.Done():
			cancelJob(ctx, b, crid)
			return nil, ctx.Err()
		case <-tick.C:
		}
	}
}

// cancelJob cancels the job of a cancelled call. (Over HTTP a call's
// context belongs to its session, not to one request: a server stopping
// ends the requests and leaves async jobs to resume after the restart.)
func cancelJob(ctx context.Context, b Backend, crid string) {
	_ = b.Cancel(context.WithoutCancel(ctx), crid)
}

func jobOutput(env *api.Envelope) JobOutput {
	return JobOutput{CRID: env.CRID, Kind: env.Kind, Status: env.Status, URL: env.URL, TotalPages: env.TotalPages, Failed: env.Failed,
		Discovered: env.Discovered, Limit: env.Limit}
}

func jobHead(b *strings.Builder, o JobOutput) {
	kind := o.Kind
	if kind == "" {
		kind = "job"
	}
	fmt.Fprintf(b, "%s %s: %s", kind, o.CRID, o.Status)
	if o.URL != "" {
		fmt.Fprintf(b, " (%s)", o.URL)
	}
	fmt.Fprintf(b, "\nPages: %d stored, %d failed, %d discovered, limit %d\n", o.TotalPages, o.Failed, o.Discovered, o.Limit)
}

// StatusInput is the crawl_status tool's input.
type StatusInput struct {
	CRID     string `json:"crid" jsonschema:"the id crawl or batch_scrape returned"`
	Cursor   string `json:"cursor,omitempty" jsonschema:"next_cursor of the previous call, to read on"`
	Limit    *int   `json:"limit,omitempty" jsonschema:"pages to return (1 to 50; default 10)"`
	MaxChars *int   `json:"max_chars,omitempty" jsonschema:"characters of Markdown for all the pages returned together (200 to 200000; default 20000)"`
}

func (t *tools) crawlStatus(ctx context.Context, req *sdk.CallToolRequest, in StatusInput) (*sdk.CallToolResult, JobOutput, error) {
	n, err := maxChars(in.MaxChars)
	limit := DefaultPages
	if err == nil && in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > MaxPages {
			err = fmt.Errorf("limit must be from 1 to %d", MaxPages)
		}
		limit = *in.Limit
	}
	if err != nil {
		r, err := toolError(err)
		return r, JobOutput{}, err
	}
	b, err := t.backend(ctx, req)
	if err != nil {
		return nil, JobOutput{}, err
	}
	env, err := b.Job(ctx, in.CRID, in.Cursor, limit)
	if err != nil {
		r, err := toolError(err)
		return r, JobOutput{}, err
	}
	out := jobOutput(env)
	out.NextCursor = env.Next
	out.Pages = []PageOutput{}
	// Each page gets an equal share of the budget.
	share := n / max(1, len(env.Pages))
	var sb strings.Builder
	jobHead(&sb, out)
	for _, p := range env.Pages {
		po := pageOutput(p, share)
		po.Links = nil // a crawl's links are its pages
		out.Pages = append(out.Pages, po)
		sb.WriteString("\n---\n\n")
		pageMarkdown(&sb, po, false)
	}
	if out.NextCursor != "" {
		fmt.Fprintf(&sb, "\n---\n\nMore pages: call crawl_status with {\"crid\": %q, \"cursor\": %q}.\n", out.CRID, out.NextCursor)
	} else if !finished(out.Status) {
		sb.WriteString("\n---\n\nThe job is still running; call crawl_status again later for more pages.\n")
	}
	return &sdk.CallToolResult{Content: text(sb.String())}, out, nil
}

// CancelInput is the cancel tool's input.
type CancelInput struct {
	CRID string `json:"crid" jsonschema:"the id crawl or batch_scrape returned"`
}

func (t *tools) cancel(ctx context.Context, req *sdk.CallToolRequest, in CancelInput) (*sdk.CallToolResult, JobOutput, error) {
	b, err := t.backend(ctx, req)
	if err != nil {
		return nil, JobOutput{}, err
	}
	if err := b.Cancel(ctx, in.CRID); err != nil {
		r, err := toolError(err)
		return r, JobOutput{}, err
	}
	env, err := b.Job(ctx, in.CRID, "", 1)
	if err != nil {
		r, err := toolError(err)
		return r, JobOutput{}, err
	}
	out := jobOutput(env)
	var sb strings.Builder
	jobHead(&sb, out)
	return &sdk.CallToolResult{Content: text(sb.String())}, out, nil
}

// MapInput is the map tool's input.
type MapInput struct {
	URL      string `json:"url" jsonschema:"the site to map (http or https)"`
	Search   string `json:"search,omitempty" jsonschema:"rank URLs holding these words first"`
	Limit    *int   `json:"limit,omitempty" jsonschema:"most URLs to return (1 to 5000; default 200)"`
	MaxChars *int   `json:"max_chars,omitempty" jsonschema:"cut the list at this many characters (200 to 200000; default 20000)"`
}

func (t *tools) mapSite(ctx context.Context, req *sdk.CallToolRequest, in MapInput) (*sdk.CallToolResult, MapOutput, error) {
	n, err := maxChars(in.MaxChars)
	if err != nil {
		r, err := toolError(err)
		return r, MapOutput{}, err
	}
	limit := in.Limit
	if limit == nil {
		limit = api.Ptr(DefaultMapURLs)
	}
	b, err := t.backend(ctx, req)
	if err != nil {
		return nil, MapOutput{}, err
	}
	env, err := b.Start(ctx, spidergo.KindMap, &api.Request{URL: in.URL, Search: in.Search, Limit: limit})
	if err != nil {
		r, err := toolError(err)
		return r, MapOutput{}, err
	}
	out := MapOutput{URL: env.URL, URLs: []string{}}
	var sb strings.Builder
	for _, u := range env.URLs {
		if sb.Len()+len(u)+3 > n {
			out.Truncated = true
			break
		}
		out.URLs = append(out.URLs, u)
		fmt.Fprintf(&sb, "- %s\n", u)
	}
	out.Count = len(out.URLs)
	head := fmt.Sprintf("%d URLs found on %s", out.Count, out.URL)
	if out.Truncated {
		head += fmt.Sprintf(" (list cut at max_chars: %d URLs in all)", len(env.URLs))
	}
	return &sdk.CallToolResult{Content: text(head + ":\n\n" + sb.String())}, out, nil
}
