package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/quota"
)

// apiKeys is the state behind the /v1 gate.
type apiKeys struct {
	// quota counts daily units: the store, or Redis when configured.
	quota spidergo.QuotaCounter
	touch *keyToucher
}

// touchFlushEvery is how often recorded key uses are written out.
const touchFlushEvery = 10 * time.Second

// initAPIKeys sets up the quota counter and the last-used recorder. With
// SPIDERGO_REDIS_URL the counters live in Redis, shared by every API
// server; otherwise in the database, which is just as exact but costs a
// write transaction per request.
func (s *Server) initAPIKeys(opts Options) error {
	s.keys = &apiKeys{quota: opts.Quota}
	if s.keys.quota == nil {
		s.keys.quota = s.store
		if s.redis != nil {
			s.keys.quota = quota.NewRedis(s.redis, "spidergo:")
		}
	}
	s.keys.touch = newKeyToucher(s.store, s.log, s.now)
	stop := s.keys.touch.start(touchFlushEvery)
	s.onClose(stop)
	return nil
}

type apiKeyCtxKey struct{}

// keyFrom returns the API key a /v1 request came with; nil outside the
// gate.
func keyFrom(ctx context.Context) *spidergo.APIKey {
	k, _ := ctx.Value(apiKeyCtxKey{}).(*spidergo.APIKey)
	return k
}

// requireAPIKey guards a /v1 handler. It checks, in this order, that the
// request carries "Authorization: Bearer sk_live_…" (401), that the key
// exists (401), that it is active (403) and, when work is true, takes one
// unit of the key's quota for the current UTC day (429 with Retry-After
// when spent). Reads (work false) take nothing. Every answer, refusals
// included, carries the X-RateLimit-* headers.
//
// The handler runs with the key (keyFrom) and its owner (userIDFrom) in
// the context. A work request that ends in 400 or 5xx, or panics, gets its
// unit back: clients are charged for work done, not for our failures or
// for input we refused.
func (s *Server) requireAPIKey(work bool, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		now := s.now()
		day, reset := spidergo.QuotaDay(now), spidergo.QuotaReset(now)
		setRateHeaders(w, s.cfg.APIKeyDailyLimit, 0, reset)

		k, err := s.authenticateKey(r)
		if err != nil {
			if spidergo.ErrorCode(err) == spidergo.EUNAUTHORIZED {
				w.Header().Set("WWW-Authenticate", `Bearer realm="SpiderGo"`)
			}
			return err
		}
		if !k.IsActive {
			setRateHeaders(w, k.DailyLimit, 0, reset)
			s.log.Info("revoked API key used", "request_id", requestID(r.Context()), "key_id", k.ID, "last4", k.Last4)
			return spidergo.Errorf(spidergo.EFORBIDDEN, "This API key has been revoked. Create a new key in the dashboard.")
		}
		s.keys.touch.touch(k.ID, now)
		ctx := withUserID(context.WithValue(r.Context(), apiKeyCtxKey{}, k), k.UserID)
		r = r.WithContext(ctx)

		if !work {
			used, err := s.keys.quota.QuotaUsed(ctx, k.ID, day)
			if err != nil {
				return quotaUnavailable(err)
			}
			setRateHeaders(w, k.DailyLimit, k.DailyLimit-used, reset)
			return h(w, r)
		}

		used, ok, err := s.keys.quota.TakeQuota(ctx, k.ID, day, k.DailyLimit)
		if err != nil {
			return quotaUnavailable(err)
		}
		if !ok {
			setRateHeaders(w, k.DailyLimit, 0, reset)
			w.Header().Set("Retry-After", strconv.Itoa(secondsUntil(now, reset)))
			e := spidergo.Errorf(spidergo.EQUOTA, "This API key has used its %d requests for today. The quota resets at %s.", k.DailyLimit, reset.Format(time.RFC3339))
			e.Details = map[string]any{"resets_at": reset.Format(time.RFC3339)}
			return e
		}
		setRateHeaders(w, k.DailyLimit, k.DailyLimit-used, reset)

		qw := &quotaWriter{ResponseWriter: w}
		qw.refund = func() {
			// The client may be gone; the unit must come back regardless.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := s.keys.quota.ReturnQuota(rctx, k.ID, day); err != nil {
				s.log.Error("quota refund failed", "request_id", requestID(ctx), "key_id", k.ID, "err", err)
				return
			}
			w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(max(0, k.DailyLimit-used+1)))
		}
		// A panic unwinds past the return below: refund on the way out
		// without recovering, so withRecover still sees the panic as it was.
		returned := false
		defer func() {
			if !returned {
				qw.refundOnce()
			}
		}()
		err = h(qw, r)
		returned = true
		if err != nil {
			if qw.wrote {
				// The answer has started; the outer wrapper only notes
				// the failure.
				return err
			}
			// Written through qw so that the error's status decides the
			// refund.
			s.writeError(qw, r, err)
		}
		return nil
	}
}

