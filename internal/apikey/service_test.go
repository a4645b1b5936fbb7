package apikey

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/storetest"
)

func TestAuthorizeAndRefund(t *testing.T) {
	store := storetest.SQLite(t)
	now := time.Date(2026, 3, 23, 23, 59, 59, 500_000_000, time.UTC)
	s := New(store, store, slog.New(slog.NewTextHandler(io.Discard, nil)), Config{DailyLimit: 2, MaxPerUser: 1, Now: func() time.Time { return now }})
	ctx := context.Background()
	u := storetest.NewUser(t, store)
	k, secret, err := s.Create(ctx, u.ID, "laptop")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Create(ctx, u.ID, "second"); spidergo.ErrorCode(err) != spidergo.ECONFLICT ||
		spidergo.ErrorMessage(err) != "You already have 1 active API keys, the most allowed. Revoke one before creating another." {
		t.Errorf("create past the limit = %v", err)
	}

	for _, tt := range []struct {
		name          string
		work          bool
		wantCode      string
		wantRemaining int
	}{
		{"read takes nothing", false, "", 2},
		{"first unit", true, "", 1},
		{"second unit", true, "", 0},
		{"spent", true, spidergo.EQUOTA, 0},
		{"read when spent", false, "", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g, err := s.Authorize(ctx, secret, tt.work)
			if spidergo.ErrorCode(err) != tt.wantCode {
				t.Fatalf("Authorize = %v, want code %q", err, tt.wantCode)
			}
			if g.Remaining != tt.wantRemaining || g.Key.ID != k.ID || g.UserID != u.ID || !g.Reset.Equal(spidergo.QuotaReset(now)) {
				t.Errorf("grant = %+v, want %d remaining", g, tt.wantRemaining)
			}
			if tt.wantCode == spidergo.EQUOTA {
				var e *spidergo.Error
				if !errors.As(err, &e) || e.RetryAfter != time.Second {
					t.Errorf("RetryAfter = %v, want 1s (rounded up to the reset)", e)
				}
			}
		})
	}

	g, err := s.Authorize(ctx, secret, false)
	if err != nil {
		t.Fatal(err)
	}
	g.Refund() // a read holds no unit
	if used, _ := s.UsedToday(ctx, k.ID); used != 2 {
		t.Errorf("a read's refund changed the count to %d", used)
	}
	store.ReturnQuota(ctx, k.ID, spidergo.QuotaDay(now))
	g, err = s.Authorize(ctx, secret, true)
	if err != nil {
		t.Fatal(err)
	}
	g.Refund()
	g.Refund() // once only
	if used, _ := s.UsedToday(ctx, k.ID); used != 1 || g.Remaining != 1 {
		t.Errorf("after refunding twice: used %d, grant remaining %d; want 1 and 1", used, g.Remaining)
	}

	if _, err := s.Revoke(ctx, u.ID, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authorize(ctx, secret, false); spidergo.ErrorCode(err) != spidergo.EFORBIDDEN {
		t.Errorf("revoked key = %v, want forbidden", err)
	}
	if _, err := s.Authorize(ctx, "sk_live_"+"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", false); spidergo.ErrorCode(err) != spidergo.EUNAUTHORIZED {
		t.Errorf("unknown key = %v, want unauthorized", err)
	}
	if _, err := s.Revoke(ctx, "someone-else", k.ID); spidergo.ErrorMessage(err) != "No such API key." {
		t.Errorf("revoking another's key = %v", err)
	}
}
