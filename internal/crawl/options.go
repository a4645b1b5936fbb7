package crawl

import (
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"regexp"
	"strings"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/extract"
	"github.com/spidergo/spidergo/internal/render"
)

// Limits on what one request may ask for.
const (
	DefaultLimit = 10
	MaxSyncLimit = 100
	// DefaultMaxCrawlPages is the async page cap unless the operator
	// sets another (SPIDERGO_MAX_CRAWL_PAGES).
	DefaultMaxCrawlPages = 10000
	MaxTrialLimit        = 5
	DefaultMaxDepth      = 3
	MaxDepthCap          = 50
	MaxPathPatterns      = 50
	MaxPatternLength     = 500
	DefaultTimeoutMS     = 30000
	MaxTimeoutMS         = 120000
	MaxDelayMS           = 60000
	DefaultConcurrency   = 4
	MaxConcurrency       = 32
	MaxBatchURLs         = 1000
	MaxSyncBatchURLs     = 20
	MaxSearchLength      = 200
	MaxMapURLs           = 5000
	MaxHeaders           = 32
	MaxActions           = render.DefaultMaxActions
	MaxSelectorLength    = 500
	MaxActionText        = 10000
	// MaxScriptLength caps an execute_javascript action's script.
	MaxScriptLength = 10000
)

// Render modes.
const (
	RenderHTTP    = "http"
	RenderBrowser = "browser"
	RenderAuto    = "auto"
)

// Options are a validated Request with defaults applied: what the engine
// runs.
type Options struct {
	Kind     string
	Seeds    []string // normalized; one for scrape/crawl/map, many for batch
	Extract  extract.Options
	RawHTML  bool
	Header   http.Header
	Timeout  time.Duration
	MaxAge   time.Duration
	Limit    int
	MaxDepth int
	Include  []*regexp.Regexp
	Exclude  []*regexp.Regexp
	// EntireSite widens the scope from the seed's directory to its whole
	// site (crawl_entire_site; implied by AllowSubdomains and
	// AllowExternal, and always true for map).
	EntireSite      bool
	AllowSubdomains bool
	AllowExternal   bool
	Sitemap         string
	IgnoreQuery     bool
	// FoldSimilar makes equivalent spellings of one page one URL
	// (deduplicate_similar_urls, default true).
	FoldSimilar   bool
	RespectRobots bool
	// RespectNoindex drops the content of noindex pages (respect_noindex).
	RespectNoindex bool
	Delay          time.Duration
	Concurrency    int
	// Async is false for a request answered when the job is done: a
	// crawl or scrape without "async": true, a batch with "async": false.
	Async   bool
	Webhook *api.Webhook

	// InvalidURLs are the batch URLs left out under ignore_invalid_urls,
	// in input order, for the answer's InvalidURLs.
	InvalidURLs []api.InvalidURL
	// DuplicateURLs counts batch URLs given more than once; the engine
	// adds them to the job's Skipped["duplicate"].
	DuplicateURLs int

	// Render is the render mode: RenderHTTP, RenderBrowser or RenderAuto.
	// Under auto, the browser is used when the HTTP answer needs one, or
	// always when a browser-only option (wait_for, actions, mobile, the
	// screenshot format) is asked for.
	Render string
	// WaitFor (a CSS selector) and Wait (wait_for_ms) are the browser's
	// waits after the page loads.
	WaitFor string
	Wait    time.Duration
	Actions []render.Action
	Mobile  bool
	// Screenshot is the screenshot format; ScreenshotFullPage makes it
	// cover the whole page.
	Screenshot         bool
	ScreenshotFullPage bool
	// browserOption names the first option given that only a browser can
	// honour ("" when none): it needs a renderer, and it sends auto to the
	// browser.
	browserOption string

	// Search and Titles are map's: rank URLs holding the search terms
	// first; return each URL's title too (MapResult.Links).
	Search []string
	Titles bool
}

func invalid(format string, args ...any) error {
	return spidergo.Errorf(spidergo.EINVALID, format, args...)
}

// within names the field an error is about in the message the client sees.
func within(field string, err error) error {
	var e *spidergo.Error
	if !errors.As(err, &e) {
		return fmt.Errorf("%s: %w", field, err)
	}
	named := *e
	named.Message = field + ": " + e.Message
	named.Err = err
	return &named
}

// hopByHop are the headers a caller may not set: the fetcher owns them.
var hopByHop = map[string]bool{
	"Host": true, "Connection": true, "Keep-Alive": true, "Proxy-Connection": true,
	"Proxy-Authenticate": true, "Proxy-Authorization": true, "Te": true, "Trailer": true,
	"Transfer-Encoding": true, "Upgrade": true, "Content-Length": true, "Accept-Encoding": true,
}

