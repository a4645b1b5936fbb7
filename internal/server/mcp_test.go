package server

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// withKey adds an API key to every request.
type withKey struct{ key string }

func (b withKey) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if b.key != "" {
		r.Header.Set("Authorization", "Bearer "+b.key)
	}
	return http.DefaultTransport.RoundTrip(r)
}

func mcpConnect(t *testing.T, e *apiEnv, key string, opts *sdk.ClientOptions) (*sdk.ClientSession, error) {
	t.Helper()
	tr := &sdk.StreamableClientTransport{Endpoint: e.http.URL + "/mcp", HTTPClient: &http.Client{Transport: withKey{key}}, MaxRetries: -1}
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test"}, opts).Connect(context.Background(), tr, nil)
	if err == nil {
		t.Cleanup(func() { cs.Close() })
	}
	return cs, err
}

func mcpCall(t *testing.T, cs *sdk.ClientSession, params *sdk.CallToolParams) (string, map[string]any) {
	t.Helper()
	res, err := cs.CallTool(context.Background(), params)
	if err != nil {
		t.Fatalf("%s: %v", params.Name, err)
	}
	var text strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*sdk.TextContent); ok {
			text.WriteString(tc.Text)
		}
	}
	if res.IsError {
		t.Fatalf("%s: %s", params.Name, text.String())
	}
	var out map[string]any
	b, _ := json.Marshal(res.StructuredContent)
	json.Unmarshal(b, &out)
	return text.String(), out
}

func TestMCPOverHTTP(t *testing.T) {
	e, s := newFirecrawlEnv(t)

	if _, err := mcpConnect(t, e, "", nil); err == nil || !strings.Contains(err.Error(), "401") && !strings.Contains(strings.ToLower(err.Error()), "unauthorized") {
		t.Errorf("connect without a key: %v", err)
	}
	res, body := e.callAs(t, "", "POST", "/mcp", `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
	if res.StatusCode != 401 || body["code"] != "unauthorized" {
		t.Errorf("POST /mcp without a key: %d %v", res.StatusCode, body)
	}

	var mu sync.Mutex
	var progress []float64
	cs, err := mcpConnect(t, e, e.key, &sdk.ClientOptions{ProgressNotificationHandler: func(_ context.Context, r *sdk.ProgressNotificationClientRequest) {
		mu.Lock()
		progress = append(progress, r.Params.Progress)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	tools, err := cs.ListTools(context.Background(), nil)
	if err != nil || len(tools.Tools) != 6 {
		t.Fatalf("tools: %v %v", tools, err)
	}
	before := e.usedToday(t)

	text, out := mcpCall(t, cs, &sdk.CallToolParams{Name: "scrape", Arguments: map[string]any{"url": s.URL + "/a"}})
	if out["title"] != "Page A" || !strings.Contains(text, "Page A") || !strings.Contains(out["markdown"].(string), "long enough story") {
		t.Errorf("scrape: %v\n%s", out, text)
	}

	_, out = mcpCall(t, cs, &sdk.CallToolParams{Name: "map", Arguments: map[string]any{"url": s.URL + "/"}})
	if urls, _ := out["urls"].([]any); !containsAny(urls, s.URL+"/b") {
		t.Errorf("map: %v", out)
	}

	crawlParams := &sdk.CallToolParams{Name: "crawl", Arguments: map[string]any{"url": s.URL + "/", "limit": 10, "wait": true}}
	crawlParams.SetProgressToken("crawl-1")
	_, out = mcpCall(t, cs, crawlParams)
	if out["status"] != "completed" || out["total_pages"] != float64(5) {
		t.Fatalf("crawl: %v", out)
	}
	// Notifications are handled apart from the answer: the last may come
	// just after it.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		got := append([]float64(nil), progress...)
		mu.Unlock()
		if len(got) > 0 && got[len(got)-1] == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("progress notifications: %v, want them to end at 5", got)
			break
		}
	}

	crid := out["crid"].(string)
	seen := map[string]bool{}
	cursor := ""
	for range 5 {
		_, st := mcpCall(t, cs, &sdk.CallToolParams{Name: "crawl_status", Arguments: map[string]any{"crid": crid, "cursor": cursor, "limit": 2, "max_chars": 400}})
		for _, p := range st["pages"].([]any) {
			pm := p.(map[string]any)
			seen[pm["url"].(string)] = true
			if md, _ := pm["markdown"].(string); len([]rune(md)) > 200 {
				t.Errorf("page over its share of max_chars: %d", len([]rune(md)))
			}
		}
		cursor, _ = st["next_cursor"].(string)
		if cursor == "" {
			break
		}
	}
	if len(seen) != 5 {
		t.Errorf("crawl_status paged through %v", seen)
	}

	_, out = mcpCall(t, cs, &sdk.CallToolParams{Name: "batch_scrape", Arguments: map[string]any{"urls": []string{s.URL + "/a", s.URL + "/b"}, "wait": true}})
	if out["status"] != "completed" || out["total_pages"] != float64(2) {
		t.Errorf("batch_scrape: %v", out)
	}
	// scrape, map, crawl, batch_scrape: one unit each; listing and reading
	// results are free.
	if got := e.usedToday(t) - before; got != 4 {
		t.Errorf("the tool calls cost %v units, want 4", got)
	}

	// Another user's key cannot use this session.
	firstKey, firstUser := e.key, e.userID
	_, otherKey := e.addUser(t, "other@example.com")
	e.key, e.userID = firstKey, firstUser
	req, _ := http.NewRequest("POST", e.http.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":99,"method":"tools/list"}`))
	req.Header.Set("Authorization", "Bearer "+otherKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Session-Id", cs.ID())
	hijack, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	hijack.Body.Close()
	if hijack.StatusCode != http.StatusForbidden {
		t.Errorf("another user's request in the session: %d, want 403", hijack.StatusCode)
	}

	// A refused request is a tool error and costs nothing.
	before = e.usedToday(t)
	r, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "scrape", Arguments: map[string]any{"url": "http://10.0.0.1/"}})
	if err != nil || !r.IsError {
		t.Errorf("scrape of a private address: %v %v", r, err)
	}
	if got := e.usedToday(t); got != before {
		t.Errorf("a refused scrape cost %v units", got-before)
	}
}

