package firecrawl

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/fetch"
)

// Document is one page in Firecrawl's shape; outputs not asked for are
// left out, metadata is always there.
type Document struct {
	Markdown string   `json:"markdown,omitempty"`
	HTML     string   `json:"html,omitempty"`
	RawHTML  string   `json:"rawHtml,omitempty"`
	Links    []string `json:"links,omitempty"`
	Images   []string `json:"images,omitempty"`
	// Screenshot is the screenshot format's PNG as a data URL
	// ("data:image/png;base64,…"): Firecrawl's clients take a URL or
	// base64 data there.
	Screenshot string `json:"screenshot,omitempty"`
	// Actions holds what the screenshot actions took, in order.
	Actions  *ActionResults `json:"actions,omitempty"`
	Metadata map[string]any `json:"metadata"`
}

// ActionResults are the outputs of a page's actions in Firecrawl's shape.
// SpiderGo's actions make screenshots only: the other lists are empty.
type ActionResults struct {
	Screenshots       []string `json:"screenshots"`
	Scrapes           []any    `json:"scrapes"`
	JavascriptReturns []any    `json:"javascriptReturns"`
	PDFs              []string `json:"pdfs"`
}

// documentOf turns a SpiderGo page into a Firecrawl document. The page's
// own metadata (Open Graph, Twitter cards, canonical…) comes first; the
// fields Firecrawl defines win over a tag of the same name.
func documentOf(p *api.Page) Document {
	md := map[string]any{}
	for k, v := range p.Metadata {
		md[k] = v
	}
	md["title"] = p.Title
	md["description"] = p.MetaDescription
	if p.Language != "" {
		md["language"] = p.Language
	}
	md["sourceURL"] = p.URL
	md["url"] = p.URL
	if p.FinalURL != "" {
		md["url"] = p.FinalURL
	}
	md["statusCode"] = p.StatusCode
	if p.ContentType != "" {
		md["contentType"] = p.ContentType
	}
	if p.Cached {
		md["cacheState"] = "hit"
	} else {
		md["cacheState"] = "miss"
	}
	if p.Error != "" {
		md["error"] = pageError(p)
	}
	d := Document{Markdown: p.Markdown, HTML: p.HTML, RawHTML: p.RawHTML, Images: p.Images, Screenshot: p.Screenshot, Metadata: md}
	if len(p.Screenshots) > 0 {
		d.Actions = &ActionResults{Screenshots: p.Screenshots, Scrapes: []any{}, JavascriptReturns: []any{}, PDFs: []string{}}
	}
	if p.Links != nil {
		d.Links = append(append([]string{}, p.Links.Internal...), p.Links.External...)
	}
	return d
}

func pageError(p *api.Page) string {
	if p.ErrorDetail != "" {
		return p.ErrorDetail
	}
	return p.Error
}

// statusName is Firecrawl's name for a job status: it has no "queued" or
// "running", a job is "scraping" until it ends.
func statusName(s string) string {
	switch s {
	case spidergo.StatusQueued, spidergo.StatusRunning:
		return "scraping"
	}
	return s
}

// baseURL is the scheme and host the client reached us at: status and
// paging links must work for it, whatever the server's own base URL.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (h *Handler) actor(r *http.Request) (string, error) {
	a := h.cfg.Actor(r)
	if a.UserID == "" {
		return "", spidergo.Errorf(spidergo.EUNAUTHORIZED, "Missing API key.")
	}
	return a.UserID, nil
}

func (h *Handler) scrape(version string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		req, err := readBody(w, r, endpoint{version, spidergo.KindScrape, 0})
		if err != nil {
			return err
		}
		st, err := h.cfg.Jobs.Start(r.Context(), h.cfg.Actor(r), spidergo.KindScrape, req)
		if err != nil {
			return err
		}
		if len(st.Envelope.Pages) == 0 {
			return spidergo.Errorf(spidergo.ETIMEOUT, "The page was not fetched in time.")
		}
		p := st.Envelope.Pages[0]
		if p.Error != "" && p.StatusCode == 0 {
			code := spidergo.EINTERNAL
			if p.Error == fetch.KindRobotsDisallowed {
				code = spidergo.EFORBIDDEN
			}
			return &spidergo.Error{Code: code, Reason: p.Error, Message: fmt.Sprintf("Could not scrape %s: %s", p.URL, pageError(p))}
		}
		return writeJSON(w, http.StatusOK, map[string]any{"success": true, "data": documentOf(p)})
	}
}

// start starts a crawl or a batch; Firecrawl answers 200 with the job's id
// and the URL to poll.
func (h *Handler) start(version, kind, path string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		req, err := readBody(w, r, endpoint{version, kind, h.cfg.Jobs.MaxCrawlPages()})
		if err != nil {
			return err
		}
		st, err := h.cfg.Jobs.Start(r.Context(), h.cfg.Actor(r), kind, req)
		if err != nil {
			return err
		}
		out := map[string]any{"success": true, "id": st.Envelope.CRID,
			"url": baseURL(r) + Prefix + "/" + version + "/" + path + "/" + st.Envelope.CRID}
		if kind == spidergo.KindBatch {
			invalid := []string{}
			for _, u := range st.Envelope.InvalidURLs {
				invalid = append(invalid, u.URL)
			}
			out["invalidURLs"] = invalid
		}
		return writeJSON(w, http.StatusOK, out)
	}
}

// statusPage is how many documents one status answer holds; "next" leads
// to the rest.
const (
	statusPage    = 100
	maxStatusPage = 1000
)

// JobStatus is Firecrawl's answer to a crawl or batch status request.
type JobStatus struct {
	Success     bool       `json:"success"`
	Status      string     `json:"status"`
	Total       int        `json:"total"`
	Completed   int        `json:"completed"`
	CreditsUsed int        `json:"creditsUsed"`
	ExpiresAt   *api.Time  `json:"expiresAt,omitempty"`
	Next        string     `json:"next,omitempty"`
	Data        []Document `json:"data"`
}

