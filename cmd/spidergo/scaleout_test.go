package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/storetest"
)

// TestScaleOut runs SpiderGo as it runs scaled out: the binary, built
// here, as two api processes and two workers on one PostgreSQL database
// and one Redis, on loopback, crawling a local site. It checks the quota
// across api processes (1500 requests on a key with 1000 left), a
// 3000-page crawl spread over both workers one of which is killed mid-way,
// a cancel and a revocation seen by the other api process.
func TestScaleOut(t *testing.T) {
	bin := buildScaleOut(t, true)
	dbURL := storetest.PostgresDatabase(t)

	site := newTreeSite(3000, 5*time.Millisecond)
	srv := httptest.NewServer(site)
	defer srv.Close()

	env := []string{
		"SPIDERGO_DATABASE_URL=" + dbURL,
		"SPIDERGO_DATABASE_MAX_CONNECTIONS=8",
		"SPIDERGO_REDIS_URL=" + os.Getenv("SPIDERGO_TEST_REDIS_URL"),
		"SPIDERGO_FETCH_ALLOW=" + strings.TrimPrefix(srv.URL, "http://"),
		"SPIDERGO_FETCH_PER_HOST_CONCURRENCY=16",
		"SPIDERGO_MAX_SYNC_PER_USER=2000",
		"SPIDERGO_EXTRACT_WAIT=2m",
		"SPIDERGO_WORKER_CONCURRENCY=2",
		"SPIDERGO_JOB_LEASE=1s",
		"SPIDERGO_SHUTDOWN_TIMEOUT=2s",
		"SPIDERGO_MAX_CONNECTIONS_PER_CLIENT=1000",
		"SPIDERGO_LOG_LEVEL=info",
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
	}
	admin := func(stdin string, args ...string) string {
		t.Helper()
		return runAdmin(t, bin, env, stdin, args...)
	}
	const email, password = "ops@example.com", "a long enough password 42"
	admin(password+"\n", "user", "create", "--email", email, "--password-stdin", "--verified")
	const quota = 1000
	quotaKey := admin("", "key", "create", "--user", email, "--name", "quota", "--daily-limit", strconv.Itoa(quota))
	crawlKey := admin("", "key", "create", "--user", email, "--name", "crawl")
	revokeKey := admin("", "key", "create", "--user", email, "--name", "revoked")

	procs := map[string]*process{}
	for _, p := range []struct{ name, role string }{{"api1", "api"}, {"api2", "api"}, {"worker1", "worker"}, {"worker2", "worker"}} {
		procs[p.name] = startProcess(t, bin, p.name, p.role, env)
	}
	t.Cleanup(func() {
		for _, p := range procs {
			p.stop()
		}
		if t.Failed() {
			for name, p := range procs {
				t.Logf("--- %s log:\n%s", name, p.tail())
			}
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for _, p := range procs {
		p.waitReady(t, deadline)
	}
	apis := []*process{procs["api1"], procs["api2"]}

	t.Run("quota across api processes", func(t *testing.T) {
		const requests = 1500
		var ok, refused, other atomic.Int64
		var mu sync.Mutex
		others := map[string]int{} // answers neither 200 nor 429, by status and body
		var wg sync.WaitGroup
		for i := range requests {
			wg.Go(func() {
				status, body := call(apis[i%2].url+"/v1/scrape", quotaKey, `{"url": "`+srv.URL+`/scrape"}`)
				switch status {
				case http.StatusOK:
					ok.Add(1)
				case http.StatusTooManyRequests:
					refused.Add(1)
				default:
					other.Add(1)
					mu.Lock()
					others[fmt.Sprintf("%d %.200s", status, body)]++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if ok.Load() != quota || refused.Load() != requests-quota || other.Load() != 0 {
			t.Errorf("%d requests on a key with %d left: %d started, %d refused, %d other answers: %v", requests, quota, ok.Load(), refused.Load(), other.Load(), others)
		}
	})

	t.Run("crawl survives a killed worker", func(t *testing.T) {
		status, body := call(apis[0].url+"/v1/crawl", crawlKey, `{"url": "`+srv.URL+`/c/0", "limit": `+strconv.Itoa(site.n)+`, "max_depth": 20, "sitemap": "skip", "async": true}`)
		if status != http.StatusAccepted {
			t.Fatalf("start crawl: %d %s", status, body)
		}
		var started struct {
			Message api.Envelope `json:"message"`
		}
		if err := json.Unmarshal(body, &started); err != nil || started.Message.CRID == "" {
			t.Fatalf("start crawl: %v %s", err, body)
		}
		env := started.Message
		streamed := make(chan []string, 1)
		streamErr := make(chan error, 1)
		go func() {
			urls, err := stream(apis[1].url+"/v1/crawl/"+env.CRID+"/stream", crawlKey, 90*time.Second)
			streamed <- urls
			streamErr <- err
		}()

		// Both workers crawl the job: the frontier's claims name them.
		// Once a third of the site is stored, kill one that holds claims.
		db, err := sql.Open("pgx", dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		workers := []*process{procs["worker1"], procs["worker2"]}
		var victim *process
		give := time.Now().Add(60 * time.Second)
		for victim == nil {
			if time.Now().After(give) {
				t.Fatal("the crawl did not get a third of the way in 60 s")
			}
			var pages int
			db.QueryRow(`SELECT count(*) FROM pages WHERE job_id = $1`, env.CRID).Scan(&pages)
			took, holding := claimants(t, db, env.CRID, workers)
			switch {
			case pages < site.n/3:
			case len(took) < 2 && pages < 2*site.n/3:
				// The other worker may not have joined yet.
			case len(holding) > 0:
				if len(took) < 2 {
					t.Errorf("only %d worker took part in the crawl before %d of %d pages were stored", len(took), pages, site.n)
				}
				victim = holding[0]
			}
			time.Sleep(20 * time.Millisecond)
		}
		victim.kill()
		t.Logf("killed %s (SIGKILL) with the crawl under way, both workers taking part", victim.name)

		urls := <-streamed
		if err := <-streamErr; err != nil {
			t.Fatalf("stream from the other api process: %v", err)
		}
		seen := map[string]int{}
		for _, u := range urls {
			seen[u]++
		}
		var missing, twice []string
		for i := range site.n {
			u := fmt.Sprintf("%s/c/%d", srv.URL, i)
			switch seen[u] {
			case 0:
				missing = append(missing, u)
			case 1:
			default:
				twice = append(twice, u)
			}
		}
		if len(missing) > 0 || len(twice) > 0 || len(urls) != site.n {
			t.Errorf("streamed %d pages of %d: missing %v, more than once %v", len(urls), site.n, missing, twice)
		}
		status, body = call(apis[1].url+"/v1/crawl/"+env.CRID+"?limit=1", crawlKey, "")
		var got struct {
			Message api.Envelope `json:"message"`
		}
		json.Unmarshal(body, &got)
		if done := got.Message; status != http.StatusOK || done.Status != "completed" || done.TotalPages != site.n {
			t.Errorf("job after the crawl: %d, status %q, %d pages; want completed with %d", status, got.Message.Status, got.Message.TotalPages, site.n)
		}
		t.Logf("site served %d crawl fetches for %d pages (pages in flight at the kill are fetched again)", site.fetches.Load(), site.n)
	})

	t.Run("cancel from the other api process", func(t *testing.T) {
		status, body := call(apis[0].url+"/v1/crawl", crawlKey, `{"url": "`+srv.URL+`/c/0", "limit": 1000, "max_depth": 20, "sitemap": "skip", "async": true}`)
		if status != http.StatusAccepted {
			t.Fatalf("start crawl: %d %s", status, body)
		}
		var started struct {
			Message api.Envelope `json:"message"`
		}
		json.Unmarshal(body, &started)
		crid := started.Message.CRID
		for give := time.Now().Add(30 * time.Second); ; {
			_, body := call(apis[1].url+"/v1/crawl/"+crid+"?limit=1", crawlKey, "")
			var got struct {
				Message api.Envelope `json:"message"`
			}
			json.Unmarshal(body, &got)
			if got.Message.TotalPages >= 20 {
				break
			}
			if time.Now().After(give) {
				t.Fatalf("the crawl did not store 20 pages in 30 s: %s", body)
			}
			time.Sleep(20 * time.Millisecond)
		}
		req, _ := http.NewRequest(http.MethodDelete, apis[1].url+"/v1/crawl/"+crid, nil)
		req.Header.Set("Authorization", "Bearer "+crawlKey)
		resp, err := testClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		var got struct {
			Message api.Envelope `json:"message"`
		}
		json.Unmarshal(body, &got)
		if resp.StatusCode != http.StatusOK || got.Message.Status != "cancelled" {
			t.Fatalf("cancel: %d %s", resp.StatusCode, body)
		}
		// Cancel answers once the worker has stopped the run: the site
		// sees no more of the crawl.
		before := site.fetches.Load()
		time.Sleep(time.Second)
		if after := site.fetches.Load(); after != before {
			t.Errorf("the site served %d more fetches after the cancel was answered", after-before)
		}
		status, body = call(apis[0].url+"/v1/crawl/"+crid+"?limit=1", crawlKey, "")
		json.Unmarshal(body, &got)
		if status != http.StatusOK || got.Message.Status != "cancelled" || got.Message.TotalPages >= site.n {
			t.Errorf("job after cancel: %d %s", status, body)
		}
	})

	t.Run("revocation reaches the other api process", func(t *testing.T) {
		if status, body := call(apis[1].url+"/v1/usage", revokeKey, ""); status != http.StatusOK {
			t.Fatalf("key before revocation: %d %s", status, body)
		}
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
		resp, err := c.Post(apis[0].url+"/auth/login", "application/json", strings.NewReader(`{"email": "`+email+`", "password": "`+password+`"}`))
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("login: %v %v", err, resp)
		}
		resp.Body.Close()
		resp, err = c.Get(apis[0].url + "/auth/api-keys")
		if err != nil {
			t.Fatal(err)
		}
		var keys struct {
			Keys []struct {
				KeyID string `json:"key_id"`
				Name  string `json:"name"`
			} `json:"keys"`
		}
		json.NewDecoder(resp.Body).Decode(&keys)
		resp.Body.Close()
		id := ""
		for _, k := range keys.Keys {
			if k.Name == "revoked" {
				id = k.KeyID
			}
		}
		if id == "" {
			t.Fatalf("key not listed: %+v", keys)
		}
		req, _ := http.NewRequest(http.MethodDelete, apis[0].url+"/auth/api-keys/"+id, nil)
		if resp, err = c.Do(req); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("revoke: %v %v", err, resp)
		}
		resp.Body.Close()
		if status, body := call(apis[1].url+"/v1/usage", revokeKey, ""); status != http.StatusForbidden {
			t.Errorf("revoked key on the other api process: %d %s, want 403", status, body)
		}
	})
}

// claimants returns the workers whose claims the job's frontier records
// (on entries done or in flight), and those holding entries in flight now.
// A claim's owner is the worker's "host-pid", with "/partN" for a part.
func claimants(t *testing.T, db *sql.DB, crid string, workers []*process) (took, holding []*process) {
	t.Helper()
	rows, err := db.Query(`SELECT claimed_by, bool_or(state = 1) FROM frontier WHERE job_id = $1 AND claimed_by <> '' GROUP BY claimed_by`, crid)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	tookSet, holdSet := map[*process]bool{}, map[*process]bool{}
	for rows.Next() {
		var owner string
		var live bool
		if err := rows.Scan(&owner, &live); err != nil {
			t.Fatal(err)
		}
		owner, _, _ = strings.Cut(owner, "/")
		for _, w := range workers {
			if strings.HasSuffix(owner, "-"+strconv.Itoa(w.cmd.Process.Pid)) {
				tookSet[w] = true
				if live {
					holdSet[w] = true
				}
			}
		}
	}
	for _, w := range workers {
		if tookSet[w] {
			took = append(took, w)
		}
		if holdSet[w] {
			holding = append(holding, w)
		}
	}
	return took, holding
}

// treeSite serves n pages /c/0 … /c/n-1, each linking to its two children
// in a binary tree, after a delay; and /scrape, at once.
type treeSite struct {
	n       int
	delay   time.Duration
	fetches atomic.Int64
}

func newTreeSite(n int, delay time.Duration) *treeSite { return &treeSite{n: n, delay: delay} }

func (s *treeSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/scrape" {
		fmt.Fprint(w, "<html><head><title>Scrape</title></head><body><p>One page.</p></body></html>")
		return
	}
	i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/c/"))
	if !strings.HasPrefix(r.URL.Path, "/c/") || err != nil || i < 0 || i >= s.n {
		http.NotFound(w, r)
		return
	}
	s.fetches.Add(1)
	time.Sleep(s.delay)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<html><head><title>Page %d</title></head><body><h1>Page %d</h1>", i, i)
	for _, c := range []int{2*i + 1, 2*i + 2} {
		if c < s.n {
			fmt.Fprintf(w, `<p><a href="/c/%d">page %d</a></p>`, c, c)
		}
	}
	fmt.Fprint(w, "</body></html>")
}

// process is one spidergo serve process of the test.
type process struct {
	name string
	url  string
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan struct{}
}

func startProcess(t *testing.T, bin, name, role string, env []string) *process {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := &process{name: name, url: "http://" + addr, log: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, "serve", "--role", role, "--addr", addr)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		close(p.done)
	}()
	return p
}

func (p *process) waitReady(t *testing.T, deadline time.Time) {
	t.Helper()
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			t.Fatalf("%s exited at start:\n%s", p.name, p.tail())
		default:
		}
		if resp, err := http.Get(p.url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s not ready:\n%s", p.name, p.tail())
}

func (p *process) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop ends the process with SIGTERM, and SIGKILL after 10 s.
func (p *process) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.kill()
	}
}

func (p *process) tail() string {
	s := p.log.String()
	if len(s) > 8000 {
		s = "…" + s[len(s)-8000:]
	}
	return s
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// testClient waits long: 1500 requests at once on a small, shared machine
// queue for a while.
var testClient = &http.Client{Timeout: 2 * time.Minute}

// call sends a request with an API key: POST with a body, else GET.
func call(url, key, body string) (int, []byte) {
	method := http.MethodGet
	var rd io.Reader
	if body != "" {
		method, rd = http.MethodPost, strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Authorization", "Bearer "+key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := testClient.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// stream reads a job's NDJSON stream to its summary and returns the page
// URLs in order.
func stream(url, key string, timeout time.Duration) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("%d %s", resp.StatusCode, b)
	}
	var urls []string
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var line api.StreamLine
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return urls, err
		}
		switch line.Type {
		case "page":
			urls = append(urls, line.Page.URL)
		case "summary":
			return urls, nil
		}
	}
	if err := sc.Err(); err != nil {
		return urls, err
	}
	return urls, fmt.Errorf("stream ended without a summary after %d pages", len(urls))
}

// buildScaleOut skips a multi-process test unless PostgreSQL (and, when
// needRedis, Redis) is configured and the run is not -short, and builds
// the binary the test runs.
func buildScaleOut(t *testing.T, needRedis bool) string {
	t.Helper()
	if os.Getenv("SPIDERGO_TEST_DATABASE_URL") == "" || needRedis && os.Getenv("SPIDERGO_TEST_REDIS_URL") == "" {
		t.Skip("multi-process test: set SPIDERGO_TEST_DATABASE_URL and SPIDERGO_TEST_REDIS_URL to run it")
	}
	if testing.Short() {
		t.Skip("multi-process test: not in -short")
	}
	bin := filepath.Join(t.TempDir(), "spidergo")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runAdmin runs one admin command of the binary and returns its output.
func runAdmin(t *testing.T, bin string, env []string, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("spidergo %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return strings.TrimSpace(out.String())
}
