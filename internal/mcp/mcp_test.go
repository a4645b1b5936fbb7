package mcp

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
)

// fakeJobs is a backend whose jobs are in memory: a crawl stores one page
// each time it is looked at, up to its limit, unless held.
type fakeJobs struct {
	mu        sync.Mutex
	jobs      map[string]*api.Envelope
	all       map[string][]*api.Page
	hold      bool // crawls make no progress
	cancelled []string
	started   []*api.Request
}

func newFake() *fakeJobs {
	return &fakeJobs{jobs: map[string]*api.Envelope{}, all: map[string][]*api.Page{}}
}

func page(u, title, md string) *api.Page {
	return &api.Page{URL: u, StatusCode: 200, Title: title, Markdown: md, Links: &api.Links{Internal: []string{u + "/next"}}}
}

func (f *fakeJobs) Start(_ context.Context, kind string, req *api.Request) (*api.Envelope, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started = append(f.started, req)
	if strings.Contains(req.URL, "invalid") {
		return nil, spidergo.Errorf(spidergo.EINVALID, "URL %q is not a valid http(s) URL.", req.URL)
	}
	switch kind {
	case spidergo.KindScrape:
		return &api.Envelope{Status: "completed", Pages: []*api.Page{page(req.URL, "Home", strings.Repeat("word ", 2000))}}, nil
	case spidergo.KindMap:
		env := &api.Envelope{URL: req.URL, Status: "completed"}
		for i := range 100 {
			env.URLs = append(env.URLs, req.URL+"/page-"+strings.Repeat("x", i%7)+string(rune('a'+i%26)))
		}
		return env, nil
	}
	id := spidergo.NewID()
	limit := 3
	if req.Limit != nil {
		limit = *req.Limit
	}
	if kind == spidergo.KindBatch {
		limit = len(req.URLs)
	}
	f.jobs[id] = &api.Envelope{CRID: id, Kind: kind, Status: "queued", URL: req.URL, Limit: limit}
	return &api.Envelope{CRID: id, Kind: kind, Status: "queued", URL: req.URL, Limit: limit}, nil
}

func (f *fakeJobs) Job(_ context.Context, crid, cursor string, limit int) (*api.Envelope, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, ok := f.jobs[crid]
	if !ok {
		return nil, spidergo.Errorf(spidergo.ENOTFOUND, "No such job.")
	}
	if !f.hold && !finished(j.Status) {
		n := len(f.all[crid])
		f.all[crid] = append(f.all[crid], page(j.URL+"/"+string(rune('a'+n)), "Page "+string(rune('A'+n)), "Text of page "+string(rune('A'+n))))
		j.TotalPages = n + 1
		j.Status = "running"
		if j.TotalPages >= j.Limit {
			j.Status = "completed"
		}
	}
	out := *j
	start := 0
	if cursor != "" {
		start = int(cursor[0] - '0')
	}
	pages := f.all[crid][min(start, len(f.all[crid])):]
	if len(pages) > limit {
		pages = pages[:limit]
		out.Next = string(rune('0' + start + limit))
	}
	out.Pages = pages
	return &out, nil
}

func (f *fakeJobs) Cancel(_ context.Context, crid string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cancelled = append(f.cancelled, crid)
	if j, ok := f.jobs[crid]; ok {
		j.Status = "cancelled"
	}
	return nil
}

// connect serves the tools on f in process and returns a client session.
func connect(t *testing.T, f *fakeJobs, opts *sdk.ClientOptions) *sdk.ClientSession {
	t.Helper()
	srv := NewServer(Config{Version: "test", Poll: 5 * time.Millisecond,
		Backend: func(context.Context, *sdk.CallToolRequest) (Backend, error) { return f, nil }})
	st, ct := sdk.NewInMemoryTransports()
	ctx, cancel := context.WithCancel(context.Background())
	ss, err := srv.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test"}, opts).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close(); ss.Wait(); cancel() })
	return cs
}

func call(t *testing.T, cs *sdk.ClientSession, name string, args map[string]any) (*sdk.CallToolResult, map[string]any) {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var out map[string]any
	if res.StructuredContent != nil {
		b, _ := json.Marshal(res.StructuredContent)
		json.Unmarshal(b, &out)
	}
	return res, out
}

func textOf(res *sdk.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if t, ok := c.(*sdk.TextContent); ok {
			b.WriteString(t.Text)
		}
	}
	return b.String()
}

func TestListTools(t *testing.T) {
	cs := connect(t, newFake(), nil)
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"scrape": {"url"}, "crawl": {"url"}, "crawl_status": {"crid"}, "cancel": {"crid"}, "map": {"url"}, "batch_scrape": {"urls"}}
	for _, tool := range res.Tools {
		req, ok := want[tool.Name]
		if !ok {
			t.Errorf("unexpected tool %q", tool.Name)
			continue
		}
		delete(want, tool.Name)
		b, _ := json.Marshal(tool.InputSchema)
		var schema struct {
			Type       string         `json:"type"`
			Required   []string       `json:"required"`
			Properties map[string]any `json:"properties"`
		}
		json.Unmarshal(b, &schema)
		if schema.Type != "object" || strings.Join(schema.Required, ",") != strings.Join(req, ",") || tool.Description == "" || tool.OutputSchema == nil {
			t.Errorf("%s: schema %s, required %v, want %v", tool.Name, b, schema.Required, req)
		}
	}
	if len(want) > 0 {
		t.Errorf("tools missing: %v", want)
	}
}

