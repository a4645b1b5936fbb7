package api

// Request is the body of POST /v1/scrape, /v1/crawl, /v1/map and
// /v1/batch/scrape. Pointer fields tell "absent" from "false" or "0": an
// explicit 0 for limit, max_concurrency or timeout_ms is refused, an absent
// one takes the default.
type Request struct {
	URL             string   `json:"url"`
	URLs            []string `json:"urls,omitempty"`
	Formats         []string `json:"formats,omitempty"`
	OnlyMainContent *bool    `json:"only_main_content,omitempty"`
	IncludeTags     []string `json:"include_tags,omitempty"`
	ExcludeTags     []string `json:"exclude_tags,omitempty"`
	Render          string   `json:"render,omitempty"`
	WaitForMS       int      `json:"wait_for_ms,omitempty"`
	// WaitFor is a CSS selector the browser waits for before extraction.
	WaitFor string `json:"wait_for,omitempty"`
	// Actions are browser steps run, in order, before extraction.
	Actions []Action `json:"actions,omitempty"`
	// Mobile renders with a phone's viewport and user agent.
	Mobile bool `json:"mobile,omitempty"`
	// ScreenshotFullPage makes the screenshot format cover the whole page
	// instead of the viewport.
	ScreenshotFullPage bool `json:"screenshot_full_page,omitempty"`
	// OmitHeadline leaves the article's headline, and the standfirst
	// added under it from a story's page header, out of the Markdown (a
	// page that is no story keeps its standfirst as content).
	OmitHeadline          bool              `json:"omit_headline,omitempty"`
	TimeoutMS             *int              `json:"timeout_ms,omitempty"`
	Headers               map[string]string `json:"headers,omitempty"`
	MaxAgeMS              int64             `json:"max_age_ms,omitempty"`
	Limit                 *int              `json:"limit,omitempty"`
	MaxDepth              *int              `json:"max_depth,omitempty"`
	IncludePaths          []string          `json:"include_paths,omitempty"`
	ExcludePaths          []string          `json:"exclude_paths,omitempty"`
	CrawlEntireSite       bool              `json:"crawl_entire_site,omitempty"`
	AllowSubdomains       bool              `json:"allow_subdomains,omitempty"`
	AllowExternal         bool              `json:"allow_external,omitempty"`
	Sitemap               string            `json:"sitemap,omitempty"`
	IgnoreQueryParameters bool              `json:"ignore_query_parameters,omitempty"`
	// DeduplicateSimilarURLs folds equivalent spellings of one page (an
	// index file and its directory, a trailing slash, "www.") into one;
	// absent means true.
	DeduplicateSimilarURLs *bool `json:"deduplicate_similar_urls,omitempty"`
	RespectRobots          *bool `json:"respect_robots,omitempty"`
	// RespectNoindex drops the content of pages that say noindex (they
	// report Error "noindex"); by default their content is kept and the
	// page reports the directive in Robots.
	RespectNoindex bool `json:"respect_noindex,omitempty"`
	DelayMS        int  `json:"delay_ms,omitempty"`
	MaxConcurrency *int `json:"max_concurrency,omitempty"`
	// Async: crawls default to false (answer when done); batches default
	// to true, and "async": false runs a small batch in the request.
	Async *bool `json:"async,omitempty"`
	// IgnoreInvalidURLs (batch) runs the valid URLs and lists the others
	// in the answer's InvalidURLs instead of refusing the request.
	IgnoreInvalidURLs bool `json:"ignore_invalid_urls,omitempty"`
	// Search (map) ranks URLs that contain its terms first.
	Search string `json:"search,omitempty"`
	// IncludeTitles (map) adds Links, each URL with the title its sitemap
	// or link text gives, to the answer.
	IncludeTitles bool     `json:"include_titles,omitempty"`
	Webhook       *Webhook `json:"webhook,omitempty"`
	// Store false answers a synchronous request without keeping its pages;
	// the job row keeps its counts only.
	Store *bool `json:"store,omitempty"`
}

