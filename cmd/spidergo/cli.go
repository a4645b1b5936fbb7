package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/alecthomas/kong"

	"github.com/spidergo/spidergo/api"
)

// Exit codes of the client commands.
const (
	exitOK          = 0
	exitFailed      = 1 // some pages failed, or the job failed
	exitUsage       = 2
	exitInterrupted = 130
)

// clientCLI is the grammar of scrape, crawl, map and batch. Flags may come
// before or after the URL.
type clientCLI struct {
	Scrape scrapeCmd `cmd:"" help:"Fetch one page and print it."`
	Crawl  crawlCmd  `cmd:"" help:"Crawl a site from a URL and print its pages."`
	Map    mapCmd    `cmd:"" help:"List a site's URLs (sitemaps and the seed's links) without fetching them."`
	Batch  batchCmd  `cmd:"" help:"Scrape every URL of a file, one a line (- reads standard input)."`
}

// modeFlags choose between running here and asking a server.
type modeFlags struct {
	APIURL string   `name:"api-url" placeholder:"URL" help:"SpiderGo server to run on instead of locally (or SPIDERGO_API_URL)."`
	APIKey string   `name:"api-key" placeholder:"KEY" help:"API key for --api-url (or SPIDERGO_API_KEY)."`
	Allow  []string `name:"allow" placeholder:"CIDR|HOST:PORT" help:"Local mode: let the fetcher reach this private address range or host:port (repeatable; the address guard blocks private, loopback and reserved addresses by default)."`
	Quiet  bool     `short:"q" help:"No progress and no per-page error lines on standard error."`
}

// outputFlags say where and how pages are written.
type outputFlags struct {
	Format string `short:"f" enum:"markdown,text,json,ndjson,links" default:"markdown" help:"What to print: markdown, text, json, ndjson or links."`
	Output string `short:"o" placeholder:"DIR" help:"Write one Markdown file per page under DIR (paths mirror the URLs) and DIR/index.ndjson, instead of printing."`
}

// fetchFlags shape each request the fetcher sends.
type fetchFlags struct {
	Timeout  time.Duration `default:"30s" help:"Deadline of each page fetch (1s to 2m)."`
	Header   []string      `sep:"none" short:"H" placeholder:"'NAME: VALUE'" help:"Extra request header (repeatable)."`
	NoRobots bool          `name:"no-robots" help:"Ignore robots.txt, <meta name=robots> and rel=nofollow (respected by default)."`
}

// pageFlags say how each page is loaded (scrape, crawl, batch; a map
// loads no page content).
type pageFlags struct {
	Render string `enum:"auto,http,browser" default:"auto" help:"How pages are fetched: http never uses a browser; browser always loads pages in headless Chromium; auto also renders pages that need JavaScript when Chromium is there (locally: installed on this machine)."`
	// Browser options: they need headless Chromium (here in local mode,
	// on the server in remote mode).
	WaitFor            string        `name:"wait-for" placeholder:"SELECTOR" help:"Browser: wait until an element matches this CSS selector before extracting."`
	WaitForMS          int           `name:"wait-for-ms" placeholder:"MS" help:"Browser: wait this many milliseconds after the page loads before extracting."`
	Actions            string        `placeholder:"JSON|@FILE" help:"Browser: steps run before extraction, a JSON array of actions ({\"type\":\"click\",\"selector\":\"#more\"}, wait, write, press, scroll, screenshot); @FILE reads it from FILE."`
	Mobile             bool          `help:"Browser: render with a phone's viewport and user agent."`
	ScreenshotFullPage bool          `name:"screenshot-full-page" help:"Browser: the screenshot format covers the whole page, not only the viewport."`
	RespectNoindex     bool          `name:"respect-noindex" help:"Drop the content of pages that say noindex (they fail with noindex); by default it is kept."`
	MaxAge             time.Duration `name:"max-age" placeholder:"DURATION" help:"Remote mode: accept a cached copy of a page fetched at most this long ago."`
}

