package app

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/spidergo/spidergo/internal/account"
	"github.com/spidergo/spidergo/internal/auth"
	"github.com/spidergo/spidergo/internal/config"
	"github.com/spidergo/spidergo/internal/storetest"
)

// TestLimitsSharedOnPostgres builds two api processes on one PostgreSQL
// database without Redis: trial counts and sign-in throttles are one count
// for both, where each used to count on its own.
func TestLimitsSharedOnPostgres(t *testing.T) {
	url := storetest.PostgresDatabase(t)
	var apps []*App
	for range 2 {
		cfg, err := config.Load(nil, func(k string) string {
			return map[string]string{"SPIDERGO_ROLE": RoleAPI, "SPIDERGO_DATABASE_URL": url, "SPIDERGO_TRIAL_DAILY_LIMIT": "3"}[k]
		}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		a, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{PasswordParams: auth.TestParams})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		if a.LimitsWatch == nil {
			t.Fatal("no watch of the database's shared limits on PostgreSQL")
		}
		apps = append(apps, a)
	}

	now := time.Now()
	took := 0
	for i := range 8 {
		if apps[i%2].Trials.Take("192.0.2.10", now) {
			took++
		}
	}
	if took != 3 {
		t.Errorf("two processes took %d trials of one address, want the daily 3", took)
	}

	// Sign-in attempts per address: 20 at once, then one every 6 s.
	addr := netip.MustParseAddr("192.0.2.11")
	allowed := 0
	for i := range 30 {
		if apps[i%2].Accounts.ThrottleAddr(account.LoginAddr, addr) == nil {
			allowed++
		}
	}
	if allowed != 20 {
		t.Errorf("two processes allowed %d sign-in attempts from one address, want the burst of 20", allowed)
	}
}
