// Package quota keeps API keys' daily quota counters in Redis, for
// deployments where several API servers share one count. Without Redis the
// database store is the counter (spidergo.QuotaCounter in SQL); both pass
// the same conformance suite, storetest.QuotaCounter.
package quota

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/outage"
)

// Redis is a spidergo.QuotaCounter on Redis. Each key's count for one UTC
// day is one integer at PREFIX quota:{KEY_ID}:DAY. The braces are a hash
// tag: all of a key's days live in one cluster slot, so the usage chart
// reads them with a single MGET.
//
// A counter expires UsageDays+1 days after its first unit was taken, which
// happens during its day; so it outlives the usage chart's window by at
// least a day. That is the whole history the chart needs, so with Redis the
// chart reads Redis and the database holds no counts at all: one source of
// truth and no second write on the request path. The expiry is relative
// (EXPIRE, not EXPIREAT) so that a clock difference between API servers and
// Redis can never remove a live counter.
//
// While Redis does not answer, every call fails (the API key gate answers
// 503): the counts live in Redis only, so no other place could tell how
// much of a key's day is left. With a Health set, calls made while Redis
// is known to be down fail at once instead of each waiting for Redis.
type Redis struct {
	rdb    redis.UniversalClient
	prefix string
	health Health
}

// Health follows whether Redis answers: Try says whether to ask it now,
// Report tells how the asking went (*outage.Watch).
type Health interface {
	Try() bool
	Report(err error)
}

// ErrUnavailable is in the error of every call that failed because Redis
// did not answer, or was skipped while Redis is known to be down. It wraps
// outage.ErrDown: the outage itself is logged once by the watch.
var ErrUnavailable = fmt.Errorf("redis quota: Redis %w", outage.ErrDown)

// WithHealth makes q report to h and skip Redis while h says it is down;
// it returns q.
func (q *Redis) WithHealth(h Health) *Redis {
	q.health = h
	return q
}

// try reports whether Redis should be asked now.
func (q *Redis) try() error {
	if q.health != nil && !q.health.Try() {
		return ErrUnavailable
	}
	return nil
}

// report tells the health how a call went; a call ended by its own
// context says nothing about Redis.
func (q *Redis) report(ctx context.Context, err error) {
	if q.health != nil && ctx.Err() == nil {
		q.health.Report(err)
	}
}

var _ spidergo.QuotaCounter = (*Redis)(nil)

// NewRedis returns a counter using rdb; prefix namespaces its keys (tests
// give each run its own).
func NewRedis(rdb redis.UniversalClient, prefix string) *Redis {
	return &Redis{rdb: rdb, prefix: prefix}
}

// keep is how long a counter lives after its first unit.
const keep = (spidergo.UsageDays + 1) * 24 * time.Hour

// takeScript adds one unit unless that passes the limit, atomically: Redis
// runs a script without interleaving other commands, so the increment, the
// check and the undo of an over-limit increment are one step for every
// server sharing this Redis. It returns {taken (0|1), count}.
var takeScript = redis.NewScript(`
local used = redis.call('INCR', KEYS[1])
if used == 1 then
	redis.call('EXPIRE', KEYS[1], ARGV[2])
end
if used > tonumber(ARGV[1]) then
	redis.call('DECR', KEYS[1])
	return {0, used - 1}
end
return {1, used}
`)

// returnScript takes one unit back, never below zero and never creating a
// counter (which would have no expiry).
var returnScript = redis.NewScript(`
local v = tonumber(redis.call('GET', KEYS[1]) or '0')
if v > 0 then
	return redis.call('DECR', KEYS[1])
end
return 0
`)

func (q *Redis) key(keyID, day string) string {
	return q.prefix + "quota:{" + keyID + "}:" + day
}

func parseDay(day string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return time.Time{}, fmt.Errorf("quota day %q: %w", day, err)
	}
	return t, nil
}

// TakeQuota implements spidergo.QuotaCounter.
func (q *Redis) TakeQuota(ctx context.Context, keyID, day string, limit int) (int, bool, error) {
	if limit < 1 {
		used, err := q.QuotaUsed(ctx, keyID, day)
		return used, false, err
	}
	if _, err := parseDay(day); err != nil {
		return 0, false, err
	}
	if err := q.try(); err != nil {
		return 0, false, err
	}
	res, err := takeScript.Run(ctx, q.rdb, []string{q.key(keyID, day)}, limit, int64(keep/time.Second)).Int64Slice()
	q.report(ctx, err)
	if err != nil {
		return 0, false, fmt.Errorf("%w: take: %w", ErrUnavailable, err)
	}
	if len(res) != 2 {
		return 0, false, fmt.Errorf("redis quota take: unexpected reply %v", res)
	}
	return int(res[1]), res[0] == 1, nil
}

// ReturnQuota implements spidergo.QuotaCounter.
func (q *Redis) ReturnQuota(ctx context.Context, keyID, day string) error {
	if err := q.try(); err != nil {
		return err
	}
	err := returnScript.Run(ctx, q.rdb, []string{q.key(keyID, day)}).Err()
	q.report(ctx, err)
	if err != nil {
		return fmt.Errorf("%w: return: %w", ErrUnavailable, err)
	}
	return nil
}

// QuotaUsed implements spidergo.QuotaCounter.
func (q *Redis) QuotaUsed(ctx context.Context, keyID, day string) (int, error) {
	if err := q.try(); err != nil {
		return 0, err
	}
	n, err := q.rdb.Get(ctx, q.key(keyID, day)).Int()
	if errors.Is(err, redis.Nil) {
		q.report(ctx, nil)
		return 0, nil
	}
	q.report(ctx, err)
	if err != nil {
		return 0, fmt.Errorf("%w: read: %w", ErrUnavailable, err)
	}
	return n, nil
}

// maxUsageDays bounds one usage read, so a wide range cannot turn into a
// huge MGET.
const maxUsageDays = 400

// QuotaUsage implements spidergo.QuotaCounter.
func (q *Redis) QuotaUsage(ctx context.Context, keyID, from, to string) ([]spidergo.DayCount, error) {
	first, err := parseDay(from)
	if err != nil {
		return nil, err
	}
	last, err := parseDay(to)
	if err != nil {
		return nil, err
	}
	var days, keys []string
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		if len(days) == maxUsageDays {
			return nil, fmt.Errorf("quota usage: more than %d days from %s to %s", maxUsageDays, from, to)
		}
		day := d.Format(time.DateOnly)
		days = append(days, day)
		keys = append(keys, q.key(keyID, day))
	}
	if len(keys) == 0 {
		return nil, nil
	}
	if err := q.try(); err != nil {
		return nil, err
	}
	vals, err := q.rdb.MGet(ctx, keys...).Result()
	q.report(ctx, err)
	if err != nil {
		return nil, fmt.Errorf("%w: usage: %w", ErrUnavailable, err)
	}
	var out []spidergo.DayCount
	for i, v := range vals {
		s, ok := v.(string)
		if !ok {
			continue // no counter: nothing used that day
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, fmt.Errorf("redis quota usage: counter %s holds %q", keys[i], s)
		}
		if n > 0 {
			out = append(out, spidergo.DayCount{Day: days[i], Used: n})
		}
	}
	return out, nil
}
