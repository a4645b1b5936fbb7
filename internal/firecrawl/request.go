package firecrawl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/crawl"
	"github.com/spidergo/spidergo/internal/render"
)

// endpoint says which Firecrawl request a body belongs to: the same field
// means different things, or is not allowed, depending on it.
type endpoint struct {
	version string // "v1" or "v2"
	kind    string // spidergo.KindScrape, KindCrawl, KindBatch or KindMap
	// maxPages is the server's largest async crawl (0: the default), the
	// limit of a crawl that names none.
	maxPages int
}

// field maps one Firecrawl request field onto an api.Request. raw is the
// field's JSON value; name is its path as the client wrote it
// ("scrapeOptions.formats"), for messages.
type field func(name string, raw json.RawMessage, req *api.Request, ep endpoint) error

// unsupported refuses an option SpiderGo cannot honour, naming it.
func unsupported(name, why string) error {
	return spidergo.Errorf(spidergo.EINVALID, "Option %q is not supported by this SpiderGo server: %s", name, why)
}

func badType(name, want string) error {
	return spidergo.Errorf(spidergo.EINVALID, "Option %q must be %s.", name, want)
}

func decodeAs[T any](name, want string, raw json.RawMessage) (T, error) {
	var v T
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return v, badType(name, want)
	}
	return v, nil
}

// isNull reports a JSON null: the SDKs send some unset options that way.
func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// allowOnly accepts a value that asks for nothing SpiderGo lacks (the
// option's "off" value) and refuses every other, naming the option.
func allowOnly(why string, off ...string) field {
	return func(name string, raw json.RawMessage, _ *api.Request, _ endpoint) error {
		v := string(bytes.TrimSpace(raw))
		if slices.Contains(off, v) {
			return nil
		}
		return unsupported(name, why)
	}
}

// ignore accepts any value: fields that describe the caller, not the work.
func ignore(string, json.RawMessage, *api.Request, endpoint) error { return nil }

const (
	whyLLM     = "SpiderGo does no LLM extraction."
	whyProxy   = "SpiderGo fetches from its own address, without proxies or geolocation."
	whyRetain  = "SpiderGo keeps a job's pages until you delete the job (DELETE /v1/history/{id})."
	whyPrompt  = "SpiderGo does not turn prompts into crawl options; set the options yourself."
	whyAppend  = "every batch is a job of its own here."
	whyRobots  = "SpiderGo reads robots.txt for its own user agent."
	whyFullURL = "path patterns match the URL's path here."
)

// scrapeFields are the scrape options: the body of /scrape, the top level
// of /batch/scrape, and crawl's scrapeOptions.
var scrapeFields = map[string]field{
	"formats":         mapFormats,
	"onlyMainContent": boolField(func(r *api.Request, v bool) { r.OnlyMainContent = &v }),
	"includeTags":     stringsField(func(r *api.Request, v []string) { r.IncludeTags = v }),
	"excludeTags":     stringsField(func(r *api.Request, v []string) { r.ExcludeTags = v }),
	"headers": func(name string, raw json.RawMessage, r *api.Request, _ endpoint) error {
		h, err := decodeAs[map[string]string](name, "an object of strings", raw)
		r.Headers = h
		return err
	},
	"timeout": func(name string, raw json.RawMessage, r *api.Request, _ endpoint) error {
		ms, err := decodeAs[int](name, "a whole number of milliseconds", raw)
		if err != nil {
			return err
		}
		if ms < 1000 || ms > crawl.MaxTimeoutMS {
			return spidergo.Errorf(spidergo.EINVALID, "Option %q must be from 1000 to %d milliseconds.", name, crawl.MaxTimeoutMS)
		}
		r.TimeoutMS = &ms
		return nil
	},
	"maxAge": func(name string, raw json.RawMessage, r *api.Request, _ endpoint) error {
		ms, err := decodeAs[int64](name, "a whole number of milliseconds", raw)
		if err != nil {
			return err
		}
		if ms < 0 {
			return spidergo.Errorf(spidergo.EINVALID, "Option %q must not be negative.", name)
		}
		r.MaxAgeMS = ms
		return nil
	},
	// The browser options: asking for any of them renders the page (a
	// server without a browser answers 400 render_not_installed).
	"waitFor": func(name string, raw json.RawMessage, r *api.Request, _ endpoint) error {
		ms, err := decodeAs[int](name, "a whole number of milliseconds", raw)
		if err != nil {
			return err
		}
		if ms < 0 || ms > crawl.MaxTimeoutMS {
			return spidergo.Errorf(spidergo.EINVALID, "Option %q must be from 0 to %d milliseconds.", name, crawl.MaxTimeoutMS)
		}
		r.WaitForMS = ms
		return nil
	},
	"mobile":                boolField(func(r *api.Request, v bool) { r.Mobile = v }),
	"actions":               mapActions,
	"skipTlsVerification":   allowOnly("SpiderGo always verifies TLS certificates.", "false"),
	"location":              allowOnly(whyProxy),
	"proxy":                 allowOnly(whyProxy, `"basic"`),
	"jsonOptions":           allowOnly(whyLLM),
	"extract":               allowOnly(whyLLM),
	"changeTrackingOptions": allowOnly("SpiderGo does not compare scrapes over time."),
	// PDFs are read into Markdown and text (Firecrawl's default); there
	// is no mode giving the file itself as base64.
	"parsePDF":          allowOnly("SpiderGo always reads PDFs into Markdown and text; it does not give the file as base64.", "true"),
	"zeroDataRetention": allowOnly(whyRetain, "false"),
	"fastMode":          allowOnly("there is one fetch mode here.", "false"),
	"useMock":           allowOnly("there are no mock fetches here."),
	// Ads and base64 images only come with rendered pages and inline
	// images, neither of which SpiderGo produces: either value holds.
	"blockAds":           boolField(nil),
	"removeBase64Images": boolField(nil),
	// storeInCache=false: SpiderGo's page cache only serves maxAge
	// requests, so either value leaves the answer as asked.
	"storeInCache": boolField(nil),
	"origin":       ignore,
	"integration":  ignore,
}