// Validate checks r for a job of kind and applies the defaults. sync and
// trial cap the limit further. normalize turns a user's URL into the one
// fetched (scheme added, checked by the address guard's cheap pre-check).
func Validate(r *api.Request, kind string, trial bool, normalize func(string) (string, error)) (*Options, error) {
	return ValidateMax(r, kind, trial, normalize, DefaultMaxCrawlPages)
}

// ValidateMax is Validate with maxPages, the operator's cap on an async
// crawl's limit, in place of DefaultMaxCrawlPages.
func ValidateMax(r *api.Request, kind string, trial bool, normalize func(string) (string, error), maxPages int) (*Options, error) {
	o := &Options{Kind: kind, Async: r.IsAsync(), RespectRobots: true, Sitemap: "include", FoldSimilar: true}
	if trial && o.Async {
		return nil, invalid("Trial crawls are synchronous only; sign up for an API key to run async crawls.")
	}
	if err := optionsApply(r, kind); err != nil {
		return nil, err
	}
	switch kind {
	case spidergo.KindBatch:
		if r.URL != "" {
			return nil, invalid("Batch scrape takes \"urls\", not \"url\".")
		}
		if len(r.URLs) == 0 {
			return nil, invalid("Field \"urls\" is required: a list of 1 to %d URLs.", MaxBatchURLs)
		}
		if len(r.URLs) > MaxBatchURLs {
			return nil, invalid("Field \"urls\" holds %d URLs; the most is %d.", len(r.URLs), MaxBatchURLs)
		}
		o.Async = r.Async == nil || *r.Async
		if !o.Async && len(r.URLs) > MaxSyncBatchURLs {
			return nil, invalid("A synchronous batch may hold at most %d URLs; leave out \"async\": false (batches run asynchronously by default) for up to %d.", MaxSyncBatchURLs, MaxBatchURLs)
		}
		seen := map[string]bool{}
		for i, raw := range r.URLs {
			u, err := normalize(raw)
			if err != nil {
				if !r.IgnoreInvalidURLs {
					return nil, within(fmt.Sprintf("urls[%d]", i), withHint(err, "pass \"ignore_invalid_urls\": true to run the other URLs"))
				}
				o.InvalidURLs = append(o.InvalidURLs, api.InvalidURL{URL: raw, Code: errorReason(err), Reason: errorMessage(err)})
				continue
			}
			if seen[u] {
				o.DuplicateURLs++
				continue
			}
			seen[u] = true
			o.Seeds = append(o.Seeds, u)
		}
		if len(o.Seeds) == 0 {
			return nil, invalid("None of the %d URLs in \"urls\" can be fetched; the first: %s", len(r.URLs), o.InvalidURLs[0].Reason)
		}
	default:
		if len(r.URLs) > 0 {
			return nil, invalid("Field \"urls\" is only for /v1/batch/scrape.")
		}
		if r.IgnoreInvalidURLs {
			return nil, invalid("Field \"ignore_invalid_urls\" is only for /v1/batch/scrape.")
		}
		if strings.TrimSpace(r.URL) == "" {
			return nil, invalid("Field \"url\" is required.")
		}
		u, err := normalize(r.URL)
		if err != nil {
			return nil, err
		}
		o.Seeds = []string{u}
	}

	formats := r.Formats
	if len(formats) == 0 {
		formats = extract.DefaultFormats
	}
	for _, f := range formats {
		switch {
		case f == "screenshot":
			o.Screenshot = true
		case f == extract.FormatRawHTML:
			o.RawHTML = true
		case !extract.IsFormat(f):
			return nil, invalid("Unknown format %q.", f)
		}
	}
	o.Extract = extract.Options{Formats: formats, OnlyMainContent: true, IncludeTags: r.IncludeTags, ExcludeTags: r.ExcludeTags, SubdomainsInternal: r.AllowSubdomains, OmitHeadline: r.OmitHeadline}
	if r.OnlyMainContent != nil {
		o.Extract.OnlyMainContent = *r.OnlyMainContent
	}
	if err := extract.ValidateSelectors(r.IncludeTags, r.ExcludeTags); err != nil {
		return nil, invalid("Invalid include_tags/exclude_tags: %v.", err)
	}

	if err := validateRender(r, o); err != nil {
		return nil, err
	}

	switch {
	case r.TimeoutMS == nil:
		o.Timeout = DefaultTimeoutMS * time.Millisecond
	case *r.TimeoutMS < 1000 || *r.TimeoutMS > MaxTimeoutMS:
		return nil, invalid("Field \"timeout_ms\" must be from 1000 to %d.", MaxTimeoutMS)
	default:
		o.Timeout = time.Duration(*r.TimeoutMS) * time.Millisecond
	}
	if r.MaxAgeMS < 0 {
		return nil, invalid("Field \"max_age_ms\" must not be negative.")
	}
	o.MaxAge = time.Duration(r.MaxAgeMS) * time.Millisecond

	if len(r.Headers) > MaxHeaders {
		return nil, invalid("At most %d headers may be sent.", MaxHeaders)
	}
	if len(r.Headers) > 0 {
		o.Header = http.Header{}
		for k, v := range r.Headers {
			ck := textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(k))
			if ck == "" || hopByHop[ck] || strings.ContainsAny(ck, " \t\r\n:") {
				return nil, invalid("Header %q may not be set.", k)
			}
			if strings.ContainsAny(v, "\r\n") {
				return nil, invalid("Header %q has a line break in its value.", k)
			}
			o.Header.Set(ck, v)
		}
	}

	// Crawl scope and pacing.
	maxLimit := MaxSyncLimit
	if o.Async {
		maxLimit = maxPages
	}
	if trial {
		maxLimit = MaxTrialLimit
	}
	limit := 0
	if r.Limit != nil {
		limit = *r.Limit
		if limit < 1 {
			return nil, invalid("Field \"limit\" must be at least 1 (leave it out for the default, %d).", min(DefaultLimit, maxLimit))
		}
	}
	switch {
	case kind == spidergo.KindMap:
		o.Limit = MaxMapURLs
		if limit > 0 {
			o.Limit = min(limit, MaxMapURLs)
		}
	case limit == 0:
		o.Limit = min(DefaultLimit, maxLimit)
	case limit > maxLimit && !o.Async && !trial && limit <= maxPages && kind == spidergo.KindCrawl:
		return nil, invalid("A synchronous crawl may fetch at most %d pages; pass \"async\": true for up to %d.", MaxSyncLimit, maxPages)
	case limit > maxLimit:
		return nil, invalid("Field \"limit\" may be at most %d.", maxLimit)
	default:
		o.Limit = limit
	}
	if kind == spidergo.KindBatch {
		o.Limit = len(o.Seeds)
	}
	o.MaxDepth = DefaultMaxDepth
	if r.MaxDepth != nil {
		if *r.MaxDepth < 0 || *r.MaxDepth > MaxDepthCap {
			return nil, invalid("Field \"max_depth\" must be from 0 to %d.", MaxDepthCap)
		}
		o.MaxDepth = *r.MaxDepth
	}
	var err error
	if o.Include, err = compilePatterns("include_paths", r.IncludePaths); err != nil {
		return nil, err
	}
	if o.Exclude, err = compilePatterns("exclude_paths", r.ExcludePaths); err != nil {
		return nil, err
	}
	o.AllowSubdomains, o.AllowExternal = r.AllowSubdomains, r.AllowExternal
	o.EntireSite = r.CrawlEntireSite || r.AllowSubdomains || r.AllowExternal || kind == spidergo.KindMap
	if r.DeduplicateSimilarURLs != nil {
		o.FoldSimilar = *r.DeduplicateSimilarURLs
	}
	if kind == spidergo.KindMap {
		if len(r.Search) > MaxSearchLength {
			return nil, invalid("Field \"search\" may be at most %d characters.", MaxSearchLength)
		}
		o.Search = strings.Fields(strings.ToLower(r.Search))
		o.Titles = r.IncludeTitles
	}
	switch r.Sitemap {
	case "":
	case "include", "skip", "only":
		o.Sitemap = r.Sitemap
	default:
		return nil, invalid("Field \"sitemap\" must be \"include\", \"skip\" or \"only\".")
	}
	o.IgnoreQuery = r.IgnoreQueryParameters
	if r.RespectRobots != nil {
		o.RespectRobots = *r.RespectRobots
	}
	o.RespectNoindex = r.RespectNoindex
	if r.DelayMS < 0 || r.DelayMS > MaxDelayMS {
		return nil, invalid("Field \"delay_ms\" must be from 0 to %d.", MaxDelayMS)
	}
	o.Delay = time.Duration(r.DelayMS) * time.Millisecond
	switch {
	case r.MaxConcurrency == nil:
		o.Concurrency = DefaultConcurrency
	case *r.MaxConcurrency < 1 || *r.MaxConcurrency > MaxConcurrency:
		return nil, invalid("Field \"max_concurrency\" must be from 1 to %d.", MaxConcurrency)
	default:
		o.Concurrency = *r.MaxConcurrency
	}
	if r.Webhook != nil {
		if trial {
			return nil, invalid("Trial requests cannot use webhooks.")
		}
		if err := validateWebhook(r.Webhook, normalize); err != nil {
			return nil, err
		}
		o.Webhook = r.Webhook
	}
	return o, nil
}

