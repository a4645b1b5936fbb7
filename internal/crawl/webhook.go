package crawl

import (
	"context"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/fetch"
)

// Poster sends a webhook request through the address guard (the fetcher).
type Poster interface {
	Post(ctx context.Context, rawURL string, header http.Header, body []byte, timeout time.Duration) (int, error)
}

// SecretSource gives a user's webhook signing secret.
type SecretSource interface {
	WebhookSecret(ctx context.Context, userID string) (string, error)
}

// Webhooks delivers job events to the URLs users give. Each job's events
// go out in order from one goroutine; a slow receiver slows that job's
// crawl down (a bounded queue) rather than losing events. Every wait — a
// full queue, a request, a backoff — ends with the delivery's context, so
// shutting down never waits on a receiver.
type Webhooks struct {
	post     Poster
	secrets  SecretSource
	log      *slog.Logger
	now      func() time.Time
	attempts int
	backoff  time.Duration
	timeout  time.Duration
}

// WebhooksConfig configures Webhooks; zero values take the defaults.
type WebhooksConfig struct {
	Poster  Poster
	Secrets SecretSource
	Log     *slog.Logger
	Now     func() time.Time
	// Attempts per event (default 5) and the first backoff step (default
	// 1 s, doubling, with jitter).
	Attempts int
	Backoff  time.Duration
	// Timeout of one delivery attempt (default 10 s).
	Timeout time.Duration
}

// NewWebhooks builds a deliverer.
func NewWebhooks(cfg WebhooksConfig) *Webhooks {
	w := &Webhooks{post: cfg.Poster, secrets: cfg.Secrets, log: cfg.Log, now: cfg.Now, attempts: cfg.Attempts, backoff: cfg.Backoff, timeout: cfg.Timeout}
	if w.now == nil {
		w.now = time.Now
	}
	if w.attempts <= 0 {
		w.attempts = 5
	}
	if w.backoff <= 0 {
		w.backoff = time.Second
	}
	if w.timeout <= 0 {
		w.timeout = 10 * time.Second
	}
	return w
}

// deliveryQueue is how many events of one job may wait for delivery.
const deliveryQueue = 64

// Delivery is one job's stream of events.
type Delivery struct {
	w      *Webhooks
	ctx    context.Context
	hook   *api.Webhook
	userID string
	crid   string
	queue  chan api.Event
	done   chan struct{}
}

// Open starts delivering a job's events until ctx ends; events still queued
// then are dropped. A nil hook gives a nil Delivery, whose methods do
// nothing.
func (w *Webhooks) Open(ctx context.Context, userID, crid string, hook *api.Webhook) *Delivery {
	if w == nil || hook == nil {
		return nil
	}
	d := &Delivery{w: w, ctx: ctx, hook: hook, userID: userID, crid: crid, queue: make(chan api.Event, deliveryQueue), done: make(chan struct{})}
	go d.loop()
	return d
}

// Send queues an event the hook subscribed to. On a full queue it waits for
// room until ctx or the delivery's context ends, and then drops the event
// and returns the context's error.
func (d *Delivery) Send(ctx context.Context, event string, data any) error {
	if d == nil || !slices.Contains(d.hook.Events, event) {
		return nil
	}
	ev := api.Event{Event: event, CRID: d.crid, Timestamp: api.At(d.w.now()), Data: data}
	select {
	case d.queue <- ev:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-d.ctx.Done():
		return d.ctx.Err()
	}
}

// Close stops taking events and waits until the queued ones have been
// delivered or given up — no longer than the delivery's context lasts.
func (d *Delivery) Close() {
	if d == nil {
		return
	}
	close(d.queue)
	<-d.done
}

func (d *Delivery) loop() {
	defer close(d.done)
	for ev := range d.queue {
		if d.ctx.Err() != nil {
			continue // drain: nothing more is sent once the context ends
		}
		d.deliver(d.ctx, ev)
	}
}

func (d *Delivery) deliver(ctx context.Context, ev api.Event) {
	body, err := json.Marshal(ev)
	if err != nil {
		d.w.log.Error("webhook event not encodable", "crid", d.crid, "event", ev.Event, "err", err)
		return
	}
	secret, err := d.w.secrets.WebhookSecret(ctx, d.userID)
	if err != nil {
		d.w.log.Error("webhook secret unavailable", "crid", d.crid, "err", err)
		return
	}
	delivery := spidergo.NewID()
	wait := d.w.backoff
	for attempt := 1; ; attempt++ {
		h := http.Header{}
		for k, v := range d.hook.Headers {
			h.Set(k, v)
		}
		h.Set("Content-Type", "application/json")
		h.Set(api.HeaderEvent, ev.Event)
		h.Set(api.HeaderDelivery, delivery)
		h.Set(api.HeaderSignature, api.Sign(secret, d.w.now(), body))
		status, err := d.w.post.Post(ctx, d.hook.URL, h, body, d.w.timeout)
		if err == nil && status >= 200 && status < 300 {
			return
		}
		if ctx.Err() != nil {
			d.w.log.Warn("webhook not delivered: stopping", "crid", d.crid, "event", ev.Event, "attempts", attempt)
			return
		}
		retry := retryable(status, err)
		if !retry || attempt >= d.w.attempts {
			d.w.log.Warn("webhook not delivered", "crid", d.crid, "event", ev.Event, "status", status, "err", err, "attempts", attempt)
			return
		}
		t := time.NewTimer(wait/2 + rand.N(wait))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			d.w.log.Warn("webhook not delivered: stopping", "crid", d.crid, "event", ev.Event, "attempts", attempt)
			return
		}
		wait *= 2
	}
}

// retryable: network trouble, timeouts, 408, 429 and 5xx are worth another
// try; a refused address or another 4xx will not change.
func retryable(status int, err error) bool {
	if err != nil {
		switch fetch.KindOf(err) {
		case fetch.KindBlockedAddress, fetch.KindInvalidURL, fetch.KindInvalidRequest:
			return false
		}
		return true
	}
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}
