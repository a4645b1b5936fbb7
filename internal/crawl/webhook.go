package crawl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
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

// HookQueue stores webhook deliveries and gets them sent. Without one,
// Webhooks sends from this process (Run); on PostgreSQL River does
// (internal/dispatch), on any worker.
type HookQueue interface {
	// Enqueue stores a new delivery and arranges for its job's deliveries
	// to be sent, both durably.
	Enqueue(ctx context.Context, d *spidergo.WebhookDelivery) error
	// Wake arranges for a job's due deliveries to be sent.
	Wake(ctx context.Context, jobID string) error
}

// Webhooks delivers job events to the URLs users give. Every event is
// stored as a delivery when it happens, and sent from the store: a job's
// deliveries one after another in order, each retried with backoff up to
// its attempts, signed at send time. Nothing waits in memory, so a stop or
// a crash loses nothing: the next start, or another process, sends what is
// left. A sender holds a job's next delivery under a lease, so two
// processes never send it at once.
type Webhooks struct {
	post     Poster
	secrets  SecretSource
	store    spidergo.DeliveryStore
	queue    HookQueue
	log      *slog.Logger
	now      func() time.Time
	owner    string
	attempts int
	backoff  time.Duration
	timeout  time.Duration
	poll     time.Duration

	mu       sync.Mutex
	draining map[string]bool // jobs this process is sending now (local mode)
	kick     chan string
	slots    chan struct{}
	wg       sync.WaitGroup
}

// WebhooksConfig configures Webhooks; zero values take the defaults.
type WebhooksConfig struct {
	Poster  Poster
	Secrets SecretSource
	// Store keeps the deliveries.
	Store spidergo.DeliveryStore
	// Queue sends them; nil sends them from this process's Run.
	Queue HookQueue
	Log   *slog.Logger
	Now   func() time.Time
	// Owner names this process in delivery claims (default: the host
	// name); see JobsConfig.Owner.
	Owner string
	// Attempts per event (default 10) and the first backoff step (default
	// 1 s, doubling up to 5 minutes, with jitter).
	Attempts int
	Backoff  time.Duration
	// Timeout of one delivery attempt (default 10 s).
	Timeout time.Duration
	// Poll is how often Run looks for due deliveries (default 1 s).
	Poll time.Duration
}

// DefaultWebhookAttempts is how many times an event is tried by default.
const DefaultWebhookAttempts = 10

// maxBackoff caps the wait between two attempts.
const maxBackoff = 5 * time.Minute

// drainSlice bounds how long one sender keeps sending a job's deliveries
// before it hands the job back (and other jobs get their turn).
const drainSlice = time.Minute

// localSenders is how many jobs Run sends deliveries for at once.
const localSenders = 16

// NewWebhooks builds a deliverer.
func NewWebhooks(cfg WebhooksConfig) *Webhooks {
	w := &Webhooks{post: cfg.Poster, secrets: cfg.Secrets, store: cfg.Store, queue: cfg.Queue, log: cfg.Log, now: cfg.Now, owner: cfg.Owner,
		attempts: cfg.Attempts, backoff: cfg.Backoff, timeout: cfg.Timeout, poll: cfg.Poll,
		draining: map[string]bool{}, kick: make(chan string, 256), slots: make(chan struct{}, localSenders)}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	if w.now == nil {
		w.now = time.Now
	}
	if w.owner == "" {
		w.owner = defaultOwner()
	}
	if w.attempts <= 0 {
		w.attempts = DefaultWebhookAttempts
	}
	if w.backoff <= 0 {
		w.backoff = time.Second
	}
	if w.timeout <= 0 {
		w.timeout = 10 * time.Second
	}
	if w.poll <= 0 {
		w.poll = time.Second
	}
	return w
}

// UseQueue makes q send the deliveries instead of this process's Run. It is
// called once, before anything runs.
func (w *Webhooks) UseQueue(q HookQueue) { w.queue = q }

// lease is how long a claim on a delivery lasts: an attempt and then some.
func (w *Webhooks) lease() time.Duration { return w.timeout + 20*time.Second }

// Delivery is one job's stream of events.
type Delivery struct {
	w      *Webhooks
	hook   *api.Webhook
	userID string
	crid   string
}

// Open returns the job's event stream. A nil hook gives a nil Delivery,
// whose methods do nothing.
func (w *Webhooks) Open(_ context.Context, userID, crid string, hook *api.Webhook) *Delivery {
	if w == nil || hook == nil {
		return nil
	}
	return &Delivery{w: w, hook: hook, userID: userID, crid: crid}
}

