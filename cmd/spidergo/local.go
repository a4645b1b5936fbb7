package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/crawl"
	"github.com/spidergo/spidergo/internal/document"
	"github.com/spidergo/spidergo/internal/fetch"
	"github.com/spidergo/spidergo/internal/render"
)

// local runs jobs in this process: the server's engine and fetcher, with
// the same address guard and robots rules, and no database.
type local struct {
	fetcher *fetch.Fetcher
	engine  *crawl.Engine
	// browser is headless Chromium when it is installed (nil otherwise),
	// behind the fetcher's address guard like the server's.
	browser *render.Browser
	// noBrowser says why there is no browser.
	noBrowser error
	// docs reads PDF, DOCX and ODT pages.
	docs *document.Converter
}

// newLocal builds the fetcher, the renderer when Chromium is installed
// (SPIDERGO_CHROMIUM_PATH and SPIDERGO_RENDER_CONCURRENCY as for the
// server, read through env) and the engine.
func newLocal(allow []string, env func(string) string) (*local, error) {
	ua := "SpiderGo/" + spidergo.Version + " (+https://github.com/spidergo/spidergo)"
	f, err := fetch.New(fetch.Config{UserAgent: ua, Allow: allow})
	if err != nil {
		return nil, usagef("--allow: %v", err)
	}
	l := &local{fetcher: f, docs: document.New(document.Config{})}
	ec := crawl.EngineConfig{Fetcher: f, Documents: l.docs}
	rc, err := render.ConfigFromEnv(env)
	if err != nil {
		return nil, usagef("%v", err)
	}
	rc.UserAgent = ua
	b, err := render.New(rc, f)
	switch {
	case render.KindOf(err) == render.KindNotInstalled:
		l.noBrowser = err
	case err != nil:
		return nil, fmt.Errorf("renderer: %w", err)
	default:
		l.browser = b
		ec.Renderer = b
	}
	l.engine = crawl.NewEngine(ec)
	return l, nil
}

// close stops the browser, if one was started.
func (l *local) close() {
	if l.browser != nil {
		l.browser.Close()
	}
	l.docs.Close()
}

// normalize is the server's check of a user's URL: the fetcher's cheap
// pre-check (scheme, port, a literal address the guard refuses), then the
// crawl's normal form.
func (l *local) normalize(raw string) (string, error) {
	u, err := l.fetcher.Check(raw)
	if err != nil {
		if fetch.KindOf(err) == fetch.KindBlockedAddress {
			return "", usagef("%s is a private, loopback or reserved address; --allow opens it", raw)
		}
		return "", usagef("%s cannot be fetched: %v", raw, err)
	}
	n, ok := crawl.Normalize(u.String(), false)
	if !ok {
		return "", usagef("%s is not a valid http(s) URL", raw)
	}
	return n, nil
}

// options validates req for kind as the server would; bad input is a usage
// error.
func (l *local) options(req *api.Request, kind string) (*crawl.Options, error) {
	o, err := crawl.Validate(req, kind, false, l.normalize)
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			if kind == spidergo.KindBatch && !req.IgnoreInvalidURLs && badURL(string(ue), req.URLs) {
				ue += "; --ignore-invalid-urls runs the other URLs"
			}
			return nil, ue
		}
		return nil, usagef("%s", spidergo.ErrorMessage(err))
	}
	if name := o.BrowserOption(); name != "" && l.browser == nil {
		return nil, usagef("%s needs headless Chromium, which is not installed here (install Debian's chromium package or set SPIDERGO_CHROMIUM_PATH)", flagOf(name))
	}
	return o, nil
}

// badURL reports whether msg is about one of urls.
func badURL(msg string, urls []string) bool {
	for _, u := range urls {
		if strings.HasPrefix(msg, u+" ") {
			return true
		}
	}
	return false
}

// run runs one scrape, crawl or batch, sending each page to out as it is
// saved. With a journal path, the job's state is kept there and a job
// found there is continued.
func (l *local) run(ctx context.Context, o *crawl.Options, out *output, prog *progress, journalPath string) error {
	q := &localQueue{mem: crawl.NewMemQueue(), out: out, prog: prog}
	admitted := 0
	if journalPath != "" {
		j, replay, err := openJournal(journalPath, o)
		if err != nil {
			return err
		}
		defer j.close()
		q.journal = j
		// Pages of the earlier runs come first, so the output is the
		// whole job.
		for _, p := range replay.pages {
			if err := out.page(p); err != nil {
				return err
			}
			prog.page(failedPage(p))
		}
		admitted = len(replay.done) + len(replay.pending)
		if err := q.restore(ctx, replay); err != nil {
			return err
		}
		prog.discover(admitted)
	}
	return l.engine.Run(ctx, &crawl.Job{ID: "local", Options: o, Queue: q, Admitted: admitted})
}

// localQueue is the frontier of a local job: crawl.MemQueue's frontier,
// with pages written out as they are saved rather than kept, and every
// change appended to the journal when there is one.
type localQueue struct {
	mem     *crawl.MemQueue
	out     *output
	prog    *progress
	journal *journal
}

