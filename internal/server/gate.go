package server

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/apikey"
)

type grantCtxKey struct{}

// keyFrom returns the API key a /v1 request came with; nil outside the
// gate.
func keyFrom(ctx context.Context) *spidergo.APIKey {
	if g := grantFrom(ctx); g != nil {
		return g.Key
	}
	return nil
}

// grantFrom returns the gate's grant of a /v1 request; nil outside the
// gate.
func grantFrom(ctx context.Context) *apikey.Grant {
	g, _ := ctx.Value(grantCtxKey{}).(*apikey.Grant)
	return g
}

// requireAPIKey guards a /v1 handler: it reads "Authorization: Bearer
// sk_live_…" (401 when missing or malformed) and has the key service
// authorize it (401 unknown, 403 revoked, 429 with Retry-After when the
// day's quota is spent; a work request takes one unit). Every answer,
// refusals included, carries the X-RateLimit-* headers.
//
// The handler runs with the key (keyFrom) and its owner (userIDFrom) in
// the context. A work request that ends in 400, 429 (too many of the
// user's requests at once) or 5xx, or panics, gets its unit back: clients
// are charged for work done, not for our failures or for input we refused.
func (s *Server) requireAPIKey(work bool, h handlerFunc) handlerFunc {
	return s.gate(work, h, s.writeError)
}

// gate is requireAPIKey with the error writer of the API it guards: the
// Firecrawl routes answer errors in Firecrawl's form.
func (s *Server) gate(work bool, h handlerFunc, writeError func(http.ResponseWriter, *http.Request, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		setRateHeaders(w, s.keys.DefaultLimit(), 0, spidergo.QuotaReset(s.now()))
		secret, err := bearerKey(r)
		var g *apikey.Grant
		if err == nil {
			g, err = s.authorize(r.Context(), secret, work)
		}
		if g != nil {
			setRateHeaders(w, g.Limit, g.Remaining, g.Reset)
		}
		if err != nil {
			if spidergo.ErrorCode(err) == spidergo.EUNAUTHORIZED {
				w.Header().Set("WWW-Authenticate", `Bearer realm="SpiderGo"`)
			}
			return err
		}
		ctx := withUserID(context.WithValue(r.Context(), grantCtxKey{}, g), g.UserID)
		r = r.WithContext(ctx)
		if !work {
			return h(w, r)
		}

		qw := &quotaWriter{ResponseWriter: w, refund: func() {
			g.Refund()
			if s.obs != nil {
				s.obs.QuotaRefunded(QuotaAPIKey)
			}
			w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(g.Remaining))
		}}
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
			writeError(qw, r, err)
		}
		return nil
	}
}

// authorize has the key service authorize a request, telling the observer
// how long that took and whether the quota was spent.
func (s *Server) authorize(ctx context.Context, secret string, work bool) (*apikey.Grant, error) {
	if s.obs == nil {
		return s.keys.Authorize(ctx, secret, work)
	}
	start := time.Now()
	g, err := s.keys.Authorize(ctx, secret, work)
	s.obs.Authorized(time.Since(start))
	if spidergo.ErrorCode(err) == spidergo.EQUOTA {
		s.obs.QuotaRefused(QuotaAPIKey)
	}
	return g, err
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

// setRateHeaders writes the X-RateLimit-* headers every /v1 answer has.
func setRateHeaders(w http.ResponseWriter, limit, remaining int, reset time.Time) {
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(0, remaining)))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
}

// quotaWriter sees the status a work request ends with and gives the
// quota unit back when it is 400, 429 or 5xx. It acts at WriteHeader, before
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
		if code == http.StatusBadRequest || code == http.StatusTooManyRequests || code >= 500 {
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
