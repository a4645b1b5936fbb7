package fetch

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Health follows whether a shared limiter's store answers: Try says
// whether to ask it now, Report tells how the asking went. While the store
// is down, Try lets a caller ask again only now and then.
type Health interface {
	Try() bool
	Report(err error)
}

// FallbackLimiter is a HostLimiter that asks Shared (Redis, or the
// database) and, when it cannot answer, Local: politeness never stops
// because a store did. Limits then hold per Local's scope (a process, or
// the database that every process shares) until Shared is back.
type FallbackLimiter struct {
	shared HostLimiter
	local  HostLimiter
	health Health
}

// NewFallbackLimiter returns a limiter asking shared while health allows
// it, else local. health may be nil: shared is then asked every time.
func NewFallbackLimiter(shared, local HostLimiter, health Health) *FallbackLimiter {
	return &FallbackLimiter{shared: shared, local: local, health: health}
}

// Acquire implements HostLimiter.
func (f *FallbackLimiter) Acquire(ctx context.Context, host string, delay time.Duration) (func(), error) {
	if delay < 0 {
		return nil, fmt.Errorf("fetch: negative delay %s", delay)
	}
	if f.health == nil || f.health.Try() {
		release, err := f.shared.Acquire(ctx, host, delay)
		if err == nil {
			if f.health != nil {
				f.health.Report(nil)
			}
			return release, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if f.health != nil {
			f.health.Report(err)
		}
	}
	return f.local.Acquire(ctx, host, delay)
}

// minDelayLimiter raises every delay asked of a HostLimiter to a floor.
type minDelayLimiter struct {
	HostLimiter
	floor time.Duration
}

// WithMinDelay returns l with every request's delay at least floor (the
// operator's SPIDERGO_FETCH_PER_HOST_DELAY), so that whoever acquires a
// slot of l — the fetcher or the renderer — keeps the server's pace.
// floor 0 returns l itself.
func WithMinDelay(l HostLimiter, floor time.Duration) HostLimiter {
	if floor <= 0 {
		return l
	}
	return &minDelayLimiter{HostLimiter: l, floor: floor}
}

// Acquire implements HostLimiter.
func (m *minDelayLimiter) Acquire(ctx context.Context, host string, delay time.Duration) (func(), error) {
	if delay < 0 {
		return nil, fmt.Errorf("fetch: negative delay %s", delay)
	}
	return m.HostLimiter.Acquire(ctx, host, max(delay, m.floor))
}

// gatedLimiter takes a slot of a process-local limiter before asking a
// shared one.
type gatedLimiter struct {
	gate HostLimiter
	next HostLimiter
}

// NewGatedLimiter returns a limiter that holds one of gate's slots of the
// host (without delay) before asking next. With gate a MemoryLimiter of the
// same concurrency as next, a process never has more requests to one host
// waiting on the shared store than it could run at once: the rest queue in
// memory instead of polling Redis or the database.
func NewGatedLimiter(gate, next HostLimiter) HostLimiter {
	return &gatedLimiter{gate: gate, next: next}
}

// Acquire implements HostLimiter.
func (g *gatedLimiter) Acquire(ctx context.Context, host string, delay time.Duration) (func(), error) {
	if delay < 0 {
		return nil, fmt.Errorf("fetch: negative delay %s", delay)
	}
	releaseGate, err := g.gate.Acquire(ctx, host, 0)
	if err != nil {
		return nil, err
	}
	release, err := g.next.Acquire(ctx, host, delay)
	if err != nil {
		releaseGate()
		return nil, err
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			release()
			releaseGate()
		})
	}, nil
}
