package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	legacyrouter "github.com/getkin/kin-openapi/routers/legacy"

	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/client"
)

// TestWebhookDeliveryRoutes: a job's deliveries are listed in order with
// how each went; one refused for good is sent again on redeliver; another
// user sees neither; neither route takes quota; answers match the OpenAPI
// document.
func TestWebhookDeliveryRoutes(t *testing.T) {
	st := newSite(t, map[string]string{"/": htmlPage("Home", "/a"), "/a": htmlPage("A")})
	var mu sync.Mutex
	var got []string
	var refused atomic.Bool
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		ev := r.Header.Get(api.HeaderEvent)
		// The first started event is refused for good; the redelivered
		// one is taken.
		if ev == api.EventStarted && refused.CompareAndSwap(false, true) {
			w.WriteHeader(http.StatusGone)
			return
		}
		mu.Lock()
		got = append(got, ev)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rcv.Close()
	e := newAPIEnv(t, "", hostOf(st.Server), hostOf(rcv))
	e.addUser(t, "owner@example.com")
	doc := loadOpenAPI(t)
	doc.Servers = nil
	router, err := legacyrouter.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	v := &validating{t: t, router: router}
	c, err := client.New(e.http.URL, e.key, client.WithHTTPClient(&http.Client{Transport: v}), client.WithRetry(client.RetryPolicy{}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	crid, err := c.StartCrawl(ctx, &api.Request{URL: st.URL + "/", Sitemap: "skip", Webhook: &api.Webhook{URL: rcv.URL + "/hook"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Wait(ctx, crid); err != nil {
		t.Fatal(err)
	}
	used := e.usedToday(t)

	var list *api.WebhookDeliveries
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if list, err = c.WebhookDeliveries(ctx, crid, "", 0); err != nil {
			t.Fatal(err)
		}
		if done := !slices.ContainsFunc(list.Deliveries, func(d *api.WebhookDelivery) bool { return d.State == api.DeliveryPending }); done && len(list.Deliveries) == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries not settled: %+v", list.Deliveries)
		}
	}
	var events []string
	for _, d := range list.Deliveries {
		events = append(events, d.Event)
	}
	if !slices.Equal(events, []string{"started", "page", "page", "completed"}) {
		t.Fatalf("deliveries listed = %v", events)
	}
	first := list.Deliveries[0]
	if first.State != api.DeliveryFailed || first.Attempts != 1 || first.LastStatus != 410 || first.LastError != "http_410" || first.DeliveredAt != nil || first.NextAttemptAt != nil {
		t.Errorf("refused delivery = %+v", first)
	}
	for _, d := range list.Deliveries[1:] {
		if d.State != api.DeliveryDelivered || d.Attempts != 1 || d.LastStatus != 204 || d.DeliveredAt == nil || d.CreatedAt.IsZero() {
			t.Errorf("delivered = %+v", d)
		}
	}
	page, err := c.WebhookDeliveries(ctx, crid, "", 3)
	if err != nil || len(page.Deliveries) != 3 || page.Next == "" {
		t.Fatalf("first page of 3: %+v %v", page, err)
	}
	rest, err := c.WebhookDeliveries(ctx, crid, page.Next, 3)
	if err != nil || len(rest.Deliveries) != 1 || rest.Deliveries[0].ID != list.Deliveries[3].ID || rest.Next != "" {
		t.Fatalf("second page: %+v %v", rest, err)
	}

	// Another user: 404 for the list and the redeliver, as for any
	// other route of the job.
	ownerKey := e.key
	_, otherKey := e.addUser(t, "other@example.com")
	e.key = ownerKey
	other, _ := client.New(e.http.URL, otherKey, client.WithHTTPClient(&http.Client{Transport: v}), client.WithRetry(client.RetryPolicy{}))
	if _, err := other.WebhookDeliveries(ctx, crid, "", 0); !client.IsNotFound(err) {
		t.Errorf("another user's list: %v, want 404", err)
	}
	if _, err := other.Redeliver(ctx, crid, first.ID); !client.IsNotFound(err) {
		t.Errorf("another user's redeliver: %v, want 404", err)
	}
	if _, err := c.Redeliver(ctx, crid, "nosuchdelivery"); !client.IsNotFound(err) {
		t.Errorf("unknown delivery: %v, want 404", err)
	}

	d, err := c.Redeliver(ctx, crid, first.ID)
	if err != nil || d.ID != first.ID || d.State != api.DeliveryPending || d.Attempts != 0 || d.NextAttemptAt == nil {
		t.Fatalf("redeliver = %+v, %v", d, err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		list, err = c.WebhookDeliveries(ctx, crid, "", 0)
		if err == nil && list.Deliveries[0].State == api.DeliveryDelivered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("redelivered delivery not sent: %+v %v", list, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(got, []string{"page", "page", "completed", "started"}) {
		t.Errorf("receiver took %v", got)
	}
	// usedToday itself is a read: it takes no quota either.
	if after := e.usedToday(t); after != used {
		t.Errorf("quota used went from %v to %v over list and redeliver calls", used, after)
	}
	for _, want := range []string{"GET /v1/crawl/{id}/webhooks 200", "GET /v1/crawl/{id}/webhooks 404",
		"POST /v1/crawl/{id}/webhooks/{delivery}/redeliver 202", "POST /v1/crawl/{id}/webhooks/{delivery}/redeliver 404"} {
		if !slices.Contains(v.seen, want) {
			t.Errorf("no answer %q was checked; checked: %v", want, v.seen)
		}
	}
}
