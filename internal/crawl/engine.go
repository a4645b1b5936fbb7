// Package crawl runs scrape, crawl, batch and map jobs: the frontier, the
// scope rules, sitemaps, dedup, fair scheduling of fetches across jobs, and
// the runner that keeps asynchronous jobs going across restarts.
//
// One pipeline per page: fetch → parse once (extract) → store the page →
// admit its links. Fetches are bounded per job (max_concurrency) and across
// jobs (fair slots); extraction is bounded across the process by a pool
// sized by the cores (ExtractPool), and what a page keeps by PageCaps.
// Links are admitted by one goroutine per run against a unique (job, url)
// key in the store, so no URL is fetched twice, even after a restart.
//
// A run over the store (StoreQueue) keeps no state per URL in memory: the
// store decides admissions (dedup, folding, the limit), so a crawl's memory
// does not grow with its size, and several runs — parts of one job on
// several workers — can crawl one frontier at once.
package crawl

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/document"
	"github.com/spidergo/spidergo/internal/extract"
	"github.com/spidergo/spidergo/internal/fetch"
	"github.com/spidergo/spidergo/internal/render"
)

// Fetcher is what the engine needs of internal/fetch.
type Fetcher interface {
	Fetch(ctx context.Context, req fetch.Request) (*fetch.Response, error)
}

// Queue is one job's frontier and result sink: the store for kept jobs,
// memory for trials.
type Queue interface {
	Add(ctx context.Context, entries []spidergo.FrontierEntry) ([]bool, error)
	Claim(ctx context.Context, n int) ([]spidergo.FrontierEntry, error)
	Save(ctx context.Context, p *spidergo.Page) error
	Skip(ctx context.Context, skipped map[string]int) error
}

// Cache finds a user's recent copy of a page (spidergo.JobStore does).
type Cache interface {
	CachedPage(ctx context.Context, userID, url string, since time.Time) (*spidergo.Page, error)
}

// Engine fetches and extracts pages for every job of the process.
type Engine struct {
	fetcher  Fetcher
	renderer render.Renderer // nil: no browser on this server
	cache    Cache
	docs     *document.Converter // nil: documents are not read
	slots    *fairSlots
	// parse is the process's extract pool; a synchronous job waits at most
	// parseWait for a slot, an async one as long as it runs.
	parse     *ExtractPool
	parseWait time.Duration
	caps      PageCaps
	now       func() time.Time
	obs       Observer
	idle      time.Duration
}

// EngineConfig sizes an Engine.
type EngineConfig struct {
	Fetcher Fetcher
	// Renderer loads pages in a browser for render "browser" and "auto";
	// nil means rendering is not installed (leave it nil rather than
	// passing a nil *render.Browser).
	Renderer render.Renderer
	Cache    Cache // nil disables max_age_ms
	// Documents reads PDF, DOCX and ODT pages; nil leaves them refused as
	// unsupported_content.
	Documents *document.Converter
	// FetchSlots bounds fetches in flight across all jobs (default 64).
	FetchSlots int
	// ExtractWorkers bounds pages extracted at once across all jobs
	// (default: GOMAXPROCS).
	ExtractWorkers int
	// ExtractWait is how long a synchronous request's page waits for an
	// extract slot before the request fails with ErrServerBusy (default
	// 10 s). Async jobs wait as long as they run.
	ExtractWait time.Duration
	// Caps bound what one page keeps; the zero value means DefaultPageCaps.
	Caps PageCaps
	Now  func() time.Time
	// Observer, when set, is told about pages and extraction (metrics).
	Observer Observer
	// IdlePoll is how often a run with nothing to claim from a shared
	// frontier looks again while other runs of the job still fetch
	// (default 250 ms).
	IdlePoll time.Duration
}

