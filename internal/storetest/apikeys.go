package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/spidergo/spidergo"
)

func testAPIKeys(t *testing.T, s spidergo.Store) {
	t.Run("Lifecycle", func(t *testing.T) { testAPIKeyLifecycle(t, s) })
	t.Run("CreateRace", func(t *testing.T) { testAPIKeyCreateRace(t, s) })
	t.Run("RevokeAll", func(t *testing.T) { testRevokeUserAPIKeys(t, s) })
	t.Run("Quota", func(t *testing.T) {
		QuotaCounter(t, s, func(t *testing.T) string {
			u := NewUser(t, s)
			return NewKey(t, s, u.ID, 1000).ID
		})
	})
}

// testRevokeUserAPIKeys checks that revoking all of a user's keys turns
// off exactly the active ones of that user and reports them.
func testRevokeUserAPIKeys(t *testing.T, s spidergo.Store) {
	ctx := context.Background()
	u, other := NewUser(t, s), NewUser(t, s)
	a, b := NewKey(t, s, u.ID, 10), NewKey(t, s, u.ID, 10)
	old := NewKey(t, s, u.ID, 10)
	if _, err := s.RevokeAPIKey(ctx, u.ID, old.ID); err != nil {
		t.Fatal(err)
	}
	keep := NewKey(t, s, other.ID, 10)
	revoked, err := s.RevokeUserAPIKeys(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range revoked {
		if k.IsActive || k.RevokedAt.IsZero() {
			t.Errorf("reported key %s still looks active: %+v", k.ID, k)
		}
		ids = append(ids, k.ID)
	}
	if len(ids) != 2 || !((ids[0] == a.ID && ids[1] == b.ID) || (ids[0] == b.ID && ids[1] == a.ID)) {
		t.Errorf("revoked %v, want %s and %s", ids, a.ID, b.ID)
	}
	for _, k := range []*spidergo.APIKey{a, b} {
		if got, _ := s.APIKeyByID(ctx, k.ID); got == nil || got.IsActive {
			t.Errorf("key %s is still active: %+v", k.ID, got)
		}
	}
	if got, _ := s.APIKeyByID(ctx, keep.ID); got == nil || !got.IsActive {
		t.Errorf("another user's key was revoked: %+v", got)
	}
	if again, err := s.RevokeUserAPIKeys(ctx, u.ID); err != nil || len(again) != 0 {
		t.Errorf("second revoke-all = %v, %v; want nothing", again, err)
	}
}

// NewUser stores a user with a fresh email address.
func NewUser(t testing.TB, s spidergo.UserStore) *spidergo.User {
	t.Helper()
	u := &spidergo.User{FirstName: "Key", LastName: "Holder", Email: spidergo.NewID() + "@example.com"}
	if err := s.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

// NewKey stores a new active key for userID with dailyLimit, ignoring the
// per-user limit.
func NewKey(t testing.TB, s spidergo.APIKeyStore, userID string, dailyLimit int) *spidergo.APIKey {
	t.Helper()
	k, _, err := spidergo.NewAPIKey(userID, "test key", dailyLimit)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAPIKey(context.Background(), k, 1<<30); err != nil {
		t.Fatal(err)
	}
	return k
}

func testAPIKeyLifecycle(t *testing.T, s spidergo.Store) {
	ctx := context.Background()
	u, other := NewUser(t, s), NewUser(t, s)

	var keys []*spidergo.APIKey
	for i := range 3 {
		k, _, err := spidergo.NewAPIKey(u.ID, fmt.Sprintf("key %d", i), 1000)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateAPIKey(ctx, k, 3); err != nil {
			t.Fatalf("key %d: %v", i, err)
		}
		if k.CreatedAt.IsZero() || !k.IsActive {
			t.Fatalf("CreateAPIKey did not fill CreatedAt and IsActive: %+v", k)
		}
		keys = append(keys, k)
	}
	fourth, _, _ := spidergo.NewAPIKey(u.ID, "one too many", 1000)
	if err := s.CreateAPIKey(ctx, fourth, 3); !errors.Is(err, spidergo.ErrKeyLimit) {
		t.Fatalf("4th key: got %v, want ErrKeyLimit", err)
	}
	orphan, _, _ := spidergo.NewAPIKey("no-such-user", "orphan", 1000)
	if err := s.CreateAPIKey(ctx, orphan, 3); !errors.Is(err, spidergo.ErrNotFound) {
		t.Fatalf("key for unknown user: got %v, want ErrNotFound", err)
	}
	// Another user's keys do not count against this one's limit.
	NewKey(t, s, other.ID, 1000)

	opts := cmpopts.EquateApproxTime(time.Millisecond)
	byHash, err := s.APIKeyByHash(ctx, keys[1].Hash)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(keys[1], byHash, opts); diff != "" {
		t.Errorf("APIKeyByHash (-want +got):\n%s", diff)
	}
	byID, err := s.APIKeyByID(ctx, keys[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(keys[1], byID, opts); diff != "" {
		t.Errorf("APIKeyByID (-want +got):\n%s", diff)
	}
	if _, err := s.APIKeyByHash(ctx, spidergo.HashAPIKey("sk_live_unknown")); !errors.Is(err, spidergo.ErrNotFound) {
		t.Errorf("unknown hash: got %v, want ErrNotFound", err)
	}

	// Revocation: only the owner can, it is idempotent, and it frees a slot.
	if _, err := s.RevokeAPIKey(ctx, other.ID, keys[0].ID); !errors.Is(err, spidergo.ErrNotFound) {
		t.Fatalf("revoke another user's key: got %v, want ErrNotFound", err)
	}
	if _, err := s.RevokeAPIKey(ctx, u.ID, "no-such-key"); !errors.Is(err, spidergo.ErrNotFound) {
		t.Fatalf("revoke unknown key: got %v, want ErrNotFound", err)
	}
	revoked, err := s.RevokeAPIKey(ctx, u.ID, keys[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if revoked.IsActive || revoked.RevokedAt.IsZero() {
		t.Fatalf("revoked key: %+v", revoked)
	}
	again, err := s.RevokeAPIKey(ctx, u.ID, keys[0].ID)
	if err != nil || !again.RevokedAt.Equal(revoked.RevokedAt) {
		t.Fatalf("second revoke = %+v, %v; want the first revocation time kept", again, err)
	}
	if k, _ := s.APIKeyByHash(ctx, keys[0].Hash); k == nil || k.IsActive {
		t.Errorf("APIKeyByHash of a revoked key = %+v; want it found and inactive", k)
	}
	if err := s.CreateAPIKey(ctx, fourth, 3); err != nil {
		t.Fatalf("create after revoking one: %v", err)
	}

	ids := func(ks []*spidergo.APIKey) []string {
		var out []string
		for _, k := range ks {
			out = append(out, k.ID)
		}
		return out
	}
	active, err := s.ListAPIKeys(ctx, u.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{keys[1].ID, keys[2].ID, fourth.ID}, ids(active), cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("active keys (-want +got):\n%s", diff)
	}
	all, err := s.ListAPIKeys(ctx, u.ID, true)
	if err != nil || len(all) != 4 {
		t.Errorf("all keys = %d, %v; want 4", len(all), err)
	}
	if none, err := s.ListAPIKeys(ctx, "no-such-user", true); err != nil || len(none) != 0 {
		t.Errorf("keys of unknown user = %v, %v; want none", none, err)
	}

	// Touch keeps the latest time only.
	t1 := time.Date(2026, 3, 23, 10, 0, 0, 0, time.UTC)
	if err := s.TouchAPIKeys(ctx, map[string]time.Time{keys[1].ID: t1, keys[2].ID: t1}); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchAPIKeys(ctx, map[string]time.Time{keys[1].ID: t1.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if k, _ := s.APIKeyByID(ctx, keys[1].ID); !k.LastUsedAt.Equal(t1) {
		t.Errorf("LastUsedAt = %v, want %v", k.LastUsedAt, t1)
	}

	// Deleting the user deletes its keys and their counters.
	if _, _, err := s.TakeQuota(ctx, keys[1].ID, "2026-03-23", 10); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.APIKeyByID(ctx, keys[1].ID); !errors.Is(err, spidergo.ErrNotFound) {
		t.Errorf("key after its user was deleted: got %v, want ErrNotFound", err)
	}
	if n, err := s.QuotaUsed(ctx, keys[1].ID, "2026-03-23"); err != nil || n != 0 {
		t.Errorf("counter after its user was deleted = %d, %v; want 0", n, err)
	}
}

// testAPIKeyCreateRace: ten racing creates for a user without keys must
// leave exactly three.
func testAPIKeyCreateRace(t *testing.T, s spidergo.Store) {
	ctx := context.Background()
	u := NewUser(t, s)
	var ok, conflict atomic.Int32
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			k, _, _ := spidergo.NewAPIKey(u.ID, fmt.Sprintf("racer %d", i), 1000)
			switch err := s.CreateAPIKey(ctx, k, 3); spidergo.ErrorCode(err) {
			case "":
				ok.Add(1)
			case spidergo.ECONFLICT:
				conflict.Add(1)
			default:
				t.Errorf("create: %v", err)
			}
		})
	}
	wg.Wait()
	keys, err := s.ListAPIKeys(ctx, u.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	if ok.Load() != 3 || conflict.Load() != 7 || len(keys) != 3 {
		t.Fatalf("10 racing creates: %d created, %d conflicts, %d stored; want 3, 7, 3", ok.Load(), conflict.Load(), len(keys))
	}
}

// QuotaCounter is the conformance suite of spidergo.QuotaCounter; every
// implementation (the SQL stores, Redis) runs it. newKey returns the id of
// a key the counter may count for, fresh on every call.
func QuotaCounter(t *testing.T, c spidergo.QuotaCounter, newKey func(t *testing.T) string) {
	ctx := context.Background()
	const day, next = "2026-03-23", "2026-03-24"

	t.Run("TakeUpToLimit", func(t *testing.T) {
		key := newKey(t)
		for want := 1; want <= 3; want++ {
			used, ok, err := c.TakeQuota(ctx, key, day, 3)
			if err != nil || !ok || used != want {
				t.Fatalf("take %d = %d, %v, %v; want %d, true", want, used, ok, err, want)
			}
		}
		used, ok, err := c.TakeQuota(ctx, key, day, 3)
		if err != nil || ok || used != 3 {
			t.Fatalf("take past the limit = %d, %v, %v; want 3, false", used, ok, err)
		}
		if n, err := c.QuotaUsed(ctx, key, day); err != nil || n != 3 {
			t.Fatalf("QuotaUsed = %d, %v; want 3 (a refused take must not count)", n, err)
		}
		// The next day starts from zero; a raised limit lets more through.
		if used, ok, _ := c.TakeQuota(ctx, key, next, 3); !ok || used != 1 {
			t.Errorf("next day: take = %d, %v; want 1, true", used, ok)
		}
		if used, ok, _ := c.TakeQuota(ctx, key, day, 4); !ok || used != 4 {
			t.Errorf("raised limit: take = %d, %v; want 4, true", used, ok)
		}
		if used, ok, _ := c.TakeQuota(ctx, key, day, 0); ok || used != 4 {
			t.Errorf("zero limit: take = %d, %v; want 4, false", used, ok)
		}
	})

	t.Run("Return", func(t *testing.T) {
		key := newKey(t)
		if err := c.ReturnQuota(ctx, key, day); err != nil {
			t.Fatalf("return with nothing taken: %v", err)
		}
		if n, _ := c.QuotaUsed(ctx, key, day); n != 0 {
			t.Fatalf("return with nothing taken left the count at %d", n)
		}
		c.TakeQuota(ctx, key, day, 2)
		c.TakeQuota(ctx, key, day, 2)
		if _, ok, _ := c.TakeQuota(ctx, key, day, 2); ok {
			t.Fatal("third take under limit 2 succeeded")
		}
		if err := c.ReturnQuota(ctx, key, day); err != nil {
			t.Fatal(err)
		}
		if used, ok, _ := c.TakeQuota(ctx, key, day, 2); !ok || used != 2 {
			t.Errorf("take after a return = %d, %v; want 2, true", used, ok)
		}
		for range 5 {
			c.ReturnQuota(ctx, key, day)
		}
		if n, _ := c.QuotaUsed(ctx, key, day); n != 0 {
			t.Errorf("count after more returns than takes = %d, want 0", n)
		}
	})

	t.Run("Usage", func(t *testing.T) {
		key, other := newKey(t), newKey(t)
		for d, n := range map[string]int{"2026-02-20": 1, "2026-03-01": 2, "2026-03-22": 5, day: 3} {
			for range n {
				if _, _, err := c.TakeQuota(ctx, key, d, 100); err != nil {
					t.Fatal(err)
				}
			}
		}
		c.TakeQuota(ctx, other, day, 100)
		got, err := c.QuotaUsage(ctx, key, "2026-02-22", day)
		if err != nil {
			t.Fatal(err)
		}
		want := []spidergo.DayCount{{Day: "2026-03-01", Used: 2}, {Day: "2026-03-22", Used: 5}, {Day: day, Used: 3}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("QuotaUsage (-want +got):\n%s", diff)
		}
		if got, err := c.QuotaUsage(ctx, newKey(t), "2026-02-22", day); err != nil || len(got) != 0 {
			t.Errorf("usage of an unused key = %v, %v; want none", got, err)
		}
	})

	t.Run("Race", func(t *testing.T) {
		// More takers than units, all at once: exactly limit succeed.
		const limit, takers = 150, 250
		key := newKey(t)
		var ok atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range takers {
			wg.Go(func() {
				<-start
				_, took, err := c.TakeQuota(ctx, key, day, limit)
				if err != nil {
					t.Errorf("take: %v", err)
				}
				if took {
					ok.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		if ok.Load() != limit {
			t.Fatalf("%d racing takes under limit %d: %d succeeded", takers, limit, ok.Load())
		}
		if n, _ := c.QuotaUsed(ctx, key, day); n != limit {
			t.Fatalf("count after the race = %d, want %d", n, limit)
		}
	})
}