// authenticateKey finds the active or revoked key the request names.
func (s *Server) authenticateKey(r *http.Request) (*spidergo.APIKey, error) {
	secret, err := bearerKey(r)
	if err != nil {
		return nil, err
	}
	hash := spidergo.HashAPIKey(secret)
	k, err := s.store.APIKeyByHash(r.Context(), hash)
	if errors.Is(err, spidergo.ErrNotFound) {
		s.log.Debug("unknown API key", "request_id", requestID(r.Context()), "last4", secret[len(secret)-4:])
		return nil, unauthorized("Invalid API key. Check it, or create a new one in the dashboard.")
	}
	if err != nil {
		return nil, &spidergo.Error{Code: spidergo.EUNAVAILABLE, Message: "API keys cannot be checked right now. Retry shortly.", Err: err}
	}
	// The database matched on the hash already; comparing again in
	// constant time keeps that property should a lookup ever be served
	// from somewhere that compares differently.
	if subtle.ConstantTimeCompare([]byte(k.Hash), []byte(hash)) != 1 {
		return nil, unauthorized("Invalid API key. Check it, or create a new one in the dashboard.")
	}
	return k, nil
}

// bearerKey returns the well-formed sk_live_ key of the Authorization
// header.
func bearerKey(r *http.Request) (string, error) {
	const hint = "Send your API key as: Authorization: Bearer sk_live_…"
	vals := r.Header.Values("Authorization")
	if len(vals) == 0 || strings.TrimSpace(vals[0]) == "" {
		return "", unauthorized("Missing API key. " + hint)
	}
	if len(vals) > 1 {
		return "", unauthorized("Send exactly one Authorization header. " + hint)
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(vals[0]), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || !spidergo.WellFormedAPIKey(token) {
		return "", unauthorized("Malformed API key. " + hint)
	}
	return token, nil
}

func unauthorized(msg string) error {
	return spidergo.Errorf(spidergo.EUNAUTHORIZED, "%s", msg)
}

func quotaUnavailable(err error) error {
	return &spidergo.Error{Code: spidergo.EUNAVAILABLE, Message: "Quotas cannot be checked right now. Retry shortly.", Err: err}
}

// setRateHeaders writes the X-RateLimit-* headers every /v1 answer has.
func setRateHeaders(w http.ResponseWriter, limit, remaining int, reset time.Time) {
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(0, remaining)))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
}

// secondsUntil rounds up, so a client that waits Retry-After seconds never
// arrives just before the reset.
func secondsUntil(now, t time.Time) int {
	return max(1, int(math.Ceil(t.Sub(now).Seconds())))
}

// quotaWriter sees the status a work request ends with and gives the
// quota unit back when it is 400 or 5xx. It acts at WriteHeader, before
// the headers leave, so X-RateLimit-Remaining can count the refund.
type quotaWriter struct {
	http.ResponseWriter
	wrote    bool
	refunded bool
	mu       sync.Mutex
	refund   func()
}

func (q *quotaWriter) WriteHeader(code int) {
	if !q.wrote {
		q.wrote = true
		if code == http.StatusBadRequest || code >= 500 {
			q.refundOnce()
		}
	}
	q.ResponseWriter.WriteHeader(code)
}

func (q *quotaWriter) Write(b []byte) (int, error) {
	if !q.wrote {
		q.wrote = true
	}
	return q.ResponseWriter.Write(b)
}

func (q *quotaWriter) refundOnce() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.refunded {
		q.refunded = true
		q.refund()
	}
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (q *quotaWriter) Unwrap() http.ResponseWriter { return q.ResponseWriter }

func (q *quotaWriter) Flush() {
	if !q.wrote {
		q.wrote = true
	}
	if f, ok := q.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// keyToucher keeps api_keys.last_used_at without a write on the request
// path: the gate notes a use in memory, at most once a minute per key, and
// a background loop writes the notes in one transaction every few seconds.
// The dashboard's "last used" is therefore accurate to about a minute.
type keyToucher struct {
	store spidergo.APIKeyStore
	log   *slog.Logger
	now   func() time.Time

	mu      sync.Mutex
	noted   map[string]time.Time // last noted use per key, to coalesce
	pending map[string]time.Time // uses not yet written
}

// touchEvery is the coalescing window per key.
const touchEvery = time.Minute

func newKeyToucher(store spidergo.APIKeyStore, log *slog.Logger, now func() time.Time) *keyToucher {
	return &keyToucher{store: store, log: log, now: now, noted: map[string]time.Time{}, pending: map[string]time.Time{}}
}

func (t *keyToucher) touch(id string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if prev, ok := t.noted[id]; ok && at.Sub(prev) < touchEvery && !at.Before(prev) {
		return
	}
	t.noted[id] = at
	t.pending[id] = at
}

// flush writes the pending uses and forgets keys idle for a minute, so the
// maps hold only recently used keys.
func (t *keyToucher) flush(ctx context.Context) {
	t.mu.Lock()
	batch := t.pending
	t.pending = map[string]time.Time{}
	now := t.now()
	for id, at := range t.noted {
		if now.Sub(at) >= touchEvery {
			delete(t.noted, id)
		}
	}
	t.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	if err := t.store.TouchAPIKeys(ctx, batch); err != nil {
		t.log.Warn("recording API key use failed", "keys", len(batch), "err", err)
	}
}

// start runs the flush loop; the returned stop flushes once more and waits.
func (t *keyToucher) start(every time.Duration) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				ctx, cancel := context.WithTimeout(context.Background(), every)
				t.flush(ctx)
				cancel()
			case <-done:
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				t.flush(ctx)
				cancel()
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			<-finished
		})
	}
}