// NewEngine builds an engine.
func NewEngine(cfg EngineConfig) *Engine {
	if cfg.FetchSlots <= 0 {
		cfg.FetchSlots = 64
	}
	if cfg.ExtractWait <= 0 {
		cfg.ExtractWait = DefaultExtractWait
	}
	if cfg.Caps == (PageCaps{}) {
		cfg.Caps = DefaultPageCaps
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.IdlePoll <= 0 {
		cfg.IdlePoll = 250 * time.Millisecond
	}
	return &Engine{fetcher: cfg.Fetcher, renderer: cfg.Renderer, cache: cfg.Cache, docs: cfg.Documents, slots: newFairSlots(cfg.FetchSlots), parse: NewExtractPool(cfg.ExtractWorkers),
		parseWait: cfg.ExtractWait, caps: cfg.Caps, now: cfg.Now, obs: cfg.Observer, idle: cfg.IdlePoll}
}

// DefaultExtractWait is how long a synchronous request's page waits for an
// extract slot by default.
const DefaultExtractWait = 10 * time.Second

// ExtractPool returns the engine's extract pool, for its counters.
func (e *Engine) ExtractPool() *ExtractPool { return e.parse }

// Job is what one run needs to know about its job.
type Job struct {
	ID, UserID string
	Options    *Options
	Queue      Queue
	// Admitted is how many URLs the job has admitted already (after a
	// restart); 0 for a fresh job, which then admits its seeds.
	Admitted int
	// Part marks a run that helps another run of the job crawl a shared
	// frontier: it never admits the seeds.
	Part bool
	// OnSeeded, when set, is called once the seeds are in the frontier (at
	// once when they were admitted before): other parts may start then.
	OnSeeded func()
	// OnPage, when set, is called after each page is saved.
	OnPage func(p *spidergo.Page)
	// Yield, when closed, ends the run gracefully: no more claims, the
	// pages in flight are stored, and Run returns ErrYielded.
	Yield <-chan struct{}
}

// result is what a worker hands back to the job's loop.
type result struct {
	seq     int            // claim order within the run
	page    *spidergo.Page // nil when the fetch was cancelled
	links   []candidate    // links to admit, filtered and normalized
	skipped map[string]int // links left out, by reason
}

// candidate is a link to admit and the key equivalent spellings share.
type candidate struct {
	entry spidergo.FrontierEntry
	fold  string // "" when similar URLs are not folded
}

// Run runs the job until its frontier is empty, ctx ends, or the store
// fails. It returns ctx's error when stopped early.
//
// Pages are fetched concurrently but stored, and their links admitted, in
// the order their entries were admitted: breadth-first from the seed, a
// batch in input order. A page that finishes early waits (bounded by
// maxWaiting) for the pages claimed before it, so a sync answer and the
// stream list the seed first and a batch as it was given.
func (e *Engine) Run(ctx context.Context, j *Job) error {
	o := j.Options
	st := &runState{job: j, scope: newScope(o.Seeds[0], o.AllowSubdomains, o.AllowExternal, o.EntireSite), skipped: map[string]int{}, admitted: j.Admitted, obs: e.obs}
	st.admitter, _ = j.Queue.(Admitter)
	if st.admitter == nil {
		st.seen = map[string]bool{}
	}
	shared, _ := j.Queue.(Shared)
	if j.Admitted == 0 && !j.Part {
		if o.DuplicateURLs > 0 {
			st.skipped["duplicate"] += o.DuplicateURLs
		}
		if err := e.admitSeeds(ctx, st); err != nil {
			return err
		}
	}
	if j.OnSeeded != nil {
		j.OnSeeded()
	}
	sv := startSaver(ctx, j, o.Concurrency)
	results := make(chan result)
	waiting := map[int]result{} // finished out of order
	maxWaiting := 4 * o.Concurrency
	claimed, stored := 0, 0
	inflight := 0
	var runErr error
	// Entries are claimed a few at a time ahead of need: one claim per
	// finished page would put a store transaction on the loop's critical
	// path for every page. Claimed entries not yet started when the run
	// stops are put back by the next run's RequeueFrontier.
	var ahead []spidergo.FrontierEntry
	yielded := func() bool {
		select {
		case <-j.Yield:
			return true
		default:
			return false
		}
	}
	for {
		if runErr == nil {
			runErr = sv.err()
		}
		for runErr == nil && ctx.Err() == nil && inflight < o.Concurrency && len(waiting) < maxWaiting && !yielded() {
			if len(ahead) == 0 {
				entries, err := j.Queue.Claim(ctx, 2*o.Concurrency)
				if err != nil {
					runErr = err
					break
				}
				if len(entries) == 0 {
					break
				}
				ahead = entries
			}
			en := ahead[0]
			ahead = ahead[1:]
			inflight++
			go func(seq int, en spidergo.FrontierEntry) {
				r := result{seq: seq}
				if f := e.page(ctx, j, en); f != nil {
					if e.obs != nil {
						e.obs.PageDone(pageOutcome(f))
					}
					r.page = f.Page
					r.links, r.skipped = st.candidates(en, f.links)
				}
				results <- r
			}(claimed, en)
			claimed++
		}
		if inflight == 0 {
			if runErr == nil && ctx.Err() == nil && yielded() {
				runErr = ErrYielded
			}
			if shared == nil || runErr != nil || ctx.Err() != nil {
				break
			}
			// Nothing to claim here: done unless another run of the job
			// still fetches pages whose links may add more.
			open, err := e.openElsewhere(ctx, shared, sv, st)
			if err != nil {
				runErr = err
				break
			}
			if open == 0 {
				break
			}
			select {
			case <-ctx.Done():
			case <-j.Yield:
			case <-time.After(e.idle):
			}
			continue
		}
		r := <-results
		inflight--
		waiting[r.seq] = r
		// Release every page whose predecessors are all stored.
		for {
			next, ok := waiting[stored]
			if !ok {
				break
			}
			delete(waiting, stored)
			stored++
			if next.page == nil || runErr != nil || ctx.Err() != nil {
				continue // cancelled: the entry stays in flight and is retried on resume
			}
			if next.page.Error == KindServerBusy && !o.Async {
				// A synchronous answer with a page left unextracted is
				// refused whole (503), so stop starting pages now.
				runErr = ErrServerBusy
				continue
			}
			for reason, n := range next.skipped {
				st.skipped[reason] += n
			}
			// Links go to the frontier before the page is stored (which
			// marks its entry done): a worker killed in between leaves the
			// entry to be fetched again, never a page whose links are lost.
			// An admitting queue records the skip counts with them.
			if len(next.links) > 0 || st.admitter != nil && len(st.skipped) > 0 {
				if err := st.add(ctx, next.links); err != nil {
					runErr = err
					continue
				}
			}
			sv.save(next.page)
		}
	}
	if err := sv.close(); err != nil && runErr == nil && ctx.Err() == nil {
		runErr = err
	}
	// Counts survive a cancellation: they describe what was done.
	if err := j.Queue.Skip(context.WithoutCancel(ctx), st.skipped); err != nil && runErr == nil {
		runErr = err
	}
	if runErr != nil {
		return runErr
	}
	return ctx.Err()
}

// openElsewhere waits for this run's pages to be stored, records its skip
// counts so far, and returns how many entries of the shared frontier are
// still queued or in flight under any run's claim.
func (e *Engine) openElsewhere(ctx context.Context, q Shared, sv *saver, st *runState) (int, error) {
	if err := sv.flush(); err != nil {
		return 0, err
	}
	if len(st.skipped) > 0 {
		if err := st.job.Queue.Skip(ctx, st.skipped); err != nil {
			return 0, err
		}
		st.skipped = map[string]int{}
	}
	return q.Open(ctx)
}

// BatchQueue is a Queue that can store several pages at once, in order,
// all or none (StoreQueue over the SQL store).
type BatchQueue interface {
	Queue
	SaveBatch(ctx context.Context, pages []*spidergo.Page) error
}

// maxSaveBatch bounds the pages one store write takes.
const maxSaveBatch = 64

// flushTimeout bounds the last writes of a run whose context has ended.
const flushTimeout = 10 * time.Second

// saver stores a run's pages in the order it is given them, off the job's
// loop goroutine. With a BatchQueue it writes the pages that arrived while
// its previous write ran in one transaction: nothing waits for a batch to
// fill, so a page is stored within one write of being handed over, and a
// busy crawl pays one commit for many pages.
type saver struct {
	pages  chan *spidergo.Page
	done   chan struct{}
	mu     sync.Mutex
	stored *sync.Cond // signalled as handed-over pages are dealt with
	handed int
	dealt  int
	failed error
}

func startSaver(ctx context.Context, j *Job, buffer int) *saver {
	sv := &saver{pages: make(chan *spidergo.Page, max(buffer, maxSaveBatch)), done: make(chan struct{})}
	sv.stored = sync.NewCond(&sv.mu)
	bq, batching := j.Queue.(BatchQueue)
	// Pages handed over before the run stops are still written when its
	// context ends (a cancel, a shutdown): the write outlives the context,
	// bounded by flushTimeout once the context is done.
	wctx := context.WithoutCancel(ctx)
	write := func(fn func(context.Context) error) error {
		if ctx.Err() == nil {
			return fn(wctx)
		}
		c, cancel := context.WithTimeout(wctx, flushTimeout)
		defer cancel()
		return fn(c)
	}
	go func() {
		defer close(sv.done)
		batch := make([]*spidergo.Page, 0, maxSaveBatch)
		for p := range sv.pages {
			batch = append(batch[:0], p)
		fill:
			for batching && len(batch) < maxSaveBatch {
				select {
				case q, ok := <-sv.pages:
					if !ok {
						break fill
					}
					batch = append(batch, q)
				default:
					break fill
				}
			}
			if sv.err() == nil { // else drain: the loop stops at its next turn
				err := write(func(ctx context.Context) error {
					if batching && len(batch) > 1 {
						return bq.SaveBatch(ctx, batch)
					}
					return j.Queue.Save(ctx, p)
				})
				if err != nil {
					sv.mu.Lock()
					sv.failed = err
					sv.mu.Unlock()
				} else if j.OnPage != nil {
					for _, p := range batch {
						j.OnPage(p)
					}
				}
			}
			sv.mu.Lock()
			sv.dealt += len(batch)
			sv.stored.Broadcast()
			sv.mu.Unlock()
		}
	}()
	return sv
}

func (sv *saver) save(p *spidergo.Page) {
	sv.mu.Lock()
	sv.handed++
	sv.mu.Unlock()
	sv.pages <- p
}

// flush waits for the pages handed over so far to be stored.
func (sv *saver) flush() error {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	for sv.dealt < sv.handed {
		sv.stored.Wait()
	}
	return sv.failed
}

func (sv *saver) err() error {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	return sv.failed
}

// close waits for the pages handed over to be stored.
func (sv *saver) close() error {
	close(sv.pages)
	<-sv.done
	return sv.err()
}

// runState is one run's bookkeeping. seen, skipped and admitted belong to
// the job's loop goroutine; job and scope never change during the run, so
// page workers read them too (candidates).
type runState struct {
	job   *Job
	scope scope
	// admitter is the queue when it decides admissions itself; seen is
	// then nil: the run keeps nothing per URL.
	admitter Admitter
	seen     map[string]bool // exact URLs and fold keys admitted this run
	skipped  map[string]int
	admitted int // this run's count, or the job's when seen is kept
	obs      Observer
}

func (e *Engine) admitSeeds(ctx context.Context, st *runState) error {
	o := st.job.Options
	var entries []candidate
	if o.Kind == spidergo.KindCrawl && o.Sitemap != "skip" {
		parent := sitemapURL(o.Seeds[0])
		e.sitemapURLs(ctx, o.Seeds[0], o, o.Limit, func(sm string) bool {
			key, pu, ok := normalizeParsed(sm, o.IgnoreQuery)
			if !ok || !st.scope.contains(pu) || !st.pathAllowed(pu) {
				st.skipped["out_of_scope"]++
				return false
			}
			entries = append(entries, st.candidate(spidergo.FrontierEntry{URL: key, Depth: 1, ParentURL: parent}, pu))
			return true
		})
		if o.Sitemap == "only" && len(entries) > 0 {
			return st.add(ctx, entries)
		}
	}
	seeds := make([]candidate, 0, len(o.Seeds)+len(entries))
	for _, s := range o.Seeds {
		pu, err := url.Parse(s)
		if err != nil {
			return fmt.Errorf("seed %q: %w", s, err)
		}
		seeds = append(seeds, st.candidate(spidergo.FrontierEntry{URL: s}, pu))
	}
	return st.add(ctx, append(seeds, entries...))
}

// candidate pairs an entry with its fold key when similar URLs are folded.
func (st *runState) candidate(en spidergo.FrontierEntry, u *url.URL) candidate {
	c := candidate{entry: en}
	if st.job.Options.FoldSimilar {
		c.fold = foldKey(u)
	}
	return c
}

// add admits entries under the job's limit, counting what is left out.
// Exact and folded keys are checked and marked here, by the job's one
// loop goroutine, before the store's unique key sees the URL: two
// spellings of one page can never both be admitted in a run.
func (st *runState) add(ctx context.Context, entries []candidate) error {
	if st.admitter != nil {
		return st.admit(ctx, entries)
	}
	var batch []spidergo.FrontierEntry
	for _, c := range entries {
		en := c.entry
		if st.seen[en.URL] {
			st.skipped["duplicate"]++
			continue
		}
		if c.fold != "" && st.seen["\x00"+c.fold] {
			st.seen[en.URL] = true
			st.skipped["duplicate_similar"]++
			continue
		}
		st.seen[en.URL] = true
		if c.fold != "" {
			st.seen["\x00"+c.fold] = true
		}
		if st.admitted+len(batch) >= st.job.Options.Limit {
			st.skipped["limit"]++
			continue
		}
		batch = append(batch, en)
	}
	if len(batch) == 0 {
		return nil
	}
	added, err := st.job.Queue.Add(ctx, batch)
	if err != nil {
		return err
	}
	n := 0
	for _, ok := range added {
		if ok {
			n++
		} else {
			st.skipped["duplicate"]++
		}
	}
	st.admitted += n
	if st.obs != nil && n > 0 {
		st.obs.FrontierAdded(n)
	}
	return nil
}

// admit hands entries to a queue that decides admissions itself, under
// the job's limit, and counts what it left out.
func (st *runState) admit(ctx context.Context, entries []candidate) error {
	batch := make([]spidergo.FrontierEntry, len(entries))
	for i, c := range entries {
		batch[i] = c.entry
		batch[i].Fold = c.fold
	}
	got, err := st.admitter.Admit(ctx, st.job.Options.Limit, batch, st.skipped)
	if err != nil {
		return err
	}
	clear(st.skipped) // recorded with the admission
	n := 0
	for _, a := range got {
		if a == spidergo.AdmitNew {
			n++
		}
	}
	st.admitted += n
	if st.obs != nil && n > 0 {
		st.obs.FrontierAdded(n)
	}
	return nil
}

func (st *runState) pathAllowed(u *url.URL) bool {
	o := st.job.Options
	if len(o.Include) > 0 {
		ok := false
		for _, re := range o.Include {
			if re.MatchString(u.Path) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	for _, re := range o.Exclude {
		if re.MatchString(u.Path) {
			return false
		}
	}
	return true
}

// candidates filters a page's links by kind, depth, scope and paths and
// normalizes them, counting what it leaves out. It only reads the job's
// fixed settings, so the page's worker runs it, in parallel, rather than the
// job's one loop goroutine.
func (st *runState) candidates(parent spidergo.FrontierEntry, links []string) ([]candidate, map[string]int) {
	o := st.job.Options
	if len(links) == 0 || o.Kind != spidergo.KindCrawl || o.Sitemap == "only" && parent.Depth > 0 {
		return nil, nil
	}
	skipped := map[string]int{}
	if parent.Depth+1 > o.MaxDepth {
		skipped["max_depth"] = len(links)
		return nil, skipped
	}
	var out []candidate
	for _, l := range links {
		key, u, ok := normalizeLink(l, o.IgnoreQuery)
		if !ok {
			skipped["invalid_url"]++
			continue
		}
		if !st.scope.contains(u) {
			skipped["out_of_scope"]++
			continue
		}
		if !st.pathAllowed(u) {
			skipped["path_filtered"]++
			continue
		}
		out = append(out, st.candidate(spidergo.FrontierEntry{URL: key, Depth: parent.Depth + 1, ParentURL: parent.URL}, u))
	}
	return out, skipped
}

// fetched is a page made by a worker with the links it found.
type fetched struct {
	*spidergo.Page
	links []string
}

// page fetches and extracts one entry. A page that fails still is a page,
// with its Error; nil means the fetch was cancelled (the entry stays in
// flight and is retried on resume).
func (e *Engine) page(ctx context.Context, j *Job, en spidergo.FrontierEntry) *fetched {
	if cached := e.cached(ctx, j, en.URL); cached != nil {
		cached.ParentURL, cached.Depth, cached.Cached = en.ParentURL, en.Depth, true
		return &fetched{Page: cached}
	}
	p := &spidergo.Page{URL: en.URL, ParentURL: en.ParentURL, Depth: en.Depth, Formats: j.Options.Extract.Formats}
	links := e.fetchPage(ctx, j, p)
	if ctx.Err() != nil {
		return nil
	}
	e.caps.apply(p)
	return &fetched{Page: p, links: links}
}

// cached returns the user's fresh copy of a scraped URL, or nil.
func (e *Engine) cached(ctx context.Context, j *Job, u string) *spidergo.Page {
	o := j.Options
	if e.cache == nil || o.MaxAge <= 0 || j.UserID == "" || (o.Kind != spidergo.KindScrape && o.Kind != spidergo.KindBatch) {
		return nil
	}
	if len(o.Actions) > 0 {
		return nil // actions act on the live page
	}
	p, err := e.cache.CachedPage(ctx, j.UserID, u, e.now().Add(-o.MaxAge))
	if err != nil || !holdsFormats(p.Formats, o.Extract.Formats) || o.wantsBrowser() && p.Rendered != RenderBrowser {
		// A copy made for other formats lacks what is asked now (a raw
		// HTML scrape has no Markdown): fetch again.
		return nil
	}
	return p
}

// holdsFormats reports whether a page made with have carries every format
// of want. Pages stored before formats were recorded have none, and are
// never served from the cache.
func holdsFormats(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return len(have) > 0
}

// fetchPage fills p from the network and returns the links to follow.
func (e *Engine) fetchPage(ctx context.Context, j *Job, p *spidergo.Page) []string {
	o := j.Options
	if err := e.slots.acquire(ctx, j.ID); err != nil {
		p.Error, p.ErrorDetail = fetch.KindCanceled, "The job was stopped before this page was fetched."
		return nil
	}
	resp, err := e.load(ctx, j, p)
	e.slots.release()
	p.FetchedAt = e.now().UTC()
	if err != nil {
		p.Error, p.ErrorDetail = errorKind(err), errorDetail(err)
		if p.Error == "" {
			p.Error, p.ErrorDetail = "internal", "The page could not be fetched because of a problem on this server."
		}
		if p.Error == fetch.KindUnsupportedContent && resp != nil && e.docs != nil && documentKind(resp.ContentType) != "" {
			p.ErrorDetail = "The page is a document (" + resp.ContentType + "); SpiderGo reads documents for the markdown, text, metadata and links formats, not for html or raw_html alone."
		}
	}
	if resp == nil {
		return nil
	}
	p.FinalURL = resp.FinalURL
	p.StatusCode = resp.StatusCode
	p.ContentType = resp.ContentType
	if resp.Charset != "" {
		p.ContentType += "; charset=utf-8" // the body is converted to UTF-8
	}
	p.ResponseTimeMS = resp.Duration.Milliseconds()
	p.PayloadSize = resp.PayloadSize
	if !resp.FetchedAt.IsZero() {
		p.FetchedAt = resp.FetchedAt.UTC()
	}
	if len(resp.Body) == 0 {
		return nil
	}
	if kind := documentKind(resp.ContentType); kind != "" {
		return e.documentPage(ctx, o, p, resp, kind)
	}
	if o.RawHTML {
		p.RawHTML = string(resp.Body)
	}
	if !isHTML(resp.ContentType) {
		p.Extractor = ExtractorText
		// Plain text, JSON and XML pass through as they are.
		if wants(o, extract.FormatMarkdown) {
			p.Markdown = string(resp.Body)
		}
		if wants(o, extract.FormatText) {
			p.TextContent = string(resp.Body)
		}
		return nil
	}
	base, _ := url.Parse(resp.FinalURL)
	if err := e.parse.Acquire(ctx, e.extractWait(o)); err != nil {
		if errors.Is(err, ErrServerBusy) {
			p.Error, p.ErrorDetail = KindServerBusy, "The server was too busy to extract this page in time."
		}
		return nil
	}
	xo := o.Extract
	xo.RobotsHeaders = resp.Header.Values("X-Robots-Tag")
	var xstart time.Time
	if e.obs != nil {
		xstart = time.Now()
	}
	p.Extractor = ExtractorHTML
	res, xerr := extract.Extract(resp.Body, base, xo)
	e.parse.Release()
	if e.obs != nil {
		e.obs.Extracted(time.Since(xstart))
	}
	if xerr != nil {
		if p.Error == "" {
			p.Error, p.ErrorDetail = "extract_failed", "The page could not be read as HTML."
		}
		return nil
	}
	fillPage(p, res, o)
	p.Robots = res.Robots.Directives()
	if o.RespectNoindex && res.Robots.NoIndex {
		// The user asked to honour noindex: keep the record, drop the content.
		clearContent(p)
		if p.Error == "" {
			p.Error, p.ErrorDetail = "noindex", "The page asks not to be indexed (noindex), so its content is left out (respect_noindex)."
		}
	}
	if o.RespectRobots && res.Robots.NoFollow {
		return nil
	}
	links := append(append([]string{}, res.Links.Internal...), res.Links.External...)
	if o.RespectRobots && len(res.Links.Nofollow) > 0 {
		nf := map[string]bool{}
		for _, l := range res.Links.Nofollow {
			nf[l] = true
		}
		kept := links[:0]
		for _, l := range links {
			if !nf[l] {
				kept = append(kept, l)
			}
		}
		links = kept
	}
	return links
}

// extractWait is how long a page of the job waits for an extract slot: a
// bounded time inside a request, as long as the job runs otherwise.
func (e *Engine) extractWait(o *Options) time.Duration {
	if o.Async {
		return 0
	}
	return e.parseWait
}

func isHTML(ct string) bool {
	return ct == "text/html" || ct == "application/xhtml+xml" || ct == ""
}

func wants(o *Options, f string) bool {
	for _, x := range o.Extract.Formats {
		if x == f {
			return true
		}
	}
	return false
}

func fillPage(p *spidergo.Page, r *extract.Result, o *Options) {
	p.Title, p.MetaDescription, p.Language = r.Title, r.Description, r.Language
	p.Markdown, p.TextContent, p.HTML = r.Markdown, r.Text, r.HTML
	if wants(o, extract.FormatLinks) {
		p.Links = &spidergo.PageLinks{Internal: nonNil(r.Links.Internal), External: nonNil(r.Links.External)}
	}
	p.Images = r.Images
	p.Metadata = r.Metadata
	p.Products = r.Products
	p.StructuredData = r.StructuredData
}

func clearContent(p *spidergo.Page) {
	p.Markdown, p.TextContent, p.HTML, p.RawHTML = "", "", "", ""
	p.Images, p.Products, p.StructuredData = nil, nil, nil
	p.Screenshot, p.Screenshots = "", nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func sitemapURL(seed string) string {
	u, err := url.Parse(seed)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host + "/sitemap.xml"
}