// crawlFields are crawl's own options (scrapeOptions holds the rest).
var crawlFields = map[string]field{
	"includePaths":       stringsField(func(r *api.Request, v []string) { r.IncludePaths = v }),
	"excludePaths":       stringsField(func(r *api.Request, v []string) { r.ExcludePaths = v }),
	"maxDepth":           intField(func(r *api.Request, v int) { r.MaxDepth = &v }),
	"maxDiscoveryDepth":  intField(func(r *api.Request, v int) { r.MaxDepth = &v }),
	"limit":              intField(func(r *api.Request, v int) { r.Limit = &v }),
	"allowBackwardLinks": boolField(func(r *api.Request, v bool) { r.CrawlEntireSite = r.CrawlEntireSite || v }),
	"crawlEntireDomain":  boolField(func(r *api.Request, v bool) { r.CrawlEntireSite = r.CrawlEntireSite || v }),
	"allowExternalLinks": boolField(func(r *api.Request, v bool) { r.AllowExternal = v }),
	"allowSubdomains":    boolField(func(r *api.Request, v bool) { r.AllowSubdomains = v }),
	"ignoreSitemap": boolField(func(r *api.Request, v bool) {
		if v {
			r.Sitemap = "skip"
		}
	}),
	"sitemap":                sitemapField,
	"ignoreQueryParameters":  boolField(func(r *api.Request, v bool) { r.IgnoreQueryParameters = v }),
	"deduplicateSimilarURLs": boolField(func(r *api.Request, v bool) { r.DeduplicateSimilarURLs = &v }),
	"delay": func(name string, raw json.RawMessage, r *api.Request, _ endpoint) error {
		sec, err := decodeAs[float64](name, "a number of seconds", raw)
		if err != nil {
			return err
		}
		if sec < 0 || sec*1000 > crawl.MaxDelayMS {
			return spidergo.Errorf(spidergo.EINVALID, "Option %q must be from 0 to %d seconds.", name, crawl.MaxDelayMS/1000)
		}
		r.DelayMS = int(sec * 1000)
		return nil
	},
	"maxConcurrency": intField(func(r *api.Request, v int) { r.MaxConcurrency = &v }),
	"webhook":        webhookField,
	"scrapeOptions": func(name string, raw json.RawMessage, r *api.Request, ep endpoint) error {
		return apply(name+".", raw, r, ep, scrapeFields)
	},
	"ignoreRobotsTxt":   boolField(func(r *api.Request, v bool) { r.RespectRobots = api.Ptr(!v) }),
	"regexOnFullURL":    allowOnly(whyFullURL, "false"),
	"robotsUserAgent":   allowOnly(whyRobots),
	"prompt":            allowOnly(whyPrompt, `""`),
	"zeroDataRetention": allowOnly(whyRetain, "false"),
	"origin":            ignore,
	"integration":       ignore,
}