// statusOf builds the status answer. total counts the URLs the job has
// admitted so far (at most its limit), completed the pages it has stored;
// a finished job's total is what it stored. One request costs one unit,
// so creditsUsed is 1.
func statusOf(env *api.Envelope) *JobStatus {
	st := &JobStatus{Success: true, Status: statusName(env.Status), Completed: env.TotalPages, CreditsUsed: 1, Data: []Document{}}
	st.Total = max(env.TotalPages, min(env.Discovered, env.Limit))
	if env.Status == spidergo.StatusCompleted || env.Status == spidergo.StatusCancelled || env.Status == spidergo.StatusFailed {
		st.Total = env.TotalPages
	}
	for _, p := range env.Pages {
		st.Data = append(st.Data, documentOf(p))
	}
	return st
}

// status answers a job's progress with a page of its documents. Paging
// follows Firecrawl's: ?skip= documents already read, ?limit= per answer,
// and "next" (left out on the last page: firecrawl-js's v1 client follows
// the field for as long as it is there).
func (h *Handler) status(version, path string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		userID, err := h.actor(r)
		if err != nil {
			return err
		}
		q := r.URL.Query()
		skip, err := queryInt(q.Get("skip"), "skip", 0, 1<<31-1, 0)
		if err != nil {
			return err
		}
		limit, err := queryInt(q.Get("limit"), "limit", 1, maxStatusPage, statusPage)
		if err != nil {
			return err
		}
		// SpiderGo's page cursor is the number of pages before it.
		cursor := ""
		if skip > 0 {
			cursor = strconv.Itoa(skip)
		}
		env, err := h.cfg.Jobs.Get(r.Context(), userID, r.PathValue("id"), cursor, limit)
		if err != nil {
			return err
		}
		st := statusOf(env)
		if env.Next != "" {
			st.Next = fmt.Sprintf("%s%s/%s/%s/%s?skip=%d", baseURL(r), Prefix, version, path, env.CRID, skip+len(env.Pages))
			if q.Has("limit") {
				st.Next += "&limit=" + strconv.Itoa(limit)
			}
		}
		return writeJSON(w, http.StatusOK, st)
	}
}

func queryInt(v, name string, lo, hi, def int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, spidergo.Errorf(spidergo.EINVALID, "Query parameter %q must be from %d to %d.", name, lo, hi)
	}
	return n, nil
}

// cancel stops a crawl or a batch; its pages stay readable.
func (h *Handler) cancel(w http.ResponseWriter, r *http.Request) error {
	userID, err := h.actor(r)
	if err != nil {
		return err
	}
	if _, err := h.cfg.Jobs.Cancel(r.Context(), userID, r.PathValue("id")); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"success": true, "status": "cancelled"})
}

// CrawlError is one failed URL in Firecrawl's errors answer.
type CrawlError struct {
	ID        string `json:"id"`
	Timestamp string `json:"timestamp,omitempty"`
	URL       string `json:"url"`
	Code      string `json:"code,omitempty"`
	Error     string `json:"error"`
}

// errors lists a job's failed URLs and those robots.txt refused, up to
// the first thousand of each.
func (h *Handler) errors(w http.ResponseWriter, r *http.Request) error {
	userID, err := h.actor(r)
	if err != nil {
		return err
	}
	je, err := h.cfg.Jobs.Errors(r.Context(), userID, r.PathValue("id"), "", maxStatusPage)
	if err != nil {
		return err
	}
	out := struct {
		Success       bool         `json:"success"`
		Errors        []CrawlError `json:"errors"`
		RobotsBlocked []string     `json:"robotsBlocked"`
	}{Success: true, Errors: []CrawlError{}, RobotsBlocked: je.RobotsBlocked}
	for i, e := range je.Errors {
		msg := e.Error
		if e.ErrorDetail != "" {
			msg = e.ErrorDetail
		} else if e.StatusCode > 0 {
			msg = fmt.Sprintf("%s (HTTP %d)", e.Error, e.StatusCode)
		}
		out.Errors = append(out.Errors, CrawlError{ID: strconv.Itoa(i + 1), URL: e.URL, Code: e.Error, Error: msg})
	}
	return writeJSON(w, http.StatusOK, out)
}

// mapSite lists a site's URLs: v1 answers strings, v2 objects with titles.
func (h *Handler) mapSite(version string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		req, err := readBody(w, r, endpoint{version, spidergo.KindMap, 0})
		if err != nil {
			return err
		}
		st, err := h.cfg.Jobs.Start(r.Context(), h.cfg.Actor(r), spidergo.KindMap, req)
		if err != nil {
			return err
		}
		env := st.Envelope
		if env.Status == spidergo.StatusFailed {
			return &spidergo.Error{Code: spidergo.EINTERNAL, Reason: env.Error, Message: fmt.Sprintf("Could not map %s: %s", env.URL, env.Error)}
		}
		if version == "v1" {
			links := env.URLs
			if links == nil {
				links = []string{}
			}
			return writeJSON(w, http.StatusOK, map[string]any{"success": true, "links": links})
		}
		type link struct {
			URL   string `json:"url"`
			Title string `json:"title,omitempty"`
		}
		links := []link{}
		if len(env.Links) > 0 {
			for _, l := range env.Links {
				links = append(links, link{URL: l.URL, Title: l.Title})
			}
		} else {
			for _, u := range env.URLs {
				links = append(links, link{URL: u})
			}
		}
		return writeJSON(w, http.StatusOK, map[string]any{"success": true, "id": env.CRID, "links": links})
	}
}
