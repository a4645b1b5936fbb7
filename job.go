package spidergo

import (
	"context"
	"encoding/json"
	"time"
)

// Job kinds.
const (
	KindScrape = "scrape"
	KindCrawl  = "crawl"
	KindBatch  = "batch"
	KindMap    = "map"
)

// Job statuses.
const (
	StatusQueued    = "queued"
	StatusRunning   = "running"
	StatusCompleted = "completed"
	StatusCancelled = "cancelled"
	StatusFailed    = "failed"
)

// Job is one scrape, crawl, batch or map request and its totals. Its pages
// and frontier live beside it in the store.
type Job struct {
	ID                  string
	UserID              string
	KeyID               string
	Kind                string
	URL                 string
	Status              string
	Options             json.RawMessage // the request, as accepted
	TotalPages          int
	TotalResponseTimeMS int64
	TotalPayloadSize    int64
	Skipped             map[string]int
	Error               string
	CreatedAt           time.Time
	StartedAt           time.Time
	FinishedAt          time.Time
	// Async jobs run in the background and count against the user's
	// running-jobs cap; sync ones run inside their request.
	Async bool
	// Limit is the most pages the job may hold.
	Limit int
	// Progress, computed by the store from the frontier and the pages.
	Discovered int // URLs admitted to the frontier
	Queued     int // admitted, not yet fetched
	InFlight   int // being fetched
	Failed     int // pages stored with an error
}

// JobFilter narrows a list of jobs.
type JobFilter struct {
	Status string // "" for every status
	Cursor string // "" for the start
	Limit  int
}

// Lease is a worker's claim on frontier entries: who holds them and until
// when. A claim whose lease has run out belongs to nobody.
type Lease struct {
	Owner string
	Until time.Time
}

// Finished reports whether the job can no longer change.
func (j *Job) Finished() bool {
	switch j.Status {
	case StatusCompleted, StatusCancelled, StatusFailed:
		return true
	}
	return false
}

// Page is one fetched URL in a job's result. It is the domain's type: the
// API writes it as api.Page and the store keeps its own versioned row, so
// neither the wire format nor stored data is tied to this struct.
type Page struct {
	URL             string
	FinalURL        string
	ParentURL       string
	Depth           int
	StatusCode      int
	ContentType     string
	ResponseTimeMS  int64
	PayloadSize     int64
	FetchedAt       time.Time
	Title           string
	MetaDescription string
	Language        string
	Markdown        string
	TextContent     string
	HTML            string
	RawHTML         string
	Links           *PageLinks
	Images          []string
	Metadata        map[string]string
	Products        []Product
	StructuredData  []any
	// Screenshot is the screenshot format's PNG as a data URL;
	// Screenshots are those of screenshot actions, in order.
	Screenshot  string
	Screenshots []string
	// Rendered is "http" or "browser": how the page was loaded.
	Rendered string
	// Extractor names what read the body: "html", "text" (text, JSON and
	// XML given as they are), "pdf", "docx" or "odt"; empty when no body
	// was read.
	Extractor string
	// Robots are the page's robots directives ("noindex", "nofollow").
	Robots []string
	Cached bool
	Error  string
	// ErrorDetail is one sentence about Error for people.
	ErrorDetail string
	// Formats are the formats the page was made with; a cached copy is
	// only served to a request whose formats it holds.
	Formats []string
	// Truncated names the formats cut to the server's per-page caps
	// ("links", "raw_html", "markdown" …); empty when nothing was cut.
	Truncated []string
}

// Failed reports whether the page carries an error or an HTTP error status.
func (p *Page) Failed() bool { return p.Error != "" || p.StatusCode >= 400 }

// Product is one product found on a page. Its JSON names are what
// extract's golden files hold; the API writes api.Product.
type Product struct {
	Name         string `json:"name"`
	Price        string `json:"price,omitempty"`
	Currency     string `json:"currency,omitempty"`
	ImageURL     string `json:"image_url,omitempty"`
	Description  string `json:"description,omitempty"`
	URL          string `json:"url,omitempty"`
	Availability string `json:"availability,omitempty"`
	SKU          string `json:"sku,omitempty"`
	Brand        string `json:"brand,omitempty"`
}

// PageLinks are a page's links split by site.
type PageLinks struct {
	Internal []string
	External []string
}

// FrontierEntry is one URL a job has admitted: queued, being fetched, or
// done. The unique (job, url) key is what keeps a crawl from fetching a page
// twice, across restarts and workers.
type FrontierEntry struct {
	URL       string
	Depth     int
	ParentURL string
	Seq       int64 // admission order: breadth-first by construction
	// Fold is the key similar spellings of one page share when the job
	// folds them ("" otherwise): a job admits one URL per fold key.
	Fold string
}

// Admission is what AdmitFrontier did with one entry.
type Admission uint8

const (
	// AdmitNew: the entry is queued.
	AdmitNew Admission = iota
	// AdmitDuplicate: the job has admitted this URL already.
	AdmitDuplicate
	// AdmitSimilar: the job has admitted a URL of the same fold key.
	AdmitSimilar
	// AdmitOverLimit: the job has admitted as many URLs as its limit.
	AdmitOverLimit
)

