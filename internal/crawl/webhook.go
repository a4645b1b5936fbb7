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
// crawl down (a bounded queue) rather than losing events.
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

// Delivery is one job's stream of events.
type Delivery struct {
	w      *Webhooks
	hook   *api.Webhook
	userID string
	crid   string
	queue  chan api.Event
	done   chan struct{}
}

// Open starts delivering a job's events; nil hook gives a nil Delivery,
// whose methods do nothing.
func (w *Webhooks) Open(userID, crid string, hook *api.Webhook) *Delivery {
	if w == nil || hook == nil {
		return nil
	}
	d := &Delivery{w: w, hook: hook, userID: userID, crid: crid, queue: make(chan api.Event, 64), done: make(chan struct{})}
	go d.loop()
	return d
}

// Send queues an event the hook subscribed to.
func (d *Delivery) Send(event string, data any) {
	if d == nil || !slices.Contains(d.hook.Events, event) {
		return
	}
	d.queue <- api.Event{Event: event, CRID: d.crid, Timestamp: api.At(d.w.now()), Data: data}
}

// Close waits until every queued event has been delivered or given up.
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
		d.deliver(ev)
	}
}

func (d *Delivery) deliver(ev api.Event) {
	ctx := context.Background()
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
		retry := retryable(status, err)
		if !retry || attempt >= d.w.attempts {
			d.w.log.Warn("webhook not delivered", "crid", d.crid, "event", ev.Event, "status", status, "err", err, "attempts", attempt)
			return
		}
		time.Sleep(wait/2 + rand.N(wait))
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