// Send stores an event the hook subscribed to, after the job's earlier
// ones. The write does not end with ctx: an event that happened is kept
// even when the run that made it is stopping.
func (d *Delivery) Send(ctx context.Context, event string, data any) error {
	if d == nil || !slices.Contains(d.hook.Events, event) {
		return nil
	}
	body, err := json.Marshal(api.Event{Event: event, CRID: d.crid, Timestamp: api.At(d.w.now()), Data: data})
	if err != nil {
		return fmt.Errorf("encode webhook event: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	row := &spidergo.WebhookDelivery{JobID: d.crid, UserID: d.userID, Event: event, Payload: body, URL: d.hook.URL, Headers: d.hook.Headers}
	if d.w.queue != nil {
		return d.w.queue.Enqueue(ctx, row)
	}
	if err := d.w.store.AddDelivery(ctx, row); err != nil {
		return err
	}
	d.w.Wake(ctx, d.crid)
	return nil
}

// Wake gets a job's due deliveries sent: by the queue when there is one,
// else by this process's Run.
func (w *Webhooks) Wake(ctx context.Context, jobID string) error {
	if w.queue != nil {
		return w.queue.Wake(ctx, jobID)
	}
	select {
	case w.kick <- jobID:
	default: // Run's next look finds it
	}
	return nil
}

// Run looks for jobs with due deliveries — at start, every Poll, and when
// an event is stored — and gets them sent: by the queue when there is one,
// else here, one sender per job. When ctx ends it stops sending at once,
// hands its claims back and returns; what is left stays stored for the
// next start.
func (w *Webhooks) Run(ctx context.Context) error {
	t := time.NewTicker(w.poll)
	defer t.Stop()
	defer w.wg.Wait()
	for {
		due, err := w.store.DueDeliveryJobs(ctx, w.now(), 100)
		if err != nil && ctx.Err() == nil {
			w.log.Warn("webhook deliveries unreadable", "err", err)
		}
		for _, id := range due {
			w.dispatch(ctx, id)
		}
		select {
		case <-ctx.Done():
			return nil
		case id := <-w.kick:
			w.dispatch(ctx, id)
		case <-t.C:
		}
	}
}

// dispatch gets one job's deliveries going.
func (w *Webhooks) dispatch(ctx context.Context, jobID string) {
	if w.queue != nil {
		if err := w.queue.Wake(ctx, jobID); err != nil && ctx.Err() == nil {
			w.log.Warn("webhook deliveries not queued", "crid", jobID, "err", err)
		}
		return
	}
	w.mu.Lock()
	if w.draining[jobID] {
		w.mu.Unlock()
		return
	}
	select {
	case w.slots <- struct{}{}:
	default:
		w.mu.Unlock()
		return // every sender is busy: the next look comes back to it
	}
	w.draining[jobID] = true
	w.mu.Unlock()
	w.wg.Go(func() {
		defer func() {
			w.mu.Lock()
			delete(w.draining, jobID)
			w.mu.Unlock()
			<-w.slots
		}()
		if _, err := w.Drain(ctx, jobID); err != nil && ctx.Err() == nil {
			w.log.Warn("webhook deliveries not sent", "crid", jobID, "err", err)
		}
	})
}

// Drain sends a job's due deliveries in order, until none is due, ctx
// ends, or it has sent for a while. It returns when to come back: the
// next attempt of a delivery that failed, the end of another sender's
// claim, now when it stopped early, or zero when nothing is pending.
func (w *Webhooks) Drain(ctx context.Context, jobID string) (time.Time, error) {
	end := w.now().Add(drainSlice)
	for {
		now := w.now()
		if ctx.Err() != nil || now.After(end) {
			return now, nil
		}
		d, wait, err := w.store.ClaimDelivery(ctx, jobID, spidergo.Lease{Owner: w.owner, Until: now.Add(w.lease())}, now)
		if err != nil {
			if ctx.Err() != nil {
				return w.now(), nil
			}
			return time.Time{}, err
		}
		if d == nil {
			return wait, nil
		}
		if err := w.attempt(ctx, d); err != nil {
			return time.Time{}, err
		}
		if d.State == spidergo.DeliveryPending {
			return d.NextAttemptAt, nil // retried later; the job's next events wait
		}
	}
}

// attempt sends a claimed delivery once and records the outcome. A send cut
// short by ctx (the process stops) is not counted: the claim is handed
// back as it was.
func (w *Webhooks) attempt(ctx context.Context, d *spidergo.WebhookDelivery) error {
	status, sendErr := w.send(ctx, d)
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	now := w.now()
	if ctx.Err() != nil && (sendErr != nil || status < 200 || status >= 300) {
		err := w.store.FinishDelivery(bg, d, w.owner, now)
		if spidergo.ErrorCode(err) == spidergo.ECONFLICT {
			return nil
		}
		return err
	}
	d.Attempts++
	d.LastStatus = status
	d.LastError = ""
	switch {
	case sendErr == nil && status >= 200 && status < 300:
		d.State, d.DeliveredAt = spidergo.DeliveryDelivered, now
	default:
		d.LastError = reasonOf(status, sendErr)
		if !retryable(status, sendErr) || d.Attempts >= w.attempts {
			d.State = spidergo.DeliveryFailed
			w.log.Warn("webhook not delivered", "crid", d.JobID, "event", d.Event, "delivery", d.ID, "status", status, "reason", d.LastError, "attempts", d.Attempts)
		} else {
			d.State = spidergo.DeliveryPending
			d.NextAttemptAt = now.Add(w.backoffAfter(d.Attempts))
			w.log.Info("webhook delivery failed, will retry", "crid", d.JobID, "event", d.Event, "delivery", d.ID, "status", status, "reason", d.LastError,
				"attempts", d.Attempts, "next_attempt_at", d.NextAttemptAt)
		}
	}
	err := w.store.FinishDelivery(bg, d, w.owner, now)
	if spidergo.ErrorCode(err) == spidergo.ECONFLICT {
		// Our claim ran out and another sender has the delivery now.
		w.log.Warn("webhook delivery claim lost", "crid", d.JobID, "delivery", d.ID)
		return nil
	}
	return err
}

// send makes one request of a delivery, signed now with the user's secret.
func (w *Webhooks) send(ctx context.Context, d *spidergo.WebhookDelivery) (int, error) {
	secret, err := w.secrets.WebhookSecret(ctx, d.UserID)
	if err != nil {
		return 0, errSecretUnavailable
	}
	h := http.Header{}
	for k, v := range d.Headers {
		h.Set(k, v)
	}
	h.Set("Content-Type", "application/json")
	h.Set(api.HeaderEvent, d.Event)
	h.Set(api.HeaderDelivery, d.ID)
	h.Set(api.HeaderSignature, api.Sign(secret, w.now(), d.Payload))
	return w.post.Post(ctx, d.URL, h, d.Payload, w.timeout)
}

// errSecretUnavailable: the signing secret could not be read (the store
// is down, or the user is gone); worth another try.
var errSecretUnavailable = errors.New("webhook secret unavailable")

// backoffAfter is the wait after the n-th failed attempt: the first step
// doubled n-1 times, at most maxBackoff, with ±50 % jitter.
func (w *Webhooks) backoffAfter(n int) time.Duration {
	wait := w.backoff
	for i := 1; i < n && wait < maxBackoff; i++ {
		wait *= 2
	}
	wait = min(wait, maxBackoff)
	return wait/2 + rand.N(wait)
}

// reasonOf is a failed attempt's last_error: "http_<status>" or the fetch
// error's kind. It names what went wrong and never carries the URL, a
// header or the secret.
func reasonOf(status int, err error) string {
	switch {
	case errors.Is(err, errSecretUnavailable):
		return "secret_unavailable"
	case err != nil:
		if k := fetch.KindOf(err); k != "" {
			return k
		}
		return "network_error"
	default:
		return fmt.Sprintf("http_%d", status)
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

// DeliveryOf is a delivery as the API lists it.
func DeliveryOf(d *spidergo.WebhookDelivery) *api.WebhookDelivery {
	out := &api.WebhookDelivery{ID: d.ID, Event: d.Event, Attempts: d.Attempts, LastStatus: d.LastStatus, LastError: d.LastError, State: d.State,
		CreatedAt: api.At(d.CreatedAt), DeliveredAt: api.TimePtr(d.DeliveredAt)}
	if d.State == spidergo.DeliveryPending {
		out.NextAttemptAt = api.TimePtr(d.NextAttemptAt)
	}
	return out
}

// Deliveries lists a page of one of userID's job's webhook deliveries, in
// the order they are sent.
func (s *Jobs) Deliveries(ctx context.Context, userID, id, cursor string, limit int) (*api.WebhookDeliveries, error) {
	j, err := s.store.Job(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	ds, next, err := s.store.Deliveries(ctx, j.ID, cursor, limit)
	if err != nil {
		return nil, err
	}
	out := &api.WebhookDeliveries{Deliveries: make([]*api.WebhookDelivery, 0, len(ds)), Next: next}
	for _, d := range ds {
		out.Deliveries = append(out.Deliveries, DeliveryOf(d))
	}
	return out, nil
}

// Redeliver makes one delivery of one of userID's jobs pending again, due
// now with its attempts counted afresh, and gets it sent. Until it is
// sent, the job's later pending deliveries wait behind it.
func (s *Jobs) Redeliver(ctx context.Context, userID, id, deliveryID string) (*api.WebhookDelivery, error) {
	j, err := s.store.Job(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	if s.hooks == nil {
		return nil, spidergo.Errorf(spidergo.EUNAVAILABLE, "Webhooks are turned off on this server.")
	}
	d, err := s.store.RedeliverDelivery(ctx, j.ID, deliveryID, s.now())
	if err != nil {
		return nil, err
	}
	if err := s.hooks.Wake(ctx, j.ID); err != nil {
		s.log.Warn("redelivery not queued: the next look sends it", "crid", j.ID, "delivery", d.ID, "err", err)
	}
	return DeliveryOf(d), nil
}