// batchFields are batch's own options besides the scrape options.
var batchFields = map[string]field{
	"urls":              stringsField(func(r *api.Request, v []string) { r.URLs = v }),
	"ignoreInvalidURLs": boolField(func(r *api.Request, v bool) { r.IgnoreInvalidURLs = v }),
	"maxConcurrency":    intField(func(r *api.Request, v int) { r.MaxConcurrency = &v }),
	"webhook":           webhookField,
	"appendToId":        allowOnly(whyAppend),
}

// mapFields are map's options.
var mapFields = map[string]field{
	"search":            stringField(func(r *api.Request, v string) { r.Search = v }),
	"limit":             intField(func(r *api.Request, v int) { r.Limit = &v }),
	"includeSubdomains": boolField(func(r *api.Request, v bool) { r.AllowSubdomains = v }),
	"ignoreSitemap": boolField(func(r *api.Request, v bool) {
		if v {
			r.Sitemap = "skip"
		}
	}),
	"sitemapOnly": boolField(func(r *api.Request, v bool) {
		if v {
			r.Sitemap = "only"
		}
	}),
	"sitemap":               sitemapField,
	"ignoreQueryParameters": boolField(func(r *api.Request, v bool) { r.IgnoreQueryParameters = v }),
	"timeout":               scrapeFields["timeout"],
	"location":              allowOnly(whyProxy),
	"useIndex":              boolField(nil), // SpiderGo has no index: it always maps live
	"threatProtection":      allowOnly("SpiderGo's address guard is its protection; there is no other.", "false"),
	"auditMetadata":         ignore,
	"origin":                ignore,
	"integration":           ignore,
}

func boolField(set func(*api.Request, bool)) field {
	return func(name string, raw json.RawMessage, r *api.Request, _ endpoint) error {
		v, err := decodeAs[bool](name, "true or false", raw)
		if err == nil && set != nil {
			set(r, v)
		}
		return err
	}
}

func intField(set func(*api.Request, int)) field {
	return func(name string, raw json.RawMessage, r *api.Request, _ endpoint) error {
		v, err := decodeAs[int](name, "a whole number", raw)
		if err != nil {
			return err
		}
		if v < 0 {
			return spidergo.Errorf(spidergo.EINVALID, "Option %q must not be negative.", name)
		}
		set(r, v)
		return nil
	}
}

func stringField(set func(*api.Request, string)) field {
	return func(name string, raw json.RawMessage, r *api.Request, _ endpoint) error {
		v, err := decodeAs[string](name, "a string", raw)
		if err == nil {
			set(r, v)
		}
		return err
	}
}

func stringsField(set func(*api.Request, []string)) field {
	return func(name string, raw json.RawMessage, r *api.Request, _ endpoint) error {
		v, err := decodeAs[[]string](name, "an array of strings", raw)
		if err == nil {
			set(r, v)
		}
		return err
	}
}

func sitemapField(name string, raw json.RawMessage, r *api.Request, _ endpoint) error {
	v, err := decodeAs[string](name, `"include", "skip" or "only"`, raw)
	if err != nil {
		return err
	}
	switch v {
	case "include", "skip", "only":
		r.Sitemap = v
		return nil
	}
	return badType(name, `"include", "skip" or "only"`)
}

