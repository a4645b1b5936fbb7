package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/app"
	"github.com/spidergo/spidergo/internal/config"
)

// lockedBuffer is a strings.Builder safe for a command writing while the
// test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startMCP runs `spidergo mcp args…` in process, its standard input and
// output piped to an MCP client, and returns the client's session.
func startMCP(t *testing.T, env map[string]string, args ...string) *sdk.ClientSession {
	t.Helper()
	clientIn, serverOut := io.Pipe()
	serverIn, clientOut := io.Pipe()
	var stderr lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"mcp"}, args...), func(k string) string { return env[k] }, serverIn, serverOut, &stderr)
		serverOut.Close()
	}()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test"}, nil).Connect(ctx, &sdk.IOTransport{Reader: clientIn, Writer: clientOut}, nil)
	if err != nil {
		cancel()
		t.Fatalf("connect: %v (stderr: %s)", err, stderr.String())
	}
	t.Cleanup(func() {
		cs.Close()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("spidergo mcp exited %d: %s", code, stderr.String())
			}
		case <-time.After(10 * time.Second):
			t.Error("spidergo mcp did not stop when its input closed")
		}
		cancel()
	})
	return cs
}

func callTool(t *testing.T, cs *sdk.ClientSession, name string, args map[string]any) map[string]any {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if res.IsError {
		t.Fatalf("%s: %v", name, res.Content[0].(*sdk.TextContent).Text)
	}
	var out map[string]any
	b, _ := json.Marshal(res.StructuredContent)
	json.Unmarshal(b, &out)
	return out
}

// checkTools runs each tool against the test site.
func checkTools(t *testing.T, cs *sdk.ClientSession, site *testSite) {
	t.Helper()
	out := callTool(t, cs, "scrape", map[string]any{"url": site.URL + "/a"})
	if out["title"] != "Page A" || !strings.Contains(out["markdown"].(string), "All about A.") {
		t.Errorf("scrape: %v", out)
	}
	out = callTool(t, cs, "map", map[string]any{"url": site.URL + "/"})
	if urls := out["urls"].([]any); len(urls) < 2 {
		t.Errorf("map: %v", out)
	}
	out = callTool(t, cs, "crawl", map[string]any{"url": site.URL + "/", "limit": 10, "wait": true})
	if out["status"] != "completed" || out["total_pages"].(float64) < 4 {
		t.Fatalf("crawl: %v", out)
	}
	st := callTool(t, cs, "crawl_status", map[string]any{"crid": out["crid"], "limit": 2})
	if pages := st["pages"].([]any); len(pages) != 2 || st["next_cursor"] == nil {
		t.Errorf("crawl_status: %v", st)
	}
	out = callTool(t, cs, "batch_scrape", map[string]any{"urls": []string{site.URL + "/a", site.URL + "/b"}, "wait": true})
	if out["status"] != "completed" || out["total_pages"] != float64(2) {
		t.Errorf("batch_scrape: %v", out)
	}
}

func TestMCPLocal(t *testing.T) {
	site := newSite(t)
	cs := startMCP(t, nil, allowLoopback, "--poll=20ms")
	tools, err := cs.ListTools(context.Background(), nil)
	if err != nil || len(tools.Tools) != 6 {
		t.Fatalf("tools: %v %v", tools, err)
	}
	checkTools(t, cs, site)
}

// TestMCPRemote runs the tools on a SpiderGo server through the Go SDK.
func TestMCPRemote(t *testing.T) {
	site := newSite(t)
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "server.db")
	cfg, err := config.Load(nil, func(k string) string {
		return map[string]string{"SPIDERGO_DATABASE_URL": dbURL, "SPIDERGO_FETCH_ALLOW": "127.0.0.1/32"}[k]
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, slog.New(slog.DiscardHandler), app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- a.Run(ctx, ln) }()
	t.Cleanup(func() { stop(); <-served; a.Close() })
	u := &spidergo.User{Email: "mcp@example.com", IsVerified: true}
	if err := a.Store.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	k, secret, err := spidergo.NewAPIKey(u.ID, "mcp", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Store.CreateAPIKey(context.Background(), k, 3); err != nil {
		t.Fatal(err)
	}
	cs := startMCP(t, map[string]string{"SPIDERGO_API_URL": "http://" + ln.Addr().String(), "SPIDERGO_API_KEY": secret}, "--poll=20ms")
	checkTools(t, cs, site)

	// The server's refusal reaches the model as a tool error.
	res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "scrape", Arguments: map[string]any{"url": "http://10.0.0.1/"}})
	if err != nil || !res.IsError || !strings.Contains(res.Content[0].(*sdk.TextContent).Text, "10.0.0.1") {
		t.Errorf("scrape of a private address: %v %v", res, err)
	}
}

func TestMCPUsage(t *testing.T) {
	tests := []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"SPIDERGO_API_URL": "http://127.0.0.1:1"}, nil, "--api-url needs --api-key"},
		{map[string]string{"SPIDERGO_API_URL": "http://127.0.0.1:1", "SPIDERGO_API_KEY": "k"}, []string{"--db", "x.db"}, "--db is for local mode"},
		{nil, []string{"--frobnicate"}, "unknown flag"},
	}
	for _, tt := range tests {
		code, _, stderr := runCLI(t, context.Background(), tt.env, "", append([]string{"mcp"}, tt.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("mcp %v: exit %d, stderr %q, want 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
}

// TestMCPBinary runs the built binary as an MCP client would launch it.
func TestMCPBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "spidergo")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	site := newSite(t)
	cmd := exec.Command(bin, "mcp", allowLoopback)
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test"}, nil).Connect(context.Background(), &sdk.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	out := callTool(t, cs, "scrape", map[string]any{"url": site.URL + "/", "max_chars": 300})
	if out["title"] != "Home" || !strings.Contains(out["markdown"].(string), "Welcome home.") {
		t.Errorf("scrape: %v", out)
	}
}