func (q *localQueue) Add(ctx context.Context, entries []spidergo.FrontierEntry) ([]bool, error) {
	added, err := q.mem.Add(ctx, entries)
	if err != nil {
		return nil, err
	}
	var fresh []spidergo.FrontierEntry
	for i, ok := range added {
		if ok {
			fresh = append(fresh, entries[i])
		}
	}
	if q.journal != nil {
		for _, e := range fresh {
			if err := q.journal.write(journalLine{Type: "admit", URL: e.URL, Depth: e.Depth, Parent: e.ParentURL}); err != nil {
				return nil, err
			}
		}
	}
	q.prog.discover(len(fresh))
	return added, nil
}

func (q *localQueue) Claim(ctx context.Context, n int) ([]spidergo.FrontierEntry, error) {
	return q.mem.Claim(ctx, n)
}

func (q *localQueue) Save(_ context.Context, p *spidergo.Page) error {
	w := crawl.WirePage(p)
	if q.journal != nil {
		if err := q.journal.write(journalLine{Type: "page", URL: p.URL, Page: w}); err != nil {
			return err
		}
	}
	q.prog.page(failedPage(w))
	return q.out.page(w)
}

func (q *localQueue) Skip(ctx context.Context, s map[string]int) error {
	return q.mem.Skip(ctx, s)
}

// restore puts a journal's frontier back: every URL admitted counts as
// seen, and those without a page are queued again.
func (q *localQueue) restore(ctx context.Context, r *replay) error {
	// MemQueue hands entries out in the order they were added: add the
	// done ones first and take them straight back out.
	if _, err := q.mem.Add(ctx, r.done); err != nil {
		return err
	}
	if _, err := q.mem.Claim(ctx, len(r.done)); err != nil {
		return err
	}
	_, err := q.mem.Add(ctx, r.pending)
	return err
}

// journalLine is one line of a --resume file.
type journalLine struct {
	Type   string    `json:"t"` // job, admit, page
	Kind   string    `json:"kind,omitempty"`
	Seeds  []string  `json:"seeds,omitempty"`
	URL    string    `json:"url,omitempty"`
	Depth  int       `json:"depth,omitempty"`
	Parent string    `json:"parent,omitempty"`
	Page   *api.Page `json:"page,omitempty"`
}

// journal appends a local job's state to a JSON-lines file: the job, each
// URL admitted to the frontier, each page saved. Lines are written whole
// and in order, so a file cut short by a crash loses at most its last
// line, which is then fetched again.
type journal struct {
	mu sync.Mutex
	f  *os.File
}

type replay struct {
	done, pending []spidergo.FrontierEntry
	pages         []*api.Page
}

// openJournal opens path, creating it for o's job or reading the state of
// the job it holds, which must be o's.
func openJournal(path string, o *crawl.Options) (*journal, *replay, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, nil, usagef("--resume: %v", err)
	}
	r := &replay{}
	admitted := map[string]spidergo.FrontierEntry{}
	var order []string
	saved := map[string]bool{}
	head := false
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	var good int64
	for sc.Scan() {
		var l journalLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			break // a line cut short by a crash ends the journal
		}
		good += int64(len(sc.Bytes())) + 1
		switch l.Type {
		case "job":
			if l.Kind != o.Kind || !equal(l.Seeds, o.Seeds) {
				f.Close()
				return nil, nil, usagef("--resume %s holds another job (%s of %v)", path, l.Kind, l.Seeds)
			}
			head = true
		case "admit":
			if _, ok := admitted[l.URL]; !ok {
				order = append(order, l.URL)
			}
			admitted[l.URL] = spidergo.FrontierEntry{URL: l.URL, Depth: l.Depth, ParentURL: l.Parent}
		case "page":
			if l.Page != nil && !saved[l.URL] {
				saved[l.URL] = true
				r.pages = append(r.pages, l.Page)
			}
		}
	}
	if err := sc.Err(); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("--resume %s: %w", path, err)
	}
	// Drop a torn last line so that new lines start clean.
	if err := f.Truncate(good); err != nil {
		f.Close()
		return nil, nil, err
	}
	if _, err := f.Seek(good, 0); err != nil {
		f.Close()
		return nil, nil, err
	}
	for _, u := range order {
		if saved[u] {
			r.done = append(r.done, admitted[u])
		} else {
			r.pending = append(r.pending, admitted[u])
		}
	}
	j := &journal{f: f}
	if !head {
		if good > 0 {
			f.Close()
			return nil, nil, usagef("--resume %s is not a SpiderGo journal", path)
		}
		if err := j.write(journalLine{Type: "job", Kind: o.Kind, Seeds: o.Seeds}); err != nil {
			f.Close()
			return nil, nil, err
		}
	}
	return j, r, nil
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (j *journal) write(l journalLine) error {
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	_, err = j.f.Write(append(b, '\n'))
	return err
}

func (j *journal) close() error { return j.f.Close() }
