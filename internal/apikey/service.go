// Package apikey owns SpiderGo's API key rules: creating, listing and
// revoking keys, the daily quota every /v1 request is authorized against
// (Authorize, with a Refund for work that failed on our side or was
// refused as bad input), the per-day usage the dashboard charts, when each
// key was last used, and the per-address counter of the public trial
// routes. It knows nothing of HTTP: the server reads the Authorization
// header and writes the X-RateLimit headers from a Grant.
package apikey

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/quota"
)

// Config are the settings of the key rules.
type Config struct {
	// DailyLimit is the quota of a new key, in requests per UTC day.
	DailyLimit int
	// MaxPerUser is how many active keys one user may have.
	MaxPerUser int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service applies the key rules over a store and a quota counter.
type Service struct {
	store spidergo.Store
	quota spidergo.QuotaCounter
	log   *slog.Logger
	now   func() time.Time
	cfg   Config
	touch *toucher
}

// New returns the key service. counter counts quota units (see
// NewCounter).
func New(store spidergo.Store, counter spidergo.QuotaCounter, log *slog.Logger, cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{store: store, quota: counter, log: log, now: cfg.Now, cfg: cfg,
		touch: newToucher(store, log, cfg.Now)}
}

// NewCounter chooses where quota units are counted. With Redis the counts
// live there, shared by every API server and with no database write on
// the request path; otherwise in the database, which is just as exact but
// costs a write transaction per request.
func NewCounter(store spidergo.Store, rdb *redis.Client, health Health) spidergo.QuotaCounter {
	if rdb != nil {
		return quota.NewRedis(rdb, "spidergo:").WithHealth(health)
	}
	return store
}

// DefaultLimit is the quota of a new key, also shown on refusals that
// name no key.
func (s *Service) DefaultLimit() int { return s.cfg.DailyLimit }

// Create makes a key for userID; the secret is returned this once and
// never stored.
func (s *Service) Create(ctx context.Context, userID, name string) (*spidergo.APIKey, string, error) {
	k, secret, err := spidergo.NewAPIKey(userID, name, s.cfg.DailyLimit)
	if err != nil {
		return nil, "", err
	}
	if err := s.store.CreateAPIKey(ctx, k, s.cfg.MaxPerUser); err != nil {
		if errors.Is(err, spidergo.ErrKeyLimit) {
			e := spidergo.Errorf(spidergo.ECONFLICT, "You already have %d active API keys, the most allowed. Revoke one before creating another.", s.cfg.MaxPerUser)
			e.Details = map[string]any{"max_keys": s.cfg.MaxPerUser}
			e.Err = err
			return nil, "", e
		}
		return nil, "", err
	}
	s.log.Info("API key created", "user_id", userID, "key_id", k.ID, "last4", k.Last4)
	return k, secret, nil
}

// List returns userID's keys oldest first, the revoked ones too when
// includeRevoked.
func (s *Service) List(ctx context.Context, userID string, includeRevoked bool) ([]*spidergo.APIKey, error) {
	return s.store.ListAPIKeys(ctx, userID, includeRevoked)
}

var errNoKey = spidergo.Errorf(spidergo.ENOTFOUND, "No such API key.")

// Revoke turns off userID's key id. The next request with the key is
// refused: Authorize reads the key's state from the store every time,
// with no cache to outlive the revocation.
func (s *Service) Revoke(ctx context.Context, userID, id string) (*spidergo.APIKey, error) {
	k, err := s.store.RevokeAPIKey(ctx, userID, id)
	if errors.Is(err, spidergo.ErrNotFound) {
		return nil, errNoKey
	}
	if err != nil {
		return nil, err
	}
	s.log.Info("API key revoked", "user_id", userID, "key_id", k.ID, "last4", k.Last4)
	return k, nil
}

// RevokeAll turns off every active key of userID and returns them.
func (s *Service) RevokeAll(ctx context.Context, userID string) ([]*spidergo.APIKey, error) {
	keys, err := s.store.RevokeUserAPIKeys(ctx, userID)
	if err != nil {
		return nil, err
	}
	s.log.Info("all API keys revoked", "user_id", userID, "keys", len(keys))
	return keys, nil
}

// Usage is a key's count per UTC day, oldest first, zeros included.
type Usage struct {
	Key      *spidergo.APIKey
	From, To string
	Total    int
	Days     []spidergo.DayCount
}

// Usage returns the last spidergo.UsageDays days of userID's key id.
// Another user's key is ENOTFOUND like an unknown one, so one user cannot
// even learn that another's key exists.
func (s *Service) Usage(ctx context.Context, userID, id string) (*Usage, error) {
	k, err := s.store.APIKeyByID(ctx, id)
	if errors.Is(err, spidergo.ErrNotFound) || (err == nil && k.UserID != userID) {
		return nil, errNoKey
	}
	if err != nil {
		return nil, err
	}
	today := s.now().UTC()
	u := &Usage{Key: k, From: spidergo.QuotaDay(today.AddDate(0, 0, -(spidergo.UsageDays - 1))), To: spidergo.QuotaDay(today)}
	counts, err := s.quota.QuotaUsage(ctx, k.ID, u.From, u.To)
	if err != nil {
		return nil, quotaUnavailable(err)
	}
	byDay := make(map[string]int, len(counts))
	for _, c := range counts {
		byDay[c.Day] = c.Used
	}
	u.Days = make([]spidergo.DayCount, 0, spidergo.UsageDays)
	for i := spidergo.UsageDays - 1; i >= 0; i-- {
		d := spidergo.QuotaDay(today.AddDate(0, 0, -i))
		u.Days = append(u.Days, spidergo.DayCount{Day: d, Used: byDay[d]})
		u.Total += byDay[d]
	}
	return u, nil
}

// UsedToday returns the units key id has used today.
func (s *Service) UsedToday(ctx context.Context, id string) (int, error) {
	used, err := s.quota.QuotaUsed(ctx, id, spidergo.QuotaDay(s.now()))
	if err != nil {
		return 0, quotaUnavailable(err)
	}
	return used, nil
}

func quotaUnavailable(err error) error {
	return &spidergo.Error{Code: spidergo.EUNAVAILABLE, Message: "Quotas cannot be checked right now. Retry shortly.", Err: err}
}