// validateRender checks the render mode and the browser's options.
func validateRender(r *api.Request, o *Options) error {
	switch r.Render {
	case "", RenderAuto:
		o.Render = RenderAuto
	case RenderHTTP, RenderBrowser:
		o.Render = r.Render
	default:
		return invalid("Field \"render\" must be \"http\", \"browser\" or \"auto\".")
	}
	if r.WaitForMS < 0 || r.WaitForMS > MaxTimeoutMS {
		return invalid("Field \"wait_for_ms\" must be from 0 to %d.", MaxTimeoutMS)
	}
	o.Wait = time.Duration(r.WaitForMS) * time.Millisecond
	o.WaitFor = strings.TrimSpace(r.WaitFor)
	if len(o.WaitFor) > MaxSelectorLength {
		return invalid("Field \"wait_for\" may be at most %d characters.", MaxSelectorLength)
	}
	o.Mobile, o.ScreenshotFullPage = r.Mobile, r.ScreenshotFullPage
	if len(r.Actions) > MaxActions {
		return invalid("Field \"actions\" holds %d actions; the most is %d.", len(r.Actions), MaxActions)
	}
	for i, a := range r.Actions {
		if err := validateAction(a); err != nil {
			return invalid("actions[%d] (%q): %s.", i, a.Type, err)
		}
		o.Actions = append(o.Actions, a)
	}
	for _, opt := range []struct {
		name string
		set  bool
	}{
		{"render \"browser\"", o.Render == RenderBrowser},
		{"format \"screenshot\"", o.Screenshot},
		{"wait_for", o.WaitFor != ""},
		{"actions", len(o.Actions) > 0},
		{"mobile", o.Mobile},
	} {
		if opt.set {
			o.browserOption = opt.name
			break
		}
	}
	if o.Render == RenderHTTP && o.browserOption != "" {
		return invalid("Option %s needs the browser; use \"render\": \"browser\" or \"auto\" (the default).", o.browserOption)
	}
	return nil
}