// extractFlags choose what is extracted from each page.
type extractFlags struct {
	Formats         []string `placeholder:"LIST" help:"What to extract, comma separated: markdown, text, html, raw_html, links, images, metadata, products, structured_data (default markdown,text,links,metadata; what --format needs is added)."`
	OnlyMainContent bool     `name:"only-main-content" negatable:"" default:"true" help:"Keep the main content, drop navigation, headers, footers and ads (--no-only-main-content keeps everything)."`
	IncludeTag      []string `sep:"none" placeholder:"SELECTOR" help:"CSS selector of elements to keep (repeatable)."`
	ExcludeTag      []string `sep:"none" placeholder:"SELECTOR" help:"CSS selector of elements to remove (repeatable)."`
	OmitHeadline    bool     `name:"omit-headline" help:"Leave the article's headline and standfirst out of the Markdown."`
}

// scopeFlags bound a crawl (and a map).
type scopeFlags struct {
	IncludePath            []string `sep:"none" placeholder:"REGEXP" help:"Follow only URLs whose path matches (repeatable)."`
	ExcludePath            []string `sep:"none" placeholder:"REGEXP" help:"Never follow URLs whose path matches (repeatable)."`
	AllowSubdomains        bool     `help:"Follow links to subdomains of the seed's registrable domain."`
	AllowExternal          bool     `help:"Follow links to any site."`
	Sitemap                string   `enum:"include,skip,only" default:"include" help:"Sitemap URLs: include, skip, or only."`
	IgnoreQueryParameters  bool     `help:"Treat URLs differing only in their query as one page."`
	DeduplicateSimilarURLs bool     `name:"deduplicate-similar-urls" negatable:"" default:"true" help:"Fold spellings of one page (index file and directory, trailing slash, www.) into one (--no-deduplicate-similar-urls keeps them apart)."`
}

// crawlScopeFlags are the scope options of a crawl only.
type crawlScopeFlags struct {
	CrawlEntireSite bool `name:"crawl-entire-site" help:"Follow links anywhere on the seed's site, not only below the seed's path."`
}

// webhookFlags ask a server to post a job's events (remote mode).
type webhookFlags struct {
	WebhookURL   string   `name:"webhook-url" placeholder:"URL" help:"Remote mode: post the job's events to this URL."`
	WebhookEvent []string `name:"webhook-event" placeholder:"EVENT" help:"Remote mode: events to post (repeatable or comma separated: started, page, completed, failed; default all)."`
}

// paceFlags pace a crawl or batch.
type paceFlags struct {
	Delay          time.Duration `help:"At least this long between requests to one host (up to 1m)."`
	MaxConcurrency int           `default:"4" help:"Pages fetched at once (1 to 32)."`
	Resume         string        `placeholder:"FILE" help:"Local mode: keep the job's state in FILE (JSON lines); run again with the same FILE to continue an interrupted job."`
}

type scrapeCmd struct {
	URL     string       `arg:"" help:"Page to fetch; a bare host gets https://."`
	NoStore bool         `name:"no-store" help:"Remote mode: the server answers without keeping the page (the job keeps its counts only)."`
	Mode    modeFlags    `embed:""`
	Out     outputFlags  `embed:""`
	Fetch   fetchFlags   `embed:""`
	Page    pageFlags    `embed:""`
	Extract extractFlags `embed:""`
}

func (scrapeCmd) Help() string {
	return `Examples:

  spidergo scrape https://example.com
  spidergo scrape example.com --format json --formats markdown,metadata
  spidergo scrape http://127.0.0.1:8000/ --allow 127.0.0.1/32
  spidergo scrape https://example.com/app --render browser --wait-for '#app' \
      --actions '[{"type":"click","selector":"#more"}]' --formats screenshot --format json`
}

type crawlCmd struct {
	URL      string          `arg:"" help:"Where the crawl starts."`
	Limit    int             `default:"10" help:"Most pages fetched, failed ones included (up to 10000)."`
	MaxDepth int             `default:"3" help:"Link hops from the seed (0 to 50)."`
	Mode     modeFlags       `embed:""`
	Out      outputFlags     `embed:""`
	Fetch    fetchFlags      `embed:""`
	Page     pageFlags       `embed:""`
	Extract  extractFlags    `embed:""`
	Scope    scopeFlags      `embed:""`
	Crawl    crawlScopeFlags `embed:""`
	Pace     paceFlags       `embed:""`
	Webhook  webhookFlags    `embed:""`
}

