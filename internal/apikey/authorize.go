package apikey

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/outage"
)

// Grant is one request's authorization: the key, its owner, and the
// quota left. A work grant holds one unit, which Refund gives back.
type Grant struct {
	Key       *spidergo.APIKey
	UserID    string
	Limit     int
	Remaining int
	// Used is the key's count for the day as Authorize read or took it.
	Used  int
	Reset time.Time // when the quota day ends

	svc  *Service
	day  string
	work bool

	mu       sync.Mutex
	refunded bool
}

// Refund gives the grant's unit back, once; a read grant holds none. It
// runs to completion even when the request that holds the grant is gone,
// since the unit must come back regardless.
func (g *Grant) Refund() {
	if g == nil || !g.work {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.refunded {
		return
	}
	g.refunded = true
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := g.svc.quota.ReturnQuota(ctx, g.Key.ID, g.day); err != nil {
		level := slog.LevelError
		if errors.Is(err, outage.ErrDown) {
			// Redis is down: its watch has said so once already.
			level = slog.LevelDebug
		}
		g.svc.log.Log(ctx, level, "quota refund failed", "key_id", g.Key.ID, "err", err)
		return
	}
	g.Remaining = min(g.Limit, g.Remaining+1)
}

var errBadKey = spidergo.Errorf(spidergo.EUNAUTHORIZED, "Invalid API key. Check it, or create a new one in the dashboard.")

// Authorize checks, in this order, that secret names a key (EUNAUTHORIZED),
// that the key is active (EFORBIDDEN) and, when work is true, takes one
// unit of the key's quota for the current UTC day (EQUOTA with RetryAfter
// when spent). Reads (work false) take nothing.
//
// A refusal of a known key still returns its grant with Remaining 0, so
// that the answer can show the key's limit.
func (s *Service) Authorize(ctx context.Context, secret string, work bool) (*Grant, error) {
	now := s.now()
	if !spidergo.WellFormedAPIKey(secret) {
		return nil, errBadKey
	}
	day := spidergo.QuotaDay(now)
	// A read on a store that also counts the quota reads the key and its
	// count in one query.
	both, _ := s.store.(keyUsageReader)
	if work || any(s.quota) != any(s.store) {
		both = nil
	}
	var (
		k    *spidergo.APIKey
		used int
		err  error
	)
	if both != nil {
		k, used, err = s.keyAndUsage(ctx, both, secret, day)
	} else {
		k, err = s.key(ctx, secret)
	}
	if err != nil {
		return nil, err
	}
	g := &Grant{Key: k, UserID: k.UserID, Limit: k.DailyLimit, Reset: spidergo.QuotaReset(now), svc: s, day: day}
	if !k.IsActive {
		s.log.Info("revoked API key used", "key_id", k.ID, "last4", k.Last4)
		return g, spidergo.Errorf(spidergo.EFORBIDDEN, "This API key has been revoked. Create a new key in the dashboard.")
	}
	s.touch.note(k.ID, now)
	if !work {
		if both == nil {
			if used, err = s.quota.QuotaUsed(ctx, k.ID, g.day); err != nil {
				return g, quotaUnavailable(err)
			}
		}
		g.Used, g.Remaining = used, max(0, k.DailyLimit-used)
		return g, nil
	}
	used, ok, err := s.quota.TakeQuota(ctx, k.ID, g.day, k.DailyLimit)
	if err != nil {
		return g, quotaUnavailable(err)
	}
	if !ok {
		reset := api.At(g.Reset).String()
		e := spidergo.Errorf(spidergo.EQUOTA, "This API key has used its %d requests for today. The quota resets at %s.", k.DailyLimit, reset)
		e.Details = map[string]any{"resets_at": reset}
		// Rounded up, so a client that waits this long never arrives just
		// before the reset.
		e.RetryAfter = time.Duration(max(1, int(math.Ceil(g.Reset.Sub(now).Seconds())))) * time.Second
		return g, e
	}
	g.work = true
	g.Used, g.Remaining = used, max(0, k.DailyLimit-used)
	return g, nil
}

// keyUsageReader is a store that reads a key by its hash together with its
// quota count for a day (sqlstore.DB).
type keyUsageReader interface {
	APIKeyAndUsage(ctx context.Context, hash, day string) (*spidergo.APIKey, int, error)
}

// key finds the active or revoked key secret names.
func (s *Service) key(ctx context.Context, secret string) (*spidergo.APIKey, error) {
	hash := spidergo.HashAPIKey(secret)
	k, err := s.store.APIKeyByHash(ctx, hash)
	return s.checkKey(secret, hash, k, err)
}

// keyAndUsage is key, with the key's quota count for day read in the same
// query.
func (s *Service) keyAndUsage(ctx context.Context, store keyUsageReader, secret, day string) (*spidergo.APIKey, int, error) {
	hash := spidergo.HashAPIKey(secret)
	k, used, err := store.APIKeyAndUsage(ctx, hash, day)
	k, err = s.checkKey(secret, hash, k, err)
	return k, used, err
}

// checkKey turns the lookup of hash into the key secret names or the
// error to answer.
func (s *Service) checkKey(secret, hash string, k *spidergo.APIKey, err error) (*spidergo.APIKey, error) {
	if errors.Is(err, spidergo.ErrNotFound) {
		s.log.Debug("unknown API key", "last4", secret[len(secret)-4:])
		return nil, errBadKey
	}
	if err != nil {
		return nil, &spidergo.Error{Code: spidergo.EUNAVAILABLE, Message: "API keys cannot be checked right now. Retry shortly.", Err: err}
	}
	// The database matched on the hash already; comparing again in
	// constant time keeps that property should a lookup ever be served
	// from somewhere that compares differently.
	if subtle.ConstantTimeCompare([]byte(k.Hash), []byte(hash)) != 1 {
		return nil, errBadKey
	}
	return k, nil
}
