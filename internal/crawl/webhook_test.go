package crawl

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/fetch"
	"github.com/spidergo/spidergo/internal/sqlstore"
	"github.com/spidergo/spidergo/internal/storetest"
)

// receiver is a webhook endpoint that records what it accepts and answers
// with its current status until told otherwise.
type receiver struct {
	*httptest.Server
	status atomic.Int32 // what it answers; 0 hangs until the request ends
	hits   atomic.Int32

	mu     sync.Mutex
	events []receivedEvent
}

type receivedEvent struct {
	Event, Delivery, Signature, Custom string
	Body                               []byte
}

func newReceiver(t *testing.T, status int) *receiver {
	r := newUnstartedReceiver(t, status)
	r.Start()
	return r
}

// newUnstartedReceiver is a receiver whose Start the test calls; until
// then nothing listens on its address.
func newUnstartedReceiver(t *testing.T, status int) *receiver {
	r := &receiver{}
	r.status.Store(int32(status))
	r.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.hits.Add(1)
		body, _ := io.ReadAll(req.Body)
		st := int(r.status.Load())
		if st == 0 {
			<-req.Context().Done()
			return
		}
		if st >= 200 && st < 300 {
			r.mu.Lock()
			r.events = append(r.events, receivedEvent{req.Header.Get(api.HeaderEvent), req.Header.Get(api.HeaderDelivery), req.Header.Get(api.HeaderSignature),
				req.Header.Get("X-Token"), body})
			r.mu.Unlock()
		}
		w.WriteHeader(st)
	}))
	t.Cleanup(r.Close)
	return r
}

// addr is the receiver's address before it starts.
func (r *receiver) addr() string { return r.Listener.Addr().String() }

func (r *receiver) received() []receivedEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]receivedEvent(nil), r.events...)
}

// waitFor polls cond until it holds or 20 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// hookRig is a store with one user and one job, and a way to build
// Webhooks on it that post through the guarded fetcher to the receiver.
type hookRig struct {
	store  *sqlstore.DB
	user   *spidergo.User
	job    *spidergo.Job
	poster *fetch.Fetcher
	logs   *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func newHookRig(t *testing.T, store *sqlstore.DB, receiverAddr string) *hookRig {
	ctx := context.Background()
	u := &spidergo.User{Email: "hooks@example.com"}
	if err := store.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	j := &spidergo.Job{UserID: u.ID, Kind: spidergo.KindCrawl, URL: "https://example.com/", Status: spidergo.StatusRunning, Async: true}
	if err := store.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	f, err := fetch.New(fetch.Config{Allow: []string{receiverAddr}, UserAgent: "SpiderGo-test"})
	if err != nil {
		t.Fatal(err)
	}
	return &hookRig{store: store, user: u, job: j, poster: f, logs: &lockedBuffer{}}
}

func (r *hookRig) webhooks(owner string) *Webhooks {
	return NewWebhooks(WebhooksConfig{Poster: r.poster, Secrets: r.store, Store: r.store, Owner: owner,
		Log:     slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Backoff: 10 * time.Millisecond, Timeout: 5 * time.Second, Poll: 20 * time.Millisecond})
}

// run runs w's sender until the returned stop is called.
func run(w *Webhooks) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	return func() { cancel(); <-done }
}

// sendEvents stores the events of a three-page job.
func sendEvents(t *testing.T, d *Delivery) []string {
	t.Helper()
	want := []string{api.EventStarted, api.EventPage, api.EventPage, api.EventPage, api.EventCompleted}
	for i, ev := range want {
		if err := d.Send(context.Background(), ev, map[string]int{"n": i}); err != nil {
			t.Fatal(err)
		}
	}
	return want
}

func hookFor(rcv *receiver) *api.Webhook {
	return &api.Webhook{URL: rcv.URL + "/hook?token=url-secret-123", Events: []string{api.EventStarted, api.EventPage, api.EventCompleted, api.EventFailed},
		Headers: map[string]string{"X-Token": "header-secret-456"}}
}

