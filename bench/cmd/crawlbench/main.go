// Command crawlbench crawls a deterministic synthetic site on loopback with
// SpiderGo's crawl engine and, run the same way as a baseline, with Colly v2,
// and prints a Markdown table: pages per second, peak RSS, CPU per page and
// the share of requests that fetched something already fetched.
//
//	cd bench && go run ./cmd/crawlbench -runs 3
//
// The site (package bench/site) runs in this process. Every configuration —
// crawler × formats × concurrency — runs in a fresh child process of this
// binary (-run-one), so that each peak RSS (VmHWM) is that configuration's
// alone and no run inherits another's heap or connections. With -runs N the
// configurations run in N rounds and the table shows medians and ranges.
//
// -profile DIR writes CPU, block and mutex profiles of every run, and
// -memqueue and -claim-ahead change SpiderGo's setup to find
// where its time goes. docs/benchmarks.md explains the columns and holds
// the figures.
//
// SpiderGo runs as in production: the real fetcher (address guard with the
// site's host:port allowed, robots.txt, per-host limiter raised to the
// concurrency under test), the crawl engine with a StoreQueue over a real
// SQLite store in a temporary directory, a user and a job row created first,
// and options validated by crawl.Validate like an API request.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spidergo/spidergo/bench/internal/benchutil"
	"github.com/spidergo/spidergo/bench/site"
)

// workload is what each crawled page is turned into.
type workload struct {
	formats  []string // SpiderGo's formats; nil is the API's default
	fullPage bool     // SpiderGo: only_main_content false
	markdown bool     // Colly: convert each page to Markdown
}

// modes are the workloads: links only; the API's default formats
// (Markdown of the main content, text, links, metadata) for SpiderGo; and
// "markdown", the same work for both: links plus the whole page as
// Markdown. Colly does links plus Markdown in both "full" and "markdown".
var modes = map[string]workload{
	"links":    {formats: []string{"links"}},
	"full":     {markdown: true},
	"markdown": {formats: []string{"links", "markdown"}, fullPage: true, markdown: true},
}

// result is what a child reports on its standard output.
type result struct {
	Crawler     string  `json:"crawler"`
	Mode        string  `json:"mode"`
	Concurrency int     `json:"concurrency"`
	Pages       int     `json:"pages"`  // HTML pages fetched with status 200 and processed
	Errors      int     `json:"errors"` // pages that failed (robots.txt refusals included)
	Links       int     `json:"links"`  // links found on the pages
	Seconds     float64 `json:"seconds"`
	PeakRSSKB   int64   `json:"peak_rss_kb"`
	Note        string  `json:"note,omitempty"`

	// Filled by the parent.
	CPUSeconds float64    `json:"-"`
	Site       site.Stats `json:"-"`
}

func main() {
	var (
		pages    = flag.Int("pages", site.DefaultPages, "pages in the synthetic site")
		limit    = flag.Int("limit", 5000, "pages a crawl may admit (SpiderGo's limit, Colly's MaxRequests)")
		seed     = flag.Uint64("seed", 1, "seed of the synthetic site")
		concs    = flag.String("concurrency", "8,32", "comma-separated concurrencies to measure")
		modeList = flag.String("modes", "links,full", "comma-separated workloads: links, full, markdown")
		crawlers = flag.String("crawlers", "spidergo,colly", "comma-separated crawlers: spidergo (the engine), server (the whole server over its API), colly; base and base-server run spidergo and server from the -base binary")
		baseExe  = flag.String("base", "", "a crawlbench binary built from an earlier SpiderGo, run for the base and base-server crawlers, interleaved with the others")
		runs     = flag.Int("runs", 1, "runs of every configuration; the table shows medians and ranges")

		runOne  = flag.Bool("run-one", false, "internal: run one configuration against -site and print JSON")
		siteURL = flag.String("site", "", "internal: the site's base URL for -run-one")
		crawler = flag.String("crawler", "", "internal: the crawler for -run-one")
		mode    = flag.String("mode", "", "internal: the workload for -run-one")
		conc    = flag.Int("c", 0, "internal: the concurrency for -run-one")
		profile = flag.String("profile", "", "write CPU, block and mutex profiles of each run to this directory")
		memq    = flag.Bool("memqueue", false, "diagnosis: keep SpiderGo's frontier and pages in memory (crawl.MemQueue) instead of SQLite")
		ahead   = flag.Int("claim-ahead", 0, "diagnosis: claim frontier entries from the store this many at a time and hand them out one by one")
	)
	flag.Parse()
	if *runOne {
		if *profile != "" {
			stop, err := startProfiles(*profile, *crawler+"-"+*mode+"-"+strconv.Itoa(*conc))
			if err != nil {
				fmt.Fprintln(os.Stderr, "crawlbench:", err)
				os.Exit(1)
			}
			defer stop()
		}
		diag := diagnosis{memQueue: *memq, claimAhead: *ahead}
		if err := child(*siteURL, *crawler, *mode, *conc, *limit, diag); err != nil {
			fmt.Fprintln(os.Stderr, "crawlbench:", err)
			os.Exit(1)
		}
		return
	}
	var extra []string
	if *profile != "" {
		extra = append(extra, "-profile", *profile)
	}
	if *memq {
		extra = append(extra, "-memqueue")
	}
	if *ahead > 0 {
		extra = append(extra, "-claim-ahead", strconv.Itoa(*ahead))
	}
	if err := parent(*pages, *limit, *seed, *concs, *modeList, *crawlers, max(*runs, 1), *baseExe, extra); err != nil {
		fmt.Fprintln(os.Stderr, "crawlbench:", err)
		os.Exit(1)
	}
}