// validateAction checks one browser action's type and fields.
func validateAction(a api.Action) error {
	if len(a.Selector) > MaxSelectorLength {
		return fmt.Errorf("selector may be at most %d characters", MaxSelectorLength)
	}
	if len(a.Text) > MaxActionText {
		return fmt.Errorf("text may be at most %d characters", MaxActionText)
	}
	if a.Milliseconds < 0 || a.Amount < 0 {
		return errors.New("milliseconds and amount must not be negative")
	}
	switch a.Type {
	case render.ActionWait:
		if a.Milliseconds == 0 && a.Selector == "" {
			return errors.New("a wait needs \"milliseconds\" or a \"selector\"")
		}
		if a.Milliseconds > MaxTimeoutMS {
			return fmt.Errorf("milliseconds may be at most %d", MaxTimeoutMS)
		}
	case render.ActionClick:
		if a.Selector == "" {
			return errors.New("a click needs a \"selector\"")
		}
	case render.ActionWrite:
		if a.Text == "" {
			return errors.New("a write needs \"text\"")
		}
	case render.ActionPress:
		if !render.KnownKey(a.Key) {
			return fmt.Errorf("unknown key %q; use a key name such as \"Enter\", \"Tab\" or \"ArrowDown\", or one character", a.Key)
		}
	case render.ActionScroll:
		switch a.Direction {
		case "", "down", "up", "bottom":
		default:
			return errors.New("direction must be \"down\", \"up\" or \"bottom\"")
		}
	case render.ActionScreenshot:
	case render.ActionExecuteJavaScript:
		if strings.TrimSpace(a.Script) == "" {
			return errors.New("an execute_javascript action needs a \"script\"")
		}
		if len(a.Script) > MaxScriptLength {
			return fmt.Errorf("script may be at most %d characters", MaxScriptLength)
		}
	case "":
		return errors.New("\"type\" is required: wait, click, write, press, scroll, screenshot or execute_javascript")
	default:
		return errors.New("unknown type; use wait, click, write, press, scroll, screenshot or execute_javascript")
	}
	if a.Script != "" && a.Type != render.ActionExecuteJavaScript {
		return errors.New("only an execute_javascript action takes a \"script\"")
	}
	return nil
}

