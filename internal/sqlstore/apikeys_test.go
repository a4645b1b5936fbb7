package sqlstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/storetest"
)

// TestAPIKeyAndUsage: the gate's one-query read finds what APIKeyByHash
// and QuotaUsed find, for each day, and refuses what they refuse.
func TestAPIKeyAndUsage(t *testing.T) {
	for name, open := range storetest.Each() {
		t.Run(name, func(t *testing.T) {
			d := open(t)
			ctx := context.Background()
			u := storetest.NewUser(t, d)
			k := storetest.NewKey(t, d, u.ID, 10)
			other := storetest.NewKey(t, d, u.ID, 10)
			for range 3 {
				if _, ok, err := d.TakeQuota(ctx, k.ID, "2026-03-23", 10); err != nil || !ok {
					t.Fatalf("TakeQuota = %v, %v", ok, err)
				}
			}
			if _, ok, err := d.TakeQuota(ctx, other.ID, "2026-03-23", 10); err != nil || !ok {
				t.Fatalf("TakeQuota = %v, %v", ok, err)
			}
			if _, ok, err := d.TakeQuota(ctx, k.ID, "2026-03-22", 10); err != nil || !ok {
				t.Fatalf("TakeQuota = %v, %v", ok, err)
			}
			byHash, err := d.APIKeyByHash(ctx, k.Hash)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				day  string
				want int
			}{
				{"2026-03-23", 3},
				{"2026-03-22", 1},
				{"2026-03-24", 0}, // no row for the day yet
			} {
				got, used, err := d.APIKeyAndUsage(ctx, k.Hash, c.day)
				if err != nil {
					t.Fatalf("%s: %v", c.day, err)
				}
				if *got != *byHash {
					t.Errorf("%s: key = %+v, want %+v", c.day, got, byHash)
				}
				if q, _ := d.QuotaUsed(ctx, k.ID, c.day); used != c.want || q != c.want {
					t.Errorf("%s: used = %d (QuotaUsed %d), want %d", c.day, used, q, c.want)
				}
			}
			if _, err := d.RevokeAPIKey(ctx, u.ID, k.ID); err != nil {
				t.Fatal(err)
			}
			got, used, err := d.APIKeyAndUsage(ctx, k.Hash, "2026-03-23")
			if err != nil || got.IsActive || used != 3 {
				t.Errorf("revoked key = %+v, %d, %v; want it found, inactive, 3 used", got, used, err)
			}
			if _, _, err := d.APIKeyAndUsage(ctx, spidergo.HashAPIKey("sk_live_unknown"), "2026-03-23"); !errors.Is(err, spidergo.ErrNotFound) {
				t.Errorf("unknown hash: err = %v, want ErrNotFound", err)
			}
		})
	}
}