// JobStore keeps jobs, their frontiers and their pages.
type JobStore interface {
	CreateJob(ctx context.Context, j *Job) error
	// Job returns one of userID's jobs; another user's is ENOTFOUND.
	Job(ctx context.Context, userID, id string) (*Job, error)
	// JobByID returns any job, for the runner.
	JobByID(ctx context.Context, id string) (*Job, error)
	// ListJobs returns userID's jobs newest first, after the filter's
	// cursor, of the filter's status when it names one.
	ListJobs(ctx context.Context, userID string, f JobFilter) (jobs []*Job, next string, err error)
	DeleteJob(ctx context.Context, userID, id string) error
	// DeleteExpiredJobs deletes up to maxJobs finished jobs (completed,
	// cancelled or failed) that finished before `before`, oldest first,
	// with their pages, frontier and counts, and reports how many it
	// deleted. Pages go in small batches, so that no single write holds
	// the database for long; queued and running jobs are never touched.
	DeleteExpiredJobs(ctx context.Context, before time.Time, maxJobs int) (deleted int, err error)
	// SetJobStatus moves a job on; times are set when non-zero. A finished
	// job is never moved again (a cancel wins over a late completion).
	SetJobStatus(ctx context.Context, id, status, errMsg string, at time.Time) error
	// UnfinishedJobs returns queued and running jobs, oldest first.
	UnfinishedJobs(ctx context.Context) ([]*Job, error)
	// ClaimJobSlot moves a queued async job to running if its user has
	// fewer than maxRunning async jobs running, atomically: racing workers
	// never start more. It reports false when the user is at the cap; a job
	// already running holds its slot and reports true; a finished job is
	// ECONFLICT.
	ClaimJobSlot(ctx context.Context, id string, maxRunning int, at time.Time) (bool, error)

	// AddFrontier admits entries not seen before in the job and reports
	// which were new. Admission is atomic per URL.
	AddFrontier(ctx context.Context, jobID string, entries []FrontierEntry) (added []bool, err error)
	// AdmitFrontier admits entries in order as AddFrontier does, under the
	// job's limit of admitted URLs (0: none) and folding entries that carry
	// a fold key already admitted, and says what it did with each. The
	// count and the limit hold across workers admitting to one job at once.
	// In the same transaction it adds to the job's skip counts the entries
	// it refused ("duplicate", "duplicate_similar", "limit") and skipped,
	// the links left out before admission, so the counts are whole as soon
	// as the page whose links these are is stored.
	AdmitFrontier(ctx context.Context, jobID string, limit int, entries []FrontierEntry, skipped map[string]int) ([]Admission, error)
	// ClaimFrontier marks up to n queued entries as in flight under the
	// lease, in admission order, and returns them; when fewer are queued it
	// takes in-flight entries whose lease has run out (their worker died).
	// Concurrent claims never return one entry twice.
	ClaimFrontier(ctx context.Context, jobID string, lease Lease, n int) ([]FrontierEntry, error)
	// ExtendLease moves the end of owner's live claims in the job to until.
	ExtendLease(ctx context.Context, jobID string, lease Lease) error
	// RequeueFrontier puts back in the queue the job's in-flight entries
	// that owner held or whose lease has run out (after a restart, or a
	// worker lost), never another worker's live claims, and returns how
	// many entries the job has admitted.
	RequeueFrontier(ctx context.Context, jobID, owner string) (admitted int, err error)
	// OpenFrontier counts the job's entries not done yet: queued or in
	// flight under any worker's claim. Zero means the crawl has nothing
	// left to fetch anywhere.
	OpenFrontier(ctx context.Context, jobID string) (int, error)
	// SavePage stores the page of an in-flight entry, marks the entry done
	// and adds the page to the job's totals, all at once.
	SavePage(ctx context.Context, jobID string, p *Page) error
	// AddPages stores finished pages that have no frontier entry (the URLs a
	// map found), in order, and adds them to the job's totals, all at once.
	AddPages(ctx context.Context, jobID string, pages []*Page) error
	// CountPage adds a page to the job's totals without keeping it (jobs
	// run with "store": false).
	CountPage(ctx context.Context, jobID string, p *Page) error
	// AddSkipped counts URLs a job left out, by reason.
	AddSkipped(ctx context.Context, jobID string, skipped map[string]int) error
	// Pages returns a job's pages in the order they were stored, after the
	// cursor ("" for the start).
	Pages(ctx context.Context, jobID, cursor string, limit int) (pages []*Page, next string, err error)
	// FailedPages is Pages restricted to pages that carry an error or an
	// HTTP error status.
	FailedPages(ctx context.Context, jobID, cursor string, limit int) (pages []*Page, next string, err error)
	// CachedPage returns userID's most recent error-free page of url
	// fetched at or after since; ENOTFOUND when there is none.
	CachedPage(ctx context.Context, userID, url string, since time.Time) (*Page, error)
}