// Action is one browser step of Request.Actions.
//
//   - wait: Milliseconds, or until Selector appears;
//   - click: the first element matching Selector;
//   - write: Text typed into Selector, or into the focused element;
//   - press: one Key, such as "Enter", "Tab" or "a";
//   - scroll: Direction "down" (default), "up" by Amount pixels (0 means
//     one viewport), or "bottom" until the page stops growing;
//   - screenshot: adds a PNG to the page's Screenshots (the whole page
//     with FullPage);
//   - execute_javascript: runs Script in the page, its result discarded
//     (only on servers whose operator set
//     SPIDERGO_RENDER_EXECUTE_JAVASCRIPT).
type Action struct {
	Type         string `json:"type"`
	Selector     string `json:"selector,omitempty"`
	Text         string `json:"text,omitempty"`
	Key          string `json:"key,omitempty"`
	Milliseconds int    `json:"milliseconds,omitempty"`
	Direction    string `json:"direction,omitempty"`
	Amount       int    `json:"amount,omitempty"`
	FullPage     bool   `json:"full_page,omitempty"`
	Script       string `json:"script,omitempty"`
}

// IsAsync reports whether the request asked for "async": true.
func (r *Request) IsAsync() bool { return r.Async != nil && *r.Async }

// Webhook asks for a job's events to be posted to URL.
type Webhook struct {
	URL     string            `json:"url"`
	Events  []string          `json:"events,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
}

// Response is every scrape and crawl answer: the envelope under "message".
type Response struct {
	Message *Envelope `json:"message"`
}

// Envelope is a job's head and, in answers that carry results, a page of
// its results. Field names are the integration guide's.
type Envelope struct {
	CRID                string         `json:"CRID"`
	UserID              string         `json:"UserID"`
	Kind                string         `json:"Kind,omitempty"`
	Status              string         `json:"Status"`
	URL                 string         `json:"URL"`
	TotalPages          int            `json:"TotalPages"`
	TotalResponseTimeMS int64          `json:"TotalResponseTimeMS"`
	TotalPayloadSize    int64          `json:"TotalPayloadSize"`
	CreatedAt           *Time          `json:"CreatedAt,omitempty"`
	StartedAt           *Time          `json:"StartedAt,omitempty"`
	FinishedAt          *Time          `json:"FinishedAt,omitempty"`
	Skipped             map[string]int `json:"Skipped,omitempty"`
	Error               string         `json:"Error,omitempty"`
	// Progress: URLs admitted to the frontier, those still waiting, those
	// being fetched, pages stored with an error, and the most pages the job
	// may hold (Limit), so clients can show a percentage.
	Discovered int    `json:"Discovered"`
	Queued     int    `json:"Queued"`
	InFlight   int    `json:"InFlight"`
	Failed     int    `json:"Failed"`
	Limit      int    `json:"Limit"`
	Next       string `json:"Next"`
	// Pages is always present in answers that carry results ([] when
	// empty) and left out of job heads (history, events), where it is nil.
	Pages []*Page `json:"Pages,omitzero"`
	// URLs is the answer of /v1/map.
	URLs []string `json:"URLs,omitempty"`
	// Links is the answer of /v1/map with "include_titles": each URL with
	// its title, when the sitemap or a link's text gives one.
	Links []MapLink `json:"Links,omitempty"`
	// InvalidURLs lists the URLs of a batch that were not run, with why.
	InvalidURLs []InvalidURL `json:"InvalidURLs,omitempty"`
}

// MapLink is one URL found by /v1/map.
type MapLink struct {
	URL   string `json:"url"`
	Title string `json:"title,omitempty"`
}

// InvalidURL is a URL of a batch that cannot be fetched, and why.
type InvalidURL struct {
	URL    string `json:"url"`
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

// Page is one fetched URL in a job's result; empty outputs are left out.
type Page struct {
	URL             string            `json:"URL"`
	FinalURL        string            `json:"FinalURL,omitempty"`
	ParentURL       string            `json:"ParentURL,omitempty"`
	Depth           int               `json:"Depth"`
	StatusCode      int               `json:"StatusCode"`
	ContentType     string            `json:"ContentType,omitempty"`
	ResponseTimeMS  int64             `json:"ResponseTimeMS"`
	PayloadSize     int64             `json:"PayloadSize"`
	FetchedAt       Time              `json:"FetchedAt"`
	Title           string            `json:"Title,omitempty"`
	MetaDescription string            `json:"MetaDescription,omitempty"`
	Language        string            `json:"Language,omitempty"`
	Markdown        string            `json:"Markdown,omitempty"`
	TextContent     string            `json:"TextContent,omitempty"`
	HTML            string            `json:"HTML,omitempty"`
	RawHTML         string            `json:"RawHTML,omitempty"`
	Links           *Links            `json:"Links,omitempty"`
	Images          []string          `json:"Images,omitempty"`
	Metadata        map[string]string `json:"Metadata,omitempty"`
	Products        []Product         `json:"Products,omitempty"`
	StructuredData  []any             `json:"StructuredData,omitempty"`
	// Screenshot is the screenshot format's PNG as a data URL
	// ("data:image/png;base64,…"); Screenshots are those of screenshot
	// actions, in order, in the same form.
	Screenshot  string   `json:"Screenshot,omitempty"`
	Screenshots []string `json:"Screenshots,omitempty"`
	// Rendered says how the page was loaded: "http" or "browser".
	Rendered string `json:"Rendered,omitempty"`
	// Extractor names what read the body: "html", "text" (plain text,
	// JSON and XML given as they are), "pdf", "docx" or "odt".
	Extractor string `json:"Extractor,omitempty"`
	// Robots are the page's robots directives ("noindex", "nofollow")
	// from its meta tags and X-Robots-Tag header.
	Robots []string `json:"Robots,omitempty"`
	Cached bool     `json:"Cached"`
	Error  string   `json:"Error"`
	// ErrorDetail is one sentence about Error for people: the host, the
	// status, what was refused and why.
	ErrorDetail string `json:"ErrorDetail,omitempty"`
	// Truncated names what the server's per-page caps cut ("links",
	// "raw_html", "markdown", "text", "html", "images", "products",
	// "structured_data"); absent when nothing was cut.
	Truncated []string `json:"Truncated,omitempty"`
}

// Links are a page's links split by site.
type Links struct {
	Internal []string `json:"Internal"`
	External []string `json:"External"`
}

// Product is one product found on a page.
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

// JobErrors is the answer of GET /v1/crawl/{crid}/errors: the job's failed
// pages and the URLs robots.txt refused, in the order they were stored.
type JobErrors struct {
	Errors        []PageError `json:"errors"`
	RobotsBlocked []string    `json:"robots_blocked"`
	Next          string      `json:"next"`
}

// PageError is one failed page: its error code, a sentence when there is
// one, and the HTTP status it got (0 when no answer came).
type PageError struct {
	URL         string `json:"url"`
	Error       string `json:"error"`
	ErrorDetail string `json:"error_detail,omitempty"`
	StatusCode  int    `json:"status_code"`
}

// History is the answer of GET /v1/history and GET /v1/crawl: job heads,
// newest first.
type History struct {
	Jobs []*Envelope `json:"jobs"`
	Next string      `json:"next"`
}

// StreamLine is one line of GET /v1/crawl/{crid}/stream: a page as it is
// stored, then one summary with the finished job's head.
type StreamLine struct {
	Type string    `json:"type"` // "page" or "summary"
	Page *Page     `json:"page,omitempty"`
	Job  *Envelope `json:"job,omitempty"`
}

// Ptr returns a pointer to v, for the optional fields of Request:
// api.Request{URL: u, Limit: api.Ptr(50), Async: api.Ptr(true)}.
func Ptr[T any](v T) *T { return &v }
