// Package firecrawl answers Firecrawl's public API (v1 and v2) on SpiderGo's
// own job service, so that code written for Firecrawl — its official SDKs,
// LangChain's FireCrawlLoader, n8n — moves over by changing one base URL to
// "<server>/firecrawl".
//
// Its rules: a request costs what the same /v1 request costs (the server's
// API key gate runs before these handlers); every Firecrawl option either
// maps onto a SpiderGo option or is refused with a 400 naming it, never
// dropped; answers and errors keep Firecrawl's shapes ({success, data} and
// {success: false, error}). The package knows nothing of keys or quotas: the
// server hands it the acting user.
package firecrawl

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/crawl"
)

// Prefix is where the routes live: SDKs take "<server>/firecrawl" as their
// API URL.
const Prefix = "/firecrawl"

// Jobs is the part of the job service the routes use (*crawl.Jobs).
type Jobs interface {
	Start(ctx context.Context, a crawl.Actor, kind string, req *api.Request) (*crawl.Started, error)
	Get(ctx context.Context, userID, id, cursor string, limit int) (*api.Envelope, error)
	Cancel(ctx context.Context, userID, id string) (*spidergo.Job, error)
	Errors(ctx context.Context, userID, id, cursor string, limit int) (*api.JobErrors, error)
	MaxCrawlPages() int
}

// Config is what the routes need from the server.
type Config struct {
	Jobs Jobs
	// Actor is who sends r: the server's gate has put the key's owner
	// in its context.
	Actor func(r *http.Request) crawl.Actor
	// Status is the server's one table from error codes to statuses.
	Status func(error) int
	// Logf notes a failure whose cause the client does not see; nil
	// drops it.
	Logf func(r *http.Request, err error)
}

// Handler holds the Firecrawl routes.
type Handler struct{ cfg Config }

// New builds the routes over cfg.
func New(cfg Config) *Handler {
	if cfg.Logf == nil {
		cfg.Logf = func(*http.Request, error) {}
	}
	return &Handler{cfg: cfg}
}

// Route is one Firecrawl route. Work routes start a job: the gate charges
// them one quota unit, as it does the /v1 routes that start jobs.
type Route struct {
	Pattern string
	Work    bool
	Handle  func(w http.ResponseWriter, r *http.Request) error
}

// Routes lists every Firecrawl route, for the server's route table.
func (h *Handler) Routes() []Route {
	var out []Route
	for _, v := range []string{"v1", "v2"} {
		p := Prefix + "/" + v
		out = append(out,
			Route{"POST " + p + "/scrape", true, h.scrape(v)},
			Route{"POST " + p + "/crawl", true, h.start(v, spidergo.KindCrawl, "crawl")},
			Route{"GET " + p + "/crawl/{id}", false, h.status(v, "crawl")},
			Route{"DELETE " + p + "/crawl/{id}", false, h.cancel},
			Route{"GET " + p + "/crawl/{id}/errors", false, h.errors},
			Route{"POST " + p + "/map", true, h.mapSite(v)},
			Route{"POST " + p + "/batch/scrape", true, h.start(v, spidergo.KindBatch, "batch/scrape")},
			Route{"GET " + p + "/batch/scrape/{id}", false, h.status(v, "batch/scrape")},
			Route{"DELETE " + p + "/batch/scrape/{id}", false, h.cancel},
			Route{"GET " + p + "/batch/scrape/{id}/errors", false, h.errors},
		)
	}
	// firecrawl-js's v1 client asks for a crawl's errors with DELETE.
	out = append(out, Route{"DELETE " + Prefix + "/v1/crawl/{id}/errors", false, h.errors})
	return out
}

// NotFound answers a path under the prefix that no route matches.
func (h *Handler) NotFound(w http.ResponseWriter, r *http.Request) error {
	return spidergo.Errorf(spidergo.ENOTFOUND, "No such Firecrawl route on this SpiderGo server: %s %s.", r.Method, r.URL.Path)
}

// errorBody is Firecrawl's error answer; code is SpiderGo's error code
// (the v2 SDK reports it).
type errorBody struct {
	Success bool   `json:"success"`
	Error   string `json:"error"`
	Code    string `json:"code,omitempty"`
}

// WriteError writes err in Firecrawl's form with the server's status for
// it. Internal causes stay in the log.
func (h *Handler) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	status := h.cfg.Status(err)
	code := spidergo.ErrorCode(err)
	var e *spidergo.Error
	if errors.As(err, &e) {
		if e.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(e.RetryAfter.Seconds()+0.999)))
		}
		if e.Reason != "" {
			code = e.Reason
		}
	}
	if status >= 500 {
		h.cfg.Logf(r, err)
	}
	writeJSON(w, status, errorBody{Error: spidergo.ErrorMessage(err), Code: code})
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// maxBody is the largest request body read, as on /v1.
const maxBody = 1 << 20

func readBody(w http.ResponseWriter, r *http.Request, ep endpoint) (*api.Request, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, spidergo.Errorf(spidergo.ETOOLARGE, "Request body is larger than %d bytes.", maxBody)
		}
		return nil, &spidergo.Error{Code: spidergo.EINVALID, Message: "Request body could not be read.", Err: err}
	}
	return Translate(ep, b)
}