func child(siteURL, crawler, mode string, conc, limit int, diag diagnosis) error {
	wl, ok := modes[mode]
	if !ok {
		return fmt.Errorf("unknown mode %q", mode)
	}
	if conc < 1 {
		return fmt.Errorf("concurrency must be positive")
	}
	ctx := context.Background()
	var (
		r   result
		err error
	)
	switch crawler {
	case "spidergo":
		r, err = runSpiderGo(ctx, siteURL, wl, conc, limit, diag)
	case "server":
		r, err = runServer(ctx, siteURL, wl, conc, limit)
	case "colly":
		r, err = runColly(siteURL, wl.markdown, conc, limit)
	default:
		return fmt.Errorf("unknown crawler %q", crawler)
	}
	if err != nil {
		return err
	}
	r.Crawler, r.Mode, r.Concurrency = crawler, mode, conc
	r.PeakRSSKB, err = peakRSS()
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}

func parent(pages, limit int, seed uint64, concs, modeList, crawlerList string, runs int, baseExe string, extra []string) error {
	var cs []int
	for _, s := range benchutil.Split(concs) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return fmt.Errorf("bad concurrency %q", s)
		}
		cs = append(cs, n)
	}
	ms, crs := benchutil.Split(modeList), benchutil.Split(crawlerList)
	for _, m := range ms {
		if _, ok := modes[m]; !ok {
			return fmt.Errorf("unknown mode %q", m)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	for _, cr := range crs {
		if strings.HasPrefix(cr, "base") && baseExe == "" {
			return fmt.Errorf("crawler %q needs -base", cr)
		}
	}

	start := time.Now()
	srv, err := site.Start(site.Config{Pages: pages, Seed: seed})
	if err != nil {
		return err
	}
	defer srv.Close()
	srv.Prebuild()
	fmt.Fprintf(os.Stderr, "site: %d pages (%d crawlable) at %s, built in %s\n", srv.Config().Pages, srv.Crawlable(), srv.URL, time.Since(start).Round(time.Millisecond))

	type config struct {
		crawler, mode string
		conc          int
	}
	var configs []config
	for _, m := range ms {
		for _, c := range cs {
			for _, cr := range crs {
				configs = append(configs, config{cr, m, c})
			}
		}
	}
	// Rounds go through every configuration once, so that a change in the
	// machine's load touches all configurations alike.
	results := make([][]result, len(configs))
	for round := range runs {
		for k, cf := range configs {
			srv.Reset()
			bin, crawler := exe, cf.crawler
			if strings.HasPrefix(crawler, "base") {
				// The earlier build runs the same harness.
				bin = baseExe
				crawler = map[string]string{"base": "spidergo", "base-server": "server"}[crawler]
			}
			args := []string{"-run-one", "-site", srv.URL, "-crawler", crawler, "-mode", cf.mode, "-c", strconv.Itoa(cf.conc), "-limit", strconv.Itoa(limit)}
			cmd := exec.Command(bin, append(args, extra...)...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, os.Stderr
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("%s %s c=%d: %w", cf.crawler, cf.mode, cf.conc, err)
			}
			var r result
			if err := json.NewDecoder(io.LimitReader(&out, 1<<20)).Decode(&r); err != nil {
				return fmt.Errorf("%s %s c=%d: reading the child's result: %w", cf.crawler, cf.mode, cf.conc, err)
			}
			r.Crawler = cf.crawler
			r.CPUSeconds = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
			r.Site = srv.Stats()
			fmt.Fprintf(os.Stderr, "run %d: %-8s %-5s c=%-2d %5d pages in %6.1fs, %4d MiB peak, %d requests, %d failed, load %s\n",
				round+1, cf.crawler, cf.mode, cf.conc, r.Pages, r.Seconds, r.PeakRSSKB>>10, r.Site.Requests, r.Errors, benchutil.LoadAverage())
			if r.Note != "" {
				fmt.Fprintf(os.Stderr, "    %s\n", r.Note)
			}
			results[k] = append(results[k], r)
		}
	}
	printTable(os.Stdout, results)
	fmt.Printf("\nSite: %d pages (%d allowed by robots.txt), seed %d; limit %d; %d run(s) per row", srv.Config().Pages, srv.Crawlable(), seed, limit, runs)
	if runs > 1 {
		fmt.Print(", medians with the range in brackets")
	}
	fmt.Printf("; %s, GOMAXPROCS %d; total %s.\n", runtime.Version(), runtime.GOMAXPROCS(0), time.Since(start).Round(time.Second))
	return nil
}

// printTable prints one row per configuration: each figure is the median of
// its runs, with the range when there was more than one.
func printTable(w io.Writer, rows [][]result) {
	fmt.Fprintln(w, "| crawler | formats | concurrency | pages | distinct pages | requests | pages/s | peak RSS | CPU/page | repeated: same URI | same URL | same page |")
	fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, rs := range rows {
		r := rs[0]
		name := map[string]string{"spidergo": "SpiderGo engine", "server": "SpiderGo server (API)", "base": "SpiderGo engine, before", "base-server": "SpiderGo server (API), before", "colly": "Colly v2"}[r.Crawler]
		formats := map[string]string{"links": "links", "full": "default (markdown, text, links, metadata)", "markdown": "links + Markdown of the whole page"}[r.Mode]
		if r.Crawler == "colly" && r.Mode != "links" {
			formats = "links + Markdown of the whole page"
		}
		fig := func(format string, f func(r result) float64) string {
			vs := make([]float64, len(rs))
			for i, r := range rs {
				vs[i] = f(r)
			}
			slices.Sort(vs)
			med := vs[len(vs)/2]
			if len(vs)%2 == 0 {
				med = (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2
			}
			out := fmt.Sprintf(format, med)
			if len(vs) > 1 && fmt.Sprintf(format, vs[0]) != fmt.Sprintf(format, vs[len(vs)-1]) {
				out += " (" + fmt.Sprintf(format, vs[0]) + "–" + fmt.Sprintf(format, vs[len(vs)-1]) + ")"
			}
			return out
		}
		fmt.Fprintf(w, "| %s | %s | %d | %s | %s | %s | %s | %s MiB | %s ms | %s %% | %s %% | %s %% |\n",
			name, formats, r.Concurrency,
			fig("%.0f", func(r result) float64 { return float64(r.Pages) }),
			fig("%.0f", func(r result) float64 { return float64(r.Site.HTML) }),
			fig("%.0f", func(r result) float64 { return float64(r.Site.Requests) }),
			fig("%.0f", func(r result) float64 { return float64(r.Pages) / max(r.Seconds, 1e-9) }),
			fig("%.0f", func(r result) float64 { return float64(r.PeakRSSKB) / 1024 }),
			fig("%.1f", func(r result) float64 { return 1000 * r.CPUSeconds / max(float64(r.Pages), 1) }),
			fig("%.1f", func(r result) float64 { return 100 * r.Site.RepeatedURIs() }),
			fig("%.1f", func(r result) float64 { return 100 * r.Site.RepeatedURLs() }),
			fig("%.1f", func(r result) float64 { return 100 * r.Site.RepeatedPages() }))
	}
}

// peakRSS reads the process's high-water resident set size.
func peakRSS() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/self/status")
}