// BrowserOption names the first option of the request that only a
// browser can honour, or "" when there is none.
func (o *Options) BrowserOption() string { return o.browserOption }

// wantsBrowser reports whether the page must be loaded in the browser
// rather than trying HTTP first.
func (o *Options) wantsBrowser() bool {
	return o.Render == RenderBrowser || o.Render == RenderAuto && o.browserOption != ""
}

// optionsApply refuses options the kind of job does not use, naming
// them: a typo'd or misplaced option must not be silently ignored.
func optionsApply(r *api.Request, kind string) error {
	type opt struct {
		name string
		set  bool
	}
	var unused []opt
	switch kind {
	case spidergo.KindMap:
		unused = []opt{
			{"formats", len(r.Formats) > 0}, {"only_main_content", r.OnlyMainContent != nil},
			{"include_tags", len(r.IncludeTags) > 0}, {"exclude_tags", len(r.ExcludeTags) > 0},
			{"render", r.Render != ""}, {"wait_for_ms", r.WaitForMS != 0}, {"max_age_ms", r.MaxAgeMS != 0},
			{"wait_for", r.WaitFor != ""}, {"actions", len(r.Actions) > 0}, {"mobile", r.Mobile},
			{"screenshot_full_page", r.ScreenshotFullPage}, {"omit_headline", r.OmitHeadline},
			{"respect_noindex", r.RespectNoindex},
			{"max_depth", r.MaxDepth != nil}, {"crawl_entire_site", r.CrawlEntireSite},
			{"delay_ms", r.DelayMS != 0}, {"max_concurrency", r.MaxConcurrency != nil},
			{"async", r.IsAsync()}, {"webhook", r.Webhook != nil},
		}
	default:
		unused = []opt{{"search", r.Search != ""}, {"include_titles", r.IncludeTitles}}
	}
	for _, o := range unused {
		if o.set {
			return invalid("Option %q does not apply to %s requests.", o.name, kind)
		}
	}
	return nil
}

// withHint adds a hint to a client error's message.
func withHint(err error, hint string) error {
	var e *spidergo.Error
	if !errors.As(err, &e) {
		return err
	}
	h := *e
	h.Message = strings.TrimSuffix(e.Message, ".") + "; " + hint + "."
	h.Err = err
	return &h
}

// errorReason is the machine code of a refused URL.
func errorReason(err error) string {
	var e *spidergo.Error
	if errors.As(err, &e) && e.Reason != "" {
		return e.Reason
	}
	return "invalid_url"
}

// errorMessage is what the client is told about a refused URL.
func errorMessage(err error) string {
	var e *spidergo.Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return err.Error()
}

func compilePatterns(field string, pats []string) ([]*regexp.Regexp, error) {
	if len(pats) > MaxPathPatterns {
		return nil, invalid("Field %q may hold at most %d patterns.", field, MaxPathPatterns)
	}
	var out []*regexp.Regexp
	for _, p := range pats {
		if len(p) > MaxPatternLength {
			return nil, invalid("A pattern in %q is longer than %d characters.", field, MaxPatternLength)
		}
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, invalid("Pattern %q in %q is not a valid regular expression: %v.", p, field, err)
		}
		out = append(out, re)
	}
	return out, nil
}

// Webhook events.
var webhookEvents = map[string]bool{"started": true, "page": true, "completed": true, "failed": true}

func validateWebhook(w *api.Webhook, normalize func(string) (string, error)) error {
	u, err := normalize(w.URL)
	if err != nil {
		return within("webhook.url", err)
	}
	w.URL = u
	if len(w.Events) == 0 {
		w.Events = []string{"started", "page", "completed", "failed"}
	}
	for _, e := range w.Events {
		if !webhookEvents[e] {
			return invalid("Unknown webhook event %q; use started, page, completed or failed.", e)
		}
	}
	if len(w.Headers) > MaxHeaders {
		return invalid("At most %d webhook headers may be sent.", MaxHeaders)
	}
	for k, v := range w.Headers {
		ck := textproto.CanonicalMIMEHeaderKey(k)
		if hopByHop[ck] || ck == "X-Spidergo-Signature" || strings.ContainsAny(k+v, "\r\n") {
			return invalid("Webhook header %q may not be set.", k)
		}
	}
	return nil
}