// TestMCPCancel: cancelling a tool call that waits for a crawl cancels the
// crawl.
func TestMCPCancel(t *testing.T) {
	e, s := newFirecrawlEnv(t)
	cs, err := mcpConnect(t, e, e.key, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "crawl", Arguments: map[string]any{"url": s.URL + "/slow/", "wait": true}})
		done <- err
	}()
	select {
	case <-s.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the crawl did not start")
	}
	cancel()
	if err := <-done; err == nil {
		t.Error("the cancelled call succeeded")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, h := e.call(t, "GET", "/v1/history", "")
		jobs := h["jobs"].([]any)
		if len(jobs) == 1 && jobs[0].(map[string]any)["Status"] == "cancelled" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the crawl was not cancelled: %v", jobs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestMCPShutdown: an open MCP session (its event stream, a tool waiting
// for a crawl) does not hold the server's shutdown until its timeout.
func TestMCPShutdown(t *testing.T) {
	e, s := newFirecrawlEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- e.srv.Serve(ctx, ln) }()

	tr := &sdk.StreamableClientTransport{Endpoint: "http://" + ln.Addr().String() + "/mcp", HTTPClient: &http.Client{Transport: withKey{e.key}}, MaxRetries: -1}
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test"}, nil).Connect(context.Background(), tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	called := make(chan error, 1)
	go func() {
		_, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "crawl", Arguments: map[string]any{"url": s.URL + "/slow/", "wait": true}})
		called <- err
	}()
	select {
	case <-s.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the crawl did not start")
	}
	began := time.Now()
	stop()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve is still waiting for the MCP session")
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("shutdown took %v", d)
	}
	if err := <-called; err == nil {
		t.Error("the waiting tool call succeeded through a shutdown")
	}
	// The crawl itself is left to the job service: it resumes after a
	// restart rather than being cancelled with the call. (The tool's
	// goroutine may outlive the request by a moment.)
	time.Sleep(300 * time.Millisecond)
	_, h := e.call(t, "GET", "/v1/history", "")
	if jobs := h["jobs"].([]any); len(jobs) != 1 || jobs[0].(map[string]any)["Status"] == "cancelled" {
		t.Errorf("jobs after the shutdown: %v", jobs)
	}
}