func (crawlCmd) Help() string {
	return `Examples:

  spidergo crawl https://example.com/docs/ --limit 50 --include-path '^/docs/'
  spidergo crawl example.com --limit 1000 -o site/ --resume site.journal
  spidergo crawl example.com --format ndjson | jq -r .URL
  spidergo crawl example.com/blog/ --crawl-entire-site --no-deduplicate-similar-urls`
}

type mapCmd struct {
	URL           string     `arg:"" help:"Site to list."`
	Limit         int        `default:"5000" help:"Most URLs listed (up to 5000)."`
	Mode          modeFlags  `embed:""`
	Fetch         fetchFlags `embed:""`
	Scope         scopeFlags `embed:""`
	Search        string     `placeholder:"TERMS" help:"List URLs that contain these terms first."`
	IncludeTitles bool       `name:"include-titles" help:"Give each URL's title too (from its sitemap or link text): a tab after the URL for links and text, objects for json and ndjson."`
	Format        string     `short:"f" enum:"links,text,json,ndjson" default:"links" help:"One URL a line (links, text), one JSON array (json) or one JSON string a line (ndjson)."`
}

func (mapCmd) Help() string {
	return `Examples:

  spidergo map https://example.com
  spidergo map example.com --sitemap only --include-path '^/blog/'
  spidergo map example.com --search pricing --include-titles --format ndjson`
}

type batchCmd struct {
	File              string       `arg:"" help:"File of URLs, one a line (blank lines and # comments are skipped); - reads standard input."`
	IgnoreInvalidURLs bool         `name:"ignore-invalid-urls" help:"Run the valid URLs and report the others on standard error, instead of refusing the batch."`
	Webhook           webhookFlags `embed:""`
	Mode              modeFlags    `embed:""`
	Out               outputFlags  `embed:""`
	Fetch             fetchFlags   `embed:""`
	Page              pageFlags    `embed:""`
	Extract           extractFlags `embed:""`
	Pace              paceFlags    `embed:""`
}

func (batchCmd) Help() string {
	return `Examples:

  spidergo batch urls.txt -o pages/
  cat urls.txt | spidergo batch - --format ndjson
  spidergo batch urls.txt --ignore-invalid-urls --api-url https://spider.example.com --api-key sk_live_...`
}

// exitPanic carries kong's exit code out of its parser: help and parse
// errors end the command, not the process.
type exitPanic int

// recoverExit turns kong's exit (a --help, a usage error) into the
// command's exit code: 0 for help, exitUsage for anything else. Deferred
// by the commands that parse with kong.
func recoverExit(code *int) {
	switch p := recover().(type) {
	case nil:
	case exitPanic:
		*code = int(p)
		if *code != 0 {
			*code = exitUsage
		}
	default:
		panic(p)
	}
}

// clientCommand runs one of the client commands, name being args[0]'s
// command.
func clientCommand(name string) command {
	return func(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
		var cli clientCLI
		parser, err := kong.New(&cli, kong.Name("spidergo"),
			kong.Description("SpiderGo turns web pages and whole sites into clean Markdown, text and links."),
			kong.Writers(stdout, stderr),
			kong.Exit(func(c int) { panic(exitPanic(c)) }),
			kong.ConfigureHelp(kong.HelpOptions{Compact: true}))
		if err != nil {
			fmt.Fprintln(stderr, "spidergo:", err)
			return exitFailed
		}
		defer recoverExit(&code)
		kctx, err := parser.Parse(append([]string{name}, args...))
		if err != nil {
			fmt.Fprintf(stderr, "spidergo %s: %v (spidergo %s --help)\n", name, err, name)
			return exitUsage
		}
		r := &runner{env: env, stdin: stdin, stdout: stdout, stderr: stderr}
		switch kctx.Command() {
		case "scrape <url>":
			return r.scrape(ctx, &cli.Scrape)
		case "crawl <url>":
			return r.crawl(ctx, &cli.Crawl)
		case "map <url>":
			return r.mapSite(ctx, &cli.Map)
		case "batch <file>":
			return r.batch(ctx, &cli.Batch)
		}
		fmt.Fprintf(stderr, "spidergo: unknown command %q\n", kctx.Command())
		return exitUsage
	}
}

// usagef is bad input from the command line: exit code 2.
func usagef(format string, args ...any) error { return usageError(fmt.Sprintf(format, args...)) }