func TestScrapeBounded(t *testing.T) {
	cs := connect(t, newFake(), nil)
	res, out := call(t, cs, "scrape", map[string]any{"url": "https://example.com", "max_chars": 500})
	if res.IsError {
		t.Fatalf("scrape failed: %s", textOf(res))
	}
	if got := len([]rune(out["markdown"].(string))); got != 500 || out["truncated"] != true || out["title"] != "Home" {
		t.Errorf("structured: %d chars, truncated %v, title %v", got, out["truncated"], out["title"])
	}
	txt := textOf(res)
	if !strings.HasPrefix(txt, "# Home\n") || !strings.Contains(txt, "cut at max_chars") || len(txt) > 1500 {
		t.Errorf("text (%d bytes): %.300s", len(txt), txt)
	}

	// Refusals are tool results the model reads, not protocol errors.
	res, _ = call(t, cs, "scrape", map[string]any{"url": "https://invalid.example"})
	if !res.IsError || !strings.Contains(textOf(res), "not a valid") {
		t.Errorf("invalid URL: %v %s", res.IsError, textOf(res))
	}
	res, _ = call(t, cs, "scrape", map[string]any{"url": "https://example.com", "max_chars": 5})
	if !res.IsError || !strings.Contains(textOf(res), "max_chars") {
		t.Errorf("max_chars 5: %v %s", res.IsError, textOf(res))
	}
	// The input schema is enforced before the tool runs.
	if r, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "scrape", Arguments: map[string]any{"max_chars": 500}}); err == nil && !r.IsError {
		t.Error("a scrape without url was run")
	}
}

func TestMapBounded(t *testing.T) {
	cs := connect(t, newFake(), nil)
	res, out := call(t, cs, "map", map[string]any{"url": "https://example.com", "max_chars": 1000})
	urls := out["urls"].([]any)
	if len(urls) == 0 || len(urls) == 100 || out["truncated"] != true || out["count"] != float64(len(urls)) {
		t.Errorf("map: %d urls, truncated %v", len(urls), out["truncated"])
	}
	if txt := textOf(res); len(txt) > 1200 || !strings.Contains(txt, "100 URLs in all") {
		t.Errorf("text (%d bytes): %.200s", len(txt), txt)
	}
}

func TestCrawlAndStatusPaging(t *testing.T) {
	f := newFake()
	cs := connect(t, f, nil)
	res, out := call(t, cs, "crawl", map[string]any{"url": "https://example.com", "limit": 5})
	crid, _ := out["crid"].(string)
	if crid == "" || out["status"] != "queued" || !strings.Contains(textOf(res), crid) {
		t.Fatalf("crawl: %v %s", out, textOf(res))
	}
	if r := f.started[0]; r.Async == nil || !*r.Async || *r.Limit != 5 {
		t.Errorf("crawl request = %+v", r)
	}
	// Read pages two at a time until the job has ended and nothing is left.
	seen := map[string]bool{}
	cursor := ""
	for range 20 {
		res, out = call(t, cs, "crawl_status", map[string]any{"crid": crid, "cursor": cursor, "limit": 2})
		for _, p := range out["pages"].([]any) {
			seen[p.(map[string]any)["url"].(string)] = true
		}
		next, _ := out["next_cursor"].(string)
		if next != "" {
			if !strings.Contains(textOf(res), next) {
				t.Errorf("text does not tell the next cursor %q", next)
			}
			cursor = next
			continue
		}
		if out["status"] == "completed" {
			break
		}
	}
	if len(seen) != 5 {
		t.Errorf("pages read: %v", seen)
	}
	res, _ = call(t, cs, "crawl_status", map[string]any{"crid": "nope"})
	if !res.IsError {
		t.Error("an unknown job is not an error")
	}
}

func TestWaitReportsProgress(t *testing.T) {
	f := newFake()
	var mu sync.Mutex
	var progress []float64
	cs := connect(t, f, &sdk.ClientOptions{ProgressNotificationHandler: func(_ context.Context, r *sdk.ProgressNotificationClientRequest) {
		mu.Lock()
		progress = append(progress, r.Params.Progress)
		mu.Unlock()
	}})
	params := &sdk.CallToolParams{Name: "batch_scrape", Arguments: map[string]any{"urls": []string{"https://a.example", "https://b.example", "https://c.example"}, "wait": true}}
	params.SetProgressToken("p1")
	res, err := cs.CallTool(context.Background(), params)
	if err != nil || res.IsError {
		t.Fatalf("batch_scrape: %v %v", err, res)
	}
	b, _ := json.Marshal(res.StructuredContent)
	var out JobOutput
	json.Unmarshal(b, &out)
	if out.Status != "completed" || out.TotalPages != 3 {
		t.Errorf("out = %+v", out)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(progress)
		last := 0.0
		if n > 0 {
			last = progress[n-1]
		}
		mu.Unlock()
		if n >= 3 && last == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("progress notifications: %v", progress)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCancelledCallCancelsJob(t *testing.T) {
	f := newFake()
	f.hold = true
	cs := connect(t, f, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "crawl", Arguments: map[string]any{"url": "https://example.com", "wait": true}})
		done <- err
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.mu.Lock()
		n := len(f.jobs)
		f.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the crawl did not start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err == nil {
		t.Error("the cancelled call succeeded")
	}
	for {
		f.mu.Lock()
		n := len(f.cancelled)
		f.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the job was not cancelled with the call")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The cancel tool stops a job by its id.
	_, out := call(t, cs, "crawl", map[string]any{"url": "https://example.com"})
	if _, out := call(t, cs, "cancel", map[string]any{"crid": out["crid"]}); out["status"] != "cancelled" {
		t.Errorf("cancel: %v", out)
	}
}