// checkOnceInOrder: the receiver accepted each event exactly once, in the
// order sent, each a distinct delivery with a valid signature.
func checkOnceInOrder(t *testing.T, r *hookRig, rcv *receiver, want []string) {
	t.Helper()
	secret, err := r.store.WebhookSecret(context.Background(), r.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	ids := map[string]bool{}
	for i, e := range rcv.received() {
		got = append(got, e.Event)
		var body struct {
			Event string
			CRID  string
			Data  struct{ N int }
		}
		if err := json.Unmarshal(e.Body, &body); err != nil || body.CRID != r.job.ID || body.Event != e.Event || body.Data.N != i {
			t.Errorf("event %d: body %s (%v)", i, e.Body, err)
		}
		if err := api.Verify(secret, e.Signature, e.Body, time.Now(), time.Minute); err != nil {
			t.Errorf("event %d: %v", i, err)
		}
		if e.Custom != "header-secret-456" {
			t.Errorf("event %d: the webhook's header is missing", i)
		}
		if ids[e.Delivery] || e.Delivery == "" {
			t.Errorf("event %d: delivery id %q repeated or missing", i, e.Delivery)
		}
		ids[e.Delivery] = true
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events received (-want +got):\n%s", diff)
	}
}

// noSecrets: neither the log nor any delivery's last error holds the
// signing secret, the webhook's header value or the URL's query.
func noSecrets(t *testing.T, r *hookRig) {
	t.Helper()
	secret, _ := r.store.WebhookSecret(context.Background(), r.user.ID)
	ds, _, err := r.store.Deliveries(context.Background(), r.job.ID, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	logs := r.logs.String()
	for _, s := range []string{secret, "header-secret-456", "url-secret-123"} {
		if strings.Contains(logs, s) {
			t.Errorf("the log holds %q:\n%s", s, logs)
		}
		for _, d := range ds {
			if strings.Contains(d.LastError, s) {
				t.Errorf("delivery %s: last error %q holds a secret", d.ID, d.LastError)
			}
		}
	}
}

func TestWebhooksRideOutAnOutage(t *testing.T) {
	for name, open := range storetest.Each() {
		t.Run(name, func(t *testing.T) {
			for _, down := range []struct {
				name   string
				status int // 0: nothing listens
			}{{"503", http.StatusServiceUnavailable}, {"closed", 0}} {
				t.Run(down.name, func(t *testing.T) {
					rcv := newUnstartedReceiver(t, down.status)
					hook := &api.Webhook{URL: "http://" + rcv.addr() + "/hook?token=url-secret-123",
						Events:  []string{api.EventStarted, api.EventPage, api.EventCompleted, api.EventFailed},
						Headers: map[string]string{"X-Token": "header-secret-456"}}
					r := newHookRig(t, open(t), rcv.addr())
					if down.status == 0 {
						// The address stays reserved by the unstarted
						// server's listener: closing it leaves nothing there
						// until the receiver starts on it again.
						rcv.Listener.Close()
					} else {
						rcv.Start()
					}
					w := r.webhooks("a")
					stop := run(w)
					defer stop()
					want := sendEvents(t, w.Open(context.Background(), r.user.ID, r.job.ID, hook))
					waitFor(t, "failed attempts", func() bool {
						ds, _, _ := r.store.Deliveries(context.Background(), r.job.ID, "", 10)
						return len(ds) > 0 && ds[0].Attempts >= 2
					})
					ds, _, _ := r.store.Deliveries(context.Background(), r.job.ID, "", 10)
					for _, d := range ds[1:] {
						if d.Attempts != 0 {
							t.Errorf("%s sent before the started event got through", d.Event)
						}
					}
					if ds[0].State != spidergo.DeliveryPending || ds[0].LastError == "" || ds[0].NextAttemptAt.IsZero() {
						t.Errorf("failing delivery = %+v", ds[0])
					}
					rcv.status.Store(http.StatusNoContent)
					if down.status == 0 {
						ln, err := net.Listen("tcp", hook.URL[len("http://"):strings.Index(hook.URL, "/hook")])
						if err != nil {
							t.Skipf("the receiver's port was taken meanwhile: %v", err)
						}
						rcv.Listener = ln
						rcv.Start()
					}
					waitFor(t, "every event", func() bool {
						ds, _, _ := r.store.Deliveries(context.Background(), r.job.ID, "", 10)
						for _, d := range ds {
							if d.State != spidergo.DeliveryDelivered {
								return false
							}
						}
						return true
					})
					checkOnceInOrder(t, r, rcv, want)
					noSecrets(t, r)
				})
			}
		})
	}
}

func TestWebhooksSurviveARestart(t *testing.T) {
	for name, open := range storetest.Each() {
		t.Run(name, func(t *testing.T) {
			rcv := newReceiver(t, 0) // hangs: a request in flight when the sender stops
			r := newHookRig(t, open(t), rcv.addr())
			w := r.webhooks("first")
			stop := run(w)
			want := sendEvents(t, w.Open(context.Background(), r.user.ID, r.job.ID, hookFor(rcv)))
			waitFor(t, "the first request", func() bool { return rcv.hits.Load() > 0 })
			stopped := make(chan struct{})
			go func() { stop(); close(stopped) }()
			select {
			case <-stopped:
			case <-time.After(5 * time.Second):
				t.Fatal("stopping waits on a receiver that does not answer")
			}
			ds, _, _ := r.store.Deliveries(context.Background(), r.job.ID, "", 10)
			if len(ds) != len(want) {
				t.Fatalf("%d deliveries stored, want %d", len(ds), len(want))
			}
			for _, d := range ds {
				if d.State != spidergo.DeliveryPending || d.Attempts != 0 {
					t.Errorf("after the stop: %s is %s after %d attempts; want pending, the cut attempt not counted", d.Event, d.State, d.Attempts)
				}
			}
			// A new process, under another name, on the same database:
			// the stopped one handed its claim back, so it sends at once.
			rcv.status.Store(http.StatusNoContent)
			stop = run(r.webhooks("second"))
			defer stop()
			waitFor(t, "every event", func() bool { return len(rcv.received()) >= len(want) })
			checkOnceInOrder(t, r, rcv, want)
		})
	}
}

func TestWebhooksFinalAnswers(t *testing.T) {
	rcv := newReceiver(t, http.StatusGone)
	r := newHookRig(t, storetest.SQLite(t), rcv.addr())
	w := r.webhooks("a")
	stop := run(w)
	defer stop()
	d := w.Open(context.Background(), r.user.ID, r.job.ID, &api.Webhook{URL: rcv.URL + "/hook", Events: []string{api.EventStarted, api.EventCompleted}})
	for _, ev := range []string{api.EventStarted, api.EventPage, api.EventCompleted} {
		if err := d.Send(context.Background(), ev, nil); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "both events given up", func() bool {
		ds, _, _ := r.store.Deliveries(context.Background(), r.job.ID, "", 10)
		return len(ds) == 2 && ds[1].State == spidergo.DeliveryFailed
	})
	ds, _, _ := r.store.Deliveries(context.Background(), r.job.ID, "", 10)
	tests := []struct {
		event string
	}{{api.EventStarted}, {api.EventCompleted}} // page was not subscribed
	for i, tt := range tests {
		d := ds[i]
		if d.Event != tt.event || d.State != spidergo.DeliveryFailed || d.Attempts != 1 || d.LastStatus != http.StatusGone || d.LastError != "http_410" {
			t.Errorf("delivery %d = %+v; want %s failed after one 410", i, d, tt.event)
		}
	}
}

func TestWebhooksAttemptsAreBounded(t *testing.T) {
	rcv := newReceiver(t, http.StatusServiceUnavailable)
	r := newHookRig(t, storetest.SQLite(t), rcv.addr())
	w := NewWebhooks(WebhooksConfig{Poster: r.poster, Secrets: r.store, Store: r.store, Log: slog.New(slog.NewTextHandler(r.logs, nil)),
		Attempts: 3, Backoff: time.Millisecond, Poll: 10 * time.Millisecond})
	stop := run(w)
	defer stop()
	if err := w.Open(context.Background(), r.user.ID, r.job.ID, hookFor(rcv)).Send(context.Background(), api.EventStarted, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the delivery given up", func() bool {
		ds, _, _ := r.store.Deliveries(context.Background(), r.job.ID, "", 10)
		return len(ds) == 1 && ds[0].State == spidergo.DeliveryFailed
	})
	if n := rcv.hits.Load(); n != 3 {
		t.Errorf("%d requests, want 3 attempts", n)
	}
	if !strings.Contains(r.logs.String(), "webhook not delivered") {
		t.Errorf("giving up is not logged:\n%s", r.logs.String())
	}
	noSecrets(t, r)
}

func TestBackoffAfter(t *testing.T) {
	w := NewWebhooks(WebhooksConfig{Backoff: time.Second})
	for _, tt := range []struct {
		attempts int
		step     time.Duration
	}{{1, time.Second}, {2, 2 * time.Second}, {4, 8 * time.Second}, {12, maxBackoff}, {60, maxBackoff}} {
		t.Run(fmt.Sprint(tt.attempts), func(t *testing.T) {
			for range 50 {
				if got := w.backoffAfter(tt.attempts); got < tt.step/2 || got >= tt.step*3/2 {
					t.Fatalf("backoff after %d attempts = %v, want within [%v, %v)", tt.attempts, got, tt.step/2, tt.step*3/2)
				}
			}
		})
	}
}
