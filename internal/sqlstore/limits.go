package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// The limits below are what Redis holds when it is configured: trial
// counts, throttle buckets and per-host slots. In the database they are
// shared by every process using it, which is what a scaled-out install on
// PostgreSQL without Redis (or with Redis down) needs. They work on SQLite
// too, where one process has no one to share with and keeps them in memory
// instead.
//
// Every time is read from the database's clock, so processes on machines
// whose clocks disagree still count one limit.

// clock is the database's current time in Unix milliseconds, as SQL.
func (d *DB) clock() string {
	if d.postgres {
		return `CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)`
	}
	return `CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)`
}

// limitSweepEvery is how often a process deletes the limit rows that have
// run out, on the side of a limit call.
const limitSweepEvery = time.Minute

// sweepLimits deletes expired limit rows at most once per limitSweepEvery
// per process. Failures are left to the next sweep: a stale row is only
// space, never a wrong answer, since every read ignores what has expired.
func (d *DB) sweepLimits(ctx context.Context, day string) {
	now := time.Now()
	d.sweepMu.Lock()
	due := now.Sub(d.lastSweep) >= limitSweepEvery
	if due {
		d.lastSweep = now
	}
	d.sweepMu.Unlock()
	if !due {
		return
	}
	clock := d.clock()
	// Trial days before yesterday (clocks may disagree about which day it is).
	yesterday := ""
	if t, err := time.Parse(time.DateOnly, day); err == nil {
		yesterday = t.AddDate(0, 0, -1).Format(time.DateOnly)
	}
	if yesterday != "" {
		d.exec(ctx, d.write, `DELETE FROM trial_counts WHERE day < ?`, yesterday)
	}
	d.exec(ctx, d.write, `DELETE FROM throttle_buckets WHERE expires_at < `+clock)
	d.exec(ctx, d.write, `DELETE FROM host_slots WHERE lease_until < `+clock)
	d.exec(ctx, d.write, `DELETE FROM host_pace WHERE expires_at < `+clock+
		` AND NOT EXISTS (SELECT 1 FROM host_slots WHERE host_slots.host = host_pace.host)`)
}

// TakeTrial uses one of addr's limit trial requests of day, if any is
// left, in one statement: the upsert adds one under the row lock only while
// fewer than limit are used.
func (d *DB) TakeTrial(ctx context.Context, day, addr string, limit int) (bool, error) {
	if limit < 1 {
		return false, nil
	}
	d.sweepLimits(ctx, day)
	var used int
	err := d.queryRow(ctx, d.write, `INSERT INTO trial_counts (day, addr, used) VALUES (?, ?, 1)
		ON CONFLICT (day, addr) DO UPDATE SET used = trial_counts.used + 1 WHERE trial_counts.used < ?
		RETURNING used`, day, addr, limit).Scan(&used)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// GiveTrial returns one of addr's trial requests of day, never below zero.
func (d *DB) GiveTrial(ctx context.Context, day, addr string) error {
	_, err := d.exec(ctx, d.write, `UPDATE trial_counts SET used = used - 1 WHERE day = ? AND addr = ? AND used > 0`, day, addr)
	return err
}

// TakeThrottle takes one attempt from bucket, which allows burst attempts
// at once and then one per every: a generic cell rate algorithm whose
// state is the theoretical arrival time of the next attempt. It answers 0
// when the attempt is allowed, else how long until one will be.
func (d *DB) TakeThrottle(ctx context.Context, bucket string, burst int, every time.Duration) (time.Duration, error) {
	d.sweepLimits(ctx, "")
	var wait int64
	err := d.tx(ctx, func(tx *sql.Tx) error {
		// The upsert takes the bucket's row lock until the transaction
		// ends, so concurrent attempts on the bucket, from any process,
		// take turns.
		var tat, now int64
		if err := d.queryRow(ctx, tx, `INSERT INTO throttle_buckets (bucket, tat, expires_at) VALUES (?, 0, 0)
			ON CONFLICT (bucket) DO UPDATE SET tat = throttle_buckets.tat
			RETURNING tat, `+d.clock(), bucket).Scan(&tat, &now); err != nil {
			return err
		}
		step := every.Milliseconds()
		tat = max(tat, now)
		next := tat + step
		if allowAt := next - int64(burst)*step; now < allowAt {
			wait = allowAt - now
			return nil
		}
		_, err := d.exec(ctx, tx, `UPDATE throttle_buckets SET tat = ?, expires_at = ? WHERE bucket = ?`, next, next, bucket)
		return err
	})
	if err != nil {
		return 0, err
	}
	return time.Duration(wait) * time.Millisecond, nil
}

// ReserveHostSlot takes one of host's concurrency slots for token, leased
// for lease from the reserved start, and reserves a start at least delay
// after the previous one. It answers how long to wait before that start,
// or ok false when the host's slots are all taken (nothing is reserved
// then). Slots whose lease ended are free.
func (d *DB) ReserveHostSlot(ctx context.Context, host, token string, concurrency int, lease, delay time.Duration) (wait time.Duration, ok bool, err error) {
	d.sweepLimits(ctx, "")
	err = d.tx(ctx, func(tx *sql.Tx) error {
		// The host's pace row is the lock: whoever holds it counts and
		// adds slots alone.
		var last, now int64
		if err := d.queryRow(ctx, tx, `INSERT INTO host_pace (host, last_start, expires_at) VALUES (?, 0, 0)
			ON CONFLICT (host) DO UPDATE SET last_start = host_pace.last_start
			RETURNING last_start, `+d.clock(), host).Scan(&last, &now); err != nil {
			return err
		}
		if _, err := d.exec(ctx, tx, `DELETE FROM host_slots WHERE host = ? AND lease_until <= ?`, host, now); err != nil {
			return err
		}
		var held int
		if err := d.queryRow(ctx, tx, `SELECT count(*) FROM host_slots WHERE host = ?`, host).Scan(&held); err != nil {
			return err
		}
		if held >= concurrency {
			return nil
		}
		start := max(now, last+delay.Milliseconds())
		keep := max(delay, 10*time.Minute).Milliseconds()
		if _, err := d.exec(ctx, tx, `UPDATE host_pace SET last_start = ?, expires_at = ? WHERE host = ?`, start, start+keep, host); err != nil {
			return err
		}
		if _, err := d.exec(ctx, tx, `INSERT INTO host_slots (host, token, lease_until) VALUES (?, ?, ?)`, host, token, start+lease.Milliseconds()); err != nil {
			return err
		}
		wait, ok = time.Duration(start-now)*time.Millisecond, true
		return nil
	})
	if err != nil {
		return 0, false, err
	}
	return wait, ok, nil
}

// ExtendHostSlot moves a held slot's lease end to lease from now, unless
// it is later already; a slot no longer held stays free.
func (d *DB) ExtendHostSlot(ctx context.Context, host, token string, lease time.Duration) error {
	_, err := d.exec(ctx, d.write, `UPDATE host_slots SET lease_until = `+d.clock()+` + ?
		WHERE host = ? AND token = ? AND lease_until < `+d.clock()+` + ?`, lease.Milliseconds(), host, token, lease.Milliseconds())
	return err
}

// ReleaseHostSlot frees token's slot of host.
func (d *DB) ReleaseHostSlot(ctx context.Context, host, token string) error {
	_, err := d.exec(ctx, d.write, `DELETE FROM host_slots WHERE host = ? AND token = ?`, host, token)
	return err
}
