package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	legacyrouter "github.com/getkin/kin-openapi/routers/legacy"

	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/client"
)

func loadOpenAPI(t testing.TB) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI document is invalid: %v", err)
	}
	return doc
}

// TestOpenAPICoversRoutes: every route of the table is documented, and
// every documented operation is a route.
func TestOpenAPICoversRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	if !doc.IsOpenAPI31OrLater() {
		t.Errorf("openapi = %q, want 3.1", doc.OpenAPI)
	}
	s, _ := newTestServer(t, nil)
	var table []string
	for _, r := range s.routes() {
		if !strings.Contains(r.pattern, " ") {
			continue // a catch-all answering 404 for unknown paths
		}
		table = append(table, r.pattern)
	}
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			documented = append(documented, method+" "+path)
			if op.OperationID == "" || len(op.Responses.Map()) == 0 {
				t.Errorf("%s %s: no operationId or responses", method, path)
			}
		}
	}
	for _, p := range table {
		if !slices.Contains(documented, p) {
			t.Errorf("route %q is missing from api/openapi.yaml", p)
		}
	}
	for _, p := range documented {
		if !slices.Contains(table, p) {
			t.Errorf("api/openapi.yaml documents %q, which is not a route", p)
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	s, _ := newTestServer(t, nil)
	res, body := do(t, s.Handler(), "GET", "/openapi.json", nil, nil)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /openapi.json: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if body["openapi"] != "3.1.0" || body["paths"].(map[string]any)["/v1/scrape"] == nil {
		t.Errorf("served document lacks openapi or /v1/scrape: %v", body["openapi"])
	}
}

// validating is a RoundTripper that checks every JSON answer against the
// OpenAPI document: status documented, body matching its schema.
type validating struct {
	t      testing.TB
	router routers.Router
	mu     sync.Mutex
	seen   []string // "METHOD path status" of each answer checked
}

func (v *validating) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		return res, err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	check := req.Clone(context.Background())
	check.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := v.router.FindRoute(check)
	if err != nil {
		v.t.Errorf("%s %s: not in the OpenAPI document: %v", req.Method, req.URL.Path, err)
		return res, nil
	}
	in := &openapi3filter.RequestValidationInput{Request: check, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		v.t.Errorf("%s %s: request does not match the document: %v", req.Method, req.URL.Path, err)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
		Body: io.NopCloser(bytes.NewReader(body)), Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		v.t.Errorf("%s %s → %d: answer does not match the document: %v\n%s", req.Method, req.URL.Path, res.StatusCode, err, body)
	}
	v.mu.Lock()
	v.seen = append(v.seen, req.Method+" "+route.Path+" "+res.Status[:3])
	v.mu.Unlock()
	return res, nil
}

// TestOpenAPIMatchesAnswers drives a real server through the Go SDK and
// validates each request and answer against the document.
func TestOpenAPIMatchesAnswers(t *testing.T) {
	doc := loadOpenAPI(t)
	doc.Servers = nil // match any host: the test server's port is random
	router, err := legacyrouter.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	st := newSite(t, map[string]string{
		"/":  htmlPage("Home", "/a", "/b"),
		"/a": htmlPage("A"),
		"/b": htmlPage("B"),
	})
	e := newAPIEnv(t, "", hostOf(st.Server))
	e.addUser(t, "openapi@example.com")
	v := &validating{t: t, router: router}
	hc := &http.Client{Transport: v}
	c, err := client.New(e.http.URL, e.key, client.WithHTTPClient(hc), client.WithRetry(client.RetryPolicy{}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	if _, err := c.Usage(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := c.Scrape(ctx, &api.Request{URL: st.URL + "/", Formats: []string{"markdown", "links", "metadata"}})
	if err != nil || len(res.Pages) != 1 {
		t.Fatalf("scrape: %v", err)
	}
	if _, err := c.Scrape(ctx, &api.Request{URL: "http://10.0.0.1/"}); !errors.Is(err, client.ErrBlockedAddress) {
		t.Errorf("scrape of a private address: %v", err)
	}
	if _, err := c.Scrape(ctx, &api.Request{}); !client.IsInvalid(err) {
		t.Errorf("scrape without url: %v", err)
	}
	if _, err := c.Crawl(ctx, &api.Request{URL: st.URL + "/", Limit: api.Ptr(3)}); err != nil {
		t.Fatalf("crawl: %v", err)
	}
	crid, err := c.StartCrawl(ctx, &api.Request{URL: st.URL + "/", Limit: api.Ptr(3)})
	if err != nil {
		t.Fatal(err)
	}
	if job, err := c.Wait(ctx, crid); err != nil || job.Status != api.StatusCompleted {
		t.Fatalf("wait: %v %v", job, err)
	}
	n := 0
	for _, err := range c.Pages(ctx, crid) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	lines := 0
	for l, err := range c.Stream(ctx, crid) {
		if err != nil {
			t.Fatal(err)
		}
		if l.Type == "page" {
			lines++
		}
	}
	if n != 3 || lines != 3 {
		t.Errorf("pages %d, streamed %d, want 3", n, lines)
	}
	if _, err := c.Cancel(ctx, crid); !errors.Is(err, client.ErrConflict) {
		t.Errorf("cancel a finished job: %v, want 409", err)
	}
	if _, err := c.Job(ctx, "nosuchjob", "", 0); !client.IsNotFound(err) {
		t.Errorf("unknown job: %v", err)
	}
	if _, err := c.Map(ctx, &api.Request{URL: st.URL + "/"}); err != nil {
		t.Errorf("map: %v", err)
	}
	batch, err := c.BatchScrape(ctx, []string{st.URL + "/a", st.URL + "/b"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Wait(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if h, err := c.History(ctx, "", 2); err != nil || len(h.Jobs) != 2 {
		t.Errorf("history: %v %v", h, err)
	}
	if _, err := c.WebhookSecret(ctx); err != nil {
		t.Error(err)
	}
	if _, err := c.RotateWebhookSecret(ctx); err != nil {
		t.Error(err)
	}
	bad, _ := client.New(e.http.URL, "sk_live_wrong", client.WithHTTPClient(hc))
	if _, err := bad.Usage(ctx); !client.IsUnauthorized(err) {
		t.Errorf("wrong key: %v", err)
	}

	for _, want := range []string{"GET /v1/usage 200", "POST /v1/scrape 200", "POST /v1/scrape 400", "POST /v1/crawl 202",
		"GET /v1/crawl/{id} 200", "GET /v1/crawl/{id} 404", "POST /v1/map 200", "POST /v1/batch/scrape 202", "GET /v1/usage 401", "DELETE /v1/crawl/{id} 409"} {
		if !slices.Contains(v.seen, want) {
			t.Errorf("no answer %q was checked; checked: %v", want, v.seen)
		}
	}
}
