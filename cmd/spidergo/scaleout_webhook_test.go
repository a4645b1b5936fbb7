package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/storetest"
)

// TestScaleOutWebhooks runs the binary as an api process and a worker on
// PostgreSQL and Redis, on loopback, and starts an async crawl whose
// webhook receiver is down: nothing listens on its address. The api
// process that accepted the crawl is restarted while the receiver is
// down; then the receiver comes up and must get every event — started,
// each page, completed — exactly once, in order, each signed.
func TestScaleOutWebhooks(t *testing.T) {
	bin := buildScaleOut(t, true)
	dbURL := storetest.PostgresDatabase(t)

	site := newTreeSite(15, 10*time.Millisecond)
	srv := httptest.NewServer(site)
	defer srv.Close()
	// The receiver's address, with nothing listening on it until it
	// comes up.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rcvAddr := ln.Addr().String()
	ln.Close()

	env := []string{
		"SPIDERGO_DATABASE_URL=" + dbURL,
		"SPIDERGO_DATABASE_MAX_CONNECTIONS=8",
		"SPIDERGO_REDIS_URL=" + os.Getenv("SPIDERGO_TEST_REDIS_URL"),
		"SPIDERGO_FETCH_ALLOW=" + strings.TrimPrefix(srv.URL, "http://") + "," + rcvAddr,
		"SPIDERGO_WORKER_CONCURRENCY=2",
		"SPIDERGO_JOB_LEASE=1s",
		"SPIDERGO_SHUTDOWN_TIMEOUT=2s",
		"SPIDERGO_LOG_LEVEL=info",
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
	}
	admin := func(stdin string, args ...string) string {
		t.Helper()
		return runAdmin(t, bin, env, stdin, args...)
	}
	const email = "hooks@example.com"
	admin("a long enough password 42\n", "user", "create", "--email", email, "--password-stdin", "--verified")
	key := admin("", "key", "create", "--user", email, "--name", "hooks")

	procs := map[string]*process{
		"api":    startProcess(t, bin, "api", "api", env),
		"worker": startProcess(t, bin, "worker", "worker", env),
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
	for _, p := range procs {
		p.waitReady(t, time.Now().Add(20*time.Second))
	}

	began := time.Now()
	status, body := call(procs["api"].url+"/v1/crawl", key, `{"url": "`+srv.URL+`/c/0", "limit": 100, "sitemap": "skip", "async": true,
		"webhook": {"url": "http://`+rcvAddr+`/hook", "headers": {"X-Test": "scaleout"}}}`)
	if status != http.StatusAccepted {
		t.Fatalf("start crawl: %d %s", status, body)
	}
	var started struct {
		Message api.Envelope `json:"message"`
	}
	if err := json.Unmarshal(body, &started); err != nil || started.Message.CRID == "" {
		t.Fatalf("start crawl: %v %s", err, body)
	}
	crid := started.Message.CRID

	// The crawl finishes while the receiver is down; its events wait.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, body := call(procs["api"].url+"/v1/crawl/"+crid+"?limit=1", key, "")
		var got struct {
			Message api.Envelope `json:"message"`
		}
		json.Unmarshal(body, &got)
		if got.Message.Status == api.StatusCompleted {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the crawl did not complete in 30 s: %s", body)
		}
	}

	// Restart the api process that accepted the crawl.
	procs["api"].stop()
	procs["api"] = startProcess(t, bin, "api", "api", env)
	procs["api"].waitReady(t, time.Now().Add(20*time.Second))

	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var attempts int
		db.QueryRow(`SELECT coalesce(max(attempts), 0) FROM webhook_deliveries WHERE job_id = $1`, crid).Scan(&attempts)
		if attempts >= 2 && time.Since(began) >= 10*time.Second {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the first event was tried %d times while the receiver was down", attempts)
		}
	}

	// The receiver comes up.
	type received struct {
		event, delivery, signature, header string
		body                               []byte
	}
	var mu sync.Mutex
	var got []received
	rcvLn, err := net.Listen("tcp", rcvAddr)
	if err != nil {
		t.Skipf("the receiver's port was taken meanwhile: %v", err)
	}
	rcv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, received{r.Header.Get(api.HeaderEvent), r.Header.Get(api.HeaderDelivery), r.Header.Get(api.HeaderSignature), r.Header.Get("X-Test"), b})
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})}
	go rcv.Serve(rcvLn)
	defer rcv.Close()

	want := site.n + 2
	var list api.WebhookDeliveries
	for deadline := time.Now().Add(45 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		status, body := call(procs["api"].url+"/v1/crawl/"+crid+"/webhooks?limit=1000", key, "")
		list = api.WebhookDeliveries{}
		json.Unmarshal(body, &list)
		done := status == http.StatusOK && len(list.Deliveries) == want
		for _, d := range list.Deliveries {
			done = done && d.State == api.DeliveryDelivered
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries not all delivered 45 s after the receiver came up: %d %s", status, body)
		}
	}
	time.Sleep(500 * time.Millisecond) // a duplicate would arrive now

	status, body = call(procs["api"].url+"/v1/webhook-secret", key, "")
	var sec struct {
		Secret string `json:"webhook_secret"`
	}
	if err := json.Unmarshal(body, &sec); err != nil || status != http.StatusOK {
		t.Fatalf("webhook secret: %d %s", status, body)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != want {
		t.Fatalf("the receiver got %d requests, want %d (started, %d pages, completed)", len(got), want, site.n)
	}
	pages := map[string]int{}
	ids := map[string]int{}
	for i, r := range got {
		ids[r.delivery]++
		if r.delivery != list.Deliveries[i].ID {
			t.Errorf("request %d carried delivery %s; the log's %d-th is %s", i, r.delivery, i, list.Deliveries[i].ID)
		}
		if err := api.Verify(sec.Secret, r.signature, r.body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("request %d: %v", i, err)
		}
		if r.header != "scaleout" {
			t.Errorf("request %d: the webhook's header is missing", i)
		}
		var ev struct {
			Event string `json:"event"`
			CRID  string `json:"crid"`
			Data  struct {
				URL string `json:"URL"`
			} `json:"data"`
		}
		if err := json.Unmarshal(r.body, &ev); err != nil || ev.CRID != crid || ev.Event != r.event {
			t.Errorf("request %d: body %s (%v)", i, r.body, err)
		}
		wantEvent := api.EventPage
		switch i {
		case 0:
			wantEvent = api.EventStarted
		case len(got) - 1:
			wantEvent = api.EventCompleted
		}
		if r.event != wantEvent {
			t.Errorf("request %d is %q, want %q", i, r.event, wantEvent)
		}
		if r.event == api.EventPage {
			pages[ev.Data.URL]++
		}
	}
	for i := range site.n {
		if u := fmt.Sprintf("%s/c/%d", srv.URL, i); pages[u] != 1 {
			t.Errorf("page %s: %d events, want 1", u, pages[u])
		}
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("delivery %s received %d times", id, n)
		}
	}
	t.Logf("%d events delivered in order, %v after the crawl started", len(got), time.Since(began).Round(time.Second))
}
