// Package account owns SpiderGo's account rules: registration, sign-in and
// cookie sessions, email verification, password reset and change, account
// deletion, sign-in through Google and GitHub, the throttles on all of
// these, and the mail they send. The JSON API, the dashboard and the CLI
// call it; it knows nothing of HTTP, so cookies, headers and status codes
// stay with the caller.
package account

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/auth"
	"github.com/spidergo/spidergo/internal/mail"
	"github.com/spidergo/spidergo/internal/oauth"
)

// Config are the settings of the account rules.
type Config struct {
	// RequireEmailVerification refuses sign-in until the address is proven.
	RequireEmailVerification bool
	// PasswordParams are argon2id's costs; zero means auth.DefaultParams.
	PasswordParams auth.Params
	// Providers are the configured OAuth providers by name.
	Providers map[string]*oauth.Provider
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// CancelJobs stops a user's running jobs (and waits until they stop
	// fetching) before the account is deleted; nil when nothing runs jobs.
	CancelJobs func(ctx context.Context, userID string) error
	// Redis, when set, holds the sign-in and mail throttles, shared by
	// every process. Limits, when set, is the database that holds them
	// without Redis or while Redis is down. With neither they are kept in
	// this process.
	Redis  redis.Scripter
	Limits auth.ThrottleStore
	// RedisHealth and LimitsHealth follow whether Redis and Limits answer
	// (one watch per dependency for the whole process, so an outage is
	// logged once); nil gives each throttle its own.
	RedisHealth, LimitsHealth auth.Health
}

// Service applies the account rules over a store.
type Service struct {
	store               spidergo.Store
	log                 *slog.Logger
	now                 func() time.Time
	mailer              mail.Mailer
	hasher              *auth.Hasher
	providers           map[string]*oauth.Provider
	requireVerification bool
	limits              throttles
	cancelJobs          func(ctx context.Context, userID string) error

	// dummyHash is verified against when a login names no account, so that
	// the answer takes as long as for a wrong password.
	dummyOnce sync.Once
	dummyHash string

	// mailing counts mail being sent in the background; Close waits for it.
	mailing sync.WaitGroup
}

// New returns the account service. mailer delivers account mail.
func New(store spidergo.Store, mailer mail.Mailer, log *slog.Logger, cfg Config) *Service {
	s := &Service{
		store:               store,
		log:                 log,
		now:                 cfg.Now,
		mailer:              mailer,
		hasher:              auth.NewHasher(cfg.PasswordParams),
		providers:           cfg.Providers,
		requireVerification: cfg.RequireEmailVerification,
		limits:              newThrottles(cfg, log),
		cancelJobs:          cfg.CancelJobs,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.providers == nil {
		s.providers = map[string]*oauth.Provider{}
	}
	return s
}

// RequireEmailVerification reports whether sign-in waits for a verified
// address.
func (s *Service) RequireEmailVerification() bool { return s.requireVerification }

// Close waits for mail still being sent.
func (s *Service) Close() { s.mailing.Wait() }

// sweepEvery is how often dead sessions and codes are deleted.
const sweepEvery = 10 * time.Minute

// RunSweeper deletes expired sessions and codes every few minutes until
// ctx ends.
func (s *Service) RunSweeper(ctx context.Context) error {
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := s.store.DeleteExpired(ctx, s.now()); err != nil && ctx.Err() == nil {
				s.log.Warn("deleting expired sessions failed", "err", err)
			}
		}
	}
}