// runner holds what every client command writes to and reads from.
type runner struct {
	env    func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// fail prints err as one line and returns its exit code.
func (r *runner) fail(cmd string, err error) int {
	var ue usageError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(r.stderr, "spidergo %s: %s\n", cmd, string(ue))
		return exitUsage
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(r.stderr, "spidergo %s: interrupted\n", cmd)
		return exitInterrupted
	}
	fmt.Fprintf(r.stderr, "spidergo %s: %s\n", cmd, oneLine(err.Error()))
	return exitFailed
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// remote returns the server and key to use, both empty in local mode.
func (r *runner) remote(m *modeFlags) (string, string, error) {
	url, key := m.APIURL, m.APIKey
	if url == "" {
		url = r.env("SPIDERGO_API_URL")
	}
	if key == "" {
		key = r.env("SPIDERGO_API_KEY")
	}
	switch {
	case url == "" && m.APIKey != "":
		return "", "", usagef("--api-key needs --api-url (or SPIDERGO_API_URL)")
	case url != "" && key == "":
		return "", "", usagef("--api-url needs --api-key (or SPIDERGO_API_KEY)")
	case url != "" && len(m.Allow) > 0:
		return "", "", usagef("--allow is for local mode; the server's own allow list applies to remote jobs")
	}
	return url, key, nil
}

// request builds the API request the flags describe.
func request(f *fetchFlags, pg *pageFlags, x *extractFlags, out *outputFlags) (*api.Request, error) {
	req := &api.Request{TimeoutMS: api.Ptr(int(f.Timeout / time.Millisecond))}
	if f.NoRobots {
		no := false
		req.RespectRobots = &no
	}
	for _, h := range f.Header {
		name, value, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, usagef("--header %q: want 'Name: value'", h)
		}
		if req.Headers == nil {
			req.Headers = map[string]string{}
		}
		req.Headers[strings.TrimSpace(name)] = strings.TrimSpace(value)
	}
	if pg != nil {
		req.Render = pg.Render
		if err := pg.applyBrowser(req); err != nil {
			return nil, err
		}
	}
	if x != nil {
		omc := x.OnlyMainContent
		req.OnlyMainContent = &omc
		req.OmitHeadline = x.OmitHeadline
		req.IncludeTags, req.ExcludeTags = x.IncludeTag, x.ExcludeTag
		for _, f := range x.Formats {
			for _, part := range strings.Split(f, ",") {
				if part = strings.TrimSpace(part); part != "" {
					req.Formats = append(req.Formats, part)
				}
			}
		}
		if len(req.Formats) > 0 && out != nil {
			req.Formats = addFormat(req.Formats, needed(out))
		}
	}
	return req, nil
}

// needed is the extraction format an output needs.
func needed(out *outputFlags) string {
	if out.Output != "" {
		return "markdown"
	}
	switch out.Format {
	case "text":
		return "text"
	case "links":
		return "links"
	case "markdown":
		return "markdown"
	}
	return ""
}

func addFormat(formats []string, f string) []string {
	if f == "" {
		return formats
	}
	for _, x := range formats {
		if x == f {
			return formats
		}
	}
	return append(formats, f)
}

func (s *scopeFlags) apply(req *api.Request) {
	req.IncludePaths, req.ExcludePaths = s.IncludePath, s.ExcludePath
	req.AllowSubdomains, req.AllowExternal = s.AllowSubdomains, s.AllowExternal
	req.Sitemap = s.Sitemap
	req.IgnoreQueryParameters = s.IgnoreQueryParameters
	if !s.DeduplicateSimilarURLs {
		req.DeduplicateSimilarURLs = api.Ptr(false)
	}
}

func (p *paceFlags) apply(req *api.Request) {
	req.DelayMS = int(p.Delay / time.Millisecond)
	req.MaxConcurrency = api.Ptr(p.MaxConcurrency)
}

// readURLs reads a batch file: one URL a line, blank lines and # comments
// skipped.
func (r *runner) readURLs(name string) ([]string, error) {
	var in io.Reader
	if name == "-" {
		in = r.stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, usagef("%v", err)
		}
		defer f.Close()
		in = f
	}
	var urls []string
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		urls = append(urls, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(urls) == 0 {
		return nil, usagef("%s holds no URL", name)
	}
	return urls, nil
}