// webhookField takes a URL or {url, headers, events, metadata}.
func webhookField(name string, raw json.RawMessage, r *api.Request, _ endpoint) error {
	if u, err := decodeAs[string](name, "", raw); err == nil {
		r.Webhook = &api.Webhook{URL: u}
		return nil
	}
	var w struct {
		URL      string            `json:"url"`
		Headers  map[string]string `json:"headers"`
		Events   []string          `json:"events"`
		Metadata map[string]any    `json:"metadata"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return badType(name, "a URL or an object with url, headers, events")
	}
	if len(w.Metadata) > 0 {
		return unsupported(name+".metadata", "SpiderGo's webhook events carry the job's own data only.")
	}
	r.Webhook = &api.Webhook{URL: w.URL, Headers: w.Headers, Events: w.Events}
	return nil
}

// formatNames maps Firecrawl's format names onto SpiderGo's. Metadata is
// always extracted: every Firecrawl document has it.
var formatNames = map[string]string{
	"markdown": "markdown",
	"html":     "html",
	"rawHtml":  "raw_html",
	"links":    "links",
	"images":   "images",
}

// formatWhy says why a known Firecrawl format cannot be had here.
var formatWhy = map[string]string{
	"json":           whyLLM,
	"extract":        whyLLM,
	"summary":        whyLLM,
	"query":          whyLLM,
	"question":       whyLLM,
	"highlights":     whyLLM,
	"changeTracking": "SpiderGo does not compare scrapes over time.",
	"branding":       "SpiderGo does not analyse page design.",
	"attributes":     "SpiderGo does not select element attributes.",
	"audio":          "SpiderGo does not fetch media.",
}

// mapFormats reads formats: strings, or (v2) objects {"type": …}.
func mapFormats(name string, raw json.RawMessage, r *api.Request, ep endpoint) error {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return badType(name, "an array of formats")
	}
	out := []string{"metadata"}
	for i, item := range items {
		var f string
		if err := json.Unmarshal(item, &f); err != nil {
			var obj map[string]json.RawMessage
			if ep.version == "v1" || json.Unmarshal(item, &obj) != nil {
				return badType(fmt.Sprintf("%s[%d]", name, i), "a format name")
			}
			if err := json.Unmarshal(obj["type"], &f); err != nil || f == "" {
				return badType(fmt.Sprintf("%s[%d].type", name, i), "a format name")
			}
			keys := slices.Sorted(maps.Keys(obj))
			for _, k := range keys {
				v := obj[k]
				switch {
				case k == "type":
				case f == "screenshot" && k == "fullPage":
					full, err := decodeAs[bool](fmt.Sprintf("%s[%d].%s", name, i, k), "true or false", v)
					if err != nil {
						return err
					}
					r.ScreenshotFullPage = r.ScreenshotFullPage || full
				case f == "screenshot" && (k == "quality" || k == "viewport") && isNull(v):
				case f == "screenshot":
					return unsupported(fmt.Sprintf("%s[%d].%s", name, i, k), "SpiderGo's screenshots are PNGs of its own viewport; only fullPage can be set.")
				default:
					return unsupported(fmt.Sprintf("%s[%d].%s", name, i, k), "SpiderGo's "+f+" format takes no options.")
				}
			}
		}
		if f == "screenshot" || f == "screenshot@fullPage" {
			if f == "screenshot@fullPage" {
				r.ScreenshotFullPage = true
			}
			f = "screenshot"
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
			continue
		}
		if why, ok := formatWhy[f]; ok {
			return unsupported(fmt.Sprintf("%s: %s", name, f), why)
		}
		sg, ok := formatNames[f]
		if !ok {
			return spidergo.Errorf(spidergo.EINVALID, "Unknown format %q in %q.", f, name)
		}
		if !slices.Contains(out, sg) {
			out = append(out, sg)
		}
	}
	r.Formats = out
	return nil
}

// apply maps the fields of a JSON object onto req through table. A field
// the table lacks is refused, named: an option must never be silently
// dropped.
func apply(prefix string, raw json.RawMessage, req *api.Request, ep endpoint, table map[string]field) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return spidergo.Errorf(spidergo.EINVALID, "%s must be a JSON object.", strings.TrimSuffix(prefix, ".")+"body")
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the same body always gets the same first error
	for _, k := range keys {
		v := obj[k]
		if isNull(v) {
			continue
		}
		f, ok := table[k]
		if !ok {
			return spidergo.Errorf(spidergo.EINVALID, "Option %q is not supported by this SpiderGo server.", prefix+k)
		}
		if err := f(prefix+k, v, req, ep); err != nil {
			return err
		}
	}
	return nil
}

// Translate turns the JSON body of a Firecrawl request into SpiderGo's
// request. Crawls, batches and maps are asynchronous the way Firecrawl's
// are; scrapes wait for their page.
func Translate(ep endpoint, body []byte) (*api.Request, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		return nil, spidergo.Errorf(spidergo.EINVALID, "Request body must be a JSON object.")
	}
	req := &api.Request{}
	table := map[string]field{}
	switch ep.kind {
	case spidergo.KindScrape:
		maps.Copy(table, scrapeFields)
	case spidergo.KindCrawl:
		maps.Copy(table, crawlFields)
		// Firecrawl crawls the whole site unless told otherwise.
		req.Limit = api.Ptr(crawl.DefaultMaxCrawlPages)
		if ep.maxPages > 0 {
			req.Limit = api.Ptr(ep.maxPages)
		}
		req.MaxDepth = api.Ptr(crawl.MaxDepthCap)
	case spidergo.KindBatch:
		maps.Copy(table, scrapeFields)
		maps.Copy(table, batchFields)
	case spidergo.KindMap:
		maps.Copy(table, mapFields)
		req.IncludeTitles = ep.version == "v2"
	}
	if ep.kind != spidergo.KindBatch {
		table["url"] = stringField(func(r *api.Request, v string) { r.URL = v })
	}
	if err := apply("", body, req, ep, table); err != nil {
		return nil, err
	}
	if ep.kind == spidergo.KindCrawl || ep.kind == spidergo.KindBatch {
		req.Async = api.Ptr(true)
	}
	if ep.kind == spidergo.KindCrawl && req.MaxDepth != nil && *req.MaxDepth > crawl.MaxDepthCap {
		return nil, spidergo.Errorf(spidergo.EINVALID, "Crawl depth may be at most %d here.", crawl.MaxDepthCap)
	}
	return req, nil
}

// actionWhy says why a Firecrawl action type cannot be run here.
var actionWhy = map[string]string{
	"scrape": "SpiderGo extracts the page once, after the last action.",
	"pdf":    "SpiderGo does not print pages to PDF.",
}

// firecrawlAction is every field of Firecrawl's action objects that
// SpiderGo can honour, or must check is left at its neutral value.
type firecrawlAction struct {
	Type         string  `json:"type"`
	Milliseconds *int    `json:"milliseconds"`
	Selector     *string `json:"selector"`
	Text         *string `json:"text"`
	Key          *string `json:"key"`
	Direction    *string `json:"direction"`
	Amount       *int    `json:"amount"`
	Script       *string `json:"script"`
	FullPage     *bool   `json:"fullPage"`
	All          *bool   `json:"all"`
}

// actionFields are the fields each action type takes.
var actionFields = map[string][]string{
	render.ActionWait:       {"milliseconds", "selector"},
	render.ActionClick:      {"selector", "all"},
	render.ActionWrite:      {"text", "selector"},
	render.ActionPress:      {"key"},
	render.ActionScroll:     {"direction", "amount"},
	render.ActionScreenshot: {"fullPage"},
	"executeJavascript":     {"script"},
}

// mapActions reads Firecrawl's actions ({"type": "click", "selector":
// "#more"}, …) into SpiderGo's. Their fields are checked by the jobs
// service like those of SpiderGo's own actions.
func mapActions(name string, raw json.RawMessage, r *api.Request, _ endpoint) error {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return badType(name, "an array of actions")
	}
	out := make([]api.Action, 0, len(items))
	for i, item := range items {
		at := fmt.Sprintf("%s[%d]", name, i)
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(item, &obj); err != nil || obj == nil {
			return badType(at, "an action object")
		}
		var typ string
		if err := json.Unmarshal(obj["type"], &typ); err != nil || typ == "" {
			return badType(at+".type", "an action type")
		}
		if why, ok := actionWhy[typ]; ok {
			return unsupported(fmt.Sprintf("%s: %s", at, typ), why)
		}
		allowed, ok := actionFields[typ]
		if !ok {
			return spidergo.Errorf(spidergo.EINVALID, "Unknown action type %q in %q.", typ, at)
		}
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			if k != "type" && !slices.Contains(allowed, k) && !isNull(obj[k]) {
				return unsupported(at+"."+k, "SpiderGo's "+typ+" action does not take it.")
			}
		}
		fa, err := decodeAs[firecrawlAction](at, "an action object", item)
		if err != nil {
			return err
		}
		if fa.All != nil && *fa.All {
			return unsupported(at+".all", "SpiderGo's click action clicks the first matching element.")
		}
		a := api.Action{Type: typ}
		if typ == "executeJavascript" {
			// Refused by the jobs service, naming the setting, unless the
			// operator allows scripts.
			a.Type = render.ActionExecuteJavaScript
		}
		if fa.Script != nil {
			a.Script = *fa.Script
		}
		if fa.Milliseconds != nil {
			a.Milliseconds = *fa.Milliseconds
		}
		if fa.Selector != nil {
			a.Selector = *fa.Selector
		}
		if fa.Text != nil {
			a.Text = *fa.Text
		}
		if fa.Key != nil {
			a.Key = *fa.Key
		}
		if fa.Direction != nil {
			a.Direction = *fa.Direction
		}
		if fa.Amount != nil {
			a.Amount = *fa.Amount
		}
		if fa.FullPage != nil {
			a.FullPage = *fa.FullPage
		}
		out = append(out, a)
	}
	r.Actions = out
	return nil
}
